"""nn.data: toy data sets, preprocessing, splitting, minibatches, MNIST loading."""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import pytest

from nn import data
from nn.data import (
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

MNIST_T10K = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"

CLASSIFICATION_SETS = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "ellipse": make_ellipse,
}
GENERATORS = {**CLASSIFICATION_SETS, "curve": make_curve}


# ---------------------------------------------------------------------------------------------
# all generators: shapes, dtypes, seeds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFICATION_SETS)
def test_classification_set_has_float64_points_and_int64_labels(name):
    X, y = CLASSIFICATION_SETS[name](n=37)
    assert X.shape == (37, 2) and X.dtype == np.float64
    assert y.shape == (37,) and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}


def test_curve_has_one_feature_column_and_float64_targets():
    X, y = make_curve(n=37)
    assert X.shape == (37, 1) and X.dtype == np.float64
    assert y.shape == (37,) and y.dtype == np.float64


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_gives_identical_arrays(name):
    X1, y1 = GENERATORS[name](n=50, seed=7)
    X2, y2 = GENERATORS[name](n=50, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", GENERATORS)
def test_different_seeds_give_different_arrays(name):
    kwargs = {"noise": 0.1} if name == "curve" else {}
    X1, y1 = GENERATORS[name](n=50, seed=1, **kwargs)
    X2, y2 = GENERATORS[name](n=50, seed=2, **kwargs)
    assert not np.array_equal(X1, X2)
    assert not np.array_equal(y1, y2)


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_leave_numpy_global_random_state_alone(name):
    state = np.random.get_state()[1].copy()
    GENERATORS[name](n=20, seed=3)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("name", GENERATORS)
def test_seed_none_draws_fresh_data(name):
    kwargs = {"noise": 0.1} if name == "curve" else {}
    X1, _ = GENERATORS[name](n=50, seed=None, **kwargs)
    X2, _ = GENERATORS[name](n=50, seed=None, **kwargs)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(n=-3), "make_moons: n must be a positive int, got -3"),
        (lambda: make_moons(n=2.5), "make_moons: n must be a positive int, got 2.5"),
        (lambda: make_moons(n=True), "make_moons: n must be a positive int, got True"),
        (lambda: make_moons(noise=-0.1), "make_moons: noise must be a finite number >= 0"),
        (lambda: make_moons(seed=-1), "make_moons: seed must be an int >= 0, got -1"),
        (lambda: make_circles(factor=1.5), "make_circles: factor must be in (0, 1), got 1.5"),
        (lambda: make_circles(noise=math.nan), "make_circles: noise must be a finite number"),
        (lambda: make_spirals(classes=0), "make_spirals: classes must be a positive int, got 0"),
        (lambda: make_spirals(n=2, classes=3), "make_spirals: n must be >= classes (3), got 2"),
        (lambda: make_ellipse(n=0), "make_ellipse: n must be a positive int, got 0"),
        (lambda: make_curve(fn="tan"), "make_curve: unknown fn 'tan'"),
        (lambda: make_curve(low=1.0, high=1.0), "make_curve: low must be < high, got low=1.0"),
        (lambda: make_curve(fn=lambda x: x[:3]), "make_curve: fn must map (100,) to (100,)"),
    ],
)
def test_bad_generator_argument_raises_naming_it(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value), f"expected {message!r} in {str(info.value)!r}"


# ---------------------------------------------------------------------------------------------
# moons, circles, spirals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("generate", [make_moons, make_circles])
@pytest.mark.parametrize(("n", "counts"), [(100, [50, 50]), (101, [50, 51]), (1, [0, 1])])
def test_two_class_sets_are_balanced(generate, n, counts):
    _, y = generate(n=n)
    assert np.bincount(y, minlength=2).tolist() == counts


def test_spiral_classes_differ_in_size_by_at_most_one():
    _, y = make_spirals(n=11, classes=4)
    assert np.bincount(y).tolist() == [3, 3, 3, 2]


def test_moons_are_shuffled_not_grouped_by_class():
    _, y = make_moons(n=100)
    label_changes = np.count_nonzero(np.diff(y))
    assert label_changes > 10, f"{label_changes} label changes: the classes come in blocks"


