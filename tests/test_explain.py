"""explain(): the chain rule written out, its numbers checked against the backward pass."""

from __future__ import annotations

import ast

import numpy as np
import pytest
from catalogue import UNARY, points

from autograd import Tensor, Value
from autograd.custom import define_op
from autograd.explain import MAX_PATHS, NUMERIC_SAMPLES, explain
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


# ------------------------------------------------------------------ Tensor graphs


def layer():
    """loss = sum(relu(X @ W + b)^2): a batch of 2 through a 2 -> 3 layer, b broadcast."""
    X = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]]), label="X", requires_grad=False)
    W = Tensor(np.array([[0.5, -1.0, 0.25], [0.75, 0.5, -0.5]]), label="W")
    b = Tensor(np.array([0.1, -0.2, 0.3]), label="b")
    loss = ((X @ W + b).relu() ** 2).sum()
    loss.label = "loss"
    return X, W, b, loss


def test_tensor_derivation_names_shapes_and_writes_vjps_in_matrix_form():
    _, W, _, loss = layer()
    assert str(explain(loss, W)).splitlines() == [
        "dloss/dW, W of shape (2,3)",
        "",
        "Inputs",
        "  X (2,2) = [[1, 2], [-1, 0.5]]",
        "  W (2,3) = [[0.5, -1, 0.25], [0.75, 0.5, -0.5]]",
        "  b (3,) = [0.1, -0.2, 0.3]",
        "",
        "Definitions, each op with its shapes",
        "  n1 = X @ W       matmul (2,2)@(2,3) -> (2,3)",
        "     = [[2, 0, -0.75], [-0.125, 1.25, -0.5]]",
        "  n2 = n1 + b      + (2,3), (3,) -> (2,3)",
        "     = [[2.1, -0.2, -0.45], [-0.025, 1.05, -0.2]]",
        "  n3 = relu(n2)    relu (2,3) -> (2,3)",
        "     = [[2.1, 0, 0], [0, 1.05, 0]]",
        "  n4 = n3^2        **2 (2,3) -> (2,3)",
        "     = [[4.41, 0, 0], [0, 1.1025, 0]]",
        "  loss = sum(n4)   sum (2,3) -> ()",
        "       = 5.5125",
        "",
        "Local derivatives, one per edge, as vector-Jacobian products (g_v = dloss/dv, shaped "
        "like v)",
        "  ∂loss/∂n4:  g_n4 += broadcast(g_loss, (2,3))",
        "  ∂n4/∂n3:    g_n3 += g_n4 ⊙ (2 · n3)",
        "              (entry by entry, ∂n4/∂n3 = 2 · n3 = [[4.2, 0, 0], [0, 2.1, 0]])",
        "  ∂n3/∂n2:    g_n2 += g_n3 ⊙ [n2 > 0]",
        "              (entry by entry, ∂n3/∂n2 = [n2 > 0] = [[1, 0, 0], [0, 1, 0]])",
        "  ∂n2/∂n1:    g_n1 += g_n2",
        "              (entry by entry, ∂n2/∂n1 = 1)",
        "  ∂n1/∂W:     g_W += X^T @ g_n1",
        "",
        "Chain rule by reverse accumulation, from loss down to W",
        "  g_loss = 1",
        "  g_n4 = broadcast(g_loss, (2,3)) = [[1, 1, 1], [1, 1, 1]]",
        "  g_n3 = g_n4 ⊙ (2 · n3) = [[4.2, 0, 0], [0, 2.1, 0]]",
        "  g_n2 = g_n3 ⊙ [n2 > 0] = [[4.2, 0, 0], [0, 2.1, 0]]",
        "  g_n1 = g_n2 = [[4.2, 0, 0], [0, 2.1, 0]]",
        "  g_W = X^T @ g_n1 = [[4.2, -2.1, 0], [8.4, 1.05, 0]]",
        "  dloss/dW = g_W = [[4.2, -2.1, 0], [8.4, 1.05, 0]]",
        "",
        "Check: the backward pass gives dloss/dW = [[4.2, -2.1, 0], [8.4, 1.05, 0]] ✓",
        "Check: finite differences give dloss/dW = [[4.2, -2.1, 0], [8.4, 1.05, 0]] ✓ (every "
        "entry of W)",
    ]


