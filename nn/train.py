"""The training loop: `fit` a model to numpy data, with `predict` and `accuracy` helpers.

>>> from nn import MLP, SGD, fit, make_moons
>>> X, y = make_moons(40, seed=0)
>>> model = MLP(2, [8, 1], seed=0)
>>> history = fit(model, X, y * 2 - 1, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
...               epochs=3, progress=False)
>>> sorted(history)
['accuracy', 'epoch', 'loss', 'lr', 'seconds']
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from autograd import Tensor, Value, collector_paused, no_grad

from . import losses
from .checks import check_array, check_bool, check_count, check_finite, check_real, show
from .data import batches
from .optim import SGD, Optimizer
from .schedules import Schedule

__all__ = ["LOSSES", "METRICS", "NonFiniteLoss", "accuracy", "fit", "predict", "train_step"]

LOSSES: dict[str, Callable] = {
    "mse": losses.mse,
    "binary_cross_entropy": losses.binary_cross_entropy,
    "bce_with_logits": losses.bce_with_logits,
    "cross_entropy": losses.cross_entropy,
    "hinge": losses.hinge,
}
CHUNK = 500  # rows per forward pass in predict and validation

# Where a single output's score separates the classes, for the accuracy metric.
THRESHOLDS = {"hinge": 0.0, "bce_with_logits": 0.0, "binary_cross_entropy": 0.5}
METRICS = ("accuracy",)


def predict(model: Callable, X) -> np.ndarray:
    """The model's outputs for every row of X as a numpy array, (n,) or (n, k); no graph kept."""
    array = check_array("predict", "X", X)
    if array.ndim < 2:
        raise ValueError(
            f"predict: X must be (n, features...), one sample a row, got shape {array.shape}; "
            "for one sample x call model(x), or predict(model, [x])"
        )
    with no_grad(), _mode(model, training=False):
        return np.concatenate(
            [_scores(_forward(model, array[i : i + CHUNK])) for i in _chunks(array)]
        )


def accuracy(scores, y, threshold: float = 0.0) -> float:
    """Fraction of correct predictions.

    `scores` (n, k) with k > 1: the arg-max class against integer labels `y` (or one-hot rows).
    `scores` (n,): positive where score > threshold, against labels in {0, 1} or {-1, 1}.
    """
    scores, y = check_array("accuracy", "scores", scores, float), check_array("accuracy", "y", y)
    threshold = check_finite("accuracy", "threshold", threshold)
    if scores.ndim == 0 or y.ndim == 0 or len(scores) != len(y) or len(y) == 0:
        raise ValueError(
            f"accuracy: scores and y must have one row per sample, at least one, got shapes "
            f"{scores.shape} and {y.shape}"
        )
    if scores.ndim == 2 and scores.shape[1] > 1:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(scores.argmax(axis=1) == labels))
    return float(np.mean((scores.reshape(-1) > threshold) == (y.reshape(-1) > 0)))


