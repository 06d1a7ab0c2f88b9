"""The reference solution library: every graded function of ../shared/CONTRACT.md.

Instructor only: it never ships to students. Each graded body sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` so the notebook build can strip it.
"""
from .activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    prelu_backward,
    prelu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .backprop import backprop
from .contract import ASSIGNMENTS, CONTRACT_BY_ASSIGNMENT, CONTRACT_NAMES, GRADED_NAMES
from .conv import conv_backward, conv_forward, max_pool_backward, max_pool_forward
from .engine import backward_pass, topological_order
from .graphs import (
    Add,
    Divide,
    Exp,
    Log,
    Multiply,
    Operation,
    Sin,
    example_forward_backward,
    numerical_gradient,
)
from .initialization import init_weights
from .layers import affine_backward, affine_forward
from .losses import bce_loss, mse_loss, softmax_loss
from .optim import adam_step, sgd_momentum_step, sgd_step, train_epoch
from .regularization import dropout_backward, dropout_forward, l2_penalty

# Every graded name of the contract (tests/solutions/test_contract.py keeps the list whole),
# Operation, and the contract's tables.
__all__ = [
    "Add", "Multiply", "Divide", "Exp", "Log", "Sin", "Operation",
    "example_forward_backward", "topological_order", "backward_pass", "numerical_gradient",
    "affine_forward", "affine_backward", "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward", "prelu_forward", "prelu_backward",
    "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
    "softmax_forward", "softmax_backward", "softmax_loss", "mse_loss", "bce_loss", "backprop",
    "conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
    "dropout_forward", "dropout_backward", "l2_penalty", "sgd_step", "sgd_momentum_step",
    "adam_step", "train_epoch", "init_weights",
    "ASSIGNMENTS", "CONTRACT_BY_ASSIGNMENT", "CONTRACT_NAMES", "GRADED_NAMES",
]
