"""Training plots: learning curves, decision boundaries and regression fits.

Needs matplotlib (`pip install backprop-lab[plot]`), imported only when a plot is made. Figures are
built with `matplotlib.figure.Figure` on the Agg canvas, never through pyplot: no window opens, no
global figure list grows, and the caller's backend (a notebook's inline one) is left alone. Each
function returns the Figure and, given `path`, saves it (format from the extension); in Jupyter
the returned Figure displays inline as the last line of a cell, without `%matplotlib inline`.

>>> history = {"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]}
>>> fig = plot_history(history)                     # doctest: +SKIP
>>> fig = plot_history(history, path="out/loss.png")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import numpy as np

__all__ = ["plain_log_labels", "plot_decision_boundary", "plot_history", "plot_regression"]

SAVE_FORMATS = (".png", ".svg", ".pdf")
NOT_METRICS = frozenset({"epoch", "step", "seconds", "time", "lr"})  # bookkeeping, not panels
TRAIN_COLOR, VALIDATION_COLOR = "#1f77b4", "#ff7f0e"
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
HIGHER_IS_BETTER = ("acc", "precision", "recall", "f1", "auc", "r2", "score")


def plot_history(
    history: Mapping[str, list],
    *,
    path=None,
    metrics: list[str] | None = None,
    log_scale: bool | Collection[str] | None = None,
    title: str | None = None,
):
    """Learning curves: one panel per metric, training and validation together, epoch along x.

    `history` is what `nn.fit` returns: a dict of equal-length lists such as
    `{"epoch": [...], "loss": [...], "val_loss": [...], "accuracy": [...], "seconds": [...]}`;
    `val_X` is drawn (dashed) in the panel of `X`, and the best validation value is marked.
    `metrics` picks the panels (default: every key except epoch, step, seconds, time and lr).
    `log_scale`: None puts a loss panel on a log axis when its values are positive and span more
    than two decades; True or False applies to every panel; a collection names the panels.
    """
    columns = _columns(history)
    length = len(next(iter(columns.values())))
    epochs = columns["epoch"] if "epoch" in columns else np.arange(1, length + 1)
    if metrics is None:
        metrics = []
        for key in columns:
            name = key.removeprefix("val_")
            if name not in NOT_METRICS and name not in metrics:
                metrics.append(name)
    for name in metrics:
        if name not in columns and f"val_{name}" not in columns:
            raise ValueError(
                f"plot_history: no {name!r} or 'val_{name}' in the history "
                f"(keys: {', '.join(columns)})"
            )
    if not metrics:
        raise ValueError(f"plot_history: nothing to plot among the keys {', '.join(columns)}")

    ncols = min(len(metrics), 3)
    nrows = math.ceil(len(metrics) / ncols)
    figure = _figure((4.8 * ncols, 3.5 * nrows))
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    markers = "o" if length <= 30 else None
    for ax, name in zip(axes, metrics):
        for key, label, style, color in (
            (name, "train", "-", TRAIN_COLOR),
            (f"val_{name}", "validation", "--", VALIDATION_COLOR),
        ):
            if key in columns:
                ax.plot(epochs, columns[key], style, color=color, label=label, lw=1.8)
                if markers:
                    ax.plot(epochs, columns[key], markers, color=color, ms=3.5)
        partner = f"val_{name}" if f"val_{name}" in columns else name
        _mark_best(ax, name, epochs, columns[partner], "validation" * (partner != name))
        if _use_log(name, columns, log_scale):
            ax.set_yscale("log")
            plain_log_labels(ax)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " "))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    _save(figure, path)
    return figure


def plot_decision_boundary(
    predict: Callable,
    X,
    y,
    *,
    path=None,
    ax=None,
    resolution: int = 60,
    margin: float = 0.1,
    threshold: float | None = None,
    title: str = "decision boundary",
):
    """The regions a 2-input classifier assigns to each class, with the data on top.

    `predict` is called once with the whole (resolution**2, 2) float grid: 3,600 points by default,
    modest because a scalar-engine model evaluates them one Value graph at a time; raise
    `resolution` for smoother edges. It returns (m,) scores, probabilities or labels, or (m, k)
    class scores (the argmax wins). Binary scores are split at `threshold`: 0.5 when they lie in
    [0, 1] (probabilities), else 0 (logits, hinge scores), and that level is drawn as a line.
    Integer outputs that are class labels of `y` are taken as the predicted classes.
    The grid covers the data's bounding box widened by `margin` (a fraction of its size).
    Draws into `ax` when given (several boundaries in one figure), else a new figure.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(y)} labels in y")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"plot_decision_boundary: resolution must be an int >= 2, got {resolution}"
        )

    low, high = X.min(axis=0), X.max(axis=0)
    pad = margin * np.where(high > low, high - low, 1.0)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    scores = np.asarray(predict(grid), dtype=float)
    if scores.shape[0] != len(grid):
        raise ValueError(
            f"plot_decision_boundary: predict returned {scores.shape[0]} rows "
            f"for {len(grid)} grid points"
        )

    classes = np.unique(y)
    level = None
    if scores.ndim == 2 and scores.shape[1] > 1:
        index = scores.argmax(axis=1)
        predicted = classes[index] if scores.shape[1] == len(classes) else index
    else:
        scores = scores.ravel()
        if (
            threshold is None
            and np.all(scores == np.round(scores))
            and np.isin(scores, classes).all()
        ):
            predicted = scores  # labels already
        else:
            if len(classes) > 2:
                raise ValueError(
                    f"plot_decision_boundary: {len(classes)} classes in y need (m, k) class "
                    "scores from predict, got one score per point"
                )
            if threshold is None:
                threshold = 0.5 if scores.min() >= 0.0 and scores.max() <= 1.0 else 0.0
            level = threshold
            predicted = np.where(scores > threshold, classes[-1], classes[0])

    figure, ax, own = _axes(ax, (5.6, 4.8))
    shown = np.union1d(classes, predicted)
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(shown))]
    if level is not None and scores.min() < level < scores.max():
        # Fill by the continuous scores, split at the threshold: contourf interpolates between
        # grid points, so the boundary is a smooth curve rather than the grid's stair steps.
        field = scores.reshape(gx.shape)
        sides = [colors[np.searchsorted(shown, c)] for c in (classes[0], classes[-1])]
        span = max(abs(scores.max()), abs(scores.min()), 1.0)
        ax.contourf(gx, gy, field, levels=[-2 * span, level, 2 * span], colors=sides, alpha=0.22)
    else:
        region = np.searchsorted(shown, predicted).reshape(gx.shape)
        levels = np.arange(len(shown) + 1) - 0.5
        ax.contourf(gx, gy, region, levels=levels, colors=colors, alpha=0.22)
    if level is not None and scores.min() < level < scores.max():
        ax.contour(
            gx, gy, scores.reshape(gx.shape), levels=[level], colors="#343a40", linewidths=1.2
        )
    for i, c in enumerate(shown):
        members = y == c
        if members.any():
            ax.scatter(
                X[members, 0],
                X[members, 1],
                s=26,
                color=colors[i],
                edgecolor="white",
                linewidth=0.6,
                label=f"class {c:g}",
                zorder=3,
            )
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title)
    ax.grid(True, alpha=0.25)
    ax.legend(frameon=True, framealpha=0.85, loc="best")
    if own:
        figure.tight_layout()
    _save(figure, path)
    return figure


