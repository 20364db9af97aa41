"""nn.losses: every loss's value and gradients against PyTorch (float64), single sample and batch;
stability at logits of +-1000; clamping; one-hot targets; every error message."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from nn.losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge,
    l2,
    log_softmax,
    mse,
    softmax,
)

TOL = dict(rel=1e-12, abs=1e-12)


def values(xs):
    """Nested lists of numbers as the same nesting of Values."""
    if isinstance(xs, (list, tuple)):
        return [values(x) for x in xs]
    return Value(float(xs))


def flat(xs):
    if isinstance(xs, (list, tuple)):
        return [v for x in xs for v in flat(x)]
    return [xs]


def leaf(torch, xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def assert_matches(ours: Value, our_inputs, theirs, their_input):
    """Loss value and every input gradient equal PyTorch's."""
    assert ours.data == pytest.approx(theirs.item(), **TOL)
    ours.backward()
    theirs.backward()
    expected = their_input.grad.flatten().tolist()
    actual = [v.grad for v in flat(our_inputs)]
    assert actual == pytest.approx(expected, **TOL), f"gradients: {actual} vs torch {expected}"


def rng(seed):
    return np.random.default_rng(seed)


SEEDS = [0, 1, 2]


# ------------------------------------------------------------------ mse


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(), (5,), (4, 3)], ids=["single", "batch", "vectors"])
def test_mse_matches_torch(torch, seed, shape):
    r = rng(seed)
    pred, target = r.normal(size=shape).tolist(), r.normal(size=shape).tolist()
    ours = values(pred)
    t = leaf(torch, pred)
    theirs = torch.nn.functional.mse_loss(t, torch.tensor(target, dtype=torch.float64))
    assert_matches(mse(ours, target), ours, theirs, t)


def test_mse_single_sample_equals_batch_of_one():
    assert mse(Value(2.0), 0.5).data == mse([Value(2.0)], [0.5]).data == 2.25


def test_mse_accepts_numpy_targets_and_one_output_rows():
    pred = values([[1.0], [2.0], [3.0]])
    assert mse(pred, np.array([1.0, 1.0, 1.0])).data == pytest.approx(5.0 / 3.0)


# ------------------------------------------------------------------ binary cross-entropy


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(), (6,), (3, 2)], ids=["single", "batch", "vectors"])
def test_binary_cross_entropy_matches_torch(torch, seed, shape):
    r = rng(seed)
    prob = r.uniform(0.01, 0.99, size=shape).tolist()
    target = r.uniform(0.0, 1.0, size=shape).tolist()
    ours = values(prob)
    t = leaf(torch, prob)
    theirs = torch.nn.functional.binary_cross_entropy(t, torch.tensor(target, dtype=torch.float64))
    assert_matches(binary_cross_entropy(ours, target), ours, theirs, t)


def test_binary_cross_entropy_clamps_like_torch_clamp(torch):
    eps = 1e-6
    prob = [0.0, 1.0, eps, 1.0 - eps, 0.3]
    target = [1.0, 0.0, 1.0, 0.0, 1.0]
    ours = values(prob)
    t = leaf(torch, prob)
    clamped = torch.clamp(t, eps, 1.0 - eps)
    theirs = torch.nn.functional.binary_cross_entropy(
        clamped, torch.tensor(target, dtype=torch.float64)
    )
    loss = binary_cross_entropy(ours, target, eps=eps)
    assert math.isfinite(loss.data)
    assert_matches(loss, ours, theirs, t)
    assert ours[0].grad == 0.0 and ours[1].grad == 0.0  # clamped: no gradient
    assert ours[2].grad != 0.0 and ours[3].grad != 0.0  # exactly at the bounds: still a gradient


def test_binary_cross_entropy_of_certain_right_answer_is_tiny():
    assert binary_cross_entropy(Value(1.0), 1.0).data == pytest.approx(1e-12, rel=1e-3)


# ------------------------------------------------------------------ bce with logits


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(), (6,), (3, 2)], ids=["single", "batch", "vectors"])
def test_bce_with_logits_matches_torch(torch, seed, shape):
    r = rng(seed)
    logit = (3 * r.normal(size=shape)).tolist()
    target = r.uniform(0.0, 1.0, size=shape).tolist()
    ours = values(logit)
    t = leaf(torch, logit)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor(target, dtype=torch.float64)
    )
    assert_matches(bce_with_logits(ours, target), ours, theirs, t)


def test_bce_with_logits_is_stable_at_1000(torch):
    logit = [1000.0, -1000.0, 1000.0, -1000.0, 1000.0]
    target = [0.0, 1.0, 1.0, 0.0, 0.25]
    ours = values(logit)
    t = leaf(torch, logit)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor(target, dtype=torch.float64)
    )
    loss = bce_with_logits(ours, target)
    assert math.isfinite(loss.data) and loss.data == pytest.approx((1000 + 1000 + 750) / 5)
    assert_matches(loss, ours, theirs, t)