def test_tensor_gradients_equal_backward_and_torch(torch):
    X, W, b, loss = layer()
    derivations = {x.label: explain(loss, x) for x in (W, b)}
    loss.backward()
    for x in (W, b):
        d = derivations[x.label]
        np.testing.assert_array_equal(d.value, x.grad)  # the same rules, in the same order
        np.testing.assert_array_equal(d.expected, x.grad)
        assert d.verified and d.method == "adjoints" and d.numeric_agrees
        np.testing.assert_allclose(d.numeric, x.grad, rtol=1e-6)
    tX = torch.tensor(X.data)
    tW, tb = (torch.tensor(x.data, requires_grad=True) for x in (W, b))
    ((tX @ tW + tb).relu() ** 2).sum().backward()
    np.testing.assert_allclose(derivations["W"].value, tW.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(derivations["b"].value, tb.grad.numpy(), rtol=1e-14)
    for x, t in ((W, tW), (b, tb)):  # the printed numbers too, to the 6 digits shown
        last = [line for line in derivations[x.label].text.splitlines() if " = g_" in line][-1]
        printed = ast.literal_eval(last.split(" = ")[-1])
        np.testing.assert_allclose(printed, t.grad.numpy(), rtol=1e-6)


def test_explaining_a_tensor_graph_touches_no_grad():
    _, W, b, loss = layer()
    explain(loss, W)
    assert W.grad is None and b.grad is None and loss.grad is None


def test_a_broadcast_input_has_its_gradient_summed_back_and_says_over_which_axis():
    _, _, b, loss = layer()
    text = str(explain(loss, b))
    assert "  ∂n2/∂b:     g_b += sum_to(g_n2, (3,))" in text
    assert "b was broadcast from (3,) to (2,3): its gradient is summed over axis 0" in text
    assert "  g_b = sum_to(g_n2, (3,)) = [4.2, 2.1, 0]" in text


def test_a_matrix_vector_product_writes_its_outer_product():
    W = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], label="W")
    x = Tensor([1.0, -1.0, 2.0], label="x")
    y = (W @ x).sum()
    text = str(explain(y, W))
    assert "  n1 = W @ x     matmul (2,3)@(3,) -> (2,)" in text
    assert "  ∂n1/∂W:   g_W += g_n1 ⊗ x" in text
    assert "  g_W = g_n1 ⊗ x = [[1, -1, 2], [1, -1, 2]]" in text
    assert "  ∂n1/∂x:   g_x += W^T @ g_n1" in str(explain(y, x))


def test_a_reused_tensor_adds_its_terms_and_the_children_of_a_node_add_up():
    x = Tensor([1.0, -2.0], label="x")
    y = (x * x).sum() + x.sum()
    derivation = explain(y, x)
    assert "g_x += g_n1 ⊙ (x + x)" in derivation.text
    assert "  g_x = g_n1 ⊙ (x + x) + broadcast(g_n3, (2,))" in derivation.text
    assert "broadcast(g_n3, (2,)) = [2, -4] + [1, 1] = [3, -3]" in derivation.text
    assert derivation.value.tolist() == [3.0, -3.0] and derivation.verified


def test_tensor_latex_and_markdown_use_matrices():
    _, W, _, loss = layer()
    derivation = explain(loss, W)
    assert derivation.latex.count(r"\begin{aligned}") == 4
    assert r"g_{W} &= X^{\top} \, g_{n_{1}} = \begin{bmatrix}4.2 & -2.1 & 0 \\ 8.4 & 1.05 & 0" in (
        derivation.latex
    )
    assert r"\frac{\partial n_{1}}{\partial W} &: g_{W} += X^{\top} \, g_{n_{1}}" in (
        derivation.latex
    )
    assert r"&& \text{matmul (2,2)@(2,3) -> (2,3)}" in derivation.latex
    markdown = derivation.markdown
    assert markdown.splitlines()[0] == r"**$\frac{d \mathrm{loss}}{d W}$, $W$ of shape (2,3)**"
    row = r"- $g_{n_{1}} = g_{n_{2}} = \begin{bmatrix}4.2 & 0 & 0 \\ 0 & 2.1 & 0\end{bmatrix}$"
    assert row in markdown


def test_arrays_past_max_entries_are_summarised_and_the_text_says_so():
    w = Tensor(np.linspace(-1.0, 1.0, 30).reshape(5, 6), label="w")
    derivation = explain((w * w).sum(), w, max_entries=20)
    text = derivation.text
    assert "  w (5,6) = <30 entries, summarised: min -1, max 1, norm 3.2695>" in text
    assert "  g_w = g_n1 ⊙ (w + w) = <30 entries, summarised: min -2, max 2, norm 6.53901>" in text
    assert text.splitlines()[-1] == (
        "Arrays of more than max_entries=20 entries are summarised (min, max, norm); pass a "
        "larger max_entries to see them whole."
    )
    np.testing.assert_array_equal(derivation.value, 2 * w.data)  # the numbers are all kept
    assert r"\langle \text{30 entries, summarised: min }" in derivation.latex
    assert "summarised" not in explain((w * w).sum(), w, max_entries=30).text


def test_finite_differences_sample_a_large_wrt_and_say_how_many_entries():
    w = Tensor(np.linspace(-1.0, 1.0, 100), label="w")
    derivation = explain((w * w * w).sum(), w)
    assert derivation.verified
    assert f"finite differences agree at {NUMERIC_SAMPLES} of 100 entries of w ✓" in (
        derivation.text
    )
    checked = ~np.isnan(derivation.numeric)
    assert checked.sum() == NUMERIC_SAMPLES and checked[0] and checked[-1]
    np.testing.assert_allclose(derivation.numeric[checked], 3 * w.data[checked] ** 2, rtol=1e-6)


