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
    "check_choice",
    "check_count",
    "check_dtype",
    "check_finite",
    "check_int",
    "check_pair",
    "check_range",
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


def check_range(
    fn: str, name: str, value: object, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """A finite real number in [low, high] ((low, high] with `open_low`); bools are refused."""
    number = math.nan  # fails every comparison below
    if (
        not isinstance(value, (bool, np.bool_))
        and isinstance(value, numbers.Real)
        and _finite(value)
    ):
        number = float(value)
    if not ((number > low if open_low else number >= low) and number <= high):
        if high == math.inf:
            wanted = f"{'>' if open_low else '>='} {low:g}"
        else:
            wanted = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{fn}: {name} must be a finite number {wanted}, got {show(value)}")
    return number


def check_int(fn: str, name: str, value: object) -> int:
    """An int of any sign, Python's or numpy's (bools are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{fn}: {name} must be an int, got {show(value)}")
    return int(value)


def check_pair(fn: str, name: str, value: object, minimum: int = 1) -> int | tuple[int, int]:
    """A size such as a kernel, stride or padding: an int >= minimum, or a pair (height, width)
    of them (a tuple or list). Returned in one canonical form, so that equal sizes compare
    equal: an int when both are the same (`(3, 3)` is 3), else a tuple."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    if not (
        isinstance(pair, (tuple, list))
        and len(pair) == 2
        and all(
            isinstance(v, numbers.Integral)
            and not isinstance(v, (bool, np.bool_))
            and int(v) >= minimum
            for v in pair
        )
    ):
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{fn}: {name} must be {kind} or a pair of them, got {show(value)}")
    a, b = int(pair[0]), int(pair[1])
    return a if a == b else (a, b)


def check_choice(fn: str, name: str, value: object, choices: tuple) -> str:
    """One of the names in `choices`."""
    if not (isinstance(value, str) and value in choices):
        raise ValueError(f"{fn}: {name} must be one of {choices}, got {show(value)}")
    return value


def check_dtype(fn: str, value: object) -> np.dtype:
    """A float dtype (np.float32, "float64", ...): the dtype of a layer's parameters."""
    try:
        dtype = np.dtype(value)  # type: ignore[call-overload]
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise ValueError(f"{fn}: dtype must be a float dtype (np.float64), got {show(value)}")
    return dtype


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