# ------------------------------------------------------------------ softmax, log_softmax


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_match_torch(torch, seed, scale, fn):
    r = rng(seed)
    logits = (scale * r.normal(size=5)).tolist()
    weights = r.normal(size=5).tolist()  # a random weighted sum exercises the whole Jacobian
    ours = values(logits)
    out = {"softmax": softmax, "log_softmax": log_softmax}[fn](ours)
    assert isinstance(out, list) and len(out) == 5
    t = leaf(torch, logits)
    their_out = getattr(torch.nn.functional, fn)(t, dim=0)
    assert [o.data for o in out] == pytest.approx(their_out.tolist(), **TOL)
    assert all(math.isfinite(o.data) for o in out)
    total = out[0] * weights[0]
    for o, w in zip(out[1:], weights[1:]):
        total = total + o * w
    assert_matches(total, ours, (their_out * torch.tensor(weights, dtype=torch.float64)).sum(), t)


def test_softmax_sums_to_one_and_is_shift_invariant():
    a = softmax(values([1.0, 2.0, 3.0]))
    b = softmax(values([1001.0, 1002.0, 1003.0]))
    assert sum(v.data for v in a) == pytest.approx(1.0)
    assert [v.data for v in a] == pytest.approx([v.data for v in b], rel=1e-15)


# ------------------------------------------------------------------ cross-entropy


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_with_class_indices_matches_torch(torch, seed, scale):
    r = rng(seed)
    logits = (scale * r.normal(size=(4, 3))).tolist()
    target = r.integers(0, 3, size=4).tolist()
    ours = values(logits)
    t = leaf(torch, logits)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(target))
    loss = cross_entropy(ours, target)
    assert math.isfinite(loss.data)
    assert_matches(loss, ours, theirs, t)


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_of_one_sample_matches_torch(torch, seed):
    r = rng(seed)
    logits = r.normal(size=4).tolist()
    ours = values(logits)
    t = leaf(torch, logits)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(2))
    assert_matches(cross_entropy(ours, 2), ours, theirs, t)


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_with_probability_targets_matches_torch(torch, seed):
    r = rng(seed)
    logits = (2 * r.normal(size=(3, 4))).tolist()
    probs = r.dirichlet(np.ones(4), size=3)
    probs[0] = [0.0, 0.5, 0.5, 0.0]  # zeros are left out of the graph: still the same numbers
    ours = values(logits)
    t = leaf(torch, logits)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(probs, dtype=torch.float64))
    assert_matches(cross_entropy(ours, probs.tolist()), ours, theirs, t)


def test_cross_entropy_one_hot_targets_equal_index_targets():
    logits = [[0.3, -1.2, 2.0], [1000.0, -1000.0, 0.0]]
    by_index, by_one_hot = values(logits), values(logits)
    a = cross_entropy(by_index, [2, 1])
    b = cross_entropy(by_one_hot, [[0, 0, 1], [0.0, 1.0, 0.0]])
    assert a.data == pytest.approx(b.data, rel=1e-15)
    a.backward()
    b.backward()
    assert [v.grad for v in flat(by_index)] == pytest.approx(
        [v.grad for v in flat(by_one_hot)], rel=1e-15, abs=1e-300
    )


def test_cross_entropy_accepts_numpy_index_targets():
    logits = values([[0.0, 0.0], [0.0, 0.0]])
    assert cross_entropy(logits, np.array([0, 1])).data == pytest.approx(math.log(2))


# ------------------------------------------------------------------ hinge


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(), (8,)], ids=["single", "batch"])
def test_hinge_matches_torch(torch, seed, shape):
    r = rng(seed)
    scores = (1.5 * r.normal(size=shape)).tolist()
    labels = r.choice([-1, 1], size=shape).tolist()
    ours = values(scores)
    t = leaf(torch, scores)
    theirs = torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * t).mean()
    assert_matches(hinge(ours, labels), ours, theirs, t)


def test_hinge_is_micrograds_max_margin_loss():
    scores, labels = values([0.5, -2.0, 3.0]), [1, -1, -1]
    expected = sum(max(0.0, 1 - y * s.data) for s, y in zip(scores, labels)) / 3
    assert hinge(scores, labels).data == pytest.approx(expected)  # (0.5 + 0 + 4) / 3


# ------------------------------------------------------------------ l2


