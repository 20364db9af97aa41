"""Neural networks built on the autograd engine: data, modules, losses, optimizers, training."""

from .data import (
    batches,
    download_mnist,
    load_mnist,
    make_circles,
    make_curve,
    make_ellipse,
    make_moons,
    make_spirals,
    split,
    standardize,
    to_values,
)

__all__ = [
    "batches",
    "download_mnist",
    "load_mnist",
    "make_circles",
    "make_curve",
    "make_ellipse",
    "make_moons",
    "make_spirals",
    "split",
    "standardize",
    "to_values",
]
