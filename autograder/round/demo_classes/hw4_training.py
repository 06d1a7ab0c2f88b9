"""The demo class of hw4_training: dropout, the L2 penalty, the update rules, the epoch and
initialisation."""
from ..samples import Sample, with_bug
from .cast import cheat, perfect, unreadable, untouched

OTHER_STYLE = {
    "dropout_forward": '''\
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    keep = rng.binomial(1, 1 - p, size=x.shape).astype(bool)
    return np.where(keep, x / (1 - p), 0.0), (keep, p)
''',
    "dropout_backward": '''\
def dropout_backward(dout, cache):
    if cache is None:
        return dout
    keep, p = cache
    return np.where(keep, dout / (1 - p), 0.0)
''',
    "l2_penalty": '''\
def l2_penalty(params, reg):
    loss = 0.0
    grads = []
    for w in params:
        loss += reg * np.vdot(w, w)
        grads.append(2 * reg * w)
    return float(loss), grads
''',
    "sgd_step": '''\
def sgd_step(params, grads, lr):
    new = [np.copy(p) for p in params]
    for p, g in zip(new, grads):
        p -= lr * g
    return new
''',
    "sgd_momentum_step": '''\
def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    new_params, new_velocities = [], []
    for p, g, v in zip(params, grads, velocities):
        v = momentum * v - lr * g
        new_velocities.append(v)
        new_params.append(p + v)
    return new_params, new_velocities
''',
    "adam_step": '''\
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = (0, [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])
    t, ms, vs = state
    t += 1
    new_params, new_ms, new_vs = [], [], []
    for p, g, m, v in zip(params, grads, ms, vs):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        new_params.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
        new_ms.append(m)
        new_vs.append(v)
    return new_params, (t, new_ms, new_vs)
''',
    "train_epoch": '''\
def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses, start = [], 0
    while start < len(order):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
        start += batch_size
    return params, losses
''',
    "init_weights": '''\
def init_weights(fan_in, fan_out, scheme, rng):
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    elif scheme == "normal":
        std = 1.0
    elif scheme == "xavier":
        std = 1 / np.sqrt(fan_in)
    elif scheme == "he":
        std = np.sqrt(2 / fan_in)
    else:
        raise ValueError("unknown scheme: " + scheme)
    return rng.normal(0.0, std, size=(fan_in, fan_out))
''',
}
EPOCH_WITHOUT_SHUFFLE = '''\
def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    losses = []
    for start in range(0, len(x), batch_size):
        loss, grads = grad_fn(params, x[start:start + batch_size], y[start:start + batch_size])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
SGD_STUB = '''\
def sgd_step(params, grads, lr):
    return params  # TODO
'''


def students():
    """Eight students of hw4_training: right, blank, realistic bugs, a cheat, a broken file."""
    return [
        perfect(),
        Sample("ben", "correct, written differently (binomial masks, loops, Adam's state as a "
               "tuple, a while loop over the batches, rng.normal)", answers=OTHER_STYLE),
        untouched(),
        Sample("dev", "dropout scaled by 1/p, l2 gradient without the factor 2", answers={
            "dropout_forward": with_bug("dropout_forward", "/ (1.0 - p)", "/ p"),
            "l2_penalty": with_bug("l2_penalty", "2.0 * reg * p", "reg * p")},
            bugs={"dropout_forward": ("scaled_by_p",), "l2_penalty": ("scaled_by_half",)}),
        Sample("eve", "Adam corrects m only, momentum velocity adds lr * g", answers={
            "adam_step": with_bug("adam_step", "np.sqrt(vi / (1 - beta2**t))", "np.sqrt(vi)"),
            "sgd_momentum_step": with_bug("sgd_momentum_step", "momentum * v - lr * g",
                                          "momentum * v + lr * g")},
            bugs={"adam_step": ("bias_correction_one_moment",),
                  "sgd_momentum_step": ("gradient_sign",)}),
        Sample("finn", "train_epoch takes the batches in the data's order, init 'he' with "
               "sqrt(1/fan_in)", answers={
                   "train_epoch": EPOCH_WITHOUT_SHUFFLE,
                   "init_weights": with_bug("init_weights", '"he": np.sqrt(2.0 / fan_in)',
                                            '"he": np.sqrt(1.0 / fan_in)')},
               bugs={"train_epoch": ("no_shuffle",), "init_weights": ("wrong_std",)}),
        cheat("hw4_training", "sgd_step", SGD_STUB, "sgd_step left returning the params "
              "unchanged", "wrong_values"),
        unreadable(),
    ]
