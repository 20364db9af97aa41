"""Custom primitives (define_op, @primitive): values, derivatives at first and second order,
gradcheck catching wrong rules, and the graph's check overlay marking them."""

from __future__ import annotations

import math

import pytest

from autograd import Value, no_grad
from autograd.check.gradcheck import GradcheckError, gradcheck
from autograd.custom import define_op, primitive
from autograd.functional import grad, hessian
from autograd.value import cos, exp, log
from autograd.viz.graph import CHECK_FAIL, draw_graph, save_graph


# softplus written as a custom op: d ln(1 + e^x)/dx = e^x / (1 + e^x) = 1 - e^-out.
@primitive(derivatives=lambda out, x: 1 - exp(-out))
def smooth_relu(x):
    """ln(1 + e^x)."""
    return math.log1p(math.exp(x))


# x^a with a Value exponent, log-parametrised: d/dx = a x^(a-1) = a out / x, d/da = out ln x.
powlog = define_op(
    "powlog",
    lambda x, a: x**a,
    lambda out, x, a: (a * out / x, out * log(x)),
)


def test_decorated_op_computes_its_value_and_records_its_op():
    x = Value(0.3)
    y = smooth_relu(x)
    assert y.data == pytest.approx(math.log1p(math.exp(0.3)), rel=1e-15)
    assert y.op == "smooth_relu" and y.parents == (x,)
    assert smooth_relu.__name__ == "smooth_relu" and smooth_relu.__doc__ == "ln(1 + e^x)."


def test_custom_op_on_plain_numbers_returns_the_forward_float():
    assert smooth_relu(0.3) == math.log1p(math.exp(0.3))
    assert powlog(2.0, 3.0) == 8.0


def test_custom_op_first_derivatives_follow_its_rule():
    x, a = Value(1.5), Value(2.5)
    powlog(x, a).backward()
    assert x.grad == pytest.approx(2.5 * 1.5**1.5, rel=1e-14)
    assert a.grad == pytest.approx(1.5**2.5 * math.log(1.5), rel=1e-14)


def test_custom_op_mixes_values_and_numbers():
    x = Value(2.0)
    y = powlog(x, 3.0)
    y.backward()
    assert y.data == 8.0 and x.grad == pytest.approx(12.0)
    assert y.parents[1].data == 3.0 and not y.parents[1].parents


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.7, 4.0])
def test_custom_unary_op_passes_gradcheck_at_first_and_second_order(x):
    report = gradcheck(smooth_relu, x, order=2)
    assert report.passed, str(report)
    s = 1 / (1 + math.exp(-x))
    assert report["∂f/∂x"].actual == pytest.approx(s, rel=1e-12)
    assert report["∂²f/∂x²"].actual == pytest.approx(s * (1 - s), rel=1e-9)


@pytest.mark.parametrize("x, a", [(1.5, 2.5), (0.4, -1.3), (3.0, 0.5)])
def test_custom_binary_op_passes_gradcheck_at_first_and_second_order(x, a):
    report = gradcheck(powlog, [x, a], order=2)
    assert report.passed, str(report)
    assert len(report.entries) == 6


def test_custom_op_composes_with_builtin_ops_at_second_order():
    f = lambda x: smooth_relu(x * x).tanh()
    assert gradcheck(f, 0.8, order=2).passed


def test_constant_derivatives_may_be_a_tuple():
    shift = define_op("shift", lambda x, y: x - y + 1.0, (1.0, -1.0))
    assert gradcheck(shift, [0.2, 0.9], order=2).passed
    a, b = Value(0.2), Value(0.9)
    assert grad(shift(a, b), [a, b]) == [1.0, -1.0]


# ------------------------------------------------------------------ catching wrong rules

# The sign of the derivative flipped: d sin x/dx written as -cos x.
wrong_sin = define_op("wrong_sin", math.sin, lambda out, x: -cos(x))


