"""The graded names of ../shared/CONTRACT.md, by assignment, in notebook order."""

ASSIGNMENTS = {
    "hw1_graphs": [
        "Add", "Multiply", "Divide", "Exp", "Log", "Sin",
        "example_forward_backward", "topological_order", "backward_pass", "numerical_gradient",
    ],
    "hw2_layers": [
        "affine_forward", "affine_backward",
        "relu_forward", "relu_backward",
        "leaky_relu_forward", "leaky_relu_backward",
        "prelu_forward", "prelu_backward",
        "sigmoid_forward", "sigmoid_backward",
        "tanh_forward", "tanh_backward",
        "softmax_forward", "softmax_backward",
        "softmax_loss", "mse_loss", "bce_loss",
        "backprop",
    ],
    "hw3_cnn": ["conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward"],
    "hw4_training": [
        "dropout_forward", "dropout_backward", "l2_penalty",
        "sgd_step", "sgd_momentum_step", "adam_step", "train_epoch", "init_weights",
    ],
}

GRADED_NAMES = [name for names in ASSIGNMENTS.values() for name in names]

# Every name of ../shared/CONTRACT.md is graded (the ones its last lines add included).
CONTRACT_NAMES = GRADED_NAMES

CONTRACT_BY_ASSIGNMENT = ASSIGNMENTS