def fit(
    model,
    X,
    y,
    *,
    loss: str | Callable = "mse",
    optimizer=None,
    epochs: int = 10,
    batch_size: int | None = None,
    validation: tuple | None = None,
    metrics: Sequence[str] = ("accuracy",),
    l2: float = 0.0,
    schedule=None,
    progress: bool = True,
    seed: int | None = 0,
    threshold: float | None = None,
) -> dict[str, list]:
    """Train `model` on rows of `X` with targets `y`; return the history, one entry per epoch.

    Each epoch visits the samples in a fresh shuffled order (`batch_size=None`: one full batch;
    `batch_size=1`: per-sample SGD), and for each batch runs forward, loss (+ `l2` * sum of
    squared parameters), `zero_grad`, backward and `optimizer.step()`. `schedule.step()` runs
    once per epoch. The history is a dict of lists: `epoch`, `loss`, each metric, `val_loss` and
    `val_<metric>` with `validation=(X_val, y_val)`, `lr` and `seconds`. A NaN or infinite loss
    stops training with FloatingPointError naming the epoch and batch.

    Every argument is checked before anything runs, and a mistake names it: `epochs` and
    `batch_size` are positive ints, `X` a non-empty (n, features...) array of finite numbers with
    one target per row, `validation` a pair of the same kind, `metrics` a list of names (not one
    str), `optimizer` an Optimizer holding the model's parameters and `schedule` a Schedule of
    that optimizer.

    The cyclic garbage collector is paused while training: the engine's graphs have no
    reference cycles, so reference counting frees every step's graph and the collector would
    only waste time walking live nodes.
    """
    if not callable(model):
        raise TypeError(f"fit: model must be callable (an MLP, a Sequential...), got {show(model)}")
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")
    loss_fn = _resolve_loss(loss)
    X, y = _data("fit", "X", X, "y", y)
    epochs = check_count("fit", "epochs", epochs)
    if batch_size is not None:
        batch_size = check_count("fit", "batch_size", batch_size)
    if validation is not None:
        validation = _validation(validation, X)
    metrics = _metrics(metrics)
    l2 = check_real("fit", "l2", l2)
    check_bool("fit", "progress", progress)
    if seed is not None:
        check_count("fit", "seed", seed, minimum=0)
    if threshold is not None:
        threshold = check_finite("fit", "threshold", threshold)
    optimizer = _optimizer(model, optimizer)
    _check_schedule(schedule, optimizer)
    if threshold is None:
        binary01 = set(np.unique(y).tolist()) <= {0, 1}
        threshold = THRESHOLDS.get(loss_name, 0.5 if binary01 else 0.0)
    size = len(X) if batch_size is None else batch_size
    n_batches = math.ceil(len(X) / size)
    history: dict[str, list] = {"epoch": [], "loss": []}
    bar = _progress_bar(progress, epochs * n_batches)
    try:
        with collector_paused(), _mode(model, training=True):
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                total, seen, outputs, targets = 0.0, 0, [], []
                for b, (Xb, yb) in enumerate(batches(X, y, size, seed=seed, epoch=epoch - 1), 1):
                    try:
                        batch_loss, out = train_step(model, Xb, yb, loss_fn, optimizer, l2)
                    except NonFiniteLoss as error:
                        raise FloatingPointError(
                            f"fit: the loss is {error.loss} at epoch {epoch}, batch {b}; try a "
                            "smaller learning rate, or find the op with detect_anomaly()"
                        ) from None
                    except ValueError as error:  # no cost on the hot path unless raised
                        if not str(error).startswith(_ONE_VALUE_PER_CHANNEL):
                            raise
                        raise ValueError(
                            f"fit: epoch {epoch}, batch {b} of {n_batches} holds {len(Xb)} "
                            f"sample(s) ({len(X)} samples in batches of {size}), and batch norm "
                            f"in training needs more than one value per channel ({error}); "
                            f"choose a batch_size that leaves no last batch of one, or drop "
                            f"the last {len(X) % size or size} sample(s) of X"
                        ) from None
                    total += float(batch_loss.data) * len(Xb)
                    seen += len(Xb)
                    outputs.append(_scores(out))
                    targets.append(yb)
                    if bar is not None:  # the postfix first: update() draws the bar with it
                        bar.set_postfix(epoch=epoch, loss=f"{total / seen:.4f}", refresh=False)
                        bar.update(1)
                lr = optimizer.lr
                if schedule is not None:
                    schedule.step()
                record = {"epoch": epoch, "loss": total / seen, "lr": lr}
                if "accuracy" in metrics:
                    record["accuracy"] = accuracy(
                        np.concatenate(outputs), np.concatenate(targets), threshold
                    )
                if validation is not None:
                    record.update(_evaluate(model, validation, loss_fn, metrics, threshold))
                record["seconds"] = time.perf_counter() - start
                for key, value in record.items():
                    history.setdefault(key, []).append(value)
    finally:
        if bar is not None:
            bar.close()
    return history


# batch_norm's error for a batch of one (per channel): fit adds where it happened and what to do.
_ONE_VALUE_PER_CHANNEL = "batch_norm: training needs more than one value per channel"


class NonFiniteLoss(FloatingPointError):
    """The loss of a training step is NaN or infinite (raised before any parameter changes)."""

    def __init__(self, loss: float):
        super().__init__(
            f"the loss is {loss}; try a smaller learning rate, or find the op with detect_anomaly()"
        )
        self.loss = loss


