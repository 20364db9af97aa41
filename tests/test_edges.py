"""Derivatives at the edges of their domain, on Value, Tensor, `create_graph`/`hessian` and trace
replay: constants have slope exactly 0, a backward pass never raises where its forward succeeded
(an infinite or undefined slope is +-inf or nan, as in PyTorch), and a leaf's grad keeps its dtype.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

from autograd import DomainError, Value, detect_anomaly, hessian
from autograd.compile import trace
from autograd.tensor import Tensor

INF, NAN = math.inf, math.nan


def same(a, b) -> bool:
    """Equal as floats, nan equal to nan, +inf and -inf distinct."""
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def value_grads(f, *xs):
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    return [v.grad for v in vs]


def tensor_grads(f, *xs):
    ts = [Tensor(np.array([x])) for x in xs]
    f(*ts).sum().backward()
    return [t.grad[0] for t in ts]


def replay_grads(f, *xs):
    _, grads = trace(f, *xs).value_and_grad(*xs)
    return list(grads)


def batch_replay_grads(f, *xs):
    # every input a batch of one: the numpy rules of the replay (traced at 1.0, ...: the same
    # graph, where the Value forward may raise at xs itself)
    _, grads = trace(f, *[1.0] * len(xs)).value_and_grad(*[np.array([x]) for x in xs])
    return [g[0] for g in grads]


PATHS = [value_grads, tensor_grads, replay_grads, batch_replay_grads]


# ------------------------------------------------------------------ constants have slope 0


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("x", [0.0, -0.0, 2.0, -3.0, NAN])
def test_x_to_the_zero_has_slope_exactly_zero(path, x):
    (dx,) = path(lambda v: v**0, x)
    assert dx == 0.0


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_a_to_the_b_at_zero_zero_has_zero_base_slope(path):
    da, db = path(lambda a, b: a**b, 0.0, 0.0)
    assert (da, db) == (0.0, 0.0)  # torch: 0 and 0


def test_tensor_with_a_zero_in_it_to_the_zero():
    t = Tensor([0.0, 2.0])
    (t**0).sum().backward()
    assert t.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("x", [0.0, -0.0, 1.5])
def test_second_derivative_of_x_to_the_one_is_zero(x):
    assert hessian(lambda v: v**1)(x) == 0.0
    assert hessian(lambda v: v**2)(x) == 2.0  # and of x^2: 2 x^0 -> 2, never 0 * inf


# ------------------------------------------------------------------ d/db of a^b at a = 0


@pytest.mark.parametrize("path", [tensor_grads, batch_replay_grads], ids=lambda p: p.__name__)
@pytest.mark.parametrize("b, expected", [(-2.0, -INF), (-0.3, -INF), (0.0, 0.0), (0.5, 0.0)])
def test_exponent_slope_at_a_zero_base(path, b, expected):
    # torch: 0 ** b ln 0 = inf * -inf = -inf for b < 0; the "0 at a = 0" convention for b >= 0
    _, db = path(lambda a, e: a**e, 0.0, b)
    assert same(db, expected)


def test_exponent_slope_at_a_negative_zero_base_to_an_odd_power():
    a, b = Tensor([-0.0]), Tensor([-1.0])
    (a**b).sum().backward()
    assert (a.grad[0], b.grad[0]) == (-INF, INF)  # torch: -inf and (-inf) * (-inf) = inf


# ------------------------------------------------------------------ backward never raises


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (lambda v: v.sqrt(), 0.0, -INF),  # torch: -inf
        (lambda v: v**0.5, 0.0, -INF),
        (lambda v: v**1.5, 0.0, INF),
        (lambda v: v.log(), 1e-300, -INF),  # -1/x^2 overflows
        (lambda v: v.log(), 5e-324, -INF),  # even 1/x does
        (lambda v: 0.0**v, 0.5, 0.0),  # 0^y = 0 for y > 0 (torch: nan)
    ],
)
def test_second_order_gives_inf_where_first_order_does(f, x, expected):
    assert same(hessian(f)(x), expected)


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (lambda v: 1 / v, 1e-200, -INF),
        (lambda v: v**-2, 1e-110, -INF),  # -2 x^-3
        (lambda v: v**-2, -1e-110, INF),
        (lambda v: v / v, 1e-300, 0.0),  # 1/x - (x/x)/x = 1e300 - 1e300 (x^-2 overflows)
    ],
)
def test_overflowing_local_derivatives_are_infinite(f, x, expected):
    (dx,) = value_grads(f, x)
    assert same(dx, expected)
    (dx,) = replay_grads(f, x)
    assert same(dx, expected)


def test_detect_anomaly_reports_the_infinite_slope_of_the_differentiable_backward():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\*\*"):
        hessian(lambda v: v.sqrt())(0.0)


# ------------------------------------------------------------------ nan propagates


def test_hessian_of_a_negative_base_to_a_value_power_is_nan_and_symmetric():
    h = hessian(lambda v: v[0] ** v[1])([-2.0, 2.0])
    assert h[0, 0] == 2.0  # d^2(a^2)/da^2 = 2: a is fine (torch: nan)
    assert np.isnan(h[0, 1]) and np.isnan(h[1, 0]) and np.isnan(h[1, 1])


def test_hessian_of_a_to_the_b_at_b_zero_is_symmetric():
    # d^2(a^b)/da db = a^(b-1) (1 + b ln a) = 1/a at b = 0 (torch: 0 one way, 0.5 the other)
    h = hessian(lambda v: v[0] ** v[1])([2.0, 0.0])
    assert h[0, 1] == h[1, 0] == 0.5
    assert h[1, 1] == pytest.approx(math.log(2.0) ** 2, rel=1e-15)


# ------------------------------------------------------------------ sin, cos of inf


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("x", [INF, -INF])
def test_sin_cos_of_infinity_is_a_domain_error_naming_op_and_value(name, x):
    with pytest.raises(DomainError, match=rf"{name}: input must be finite, got {x!r}"):
        getattr(Value(x), name)()


# ------------------------------------------------------------------ dtypes


def test_a_float32_leaf_used_twice_with_float64_operands_keeps_a_float32_grad():
    w = Tensor(np.ones(3), dtype=np.float32)
    other = Tensor(np.full(3, 2.0))  # float64
    (w * other + w * other).sum().backward()
    assert w.grad.dtype == np.float32
    assert w.grad.tolist() == [4.0, 4.0, 4.0]
    (w * other).sum().backward()  # and accumulating a float64 pass onto it
    assert w.grad.dtype == np.float32


# ------------------------------------------------------------------ transpose


def test_transpose_with_negative_axes_gives_the_same_gradient_as_positive():
    g = np.random.default_rng(0).standard_normal((4, 2, 3))
    grads = []
    for axes in [(-1, 0, 1), (2, 0, 1), (2, -3, -2)]:
        x = Tensor(np.arange(24.0).reshape(2, 3, 4))
        x.transpose(*axes).backward(g)
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0], g.transpose(1, 2, 0))
    np.testing.assert_array_equal(grads[1], grads[0])
    np.testing.assert_array_equal(grads[2], grads[0])


@pytest.mark.parametrize(
    "axes, message",
    [((0, 0, 1), "repeated axis"), ((0, 1), "2 axes for 3"), ((0, 1, 3), "axis 3 is out")],
)
def test_transpose_rejects_axes_that_are_not_a_permutation(axes, message):
    with pytest.raises(ValueError, match=message):
        Tensor(np.zeros((2, 3, 4))).transpose(*axes)


# ------------------------------------------------------------------ bad arguments, abs


@pytest.mark.parametrize("bad", ["x", None, [1.0], object()])
def test_value_backward_rejects_a_gradient_that_is_not_a_number(bad):
    with pytest.raises(TypeError, match="backward: gradient must be a real number or a Value"):
        (Value(2.0) * 3).backward(gradient=bad)


def test_value_backward_takes_numbers_and_values_as_gradient():
    x = Value(2.0)
    (x * 3).backward(gradient=np.float32(2.0))
    (x * 3).backward(gradient=Value(1.0))
    assert x.grad == 9.0


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], np.array(["x", "y"]), {"a": 1}])
def test_tensor_backward_rejects_a_gradient_that_is_not_real_numbers(bad):
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="backward: gradient must be a Tensor, an array or a"):
        (x * 2).backward(gradient=bad)
    assert x.grad is None


def test_builtin_abs_on_value_and_tensor_matches_torch(torch):
    data = [-2.0, -0.0, 0.0, 3.0, NAN]
    values = [Value(x) for x in data]
    for v in values:
        abs(v).backward()
    t = Tensor(data)
    abs(t).sum().backward()
    ref = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    abs(ref).sum().backward()
    np.testing.assert_array_equal([abs(v).data for v in values], ref.abs().detach().numpy())
    np.testing.assert_array_equal(abs(t).data, ref.abs().detach().numpy())
    np.testing.assert_array_equal([v.grad for v in values], ref.grad.numpy())  # 0 at 0 and nan
    np.testing.assert_array_equal(t.grad, ref.grad.numpy())


# ------------------------------------------------------------------ a grid of edge inputs vs torch
# Every catalogue op at 0, +-0, tiny, huge, +-inf, nan, negative and positive points (and pairs of
# them), first order on Value, Tensor and trace replay (scalar and batch), second order on Value.
# A forward that raises one of the engine's documented domain errors is not compared (see the
# README's table of differences from PyTorch); neither are the other documented differences:
# relu'(nan) = 0 and the slopes at -0.0 of sqrt and x^1.5 (the engine takes -0.0 as 0).

EDGES = [0.0, -0.0, 5e-324, 1e-300, -1e-300, 1e-110, 1e300, -1e300, INF, -INF, NAN]
EDGES += [-2.0, -0.5, 0.5, 1.0, -1.0, 2.0, 3.0]
EXPONENTS = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, 0.5, -0.3, 3.0, INF, NAN, 1e-300, 1e300]
DOMAIN_ERRORS = (DomainError, ZeroDivisionError, OverflowError)
DOCUMENTED = {("relu", (NAN,)), ("sqrt", (-0.0,)), ("pow1.5", (-0.0,))}


def close(a, b) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same(a, b)
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def torch_first_and_second(torch, fn, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = fn(*ts)
    grads = torch.autograd.grad(y, ts, create_graph=True, allow_unused=True)
    grads = [g if g is not None else torch.zeros((), dtype=torch.float64) for g in grads]
    second = []
    for g in grads:
        row = (
            torch.autograd.grad(g, ts, allow_unused=True, retain_graph=True)
            if g.requires_grad
            else [None] * len(ts)
        )
        second.append([0.0 if r is None else float(r) for r in row])
    return float(y), [float(g) for g in grads], second


def edge_cases():
    from catalogue import BINARY, UNARY

    for op in UNARY:
        for x in EDGES:
            yield pytest.param(op, (x,), id=f"{op.name}({x!r})")
    for op in BINARY:
        for a in EDGES:
            for b in EXPONENTS if op.name == "pow" else EDGES:
                yield pytest.param(op, (a, b), id=f"{op.name}({a!r},{b!r})")


@pytest.mark.parametrize("op, xs", list(edge_cases()))
def test_edge_inputs_match_torch_at_first_order_on_every_path(torch, op, xs):
    if (op.name, xs) in DOCUMENTED:
        pytest.skip("a documented difference")
    ty, tg, _ = torch_first_and_second(torch, op.on_torch, xs)
    try:
        vy = op.fn(*[Value(x) for x in xs]).data
    except DOMAIN_ERRORS:
        return  # a documented forward domain error: nothing to differentiate
    assert close(vy, ty), f"forward {vy} != torch {ty}"
    results = {"Value": value_grads(op.fn, *xs)}
    with contextlib.suppress(AttributeError):  # an op Tensor does not have (sin, cos, softplus)
        results["Tensor"] = tensor_grads(op.fn, *xs)
    compiled = trace(op.fn, *[0.7] * len(xs))
    results["replay"] = list(compiled.value_and_grad(*xs)[1])
    results["batch replay"] = [
        g[0] for g in compiled.value_and_grad(*[np.array([x]) for x in xs])[1]
    ]
    for path, grads in results.items():
        assert all(close(g, t) for g, t in zip(grads, tg)), f"{path}: {grads} != torch {tg}"


@pytest.mark.parametrize("op, xs", [p for p in edge_cases() if p.values[0].name != "pow"])
def test_edge_inputs_match_torch_at_second_order(torch, op, xs):
    # (pow's Hessian is checked for symmetry below: torch's is not symmetric at b = 0 or a <= 0)
    if (op.name, xs) in DOCUMENTED:
        pytest.skip("a documented difference")
    try:
        ours = hessian(lambda v: op.fn(*[v[i] for i in range(len(xs))]))(list(xs))
    except DOMAIN_ERRORS:
        return
    _, _, theirs = torch_first_and_second(torch, op.on_torch, xs)
    for i in range(len(xs)):
        for j in range(len(xs)):
            assert close(ours[i, j], theirs[i][j]), f"d2/dx{i}dx{j}: {ours} != torch {theirs}"


@pytest.mark.parametrize("a", [0.5, 1.0, 2.0, 3.0, 1e-5, -2.0, -0.5, -1.0, -1e-5])
@pytest.mark.parametrize("b", [0.0, 1.0, 2.0, -1.0, -2.0, 0.5, -0.3, 3.0])
def test_hessian_of_a_to_the_b_is_symmetric_and_nan_for_a_negative_base(a, b):
    try:
        h = hessian(lambda v: v[0] ** v[1])([a, b])
    except DOMAIN_ERRORS:
        return
    assert same(h[0, 1], h[1, 0]) or h[0, 1] == pytest.approx(h[1, 0], rel=1e-12), h
    if a < 0:
        assert np.isnan(h[0, 1]) and np.isnan(h[1, 1]), h  # a^b ln a is not real below 0


# ------------------------------------------------------------------ tensor op arguments vs torch
# Each op's axes, indices and shapes in negative and positive spellings: the same values and
# gradients as torch, and as each other. Data with ties, so max's tie rule is exercised.

X234 = np.array([[[3.0, 1.0, 3.0, 0.5], [2.0, 2.0, -1.0, 2.0], [0.0, 4.0, 4.0, 1.0]]] * 2)
X234[1] *= -0.5


def amax(t, axis, keepdims=False):
    return t.amax(dim=axis, keepdim=keepdims)


ARGUMENT_CASES = [
    # (name, ours, torch's)
    ("transpose(-1,0,1)", lambda x: x.transpose(-1, 0, 1), lambda x: x.permute(2, 0, 1)),
    ("transpose(2,-3,1)", lambda x: x.transpose(2, -3, 1), lambda x: x.permute(2, 0, 1)),
    ("transpose((1,-1,0))", lambda x: x.transpose((1, -1, 0)), lambda x: x.permute(1, 2, 0)),
    ("sum(-1)", lambda x: x.sum(-1), lambda x: x.sum(-1)),
    ("sum(2)", lambda x: x.sum(2), lambda x: x.sum(2)),
    ("sum((-1,0))", lambda x: x.sum((-1, 0)), lambda x: x.sum((2, 0))),
    ("sum(-2,keep)", lambda x: x.sum(-2, keepdims=True), lambda x: x.sum(1, keepdim=True)),
    ("mean(-3)", lambda x: x.mean(-3), lambda x: x.mean(0)),
    ("mean((0,-1),keep)", lambda x: x.mean((0, -1), True), lambda x: x.mean((0, 2), True)),
    ("max(-1)", lambda x: x.max(-1), lambda x: amax(x, -1)),
    ("max(1)", lambda x: x.max(1), lambda x: amax(x, 1)),
    ("max((-1,-2),keep)", lambda x: x.max((-1, -2), True), lambda x: amax(x, (1, 2), True)),
    ("max(all)", lambda x: x.max(), lambda x: x.amax()),
    ("max(all,keep)", lambda x: x.max(keepdims=True), lambda x: x.amax((0, 1, 2), True)),
    ("softmax(-2)", lambda x: x.softmax(-2), lambda x: x.softmax(1)),
    ("softmax(0)", lambda x: x.softmax(0), lambda x: x.softmax(-3)),
    ("log_softmax(-3)", lambda x: x.log_softmax(-3), lambda x: x.log_softmax(0)),
    ("reshape(-1)", lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
    ("reshape(4,-1)", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, 6)),
    ("reshape((-1,3,2))", lambda x: x.reshape((-1, 3, 2)), lambda x: x.reshape(4, 3, 2)),
    ("[-1]", lambda x: x[-1], lambda x: x[1]),
    ("[-1,-2,-3]", lambda x: x[-1, -2, -3], lambda x: x[1, 1, 1]),
    ("[:, -2:]", lambda x: x[:, -2:], lambda x: x[:, 1:]),
    ("[..., ::-1]", lambda x: x[..., -1::-2], lambda x: x[..., [3, 1]]),
    ("[[-1,0,-1]]", lambda x: x[[-1, 0, -1]], lambda x: x[[1, 0, 1]]),
    (
        "[:, [-1,-1], [0,-4]]",
        lambda x: x[:, np.array([-1, -1]), np.array([0, -4])],
        lambda x: x[:, [2, 2], [0, 0]],
    ),
    ("[bool]", lambda x: x[X234 > 1.5], None),
    ("[:, bool row]", lambda x: x[:, np.array([True, False, True])], None),
    ("[-1, None, -1]", lambda x: x[-1, None, -1], lambda x: x[1, None, 2]),
]


@pytest.mark.parametrize("name, ours, theirs", ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES])
def test_tensor_op_arguments_match_torch(torch, name, ours, theirs):
    x = Tensor(X234)
    y = ours(x)
    ref = torch.tensor(X234, dtype=torch.float64, requires_grad=True)
    if theirs is None:  # numpy-only spellings: torch takes the same index as a tensor
        ry = ref[torch.tensor(X234 > 1.5)] if "[bool]" in name else ref[:, [0, 2]]
    else:
        ry = theirs(ref)
    seed = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(seed)
    ry.backward(torch.tensor(seed))
    np.testing.assert_allclose(y.data, ry.detach().numpy(), rtol=1e-14, atol=0)
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-14, atol=1e-15)
