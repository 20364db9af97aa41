"""Tensor: every op's value and gradient against PyTorch (float64) and central differences,
broadcasting, reductions, indexing, accumulation, grad modes, dtypes, errors, memory."""

from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import cyclic_project_garbage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import gradcheck
from autograd import tensor as tensor_module
from autograd.mode import detect_anomaly, no_grad
from autograd.tensor import Tensor, cross_entropy, mse

ARR = np.array([0.5, -1.5, 2.0, 3.0])  # a plain numpy operand of shape (4,)
MAT = np.arange(20.0).reshape(4, 5) / 10  # a plain numpy matrix (4, 5)


def data(shape, seed=0, low=None):
    """Random float64 data; with `low`, magnitudes in [low, low + 1.5) (positive)."""
    rng = np.random.default_rng(seed)
    if low is None:
        return rng.standard_normal(shape)
    return low + 1.5 * rng.random(shape)


def ours(fn, arrays, upstream=None):
    """Value and input gradients of fn on Tensors; the output's gradient is `upstream`."""
    xs = [Tensor(a) for a in arrays]
    out = fn(*xs)
    out.backward(np.ones(out.shape) if upstream is None else upstream)
    return out.data, [x.grad for x in xs]


def theirs(torch, fn, arrays, upstream=None):
    """The same in PyTorch, float64."""
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*xs)
    g = np.ones(tuple(out.shape)) if upstream is None else upstream
    out.backward(torch.tensor(g, dtype=torch.float64))
    return out.detach().numpy(), [
        np.zeros_like(a) if x.grad is None else x.grad.numpy() for x, a in zip(xs, arrays)
    ]


def assert_matches_torch(torch, fn, torch_fn, arrays, name, rtol=1e-9, atol=1e-12):
    """fn (on Tensors) and torch_fn (on torch tensors) agree in value and every input gradient,
    for a random output gradient (so each VJP is exercised, not only the gradient of a sum)."""
    out, _ = ours(fn, arrays)
    upstream = data(out.shape, seed=99)
    out, grads = ours(fn, arrays, upstream)
    expected, expected_grads = theirs(torch, torch_fn or fn, arrays, upstream)
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol, err_msg=f"{name}: value")
    assert out.shape == expected.shape, f"{name}: shape {out.shape} != torch {expected.shape}"
    for i, (g, e) in enumerate(zip(grads, expected_grads)):
        g = np.zeros_like(e) if g is None else g
        assert g.shape == e.shape, f"{name}: grad {i} shape {g.shape} != torch {e.shape}"
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{name}: grad of input {i}")


# ------------------------------------------------------------------ the catalogue


@dataclass(frozen=True)
class Case:
    name: str
    fn: object  # on Tensors
    torch_fn: object = None  # (torch, *xs) where the torch spelling differs
    shapes: tuple = ((3, 4),)
    low: float | None = None  # positive inputs (log, sqrt, pow, division)

    def on_torch(self, torch):
        if self.torch_fn is None:
            return self.fn
        return lambda *xs: self.torch_fn(torch, *xs)


BROADCAST_SHAPES = [
    ((3, 1), (4,)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 1, 4), (3, 1)),
    ((5,), (5,)),
    ((1,), (3, 2)),
    ((2, 3), (2, 3)),
]

BINARY = [
    Case("add", lambda a, b: a + b),
    Case("sub", lambda a, b: a - b),
    Case("mul", lambda a, b: a * b),
    Case("div", lambda a, b: a / b, low=0.5),
    Case("pow", lambda a, b: a**b, low=0.5),
]

