"""assert_grads_close, and the pytest plugin offering it and gradcheck as fixtures (run in a
separate pytest session through pytester)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from autograd.check.testing import GradientMismatch, assert_grads_close

pytest_plugins = ["pytester"]
# The plugin loaded explicitly (works with or without the entry point installed); the heavy
# third-party plugins of the outer session are left out of the inner ones.
PLUGIN = ("-p", "autograd.pytest_plugin", "-p", "no:xdist", "-p", "no:hypothesispytest")


# ------------------------------------------------------------------ assert_grads_close


@pytest.mark.parametrize(
    "actual, expected",
    [
        (1.0, 1.0),
        ([1.0, (2.0, 3)], [1, [2.0, 3.0]]),  # lists and tuples, ints and floats interchange
        ({"w": [0.5, -1.0], "b": 2.0}, {"b": 2.0, "w": [0.5, -1.0]}),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]]),
        ([Value(1.5), Value(-2.0)], [1.5, -2.0]),  # a Value counts as its .data
        (math.nan, math.nan),
    ],
)
def test_equal_structures_pass(actual, expected):
    assert_grads_close(actual, expected)


def test_values_compare_by_data_so_pass_their_grads():
    a = Value(3.0)
    (a * a).backward()
    assert_grads_close([a.grad], [6.0])
    with pytest.raises(GradientMismatch):
        assert_grads_close([a], [6.0])  # a itself is 3.0


def test_create_graph_gradients_compare_by_their_data():
    a = Value(3.0)
    (a * a).backward(create_graph=True)
    assert isinstance(a.grad, Value)
    assert_grads_close(a.grad, 6.0)


def test_failure_lists_differing_entries_worst_first_with_paths():
    actual = {"w": [[0.1, 0.2], [0.3, 0.4]], "b": 1.0}
    expected = {"w": [[0.1, 0.25], [0.3, 0.4]], "b": 2.0}
    with pytest.raises(GradientMismatch) as caught:
        assert_grads_close(actual, expected)
    lines = str(caught.value).splitlines()
    assert lines[0] == "gradients differ: 2 of 5 entries (atol=1e-12, rtol=1e-06)"
    assert lines[1].split() == ["entry", "actual", "expected", "abs", "err", "rel", "err"]
    assert lines[2].split() == ["b", "1", "2", "1", "0.5", "FAIL"]
    assert lines[3].split() == ["w[0][1]", "0.2", "0.25", "0.05", "0.2", "FAIL"]
    assert len(lines) == 4  # passing entries are left out
    assert isinstance(caught.value, AssertionError)
    assert len(caught.value.report.entries) == 5


def test_names_label_the_top_level_entries():
    with pytest.raises(GradientMismatch, match=r"\n  layer0\.w\[1\] +2 +3 "):
        assert_grads_close([[1.0, 2.0], 0.5], [[1.0, 3.0], 0.5], names=["layer0.w", "layer0.b"])


def test_tolerances_follow_numpys_rule():
    assert_grads_close(1.0 + 1e-7, 1.0)  # within rtol 1e-6
    with pytest.raises(GradientMismatch):
        assert_grads_close(1.0 + 1e-5, 1.0)
    assert_grads_close(1e-9, 0.0, atol=1e-8)
    assert_grads_close(0.88, 0.8808, atol=1e-3)  # a hand-derived number to three places


@pytest.mark.parametrize(
    "actual, expected, message",
    [
        ([1.0, 2.0], [1.0], "lengths differ at the top: actual has 2 entries, expected 1"),
        ({"w": 1.0}, {"v": 1.0}, r"keys differ at the top: missing \['v'\], unexpected \['w'\]"),
        ([1.0, [2.0]], [1.0, 2.0], r"structures differ at \[1\]: actual is a list of 1"),
        ({"w": 1.0}, [1.0], "structures differ at the top: actual is a dict"),
    ],
)
def test_structure_mismatches_say_where(actual, expected, message):
    with pytest.raises(GradientMismatch, match=message):
        assert_grads_close(actual, expected)


def test_non_numbers_are_a_type_error():
    with pytest.raises(TypeError, match=r"actual at \[0\] is str, not a number"):
        assert_grads_close(["a"], [1.0])


def test_torch_tensors_compare_by_value(torch):
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert_grads_close(t, [1.0, 2.0])


# ------------------------------------------------------------------ the pytest plugin

GOOD = """
from autograd import Value

def test_gradients(gradcheck):
    report = gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.2], order=2)
    assert len(report.entries) == 6

