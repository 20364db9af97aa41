"""Softmax, log-softmax and cross-entropy: primitives rather than compositions, because only the
fused forms are stable. (Convolution, pooling, normalisation and dropout join here.)"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, exp, is_array, register

__all__ = ["CROSS_ENTROPY", "LOG_SOFTMAX", "SOFTMAX"]


def _softmax(a: Any, axis: int) -> Any:
    # Shifting by the max leaves softmax unchanged and keeps every exp in (0, 1].
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _log_softmax(a: Any, axis: int) -> Any:
    # log softmax(a) = a - logsumexp(a), with logsumexp(a) = m + log sum exp(a - m), m = max a.
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _cross_entropy(z: Any, picked: Any) -> tuple:
    # Mean over the batch of -log softmax(z)[target] = logsumexp(z) - z[target], with the stable
    # logsumexp(z) = m + log sum e^(z - m), m = max z. `picked` indexes z.flat at the targets.
    # Per example, log sum e^(z - m) and m - z[target] are both >= 0: their sum never cancels.
    # The gradient, (softmax(z) - onehot(target)) / batch, costs little more here than the loss
    # alone, so it is saved for the VJP.
    n = len(z)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    loss = (np.log(total[:, 0]) + (m[:, 0] - z.take(picked))).sum() / n
    e /= total * n
    e.reshape(-1)[picked] -= 1 / n
    return loss, e


def _cross_entropy_vjp(g: Any, out: Any, z: Any, picked: Any, saved: Any) -> Any:
    # (softmax(z) - onehot(target)) / batch: saved by the forward pass, or, differentiably,
    # rebuilt from z.
    if is_array(z):
        return g * saved
    onehot = np.zeros(z.shape, z.dtype)
    onehot.reshape(-1)[picked] = 1
    return g * ((z.softmax(axis=1) - onehot) / len(z))


def _targets(s: Any, picked: Any, classes: int) -> str:
    """The class targets, from the flat indices `picked` of the targets in the logits (row i of
    `classes` entries starts at i * classes)."""
    targets = [int(k) - i * classes for i, k in enumerate(np.asarray(picked).reshape(-1))]
    return s.kw("targets", str(targets))


SOFTMAX = register(
    Op(
        "softmax",
        1,
        array=_softmax,
        # J^T g = y (g - <g, y>)
        vjps=(lambda g, y, a, axis: y * (g - (g * y).sum(axis=axis, keepdims=True)),),
        formula=lambda s, xs, p: s.call("softmax", xs[0], *(s.kw("axis", str(a)) for a in p)),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            f"{out}{s.odot}({g} - {s.call('sum', g + s.odot + out, s.kw('axis', str(p[0])))})"
        ],
        params=("axis",),
    )
)
LOG_SOFTMAX = register(
    Op(
        "log_softmax",
        1,
        array=_log_softmax,
        # g - softmax * sum g
        vjps=(lambda g, y, a, axis: g - exp(y) * g.sum(axis=axis, keepdims=True),),
        formula=lambda s, xs, p: s.call("log_softmax", xs[0], *(s.kw("axis", str(a)) for a in p)),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            f"{g} - {s.call('exp', out)}{s.odot}{s.call('sum', g, s.kw('axis', str(p[0])))}"
        ],
        params=("axis",),
    )
)
CROSS_ENTROPY = register(
    Op(
        "cross_entropy",
        1,
        array=_cross_entropy,
        vjps=(_cross_entropy_vjp,),
        formula=lambda s, xs, p: s.call("cross_entropy", xs[0], *[s.text("targets")][: len(p)]),
        # the mean over the batch of softmax(z) - onehot(target), times g
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            s.times.join(
                (
                    g,
                    s.frac(
                        f"{s.call('softmax', xs[0], s.kw('axis', '1'))} - "
                        f"{s.call('onehot', _targets(s, p[0], shapes[0][1]))}",
                        str(shapes[0][0]),
                    ),
                )
            )
        ],
        params=("picked",),
        saves=True,
    )
)
