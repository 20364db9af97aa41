"""nn.optim and nn.schedules: every update rule against torch.optim for several steps, numpy-array
parameters, zero_grad, state_dict round trips through JSON, all-or-nothing loading, and the exact
learning-rate sequences of the schedules."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.optim import SGD, Adam, Optimizer
from nn.schedules import LinearDecay, Schedule, StepDecay

START = [0.7, -1.3, 0.4, 2.1]
CENTRES = [1.0, 0.5, -0.5, 0.0]


def objective(w):
    """A quadratic bowl plus tanh couplings; `w` holds Values or 0-d torch tensors alike."""
    total = (w[0] - CENTRES[0]) ** 2
    for i in range(1, len(w)):
        total = total + (i + 1) * (w[i] - CENTRES[i]) ** 2
    return total + (w[0] * w[1]).tanh() + 0.5 * (w[2] - w[3]).tanh()


CONFIGS = {
    "sgd": (SGD, dict(lr=0.05)),
    "sgd-momentum": (SGD, dict(lr=0.05, momentum=0.9)),
    "sgd-nesterov": (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd-weight-decay": (SGD, dict(lr=0.05, weight_decay=0.1)),
    "sgd-momentum-weight-decay": (SGD, dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    "adam": (Adam, dict(lr=0.1)),
    "adam-weight-decay": (Adam, dict(lr=0.1, weight_decay=0.1)),
    "adam-betas-eps": (Adam, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
}


def torch_optimizer(torch, cls, params, options):
    return getattr(torch.optim, cls.__name__)(params, **options)


def our_step(opt, params):
    opt.zero_grad()
    objective(params).backward()
    opt.step()


@pytest.mark.parametrize("name", CONFIGS)
def test_optimizer_matches_torch_step_by_step(torch, name):
    cls, options = CONFIGS[name]
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = cls(ours, **options)
    their_opt = torch_optimizer(torch, cls, theirs, options)
    for step in range(8):
        our_step(opt, ours)
        their_opt.zero_grad()
        objective(theirs).backward()
        their_opt.step()
        actual, expected = [p.data for p in ours], [p.item() for p in theirs]
        assert actual == pytest.approx(expected, rel=1e-12, abs=1e-12), f"step {step + 1}"
    assert actual != pytest.approx(START)  # the parameters did move


def test_sgd_without_momentum_is_plain_gradient_descent():
    w = Value(3.0)
    opt = SGD([w], lr=0.25)
    (w * w).backward()  # grad 6
    opt.step()
    assert w.data == 3.0 - 0.25 * 6.0 and opt.state == [{}]


def test_a_create_graph_gradient_is_used_by_its_value():
    w = Value(3.0)
    opt = SGD([w], lr=0.25)
    (w * w).backward(create_graph=True)
    assert isinstance(w.grad, Value)
    opt.step()
    assert w.data == 1.5 and type(w.data) is float


def test_schedules_change_the_lr_the_next_step_uses():
    w = Value(1.0)
    opt = SGD([w], lr=1.0)
    opt.lr = 0.5
    w.grad = 2.0
    opt.step()
    assert w.data == 0.0


# ------------------------------------------------------------------ numpy-array parameters


class ArrayParam:
    """A stand-in for a numpy-backed Tensor: `.data` and `.grad` are arrays (grad may be None)."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None


@pytest.mark.parametrize("name", CONFIGS)
def test_array_parameters_get_the_same_numbers_as_scalars(name):
    cls, options = CONFIGS[name]
    scalars = [Value(x) for x in START]
    matrix = ArrayParam(np.reshape(START, (2, 2)))
    opt, array_opt = cls(scalars, **options), cls([matrix], **options)
    for _ in range(6):
        our_step(opt, scalars)
        matrix.grad = np.reshape([p.grad for p in scalars], (2, 2))
        array_opt.step()
        np.testing.assert_allclose(
            matrix.data.ravel(), [p.data for p in scalars], rtol=1e-15, atol=0
        )
    assert matrix.data.shape == (2, 2) and matrix.data.dtype == np.float64


