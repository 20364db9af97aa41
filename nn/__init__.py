"""Neural networks built on the autograd engine: data, modules, losses, optimizers, training.

Losses live in the submodule `nn.losses` (`mse`, `cross_entropy`, ... names too generic for the
top level); everything else is importable from `nn` directly.
"""

from . import checkpoint, losses, optim, schedules
from .checkpoint import CheckpointError, load_model, register_module
from .data import batches, split, standardize, to_values
from .datasets import make_circles, make_curve, make_ellipse, make_moons, make_spirals
from .layers import MLP, Layer, Neuron
from .mnist import download_mnist, load_mnist
from .module import Module
from .optim import SGD, Adam, Optimizer
from .plot import plot_decision_boundary, plot_history, plot_regression
from .schedules import LinearDecay, Schedule, StepDecay
from .tensor_layers import (
    Activation,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    Softmax,
)
from .train import accuracy, fit, predict, train_step

__all__ = [
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "CheckpointError",
    "Conv2d",
    "ConvTranspose2d",
    "Dropout",
    "Flatten",
    "Layer",
    "Linear",
    "LinearDecay",
    "MaxPool2d",
    "Module",
    "Neuron",
    "Optimizer",
    "Schedule",
    "Sequential",
    "Softmax",
    "StepDecay",
    "accuracy",
    "batches",
    "checkpoint",
    "download_mnist",
    "fit",
    "load_mnist",
    "load_model",
    "losses",
    "make_circles",
    "make_curve",
    "make_ellipse",
    "make_moons",
    "make_spirals",
    "optim",
    "plot_decision_boundary",
    "plot_history",
    "plot_regression",
    "predict",
    "register_module",
    "schedules",
    "split",
    "standardize",
    "to_values",
    "train_step",
]
