"""explain(): the chain rule written out, its numbers checked against the backward pass."""

from __future__ import annotations

import pytest
from catalogue import UNARY, points

from autograd import Value
from autograd.custom import define_op
from autograd.explain import MAX_PATHS, explain
from autograd.functional import grad


def two_paths():
    """c = a*b + a at a = 2, b = -3: dc/da = b + 1 = -2 along two paths."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b + a
    c.label = "c"
    return a, b, c


def test_two_path_derivation_reads_like_the_hand_derivation():
    a, _, c = two_paths()
    assert str(explain(c, a)).splitlines() == [
        "dc/da at a = 2, b = -3",
        "",
        "Definitions",
        "  n1 = a · b = 2 · (-3) = -6",
        "  c = n1 + a = -6 + 2 = -4",
        "",
        "Local derivatives, one per edge",
        "  ∂c/∂n1 = 1",
        "  ∂c/∂a = 1",
        "  ∂n1/∂a = b = -3",
        "",
        "Chain rule, summing over the 2 paths from c to a",
        "  dc/da = ∂c/∂n1 · ∂n1/∂a + ∂c/∂a",
        "        = 1 · (-3) + 1",
        "        = -2",
        "",
        "Check: the backward pass gives dc/da = -2 ✓",
        "Check: finite differences give dc/da = -2 ✓",
    ]


def test_the_final_number_equals_the_backward_pass():
    a, b, c = two_paths()
    derivation = explain(c, a)
    c.backward()
    assert derivation.value == a.grad == -2.0
    assert derivation.expected == -2.0 and derivation.verified
    assert derivation.paths == 2 and derivation.method == "paths"
    assert explain(c, b).value == b.grad == 2.0


def test_explain_touches_no_grad():
    a, b, c = two_paths()
    explain(c, a)
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)


def test_latex_has_one_aligned_block_per_section():
    a, _, c = two_paths()
    latex = explain(c, a).latex
    assert latex.count(r"\begin{aligned}") == 3
    assert r"n_{1} &= a \cdot b = 2 \cdot (-3) = -6" in latex
    assert r"\frac{\partial n_{1}}{\partial a} &= b = -3" in latex
    assert r"&= 1 \cdot (-3) + 1 \\" in latex and "&= -2\n" in latex


def test_markdown_wraps_the_maths_for_rendering():
    a, _, c = two_paths()
    markdown = explain(c, a).markdown
    assert markdown.splitlines()[0] == r"**$\frac{d c}{d a}$ at $a = 2$, $b = -3$**"
    assert r"- $\frac{\partial c}{\partial n_{1}} = 1$" in markdown
    assert "$$\n\\begin{aligned}" in markdown
    assert markdown.splitlines()[-3:] == [
        r"Check: the backward pass gives $\frac{d c}{d a} = -2$ ✓",
        "",
        r"Check: finite differences give $\frac{d c}{d a} = -2$ ✓",
    ]


def test_adjoint_method_accumulates_node_by_node_to_the_same_number():
    a, _, c = two_paths()
    derivation = explain(c, a, method="adjoints")
    lines = str(derivation).splitlines()
    assert "  dc/dn1 = dc/dc · ∂c/∂n1 = 1 · 1 = 1" in lines
    assert "  dc/da = dc/dn1 · ∂n1/∂a + dc/dc · ∂c/∂a = 1 · (-3) + 1 · 1 = -2" in lines
    assert derivation.value == -2.0 and derivation.verified


def test_many_paths_switch_to_reverse_accumulation():
    w = Value(1.5, "w")
    z = w
    for _ in range(6):
        z = z * w + z  # the number of paths grows like Fibonacci
    derivation = explain(z, w)
    assert derivation.paths > MAX_PATHS and derivation.method == "adjoints"
    assert derivation.value == pytest.approx(grad(z, w), rel=1e-12) and derivation.verified


def test_unlabelled_wrt_is_called_x_and_a_reused_input_sums_its_local_derivatives():
    x = Value(3.0)
    y = x * x
    text = str(explain(y, x))
    assert "  n1 = x · x = 3 · 3 = 9" in text
    assert "  ∂n1/∂x = x + x = 6" in text
    assert explain(y, x).value == 6.0


def test_constants_are_shown_as_numbers():
    x = Value(2.0, "x")
    y = (x * 3.0).exp()
    text = str(explain(y, x))
    assert "  n1 = x · 3 = 2 · 3 = 6" in text
    assert "  ∂n2/∂n1 = exp(n1) = 403.429" in text


def test_a_root_independent_of_wrt_derives_zero():
    _, _, c = two_paths()
    other = Value(1.0, "z")
    derivation = explain(c, other)
    assert derivation.value == 0.0 and derivation.verified
    assert str(derivation) == "c does not depend on z: dc/dz = 0"


def test_unknown_ops_show_the_number_of_their_rule():
    cube = define_op("cube", lambda x: x**3, lambda out, x: 3 * x * x)
    x = Value(2.0, "x")
    text = str(explain(cube(x), x))
    assert "  n1 = cube(x) = cube(2) = 8" in text
    assert "  ∂n1/∂x = 12" in text


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_every_unary_op_derivation_is_verified(op):
    for value in points(op):
        x = Value(value, "x")
        derivation = explain(op.fn(x), x)
        assert derivation.verified, str(derivation)
        assert derivation.value == pytest.approx(grad(op.fn(x), x), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("method", ["sideways", ""])
def test_unknown_method_is_rejected(method):
    a, _, c = two_paths()
    with pytest.raises(ValueError, match="method must be 'auto', 'paths' or 'adjoints'"):
        explain(c, a, method=method)


def test_non_values_are_rejected():
    with pytest.raises(TypeError, match="root and wrt must be Values, got float and Value"):
        explain(1.0, Value(1.0))


def test_derivative_with_respect_to_an_interior_node():
    x = Value(2.0, "x")
    h = x * x
    h.label = "h"
    y = h.exp()
    derivation = explain(y, h)
    assert str(derivation).splitlines()[0] == "dn1/dh at h = 4"
    assert derivation.value == pytest.approx(grad(y, h)) and derivation.verified


def test_derivative_of_a_node_with_respect_to_itself_is_one():
    x = Value(2.0, "x")
    derivation = explain(x, x)
    assert derivation.value == 1.0 and derivation.verified
    assert "  dx/dx = 1" in str(derivation)


def wide_graph(n: int):
    """y = x + sum_i (a_i b_i) x: n computed operands (a_i b_i) and 2n named leaves."""
    x = Value(0.5, "x")
    y = x
    for i in range(n):
        y = y + Value(0.1, f"a{i}") * Value(0.2, f"b{i}") * x
    return y, x


def test_explain_does_no_linear_scans(monkeypatch):
    # Its time was quadratic in the node count (4x the nodes took 12x the time): lists searched
    # with `in` for every node. Such scans compare nodes with ==, so count those comparisons.
    comparisons = 0

    def counting_eq(self, other):
        nonlocal comparisons
        comparisons += 1
        return self is other

    y, x = wide_graph(300)  # 1,200 nodes
    monkeypatch.setattr(Value, "__eq__", counting_eq)
    derivation = explain(y, x)
    assert derivation.verified and derivation.value == pytest.approx(1 + 300 * 0.02)
    assert comparisons < 300  # was 336,300


def test_explain_refuses_a_graph_past_its_node_budget():
    y, x = wide_graph(100)
    with pytest.raises(ValueError, match=r"would define 300 nodes, more than max_nodes=299"):
        explain(y, x, max_nodes=299)
    assert explain(y, x, max_nodes=300).verified


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_explain_max_nodes_must_be_a_positive_int(bad):
    a, _, c = two_paths()
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        explain(c, a, max_nodes=bad)


def test_a_wrong_custom_derivative_fails_the_finite_difference_check_and_says_so():
    wrong_cube = define_op("wrong_cube", lambda x: x**3, lambda out, x: 2 * x * x)  # not 3x^2
    x = Value(2.0, "x")
    y = wrong_cube(x) + x
    y.label = "y"
    derivation = explain(y, x)
    assert derivation.value == derivation.expected == 2 * 4.0 + 1  # backprop uses the same rule
    assert derivation.backward_agrees is True
    assert derivation.numeric == pytest.approx(3 * 4.0 + 1, rel=1e-6)
    assert derivation.numeric_agrees is False and derivation.verified is False
    lines = str(derivation).splitlines()
    assert lines[-2] == "Check: the backward pass gives dy/dx = 9 ✓"
    assert lines[-1].startswith("Check: finite differences give dy/dx = 13, but this derivation")
    assert "✗ MISMATCH: a local derivative is wrong" in lines[-1]


def test_a_right_custom_derivative_passes_both_checks():
    cube = define_op("cube_ok", lambda x: x**3, lambda out, x: 3 * x * x)
    x = Value(2.0, "x")
    derivation = explain(cube(x), x)
    assert derivation.numeric == pytest.approx(12.0, rel=1e-6)
    assert derivation.backward_agrees and derivation.numeric_agrees and derivation.verified


def test_relu_at_its_kink_is_accepted_by_the_one_sided_slopes():
    x = Value(0.0, "x")
    derivation = explain(x.relu(), x)
    assert derivation.verified and derivation.numeric_agrees
    assert "kink here, slopes 0 (left), 1 (right)" in derivation.text
