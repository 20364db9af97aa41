"""Compiled replay (`autograd.compile`): the same values and gradients as the interpreted engine,
on floats and on numpy batches, branches of kinked primitives replayed, control flow caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
from catalogue import BINARY, GRID, UNARY, pairs, points

from autograd import Value, value
from autograd.compile import Compiled, TraceError, trace
from nn import MLP, losses


def close(actual, expected) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12) or (
        math.isnan(actual) and math.isnan(expected)
    )


def interpreted(fn, *xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


# ------------------------------------------------------------------ every primitive has a rule


def test_a_constant_power_carries_its_exact_exponent_as_a_field():
    # Every op's replay is checked by the registry's facet test (tests/test_registry.py).
    op = value.power_op(1.0000001)
    assert op.exponent == 1.0000001 and op.args == (1.0000001,)


# ------------------------------------------------------------------ scalar replay


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_replay_matches_the_engine(op):
    xs = points(op)
    f = trace(op.fn, xs[-1])  # traced at one point, replayed at all (across kinks too)
    for x in xs:
        expected, (grad,) = interpreted(op.fn, x)
        got, (g,) = f.value_and_grad(x)
        assert close(got, expected) and close(f(x), expected), (op.name, x, got, expected)
        assert close(g, grad), (op.name, x, g, grad)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_replay_matches_the_engine(op):
    args = pairs(op)
    f = trace(op.fn, *args[0])
    for a, b in args:
        expected, grads = interpreted(op.fn, a, b)
        got, g = f.value_and_grad(a, b)
        assert close(got, expected), (op.name, a, b)
        assert all(close(x, y) for x, y in zip(g, grads)), (op.name, a, b, g, grads)


def test_scalar_replay_is_bit_identical_on_a_network_loss():
    model = MLP(3, [5, 4, 1], activation="tanh", seed=2)
    params = model.parameters()
    f = trace(lambda ps, x, y: (model(x) - y) ** 2, params, [0.0] * 3, 0.0)
    x, y = [0.3, -1.2, 0.8], 0.5
    value_, (grads, _, _) = f.value_and_grad([p.data for p in params], x, y)
    out = (model(x) - y) ** 2
    out.backward()
    assert value_ == out.data
    assert grads == [p.grad for p in params]


def test_the_generated_source_has_one_line_per_node_and_inlines_constants():
    f = trace(lambda x: (x * 2.5 - 1.0).relu(), 1.0)
    src = f.source
    assert "v0 = x0 * 2.5" in src and "v1 = v0 - 1.0" in src
    assert "(0.0 if v1 <= 0.0 else v1)" in src
    assert f.n_nodes == 3 and f.n_inputs == 1
    assert repr(f) == "Compiled(<lambda>: 1 inputs, 3 nodes)"
    assert isinstance(f, Compiled)


def test_relu_replays_the_branch_of_the_new_input_not_the_traced_one():
    f = trace(lambda x: (x * 3.0).relu(), 1.0)
    assert f.value_and_grad(-2.0) == (0.0, (0.0,))
    assert f.value_and_grad(2.0) == (6.0, (3.0,))


def test_structured_arguments_come_back_in_the_same_structure():
    f = trace(lambda ws, b: ws[0] * ws[1] + b, [1.0, 2.0], 0.5)
    value_, (dws, db) = f.value_and_grad([3.0, 4.0], 1.0)
    assert value_ == 13.0 and dws == [4.0, 3.0] and db == 1.0
    with pytest.raises(TypeError, match="expected 2 arguments"):
        f([3.0, 4.0])
    with pytest.raises(TypeError, match="expected a list of 2"):
        f([3.0], 1.0)


def test_an_input_the_output_does_not_use_gets_zero_gradient():
    f = trace(lambda x, y: x * x, 1.0, 1.0)
    assert f.value_and_grad(3.0, 5.0) == (9.0, (6.0, 0.0))


def test_errors_of_the_forward_pass_are_still_named_on_floats():
    f = trace(lambda x: x**0.5, 1.0)
    with pytest.raises(value.DomainError, match="non-integer power"):
        f(-4.0)


# ------------------------------------------------------------------ batches


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_batch_replay_matches_the_engine_per_sample(op):
    xs = points(op, GRID)
    f = trace(op.fn, xs[0])
    values, (grads,) = f.value_and_grad(np.array(xs))
    for x, v, g in zip(xs, values, grads):
        expected, (grad,) = interpreted(op.fn, x)
        assert close(v, expected), (op.name, x, v, expected)
        assert close(g, grad), (op.name, x, g, grad)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_batch_replay_with_a_shared_input_sums_its_gradient(op):
    args = pairs(op)
    a = args[0][0]
    bs = [b for x, b in args if x == a]
    f = trace(op.fn, a, bs[0])
    values, (da, db) = f.value_and_grad(a, np.array(bs))
    expected = [interpreted(op.fn, a, b) for b in bs]
    assert all(close(v, e[0]) for v, e in zip(values, expected))
    assert all(close(g, e[1][1]) for g, e in zip(db, expected))
    assert close(da, math.fsum(e[1][0] for e in expected))


def mlp_sample_loss():
    model = MLP(2, [6, 5, 1], seed=3)
    params = model.parameters()

    def sample_loss(ps, x, label):
        return (1.0 - label * model(x)).relu() + losses.l2(ps, 1e-3)

    return model, params, sample_loss


def test_mlp_batch_gradient_equals_the_sum_of_per_sample_engine_gradients():
    model, params, sample_loss = mlp_sample_loss()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 2)), rng.choice([-1.0, 1.0], size=12)
    f = trace(sample_loss, params, [0.0, 0.0], 1.0)
    weights = [p.data for p in params]
    values, (grads, dx, dy) = f.value_and_grad(weights, list(X.T), y, gradient=1.0 / len(X))
    out = [model(row) for row in X.tolist()]
    loss = losses.hinge(out, y.tolist()) + losses.l2(params, 1e-3)  # the mean of sample_loss
    loss.backward()
    assert close(values.mean(), loss.data)
    assert all(close(g, p.grad) for g, p in zip(grads, params))
    assert dx[0].shape == (12,) and dy.shape == (12,)
    assert [p.data for p in params] == weights  # the model is not touched


def test_per_sample_gradients_equal_a_loop_over_samples():
    _, params, sample_loss = mlp_sample_loss()
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(5, 2)), rng.choice([-1.0, 1.0], size=5)
    f = trace(sample_loss, params, [0.0, 0.0], 1.0)
    weights = [p.data for p in params]
    values, (grads, (dx0, _), dy) = f.value_and_grad(weights, list(X.T), y, per_sample=True)
    for i in range(len(X)):
        v, (g, (gx0, _), gy) = f.value_and_grad(weights, X[i].tolist(), y[i])
        assert close(values[i], v) and close(dx0[i], gx0) and close(dy[i], gy)
        assert all(close(grads[k][i], g[k]) for k in range(len(params)))


def test_batch_inputs_must_be_one_dimensional_and_of_one_length():
    f = trace(lambda x, y: x * y, 1.0, 1.0)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        f(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        f(np.ones((2, 2)), 1.0)


# ------------------------------------------------------------------ control flow


def branchy(x):
    return x * x if x.data > 0 else -x  # Python control flow on a value: not traceable


def test_check_mode_accepts_inputs_that_take_the_traced_path():
    f = trace(branchy, 2.0, check=True)
    assert f.value_and_grad(3.0) == (9.0, (6.0,))
    values, _ = f.value_and_grad(np.array([1.0, 4.0]))
    assert values.tolist() == [1.0, 16.0]


def test_check_mode_says_control_flow_depends_on_the_inputs():
    f = trace(branchy, 2.0, check=True)
    with pytest.raises(TraceError, match=r"control flow .* depends on its inputs"):
        f(-3.0)
    with pytest.raises(TraceError, match=r"sample 1"):
        f.value_and_grad(np.array([1.0, -4.0]))
    assert trace(branchy, 2.0)(-3.0) == 9.0  # without check: the traced branch, silently


def test_check_mode_catches_a_constant_taken_from_data():
    f = trace(lambda x: x - x.data, 2.0, check=True)  # the shift is a constant of the trace
    assert f(2.0) == 0.0
    with pytest.raises(TraceError, match="depends on its inputs"):
        f(5.0)


def test_check_mode_restores_the_callers_own_values():
    w = Value(0.5)
    f = trace(lambda w, x: w * x, w, 1.0, check=True)
    assert f(3.0, 2.0) == 6.0
    assert w.data == 0.5 and w.grad == 0.0
