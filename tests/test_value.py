"""Value: construction, every primitive's value and derivatives (vs finite differences and PyTorch),
errors, comparisons, identity semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from catalogue import BINARY, UNARY, central_difference, isclose, pairs, points, value_fn

from autograd import DomainError, Value, detect_anomaly, sum_values


def grads_of(op, args, create_graph=False):
    vals = [Value(a) for a in args]
    out = op.fn(*vals)
    out.backward(create_graph=create_graph)
    return out, vals


def second_derivatives(op, args, index):
    """d2 out / d x_index d x_j for every j, by differentiating the create_graph gradient."""
    vals = [Value(a) for a in args]
    op.fn(*vals).backward(create_graph=True)
    first = vals[index].grad
    for v in vals:
        v.grad = 0.0
    if isinstance(first, Value):
        first.backward()
    return [v.grad for v in vals]


# ------------------------------------------------------------------ construction


@pytest.mark.parametrize(
    "data, expected",
    [
        (3, 3.0),
        (2.5, 2.5),
        (True, 1.0),
        (np.float32(0.5), 0.5),
        (np.int64(-4), -4.0),
        (np.float64(1e-3), 1e-3),
        (np.bool_(True), 1.0),
    ],
)
def test_value_accepts_real_numbers_as_python_float(data, expected):
    v = Value(data)
    assert v.data == expected and type(v.data) is float
    assert v.grad == 0.0 and v.op == "" and v.parents == () and v.label == ""


@pytest.mark.parametrize(
    "bad, name",
    [
        ("1.0", "str"),
        (None, "NoneType"),
        ([1.0], "list"),
        (1j, "complex"),
        (np.array(1.0), "ndarray"),
        (np.array([1.0, 2.0]), "ndarray"),
    ],
)
def test_value_rejects_non_real_data_naming_the_type(bad, name):
    with pytest.raises(TypeError, match=f"got {name}"):
        Value(bad)


def test_value_of_a_value_suggests_detach():
    with pytest.raises(TypeError, match="detach"):
        Value(Value(1.0))


def test_label_must_be_a_string():
    assert Value(1.0, "w0").label == "w0"
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, 3)


def test_parents_are_in_argument_order_and_keep_repeats():
    a, b = Value(1.0), Value(2.0)
    assert (a * b).parents == (a, b)
    assert (b * a).parents == (b, a)
    assert (a + a).parents == (a, a)
    assert (a * b).op == "*" and (a + b).op == "+" and a.exp().op == "exp"


def test_reflected_ops_put_the_number_first():
    a = Value(2.0)
    c = 5 - a
    assert c.data == 3.0
    assert (3 * a).parents[0].data == 3.0 and (3 * a).parents[1] is a


def test_numpy_scalars_on_the_left_give_values():
    a = Value(2.0)
    for result in (np.float64(3) * a, np.float64(3) + a, np.float32(3) - a, np.int64(4) / a):
        assert isinstance(result, Value)
    assert (np.float64(3) * a).data == 6.0


def test_repr_shows_data_grad_label_and_op():
    a = Value(2.0, "a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(a * a) == "Value(data=4.0, grad=0.0, op='*')"
    assert f"{a:.3f}" == "2.000" and float(a) == 2.0


# ------------------------------------------------------------------ values and derivatives


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_value_and_first_derivative_match_finite_differences(op):
    for x in points(op):
        _, (v,) = grads_of(op, (x,))
        if x in op.kinks:
            continue
        numeric = central_difference(value_fn(op, 0, (x,)), x)
        assert isclose(v.grad, numeric, rel=1e-6, abs_=1e-7), (op.name, x, v.grad, numeric)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_first_derivatives_match_finite_differences(op):
    for args in pairs(op):
        _, vals = grads_of(op, args)
        for i in range(2):
            numeric = central_difference(value_fn(op, i, args), args[i])
            assert isclose(vals[i].grad, numeric, rel=1e-6, abs_=1e-7), (op.name, args, i)


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_value_and_derivatives_match_torch(op, torch):
    for x in points(op):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        t_out = op.on_torch(t)
        (t_d1,) = torch.autograd.grad(t_out, t, create_graph=True)
        t_d2 = torch.autograd.grad(t_d1, t)[0].item() if t_d1.requires_grad else 0.0
        out, (v,) = grads_of(op, (x,))
        assert isclose(out.data, t_out.item()), (op.name, x, out.data, t_out.item())
        assert isclose(v.grad, t_d1.item()), (op.name, x, v.grad, t_d1.item())
        (d2,) = second_derivatives(op, (x,), 0)
        assert isclose(d2, t_d2, rel=1e-8), (op.name, x, d2, t_d2)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_derivatives_match_torch(op, torch):
    for args in pairs(op):
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
        t_out = op.on_torch(*ts)
        t_grads = torch.autograd.grad(t_out, ts, create_graph=True)
        out, vals = grads_of(op, args)
        assert isclose(out.data, t_out.item())
        for i in range(2):
            assert isclose(vals[i].grad, t_grads[i].item()), (op.name, args, i)
            t_second = (
                torch.autograd.grad(t_grads[i], ts, allow_unused=True)
                if t_grads[i].requires_grad
                else (None, None)
            )
            ours = second_derivatives(op, args, i)
            for j in range(2):
                expected = 0.0 if t_second[j] is None else t_second[j].item()
                assert isclose(ours[j], expected, rel=1e-8), (op.name, args, i, j)


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_unary_second_derivative_matches_finite_differences(op):
    def first(x):
        _, (v,) = grads_of(op, (x,))
        return v.grad

    for x in points(op):
        if any(abs(x - k) < 1e-3 for k in op.kinks):
            continue
        (d2,) = second_derivatives(op, (x,), 0)
        numeric = central_difference(first, x, eps=1e-5)
        assert isclose(d2, numeric, rel=1e-5, abs_=1e-6), (op.name, x, d2, numeric)


def test_relu_and_abs_have_zero_derivative_at_zero_like_torch():
    for method in ("relu", "abs"):
        x = Value(0.0)
        getattr(x, method)().backward()
        assert x.grad == 0.0


def test_relu_propagates_nan_like_torch():
    assert math.isnan(Value(math.nan).relu().data)


def test_power_with_value_exponent_differentiates_both():
    a, b = Value(1.5), Value(2.5)
    c = a**b
    c.backward()
    assert isclose(a.grad, 2.5 * 1.5**1.5)
    assert isclose(b.grad, 1.5**2.5 * math.log(1.5))


def test_power_of_zero_base_with_value_exponent_has_zero_exponent_derivative():
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert a.grad == 0.0 and b.grad == 0.0


@pytest.mark.parametrize("x", [-1000.0, -40.0, 0.0, 40.0, 1000.0])
def test_sigmoid_tanh_softplus_are_stable_at_extremes(x):
    for method in ("sigmoid", "tanh", "softplus"):
        v = Value(x)
        out = getattr(v, method)()
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(v.grad), (method, x)
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    assert Value(-1000.0).tanh().data == -1.0 and Value(1000.0).softplus().data == 1000.0


# ------------------------------------------------------------------ errors at the op at fault


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value(-2.0).log(), DomainError, r"log: input must be > 0, got -2.0"),
        (lambda: Value(0.0).log(), DomainError, r"log: input must be > 0, got 0.0"),
        (lambda: Value(-1.0).sqrt(), DomainError, r"sqrt: input must be >= 0, got -1.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero \(1.0 / 0.0\)"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"/: division by zero"),
        (lambda: 2 / Value(0.0), ZeroDivisionError, r"/: division by zero \(2.0 / 0.0\)"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"0.0 cannot be raised to a negative"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"negative power \(-2.0\)"),
        (lambda: Value(-2.0) ** 0.5, DomainError, r"negative base -2.0 to the non-integer"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp: overflow, exp\(1000.0\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"\*\*: overflow, 10.0 \*\* 400.0"),
        (lambda: Value(1.0) + "a", TypeError, r"\+: expected a Value or a real number, got str"),
        (lambda: [1.0] * Value(1.0), TypeError, r"\*: expected a Value or a real number, got"),
        (lambda: Value(1.0) < "a", TypeError, r"<: expected a Value or a real number, got str"),
    ],
)
def test_domain_errors_are_raised_in_the_forward_pass_naming_op_and_value(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_negative_base_to_an_integer_power_is_fine():
    x = Value(-2.0)
    (x**3).backward()
    assert x.grad == 12.0


# ------------------------------------------------------------------ comparisons and identity


def test_comparisons_compare_data_and_return_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= 1) is True and (b > 1.5) is True and (a >= b) is False
    assert (a < 3) is True  # reflected: a < 3


def test_equality_and_hash_are_identity_based():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b
    assert len({a, b}) == 2
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"


# ------------------------------------------------------------------ anomaly mode


def test_detect_anomaly_names_the_op_producing_nan():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\*: produced nan from inputs"):
        Value(math.inf) * 0.0


def test_detect_anomaly_names_an_infinite_local_derivative():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\*\*0.5: local derivatives"):
        Value(0.0).sqrt()


def test_without_anomaly_mode_nan_passes_silently():
    assert math.isnan((Value(math.inf) * 0.0).data)
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


# ------------------------------------------------------------------ the n-ary sum


def test_sum_values_is_one_node_with_unit_derivatives(torch):
    xs = [0.5, -1.25, 2.0, 3.5]
    vs = [Value(x) for x in xs]
    s = sum_values([*vs, 1.0])
    assert s.op == "sum" and len(s.parents) == 5 and s.parents[:4] == tuple(vs)
    (s * s).backward()
    ts = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    ((ts.sum() + 1.0) ** 2).backward()
    assert s.data == sum(xs) + 1.0
    assert [v.grad for v in vs] == ts.grad.tolist()


def test_sum_values_second_derivatives_through_create_graph():
    a, b = Value(1.5), Value(-0.5)
    y = sum_values([a * a, a * b, b])  # dy/da = 2a + b, d2y/da2 = 2, d2y/dadb = 1
    y.backward(create_graph=True)
    g = a.grad
    a.grad = b.grad = 0.0
    g.backward()
    assert (g.data, a.grad, b.grad) == (2.5, 2.0, 1.0)


def test_sum_values_of_one_value_is_that_value_and_of_none_an_error():
    a = Value(2.0)
    assert sum_values([a]) is a
    with pytest.raises(ValueError, match="sum_values: needs at least one value"):
        sum_values([])