@pytest.mark.parametrize("alpha", [1.0, 1e-4])
def test_l2_matches_torch(torch, alpha):
    params = rng(0).normal(size=7).tolist()
    ours = values(params)
    t = leaf(torch, params)
    assert_matches(l2(ours, alpha), ours, alpha * (t * t).sum(), t)


def test_l2_of_no_parameters_is_zero():
    assert l2([]).data == 0.0


# ------------------------------------------------------------------ errors


V = Value(0.5)

ERRORS = [
    (lambda: mse([V, V], [1.0]), ValueError, "mse: pred has 2 samples but target has 1"),
    (lambda: mse([], []), ValueError, "mse: pred is an empty batch"),
    (lambda: mse(V, [1.0, 2.0]), ValueError, "mse: pred is a single value but target is a list"),
    (lambda: mse([V, V], 1.0), ValueError, "mse: pred is a batch of 2 but target is not a list"),
    (
        lambda: mse([[V, V]], [[1.0]]),
        ValueError,
        "mse: sample 0 has 2 outputs but its target has 1",
    ),
    (lambda: mse([V], [[1.0, 2.0]]), ValueError, "mse: sample 0 has one output but its target"),
    (lambda: mse([[]], [[]]), ValueError, "mse: sample 0 has no outputs"),
    (lambda: mse(V, "1"), TypeError, "mse: targets must be numbers, got str"),
    (lambda: mse(V, Value(1.0)), TypeError, r"mse: targets must be numbers, got Value .*\.data"),
    (lambda: mse("a", 1.0), TypeError, "mse: predictions must be Values or numbers, got str"),
    (
        lambda: binary_cross_entropy(V, 1.5),
        ValueError,
        r"binary_cross_entropy: targets must be in \[0, 1\], got 1.5",
    ),
    (
        lambda: binary_cross_entropy(Value(2.0), 1.0),
        ValueError,
        r"binary_cross_entropy: probabilities must be in \[0, 1\], got 2.0 .*bce_with_logits",
    ),
    (
        lambda: binary_cross_entropy(V, 1.0, eps=0.0),
        ValueError,
        r"binary_cross_entropy: eps must be a number in \(0, 0.5\), got 0.0",
    ),
    (
        lambda: bce_with_logits(V, -1.0),
        ValueError,
        r"bce_with_logits: targets must be in \[0, 1\], got -1.0",
    ),
    (lambda: hinge([V, V], [1, 0]), ValueError, r"hinge: labels must be -1 or \+1, got 0.0"),
    (lambda: hinge([V, V], [1]), ValueError, "hinge: pred has 2 samples but target has 1"),
    (lambda: softmax([]), ValueError, "softmax: logits must be a non-empty list of Values"),
    (lambda: log_softmax(V), ValueError, "log_softmax: logits must be a non-empty list"),
    (lambda: cross_entropy([V, V], 2), ValueError, "cross_entropy: class index 2 is out of range"),
    (lambda: cross_entropy([V, V], -1), ValueError, "cross_entropy: class index -1 is out of"),
    (
        lambda: cross_entropy([[V, V], [V, V]], [0, 5]),
        ValueError,
        "cross_entropy: sample 1: class index 5 is out of range for 2 classes",
    ),
    (
        lambda: cross_entropy([[V, V], [V, V]], [0]),
        ValueError,
        "cross_entropy: logits have 2 samples but target has 1",
    ),
    (
        lambda: cross_entropy([[V, V]], 0),
        ValueError,
        "cross_entropy: logits are a batch of 1 samples, so target must be a list",
    ),
    (
        lambda: cross_entropy([V, V], [1.0, 0.0, 0.0]),
        ValueError,
        "cross_entropy: target has 3 probabilities but there are 2 logits",
    ),
    (
        lambda: cross_entropy([V, V], [0.7, 0.7]),
        ValueError,
        "cross_entropy: target probabilities must sum to 1, got 1.4",
    ),
    (
        lambda: cross_entropy([V, V], [1.5, -0.5]),
        ValueError,
        r"cross_entropy: target probabilities must be in \[0, 1\], got 1.5",
    ),
    (
        lambda: cross_entropy([V, V], 1.0),
        ValueError,
        "cross_entropy: target must be a class index .* got float",
    ),
    (
        lambda: cross_entropy([[V, V], V], [0, 1]),
        ValueError,
        "cross_entropy: sample 1: expected a list of logits, got Value",
    ),
    (lambda: cross_entropy([], 0), ValueError, "cross_entropy: logits must be a non-empty list"),
    (lambda: l2([V], alpha=-1.0), ValueError, "l2: alpha must be a number >= 0, got -1.0"),
    (lambda: l2([V, 2.0]), TypeError, "l2: parameter 1 must be a Value, got float"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][:45] for e in ERRORS])
def test_errors_name_the_loss_and_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()