def test_noise_free_moons_lie_on_their_two_arcs():
    X, y = make_moons(n=200, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= -1e-12 and lower[:, 1].max() <= 0.5 + 1e-12


def test_moons_class_means_are_offset_right_and_down():
    # Upper arc centred at x = 0, lower arc at x = 1; mean heights 2/pi and 0.5 - 2/pi.
    X, y = make_moons(n=2000, noise=0.1, seed=0)
    mean0, mean1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    print(f"moons class means: {mean0}, {mean1}")
    assert mean1[0] - mean0[0] == pytest.approx(1.0, abs=0.03)
    assert mean0[1] - mean1[1] == pytest.approx(4 / math.pi - 0.5, abs=0.03)


def test_noise_free_circles_have_radii_one_and_factor():
    X, y = make_circles(n=100, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_noise_free_spiral_arms_follow_their_angle_formula():
    classes, turns = 3, 1.5
    X, y = make_spirals(n=300, classes=classes, noise=0.0, turns=turns)
    radius = np.hypot(X[:, 0], X[:, 1])
    keep = radius > 1e-9  # the angle at the origin is undefined
    expected = 2 * np.pi * (turns * radius + y / classes)
    difference = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    np.testing.assert_allclose(difference[keep], 0.0, atol=1e-9)
    assert radius.max() == pytest.approx(1.0)


def test_spirals_label_every_class():
    _, y = make_spirals(n=50, classes=5)
    assert sorted(np.unique(y).tolist()) == [0, 1, 2, 3, 4]


# ---------------------------------------------------------------------------------------------
# ellipse
# ---------------------------------------------------------------------------------------------


def test_ellipse_labels_follow_the_quadratic_form_exactly():
    X, y = make_ellipse(n=1000, seed=0)
    Q = [[1.0, -0.05], [1.0, 0.4]]
    form = np.array([sum(x[i] * Q[i][j] * x[j] for i in range(2) for j in range(2)) for x in X])
    np.testing.assert_array_equal(y, (form > 0.6).astype(np.int64))


def test_ellipse_form_uses_only_the_symmetric_part_of_q():
    # x^T Q x = x0^2 + (-0.05 + 1) x0 x1 + 0.4 x1^2 for Q = [[1, -0.05], [1, 0.4]].
    X, y = make_ellipse(n=1000, seed=1)
    form = X[:, 0] ** 2 + 0.95 * X[:, 0] * X[:, 1] + 0.4 * X[:, 1] ** 2
    clear = np.abs(form - 0.6) > 1e-9
    np.testing.assert_array_equal(y[clear], (form[clear] > 0.6).astype(np.int64))


def test_ellipse_positive_fraction_is_stable_across_seeds():
    fractions = [make_ellipse(n=20_000, seed=seed)[1].mean() for seed in range(5)]
    print("ellipse positive fractions:", [round(float(f), 4) for f in fractions])
    assert all(0.54 < f < 0.575 for f in fractions), fractions


def test_ellipse_features_are_standard_normal():
    X, _ = make_ellipse(n=20_000, seed=0)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=0.03)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=0.03)


# ---------------------------------------------------------------------------------------------
# curve
# ---------------------------------------------------------------------------------------------

CURVE_FORMULAS = {
    "sin": np.sin,
    "cos": np.cos,
    "square": lambda x: x * x,
    "cubic": lambda x: x * x * x,
    "abs": np.abs,
    "step": lambda x: np.where(x > 0, 1.0, 0.0),
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "tanh": np.tanh,
    "exp": np.exp,
    "gauss": lambda x: np.exp(-x * x),
}


@pytest.mark.parametrize("fn", CURVE_FORMULAS)
def test_curve_targets_are_fn_of_x(fn):
    X, y = make_curve(n=64, fn=fn, noise=0.0)
    np.testing.assert_allclose(y, CURVE_FORMULAS[fn](X[:, 0]), rtol=1e-12, atol=1e-15)


def test_curve_x_is_sorted_and_inside_bounds():
    X, _ = make_curve(n=200, low=-2.0, high=3.0)
    x = X[:, 0]
    assert np.all(np.diff(x) >= 0)
    assert x.min() >= -2.0 and x.max() < 3.0


def test_curve_accepts_an_array_callable():
    X, y = make_curve(n=20, fn=lambda x: 2 * x + 1)
    np.testing.assert_allclose(y, 2 * X[:, 0] + 1)


def test_curve_accepts_a_scalar_only_callable():
    X, y = make_curve(n=20, fn=math.sin)
    np.testing.assert_allclose(y, np.sin(X[:, 0]), rtol=1e-15)


def test_curve_noise_perturbs_targets_but_not_inputs():
    X0, y0 = make_curve(n=500, noise=0.0, seed=4)
    X1, y1 = make_curve(n=500, noise=0.2, seed=4)
    np.testing.assert_array_equal(X0, X1)
    assert np.std(y1 - y0) == pytest.approx(0.2, rel=0.15)


# ---------------------------------------------------------------------------------------------
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
# MNIST: small IDX files written here
# ---------------------------------------------------------------------------------------------

IMAGES_GZ, LABELS_GZ = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    header = np.array([magic, *dims], dtype=">u4").tobytes()
    return header + payload


