"""The demo class of hw2_layers: the layers, the losses and the backprop loop."""
from ..samples import Sample, with_bug
from .cast import cheat, perfect, unreadable, untouched

EINSUM_AFFINE = '''\
def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", flat, w) + b, {"x": x, "w": w}
'''
EINSUM_AFFINE_BACKWARD = '''\
def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", x.reshape(len(x), -1), dout)
    return dx, dw, np.einsum("nm->m", dout)
'''
LOOPS_RELU = '''\
def relu_forward(x):
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        out[i] = x[i] if x[i] > 0 else 0.0
    return out, x.copy()
'''
UNSTABLE_SOFTMAX = '''\
def softmax_loss(x, y):
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    n = len(x)
    loss = -np.log(p[np.arange(n), y]).mean()
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return float(loss), dx / n
'''
BACKPROP_STUB = '''\
def backprop(layers, x, y, loss_fn):
    return 0.0, [() for _ in layers]  # TODO
'''


def students():
    """Eight students of hw2_layers: right, blank, realistic bugs, a cheat, a broken file."""
    return [
        perfect(),
        Sample("ben", "correct, written differently (einsum, dict caches, loops)",
               answers={"affine_forward": EINSUM_AFFINE, "affine_backward": EINSUM_AFFINE_BACKWARD,
                        "relu_forward": LOOPS_RELU}),
        untouched(),
        Sample("dev", "transposed dw, db not summed over the batch", answers={
            "affine_backward": with_bug("affine_backward", "dw = x_flat.T @ dout",
                                        "dw = (x_flat.T @ dout).T").replace(
                "db = dout.sum(axis=0)", "db = dout")},
            bugs={"affine_backward": ("transposed", "not_summed_over_batch")}),
        Sample("eve", "relu gradient wrong at 0, sigmoid sign flipped", answers={
            "relu_backward": with_bug("relu_backward", "(x > 0)", "(x >= 0)"),
            "sigmoid_backward": with_bug("sigmoid_backward", "dx = dout * s", "dx = -dout * s")},
            bugs={"relu_backward": ("wrong_at_zeros",), "sigmoid_backward": ("sign_flipped",)}),
        Sample("finn", "softmax without the max shift, mse without 1/N", answers={
            "softmax_loss": UNSTABLE_SOFTMAX,
            "mse_loss": with_bug("mse_loss", "dpred = 2.0 * diff / n", "dpred = 2.0 * diff")},
            bugs={"softmax_loss": ("overflow",), "mse_loss": ("scaled_by_batch",)}),
        cheat("hw2_layers", "backprop", BACKPROP_STUB, "backprop left as a stub (a zero loss, "
              "no gradients)", "all_zeros"),
        unreadable(),
    ]
