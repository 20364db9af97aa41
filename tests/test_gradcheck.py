"""gradcheck, numerical_grad, compare_with_torch and their reports: the numbers, the table, the
failure messages."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from catalogue import BINARY, UNARY, pairs, points

from autograd import Value
from autograd.check import (
    GradcheckError,
    check_local_derivatives,
    compare_with_torch,
    gradcheck,
    numerical_grad,
)
from autograd.check.report import compare


def away_from_kinks(op, xs):
    return [x for x in xs if all(abs(x - k) > 1e-3 for k in op.kinks)]


# ------------------------------------------------------------------ numerical_grad


def test_numerical_grad_of_a_single_number_is_a_float():
    g = numerical_grad(lambda x: x**3, 2.0)
    assert isinstance(g, float) and g == pytest.approx(12.0, rel=1e-8)


def test_numerical_grad_mirrors_nested_inputs():
    g = numerical_grad(lambda w, b: w[0] * w[1] + b * b, [[2.0, 5.0], 3.0])
    assert isinstance(g, list) and isinstance(g[0], list)
    np.testing.assert_allclose(g[0], [5.0, 2.0], rtol=1e-8)
    assert g[1] == pytest.approx(6.0, rel=1e-8)


def test_numerical_grad_of_an_array_is_an_array():
    g = numerical_grad(lambda v: v[0, 0] * v[1, 1], [np.array([[2.0, 0.0], [0.0, 7.0]])])
    assert isinstance(g[0], np.ndarray) and g[0].shape == (2, 2)
    np.testing.assert_allclose(g[0], [[7.0, 0.0], [0.0, 2.0]], atol=1e-7)


def test_numerical_grad_works_on_functions_returning_floats():
    assert numerical_grad(lambda x: math.sin(x.data), 0.0) == pytest.approx(1.0, rel=1e-9)


# ------------------------------------------------------------------ gradcheck on the catalogue


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_every_unary_op_passes_gradcheck_at_first_and_second_order(op):
    for x in away_from_kinks(op, points(op)):
        report = gradcheck(op.fn, [x], order=2)
        assert report.passed, (x, str(report))


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_every_binary_op_passes_gradcheck_at_first_and_second_order(op):
    for args in pairs(op):
        report = gradcheck(op.fn, list(args), order=2)
        assert report.passed, (args, str(report))
        assert len(report.entries) == 2 + 4


# ------------------------------------------------------------------ the report


def test_report_holds_analytic_numeric_and_errors_per_derivative():
    report = gradcheck(lambda x, y: x * y, [3.0, 4.0])
    dx, dy = report.entries
    assert dx.name == "∂f/∂x" and dy.name == "∂f/∂y"
    assert dx.actual == 4.0 and dy.actual == 3.0  # analytic
    assert dx.expected == pytest.approx(4.0, abs=1e-8)  # numeric
    assert dx.abs_err == abs(dx.actual - dx.expected)
    assert dx.rel_err == pytest.approx(dx.abs_err / 4.0)
    assert dx.passed and dy.passed and report.passed and bool(report)
    assert report.value == 12.0


def test_report_is_falsy_when_a_derivative_is_wrong():
    # e^x through math.exp leaves the graph: the analytic derivative is 0, the numeric e.
    report = gradcheck(lambda x: Value(math.exp(x.data)) + x, 1.0)
    assert not report
    (entry,) = report.failures
    assert entry.actual == 1.0
    assert entry.expected == pytest.approx(math.e + 1.0, rel=1e-8)


def test_report_prints_a_table_row_per_derivative():
    text = str(gradcheck(lambda x, y: x * y, [3.0, 4.0]))
    lines = text.splitlines()
    assert lines[0].startswith("gradcheck: ok, all 2 derivatives match (order=1, eps=1e-06")
    assert lines[1].split() == ["derivative", "analytic", "numeric", "abs", "err", "rel", "err"]
    assert lines[2].split()[:2] == ["∂f/∂x", "4"] and lines[2].split()[-1] == "ok"
    assert lines[3].split()[:2] == ["∂f/∂y", "3"]


def test_failing_row_says_fail():
    text = str(gradcheck(lambda x: Value(math.exp(x.data)) + x, 1.0))
    assert "FAILED, 1 of 1 derivatives differ" in text
    (row,) = [line for line in text.splitlines() if line.strip().startswith("∂f/∂x")]
    assert row.split()[1:3] == ["1", "3.718281828"] and "FAIL" in row


def test_raise_on_failure_raises_an_assertion_error_with_the_worst_first():
    def f(x, y, z):  # x and z leave the graph: wrong by e^x x-ish amounts, z by far the most
        return Value(math.exp(x.data)) + Value(math.exp(3 * z.data)) + y

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.1, 2.0, 1.0], raise_on_failure=True)
    assert isinstance(caught.value, AssertionError)
    rows = [line.split()[0] for line in str(caught.value).splitlines() if "FAIL" in line[:60]]
    rows = [r for r in rows if r.startswith("∂")]
    assert rows == ["∂f/∂z", "∂f/∂x"]  # y passes and is left out
    assert "analytic" in str(caught.value) and "numeric" in str(caught.value)
    assert caught.value.report.failures[0].name == "∂f/∂z"


def test_raise_on_failure_returns_the_report_when_all_pass():
    report = gradcheck(lambda x: x.tanh(), 0.3, raise_on_failure=True)
    assert report.passed


def test_second_order_entries_cover_the_whole_hessian():
    report = gradcheck(lambda x, y: x * x * y, [3.0, 2.0], order=2)
    names = [e.name for e in report.entries]
    assert names == ["∂f/∂x", "∂f/∂y", "∂²f/∂x²", "∂²f/∂x∂y", "∂²f/∂y∂x", "∂²f/∂y²"]
    assert [e.actual for e in report.entries[2:]] == [4.0, 6.0, 6.0, 0.0]  # 2y, 2x, 2x, 0


def test_kink_is_explained_in_the_note():
    report = gradcheck(lambda x: x.relu(), 0.0)
    (entry,) = report.entries
    assert not entry.passed and entry.expected == pytest.approx(0.5)
    assert entry.note == "kink: one-sided slopes 0 (left) and 1 (right)"


def test_one_sided_difference_where_f_is_undefined_on_one_side():
    # sqrt at 0: x - eps is outside the domain, so the forward difference stands in.
    report = gradcheck(lambda x: x * x, 0.0)  # defined everywhere: central
    assert report.entries[0].note == ""
    report = gradcheck(lambda x: (x + 1e-7).log(), 0.0, eps=1e-6, atol=1e9)
    assert report.entries[0].note.startswith("one-sided (forward) difference")


def test_names_come_from_parameters_labels_or_the_names_argument():
    assert gradcheck(lambda w, b: w[0] * w[1] + b, [[1.0, 2.0], 3.0]).names() == [
        "∂f/∂w[0]",
        "∂f/∂w[1]",
        "∂f/∂b",
    ]
    a = Value(1.0, "alpha")
    assert gradcheck(lambda u: u * u, [a]).names() == ["∂f/∂alpha"]
    assert gradcheck(lambda *xs: xs[0] * xs[1], [1.0, 2.0], names=["p", "q"]).names() == [
        "∂f/∂p",
        "∂f/∂q",
    ]


def test_closure_over_values_leaves_data_and_grad_untouched():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    a.grad = 7.0
    report = gradcheck(lambda: a * b + a, [a, b], order=2)
    assert report.passed
    assert [e.actual for e in report.entries[:2]] == [-2.0, 2.0]
    assert (a.data, b.data, a.grad, b.grad) == (2.0, -3.0, 7.0, 0.0)


def test_data_is_restored_even_when_f_raises():
    a = Value(1.0)
    calls = []

    def f():
        calls.append(a.data)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return a * a

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(f, [a])
    assert a.data == 1.0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"order": 3}, ValueError, "order must be 1 or 2, got 3"),
        ({"eps": 0.0}, ValueError, "eps must be > 0, got 0.0"),
    ],
)
def test_bad_options_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        gradcheck(lambda x: x, 1.0, **kwargs)


def test_a_non_scalar_output_is_a_type_error():
    with pytest.raises(TypeError, match="f must return a scalar"):
        gradcheck(lambda x: [x, x], 1.0)


def test_a_non_leaf_value_input_is_rejected():
    with pytest.raises(ValueError, match="is not a leaf"):
        gradcheck(lambda x: x, [Value(1.0) * 2])


def test_wrong_number_of_inputs_explains_the_convention():
    with pytest.raises(TypeError, match="inputs is the list of f's arguments"):
        gradcheck(lambda x, y: x * y, [1.0, 2.0, 3.0])


# ------------------------------------------------------------------ local checks (graph overlay)


def test_local_check_of_builtin_ops_is_ok():
    x = Value(0.4)
    for node in (x.exp(), x.tanh(), x**3, x * 2.0, x - 1.0, -x, x.sigmoid()):
        status, entries = check_local_derivatives(node)
        assert status == "ok", (node.op, entries)


def test_local_check_flags_relu_at_zero_as_a_kink():
    status, (entry,) = check_local_derivatives(Value(0.0).relu())
    assert status == "kink" and entry.actual == 0.0 and entry.expected == pytest.approx(0.5)


def test_local_check_of_a_leaf_is_unchecked():
    assert check_local_derivatives(Value(1.0)) == ("unchecked", [])


# ------------------------------------------------------------------ comparison reports


def test_compare_orders_failures_worst_first():
    report = compare("c", [("a", 1.0, 2.0), ("b", 1.0, 1.5), ("c", 1.0, 1.0)], atol=0, rtol=0.1)
    assert [e.name for e in report.failures] == ["a", "b"]
    assert report["c"].passed and report.worst.name == "a"


def test_nan_matches_nan_and_infinities_match_themselves():
    report = compare(
        "c",
        [("n", math.nan, math.nan), ("i", math.inf, math.inf), ("j", math.inf, 1.0)],
        atol=0,
        rtol=0,
    )
    assert [e.passed for e in report.entries] == [True, True, False]


# ------------------------------------------------------------------ PyTorch cross-check

SHARED_UNARY = [op for op in UNARY if op.torch_fn is None]


@pytest.mark.parametrize("op", SHARED_UNARY, ids=lambda op: op.name)
def test_compare_with_torch_agrees_on_every_shared_unary_op(op, torch):
    for x in points(op):
        report = compare_with_torch(op.fn, [x], order=2)
        assert report.passed, (x, str(report))


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_compare_with_torch_agrees_on_every_binary_op(op, torch):
    for args in pairs(op):
        report = compare_with_torch(op.fn, list(args), order=2)
        assert report.passed, (args, str(report))


def test_compare_with_torch_reports_value_and_gradient_rows(torch):
    report = compare_with_torch(lambda x, y: (x * y).sigmoid() + y.sqrt(), [0.3, 2.0])
    assert report.names() == ["f", "∂f/∂x", "∂f/∂y"]
    s = 1 / (1 + math.exp(-0.6))
    assert report["f"].actual == pytest.approx(s + math.sqrt(2.0), rel=1e-12)
    assert report["∂f/∂x"].expected == pytest.approx(2.0 * s * (1 - s), rel=1e-12)
    assert str(report).splitlines()[1].split()[:3] == ["quantity", "ours", "torch"]


def test_compare_with_torch_catches_a_difference(torch):
    def f(x):  # behaves differently on the two engines
        return x * 2 if isinstance(x, Value) else x * 3

    report = compare_with_torch(f, [1.5])
    assert [e.name for e in report.failures] == ["f", "∂f/∂x"]  # 3 vs 4.5, then 2 vs 3
    assert (report["f"].actual, report["f"].expected) == (3.0, 4.5)
    with pytest.raises(GradcheckError, match="compare_with_torch: FAILED, 2 of 2"):
        compare_with_torch(f, [1.5], raise_on_failure=True)


def test_compare_with_torch_without_torch_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match="compare_with_torch needs PyTorch"):
        compare_with_torch(lambda x: x, [1.0])