def train_step(model, X, y, loss: Callable, optimizer, l2: float = 0.0) -> tuple:
    """One optimisation step on one batch, exactly as `fit` runs it; returns (loss, outputs).

    Forward `X` (row by row for a scalar model, as one batch Tensor for a tensor model), the loss
    against `y` (+ `l2` * sum of squared parameters), `zero_grad`, backward, `optimizer.step()`.
    A NaN or infinite loss raises FloatingPointError before any parameter changes. The caller
    decides about the garbage collector (`fit` pauses it). `loss` is a function or one of the
    names `fit` takes.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"train_step: optimizer must be an Optimizer, got {show(optimizer)}")
    loss = _resolve_loss(loss, "train_step")
    out = _forward(model, X, optimizer.params)
    if loss is losses.cross_entropy and _one_output(out):
        raise ValueError(
            "cross_entropy needs one output per class, but the model gives one output per "
            "sample: for two classes use bce_with_logits (labels 0/1) or hinge (labels -1/+1)"
        )
    batch_loss = loss(out, _targets(out, y))
    if not isinstance(batch_loss, (Value, Tensor)):
        raise TypeError(
            f"the loss function returned {show(batch_loss)}, not a Value or a Tensor "
            "(a loss is computed from the model's outputs, so that it can be backpropagated)"
        )
    if l2:
        batch_loss = batch_loss + losses.l2(model.parameters(), l2)
    if not math.isfinite(float(batch_loss.data)):
        raise NonFiniteLoss(float(batch_loss.data))
    optimizer.zero_grad()
    batch_loss.backward()
    optimizer.step()
    return batch_loss, out


def _evaluate(model, validation, loss_fn, metrics, threshold) -> dict[str, float]:
    X_val, y_val = validation
    X_val, y_val = np.asarray(X_val), np.asarray(y_val)
    total, scores = 0.0, []
    with no_grad(), _mode(model, training=False):
        for i in _chunks(X_val):
            out = _forward(model, X_val[i : i + CHUNK])
            y = y_val[i : i + CHUNK]
            total += float(loss_fn(out, _targets(out, y)).data) * len(y)  # losses are means
            scores.append(_scores(out))
    result = {"val_loss": total / len(X_val)}
    if "accuracy" in metrics:
        result["val_accuracy"] = accuracy(np.concatenate(scores), y_val, threshold)
    return result


def _chunks(X) -> range:
    """Where each evaluation chunk starts: CHUNK rows at a time bound the memory of a forward
    pass without a graph (a convolution's im2col columns grow with the batch)."""
    return range(0, max(len(X), 1), CHUNK)


def _set_mode(model, training: bool) -> list:
    """Put every module of `model` in training or eval mode (dropout on or off, batch or running
    statistics); return what to give `_restore_modes` to undo it."""
    modules = [m for _, m in model.named_modules()] if hasattr(model, "named_modules") else []
    before = [(m, getattr(m, "training", True)) for m in modules]
    for m in modules:
        m.training = training
    return before


def _restore_modes(before: list) -> None:
    for m, training in before:
        m.training = training


@contextlib.contextmanager
def _mode(model, training: bool):
    """A block run with `model` in training or eval mode, the previous modes restored after."""
    before = _set_mode(model, training)
    try:
        yield
    finally:
        _restore_modes(before)


def _data(fn: str, x_name: str, X, y_name: str, y) -> tuple[np.ndarray, np.ndarray]:
    """X as a non-empty (n, features...) array of finite numbers and y with one target per row,
    kept in their dtype (float32 data stay float32)."""
    X, y = check_array(fn, x_name, X), check_array(fn, y_name, y)
    if X.ndim < 2 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"{fn}: {x_name} must be (n, features...) with one target per row, got {x_name} "
            f"{X.shape} and {y_name} {y.shape}"
        )
    if X.size == 0:
        raise ValueError(f"{fn}: {x_name} is empty (shape {X.shape}): nothing to train on")
    for name, array in ((x_name, X), (y_name, y)):
        if _all_finite(array):
            continue
        bad = ~np.isfinite(array)
        if bad.any():
            where = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
            raise ValueError(
                f"{fn}: {name} must be finite, got {array[where].item()!r} at row {where[0]}"
                + (f", column {where[1]}" if len(where) > 1 else "")
            )
    return X, y


