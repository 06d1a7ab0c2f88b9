"""hw4_training as a class: students who write all of its functions their own way, right,
graded once in the class of the assignment (the ``graded`` fixture, see support.py) beside the
slips of each function (in the module named by the function), each with the exact score and
the diagnosis it must get."""

from support import corpus_test

from autograder.round.samples import Sample

A = "hw4_training"

HW4_OTHER_WAYS = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if train:
        keep = rng.binomial(1, 1 - p, size=x.shape)
        mask = keep / (1 - p)
        return x * mask, mask
    return x, None
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache
''',
    "l2_penalty": '''def l2_penalty(params, reg):
    loss = 0.0
    grads = []
    for w in params:
        loss += reg * np.sum(w ** 2)
        grads.append(2 * reg * w)
    return loss, grads
''',
    "sgd_step": '''def sgd_step(params, grads, lr):
    return [np.subtract(p, lr * g) for p, g in zip(params, grads)]
''',
    "sgd_momentum_step": '''def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    new_params, new_velocities = [], []
    for p, g, v in zip(params, grads, velocities):
        v = v.copy()
        v *= momentum
        v -= lr * g
        p = p.copy()
        p += v
        new_params.append(p)
        new_velocities.append(v)
    return new_params, new_velocities
''',
    "adam_step": '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
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
    "init_weights": '''def init_weights(fan_in, fan_out, scheme, rng):
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


HW4_MORE_WAYS = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    keep = rng.uniform(size=x.shape) > p
    out = np.where(keep, x / (1 - p), 0.0)
    return out, (keep, p)
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    keep, p = cache
    return np.where(keep, dout / (1 - p), 0.0)
''',
    "l2_penalty": '''def l2_penalty(params, reg):
    loss = reg * sum(np.linalg.norm(w) ** 2 for w in params)
    return loss, [reg * (w + w) for w in params]
''',
    "sgd_step": '''def sgd_step(params, grads, lr):
    new = [p.copy() for p in params]
    for n, g in zip(new, grads):
        n -= lr * g
    return new
''',
    "adam_step": '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state = dict(state or {"step": 0, "m": [0.0] * len(params), "v": [0.0] * len(params)})
    state["step"] += 1
    t = state["step"]
    state["m"] = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads)]
    state["v"] = [beta2 * v + (1 - beta2) * g * g for v, g in zip(state["v"], grads)]
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    return [p - lr * (m / c1) / (np.sqrt(v / c2) + eps)
            for p, m, v in zip(params, state["m"], state["v"])], state
''',
    "init_weights": '''def init_weights(fan_in, fan_out, scheme, rng):
    scales = {"normal": 1.0, "xavier": (1 / fan_in) ** 0.5, "he": (2 / fan_in) ** 0.5}
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    try:
        scale = scales[scheme]
    except KeyError:
        raise ValueError(f"no scheme called {scheme}") from None
    return scale * rng.standard_normal(size=(fan_in, fan_out))
''',
}


CORPUS = [
    Sample("t_other_ways", "correct: binomial mask, loops, in-place on copies, Adam "
           "state as a tuple, rng.normal", answers=HW4_OTHER_WAYS),
    Sample("t_more_ways", "correct: np.where masks, norm**2, Adam state as a dict of "
           "lists starting from 0.0, a dict of scales", answers=HW4_MORE_WAYS),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "t_other_ways": {},
    "t_more_ways": {},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)
