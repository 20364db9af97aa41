"""The one nested-structure utility: flatten, rebuild, and match (used by trace and
assert_grads_close)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Value
from autograd.compile import trace
from autograd.structure import StructureMismatch, flatten, leaves, match, rebuild


def test_flatten_names_every_leaf_and_rebuild_puts_new_ones_back():
    tree = {"w": [1.0, (2.0, 3.0)], "b": np.array([[4.0, 5.0]])}
    assert flatten(tree) == [
        ("w[0]", 1.0), ("w[1][0]", 2.0), ("w[1][1]", 3.0), ("b[0, 0]", 4.0), ("b[0, 1]", 5.0),
    ]  # fmt: skip
    out = rebuild(tree, iter([10.0, 20.0, 30.0, 40.0, 50.0]))
    assert out["w"] == [10.0, (20.0, 30.0)]
    assert out["b"].tolist() == [[40.0, 50.0]]


def test_without_arrays_an_array_is_one_leaf():
    batch = np.array([1.0, 2.0])
    found = leaves([batch, 3.0], arrays=False)
    assert len(found) == 2 and found[0] is batch and found[1] == 3.0


def test_match_pairs_the_leaves_of_a_template_and_a_tree():
    pairs = match({"w": [1.0, 2.0], "b": 3.0}, {"w": (10.0, 20.0), "b": 30.0}, "p")
    assert pairs == [("p.w[0]", 1.0, 10.0), ("p.w[1]", 2.0, 20.0), ("p.b", 3.0, 30.0)]


def test_match_takes_an_array_at_a_leaf_as_one_leaf_and_for_a_list_as_its_rows():
    batch = np.array([1.0, 2.0, 3.0])
    ((_, _, leaf),) = match(0.0, batch)
    assert leaf is batch
    rows = match([[0.0, 0.0], [0.0, 0.0]], np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert [(path, float(x)) for path, _, x in rows] == [
        ("[0][0]", 1.0), ("[0][1]", 2.0), ("[1][0]", 3.0), ("[1][1]", 4.0),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "template, tree, message, path",
    [
        ([1.0, 2.0], [1.0], "lengths differ at the top: actual has 1 entries, expected 2", ""),
        (
            {"w": 1.0},
            {"v": 1.0},
            r"keys differ at the top: missing \[.w.\], unexpected",
            "",
        ),
        ([1.0, 2.0], [1.0, [2.0]], r"structures differ at \[1\]: actual is a list of 1", "[1]"),
        ([1.0], {"w": 1.0}, r"structures differ at x: actual is a dict with keys \['w'\]", "x"),
        (
            {"w": [1.0]},
            {"w": 2.0},
            r"at x.w: actual is a number \(2.0\), expected is",
            "x.w",
        ),
    ],
)
def test_match_names_the_first_place_the_structures_differ(template, tree, message, path):
    with pytest.raises(StructureMismatch, match=message) as caught:
        match(template, tree, "x" if path.startswith("x") else "")
    assert caught.value.path == path


def test_match_prepares_every_part_of_both_sides():
    as_list = lambda x: x.tolist() if isinstance(x, np.ndarray) else x
    pairs = match([1.0, 2.0], np.array([3.0, 4.0]), prepare=as_list)
    assert pairs == [("[0]", 1.0, 3.0), ("[1]", 2.0, 4.0)]


def test_trace_keeps_tuples_and_dicts_of_its_examples():
    f = trace(lambda p, x: p["w"] * x[0] + p["b"] * x[1], {"w": 2.0, "b": 1.0}, (3.0, 4.0))
    value, (dp, dx) = f.value_and_grad({"w": 2.0, "b": 1.0}, (3.0, 5.0))
    assert value == 11.0
    assert dp == {"w": 3.0, "b": 5.0} and dx == (2.0, 1.0)
    batch, (dp, _) = f.value_and_grad({"w": np.array([1.0, 2.0]), "b": 0.0}, (3.0, 4.0))
    assert batch.tolist() == [3.0, 6.0] and dp["w"].tolist() == [3.0, 3.0] and dp["b"] == 8.0


@pytest.mark.parametrize(
    "args, message",
    [
        (({"w": 2.0}, (3.0, 4.0)), r"argument 0: expected a dict with keys \['w', 'b'\] as traced"),
        (({"w": 2.0, "b": 1.0}, (3.0,)), "argument 1: expected a list of 2 as traced, got 1"),
        (({"w": [2.0], "b": 1.0}, (3.0, 4.0)), r"argument 0.w: expected a number or a 1-D array"),
    ],
)
def test_trace_names_the_argument_that_differs_from_the_example(args, message):
    f = trace(lambda p, x: p["w"] * x[0] + p["b"] * x[1], {"w": 2.0, "b": 1.0}, (3.0, 4.0))
    with pytest.raises(TypeError, match=message):
        f(*args)


def test_trace_refuses_an_array_or_a_string_as_an_example():
    for example in (np.array([1.0, 2.0]), "a"):
        with pytest.raises(TypeError, match="example arguments must be numbers, Values or lists"):
            trace(lambda x: x * 2.0, example)
    assert trace(lambda x: x * 2.0, Value(1.0))(3.0) == 6.0


def test_trace_keeps_the_structure_it_traced_when_the_caller_changes_its_list():
    ws = [1.0, 2.0]
    f = trace(lambda ws: ws[0] * ws[1], ws)
    ws.append(3.0)
    assert f.value_and_grad([3.0, 4.0]) == (12.0, ([4.0, 3.0],))
