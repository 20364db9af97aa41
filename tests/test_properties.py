"""Property-based: random expression graphs over the primitives, gradients vs finite differences
and vs PyTorch. Each program is a list of steps; each step applies an op to earlier results, so
nodes are freely reused (fan-out) and graphs are genuinely DAGs."""

from __future__ import annotations

import math

from conftest import require_module
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value


def softplus(x):
    """softplus of a Value or a torch tensor (torch spells it as a function)."""
    if isinstance(x, Value):
        return x.softplus()
    return require_module("torch").nn.functional.softplus(x)


# Ops that are smooth and defined on the whole real line (so finite differences are meaningful).
UNARY = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "softplus": softplus,
    "square": lambda x: x**2,
    "neg": lambda x: -x,
    "exp_tanh": lambda x: x.tanh().exp(),
    "log_softplus": lambda x: (softplus(x) + 0.5).log(),
    "sqrt_1p": lambda x: (x * x + 1).sqrt(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "safe_div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 0.5) ** b.tanh(),
}

N_INPUTS = 3

step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 10**6)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 10**6), st.integers(0, 10**6)),
)
programs = st.lists(step, min_size=1, max_size=12)
inputs = st.lists(st.floats(-2.0, 2.0), min_size=N_INPUTS, max_size=N_INPUTS)


def run(program, xs):
    """Apply each step to earlier results (indices wrap around), returning the last node."""
    ops = {**UNARY, **BINARY}
    nodes = list(xs)
    for name, *args in program:
        nodes.append(ops[name](*(nodes[i % len(nodes)] for i in args)))
    return nodes[-1]


def engine_grads(program, xs):
    vs = [Value(x) for x in xs]
    out = run(program, vs)
    out.backward()
    return out.data, [v.grad for v in vs]


@settings(max_examples=150, deadline=None)
@given(programs, inputs)
def test_random_graph_gradients_match_finite_differences(program, xs):
    value, grads = engine_grads(program, xs)
    assert math.isfinite(value)
    eps = 1e-6
    for i in range(N_INPUTS):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        numeric = (engine_grads(program, up)[0] - engine_grads(program, down)[0]) / (2 * eps)
        assert math.isclose(grads[i], numeric, rel_tol=1e-4, abs_tol=1e-5), (i, grads, numeric)


@settings(max_examples=100, deadline=None)
@given(programs, inputs)
def test_random_graph_gradients_match_torch(program, xs):
    torch = require_module("torch")
    value, grads = engine_grads(program, xs)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = run(program, ts)
    expected = torch.autograd.grad(out, ts, allow_unused=True)
    assert math.isclose(value, out.item(), rel_tol=1e-12, abs_tol=1e-12)
    for ours, theirs in zip(grads, expected):
        theirs = 0.0 if theirs is None else theirs.item()
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (ours, theirs)