def test_a_graph_past_max_size_is_refused_naming_the_array_and_its_size():
    _, W, b, loss = layer()
    with pytest.raises(ValueError, match=r"explain: wrt has 6 entries \(shape \(2, 3\)\), more "):
        explain(loss, W, max_size=5)
    with pytest.raises(ValueError, match=r"explain: n1 \(matmul output\) has 6 entries .*=5;"):
        explain(loss, b, max_size=5)
    big = Tensor([1.0, 2.0, 3.0], label="big")
    with pytest.raises(ValueError, match=r"explain: wrt has 3 entries \(shape \(3,\)\), more than"):
        explain(big.sum(), big, max_size=2)


@pytest.mark.parametrize("argument", ["max_entries", "max_size"])
@pytest.mark.parametrize("bad", [0, -3, 1.5, True])
def test_tensor_limits_must_be_positive_ints(argument, bad):
    _, W, _, loss = layer()
    with pytest.raises(ValueError, match=f"{argument} must be a positive int, got {bad!r}"):
        explain(loss, W, **{argument: bad})


def test_tensor_root_must_be_one_element_and_types_must_match():
    x = Tensor([1.0, 2.0], label="x")
    with pytest.raises(ValueError, match=r"root must be a one-element Tensor .*shape \(2,\)"):
        explain(x * x, x)
    with pytest.raises(TypeError, match="both be Values or both Tensors, got Tensor and Value"):
        explain(x.sum(), Value(1.0))
    with pytest.raises(ValueError, match="method='paths' is for Value graphs"):
        explain(x.sum(), x, method="paths")
    c = Tensor([1.0, 2.0], requires_grad=False)
    with pytest.raises(ValueError, match="wrt has requires_grad=False"):
        explain((x * c).sum(), c)


def test_tensor_root_independent_of_wrt_and_root_equal_to_wrt():
    x, z = Tensor([1.0, 2.0], label="x"), Tensor([[3.0]], label="z")
    derivation = explain(x.sum(), z)
    assert derivation.value.tolist() == [[0.0]] and derivation.verified
    assert str(derivation) == "y does not depend on z: dy/dz = 0 (zeros of shape (1,1))"
    assert explain(z, z).value.tolist() == [[1.0]]


def test_an_interior_tensor_wrt_and_unlabelled_leaves_get_names():
    x = Tensor([0.5, -1.0])
    h = x * np.array([2.0, 3.0])
    h.label = "h"
    y = h.tanh().sum()
    derivation = explain(y, h)
    assert "  p1 (2,) = [0.5, -1]" in derivation.text  # an unlabelled parameter: p1
    assert "  c1 (2,) = [2, 3]" in derivation.text  # an unlabelled constant array: c1
    assert derivation.value == pytest.approx(1 - np.tanh(h.data) ** 2) and derivation.verified


def test_a_wrong_custom_tensor_derivative_fails_the_finite_difference_check():
    wrong = define_op(
        "wrong_cube_t", lambda x: x**3, lambda out, x: (2 * x * x,), array=lambda a: a**3
    )
    x = Tensor([1.0, 2.0], label="x")
    derivation = explain(wrong(x).sum(), x)
    assert derivation.backward_agrees and derivation.numeric_agrees is False
    assert not derivation.verified
    np.testing.assert_allclose(derivation.numeric, [3.0, 12.0], rtol=1e-6)
    assert "✗ MISMATCH: a local derivative is wrong" in derivation.text
    assert "g_x += g_n1 ⊙ ∂n1/∂x" in derivation.text  # no formula: the rule's numbers only


def test_relu_at_a_kink_entry_is_accepted_and_counted():
    x = Tensor([0.0, 1.5], label="x")
    derivation = explain(x.relu().sum(), x)
    assert derivation.verified and derivation.value.tolist() == [0.0, 1.0]
    assert "(1 at a kink, where any slope between the one-sided ones will do)" in derivation.text


def test_float32_tensors_are_checked_in_float64():
    w = Tensor(np.array([0.3, -0.7], dtype=np.float32), label="w")
    derivation = explain((w * w).exp().sum(), w)
    assert derivation.value.dtype == np.float32 and derivation.verified


def test_a_structural_op_without_a_formula_is_named_and_its_numbers_still_shown():
    from autograd.ops.core import Op, apply

    # An unregistered entry with a VJP but no vjp_formulas: explain says so, naming the op.
    twice_sum = Op(
        "twice_sum", 1, array=lambda a: 2.0 * a.sum(), vjps=(lambda g, y, a: 2.0 * g + 0 * a,)
    )
    x = Tensor([1.0, -2.0, 0.5], label="x")
    derivation = explain(apply(twice_sum, (x,)), x)
    assert "  ∂n1/∂x:  g_x += vjp_twice_sum(g_n1)" in derivation.text
    assert "(no formula for the op 'twice_sum': the numbers come from its VJP rule)" in (
        derivation.text
    )
    assert derivation.value.tolist() == [2.0, 2.0, 2.0] and derivation.verified