def _all_finite(array: np.ndarray) -> bool:
    """Whether every entry of a numeric array is finite, in one read of the data.

    Integers and bools always are. A NaN or an infinity makes a float sum NaN or infinite, so a
    finite sum proves every entry finite; only a sum that is not (a bad entry, or finite entries
    whose sum overflowed) is checked entry by entry. A C-ordered float32/float64 batch array is
    summed row by row as one BLAS matrix-vector product with a vector of ones (x * 1 is x exactly,
    and NaN and inf propagate through it as through the sum), then the row sums are added. On
    MNIST-sized float32 data (60,000 x 784) that is 11.5 ms against 22 ms for np.add.reduce
    (12.8 ms on one BLAS thread) and 44 ms for np.isfinite, which writes a boolean copy of the
    whole array first (this machine, loaded): fit checks once, before the first step, rather than
    per batch. tests/test_tensor_speed_paths.py checks it against np.isfinite on both paths.
    """
    if array.dtype.kind != "f":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        if (
            array.ndim >= 2
            and array.size
            and array.flags.c_contiguous
            and array.dtype in (np.float32, np.float64)
        ):
            rows = array.reshape(len(array), -1) @ np.ones(array.size // len(array), array.dtype)
            total = np.add.reduce(rows)
        else:
            total = np.add.reduce(array, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(array).all())


def _validation(validation, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        kind = (
            f"a {type(validation).__name__} of {len(validation)}"
            if isinstance(validation, (tuple, list))
            else show(validation)
        )
        raise ValueError(f"fit: validation must be a pair (X_val, y_val), got {kind}")
    X_val, y_val = _data("fit", "validation X", validation[0], "validation y", validation[1])
    if X_val.shape[1:] != X.shape[1:]:
        raise ValueError(
            f"fit: validation X has samples of shape {X_val.shape[1:]} but X has "
            f"{X.shape[1:]} (shapes {X_val.shape} and {X.shape})"
        )
    return X_val, y_val


def _metrics(metrics) -> tuple[str, ...]:
    if isinstance(metrics, str):
        raise TypeError(
            f"fit: metrics must be a list of metric names, got the str {metrics!r}; "
            f"write metrics=[{metrics!r}]"
        )
    try:
        names = tuple(metrics)
    except TypeError:
        raise TypeError(
            f"fit: metrics must be a list of metric names, got {show(metrics)}"
        ) from None
    for name in names:
        if name not in METRICS:
            raise ValueError(f"fit: unknown metric {name!r} (available: {', '.join(METRICS)})")
    return names


def _optimizer(model, optimizer) -> Optimizer:
    """The optimizer to train with (SGD with lr 0.1 by default), checked against the model."""
    params = model.parameters() if hasattr(model, "parameters") else None
    if optimizer is None:
        return SGD(params if params is not None else [], lr=0.1)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"fit: optimizer must be an Optimizer such as SGD(model.parameters(), lr=0.1), "
            f"got {show(optimizer)}"
        )
    if params is not None and optimizer.params:
        ours = {id(p) for p in params}
        if not any(id(p) in ours for p in optimizer.params):
            raise ValueError(
                "fit: the optimizer holds none of the model's parameters (was it built for "
                "another model?); pass SGD(model.parameters(), ...)"
            )
    return optimizer


def _check_schedule(schedule, optimizer: Optimizer) -> None:
    if schedule is None:
        return
    if not isinstance(schedule, Schedule):
        raise TypeError(
            "fit: schedule must be a Schedule such as LinearDecay(optimizer, ...) or None, "
            f"got {show(schedule)}"
        )
    if schedule.optimizer is not optimizer:
        raise ValueError(
            "fit: schedule changes the learning rate of another optimizer than the one fit "
            "trains with; build it on the optimizer you pass"
        )


def _resolve_loss(loss, fn: str = "fit") -> Callable:
    if callable(loss):
        return loss
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(
            f"{fn}: unknown loss {loss!r}; choose one of {sorted(LOSSES)} or pass "
            "a function (outputs, targets) -> Value"
        )
    return LOSSES[loss]


def _forward(model, X, params=None):
    """The model on a batch: a list of outputs per row for a scalar model; one Tensor for a
    tensor model (one whose parameters are Tensors), in the parameters' dtype."""
    if params is None:
        params = model.parameters() if hasattr(model, "parameters") else []
    if params and isinstance(params[0], Tensor):
        return model(Tensor.from_numpy(np.asarray(X), dtype=params[0].dtype))
    # Rows as lists of Python floats: the ops' fast path for plain numbers (numpy scalars work
    # too, but each one goes through the slower general conversion).
    return [model(row) for row in np.asarray(X, dtype=float).tolist()]


def _one_output(out) -> bool:
    """Whether the model gives a single score per sample (a Value each, or an (n, 1) Tensor)."""
    if isinstance(out, Tensor):
        return out.ndim == 1 or out.shape[-1] == 1
    return bool(out) and isinstance(out[0], Value)


def _targets(out, y):
    """Targets as the loss expects them: an array beside a Tensor, lists beside Values."""
    return np.asarray(y) if isinstance(out, Tensor) else np.asarray(y).tolist()


def _scores(out) -> np.ndarray:
    """Outputs as a numpy array, (n,) for one output per sample, else (n, k)."""
    if isinstance(out, Tensor):
        data = out.data
        return data.reshape(-1) if data.ndim == 2 and data.shape[1] == 1 else data
    if out and isinstance(out[0], Value):
        return np.array([o.data for o in out])
    return np.array([[o.data for o in row] for row in out])


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    bar = _bar_class()
    if bar is None:  # the `progress` extra is optional: train silently without it
        return None
    return bar(total=total, desc="fit", unit="batch", mininterval=0.25, leave=True)


def _bar_class():
    """tqdm's widget bar in a Jupyter kernel that has ipywidgets, its text bar everywhere else
    (a terminal, IPython, a kernel without ipywidgets), None without tqdm.

    `tqdm.auto` makes the same choice but warns "IProgress not found" in a kernel without
    ipywidgets; the text bar there is what it falls back to anyway, so it is chosen silently.
    """
    try:
        from tqdm.std import tqdm as text_bar
    except ImportError:
        return None
    if not _in_jupyter_kernel():
        return text_bar
    try:
        from tqdm import notebook
    except ImportError:
        return text_bar
    return notebook.tqdm if notebook.IProgress is not None else text_bar


def _in_jupyter_kernel() -> bool:
    """True in a notebook's kernel (Jupyter, JupyterLab, VS Code, Colab), not in a terminal."""
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"