def test_array_parameter_without_a_gradient_is_skipped():
    a, b = ArrayParam([1.0, 2.0]), ArrayParam([3.0])
    opt = Adam([a, b], lr=0.1)
    a.grad = np.array([1.0, -1.0])
    opt.step()
    assert b.data.tolist() == [3.0] and opt.state[1] == {}
    assert opt.state[0]["step"] == 1 and a.data.tolist() != [1.0, 2.0]


def test_momentum_buffer_is_not_the_gradient_array_itself():
    p = ArrayParam([1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    p.grad += 100.0  # mutating the gradient in place must not touch the optimizer's state
    assert opt.state[0]["momentum_buffer"].tolist() == [1.0, 1.0]


def test_zero_grad_resets_floats_to_zero_and_arrays_to_none():
    v, a = Value(1.0), ArrayParam([1.0])
    v.grad, a.grad = 3.0, np.array([2.0])
    opt = SGD([v, a], lr=0.1)
    opt.zero_grad()
    assert v.grad == 0.0 and a.grad is None


# ------------------------------------------------------------------ state_dict


def make(name, params):
    cls, options = CONFIGS[name]
    return cls(params, **options)


@pytest.mark.parametrize("name", CONFIGS)
def test_state_dict_round_trip_through_json_continues_identically(name):
    straight = [Value(x) for x in START]
    opt = make(name, straight)
    for _ in range(6):
        our_step(opt, straight)

    first = [Value(x) for x in START]
    opt = make(name, first)
    for _ in range(3):
        our_step(opt, first)
    text = json.dumps(opt.state_dict())

    resumed = [Value(p.data) for p in first]
    opt = make(name, resumed)
    opt.load_state_dict(json.loads(text))
    for _ in range(3):
        our_step(opt, resumed)
    assert [p.data for p in resumed] == [p.data for p in straight]


@pytest.mark.parametrize("name", ["sgd-momentum", "adam"])
def test_state_dict_of_array_parameters_round_trips(name):
    def run(param, opt, steps, start=0):
        for k in range(start, start + steps):
            param.grad = np.cos(param.data * (k + 1))
            opt.step()

    straight = ArrayParam([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    run(straight, make(name, [straight]), 6)

    first = ArrayParam([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    opt = make(name, [first])
    run(first, opt, 3)
    state = json.loads(json.dumps(opt.state_dict()))
    resumed = ArrayParam(first.data)
    opt = make(name, [resumed])
    opt.load_state_dict(state)
    run(resumed, opt, 3, start=3)
    assert resumed.data.tolist() == straight.data.tolist()


def test_state_dict_is_plain_json_data_in_parameter_order():
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params, lr=0.1, betas=(0.8, 0.9))
    params[0].grad, params[1].grad = 1.0, 0.0
    opt.step()
    state = opt.state_dict()
    assert state == {
        "optimizer": "Adam",
        "hyperparameters": {"lr": 0.1, "betas": [0.8, 0.9], "eps": 1e-8, "weight_decay": 0.0},
        "state": [
            {"step": 1, "exp_avg": pytest.approx(0.2), "exp_avg_sq": pytest.approx(0.1)},
            {"step": 1, "exp_avg": 0.0, "exp_avg_sq": 0.0},
        ],
    }
    assert json.loads(json.dumps(state)) == state


def test_load_state_dict_restores_hyperparameters():
    opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
    other = SGD([Value(1.0)], lr=0.5, momentum=0.1, nesterov=True, weight_decay=0.2)
    opt.load_state_dict(other.state_dict())
    assert (opt.lr, opt.momentum, opt.nesterov, opt.weight_decay) == (0.5, 0.1, True, 0.2)


def trained_adam():
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params, lr=0.1)
    our_step(opt, [*params, Value(0.0), Value(0.0)])
    return opt


def corrupt(change):
    state = trained_adam().state_dict()
    change(state)
    return state


def _set(path, value):
    def change(state):
        target = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


LOAD_ERRORS = [
    ("not a dict", lambda: [1, 2], "the state must be a dict, got list"),
    ("wrong optimizer", lambda: SGD([Value(0.0)], lr=0.1).state_dict(), "is for 'SGD'"),
    ("missing key", lambda: corrupt(lambda s: s.pop("state")), "missing 'state'"),
    ("unexpected key", lambda: corrupt(_set(["extra"], 1)), "unexpected key 'extra'"),
    (
        "missing hyper-parameter",
        lambda: corrupt(lambda s: s["hyperparameters"].pop("eps")),
        "hyperparameters is missing 'eps'",
    ),
    (
        "unexpected hyper-parameter",
        lambda: corrupt(_set(["hyperparameters", "momentum"], 0.9)),
        "hyperparameters has an unexpected key 'momentum'",
    ),
    (
        "bad lr",
        lambda: corrupt(_set(["hyperparameters", "lr"], -1.0)),
        r"hyperparameters\.lr must be a finite number > 0, got -1\.0",
    ),
    (
        "bad betas",
        lambda: corrupt(_set(["hyperparameters", "betas"], [0.9])),
        r"betas must be two numbers in \[0, 1\)",
    ),
    (
        "too few parameters",
        lambda: corrupt(lambda s: s["state"].pop()),
        "state has 1 parameters, this optimizer has 2",
    ),
    ("state not a list", lambda: corrupt(_set(["state"], {})), "state must be a list, got dict"),
    (
        "parameter state not a dict",
        lambda: corrupt(_set(["state", 1], [])),
        r"state\.1 must be a dict, got list",
    ),
    (
        "missing buffer",
        lambda: corrupt(lambda s: s["state"][1].pop("exp_avg_sq")),
        r"state\.1 is missing 'exp_avg_sq'",
    ),
    (
        "buffer of the wrong shape",
        lambda: corrupt(_set(["state", 0, "exp_avg"], [0.1, 0.2])),
        r"state\.0\.exp_avg has shape \(2,\), the model expects \(\)",
    ),
    (
        "bad step count",
        lambda: corrupt(_set(["state", 1, "step"], 0)),
        r"state\.1\.step must be an int in \[1, 2\*\*53\], got 0",
    ),
]


@pytest.mark.parametrize(
    "bad, message", [e[1:] for e in LOAD_ERRORS], ids=[e[0] for e in LOAD_ERRORS]
)
def test_load_state_dict_rejects_a_mismatch_and_changes_nothing(bad, message):
    opt = trained_adam()
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(ValueError, match=f"Adam.load_state_dict: .*{message}"):
        opt.load_state_dict(bad())
    assert opt.state_dict() == before


def test_load_state_dict_checks_array_buffer_shapes():
    p = ArrayParam([[1.0, 2.0], [3.0, 4.0]])
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones((2, 2))
    opt.step()
    state = opt.state_dict()
    before = copy.deepcopy(state)
    state["state"][0]["momentum_buffer"] = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match=r"state\.0\.momentum_buffer has shape \(4,\)"):
        opt.load_state_dict(state)
    state["state"][0]["momentum_buffer"] = [[1.0, 2.0], [3.0]]
    with pytest.raises(
        ValueError, match=r"momentum_buffer is not a rectangular array of shape \(2, 2\)"
    ):
        opt.load_state_dict(state)
    assert opt.state_dict() == before


def test_a_failed_load_keeps_the_earlier_valid_parts_out():
    # The hyper-parameters are valid, the last parameter's buffer is not: nothing is applied.
    opt = trained_adam()
    state = opt.state_dict()
    state["hyperparameters"]["lr"] = 0.5
    state["state"][0]["exp_avg"] = 123.0
    state["state"][1]["exp_avg_sq"] = "x"
    with pytest.raises(ValueError, match=r"state\.1\.exp_avg_sq must be a number, got str"):
        opt.load_state_dict(state)
    assert opt.lr == 0.1 and opt.state[0]["exp_avg"] != 123.0


# ------------------------------------------------------------------ construction errors


class NoGrad:
    data = 1.0


W = Value(0.0)

CONSTRUCTION_ERRORS = [
    (lambda: SGD([], lr=0.1), ValueError, "SGD: the parameter list is empty"),
    (lambda: Adam(iter([])), ValueError, "Adam: the parameter list is empty"),
    (lambda: SGD([W], lr=0.0), ValueError, "SGD: lr must be a finite number > 0, got 0.0"),
    (lambda: Adam([W], lr=-1e-3), ValueError, "Adam: lr must be a finite number > 0, got -0.001"),
    (lambda: SGD([W], lr="0.1"), ValueError, "SGD: lr must be a finite number > 0, got '0.1'"),
    (
        lambda: SGD([W], lr=0.1, nesterov=True),
        ValueError,
        r"SGD: nesterov must be False without momentum \(nesterov=True needs momentum > 0\)",
    ),
    (lambda: SGD([W], lr=0.1, momentum=-0.5), ValueError, "SGD: momentum must be a finite"),
    (lambda: SGD([W], lr=0.1, weight_decay=-1), ValueError, "SGD: weight_decay must be"),
    (lambda: SGD([W], lr=0.1, nesterov=1), ValueError, "SGD: nesterov must be True or False"),
    (lambda: Adam([W], betas=(0.9, 1.0)), ValueError, r"Adam: betas must be two numbers in \[0"),
    (lambda: Adam([W], eps=-1.0), ValueError, "Adam: eps must be a finite number >= 0"),
    (lambda: SGD([W, NoGrad()], lr=0.1), TypeError, "SGD: parameter 1 must have .data and .grad"),
    (lambda: SGD([W, W], lr=0.1), ValueError, "SGD: parameter 1 appears more than once"),
]


@pytest.mark.parametrize(
    "call, error, message", CONSTRUCTION_ERRORS, ids=[e[2][:40] for e in CONSTRUCTION_ERRORS]
)
def test_construction_errors_are_clear(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_optimizers_share_the_base():
    assert issubclass(SGD, Optimizer) and issubclass(Adam, Optimizer)
    assert "SGD(1 parameters, lr=0.1" in repr(SGD([W], lr=0.1))


# ------------------------------------------------------------------ schedules


def test_linear_decay_reproduces_micrograds_schedule_exactly():
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = LinearDecay(opt, start_factor=1.0, end_factor=0.1, total_steps=100)
    used = []
    for _ in range(100):
        used.append(opt.lr)
        opt.step()
        schedule.step()
    assert used == [1.0 - 0.9 * k / 100 for k in range(100)]


def test_linear_decay_holds_its_end_value_after_total_steps():
    opt = SGD([Value(0.0)], lr=0.2)
    schedule = LinearDecay(opt, start_factor=0.5, end_factor=0.25, total_steps=4)
    rates = [opt.lr]
    for _ in range(6):
        schedule.step()
        rates.append(opt.lr)
    expected = [0.1, 0.0875, 0.075, 0.0625, 0.05, 0.05, 0.05]
    assert rates == pytest.approx(expected, rel=1e-15, abs=0)
    assert schedule.lr == opt.lr == 0.2 * 0.25


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (2, 0.9)])
def test_step_decay_matches_torch_step_lr(torch, step_size, gamma):
    opt = SGD([Value(0.0)], lr=0.3)
    schedule = StepDecay(opt, step_size=step_size, gamma=gamma)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    their_opt = torch.optim.SGD([p], lr=0.3)
    theirs = torch.optim.lr_scheduler.StepLR(their_opt, step_size=step_size, gamma=gamma)
    for k in range(10):
        assert opt.lr == pytest.approx(their_opt.param_groups[0]["lr"], rel=1e-14), f"step {k}"
        assert opt.lr == 0.3 * gamma ** (k // step_size)
        their_opt.step()
        theirs.step()
        schedule.step()


def test_schedule_state_dict_round_trip_through_json():
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = LinearDecay(opt, end_factor=0.1, total_steps=10)
    for _ in range(4):
        schedule.step()
    state = json.loads(json.dumps(schedule.state_dict()))
    assert state == {
        "schedule": "LinearDecay",
        "base_lr": 1.0,
        "steps": 4,
        "hyperparameters": {"start_factor": 1.0, "end_factor": 0.1, "total_steps": 10},
    }
    fresh_opt = SGD([Value(0.0)], lr=1.0)
    fresh = LinearDecay(fresh_opt, end_factor=0.5, total_steps=3)
    fresh.load_state_dict(state)
    assert fresh_opt.lr == opt.lr and fresh.steps == 4 and fresh.end_factor == 0.1
    schedule.step()
    fresh.step()
    assert fresh_opt.lr == opt.lr


SCHEDULE_LOAD_ERRORS = [
    ("not a dict", lambda s: "x", "the state must be a dict, got str"),
    ("wrong schedule", lambda s: {**s, "schedule": "LinearDecay"}, "is for 'LinearDecay'"),
    (
        "negative steps",
        lambda s: {**s, "steps": -1},
        r"steps must be an int in \[0, 2\*\*53\], got -1",
    ),
    ("bad base_lr", lambda s: {**s, "base_lr": "1"}, "base_lr must be a finite number"),
    (
        "missing hyper-parameter",
        lambda s: {**s, "hyperparameters": {"gamma": 0.1}},
        "hyperparameters is missing 'step_size'",
    ),
    (
        "bad step_size",
        lambda s: {**s, "hyperparameters": {"step_size": 0, "gamma": 0.1}},
        r"hyperparameters\.step_size must be an int in \[1, 2\*\*53\], got 0",
    ),
]


@pytest.mark.parametrize(
    "bad, message", [e[1:] for e in SCHEDULE_LOAD_ERRORS], ids=[e[0] for e in SCHEDULE_LOAD_ERRORS]
)
def test_schedule_load_state_dict_rejects_a_mismatch_and_changes_nothing(bad, message):
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = StepDecay(opt, step_size=2, gamma=0.5)
    schedule.step()
    schedule.step()
    before = (schedule.state_dict(), opt.lr)
    with pytest.raises(ValueError, match=f"StepDecay.load_state_dict: .*{message}"):
        schedule.load_state_dict(bad(schedule.state_dict()))
    assert (schedule.state_dict(), opt.lr) == before


SCHEDULE_ERRORS = [
    (lambda opt: StepDecay(opt, step_size=0), ValueError, "StepDecay: step_size must be an int"),
    (lambda opt: StepDecay(opt, 2, gamma=0.0), ValueError, "StepDecay: gamma must be a finite"),
    (lambda opt: LinearDecay(opt, total_steps=0), ValueError, "LinearDecay: total_steps must"),
    (
        lambda opt: LinearDecay(opt, -1.0, total_steps=5),
        ValueError,
        "LinearDecay: start_factor must be a finite number > 0, got -1.0",
    ),
    (lambda opt: StepDecay(object(), 1), TypeError, "StepDecay: expected an optimizer with an lr"),
]


@pytest.mark.parametrize(
    "call, error, message", SCHEDULE_ERRORS, ids=[e[2][:40] for e in SCHEDULE_ERRORS]
)
def test_schedule_construction_errors_are_clear(call, error, message):
    with pytest.raises(error, match=message):
        call(SGD([Value(0.0)], lr=1.0))


def test_linear_decay_needs_total_steps_by_name():
    with pytest.raises(TypeError, match="total_steps"):
        LinearDecay(SGD([Value(0.0)], lr=1.0), 1.0, 0.1)


def test_schedules_share_the_base():
    assert issubclass(StepDecay, Schedule) and issubclass(LinearDecay, Schedule)


# ------------------------------------------------------------------ issue 11 section 5


def test_zero_grad_decides_by_the_parameter_so_a_tensor_without_grad_keeps_none():
    # Issue 11: a Tensor whose grad was None got 0.0, and weight decay then moved it.
    used, unused = Tensor([1.0, 2.0]), Tensor([5.0])
    opt = SGD([used, unused], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        (used * used).sum().backward()
        opt.step()
    assert unused.grad is None
    assert unused.data.tolist() == [5.0] and opt.state[1] == {}
    assert used.data.tolist() != [1.0, 2.0]


def test_module_and_optimizer_zero_grad_are_one_rule():
    from nn import Module

    class Mixed(Module):
        def __init__(self):
            self.v, self.t, self.unused = Value(1.0), Tensor([1.0, 2.0]), Tensor([3.0])

    by_module, by_optimizer = Mixed(), Mixed()
    for m in (by_module, by_optimizer):
        m.v.grad, m.t.grad = 3.0, np.ones(2)  # m.unused.grad stays None
    by_module.zero_grad()
    SGD(by_optimizer.parameters(), lr=0.1).zero_grad()
    for m in (by_module, by_optimizer):
        assert m.v.grad == 0.0 and m.t.grad is None and m.unused.grad is None


@pytest.mark.parametrize(
    "lr",
    [0, 0.0, -1.0, float("nan"), float("inf"), 10**400, True],
    ids=["0", "0.0", "-1", "nan", "inf", "10**400", "True"],
)
def test_lr_is_checked_the_same_in_the_constructor_and_in_load_state_dict(lr):
    with pytest.raises(ValueError, match="SGD: lr must be a finite number > 0"):
        SGD([Value(0.0)], lr=lr)
    opt = SGD([Value(0.0)], lr=0.1)
    state = opt.state_dict()
    state["hyperparameters"]["lr"] = lr
    with pytest.raises(
        ValueError, match=r"SGD\.load_state_dict: hyperparameters\.lr must be a finite number > 0"
    ):
        opt.load_state_dict(state)
    assert opt.lr == 0.1


HUGE = 10**400


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda p: SGD(p, lr=HUGE), "lr"),
        (lambda p: SGD(p, lr=0.1, momentum=HUGE), "momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=HUGE), "weight_decay"),
        (lambda p: Adam(p, lr=HUGE), "lr"),
        (lambda p: Adam(p, betas=(HUGE, 0.9)), "betas"),
        (lambda p: Adam(p, betas=(0.9, -HUGE)), "betas"),
        (lambda p: Adam(p, eps=HUGE), "eps"),
        (lambda p: Adam(p, weight_decay=HUGE), "weight_decay"),
    ],
    ids=["sgd lr", "momentum", "sgd weight_decay", "adam lr", "beta1", "beta2", "eps", "adam wd"],
)
def test_huge_hyperparameters_name_the_argument_instead_of_overflowing(call, argument):
    with pytest.raises(ValueError) as info:
        call([Value(0.0)])
    assert not isinstance(info.value, OverflowError)
    message = str(info.value)
    assert f": {argument} must be" in message and "an integer of about 401 digits" in message


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("base_lr", HUGE, "base_lr must be a finite number > 0, got an integer of about 401"),
        ("base_lr", 0.0, "base_lr must be a finite number > 0, got 0.0"),
        ("steps", HUGE, r"steps must be an int in \[0, 2\*\*53\]"),
    ],
    ids=["huge base_lr", "zero base_lr", "huge steps"],
)
def test_schedule_state_with_huge_or_zero_numbers_is_refused(key, value, message):
    opt = SGD([Value(0.0)], lr=0.5)
    schedule = StepDecay(opt, step_size=2)
    state = {**schedule.state_dict(), key: value}
    with pytest.raises(ValueError, match=message):
        schedule.load_state_dict(state)
    assert opt.lr == 0.5 and schedule.steps == 0


def test_a_schedule_never_sets_a_rate_the_optimizer_would_refuse():
    with pytest.raises(ValueError, match="LinearDecay: end_factor must be a finite number > 0"):
        LinearDecay(SGD([Value(0.0)], lr=0.5), end_factor=0.0, total_steps=3)
    opt = SGD([Value(0.0)], lr=0.5)
    schedule = LinearDecay(opt, total_steps=3)
    for _ in range(5):
        schedule.step()
    fresh = SGD([Value(0.0)], lr=0.5)
    fresh.load_state_dict(opt.state_dict())  # the end-of-training state loads again
    assert fresh.lr == opt.lr == pytest.approx(0.05)


def test_autograd_zero_grad_follows_the_same_rule():
    from autograd import zero_grad

    v, t = Value(1.0), Tensor([1.0])
    v.grad, t.grad = 2.0, np.ones(1)
    zero_grad([v, t])
    assert v.grad == 0.0 and t.grad is None