def test_gradcheck_catches_a_wrong_derivative():
    report = gradcheck(wrong_sin, 0.5)
    assert not report
    (entry,) = report.entries
    assert entry.actual == pytest.approx(-math.cos(0.5), rel=1e-15)
    assert entry.expected == pytest.approx(math.cos(0.5), rel=1e-8)


def test_the_failure_message_shows_analytic_and_numeric():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong_sin, 0.5, raise_on_failure=True)
    message = str(caught.value)
    assert "analytic" in message and "numeric" in message
    (row,) = [line for line in message.splitlines() if line.strip().startswith("∂f/∂x")]
    assert row.split()[1:3] == [f"{-math.cos(0.5):.10g}", f"{math.cos(0.5):.10g}"]


# math.exp in a rule turns a Value into a float constant: first order is right, the second wrong.
frozen_exp = define_op("frozen_exp", math.exp, lambda out, x: (math.exp(x),))


def test_a_rule_using_math_passes_first_order():
    assert gradcheck(frozen_exp, 0.3).passed


def test_a_rule_using_math_fails_second_order_and_says_where():
    report = gradcheck(frozen_exp, 0.3, order=2)
    assert [e.name for e in report.failures] == ["∂²f/∂x²"]
    entry = report["∂²f/∂x²"]
    assert entry.actual == 0.0 and entry.expected == pytest.approx(math.exp(0.3), rel=1e-6)
    assert hessian(frozen_exp)(0.3) == 0.0


# ------------------------------------------------------------------ definition errors


def test_rule_returning_the_wrong_number_of_derivatives_names_the_op():
    bad = define_op("bad_pair", lambda x, y: x * y, lambda out, x, y: (y,))
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"bad_pair: derivatives returned 1 value\(s\) for 2"):
        bad(a, b).backward()


def test_forward_returning_a_non_number_is_a_type_error():
    bad = define_op("listy", lambda x: [x], lambda out, x: 1.0)
    with pytest.raises(TypeError, match="listy: expected a real number, forward returned list"):
        bad(Value(1.0))


def test_a_non_number_argument_is_a_type_error():
    with pytest.raises(TypeError, match="powlog: expected a real number, got str"):
        powlog(Value(1.0), "2")


@pytest.mark.parametrize(
    "args, error, message",
    [
        (("", math.sin, (1.0,)), ValueError, "name must be a non-empty str"),
        (("f", 3, (1.0,)), TypeError, "forward must be callable"),
        (("f", math.sin, "cos"), TypeError, "derivatives must be a function"),
    ],
)
def test_define_op_validates_its_arguments(args, error, message):
    with pytest.raises(error, match=message):
        define_op(*args)


def test_custom_op_records_no_graph_under_no_grad():
    with no_grad():
        y = smooth_relu(Value(1.0))
    assert y.parents == () and y.op == ""


# ------------------------------------------------------------------ the graph overlay


def test_draw_graph_check_marks_only_the_wrong_op():
    x = Value(0.5, "x")
    y = wrong_sin(x) + smooth_relu(x) * x.exp()
    source = draw_graph(y, check=True).source
    marked = [line for line in source.splitlines() if "check-fail" in line]
    assert len(marked) == 1 and 'label="wrong_sin ✗"' in marked[0]
    assert CHECK_FAIL in marked[0]
    assert f"analytic {-math.cos(0.5):.6g}, numeric {math.cos(0.5):.6g}" in marked[0]
    assert source.count("check-ok") == 4  # smooth_relu, exp, *, +
    assert "local derivative ≠ finite differences" in source  # the legend row


def test_draw_graph_without_check_marks_nothing():
    x = Value(0.5, "x")
    assert "check-" not in draw_graph(wrong_sin(x)).source


def test_draw_graph_check_renders_the_mark_in_svg(tmp_path, dot):
    x = Value(0.5, "x")
    path = save_graph(wrong_sin(x) * 2.0, tmp_path / "check.svg", check=True)
    svg = path.read_text(encoding="utf-8").replace("&#45;", "-")  # dot escapes hyphens
    assert "wrong_sin ✗" in svg and 'class="node op check-fail"' in svg
