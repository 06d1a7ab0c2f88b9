"""Every graded name of ../shared/CONTRACT.md is importable from ``solutions`` with its
contract signature (names, order and defaults of the arguments)."""
import inspect
import re
from pathlib import Path

import pytest

import solutions

SIGNATURES = {
    "numerical_gradient": "(f, x, h=1e-05)",
    "example_forward_backward": "(x, z)",
    "affine_forward": "(x, w, b)",
    "affine_backward": "(dout, cache)",
    "relu_forward": "(x)",
    "relu_backward": "(dout, cache)",
    "leaky_relu_forward": "(x, alpha=0.01)",
    "leaky_relu_backward": "(dout, cache)",
    "prelu_forward": "(x, alpha)",
    "prelu_backward": "(dout, cache)",
    "sigmoid_forward": "(x)",
    "sigmoid_backward": "(dout, cache)",
    "tanh_forward": "(x)",
    "tanh_backward": "(dout, cache)",
    "softmax_loss": "(x, y)",
    "mse_loss": "(pred, target)",
    "bce_loss": "(prob, target)",
    "backprop": "(layers, x, y, loss_fn)",
    "conv_forward": "(x, w, b, stride=1, pad=0)",
    "conv_backward": "(dout, cache)",
    "max_pool_forward": "(x, pool_height=2, pool_width=2, stride=2)",
    "max_pool_backward": "(dout, cache)",
    "dropout_forward": "(x, p, train, rng)",
    "dropout_backward": "(dout, cache)",
    "l2_penalty": "(params, reg)",
    "sgd_step": "(params, grads, lr)",
    "sgd_momentum_step": "(params, grads, velocities, lr, momentum=0.9)",
    "adam_step": "(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-08)",
    "init_weights": "(fan_in, fan_out, scheme, rng)",
    "topological_order": "(parents)",
    "backward_pass": "(nodes, output)",
    "softmax_forward": "(x)",
    "softmax_backward": "(dout, cache)",
    "train_epoch": "(params, x, y, grad_fn, lr, batch_size, rng)",
}
OPERATIONS = ["Add", "Multiply", "Divide", "Exp", "Log", "Sin"]
CONTRACT_MD = Path(__file__).resolve().parents[3] / "shared" / "CONTRACT.md"


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_function_has_contract_signature(name):
    assert str(inspect.signature(getattr(solutions, name))) == SIGNATURES[name]


@pytest.mark.parametrize("name", OPERATIONS)
def test_operations_subclass_operation(name):
    cls = getattr(solutions, name)
    assert issubclass(cls, solutions.Operation)
    assert "forward" in vars(cls) and "backward" in vars(cls)


def test_every_graded_name_is_listed_once_by_assignment():
    assert sorted(solutions.CONTRACT_NAMES) == sorted([*SIGNATURES, *OPERATIONS])
    assert len(set(solutions.CONTRACT_NAMES)) == len(solutions.CONTRACT_NAMES)
    assert list(solutions.ASSIGNMENTS) == ["hw1_graphs", "hw2_layers", "hw3_cnn", "hw4_training"]


def test_the_library_exports_every_graded_name():
    assert set(solutions.CONTRACT_NAMES) | {"Operation"} <= set(solutions.__all__)
    assert all(hasattr(solutions, name) for name in solutions.__all__)


@pytest.mark.skipif(not CONTRACT_MD.exists(), reason="../shared/CONTRACT.md not beside the checkout")
def test_table_names_match_the_contract_document():
    first_columns = [line.split("|")[1] for line in CONTRACT_MD.read_text().splitlines()
                     if line.startswith("| `")]
    names = {name for column in first_columns for name in re.findall(r"`(\w+)`", column)}
    assert names - {"Operation"} == set(solutions.CONTRACT_NAMES)
