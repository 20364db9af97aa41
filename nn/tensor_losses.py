"""The losses of `nn.losses` on Tensors: one formula over the whole batch instead of a Python
loop over samples. `nn.losses` sends a Tensor here, so users call the same names either way.

Each returns a 0-d Tensor, the mean over the batch, as the scalar versions do.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor


def _target(name: str, pred: Tensor, target) -> np.ndarray:
    """Targets as an array of pred's dtype and shape (a flat target fits an (n, 1) prediction)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target, dtype=pred.dtype)
    if t.size != pred.data.size:
        raise ValueError(f"{name}: prediction shape {pred.shape} and target shape {t.shape} differ")
    return t.reshape(pred.shape)


def mse(pred: Tensor, target) -> Tensor:
    """mean (pred - target)^2 over every entry."""
    diff = pred - _target("mse", pred, target)
    return (diff * diff).mean()


def binary_cross_entropy(prob: Tensor, target, eps: float = 1e-12) -> Tensor:
    """mean -(y log p + (1 - y) log(1 - p)) on probabilities strictly inside (0, 1)."""
    y = _target("binary_cross_entropy", prob, target)
    if np.any(prob.data < eps) or np.any(prob.data > 1 - eps):
        raise ValueError(
            "binary_cross_entropy: probabilities must lie in (0, 1) for tensors "
            "(use bce_with_logits on raw scores: it is stable)"
        )
    return -(y * prob.log() + (1 - y) * (1 - prob).log()).mean()


def bce_with_logits(logit: Tensor, target) -> Tensor:
    """mean of softplus(z) - z y, as max(z, 0) - z y + log(1 + e^-|z|): no overflow at any z."""
    y = _target("bce_with_logits", logit, target)
    magnitude = logit.relu() + (-logit).relu()  # |z|
    return (logit.relu() - logit * y + (1 + (-magnitude).exp()).log()).mean()


def hinge(scores: Tensor, labels) -> Tensor:
    """mean relu(1 - y s) with labels in {-1, +1}."""
    y = _target("hinge", scores, labels)
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("hinge: labels must be -1 or +1 (map 0/1 labels: 2y - 1)")
    return (1 - scores * y).relu().mean()


def l2(params, alpha: float = 1.0) -> Tensor:
    """alpha * sum of squared entries of every parameter."""
    total = None
    for p in params:
        term = (p * p).sum()
        total = term if total is None else total + term
    return total * float(alpha)


def cross_entropy(logits: Tensor, target) -> Tensor:
    """Softmax cross-entropy over the last axis, mean over the batch; integer class targets use
    the fused stable primitive, one-hot or probability rows use -sum t log_softmax(z)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.ndim == logits.ndim:
        return -(logits.log_softmax(axis=-1) * t.astype(logits.dtype)).sum(axis=-1).mean()
    return logits.cross_entropy(t)
