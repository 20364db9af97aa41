"""The tensor path's shortcuts compute the very same results as the plain forms they replace.

Each shortcut carries its benchmark figure in a comment where it is written; here it is compared
bit for bit (`np.array_equal`, NaN equal to NaN) with the plain form, on special values and on
random arrays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor
from autograd.backward import broadcast_axes
from autograd.ops.core import sigmoid_array
from nn import Linear, Sequential, fit
from nn.train import _all_finite, _data

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8, 20.0, -20.0, 100.0]
SPECIAL += [-100.0, 1e4, -1e4, 88.0, -88.0, 710.0, -710.0]


def sigmoid_with_where(a):
    """The plain stable form: 1 / (1 + e^-a) for a >= 0, e^a / (1 + e^a) below."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_matches_the_where_form_bit_for_bit_on_special_values(dtype):
    with np.errstate(over="ignore"):
        a = np.array(SPECIAL, dtype=dtype)
    got = sigmoid_array(a)
    assert got.dtype == dtype
    assert np.array_equal(got, sigmoid_with_where(a), equal_nan=True)
    # and the values are the sigmoid's: 1/2 at 0, the limits at the infinities, NaN kept
    assert got[3] == got[4] == 0.5 and got[1] == 1.0 and got[2] == 0.0 and np.isnan(got[0])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=7),
        elements=st.floats(-1e3, 1e3, width=32),
    )
)
def test_sigmoid_matches_the_where_form_bit_for_bit_on_random_arrays(a):
    assert np.array_equal(sigmoid_array(a), sigmoid_with_where(a), equal_nan=True)


def test_sigmoid_tensor_op_runs_the_shortcut_in_float32():
    a = np.random.default_rng(0).standard_normal((64, 300)).astype(np.float32) * 5
    out = Tensor(a, dtype=np.float32).sigmoid()
    assert out.dtype == np.float32
    assert np.array_equal(out.data, sigmoid_with_where(a))


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((3, 4)),
        np.arange(12).reshape(3, 4),
        np.array([[True, False]]),
        np.array([[1.0, np.nan]]),
        np.array([[1.0, np.inf]], dtype=np.float32),
        np.array([[-np.inf, 2.0]]),
        np.array([[np.inf, -np.inf]]),  # the sum is NaN
        np.array([[3e38, 3e38]], dtype=np.float32),  # finite, but the sum overflows
        np.array([[6e4, 6e4]], dtype=np.float16),
        np.array([[-1.7e308, -1.7e308, 1.0]]),
        np.random.default_rng(0).random((50, 7), dtype=np.float32),
        # the row-sum (matrix-vector) path: C-ordered float32/float64, 2-D and more
        np.full((40, 30), 7.0, dtype=np.float32),
        np.where(np.eye(40, 30, k=3) > 0, np.nan, 1.0).astype(np.float32),
        np.where(np.eye(40, 30, k=-5) > 0, -np.inf, 1.0),
        np.array([[np.inf, 1.0], [1.0, -np.inf]], dtype=np.float32),  # rows inf and -inf
        np.array([[3e38, 1.0], [3e38, 1.0]], dtype=np.float32),  # finite rows, overflowing total
        np.array([[3e38, 3e38], [0.0, 0.0]], dtype=np.float32),  # an overflowing row
        np.random.default_rng(1).random((6, 5, 4)),
        np.full((6, 5, 4), np.nan)[:, :, :2].copy(),
        np.ones((4, 6), dtype=np.float32).T,  # not C-ordered: the plain sum
        np.ones((4, 6), dtype=np.float32)[:, ::2],
        np.zeros((0, 5), dtype=np.float32),
        np.zeros((5, 0)),
    ],
)
def test_all_finite_agrees_with_isfinite_everywhere(array):
    assert _all_finite(array) is bool(np.isfinite(array).all())


def test_fit_still_names_the_first_non_finite_entry_and_accepts_huge_finite_data():
    net = Sequential(Linear(3, 2, seed=0, dtype=np.float32))
    X = np.ones((4, 3), dtype=np.float32)
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"fit: X must be finite, got nan at row 2, column 1"):
        fit(net, X, np.zeros(4, dtype=int), loss="cross_entropy", epochs=1, progress=False)
    # finite entries whose float32 sum overflows pass the check (it falls back to isfinite)
    big = np.full((4, 3), 3e38, dtype=np.float32)
    with np.errstate(over="ignore"):
        assert not np.isfinite(big.sum())
    checked, _ = _data("fit", "X", big, "y", np.zeros(4, dtype=int))
    assert checked is big


@pytest.mark.parametrize(
    ("big", "small"),
    [
        ((64, 300), (300,)),  # a bias: the shortcut (no 1 in `small`)
        ((64, 300), (64, 300)),
        ((2, 3, 4), (4,)),
        ((2, 3, 4), (3, 1)),
        ((2, 1, 4), (1, 1, 4)),
        ((5, 1), (1,)),
        ((5, 7), (1, 7)),
        ((), ()),
        ((3,), ()),
    ],
)
def test_broadcast_axes_equals_the_general_rule(big, small):
    lead = len(big) - len(small)
    general = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(small) if n == 1 and big[lead + i] != 1
    )
    assert broadcast_axes(big, small) == general
    assert np.ones(big).sum(axis=general).reshape(small).shape == small