UNARY = [
    Case("neg", lambda x: -x),
    Case("exp", lambda x: x.exp()),
    Case("log", lambda x: x.log(), low=0.2),
    Case("tanh", lambda x: x.tanh()),
    Case("sigmoid", lambda x: x.sigmoid()),
    Case("relu", lambda x: x.relu()),
    Case("abs", lambda x: x.abs()),
    Case("sqrt", lambda x: x.sqrt(), low=0.2),
    Case("radd", lambda x: 3 + x),
    Case("add-number", lambda x: x + 2.5),
    Case("rsub", lambda x: 3 - x),
    Case("sub-number", lambda x: x - 0.5),
    Case("rmul", lambda x: 3 * x),
    Case("mul-number", lambda x: x * -2),
    Case("rtruediv", lambda x: 3 / x, low=0.5),
    Case("div-number", lambda x: x / 4),
    Case("rpow", lambda x: 2**x),
    Case("square", lambda x: x**2),
    Case("cube", lambda x: x**3),
    Case("pow-1.5", lambda x: x**-1.5, low=0.5),
    Case("add-array", lambda x: x + ARR, lambda t, x: x + t.tensor(ARR)),
    Case("radd-array", lambda x: ARR + x, lambda t, x: t.tensor(ARR) + x),
    Case("rsub-array", lambda x: ARR - x, lambda t, x: t.tensor(ARR) - x),
    Case("rmul-array", lambda x: ARR * x, lambda t, x: t.tensor(ARR) * x),
    Case("rdiv-array", lambda x: ARR / x, lambda t, x: t.tensor(ARR) / x, low=0.5),
    Case("matmul-array", lambda x: x @ MAT, lambda t, x: x @ t.tensor(MAT)),
    Case("rmatmul-array", lambda x: MAT.T @ x.T, lambda t, x: t.tensor(MAT.T) @ x.T),
    Case("softmax", lambda x: x.softmax(), lambda t, x: x.softmax(dim=-1)),
    Case("softmax-axis0", lambda x: x.softmax(axis=0), lambda t, x: x.softmax(dim=0)),
    Case("log_softmax", lambda x: x.log_softmax(), lambda t, x: x.log_softmax(dim=-1)),
    Case("log_softmax-axis0", lambda x: x.log_softmax(0), lambda t, x: x.log_softmax(dim=0)),
    Case(
        "mse-array",
        lambda x: mse(x, MAT.T[:3]),
        lambda t, x: t.nn.functional.mse_loss(x, t.tensor(MAT.T[:3])),
    ),
    Case(
        "cross_entropy",
        lambda x: cross_entropy(x, [1, 0, 3]),
        lambda t, x: t.nn.functional.cross_entropy(x, t.tensor([1, 0, 3])),
    ),
]

SHAPE_OPS = [
    Case("reshape", lambda x: x.reshape(4, 3)),
    Case("reshape-tuple", lambda x: x.reshape((2, -1)), lambda t, x: x.reshape((2, -1))),
    Case("transpose", lambda x: x.transpose(), lambda t, x: x.permute(2, 1, 0), ((2, 3, 4),)),
    Case(
        "transpose-axes",
        lambda x: x.transpose(1, 0, 2),
        lambda t, x: x.permute(1, 0, 2),
        ((2, 3, 4),),
    ),
    Case("T", lambda x: x.T, lambda t, x: x.permute(1, 0)),
    Case("index-int", lambda x: x[1]),
    Case("index-negative", lambda x: x[-1, 2]),
    Case("slice", lambda x: x[1:, ::2]),
    Case("ellipsis", lambda x: x[..., 1]),
    Case("newaxis", lambda x: x[:, None, 1:3]),
    Case("repeated-rows", lambda x: x[[0, 0, 2, 0]]),
    Case("repeated-columns", lambda x: x[:, [3, 3, 0]]),
    Case(
        "index-arrays",
        lambda x: x[np.array([1, 1, 0]), np.array([2, 2, 3])],
        lambda t, x: x[t.tensor([1, 1, 0]), t.tensor([2, 2, 3])],
    ),
    Case(
        "bool-mask",
        lambda x: x[np.array([True, False, True])],
        lambda t, x: x[t.tensor([True, False, True])],
    ),
]

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (3, 4, 2)),
]

AXES = [None, 0, 1, 2, -1, (0, 2), (2, 1), (0, 1, 2), (-1, 0)]


def _torch_dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis


# ------------------------------------------------------------------ gradients vs PyTorch


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("case", BINARY, ids=lambda c: c.name)
def test_binary_op_broadcasts_and_matches_torch(torch, case, shapes):
    a = data(shapes[0], 1, case.low)
    b = data(shapes[1], 2, case.low)
    assert_matches_torch(torch, case.fn, case.on_torch(torch), [a, b], case.name)


@pytest.mark.parametrize("case", UNARY, ids=lambda c: c.name)
def test_unary_op_matches_torch(torch, case):
    x = data(case.shapes[0], 3, case.low)
    if case.name in ("relu", "abs"):
        x[np.abs(x) < 0.1] = 0.5  # keep away from the kink
    assert_matches_torch(torch, case.fn, case.on_torch(torch), [x], case.name)