def plot_regression(X, y, predictions, *, path=None, ax=None, title: str = "regression"):
    """Targets and predictions; several predictions (e.g. per epoch) overlaid, the last in front.

    `predictions` is a dict label -> array (`{"epoch 1": ..., "epoch 50": ...}`) or one array.
    With one input feature (X of shape (n,) or (n, 1)) the fits are drawn as curves over x;
    with more, as a predicted-versus-target scatter around the diagonal.
    """
    from matplotlib import colormaps

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if not isinstance(predictions, Mapping):
        predictions = {"prediction": predictions}
    if not predictions:
        raise ValueError("plot_regression: no predictions to plot")
    fits = {}
    for label, values in predictions.items():
        values = np.asarray(values, dtype=float).ravel()
        if len(values) != len(y):
            raise ValueError(
                f"plot_regression: prediction {label!r} has {len(values)} values "
                f"for {len(y)} targets"
            )
        fits[label] = values
    if len(X) != len(y):
        raise ValueError(f"plot_regression: {len(X)} inputs but {len(y)} targets")

    figure, ax, own = _axes(ax, (6.4, 4.4))
    palette = colormaps["viridis"]
    shades = np.linspace(0.75, 0.15, len(fits)) if len(fits) > 1 else [0.3]
    if X.ndim == 1 or X.shape[1] == 1:
        x = X.ravel()
        order = np.argsort(x, kind="stable")
        ax.scatter(x, y, s=14, color="#868e96", label="target", zorder=2)
        for i, ((label, values), shade) in enumerate(zip(fits.items(), shades)):
            last = i == len(fits) - 1
            ax.plot(
                x[order],
                values[order],
                color=palette(shade),
                lw=2.4 if last else 1.5,
                alpha=1.0 if last else 0.75,
                label=label,
                zorder=3 + i,
            )
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    else:
        for i, ((label, values), shade) in enumerate(zip(fits.items(), shades)):
            ax.scatter(y, values, s=14, color=palette(shade), alpha=0.8, label=label, zorder=3 + i)
        low = min(y.min(), *(v.min() for v in fits.values()))
        high = max(y.max(), *(v.max() for v in fits.values()))
        ax.plot([low, high], [low, high], "--", color="#868e96", lw=1, label="prediction = target")
        ax.set_xlabel("target")
        ax.set_ylabel("prediction")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    if own:
        figure.tight_layout()
    _save(figure, path)
    return figure


