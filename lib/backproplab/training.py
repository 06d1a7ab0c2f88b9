"""Training helpers: accuracy and a training loop around *your* functions.

Nothing here computes a gradient, and nothing here splits the data into mini-batches: ``fit``
takes the ``backprop`` you wrote and either an update rule, applied once per epoch to the
gradient of the whole training set (full-batch gradient descent, assignments 2 and 3), or
your own ``train_epoch`` (assignment 4), which draws the mini-batches itself. It only loops,
keeps the history and shows progress.

A network is a list of layers ``(forward, backward, params)`` exactly as ``backprop``
takes it (see the contract): ``forward(x, *params) -> (out, cache)``.
"""
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm


@dataclass
class History:
    """What ``fit`` records: the loss of every step and the accuracies of every epoch."""

    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)


def params_of(layers):
    """The flat list of every parameter array of ``layers``, in layer order."""
    return [p for _, _, params in layers for p in params]


def with_params(layers, flat_params):
    """A copy of ``layers`` whose parameters are taken, in order, from ``flat_params``."""
    it = iter(flat_params)
    return [(fwd, bwd, tuple(next(it) for _ in params)) for fwd, bwd, params in layers]


def scores(layers, X, batch_size=512):
    """Run ``X`` (N, ...) forward through every layer; returns the last layer's output."""
    outs = []
    for start in range(0, len(X), batch_size):
        out = X[start:start + batch_size]
        for forward, _, params in layers:
            out, _ = forward(out, *params)
        outs.append(out)
    return np.concatenate(outs)


def predictions(out):
    """Labels from a network's output: the highest score of (N, C) scores, or, for a single
    output per example ((N,) or (N, 1), a probability or a logit), whether it is above the
    midpoint (0.5 for values in [0, 1], 0 otherwise)."""
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return np.argmax(out, axis=1)
    out = out.reshape(len(out))
    midpoint = 0.5 if np.all((out >= 0) & (out <= 1)) else 0.0
    return (out > midpoint).astype(int)


def accuracy(layers, X, y):
    """Fraction of examples whose predicted label (see ``predictions``) is y (N,)."""
    return float(np.mean(predictions(scores(layers, X)) == np.asarray(y).reshape(-1)))


def gradient_function(layers, backprop, loss_fn):
    """``grad_fn(params, x, y) -> (loss, grads)`` of the network ``layers`` (its parameters
    replaced by the flat list ``params``), with your ``backprop``: ``grads`` is flat too, one
    array per param, the way ``train_epoch`` takes it."""
    def grad_fn(params, x, y):
        loss, grads = backprop(with_params(layers, params), x, y, loss_fn)
        return loss, [g for layer_grads in grads for g in layer_grads]
    return grad_fn


def fit(layers, X, y, *, backprop, loss_fn, lr, epochs, update=None, epoch=None,
        batch_size=64, X_val=None, y_val=None, seed=0, progress=True):
    """Train ``layers`` with your own functions.

    - backprop: ``backprop(layers, x, y, loss_fn) -> (loss, grads)``
    - either update: ``update(params, grads, lr) -> new_params`` (e.g. a one-line gradient
      descent step, or your ``sgd_step``): full-batch gradient descent, one step per epoch
      on the gradient of the whole of ``X`` (``batch_size`` and ``seed`` are not used),
    - or epoch: ``epoch(params, X, y, grad_fn, lr, batch_size, rng) -> (new_params, losses)``
      (your ``train_epoch``), called once per epoch with ``grad_fn`` from
      ``gradient_function`` and a generator seeded with ``seed``: your epoch draws the
      mini-batches.
    Returns ``(trained_layers, history)``; the layers passed in are left unchanged.
    The progress bar shows the epoch and the current loss (JupyterLab or terminal).
    """
    if (update is None) == (epoch is None):
        raise TypeError("fit takes update= (an update rule) or epoch= (an epoch function), "
                        "exactly one of them")
    rng = np.random.default_rng(seed)
    history = History()
    grad_fn = gradient_function(layers, backprop, loss_fn)
    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=False)
    for _ in bar:
        if epoch is not None:
            new_params, losses = epoch(params_of(layers), X, y, grad_fn, lr, batch_size, rng)
            layers = with_params(layers, new_params)
            history.loss.extend(float(loss) for loss in losses)
        else:
            loss, flat_grads = grad_fn(params_of(layers), X, y)
            layers = with_params(layers, update(params_of(layers), flat_grads, lr))
            history.loss.append(float(loss))
        history.train_acc.append(accuracy(layers, X, y))
        if X_val is not None:
            history.val_acc.append(accuracy(layers, X_val, y_val))
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", train_acc=f"{history.train_acc[-1]:.3f}")
    return layers, history


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
