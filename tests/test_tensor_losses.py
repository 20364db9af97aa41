"""nn.losses on Tensors: bce_with_logits exact for every logit (as the scalar path), and targets
checked as the scalar losses check them."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from autograd import Tensor, Value
from nn import losses

LOGITS = [-800.0, -100.0, -40.0, -30.0, -5.0, -1e-3, 0.0, 1e-3, 0.7, 5.0, 30.0, 40.0, 100.0]
LOGITS += [179.0, 700.0, 800.0]
TARGETS = [0.0, 0.3, 1.0]


def _exact_bce(z: float, y: float) -> tuple[float, float]:
    """y softplus(-z) + (1 - y) softplus(z) and its derivative sigmoid(z) - y, to 40 digits
    (the derivative as (1 - y) sigmoid(z) - y sigmoid(-z): no cancellation for y in {0, 1})."""
    with mpmath.workdps(40):
        z = mpmath.mpf(z)

        def softplus(x):  # log1p(e^x), written so that e^x never overflows
            return x + mpmath.log1p(mpmath.exp(-x)) if x > 0 else mpmath.log1p(mpmath.exp(x))

        def sigmoid(x):
            return 1 / (1 + mpmath.exp(-x))

        loss = y * softplus(-z) + (1 - y) * softplus(z)
        slope = (1 - y) * sigmoid(z) - y * sigmoid(-z)
        return float(loss), float(slope)


def _close(ours: float, exact: float) -> bool:
    return ours == exact or abs(ours - exact) <= 4 * math.ulp(exact) + 1e-300


def test_the_issue_figures_are_the_exact_ones():
    # log(1 + e^-30) and log(1 + e^-40), the losses of z = 30 and 40 for target 1.
    assert _exact_bce(30.0, 1.0)[0] == 9.357622968839737e-14 == math.log1p(math.exp(-30.0))
    assert _exact_bce(40.0, 1.0)[0] == 4.248354255291589e-18


@pytest.mark.parametrize("y", TARGETS)
@pytest.mark.parametrize("z", LOGITS)
def test_scalar_bce_with_logits_is_exact_for_every_logit(z, y):
    loss_exact, slope_exact = _exact_bce(z, y)
    x = Value(z)
    loss = losses.bce_with_logits(x, y)
    loss.backward()
    assert _close(loss.data, loss_exact), (z, y, loss.data, loss_exact)
    assert _close(x.grad, slope_exact), (z, y, x.grad, slope_exact)


@pytest.mark.parametrize("y", TARGETS)
def test_tensor_bce_with_logits_is_exact_for_every_logit(y):
    x = Tensor(np.array(LOGITS))
    loss = losses.bce_with_logits(x, np.full(len(LOGITS), y))
    loss.backward()
    n = len(LOGITS)
    for i, z in enumerate(LOGITS):
        # one entry at a time, so that the mean does not round the small losses away
        single = losses.bce_with_logits(Tensor([z]), [y]).item()
        loss_exact, slope_exact = _exact_bce(z, y)
        assert _close(single, loss_exact), (z, y, single, loss_exact)
        assert _close(x.grad[i] * n, slope_exact), (z, y, x.grad[i] * n, slope_exact)


@pytest.mark.parametrize("z", [-40.0, -0.5, 0.0, 0.5, 30.0, 40.0])
def test_tensor_bce_with_logits_slope_is_sigmoid_minus_target_also_at_zero(z):
    x = Tensor([z, z])
    losses.bce_with_logits(x, [0.0, 1.0]).backward()
    # sigmoid(z) - 0 and sigmoid(z) - 1 = -sigmoid(-z)
    expected = [1 / (1 + math.exp(-z)), -1 / (1 + math.exp(z))]
    np.testing.assert_allclose(x.grad * 2, expected, rtol=1e-15, atol=1e-300)


def test_tensor_bce_with_logits_keeps_float32():
    x = Tensor(np.array([30.0, -3.0, 0.0], dtype=np.float32))
    loss = losses.bce_with_logits(x, [1.0, 0.0, 1.0])
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    expected = np.mean([math.log1p(math.exp(-30.0)), math.log1p(math.exp(-3.0)), math.log(2)])
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_tensor_bce_with_logits_matches_torch_at_moderate_logits(torch):
    rng = np.random.default_rng(0)
    z, y = rng.normal(0, 4, (6, 3)), rng.uniform(0, 1, (6, 3))
    ours = Tensor(z)
    loss = losses.bce_with_logits(ours, y)
    loss.backward()
    theirs = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.tensor(y))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13, atol=1e-17)


def test_softplus_is_the_one_place_to_switch():
    from nn import tensor_losses

    x = Tensor(np.array(LOGITS))
    np.testing.assert_array_equal(
        tensor_losses._softplus(x).data, np.logaddexp(0.0, np.array(LOGITS))
    )


# -------------------------------------------------------------------- targets checked


Z = Tensor(np.zeros((2, 3)))
P = Tensor(np.full((2, 1), 0.5))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: losses.cross_entropy(Z, [[0.5, 0.6, 0.0], [1.0, 0.0, 0.0]]),
            ValueError,
            r"cross_entropy: target probabilities must sum to 1, got 1.1 \(row 0\)",
        ),
        (
            lambda: losses.cross_entropy(Z, [[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]),
            ValueError,
            r"cross_entropy: targets must be in \[0, 1\], got 1.5 \(row 0, column 0\)",
        ),
        (
            lambda: losses.cross_entropy(Z, [[1.0, 0.0, 0.0], [-0.2, 0.6, 0.6]]),
            ValueError,
            r"cross_entropy: targets must be in \[0, 1\], got -0.2 \(row 1, column 0\)",
        ),
        (
            lambda: losses.cross_entropy(Z, np.eye(4)[[0, 1]]),
            ValueError,
            "cross_entropy: target rows have 4 probabilities but there are 3 logits",
        ),
        (
            lambda: losses.cross_entropy(Z, np.eye(2)),
            ValueError,
            "cross_entropy: target rows have 2 probabilities but there are 3 logits",
        ),
        (
            lambda: losses.cross_entropy(Z, np.array([[0], [2]])),
            ValueError,
            r"cross_entropy: class indices must be one per sample, shape \(2,\), got a column of "
            r"shape \(2, 1\): pass target.ravel\(\)",
        ),
        (
            lambda: losses.cross_entropy(Z, ["a", "b"]),
            TypeError,
            "cross_entropy: targets must be numbers, got <U1 targets",
        ),
        (
            lambda: losses.cross_entropy(Tensor(np.zeros((0, 3))), []),
            ValueError,
            r"cross_entropy: pred is an empty batch \(shape \(0, 3\)\)",
        ),
        (
            lambda: losses.bce_with_logits(P, [0.5, 2.0]),
            ValueError,
            r"bce_with_logits: targets must be in \[0, 1\], got 2.0 \(row 1, column 0\)",
        ),
        (
            lambda: losses.bce_with_logits(P, [-0.1, 1.0]),
            ValueError,
            r"bce_with_logits: targets must be in \[0, 1\], got -0.1 \(row 0, column 0\)",
        ),
        (
            lambda: losses.bce_with_logits(P, [math.nan, 1.0]),
            ValueError,
            r"bce_with_logits: targets must be in \[0, 1\], got nan",
        ),
        (
            lambda: losses.binary_cross_entropy(P, [0.0, 3.0]),
            ValueError,
            r"binary_cross_entropy: targets must be in \[0, 1\], got 3.0 \(row 1, column 0\)",
        ),
        (
            lambda: losses.mse(P, ["1", "2"]),
            TypeError,
            "mse: targets must be numbers, got <U1",
        ),
        (
            lambda: losses.mse(P, [Value(1.0), Value(2.0)]),
            TypeError,
            r"mse: targets must be numbers, got object .*use \.data",
        ),
        (
            lambda: losses.mse(Tensor(np.zeros((0, 1))), []),
            ValueError,
            "mse: pred is an empty batch",
        ),
        (
            lambda: losses.bce_with_logits(Tensor(np.zeros(0)), []),
            ValueError,
            "bce_with_logits: pred is an empty batch",
        ),
        (
            lambda: losses.hinge(P, [1.0, 0.0]),
            ValueError,
            r"hinge: labels must be -1 or \+1, got 0.0 \(row 1, column 0",
        ),
    ],
)
def test_tensor_losses_check_targets_as_the_scalar_losses_do(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_same_mistakes_are_refused_by_the_scalar_losses_too():
    row = [Value(0.0), Value(0.0), Value(0.0)]
    with pytest.raises(ValueError, match="must sum to 1"):
        losses.cross_entropy([row], [[0.5, 0.6, 0.0]])
    with pytest.raises(ValueError, match="4 probabilities but there are 3 logits"):
        losses.cross_entropy([row], [[1.0, 0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        losses.bce_with_logits([Value(0.0)], [2.0])
    with pytest.raises(ValueError, match="empty batch"):
        losses.mse([], [])


def test_valid_probability_rows_still_give_the_soft_label_loss():
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    t = np.array([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    ours = losses.cross_entropy(Tensor(z), t).item()
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert ours == pytest.approx(-(t * log_softmax).sum(axis=1).mean(), rel=1e-14)


def test_tensor_binary_cross_entropy_clamps_as_the_scalar_loss_does():
    probs = [0.0, 1e-15, 0.3, 1.0 - 1e-15, 1.0]
    targets = [0.0, 1.0, 1.0, 0.0, 1.0]
    scalar_inputs = [Value(p) for p in probs]
    scalar = losses.binary_cross_entropy(scalar_inputs, targets)
    scalar.backward()
    x = Tensor(np.array(probs))
    tensor = losses.binary_cross_entropy(x, targets)
    tensor.backward()
    assert tensor.item() == pytest.approx(scalar.data, rel=1e-13)
    np.testing.assert_allclose(x.grad, [v.grad for v in scalar_inputs], rtol=1e-12)
    assert x.grad[0] == x.grad[1] == x.grad[3] == x.grad[4] == 0.0  # clamped: constants


@pytest.mark.parametrize(
    ("prob", "eps", "message"),
    [
        (1.5, 1e-12, r"binary_cross_entropy: probabilities must be in \[0, 1\], got 1.5"),
        (math.nan, 1e-12, r"binary_cross_entropy: probabilities must be in \[0, 1\], got nan"),
        (0.5, 0.0, r"binary_cross_entropy: eps must be a number in \(0, 0.5\), got 0.0"),
    ],
)
def test_tensor_binary_cross_entropy_refuses_what_the_scalar_loss_refuses(prob, eps, message):
    for pred in (Value(prob), Tensor([prob])):
        with pytest.raises(ValueError, match=message):
            losses.binary_cross_entropy(pred, [1.0] if isinstance(pred, Tensor) else 1.0, eps)


# -------------------------------------------------------------------- scalar and tensor agree

BINARY_TARGETS = {
    "valid": [0.0, 1.0, 0.25],
    "above one": [0.0, 1.5, 0.0],
    "negative": [-0.5, 1.0, 0.0],
    "nan": [0.0, math.nan, 1.0],
    "strings": ["0", "1", "0"],
    "too few": [0.0, 1.0],
    "labels -1/+1": [-1.0, 1.0, 1.0],
    "labels 0/1": [0.0, 1.0, 1.0],
}
PREDICTIONS = [0.3, -1.2, 2.5]


def _both(loss_name: str, targets):
    """The loss on Values and on a Tensor: (value, None) or (None, exception class)."""
    results = []
    fn = getattr(losses, loss_name)
    preds = (
        [1 / (1 + math.exp(-p)) for p in PREDICTIONS]
        if loss_name == "binary_cross_entropy"
        else PREDICTIONS
    )
    for build in (lambda: [Value(p) for p in preds], lambda: Tensor(np.array(preds))):
        try:
            out = fn(build(), targets)
            results.append((float(out.data), None))
        except (ValueError, TypeError) as error:
            results.append((None, type(error)))
    return results


@pytest.mark.parametrize("targets", BINARY_TARGETS.values(), ids=BINARY_TARGETS.keys())
@pytest.mark.parametrize("loss_name", ["mse", "binary_cross_entropy", "bce_with_logits", "hinge"])
def test_scalar_and_tensor_losses_accept_and_refuse_the_same_targets(loss_name, targets):
    (scalar, scalar_error), (tensor, tensor_error) = _both(loss_name, targets)
    if loss_name == "mse" and targets is BINARY_TARGETS["nan"]:
        assert math.isnan(scalar) and math.isnan(tensor)  # mse takes any number, NaN included
        return
    assert (scalar_error is None) == (tensor_error is None), (scalar_error, tensor_error)
    if scalar_error is None:
        assert tensor == pytest.approx(scalar, rel=1e-13)


CLASS_TARGETS = {
    "indices": [0, 2],
    "index out of range": [0, 3],
    "negative index": [-1, 0],
    "one-hot": [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
    "soft": [[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]],
    "rows not summing to one": [[0.2, 0.3, 0.4], [0.0, 0.9, 0.1]],
    "negative probability": [[1.2, -0.2, 0.0], [0.0, 0.9, 0.1]],
    "one-hot too wide": [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]],
    "one-hot too narrow": [[1.0, 0.0], [0.0, 1.0]],
    "strings": ["a", "b"],
    "too many": [0, 1, 2],
}
LOGITS_2x3 = [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]


@pytest.mark.parametrize("targets", CLASS_TARGETS.values(), ids=CLASS_TARGETS.keys())
def test_scalar_and_tensor_cross_entropy_accept_and_refuse_the_same_targets(targets):
    results = []
    for build in (
        lambda: [[Value(z) for z in row] for row in LOGITS_2x3],
        lambda: Tensor(np.array(LOGITS_2x3)),
    ):
        try:
            results.append((float(losses.cross_entropy(build(), targets).data), None))
        except (ValueError, TypeError) as error:
            results.append((None, type(error)))
    (scalar, scalar_error), (tensor, tensor_error) = results
    assert (scalar_error is None) == (tensor_error is None), (scalar_error, tensor_error)
    if scalar_error is None:
        assert tensor == pytest.approx(scalar, rel=1e-13)
