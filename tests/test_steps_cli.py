"""`backprop-lab steps`: a typed formula, parsed safely, written as a step-through."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from autograd.expression import parse_expression, variables
from nn.cli import main


def test_the_neuron_formula_builds_the_neuron_graph():
    y = parse_expression("tanh(x*w + b)", {"x": 2.0, "w": -0.5, "b": 0.5})
    assert y.data == math.tanh(-0.5) and y.op == "tanh"
    y.backward()
    (s,) = y.parents
    (product, b) = s.parents
    x, w = product.parents
    assert (x.label, w.label, b.label) == ("x", "w", "b")
    assert w.grad == (1 - y.data**2) * 2.0


def test_a_variable_used_twice_is_one_node():
    y = parse_expression("x*x + 3", {"x": 4.0})
    product = y.parents[0]
    assert product.parents[0] is product.parents[1]
    y.backward()
    assert product.parents[0].grad == 8.0


def test_every_operator_and_function_matches_python_maths():
    text = "exp(a) - log(b) / sqrt(b) + a**2 * -sin(a) + cos(b) + abs(-a) + relu(a) + softplus(a)"
    y = parse_expression(text + " + sigmoid(a) + 2**a", {"a": 0.5, "b": 3.0})
    a, b = 0.5, 3.0
    expected = (
        math.exp(a) - math.log(b) / math.sqrt(b) + a**2 * -math.sin(a) + math.cos(b) + abs(-a)
        + max(a, 0) + math.log1p(math.exp(a)) + 1 / (1 + math.exp(-a)) + 2**a
    )  # fmt: skip
    assert y.data == pytest.approx(expected, rel=1e-15)


def test_variables_are_listed_in_order_without_functions():
    assert variables("tanh(x*w + b) + x") == ["x", "w", "b"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('__import__("os").system("true")', "unknown function"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.real", "Attribute is not allowed"),
        ("x[0]", "Subscript is not allowed"),
        ("(lambda: 1)()", "unknown function"),
        ("x if x else x", "IfExp is not allowed"),
        ("x < 1", "Compare is not allowed"),
        ("'text'", "only numbers are allowed"),
        ("True + x", "only numbers are allowed"),
        ("tanh(x, x)", "tanh takes exactly one argument"),
        ("tanh", "tanh is a function"),
        ("x +", "is not valid"),
        ("", "expression is empty"),
        ("x" + "+x" * 300, "at most 500"),
        ("y", "no value given for variable 'y'"),
    ],
)
def test_anything_but_a_formula_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_expression(text, {"x": 1.0})


def test_a_value_for_an_unused_variable_is_refused():
    with pytest.raises(ValueError, match="variable 'z' has a value but is not used"):
        parse_expression("x", {"x": 1.0, "z": 2.0})


def test_the_command_writes_the_page(tmp_path, capsys, dot):
    out = tmp_path / "steps.html"
    code = main(["steps", "tanh(x*w + b)", "--x", "2", "--w", "-0.5", "--b", "0.5", "--out",
                 str(out)])  # fmt: skip
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "dy/dw += dy/dn1 · ∂n1/∂w = 0.7864 · 2.0 = 1.573" in text
    assert str(out) in capsys.readouterr().out


def test_values_may_be_given_as_name_equals_value(tmp_path, dot):
    out = tmp_path / "s.html"
    assert main(["steps", "x**2", "--x=-3", "--out", str(out)]) == 0
    assert "y = x^2 = (-3.0)^2 = 9.0" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["x*y", "--x", "1"], "no value for variable 'y': pass --y VALUE"),
        (["x", "--x", "abc"], "--x must be a number, got 'abc'"),
        (["x", "--x"], "--x needs a value"),
        (["x", "--x", "1", "stray"], "expected --name value for a variable, got 'stray'"),
        (["log(x)", "--x", "-1"], "log: input must be > 0, got -1.0"),
        (["x / 0", "--x", "1"], "division by zero"),
        (["open('f')", "--x", "1"], "unknown function 'open'"),
        (["x", "--x", "1", "--out", "s.png"], "--out must end in .html, .gif or .mp4"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(arguments, message, capsys, tmp_path):
    assert main(["steps", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("backprop-lab steps: error: ") and message in err
    assert err.count("\n") == 1


def test_python_dash_m_nn_runs_the_same_command(tmp_path, dot):
    out = tmp_path / "steps.html"
    done = subprocess.run(
        [sys.executable, "-m", "nn", "steps", "relu(a*b)", "--a", "2", "--b", "3", "--out",
         str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.is_file()
