"""Every checking and functional tool accepts Tensor functions: grad, value_and_grad, jacobian,
hessian, hvp, numerical_grad, gradcheck (orders 1 and 2), compare_with_torch, assert_grads_close;
second derivatives of tensor graphs against PyTorch float64."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import (
    GradcheckError,
    Tensor,
    assert_grads_close,
    compare_with_torch,
    grad,
    gradcheck,
    hessian,
    hvp,
    jacobian,
    numerical_grad,
    value_and_grad,
)

X0 = np.array([0.3, -0.7, 1.2])


def f(x):  # tanh(|x|^2) + sum x e^x, on Tensors and torch tensors alike
    return (x * x).sum().tanh() + (x.exp() * x).sum()


def test_value_and_grad_of_a_tensor_function_matches_torch(torch):
    value, g = value_and_grad(f)(Tensor(X0))
    t = torch.tensor(X0, requires_grad=True)
    expected = f(t)
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-14)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-13)


def test_jacobian_of_a_tensor_function_matches_torch(torch):
    fn = lambda x: (x * x[[2, 0, 1]]).tanh()
    expected = torch.autograd.functional.jacobian(fn, torch.tensor(X0))
    np.testing.assert_allclose(jacobian(fn)(Tensor(X0)), expected.numpy(), rtol=1e-13)


def test_hessian_and_hvp_of_a_tensor_function_match_torch(torch):
    expected = torch.autograd.functional.hessian(f, torch.tensor(X0)).numpy()
    np.testing.assert_allclose(hessian(f)(Tensor(X0)), expected, rtol=1e-12)
    v = np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(hvp(f, Tensor(X0), v), expected @ v, rtol=1e-12)


def test_grad_takes_tensor_outputs_and_inputs_and_leaves_grad_alone():
    x = Tensor(X0)
    y = x * x
    (g,) = grad(y, [x], grad_outputs=[np.array([1.0, 2.0, 3.0])])
    np.testing.assert_array_equal(g, 2 * X0 * [1.0, 2.0, 3.0])
    assert x.grad is None
    unused = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(grad(y.sum(), unused), [0.0, 0.0])


def test_grad_of_a_many_element_tensor_needs_grad_outputs():
    x = Tensor(X0)
    with pytest.raises(ValueError, match=r"outputs\[0\] has shape \(3,\)"):
        grad(x * x, [x])


def test_numerical_grad_of_a_tensor_function_has_the_tensor_shape():
    g = numerical_grad(lambda x: f(x), [Tensor(X0)])[0]
    assert g.shape == (3,)
    np.testing.assert_allclose(g, value_and_grad(f)(Tensor(X0))[1], rtol=1e-7)


def test_gradcheck_second_order_on_a_matrix_function():
    w, b = Tensor(np.array([[0.3, -0.5], [0.7, 1.1]])), Tensor(np.array([0.2, -0.4]))
    report = gradcheck(lambda w, b: ((w @ b).sigmoid() * b).sum(), [w, b], order=2)
    assert report.passed and len(report.entries) == 6 + 36
    assert report.entries[0].name == "∂f/∂w[0, 0]"


def test_gradcheck_catches_a_wrong_tensor_rule():
    from autograd.ops import REGISTRY
    from autograd.ops.core import Op, apply

    wrong = Op("wrong_square", 1, array=np.square, derivatives=lambda out, x: (x,))  # not 2x
    x = Tensor(X0)
    with pytest.raises(GradcheckError, match="3 of 3 derivatives differ"):
        gradcheck(lambda x: apply(wrong, (x,)).sum(), [x], raise_on_failure=True)
    assert "wrong_square" not in REGISTRY  # an unregistered op works as well


def test_gradcheck_refuses_float32_tensor_inputs():
    with pytest.raises(TypeError, match="float32; finite differences need float64"):
        gradcheck(lambda x: x.sum(), [Tensor(X0, dtype=np.float32)])


def test_compare_with_torch_on_tensors_to_order_2(torch):
    report = compare_with_torch(f, [Tensor(X0)], order=2)
    assert report.passed and len(report.entries) == 1 + 3 + 9


def test_assert_grads_close_compares_tensor_gradients():
    x = Tensor(X0)
    (x * x).sum().backward()
    assert_grads_close(x.grad, 2 * X0)
    assert_grads_close(Tensor(2 * X0), list(2 * X0))


def test_check_local_derivatives_checks_tensor_ops_and_catches_a_wrong_rule():
    from autograd import check_local_derivatives
    from autograd.ops.core import Op, apply

    x = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]]), label="x")
    w = Tensor(np.array([0.5, -0.2]), label="w")
    y = ((x @ w).tanh() * x.sum(axis=1)).softmax(axis=0)
    for node in (y, y.parents[0], y.parents[0].parents[0], y.parents[0].parents[0].parents[0]):
        status, entries = check_local_derivatives(node)
        assert status == "ok" and entries, (str(node.op), entries)
    wrong = Op("wrong_square", 1, array=np.square, derivatives=lambda out, x: (x,))  # not 2x
    status, entries = check_local_derivatives(apply(wrong, (x,)))
    assert status == "fail" and len(entries) == 4


def test_draw_graph_check_marks_a_wrong_tensor_op():
    pytest.importorskip("graphviz")
    from autograd import draw_graph
    from autograd.ops.core import Op, apply

    wrong = Op("wrong_square", 1, array=np.square, derivatives=lambda out, x: (x,))
    x = Tensor(np.array([1.0, 2.0]), label="x")
    source = draw_graph(apply(wrong, (x,)).sum(), check=True).source
    assert "✗" in source and "wrong_square" in source
