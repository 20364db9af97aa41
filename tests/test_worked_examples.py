"""Classic backprop homework with known numbers: the engine must reproduce them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value


def matvec(x, W, b):
    """out_j = sum_i W[i][j] x_i + b_j  (W is n_in x n_out)."""
    return [sum((W[i][j] * x[i] for i in range(len(x))), b[j]) for j in range(len(b))]


def test_two_three_two_sigmoid_softmax_network():
    x = [Value(1.0), Value(-1.0)]
    W = [[Value(w) for w in row] for row in [[1, 1, 1], [-1, -1, -1]]]
    b = [Value(0.0) for _ in range(3)]
    V = [[Value(v) for v in row] for row in [[1, 1], [-1, -1], [-1, -1]]]
    c = [Value(0.0) for _ in range(2)]

    k = matvec(x, W, b)
    h = [kj.sigmoid() for kj in k]
    o = matvec(h, V, c)
    exps = [oj.exp() for oj in o]
    total = sum(exps)
    y = [e / total for e in exps]
    loss = -y[0].log()
    loss.backward()

    close = lambda actual, expected: np.testing.assert_allclose(actual, expected, atol=1e-7)
    close([v.data for v in k], [2, 2, 2])
    close([v.data for v in h], [0.8807970] * 3)
    close([v.data for v in o], [-0.8807970, -0.8807970])
    close([v.data for v in y], [0.5, 0.5])
    close(loss.data, math.log(2))  # the published 0.693147 is ln 2 rounded to six places
    assert round(loss.data, 6) == 0.693147
    for row in V:
        close([v.grad for v in row], [-0.4403985, 0.4403985])
    close([v.grad for v in c], [-0.5, 0.5])
    close([[w.grad for w in row] for row in W], np.zeros((2, 3)))
    close([v.grad for v in b], [0, 0, 0])


@pytest.mark.parametrize("seed", range(5))
def test_two_layer_tanh_network_matches_closed_form_gradients(seed):
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = rng.integers(1, 6, size=3)
    X = rng.normal(size=n_in)
    W1, b1 = rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden)
    W2, b2 = rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out)
    target = rng.normal(size=n_out)

    # Closed forms: Y2 = tanh(W2 tanh(W1 X + b1) + b2), E = 1/2 |Y2 - target|^2, E' = Y2 - target.
    Y1 = np.tanh(W1 @ X + b1)
    Y2 = np.tanh(W2 @ Y1 + b2)
    delta2 = (Y2 - target) * (1 - Y2**2)
    dW2, db2 = np.outer(delta2, Y1), delta2
    dW1 = np.outer((W2.T @ delta2) * (1 - Y1**2), X)

    vx = [Value(v) for v in X]
    vW1 = [[Value(w) for w in row] for row in W1]
    vb1 = [Value(v) for v in b1]
    vW2 = [[Value(w) for w in row] for row in W2]
    vb2 = [Value(v) for v in b2]
    y1 = [sum((w * xi for w, xi in zip(row, vx)), bj).tanh() for row, bj in zip(vW1, vb1)]
    y2 = [sum((w * yi for w, yi in zip(row, y1)), bj).tanh() for row, bj in zip(vW2, vb2)]
    error = sum((yj - tj) ** 2 for yj, tj in zip(y2, target)) * 0.5
    error.backward()

    grads = lambda rows: np.array([[v.grad for v in row] for row in rows])
    np.testing.assert_allclose([v.data for v in y2], Y2, rtol=1e-12)
    np.testing.assert_allclose(grads(vW2), dW2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([v.grad for v in vb2], db2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads(vW1), dW1, rtol=1e-9, atol=1e-12)