@pytest.mark.parametrize("case", SHAPE_OPS, ids=lambda c: c.name)
def test_shape_and_index_op_matches_torch(torch, case):
    x = data(case.shapes[0], 4)
    assert_matches_torch(torch, case.fn, case.on_torch(torch), [x], case.name)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(torch, shapes):
    a, b = data(shapes[0], 5), data(shapes[1], 6)
    assert_matches_torch(torch, lambda a, b: a @ b, None, [a, b], f"matmul {shapes}")


def test_matmul_method_is_the_operator():
    a, b = Tensor(data((2, 3))), Tensor(data((3, 2)))
    np.testing.assert_array_equal(a.matmul(b).data, (a @ b).data)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_matches_torch(torch, op, axis, keepdims):
    x = data((2, 3, 4), 7)
    dims = _torch_dims(axis, 3)
    torch_fn = {
        "sum": lambda x: x.sum(dim=dims, keepdim=keepdims),
        "mean": lambda x: x.mean(dim=dims, keepdim=keepdims),
        "max": lambda x: torch.amax(x, dim=dims, keepdim=keepdims),
    }[op]
    fn = lambda x: getattr(x, op)(axis=axis, keepdims=keepdims)
    assert_matches_torch(torch, fn, torch_fn, [x], f"{op}(axis={axis}, keepdims={keepdims})")


def test_max_shares_the_gradient_between_ties(torch):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    assert_matches_torch(torch, lambda x: x.max(axis=1), lambda x: torch.amax(x, dim=1), [x], "max")
    _, (g,) = ours(lambda x: x.max(), [x])
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [0, 0, 0]])


def test_repeated_index_accumulates_gradient():
    x = Tensor(np.arange(4.0))
    x[[1, 1, 1, 3]].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 0.0, 1.0])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    case=st.sampled_from(BINARY),
)
def test_any_broadcastable_shapes_match_torch(torch, shapes, case):
    a = data(shapes.input_shapes[0], 8, case.low)
    b = data(shapes.input_shapes[1], 9, case.low)
    assert_matches_torch(torch, case.fn, case.on_torch(torch), [a, b], case.name)


# ------------------------------------------------------------------ vs central differences

COMPOSITES = [
    (
        "mlp-layer",
        lambda x, w, b: ((x @ w + b).tanh() ** 2).mean() + x.sigmoid().sum() / 3,
        [(4, 3), (3, 2), (2,)],
    ),
    (
        "softmax-max-div",
        lambda a, b: (a * b).log_softmax(axis=0)[1].sum() + (a / (b * b + 1)).max(axis=1).sum(),
        [(3, 4), (3, 4)],
    ),
    (
        "index-matmul-cross-entropy",
        lambda x: ((x[[0, 2, 2]] ** 2) @ x.T).softmax(axis=0)[0].sum() + x.cross_entropy([1, 0, 3]),
        [(3, 4)],
    ),
    (
        "reshape-transpose-pow",
        lambda x, y: (
            (x.reshape(2, 6).T * y).exp().sum(axis=(0, 1)) + ((x + 1).log() ** y.mean()).sum()
        ),
        [(3, 4), (2,)],
    ),
]


@pytest.mark.parametrize("name, f, shapes", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_gradient_matches_central_differences(name, f, shapes):
    """The library's own gradcheck on Tensors, first and second derivatives."""
    arrays = [data(s, i, low=0.3) for i, s in enumerate(shapes)]
    report = gradcheck(f, [Tensor(a) for a in arrays], order=2, rtol=1e-4, atol=1e-6)
    assert report.passed, str(report)


# ------------------------------------------------------------------ accumulation and grad modes


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 4 * x.data)


def test_an_intermediate_grad_from_an_earlier_pass_does_not_leak():
    x = Tensor([1.0, 2.0])
    y = x * x
    y.sum().backward()  # x.grad = 2x, y.grad = 1
    (y * 3).sum().backward()  # adds 6x to x.grad (not 2x (1 + 3)), 3 to y.grad
    np.testing.assert_array_equal(x.grad, 8 * x.data)
    np.testing.assert_array_equal(y.grad, [4.0, 4.0])


