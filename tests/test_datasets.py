"""nn.datasets: the toy data sets (moons, circles, spirals, ellipse, curves)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn.datasets import make_circles, make_curve, make_ellipse, make_moons, make_spirals

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
# scikit-learn's argument names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS)
def test_sklearn_names_mean_the_same_as_ours(name):
    kwargs = {"noise": 0.1} if name != "ellipse" else {}
    ours = GENERATORS[name](n=40, seed=3, **kwargs)
    theirs = GENERATORS[name](n_samples=40, random_state=3, **kwargs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_make_moons_as_scikit_learn_users_call_it():
    X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [100, 100]
    np.testing.assert_array_equal(X, make_moons(200, noise=0.1, seed=0)[0])


@pytest.mark.parametrize("generate", [make_moons, make_circles, make_spirals, make_curve])
def test_noise_none_means_no_noise_as_in_scikit_learn(generate):
    np.testing.assert_array_equal(generate(n=30, noise=None)[0], generate(n=30, noise=0.0)[0])


@pytest.mark.parametrize("generate", [make_moons, make_circles])
def test_a_pair_of_sizes_gives_each_class_its_own_count(generate):
    _, y = generate(n_samples=(30, 10))
    assert np.bincount(y).tolist() == [30, 10]


@pytest.mark.parametrize("generate", [make_moons, make_circles, make_spirals])
def test_shuffle_false_keeps_the_classes_in_order(generate):
    _, y = generate(n=20, shuffle=False)
    assert y.tolist() == sorted(y.tolist())
    _, y = generate(n=20)
    assert y.tolist() != sorted(y.tolist())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(50, n_samples=50), "make_moons: got both n and n_samples"),
        (lambda: make_moons(n=50, n_samples=50), "make_moons: got both n and n_samples"),
        (lambda: make_circles(seed=1, random_state=1), "make_circles: got both seed and"),
        (lambda: make_moons(100, 0.1, 0, random_state=0), "make_moons: got both seed and"),
    ],
)
def test_both_spellings_of_one_argument_is_an_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(n_samples=(3, 4, 5)), "make_moons: n as a pair gives the two class"),
        (lambda: make_moons(n_samples=(0, 0)), "make_moons: n must give at least one point"),
        (lambda: make_moons(random_state=np.random.RandomState(0)), "legacy RandomState"),
        (lambda: make_moons(shuffle="no"), "make_moons: shuffle must be True or False"),
        (lambda: make_moons(n="100"), "make_moons: n must be a positive int, got '100' (str)"),
    ],
)
def test_bad_sklearn_style_argument_raises_naming_it(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value), f"expected {message!r} in {str(info.value)!r}"


def test_a_numpy_generator_works_as_the_seed():
    X1, _ = make_moons(30, seed=np.random.default_rng(5))
    X2, _ = make_moons(30, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)
