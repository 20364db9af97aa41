"""The functional API (grad, value_and_grad, jacobian, hessian, hvp), second derivatives of every
primitive against their closed forms, the Rosenbrock Hessian, and the Newton example."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from catalogue import BINARY, UNARY, isclose, pairs, points

from autograd import Value
from autograd.functional import grad, hessian, hvp, jacobian, value_and_grad

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ grad on a graph


def test_grad_returns_gradients_without_touching_any_grad():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    n1 = c.parents[0]
    assert grad(c, [a, b]) == [-2.0, 2.0]
    assert (a.grad, b.grad, c.grad, n1.grad) == (0.0, 0.0, 0.0, 0.0)


def test_grad_with_create_graph_touches_no_grad_either():
    x = Value(1.5)
    y = x.exp() * x
    (dy,) = grad(y, [x], create_graph=True)
    assert isinstance(dy, Value) and x.grad == 0.0 and y.grad == 0.0
    assert dy.data == pytest.approx(math.exp(1.5) * 2.5)


@pytest.mark.parametrize("op", UNARY + BINARY, ids=lambda op: op.name)
def test_grad_matches_backward_on_every_op(op):
    args_list = [(x,) for x in points(op)] if op in UNARY else pairs(op)
    for args in args_list:
        vals = [Value(a) for a in args]
        out = op.fn(*vals)
        ours = grad(out, vals)
        out.backward()
        assert ours == [v.grad for v in vals], (op.name, args)


def test_grad_of_a_single_input_is_a_single_number():
    x = Value(3.0)
    assert grad(x * x, x) == 6.0


def test_grad_of_an_unreached_input_is_zero():
    x, z = Value(3.0), Value(1.0)
    assert grad(x * x, [x, z]) == [6.0, 0.0]
    unreached = grad(x * x, z, create_graph=True)
    assert isinstance(unreached, Value) and unreached.data == 0.0


def test_grad_with_respect_to_an_interior_node():
    x = Value(2.0)
    h = x * x
    y = h.exp()
    assert grad(y, h) == pytest.approx(math.exp(4.0))


def test_grad_of_several_outputs_adds_them_weighted_by_grad_outputs():
    x = Value(2.0)
    outputs = [x * x, x * 3.0]
    assert grad(outputs, x) == 4.0 + 3.0
    assert grad(outputs, x, grad_outputs=[10.0, -1.0]) == 40.0 - 3.0


def test_grad_counts_a_reused_node_on_every_path():
    a = Value(3.0)
    b = a + a
    c = b * b  # c = 4 a^2
    assert grad(c, a) == 24.0


def test_grad_of_a_grad_is_a_second_derivative():
    x = Value(0.7)
    y = x.sin() * x
    (dy,) = grad(y, [x], create_graph=True)
    assert grad(dy, x) == pytest.approx(2 * math.cos(0.7) - 0.7 * math.sin(0.7), rel=1e-12)


def test_third_derivative_by_nesting_grad():
    x = Value(0.4)
    y = x.sin()
    d1 = grad(y, x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    assert grad(d2, x) == pytest.approx(-math.cos(0.4), rel=1e-12)  # sin''' = -cos


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: grad(x * x, [x], grad_outputs=[1.0, 2.0]), ValueError, "1 outputs but 2"),
        (lambda x: grad(x * x, [2.0]), TypeError, r"inputs\[0\] must be a Value or a Tensor, got"),
        (lambda x: grad("y", [x]), TypeError, r"outputs\[0\] must be a Value, a Tensor or a num"),
    ],
)
def test_grad_rejects_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(Value(1.0))


# ------------------------------------------------------------------ transforms of functions


def test_value_and_grad_of_a_number_argument():
    value, g = value_and_grad(lambda x: x**3)(2.0)
    assert (value, g) == (8.0, 12.0)


def test_value_and_grad_mirrors_lists_tuples_and_arrays():
    f = lambda w: w[0] * w[1] + w[0]
    assert value_and_grad(f)([2.0, -3.0]) == (-4.0, [-2.0, 2.0])
    assert value_and_grad(f)((2.0, -3.0)) == (-4.0, (-2.0, 2.0))
    value, g = value_and_grad(lambda m: (m * m).sum())(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert value == 30.0 and isinstance(g, np.ndarray) and g.dtype == float
    np.testing.assert_array_equal(g, [[2.0, 4.0], [6.0, 8.0]])


def test_value_and_grad_with_several_argnums_returns_a_tuple():
    f = lambda x, y, z: x * y * z
    assert value_and_grad(f, argnums=(0, 2))(2.0, 3.0, 4.0) == (24.0, (12.0, 6.0))
    assert value_and_grad(f, argnums=-1)(2.0, 3.0, 4.0) == (24.0, 6.0)


def test_value_and_grad_of_a_constant_function_is_zero():
    assert value_and_grad(lambda x: 5.0)(1.0) == (5.0, 0.0)


def test_value_and_grad_rejects_vector_outputs_and_bad_argnums():
    with pytest.raises(TypeError, match=r"f must return a scalar.*use jacobian"):
        value_and_grad(lambda v: [v[0], v[1]])([1.0, 2.0])
    with pytest.raises(ValueError, match="argnums 3 out of range for 1 arguments"):
        value_and_grad(lambda x: x, argnums=3)(1.0)


def test_jacobian_is_shaped_outputs_by_inputs():
    J = jacobian(lambda v: [v[0] * v[1], v[0] + v[1], v[1].exp()])([2.0, 5.0])
    assert J.shape == (3, 2)
    np.testing.assert_allclose(J, [[5.0, 2.0], [1.0, 1.0], [0.0, math.exp(5.0)]])


def test_jacobian_of_scalars_is_a_float_and_of_arrays_has_both_shapes():
    assert jacobian(lambda x: x * x)(3.0) == 6.0
    J = jacobian(lambda m: m * 2.0)(np.ones((2, 3)))
    assert J.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(J.reshape(6, 6), 2.0 * np.eye(6))


def test_jacobian_with_two_argnums():
    Jx, Jy = jacobian(lambda x, y: [x * y, x - y], argnums=(0, 1))(2.0, 3.0)
    np.testing.assert_array_equal(Jx, [3.0, 1.0])
    np.testing.assert_array_equal(Jy, [2.0, -1.0])


def test_hessian_of_a_quadratic_form_is_its_symmetric_matrix():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])

    def f(x):  # x^T A x / 2
        return sum(A[i, j] * x[i] * x[j] for i in range(3) for j in range(3)) / 2

    np.testing.assert_allclose(hessian(f)([0.3, -1.0, 2.0]), A, rtol=1e-14)


def test_hessian_of_one_number_is_a_float():
    assert hessian(lambda x: x.exp())(0.0) == 1.0


def test_hvp_equals_the_hessian_times_the_vector():
    f = lambda w: (w[0] * w[1]).tanh() + w[2] ** 3 * w[0]
    x, v = [0.3, -0.8, 1.1], [1.0, -2.0, 0.5]
    expected = hessian(f)(x) @ np.array(v)
    result = hvp(f, x, v)
    assert isinstance(result, list)
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_hvp_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(ValueError, match="x has 2 entries but v has 1"):
        hvp(lambda w: w[0] * w[1], [1.0, 2.0], [1.0])


# ------------------------------------------------------------------ second derivatives, closed form


def _sig(x):
    return 1 / (1 + math.exp(-x))


# d2/dx2 of each unary op of the catalogue, written out by hand.
SECOND = {
    "neg": lambda x: 0.0,
    "exp": math.exp,
    "log": lambda x: -1 / x**2,
    "tanh": lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
    "sigmoid": lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
    "relu": lambda x: 0.0,
    "abs": lambda x: 0.0,
    "softplus": lambda x: _sig(x) * (1 - _sig(x)),
    "sin": lambda x: -math.sin(x),
    "cos": lambda x: -math.cos(x),
    "sqrt": lambda x: -0.25 * x**-1.5,
    "square": lambda x: 2.0,
    "cube": lambda x: 6 * x,
    "reciprocal": lambda x: 2 / x**3,
    "pow-2": lambda x: 6 / x**4,
    "pow1.5": lambda x: 0.75 * x**-0.5,
    "radd": lambda x: 0.0,
    "rsub": lambda x: 0.0,
    "rmul": lambda x: 0.0,
    "rtruediv": lambda x: 6 / x**3,
    "rpow": lambda x: 2**x * math.log(2) ** 2,
    "sub-const": lambda x: 0.0,
    "div-const": lambda x: 0.0,
}


def test_the_closed_form_table_covers_the_catalogue():
    assert set(SECOND) == {op.name for op in UNARY}


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_second_derivative_matches_its_closed_form(op):
    for x in points(op):
        if x in op.kinks:
            continue
        assert isclose(hessian(op.fn)(x), SECOND[op.name](x), rel=1e-12, abs_=1e-12), x


# The Hessian [[faa, fab], [fab, fbb]] of each binary op, by hand.
HESSIANS = {
    "add": lambda a, b: [[0, 0], [0, 0]],
    "sub": lambda a, b: [[0, 0], [0, 0]],
    "mul": lambda a, b: [[0, 1], [1, 0]],
    "div": lambda a, b: [[0, -1 / b**2], [-1 / b**2, 2 * a / b**3]],
    "pow": lambda a, b: [
        [b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * math.log(a))],
        [a ** (b - 1) * (1 + b * math.log(a)), a**b * math.log(a) ** 2],
    ],
}


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_hessian_matches_its_closed_form(op):
    for a, b in pairs(op):
        H = hessian(lambda v: op.fn(v[0], v[1]))([a, b])
        np.testing.assert_allclose(H, HESSIANS[op.name](a, b), rtol=1e-12, atol=1e-12)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@pytest.mark.parametrize("x, y", [(1.0, 1.0), (-1.2, 1.0), (0.0, 0.0), (2.0, -0.5), (0.3, 2.7)])
def test_rosenbrock_hessian_matches_its_closed_form(x, y):
    expected = [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200.0]]
    H = hessian(lambda v: rosenbrock(v[0], v[1]))([x, y])
    np.testing.assert_allclose(H, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("x, y", [(1.0, 1.0), (-1.2, 1.0), (2.0, -0.5)])
def test_rosenbrock_gradient_matches_its_closed_form(x, y):
    expected = [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]
    value, g = value_and_grad(lambda v: rosenbrock(v[0], v[1]))([x, y])
    assert value == pytest.approx(rosenbrock(x, y))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-9)


def test_newton_example_converges_to_the_minimum(capsys):
    spec = importlib.util.spec_from_file_location("newton", ROOT / "examples" / "newton.py")
    newton = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(newton)
    results = newton.main(["--quick"])
    (result,) = results.values()
    np.testing.assert_allclose(result["point"], [1.0, 1.0], atol=1e-10)
    assert result["f"] < 1e-20
    out = capsys.readouterr().out
    assert "Newton from (-1.2, 1.0)" in out and "-> (1.000000000000, 1.000000000000)" in out
