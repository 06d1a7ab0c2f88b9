"""Networks built from the reference layers, as lists of ``(forward, backward, params)``
that ``backprop`` takes. Used by the demo, the learning tests and the benchmarks."""
from functools import partial

import numpy as np

from .activations import relu_backward, relu_forward
from .fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from .initialization import init_weights
from .layers import affine_backward, affine_forward


def affine_layer(fan_in, fan_out, rng, scheme="he"):
    """An affine layer with (fan_in, fan_out) weights drawn by ``scheme`` and zero biases."""
    return (affine_forward, affine_backward,
            (init_weights(fan_in, fan_out, scheme, rng), np.zeros(fan_out)))


RELU = (relu_forward, relu_backward, ())


def two_layer_net(input_dim, hidden_dim, num_classes, seed=0):
    """affine - relu - affine, for inputs (N, input_dim) and scores (N, num_classes)."""
    rng = np.random.default_rng(seed)
    return [affine_layer(input_dim, hidden_dim, rng), RELU,
            affine_layer(hidden_dim, num_classes, rng, scheme="xavier")]


def small_cnn(in_channels, size, num_filters, num_classes, seed=0):
    """conv 3x3 (pad 1) - relu - max pool 2x2 - affine, on images (N, C, size, size),
    using the fast conv and pool of ``fast_layers`` (released with hw4)."""
    rng = np.random.default_rng(seed)
    fan_in = in_channels * 9
    w = rng.standard_normal((num_filters, in_channels, 3, 3)) * np.sqrt(2.0 / fan_in)
    conv = (partial(conv_forward_fast, stride=1, pad=1), conv_backward_fast,
            (w, np.zeros(num_filters)))
    pool = (max_pool_forward_fast, max_pool_backward_fast, ())
    flat = num_filters * (size // 2) ** 2
    return [conv, RELU, pool, affine_layer(flat, num_classes, rng, scheme="xavier")]
