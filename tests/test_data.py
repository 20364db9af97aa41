"""nn.data: preprocessing, splitting, minibatches, and the old import paths."""

from __future__ import annotations

import numpy as np
import pytest

from nn import data, datasets, mnist
from nn.data import batches, split, standardize, to_values

# standardize
# ---------------------------------------------------------------------------------------------


def test_standardize_gives_train_mean_zero_and_std_one():
    rng = np.random.default_rng(0)
    train = rng.normal(loc=[5.0, -3.0, 100.0], scale=[2.0, 0.1, 30.0], size=(200, 3))
    scaled = standardize(train)
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, rtol=1e-12)


def test_standardize_applies_train_statistics_to_the_others():
    train = np.array([[1.0, 10.0], [3.0, 30.0]])  # mean (2, 20), std (1, 10)
    val, test = np.array([[2.0, 40.0]]), np.array([[0.0, 0.0], [5.0, 20.0]])
    out_train, out_val, out_test = standardize(train, val, test)
    assert out_train.tolist() == [[-1.0, -1.0], [1.0, 1.0]]
    assert out_val.tolist() == [[0.0, 2.0]]
    assert out_test.tolist() == [[-2.0, -2.0], [3.0, 0.0]]


def test_standardize_with_only_train_returns_an_array_not_a_tuple():
    assert isinstance(standardize(np.array([[1.0], [2.0]])), np.ndarray)
    assert isinstance(standardize(np.array([[1.0], [2.0]]), np.array([[3.0]])), tuple)


