"""The losses of `nn.losses` on Tensors: one formula over the whole batch instead of a Python
loop over samples. `nn.losses` sends a Tensor here, so users call the same names either way.

Each returns a 0-d Tensor, the mean over the batch, as the scalar versions do, and checks its
targets as they do (numbers, the prediction's shape, the loss's range, a non-empty batch), before
any op runs: `bce_with_logits: targets must be in [0, 1], got 2.0 (entry 3)`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd import Tensor

__all__ = ["bce_with_logits", "binary_cross_entropy", "cross_entropy", "hinge", "l2", "mse"]


# -------------------------------------------------------------------- target checks


def _array(name: str, target) -> np.ndarray:
    """Targets as a numpy array of numbers (no strings, no Values)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "biuf":
        hint = " (targets are plain numbers: use .data)" if t.dtype.kind == "O" else ""
        text = repr(target)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise TypeError(f"{name}: targets must be numbers, got {t.dtype} targets {text}{hint}")
    return t


def _check_batch(name: str, pred: Tensor) -> None:
    if pred.data.size == 0:
        raise ValueError(f"{name}: pred is an empty batch (shape {pred.shape})")


def _target(name: str, pred: Tensor, target) -> np.ndarray:
    """Targets as an array of pred's dtype and shape (a flat target fits an (n, 1) prediction)."""
    _check_batch(name, pred)
    t = _array(name, target)
    if t.size != pred.data.size:
        raise ValueError(f"{name}: prediction shape {pred.shape} and target shape {t.shape} differ")
    return t.astype(pred.dtype).reshape(pred.shape)


def _position(array: np.ndarray, flat: int) -> str:
    """Where entry `flat` of `array` is, for an error message: "entry 3" or "row 1, column 0"."""
    if array.ndim == 2:
        row, column = divmod(flat, array.shape[1])
        return f"row {row}, column {column}"
    if array.ndim > 2:
        return f"index {tuple(int(i) for i in np.unravel_index(flat, array.shape))}"
    return f"entry {flat}"


def _check_unit_interval(name: str, y: np.ndarray) -> None:
    bad = ~((y >= 0) & (y <= 1))  # NaN is outside too
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: targets must be in [0, 1], got {float(y.flat[i])!r} ({_position(y, i)})"
        )


# -------------------------------------------------------------------- softplus


def _softplus(x: Tensor) -> Tensor:
    """softplus(x) = log(1 + e^x), exact for every x: the one place to switch to `x.softplus()`
    once Tensor has it.

    Written with the ops Tensor has: max(x, 0) + log(1 + e^-|x|), where -|x| is x times a
    constant sign (so no op sees a kink at 0 and the derivative there is sigmoid(0) = 1/2). Its
    derivatives are accurate at every order (d/dx = e^x / (1 + e^x) computed as 1/w * e), but its
    value loses digits where 1 + e^-|x| rounds (log(1 + 1e-14) keeps 2 of them), so a constant,
    numpy's exact log1p-based softplus minus that value, is added: the value is exact and the
    derivatives are those of the composition.
    """
    sign = np.where(x.data > 0, -1.0, 1.0).astype(x.dtype)  # x * sign = -|x|
    approx = x.relu() + (1 + (x * sign).exp()).log()
    exact = np.logaddexp(np.zeros((), x.dtype), x.data)
    with np.errstate(invalid="ignore"):  # inf - inf where x = inf: no correction needed there
        correction = np.where(np.isfinite(approx.data), exact - approx.data, 0).astype(x.dtype)
    return approx + correction


# -------------------------------------------------------------------- losses


def mse(pred: Tensor, target) -> Tensor:
    """mean (pred - target)^2 over every entry."""
    diff = pred - _target("mse", pred, target)
    return (diff * diff).mean()