def test_reused_tensor_accumulates_within_one_pass():
    a = Tensor([3.0])
    (a + a).backward()  # two parents, the same tensor
    np.testing.assert_array_equal(a.grad, [2.0])


def test_zero_grad_resets_to_none():
    x = Tensor([1.0])
    (x * 2).backward()
    x.zero_grad()
    assert x.grad is None
    (x * 2).backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_backward_of_a_leaf_is_the_seed():
    x = Tensor([[1.0, 2.0]])
    x.backward(np.array([[3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[3.0, 4.0]])


def test_no_grad_records_no_graph():
    x = Tensor([1.0, 2.0])
    with no_grad():
        y = (x * 2).exp().sum()
    assert y.parents == () and y.op == "" and not y.requires_grad
    with pytest.raises(RuntimeError, match=r"backward: .*does not require grad"):
        y.backward()
    assert (x * 2).parents[0] is x  # recording is back on after the block


def test_detach_cuts_the_graph_and_shares_data():
    x = Tensor([1.0, 2.0])
    y = x * 3
    d = y.detach()
    assert d.parents == () and not d.requires_grad and d.data is y.data
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # no path through d back to x


def test_leaf_without_requires_grad_receives_no_grad():
    x = Tensor(data((3, 2)), requires_grad=False)
    w = Tensor(data((2, 4), 1))
    (x @ w).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad, x.data.sum(axis=0)[:, None] * np.ones((2, 4)))


def test_ops_on_tensors_without_requires_grad_record_nothing():
    a, b = Tensor([1.0], requires_grad=False), Tensor([2.0], requires_grad=False)
    c = a * b + 1
    assert c.parents == () and not c.requires_grad


def test_data_inputs_cost_no_backward_work(monkeypatch):
    x = Tensor(data((3, 2)), requires_grad=False)
    w = Tensor(data((2, 4), 1))

    def must_not_run(*args):
        raise AssertionError("the VJP of an input without requires_grad was computed")

    op = tensor_module.MATMUL
    monkeypatch.setattr(op, "vjps", (must_not_run, op.vjps[1]))
    (x @ w).sum().backward()
    assert w.grad is not None


def test_leaf_grads_are_separate_writable_arrays():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    seed = np.array([1.0, 1.0])
    (a + b).backward(seed)
    assert a.grad is not b.grad and not np.shares_memory(a.grad, seed)
    s = Tensor([[1.0, 2.0]])
    s.sum(axis=1).backward(np.array([1.0]))  # the rule returns a read-only broadcast view
    a.grad += 1
    s.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(s.grad, [[2.0, 2.0]])


# ------------------------------------------------------------------ dtypes


FLOAT32_CASES = [
    (c.name, c.fn, c.shapes[0], c.low) for c in UNARY + SHAPE_OPS if c.shapes[0] == (3, 4)
] + [(f"{c.name}-broadcast", c.fn, ((3, 1), (4,)), c.low) for c in BINARY]


@pytest.mark.parametrize("name, fn, shape, low", FLOAT32_CASES, ids=[c[0] for c in FLOAT32_CASES])
def test_float32_stays_float32(name, fn, shape, low):
    shapes = shape if isinstance(shape[0], tuple) else (shape,)
    xs = [Tensor(data(s, i, low), dtype=np.float32) for i, s in enumerate(shapes)]
    out = fn(*xs)
    assert out.dtype == np.float32, f"{name}: output is {out.dtype}"
    out.backward(np.ones(out.shape))
    for x in xs:
        assert x.grad.dtype == np.float32, f"{name}: grad is {x.grad.dtype}"


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_float32_reductions_stay_float32(op):
    x = Tensor(data((2, 3)), dtype=np.float32)
    out = getattr(x, op)(axis=0) * 2.5
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32


def test_default_dtype_is_float64_and_float_arrays_keep_theirs():
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(np.arange(3)).dtype == np.float64
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32


def test_tensor_copies_its_data():
    a = np.ones(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0


# ------------------------------------------------------------------ numerical stability


EXTREME = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, -1000.0]])


