"""Loss functions on Values: each returns ONE Value, the mean over a batch.

Every loss takes either one sample or a batch (a list of samples) and returns the mean loss over the
batch, so a single sample and a batch of one give the same number. Predictions are Values (plain
numbers are accepted as constants); targets are plain numbers (a numpy array of targets is fine).
Mistakes raise at once, naming the loss and what is wrong:
`mse: pred has 3 samples but target has 2`.

>>> from autograd import Value
>>> w = Value(0.5)
>>> loss = mse([w * 2.0, w * -1.0], [1.0, 0.0])   # ((1 - 1)^2 + (-0.5 - 0)^2) / 2
>>> loss.data
0.125
>>> loss.backward(); w.grad                         # d/dw = (2 * 0 * 2 + 2 * -0.5 * -1) / 2
0.5
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from autograd import Tensor, Value, sum_values

from . import tensor_losses

__all__ = [
    "bce_with_logits",
    "binary_cross_entropy",
    "cross_entropy",
    "hinge",
    "l2",
    "log_softmax",
    "mse",
    "softmax",
]

_REAL = (numbers.Real, np.bool_)


# -------------------------------------------------------------------- regression and binary losses


def mse(pred, target) -> Value | Tensor:
    """Mean squared error over every entry: mean of (pred - target)^2.

    `pred` is a Value (one sample, one output), a list of Values (a batch of scalar outputs) or a
    list of lists of Values (a batch of vector outputs); `target` has the same shape, in numbers.
    """
    if isinstance(pred, Tensor):
        return tensor_losses.mse(pred, target)
    return _mean([(p - t) ** 2 for p, t in _entries("mse", pred, target)])


def binary_cross_entropy(prob, target, eps: float = 1e-12) -> Value | Tensor:
    """Mean of -(y log p + (1 - y) log(1 - p)) on probabilities `prob` (e.g. sigmoid outputs).

    `prob` is clamped to [eps, 1 - eps] so that log never sees 0; a clamped entry gets zero
    gradient (as torch.clamp). Targets lie in [0, 1]. Shapes as `mse`. On raw scores prefer
    `bce_with_logits`, which stays exact where a sigmoid would round to 0 or 1.
    """
    if isinstance(prob, Tensor):
        return tensor_losses.binary_cross_entropy(prob, target, eps)
    name = "binary_cross_entropy"
    if not (isinstance(eps, _REAL) and 0.0 < eps < 0.5):
        raise ValueError(f"{name}: eps must be a number in (0, 0.5), got {eps!r}")
    terms = []
    for p, y in _entries(name, prob, target):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"{name}: probabilities must be in [0, 1], got {p.data!r} "
                "(for unbounded scores use bce_with_logits)"
            )
        _check_unit_interval(name, y)
        if not eps <= p.data <= 1.0 - eps:
            p = Value(min(max(p.data, eps), 1.0 - eps))  # a constant: zero gradient, as torch.clamp
        # A term whose weight is 0 is left out of the graph.
        loss = -(y * p.log()) if y else None
        if y != 1.0:
            rest = -((1.0 - y) * (1.0 - p).log())
            loss = rest if loss is None else loss + rest
        terms.append(loss)
    return _mean(terms)


def bce_with_logits(logit, target) -> Value | Tensor:
    """Binary cross-entropy on raw scores z (sigmoid applied inside), exact for every z.

    -log s(z) = softplus(-z) and -log(1 - s(z)) = softplus(z), so the loss of one entry is
    y softplus(-z) + (1 - y) softplus(z): a sum of terms >= 0 that never cancels (the shorter
    softplus(z) - z y subtracts two numbers near z, which at z = 30, y = 1 leaves 9.24e-14 for
    the exact 9.36e-14, and 0 at z = 40). `Value.softplus` is exact and never overflows, so logits
    of +-1000 give exact, finite losses and gradients (s(z) - y). Targets lie in [0, 1]. Shapes
    as `mse`.
    """
    if isinstance(logit, Tensor):
        return tensor_losses.bce_with_logits(logit, target)
    name = "bce_with_logits"
    terms = []
    for z, y in _entries(name, logit, target):
        _check_unit_interval(name, y)
        # A term whose weight is 0 is left out of the graph.
        if y == 1.0:
            terms.append((-z).softplus())
        elif y == 0.0:
            terms.append(z.softplus())
        else:
            terms.append(y * (-z).softplus() + (1.0 - y) * z.softplus())
    return _mean(terms)


def hinge(scores, labels) -> Value | Tensor:
    """Max-margin loss, as micrograd's demo: mean of relu(1 - y s) with labels y in {-1, +1}.

    Zero once every score is on its label's side with a margin of at least 1. Shapes as `mse`.
    """
    if isinstance(scores, Tensor):
        return tensor_losses.hinge(scores, labels)
    terms = []
    for s, y in _entries("hinge", scores, labels):
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or +1, got {y!r} (map 0/1 labels: 2y - 1)")
        terms.append((1.0 - y * s).relu())
    return _mean(terms)


def l2(params: Iterable[Value], alpha: float = 1.0) -> Value | Tensor:
    """The L2 penalty alpha * sum of p^2 over `params`, to add to a loss (micrograd: alpha=1e-4).

    >>> l2([Value(3.0), Value(-4.0)], alpha=0.5).data
    12.5
    """
    if not (isinstance(alpha, _REAL) and alpha >= 0.0):
        raise ValueError(f"l2: alpha must be a number >= 0, got {alpha!r}")
    params = list(params)
    if params and isinstance(params[0], Tensor):
        return tensor_losses.l2(params, alpha)
    squares = []
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2: parameter {i} must be a Value, got {type(p).__name__}")
        squares.append(p * p)
    if not squares:
        return Value(0.0)  # the sum of no squares
    return _sum(squares) * float(alpha)


# -------------------------------------------------------------------- classification


def softmax(logits: Sequence) -> list[Value]:
    """exp(z_i) / sum_j exp(z_j) for one sample's logits: a list of Values in, a list out.

    The max logit's data is subtracted first as a constant: softmax is shift-invariant, so this is
    exact, and exp never sees a positive argument (no overflow at logits of 1000).
    """
    zs = _logits("softmax", logits)
    top = max(z.data for z in zs)
    exps = [(z - top).exp() for z in zs]
    total = _sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence) -> list[Value]:
    """z_i - log sum_j exp(z_j) for one sample's logits, by the stable log-sum-exp.

    log sum exp z = m + log sum exp(z - m) with m the max logit (a constant): every exp is <= 1
    and the sum is >= 1, so nothing overflows and the log never sees 0.
    """
    zs = _logits("log_softmax", logits)
    lse = _logsumexp(zs)
    return [z - lse for z in zs]


def cross_entropy(logits, target) -> Value | Tensor:
    """Softmax cross-entropy on raw scores: mean over the batch of -sum_k t_k log softmax(z)_k.

    `logits` is one sample's list of Values or a batch (a list of such lists). `target` per sample
    is a class index (an int) or a list of class probabilities (one-hot, or soft labels summing to
    1) as long as the logits. For an index c the loss is log-sum-exp(z) - z_c, computed stably.

    >>> from autograd import Value
    >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 6)   # log 2
    0.693147
    """
    if isinstance(logits, Tensor):
        return tensor_losses.cross_entropy(logits, target)
    name = "cross_entropy"
    logits, target = _plain(logits), _plain(target)
    if not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError(
            f"{name}: logits must be a non-empty list of Values (one sample) or a list of such "
            f"lists (a batch), got {_describe(logits)}"
        )
    if isinstance(logits[0], (list, tuple)):  # a batch
        if not isinstance(target, (list, tuple)):
            raise ValueError(
                f"{name}: logits are a batch of {len(logits)} samples, so target must be a list "
                f"with one target per sample, got {_describe(target)}"
            )
        if len(target) != len(logits):
            raise ValueError(
                f"{name}: logits have {len(logits)} samples but target has {len(target)}"
            )
        pairs, batch = list(zip(logits, target)), True
    else:
        pairs, batch = [(logits, target)], False
    terms = []
    for i, (row, t) in enumerate(pairs):
        where = f"sample {i}: " if batch else ""
        if not isinstance(row, (list, tuple)):
            raise ValueError(
                f"{name}: {where}expected a list of logits, got {_describe(row)} "
                "(the batch mixes samples and single logits)"
            )
        zs = _logits(name, row)
        terms.append(_cross_entropy_one(name, where, zs, t))
    return _mean(terms)


def _cross_entropy_one(name: str, where: str, zs: list[Value], t) -> Value:
    k = len(zs)
    if isinstance(t, numbers.Integral) and not isinstance(t, (bool, np.bool_)):
        if not 0 <= int(t) < k:
            raise ValueError(f"{name}: {where}class index {t} is out of range for {k} classes")
        return _logsumexp(zs) - zs[int(t)]
    if not isinstance(t, (list, tuple)):
        raise ValueError(
            f"{name}: {where}target must be a class index (int) or a list of {k} class "
            f"probabilities, got {_describe(t)}"
        )
    if len(t) != k:
        raise ValueError(
            f"{name}: {where}target has {len(t)} probabilities but there are {k} logits"
        )
    probs = [_number(name, q) for q in t]
    for q in probs:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"{name}: {where}target probabilities must be in [0, 1], got {q!r}")
    if not math.isclose(math.fsum(probs), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"{name}: {where}target probabilities must sum to 1, got {math.fsum(probs)!r}"
        )
    lse = _logsumexp(zs)
    # -sum q_k (z_k - lse); classes with q_k = 0 add nothing, so leave them out of the graph.
    return _sum([(lse - z) * q if q != 1.0 else lse - z for z, q in zip(zs, probs) if q])


# -------------------------------------------------------------------- helpers


def _sum(values: list[Value]) -> Value:
    """v0 + v1 + ... as one `sum` node (the floats of a chain of `+`, added left to right)."""
    return sum_values(values)


def _mean(terms: list[Value]) -> Value:
    return _sum(terms) / len(terms)


def _logsumexp(zs: list[Value]) -> Value:
    # log sum exp z = m + log sum exp(z - m): every exp <= 1, the sum >= 1.
    top = max(z.data for z in zs)
    return _sum([(z - top).exp() for z in zs]).log() + top


def _plain(x):
    """Numpy arrays (of numbers, or object arrays of Values) as nested lists."""
    return x.tolist() if isinstance(x, np.ndarray) else x


def _describe(x) -> str:
    text = repr(x)
    return f"{type(x).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _value(name: str, x) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, _REAL):
        return Value(float(x))
    raise TypeError(f"{name}: predictions must be Values or numbers, got {_describe(x)}")


def _number(name: str, x) -> float:
    if isinstance(x, _REAL):
        return float(x)
    hint = " (targets are plain numbers: use .data)" if isinstance(x, Value) else ""
    raise TypeError(f"{name}: targets must be numbers, got {_describe(x)}{hint}")


def _logits(name: str, logits) -> list[Value]:
    logits = _plain(logits)
    if not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError(
            f"{name}: logits must be a non-empty list of Values, got {_describe(logits)}"
        )
    return [_value(name, z) for z in logits]


def _check_unit_interval(name: str, y: float) -> None:
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"{name}: targets must be in [0, 1], got {y!r}")


def _entries(name: str, pred, target) -> list[tuple[Value, float]]:
    """Pair every prediction with its target, checking the shapes agree.

    pred: a Value | a list of Values | a list of lists of Values; target: the same shape in numbers
    (a one-element row may also pair with a plain number target).
    """
    pred, target = _plain(pred), _plain(target)
    if not isinstance(pred, (list, tuple)):
        if isinstance(target, (list, tuple)):
            raise ValueError(
                f"{name}: pred is a single value but target is a list of {len(target)}"
            )
        return [(_value(name, pred), _number(name, target))]
    if not pred:
        raise ValueError(f"{name}: pred is an empty batch")
    if not isinstance(target, (list, tuple)):
        raise ValueError(
            f"{name}: pred is a batch of {len(pred)} but target is not a list: {_describe(target)}"
        )
    if len(pred) != len(target):
        raise ValueError(f"{name}: pred has {len(pred)} samples but target has {len(target)}")
    pairs = []
    for i, (p, t) in enumerate(zip(pred, target)):
        if not isinstance(p, (list, tuple)):
            if isinstance(t, (list, tuple)):
                raise ValueError(
                    f"{name}: sample {i} has one output but its target is a list of {len(t)}"
                )
            pairs.append((_value(name, p), _number(name, t)))
            continue
        if not isinstance(t, (list, tuple)):
            t = [t]  # a one-output row (a Layer's output) against a number
        if not p:
            raise ValueError(f"{name}: sample {i} has no outputs")
        if len(p) != len(t):
            raise ValueError(f"{name}: sample {i} has {len(p)} outputs but its target has {len(t)}")
        pairs.extend((_value(name, pj), _number(name, tj)) for pj, tj in zip(p, t))
    return pairs