def binary_cross_entropy(prob: Tensor, target, eps: float = 1e-12) -> Tensor:
    """mean -(y log p + (1 - y) log(1 - p)) on probabilities in [0, 1], clamped to
    [eps, 1 - eps] as the scalar loss clamps them: a clamped entry gets zero gradient."""
    name = "binary_cross_entropy"
    if isinstance(eps, bool) or not (isinstance(eps, numbers.Real) and 0.0 < eps < 0.5):
        raise ValueError(f"{name}: eps must be a number in (0, 0.5), got {eps!r}")
    y = _target(name, prob, target)
    _check_unit_interval(name, y)
    p = prob.data
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: probabilities must be in [0, 1], got {float(p.flat[i])!r} "
            f"({_position(p, i)}; for unbounded scores use bce_with_logits)"
        )
    inside = (p >= eps) & (p <= 1 - eps)
    if not inside.all():  # as torch.clamp: the clamped entries become constants
        keep = inside.astype(prob.dtype)
        prob = prob * keep + np.clip(p, eps, 1 - eps).astype(prob.dtype) * (1 - keep)
    return -(y * prob.log() + (1 - y) * (1 - prob).log()).mean()


def bce_with_logits(logit: Tensor, target) -> Tensor:
    """mean of y softplus(-z) + (1 - y) softplus(z), exact for every z.

    softplus(z) = softplus(-z) + z, so an entry's loss is softplus(-|z|) + (1 - y) z for z >= 0
    and softplus(-|z|) - y z for z < 0: two terms >= 0 that never cancel (z = 30, y = 1 gives
    log(1 + e^-30) = 9.357622968839737e-14 exactly), and softplus only ever sees -|z| <= 0.
    """
    name = "bce_with_logits"
    y = _target(name, logit, target)
    _check_unit_interval(name, y)
    nonnegative = logit.data >= 0
    sign = np.where(nonnegative, -1.0, 1.0).astype(logit.dtype)  # z * sign = -|z|
    weight = np.where(nonnegative, 1 - y, -y)  # of z in the linear term, making it >= 0
    return (_softplus(logit * sign) + logit * weight).mean()


def hinge(scores: Tensor, labels) -> Tensor:
    """mean relu(1 - y s) with labels in {-1, +1}."""
    y = _target("hinge", scores, labels)
    bad = ~np.isin(y, (-1.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"hinge: labels must be -1 or +1, got {float(y.flat[i])!r} ({_position(y, i)}; "
            "map 0/1 labels: 2y - 1)"
        )
    return (1 - scores * y).relu().mean()


def l2(params, alpha: float = 1.0) -> Tensor:
    """alpha * sum of squared entries of every parameter (`nn.losses.l2` checks alpha)."""
    squares = [(p * p).sum() for p in params]
    if not squares:
        raise ValueError("l2: no parameters given")
    total = squares[0]
    for term in squares[1:]:
        total = total + term
    return total * float(alpha)


def cross_entropy(logits: Tensor, target) -> Tensor:
    """Softmax cross-entropy over the last axis, mean over the batch; integer class targets use
    the fused stable primitive, one-hot or probability rows use -sum t log_softmax(z).

    Probability rows are checked as the scalar loss checks them: one per logit, each in [0, 1],
    each row summing to 1.
    """
    name = "cross_entropy"
    _check_batch(name, logits)
    t = _array(name, target)
    if t.ndim != logits.ndim or t.ndim < 2:
        return logits.cross_entropy(t)  # class indices, checked by the primitive
    if t.shape != logits.shape and t.shape[-1] == 1 and t.dtype.kind in "iu":
        raise ValueError(
            f"{name}: class indices must be one per sample, shape ({logits.shape[0]},), got a "
            f"column of shape {t.shape}: pass target.ravel()"
        )
    if t.shape != logits.shape:
        raise ValueError(
            f"{name}: target rows have {t.shape[-1]} probabilities but there are "
            f"{logits.shape[-1]} logits (target shape {t.shape}, logits shape {logits.shape})"
        )
    t = t.astype(logits.dtype)
    _check_unit_interval(name, t)
    sums = t.sum(axis=-1)
    off = ~np.isclose(sums, 1.0, rtol=0.0, atol=1e-6)
    if off.any():
        index = np.unravel_index(int(np.flatnonzero(off)[0]), sums.shape)
        row = int(index[0]) if len(index) == 1 else tuple(int(i) for i in index)
        raise ValueError(
            f"{name}: target probabilities must sum to 1, got {math.fsum(t[index])!r} (row {row})"
        )
    return -(logits.log_softmax(axis=-1) * t).sum(axis=-1).mean()