def test_hand_derived(assert_grads_close):
    a, b = Value(2.0), Value(-3.0)
    (a * b + a).backward()
    assert_grads_close([a.grad, b.grad], [-2.0, 2.0])

def test_numeric(numerical_grad):
    assert abs(numerical_grad(lambda x: x * x, 3.0) - 6.0) < 1e-6
"""

WRONG = """
import math
from autograd import Value

def test_wrong_derivative(gradcheck):
    gradcheck(lambda x: Value(math.exp(x.data)) * x, [0.5])
"""


def test_plugin_fixtures_pass_on_correct_gradients(pytester):
    pytester.makepyfile(GOOD)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=3)


def test_plugin_failure_shows_the_table_at_the_users_line(pytester):
    pytester.makepyfile(WRONG)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*gradcheck(lambda x: Value(math.exp(x.data)) * x, ?0.5?)",  # ? for [ ]
            "E*GradcheckError: gradcheck: FAILED, 1 of 1 derivatives differ*",
            "E*derivative*analytic*numeric*abs err*rel err*",
            "E*∂f/∂x*1.648721271*2.473081906*FAIL*",  # e^x is frozen: e^x vs e^x (1 + x)
        ]
    )
    assert "def gradcheck(" not in result.stdout.str()  # the library's frames are hidden


def test_plugin_assert_grads_close_failure_shows_the_diff(pytester):
    pytester.makepyfile(
        """
        def test_grads(assert_grads_close):
            assert_grads_close({"w": [1.0, 2.0]}, {"w": [1.0, 2.5]})
        """
    )
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E*gradients differ: 1 of 2 entries*", "E*w?1?*2*2.5*0.5*FAIL*"])


def test_plugin_tolerances_come_from_ini_options(pytester):
    pytester.makeini("[pytest]\ngradcheck_atol = 10\ngradcheck_rtol = 0\n")
    pytester.makepyfile(WRONG)  # off by e^0.5 = 1.65, within atol 10
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1)


def test_plugin_keyword_tolerances_override_ini_options(pytester):
    pytester.makeini("[pytest]\ngradcheck_atol = 10\n")
    pytester.makepyfile(
        """
        import math
        from autograd import Value

        def test_strict(gradcheck):
            gradcheck(lambda x: Value(math.exp(x.data)) * x, [0.5], atol=1e-5)
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(failed=1)


def test_plugin_rejects_a_non_numeric_ini_option(pytester):
    pytester.makeini("[pytest]\ngradcheck_eps = tiny\n")
    pytester.makepyfile(WRONG)
    result = pytester.runpytest(*PLUGIN)
    result.stdout.fnmatch_lines(["*gradcheck_eps must be a number, got 'tiny'*"])


# The README's "Checking your gradients" example, verbatim: it must keep passing.
README_STUDENT_TEST = """
import numpy as np

from nn import MLP


def test_two_layer_network_gradients(gradcheck, assert_grads_close):
    model = MLP(2, [3, 1], activation="tanh", seed=0)  # y_hat = v . tanh(W x + b) + c
    x, y = [0.5, -1.2], 0.3
    loss = lambda: (model(x) - y) ** 2
    gradcheck(loss, model.parameters())  # backprop vs finite differences, every parameter

    # By hand: h = tanh(W x + b), dL/dc = 2 (y_hat - y), dL/dv = dL/dc h, dL/db = dL/dc v (1 - h^2)
    hidden, output = model.layers
    W = np.array([[w.data for w in n.w] for n in hidden.neurons])
    b = np.array([n.b.data for n in hidden.neurons])
    v, c = np.array([w.data for w in output.neurons[0].w]), output.neurons[0].b.data
    h = np.tanh(W @ x + b)
    dc = 2 * (v @ h + c - y)
    db = dc * v * (1 - h**2)
    expected = [g for j in range(3) for g in [*(db[j] * np.array(x)), db[j]]] + [*(dc * h), dc]

    loss().backward()
    names, params = zip(*model.named_parameters())
    assert_grads_close([p.grad for p in params], expected, names=names)
"""


def test_readme_two_layer_network_example_passes(pytester):
    pytester.makepyfile(README_STUDENT_TEST)
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_readme_example_fails_readably_on_a_wrong_hand_derivation(pytester):
    pytester.makepyfile(README_STUDENT_TEST.replace("(1 - h**2)", "(1 - h)"))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E*gradients differ: 9 of 13 entries*", "E*entry*actual*expected*", "E*layer0.neuron*"]
    )