@pytest.mark.parametrize(
    "name, fn, torch_fn",
    [
        ("softmax", lambda x: x.softmax(), None),
        ("log_softmax", lambda x: x.log_softmax(), None),
        ("softmax-axis0", lambda x: x.softmax(axis=0), lambda x: x.softmax(dim=0)),
        ("cross_entropy", lambda x: x.cross_entropy([1, 2, 0]), "cross_entropy"),
        ("sigmoid", lambda x: x.sigmoid(), None),
    ],
)
def test_stable_at_extreme_logits(torch, name, fn, torch_fn):
    if torch_fn == "cross_entropy":
        torch_fn = lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([1, 2, 0]))
    elif torch_fn is None:
        torch_fn = {
            "softmax": lambda x: x.softmax(-1),
            "log_softmax": lambda x: x.log_softmax(-1),
            "sigmoid": lambda x: x.sigmoid(),
        }[name]
    with detect_anomaly():  # any NaN/inf on the way raises
        out, grads = ours(fn, [EXTREME])
    assert np.isfinite(out).all() and np.isfinite(grads[0]).all()
    assert_matches_torch(torch, fn, torch_fn, [EXTREME], name)


def test_cross_entropy_of_a_confident_wrong_guess_is_exact():
    loss = Tensor([[1000.0, -1000.0]]).cross_entropy([1])
    assert loss.item() == 2000.0


def test_cross_entropy_of_confident_right_guesses_does_not_cancel(torch):
    z = np.full((64, 3), -1000.0)
    z[:, 0] = 1000.0 + np.arange(64) / 64  # every example confidently right: the loss is tiny
    z[0, 1] = 999.0
    loss = Tensor(z, dtype=np.float32).cross_entropy(np.zeros(64, dtype=int))
    expected = torch.nn.functional.cross_entropy(torch.tensor(z), torch.zeros(64, dtype=int))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_matches_torch_on_a_batch(torch, dtype):
    z = data((64, 10), 11) * 5
    t = np.random.default_rng(0).integers(0, 10, 64)
    logits = Tensor(z, dtype=dtype)
    loss = logits.cross_entropy(t)
    loss.backward()
    tz = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tz, torch.tensor(t))
    expected.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert loss.dtype == logits.grad.dtype == dtype
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=tol)
    np.testing.assert_allclose(logits.grad, tz.grad.numpy(), rtol=tol * 10, atol=tol)


# ------------------------------------------------------------------ anomaly mode


def test_anomaly_mode_names_the_op_with_a_nan_output():
    x = Tensor([1.0, 0.0, -1.0])
    with (
        np.errstate(all="ignore"),
        detect_anomaly(),
        pytest.raises(FloatingPointError, match=r"log: produced 2 NaN/inf .*\(3,\)"),
    ):
        x.log()


def test_anomaly_mode_names_the_op_with_an_infinite_gradient():
    x = Tensor([0.0, 4.0])
    y = x.sqrt().sum()  # d sqrt/dx = inf at 0
    with (
        np.errstate(all="ignore"),
        detect_anomaly(),
        pytest.raises(FloatingPointError, match=r"\*\*0.5: gradient for input 0"),
    ):
        y.backward()


def test_without_anomaly_mode_nan_passes_through():
    with np.errstate(all="ignore"):
        y = Tensor([-1.0]).log()
    assert np.isnan(y.data).all()


# ------------------------------------------------------------------ errors