def _fake_mnist(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    pixels[0, 0, 0], pixels[0, 0, 1] = 0, 255  # make the extremes present
    return pixels, rng.integers(0, 10, size=n, dtype=np.uint8)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)
    return path


def _write_pair(
    folder: Path,
    pixels: np.ndarray,
    labels: np.ndarray,
    prefix: str = "t10k",
    gz: bool = True,
) -> tuple[Path, Path]:
    ext = ".gz" if gz else ""
    images = _write(
        folder / f"{prefix}-images-idx3-ubyte{ext}", _idx(2051, pixels.shape, pixels.tobytes())
    )
    labels_path = _write(
        folder / f"{prefix}-labels-idx1-ubyte{ext}", _idx(2049, labels.shape, labels.tobytes())
    )
    return images, labels_path


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    pixels, labels = _fake_mnist()
    _write_pair(tmp_path, pixels, labels, gz=gz)
    X, y = load_mnist(tmp_path)["test"]
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, pixels.reshape(5, 784) / np.float32(255))
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_pixels_span_exactly_zero_to_one(tmp_path):
    _write_pair(tmp_path, *_fake_mnist())
    X, _ = load_mnist(tmp_path)["test"]
    assert X.min() == 0.0 and X.max() == 1.0


def test_load_mnist_raw_keeps_uint8_images(tmp_path):
    pixels, labels = _fake_mnist()
    _write_pair(tmp_path, pixels, labels)
    X, _ = load_mnist(tmp_path, normalize=False, flatten=False)["test"]
    assert X.shape == (5, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(X, pixels)
    assert X.flags.writeable


def test_load_mnist_loads_train_and_test_under_their_keys(tmp_path):
    train_pixels, train_labels = _fake_mnist(n=6, seed=1)
    _write_pair(tmp_path, train_pixels, train_labels, prefix="train")
    _write_pair(tmp_path, *_fake_mnist(n=3, seed=2), prefix="t10k", gz=False)
    loaded = load_mnist(tmp_path)
    assert sorted(loaded) == ["test", "train"]
    assert len(loaded["train"][1]) == 6 and len(loaded["test"][1]) == 3
    np.testing.assert_array_equal(loaded["train"][1], train_labels)


def test_load_mnist_loads_only_the_pairs_present(tmp_path):
    _write_pair(tmp_path, *_fake_mnist(), prefix="train")
    assert list(load_mnist(tmp_path)) == ["train"]


def test_load_mnist_on_an_empty_folder_lists_the_expected_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    for name in data.MNIST_MD5:
        assert name in message


def test_load_mnist_on_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere is not a folder"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_images_without_labels_names_both_files(tmp_path):
    images, labels = _write_pair(tmp_path, *_fake_mnist())
    labels.unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    assert str(images) in str(info.value) and LABELS_GZ in str(info.value)


def test_load_mnist_labels_without_images_names_both_files(tmp_path):
    images, labels = _write_pair(tmp_path, *_fake_mnist())
    images.unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    assert str(labels) in str(info.value) and IMAGES_GZ in str(info.value)


@pytest.mark.parametrize("which", ["images", "labels"])
def test_load_mnist_bad_magic_names_the_file(tmp_path, which):
    pixels, labels = _fake_mnist()
    images_path, labels_path = _write_pair(tmp_path, pixels, labels)
    if which == "images":
        path, content, expected = images_path, _idx(2049, pixels.shape, pixels.tobytes()), 2051
    else:
        path, content, expected = labels_path, _idx(2051, labels.shape, labels.tobytes()), 2049
    _write(path, content)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert str(path) in str(info.value)
    assert f"bad magic number {2049 if expected == 2051 else 2051}, expected {expected}" in str(
        info.value
    )


def test_load_mnist_truncated_images_file_names_it(tmp_path):
    pixels, labels = _fake_mnist()
    images, _ = _write_pair(tmp_path, pixels, labels)
    _write(images, _idx(2051, pixels.shape, pixels.tobytes())[:-100])
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(images) in message and "truncated" in message
    assert f"need {16 + 5 * 784} bytes, but the file has {16 + 5 * 784 - 100}" in message


def test_load_mnist_file_shorter_than_its_header_names_it(tmp_path):
    _, labels = _write_pair(tmp_path, *_fake_mnist())
    _write(labels, b"\x00\x00\x08")
    with pytest.raises(ValueError, match="truncated: 3 bytes, shorter than the 8-byte IDX header"):
        load_mnist(tmp_path)


def test_load_mnist_trailing_bytes_name_the_file(tmp_path):
    pixels, labels = _fake_mnist()
    _, labels_path = _write_pair(tmp_path, pixels, labels)
    _write(labels_path, _idx(2049, labels.shape, labels.tobytes()) + b"\x01")
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert str(labels_path) in str(info.value) and "trailing bytes" in str(info.value)


def test_load_mnist_count_mismatch_names_both_files(tmp_path):
    pixels, labels = _fake_mnist(n=5)
    images, labels_path = _write_pair(tmp_path, pixels, labels[:4])
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert f"{images} has 5 images but {labels_path} has 4 labels" in message


def test_load_mnist_label_out_of_range_names_the_file(tmp_path):
    pixels, labels = _fake_mnist()
    labels[3] = 10
    _, labels_path = _write_pair(tmp_path, pixels, labels)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert f"{labels_path}: labels must be in 0..9, label 3 is 10" in str(info.value)


def test_load_mnist_corrupt_gzip_names_the_file(tmp_path):
    images, _ = _write_pair(tmp_path, *_fake_mnist())
    images.write_bytes(b"this is not gzip data")
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path)
    assert f"{images}: cannot decompress" in str(info.value)


