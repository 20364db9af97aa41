"""Argument checks shared by `nn`: each returns the checked value or raises a ValueError (a
TypeError for an array of non-numbers) that names the function, the argument and the value.

They run at the top of a public function, before any work starts:
`fit: batch_size must be a positive int, got 0`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_array",
    "check_bool",
    "check_count",
    "check_finite",
    "check_real",
    "make_rng",
    "show",
]


def check_count(fn: str, name: str, value: object, minimum: int = 1) -> int:
    """An int >= minimum (bools are refused: ``n=True`` is a bug, not 1)."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{fn}: {name} must be {kind}, got {show(value)}")
    return int(value)


def check_real(fn: str, name: str, value: object, *, low: float = 0.0) -> float:
    """A finite real number >= low (bools are refused)."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not _finite(value)
        or value < low
    ):
        raise ValueError(f"{fn}: {name} must be a finite number >= {low:g}, got {show(value)}")
    return float(value)


def check_finite(fn: str, name: str, value: object) -> float:
    """A finite real number of any sign (bools are refused)."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not _finite(value)
    ):
        raise ValueError(f"{fn}: {name} must be a finite number, got {show(value)}")
    return float(value)


def _finite(value: numbers.Real) -> bool:
    """math.isfinite, but False for an int too large for a float (10**400) instead of raising."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check_bool(fn: str, name: str, value: object) -> bool:
    """True or False (a str such as "no" is truthy, so it is refused rather than obeyed)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{fn}: {name} must be True or False, got {show(value)}")
    return bool(value)


def check_array(fn: str, name: str, value: object, dtype=None) -> np.ndarray:
    """`value` as a numpy array of numbers (of `dtype` if given): ragged rows (ValueError) and
    strings or objects (TypeError) are refused naming the argument."""
    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged rows
        raise ValueError(f"{fn}: {name} must be a rectangular array of numbers ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must hold numbers, got an array of {array.dtype}")
    return array if dtype is None else array.astype(dtype)


def make_rng(fn: str, seed: object, name: str = "seed") -> np.random.Generator:
    """The generator for `seed`: an int >= 0, None (fresh OS entropy) or a Generator (as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.RandomState):
        raise ValueError(
            f"{fn}: {name} must be an int >= 0, None or a numpy Generator, got a legacy "
            "RandomState (pass an int seed instead)"
        )
    return np.random.default_rng(check_count(fn, name, seed, minimum=0))


def show(value: object) -> str:
    """A value for an error message: its repr (cut at 60 characters), with the type when the repr
    alone could mislead (`'3'` is a str, `array([1.])` an ndarray); an int too long to print
    (Python refuses str() past 4,300 digits) by its size."""
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and abs(int(value)) > 10**30
    ):
        return f"an integer of about {int(int(value).bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, np.ndarray) and value.ndim:
        return f"an array of shape {value.shape} ({value.dtype})"
    text = " ".join(repr(value).split())
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, (bool, int, float)) or value is None:
        return text
    return f"{text} ({type(value).__name__})"
