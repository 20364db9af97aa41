"""to_torch: a trained model moves to PyTorch and computes the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

from nn import MLP, make_moons, predict
from nn.export import to_torch


@pytest.mark.parametrize(
    "nouts, activation, output_activation",
    [([16, 16, 1], "relu", "linear"), ([5, 3], "tanh", "linear"), ([4, 1], "sigmoid", "sigmoid")],
)
def test_mlp_outputs_match_after_to_torch(torch, nouts, activation, output_activation):
    model = MLP(2, nouts, activation=activation, output_activation=output_activation, seed=4)
    X, _ = make_moons(25, seed=0)
    ours = predict(model, X).reshape(len(X), -1)
    theirs = to_torch(model)(torch.as_tensor(X)).detach().numpy()
    assert theirs.dtype == np.float64
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-12)


def test_to_torch_refuses_what_it_cannot_convert(torch):
    with pytest.raises(TypeError, match="takes an MLP or a Sequential, got a int"):
        to_torch(3)