# ---------------------------------------------------------------------------------------------
# MNIST: the real test set
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_t10k() -> tuple[np.ndarray, np.ndarray]:
    if not (MNIST_T10K / IMAGES_GZ).is_file():
        message = f"the official MNIST t10k files are not in {MNIST_T10K}"
        if os.environ.get("BACKPROP_LAB_STRICT") == "1":
            pytest.fail(message + " and BACKPROP_LAB_STRICT=1 requires them")
        pytest.skip(message)
    return load_mnist(MNIST_T10K)["test"]


def test_real_mnist_test_set_has_10000_flat_images(mnist_t10k):
    X, y = mnist_t10k
    assert X.shape == (10_000, 784) and X.dtype == np.float32
    assert y.shape == (10_000,) and y.dtype == np.int64


def test_real_mnist_test_set_starts_with_7_2_1_0_4(mnist_t10k):
    _, y = mnist_t10k
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


def test_real_mnist_test_label_counts_are_the_published_ones(mnist_t10k):
    _, y = mnist_t10k
    counts = np.bincount(y, minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert counts.sum() == 10_000


def test_real_mnist_pixels_span_zero_to_one(mnist_t10k):
    X, _ = mnist_t10k
    assert X.min() == 0.0 and X.max() == 1.0
    assert X.mean() == pytest.approx(0.1325, abs=5e-4)


# ---------------------------------------------------------------------------------------------
# download_mnist (never touches the network)
# ---------------------------------------------------------------------------------------------

REFUSED = "http://127.0.0.1:9/"  # the discard port on loopback: refused at once


def test_download_without_network_names_the_url_and_the_folder(tmp_path):
    folder = tmp_path / "mnist"
    with pytest.raises(RuntimeError) as info:
        download_mnist(folder, base_url=REFUSED, timeout=5)
    message = str(info.value)
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert str(folder) in message and "by hand" in message
    assert list(folder.iterdir()) == []


def test_download_skips_files_already_present(tmp_path):
    for name in data.MNIST_MD5:
        (tmp_path / name.removesuffix(".gz")).write_bytes(b"")
    assert download_mnist(tmp_path, base_url=REFUSED) == tmp_path


def test_download_with_a_malformed_base_url_names_it(tmp_path):
    with pytest.raises(ValueError, match="download_mnist: bad base_url 'no-scheme'"):
        download_mnist(tmp_path, base_url="no-scheme")


def _local_mirror(tmp_path: Path, monkeypatch) -> Path:
    """A file:// mirror with made-up contents, and their MD5s in place of the published ones."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in data.MNIST_MD5:
        content = gzip.compress(name.encode())
        (mirror / name).write_bytes(content)
        monkeypatch.setitem(data.MNIST_MD5, name, hashlib.md5(content).hexdigest())
    return mirror


def test_download_writes_every_file_and_no_temporary_ones(tmp_path, monkeypatch):
    mirror = _local_mirror(tmp_path, monkeypatch)
    folder = download_mnist(tmp_path / "mnist", base_url=mirror.as_uri())
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.MNIST_MD5)
    for name in data.MNIST_MD5:
        assert (folder / name).read_bytes() == (mirror / name).read_bytes()


def test_download_with_wrong_checksum_saves_nothing(tmp_path, monkeypatch):
    mirror = _local_mirror(tmp_path, monkeypatch)
    monkeypatch.setitem(data.MNIST_MD5, "train-images-idx3-ubyte.gz", "0" * 32)
    folder = tmp_path / "mnist"
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte\.gz gave a file with MD5"):
        download_mnist(folder, base_url=mirror.as_uri())
    assert list(folder.iterdir()) == []