ERRORS = [
    (
        lambda: Tensor(data((3, 4))) @ Tensor(data((5, 2))),
        ValueError,
        "matmul: shapes (3, 4) and (5, 2) do not align (4 != 5)",
    ),
    (
        lambda: Tensor(data((3,))) @ Tensor(data((4,))),
        ValueError,
        "matmul: shapes (3,) and (4,) do not align (3 != 4)",
    ),
    (
        lambda: Tensor(data((2, 3, 4))) @ Tensor(data((3, 4, 2))),
        ValueError,
        "matmul: shapes (2, 3, 4) and (3, 4, 2) cannot be broadcast",
    ),
    (lambda: Tensor(2.0) @ Tensor(data((3,))), ValueError, "matmul: operands need at least one"),
    (
        lambda: Tensor(data((3,))) + Tensor(data((4,))),
        ValueError,
        "+: shapes (3,) and (4,) cannot be broadcast together",
    ),
    (
        lambda: Tensor(data((2, 3))) * np.ones((3, 2)),
        ValueError,
        "*: shapes (2, 3) and (3, 2) cannot be broadcast together",
    ),
    (
        lambda: Tensor(data((2,))) + "a",
        TypeError,
        "+: expected a Tensor, a real number or a numpy array, got str",
    ),
    (
        lambda: [1.0] * Tensor(data((2,))),
        TypeError,
        "*: expected a Tensor, a real number or a numpy array, got list",
    ),
    (
        lambda: Tensor(data((2,))) ** None,
        TypeError,
        "**: expected a Tensor, a real number or a numpy array, got NoneType",
    ),
    (lambda: Tensor(data((2, 3))).reshape(4, 2), ValueError, "reshape: cannot reshape"),
    (lambda: Tensor(data((2, 3))).transpose(0, 0), ValueError, "transpose:"),
    (
        lambda: Tensor(data((2, 3))).sum(axis=2),
        ValueError,
        "sum: axis 2 is out of range for a tensor of shape (2, 3)",
    ),
    (lambda: Tensor(data((2, 3))).max(axis=(0, -2)), ValueError, "max: repeated axis in (0, -2)"),
    (lambda: Tensor(data((2, 3))).mean(axis=1.5), TypeError, "mean: axis must be an int"),
    (
        lambda: Tensor(data((2, 3))).softmax(axis=-3),
        ValueError,
        "softmax: axis -3 is out of range for a tensor of shape (2, 3)",
    ),
    (lambda: Tensor(data((3,)))[5], IndexError, "getitem: index 5 is out of bounds"),
    (lambda: Tensor(data((3,)))[1.5], IndexError, "getitem:"),
    (
        lambda: Tensor(data((4, 3))).cross_entropy([0, 1]),
        ValueError,
        "cross_entropy: targets shape (2,) does not match logits shape (4, 3)",
    ),
    (
        lambda: Tensor(data((2, 3))).cross_entropy([0, 3]),
        ValueError,
        "cross_entropy: target 3 is out of range for 3 classes",
    ),
    (
        lambda: Tensor(data((2, 3))).cross_entropy([0, -1]),
        ValueError,
        "cross_entropy: target -1 is out of range",
    ),
    (
        lambda: Tensor(data((2, 3))).cross_entropy([0.5, 1.0]),
        TypeError,
        "cross_entropy: targets must be integer class indices, got float64",
    ),
    (
        lambda: Tensor(data((3,))).cross_entropy([0]),
        ValueError,
        "cross_entropy: logits must be 2-D (batch, classes), got shape (3,)",
    ),
    (
        lambda: Tensor(data((2, 3))).backward(),
        ValueError,
        "backward: a tensor of shape (2, 3) needs an explicit gradient",
    ),
    (
        lambda: Tensor(data((2, 3))).backward(np.ones(3)),
        ValueError,
        "backward: gradient shape (3,) does not match tensor shape (2, 3)",
    ),
    (lambda: Tensor("abc"), TypeError, "Tensor: data must be real numbers, got str"),
    (lambda: Tensor(None), TypeError, "Tensor: data must be real numbers, got NoneType"),
    (lambda: Tensor([[1.0], [1.0, 2.0]]), ValueError, "Tensor:"),
    (
        lambda: Tensor([1, 2], dtype=np.int64),
        TypeError,
        "Tensor: dtype must be a float type, got int64",
    ),
    (lambda: Tensor([1.0], label=3), TypeError, "Tensor: label must be a str, got int"),
    (
        lambda: Tensor(data((2,))).item(),
        ValueError,
        "item: tensor of shape (2,) has 2 elements, expected 1",
    ),
    (lambda: len(Tensor(1.0)), TypeError, "len() of a 0-d Tensor"),
    (lambda: Tensor.zeros(2, 1.5), TypeError, "shape entries must be ints"),
]