def test_standardize_centres_constant_columns_without_dividing_by_zero():
    train = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])
    out_train, out_test = standardize(train, np.array([[0.6, 2.0]]))
    assert out_train[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert out_test[0, 0] == pytest.approx(0.5)
    assert np.all(np.isfinite(out_train))


def test_standardize_leaves_its_input_unchanged():
    train = np.array([[1.0, 2.0], [3.0, 5.0]])
    standardize(train)
    assert train.tolist() == [[1.0, 2.0], [3.0, 5.0]]


def test_standardize_rejects_others_with_different_columns():
    with pytest.raises(ValueError, match=r"standardize: others\[0\] has shape \(2, 3\)"):
        standardize(np.zeros((4, 2)), np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# split
# ---------------------------------------------------------------------------------------------


def _indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """X whose first column is the sample index, y = 10 * index: alignment is checkable."""
    X = np.column_stack([np.arange(n), np.arange(n) ** 2]).astype(np.float64)
    return X, 10 * np.arange(n)


def test_split_puts_every_sample_in_exactly_one_part():
    X, y = _indexed(103)
    parts = split(X, y, val=0.2, test=0.1, seed=5)
    indices = np.concatenate([Xp[:, 0] for Xp, _ in parts])
    assert sorted(indices.tolist()) == list(range(103))


def test_split_sizes_are_rounded_fractions_with_the_rest_for_training():
    X, y = _indexed(103)
    sizes = [len(yp) for _, yp in split(X, y, val=0.2, test=0.1)]
    assert sizes == [103 - 21 - 10, 21, 10]


def test_split_keeps_rows_and_labels_aligned():
    X, y = _indexed(50)
    for Xp, yp in split(X, y):
        np.testing.assert_array_equal(yp, 10 * Xp[:, 0].astype(np.int64))
        np.testing.assert_array_equal(Xp[:, 1], Xp[:, 0] ** 2)


def test_split_shuffles_reproducibly():
    X, y = _indexed(100)
    (X1, _), _, _ = split(X, y, seed=3)
    (X2, _), _, _ = split(X, y, seed=3)
    (X3, _), _, _ = split(X, y, seed=4)
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(X1[:, 0], np.sort(X1[:, 0]))


def test_split_with_zero_fractions_gives_empty_parts_of_the_right_shape():
    X, y = _indexed(10)
    (X_tr, _), (X_va, y_va), (X_te, _) = split(X, y, val=0.0, test=0.0)
    assert X_tr.shape == (10, 2) and X_va.shape == (0, 2) and y_va.shape == (0,)
    assert X_te.shape == (0, 2)


@pytest.mark.parametrize(
    ("n", "kwargs", "message"),
    [
        (10, {"val": 0.5, "test": 0.5}, "split: val + test must be < 1"),
        (10, {"val": -0.1}, "split: val must be a finite number >= 0, got -0.1"),
        (10, {"test": 1.2}, "split: val + test must be < 1"),
        (2, {"val": 0.4, "test": 0.4}, "split: 2 samples with val=0.4, test=0.4 leave 0"),
    ],
)
def test_split_rejects_fractions_that_do_not_fit(n, kwargs, message):
    X, y = _indexed(n)
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        split(X, y, **kwargs)


def test_split_rejects_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="split: X and y must have the same length, got 5 and 4"):
        split(np.zeros((5, 2)), np.zeros(4))


# ---------------------------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------------------------


def _epoch_order(X, y, **kwargs) -> list[int]:
    return [int(i) for Xb, _ in batches(X, y, **kwargs) for i in Xb[:, 0]]


def test_batches_cover_every_sample_exactly_once_per_epoch():
    X, y = _indexed(23)
    for epoch in range(3):
        order = _epoch_order(X, y, batch_size=5, epoch=epoch)
        assert sorted(order) == list(range(23))


def test_batches_keep_the_last_partial_batch_by_default():
    X, y = _indexed(23)
    assert [len(yb) for _, yb in batches(X, y, 5)] == [5, 5, 5, 5, 3]


def test_batches_drop_last_drops_only_the_partial_batch():
    X, y = _indexed(23)
    assert [len(yb) for _, yb in batches(X, y, 5, drop_last=True)] == [5, 5, 5, 5]
    assert [len(yb) for _, yb in batches(X, y, 4, shuffle=False, drop_last=True)] == [4] * 5


def test_batches_keep_rows_and_labels_aligned():
    X, y = _indexed(23)
    for Xb, yb in batches(X, y, 4, epoch=2):
        np.testing.assert_array_equal(yb, 10 * Xb[:, 0].astype(np.int64))


def test_batches_without_shuffle_follow_data_order():
    X, y = _indexed(10)
    assert _epoch_order(X, y, batch_size=3, shuffle=False) == list(range(10))


def test_batches_reshuffle_between_epochs():
    X, y = _indexed(50)
    orders = [tuple(_epoch_order(X, y, batch_size=8, seed=0, epoch=e)) for e in range(5)]
    assert len(set(orders)) == 5
    assert all(order != tuple(range(50)) for order in orders)


def test_batches_replay_the_same_order_for_the_same_seed_and_epoch():
    X, y = _indexed(50)
    first = _epoch_order(X, y, batch_size=8, seed=11, epoch=3)
    assert _epoch_order(X, y, batch_size=8, seed=11, epoch=3) == first
    assert _epoch_order(X, y, batch_size=8, seed=12, epoch=3) != first


def test_batches_seed_and_epoch_are_not_interchangeable():
    X, y = _indexed(50)
    assert _epoch_order(X, y, batch_size=8, seed=0, epoch=1) != _epoch_order(
        X, y, batch_size=8, seed=1, epoch=0
    )


def test_batches_check_arguments_at_the_call_not_at_first_next():
    X, y = _indexed(10)
    with pytest.raises(ValueError, match="batches: batch_size must be a positive int, got 0"):
        batches(X, y, 0)
    with pytest.raises(ValueError, match="batches: epoch must be an int >= 0, got -1"):
        batches(X, y, 2, epoch=-1)
    with pytest.raises(ValueError, match="batches: X and y must have the same length"):
        batches(X, y[:-1], 2)


def test_batches_with_batch_size_above_n_yield_one_batch():
    X, y = _indexed(7)
    assert [len(yb) for _, yb in batches(X, y, 100)] == [7]
    assert list(batches(X, y, 100, drop_last=True)) == []


# ---------------------------------------------------------------------------------------------
# to_values
# ---------------------------------------------------------------------------------------------


def test_to_values_turns_a_2d_array_into_rows_of_values():
    from autograd.value import Value

    rows = to_values(np.array([[0.5, -1.0, 2.0], [3.0, 4.0, 5.0]]))
    assert len(rows) == 2 and all(len(row) == 3 for row in rows)
    assert all(isinstance(v, Value) for row in rows for v in row)
    assert [[v.data for v in row] for row in rows] == [[0.5, -1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [v.label for v in rows[1]] == ["x0", "x1", "x2"]


def test_to_values_data_are_python_floats():
    rows = to_values(np.array([[1, 2]], dtype=np.int64))
    assert [type(v.data) for v in rows[0]] == [float, float]
    assert [v.data for v in rows[0]] == [1.0, 2.0]


def test_to_values_turns_a_1d_array_into_one_flat_row():
    row = to_values(np.array([0.25, 7.0]))
    assert [(v.data, v.label) for v in row] == [(0.25, "x0"), (7.0, "x1")]


def test_to_values_accepts_a_list_of_rows():
    rows = to_values([[1.0, 2.0], [3.0, 4.0]])
    assert [[v.data for v in row] for row in rows] == [[1.0, 2.0], [3.0, 4.0]]


def test_to_values_rejects_3d_input():
    with pytest.raises(ValueError, match=r"to_values: X must be 1-D or 2-D, got shape \(2, 2, 2\)"):
        to_values(np.zeros((2, 2, 2)))


# ---------------------------------------------------------------------------------------------
# the old import paths
# ---------------------------------------------------------------------------------------------

MOVED = {
    datasets: [
        "make_moons",
        "make_circles",
        "make_spirals",
        "make_ellipse",
        "make_curve",
        "ELLIPSE_Q",
        "ELLIPSE_THRESHOLD",
    ],
    mnist: ["load_mnist", "download_mnist", "MNIST_FILES", "MNIST_MD5", "MNIST_URL"],
}


@pytest.mark.parametrize(
    ("module", "name"), [(module, name) for module, names in MOVED.items() for name in names]
)
def test_names_that_moved_out_of_nn_data_still_import_from_it(module, name):
    assert getattr(data, name) is getattr(module, name)
    assert name in data.__all__


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: batches(np.zeros((4, 2)), np.zeros(4), 2, shuffle="no"),
            ValueError,
            r"batches: shuffle must be True or False, got 'no' \(str\)",
        ),
        (
            lambda: batches(np.zeros((4, 2)), np.zeros(4), 2, drop_last=1),
            ValueError,
            "batches: drop_last must be True or False, got 1",
        ),
        (
            lambda: split([[1.0], [1.0, 2.0]], [0, 1]),
            ValueError,
            "split: X must be a rectangular array of numbers",
        ),
        (
            lambda: split(np.zeros((4, 2)), ["a", "b", "c", "d"]),
            TypeError,
            "split: y must hold numbers, got an array of <U1",
        ),
        (
            lambda: standardize(np.array([["a"]])),
            TypeError,
            "standardize: train must hold numbers, got an array of <U1",
        ),
        (
            lambda: standardize(np.zeros((2, 1)), [["x"]]),
            TypeError,
            r"standardize: others\[0\] must hold numbers",
        ),
    ],
)
def test_bad_plumbing_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