def plain_log_labels(ax, axis: str = "y") -> None:
    """Label a log axis with plain numbers (0.2, 0.5, 2, 5) rather than matplotlib's `2×10⁰`.

    Major and minor ticks alike; a number too small or large for plain digits keeps its
    exponent (`1e-05`).
    """
    from matplotlib.ticker import FuncFormatter, LogLocator

    which = ax.yaxis if axis == "y" else ax.xaxis
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    which.set_major_formatter(plain)
    which.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    which.set_minor_formatter(plain)


# ------------------------------------------------------------------------------ helpers


def _figure(figsize: tuple[float, float]):
    """A new Figure on the Agg canvas (raster and vector output, no display needed) that Jupyter
    shows inline as the last line of a cell, whatever the backend (see `_inline_figure`)."""
    figure = _inline_figure()(figsize=figsize)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    return figure


def _inline_figure():
    """matplotlib's Figure with `_repr_png_` (matplotlib is optional: imported on first use).

    A Figure built without pyplot displays in IPython only as `<Figure size ...>` unless
    `%matplotlib inline` registered a formatter; `_repr_png_` is what IPython asks every object
    for, so the plot shows in a fresh kernel, and a script still never opens a window.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "nn.plot needs matplotlib, which is not installed: pip install backprop-lab[plot]"
        ) from None
    return _inline_subclass(Figure)


@functools.cache
def _inline_subclass(figure_class: type) -> type:
    class InlineFigure(figure_class):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return InlineFigure


def _axes(ax, figsize):
    """(figure, axes, made here?): the given axes, or one axes on a new figure."""
    if ax is not None:
        return ax.figure, ax, False
    figure = _figure(figsize)
    return figure, figure.subplots(), True


def _save(figure, path) -> None:
    if path is None:
        return
    path = Path(path)
    if path.suffix.lower() not in SAVE_FORMATS:
        raise ValueError(
            f"nn.plot: unsupported extension {path.suffix or '(none)'!r} in {str(path)!r}; "
            f"use one of {', '.join(SAVE_FORMATS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def _columns(history: Mapping[str, list]) -> dict[str, np.ndarray]:
    """The history as float arrays (None becomes NaN: a gap in the curve), lengths checked."""
    if not isinstance(history, Mapping) or not history:
        raise ValueError("plot_history: history must be a non-empty dict of lists")
    columns = {}
    for key, values in history.items():
        values = [math.nan if v is None else float(v) for v in values]
        columns[key] = np.asarray(values, dtype=float)
    lengths = {key: len(values) for key, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"plot_history: lists of different lengths: {lengths}")
    if not next(iter(lengths.values())):
        raise ValueError("plot_history: the history is empty (no epochs)")
    return columns


def _use_log(name: str, columns: dict, log_scale) -> bool:
    values = np.concatenate([columns[k] for k in (name, f"val_{name}") if k in columns])
    values = values[np.isfinite(values)]
    positive = values.size > 0 and bool((values > 0).all())
    if log_scale is None:
        return "loss" in name and positive and values.max() > 100 * values.min()
    if isinstance(log_scale, bool):
        return log_scale and positive
    return name in log_scale and positive


def _mark_best(ax, name: str, epochs, values, which: str) -> None:
    """A star at the best epoch (the highest accuracy-like value, else the lowest)."""
    if not np.isfinite(values).any():
        return
    higher = any(word in name for word in HIGHER_IS_BETTER)
    best = int(np.nanargmax(values) if higher else np.nanargmin(values))
    value = values[best]
    shown = f"{100 * value:.4g}%" if higher and 0.0 <= value <= 1.0 else f"{value:.4g}"
    label = " ".join(filter(None, ("best", which, shown)))
    label += f" (epoch {epochs[best]:g})"
    ax.plot(epochs[best], values[best], "*", ms=11, color="#e03131", label=label, zorder=5)