@pytest.mark.parametrize("make, kind, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_error_names_the_op_and_the_shapes(make, kind, message):
    with pytest.raises(kind) as info:
        make()
    assert message in str(info.value), f"expected {message!r} in {str(info.value)!r}"


# ------------------------------------------------------------------ memory


def test_a_dropped_graph_leaves_nothing_for_the_cycle_collector():
    w = Tensor(data((4, 3)))

    def train_steps():
        for _ in range(3):
            x = Tensor(data((5, 4)), requires_grad=False)
            loss = ((x @ w + 1).relu()[[0, 0, 2]] ** 2).log_softmax().mean()
            loss = loss + (x @ w).cross_entropy([0, 1, 2, 0, 1])
            loss.backward()

    assert cyclic_project_garbage(train_steps) == []


def test_the_garbage_check_counts_project_cycles_and_ignores_others():
    class Foreign:  # a cycle of objects that are not this project's: never counted
        pass

    def make_cycles():
        a, b = Foreign(), Foreign()
        a.other, b.other = b, a
        t = Tensor([1.0])
        box = [t]  # a cycle through a list holding a Tensor: counted
        box.append(box)

    garbage = cyclic_project_garbage(make_cycles)
    assert len(garbage) == 1 and isinstance(garbage[0], Tensor)
    assert gc.isenabled() and gc.get_debug() == 0


# ------------------------------------------------------------------ array-like protocol


def test_shape_ndim_dtype_size_len_item_numpy():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert (t.shape, t.ndim, t.dtype, t.size, len(t)) == ((2, 3), 2, np.float64, 6, 2)
    assert t.numpy() is t.data
    assert Tensor([[2.5]]).item() == 2.5 and float(Tensor(2.5)) == 2.5


def test_repr_shows_data_dtype_op_and_label():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0], dtype=np.float32, requires_grad=False)) == (
        "Tensor([1.], dtype=float32, requires_grad=False)"
    )
    y = Tensor([1.0]) * 2
    assert repr(y) == "Tensor([2.], op='*')"
    assert repr(Tensor([0.0], label="w")) == "Tensor([0.], label='w')"
    assert "..." in repr(Tensor.zeros(100))


def test_constructors():
    z = Tensor.zeros(2, 3, dtype=np.float32)
    assert z.shape == (2, 3) and z.dtype == np.float32 and not z.data.any()
    assert Tensor.ones((3,)).data.sum() == 3.0
    a, b = Tensor.randn(4, rng=1), Tensor.randn(4, rng=1)
    np.testing.assert_array_equal(a.data, b.data)
    assert not Tensor.randn(2, requires_grad=False).requires_grad


def test_numpy_array_on_the_left_gives_a_tensor():
    t = Tensor([1.0, 2.0])
    for result in (np.ones(2) + t, np.ones(2) * t, np.ones(2) - t, np.ones((2, 2)) @ t):
        assert isinstance(result, Tensor)


def test_op_names_and_parents_in_argument_order():
    a, b = Tensor([1.0]), Tensor([2.0])
    assert (a - b).op == "-" and (a - b).parents == (a, b)
    assert (a @ b).op == "matmul" and a.op == ""


def test_an_array_given_to_a_leaf_is_never_shared_with_another_node():
    """A rule may hand one fresh array to several parents; the leaf's copy stays its own, in
    whichever order the nodes come (here the leaf first, then an interior node)."""
    from autograd.backward import _into_grad

    leaf, other = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    interior = other * 2.0
    shared = np.array([5.0, 6.0])
    _into_grad({leaf: shared, interior: shared})
    assert not np.shares_memory(leaf.grad, interior.grad)
    leaf.grad += 1.0
    np.testing.assert_array_equal(interior.grad, [5.0, 6.0])


def test_astype_is_differentiable_and_its_gradient_comes_back_in_the_inputs_dtype():
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    with pytest.raises(TypeError, match="astype: dtype must be a float dtype, got"):
        x.astype(int)


def test_create_graph_gradients_keep_each_nodes_dtype_as_torch(torch):
    # A float32 leaf meeting a float64 constant: numpy promotes the product to float64, but the
    # gradient of the float32 leaf is float32, at first and second order, as in PyTorch.
    from autograd import grad

    values, weights = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.0])
    x = Tensor(values.astype(np.float32))
    (g,) = grad((x * x * Tensor(weights, requires_grad=False)).sum(), [x], create_graph=True)
    (h,) = grad((g * g).sum(), [x])
    tx = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    (tg,) = torch.autograd.grad((tx * tx * torch.tensor(weights)).sum(), [tx], create_graph=True)
    (th,) = torch.autograd.grad((tg * tg).sum(), [tx])
    assert g.dtype == h.dtype == np.float32
    np.testing.assert_array_equal(g.data, tg.detach().numpy())
    np.testing.assert_array_equal(h, th.numpy())
