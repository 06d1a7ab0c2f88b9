"""The grading corpus of hw1 (graphs), hw2's backprop and hw4 (training): submissions written
the way students write them, correct ones in other formulations and realistic bugs, each with
the exact score (a fraction of the function's points) and the diagnosis it must get.

Each assignment's class is graded once through the whole pipeline (``grade_all``, two jobs);
every case below is a test on its report. ``corpus()`` hands the submissions to the
seed-invariance test, which grades them again under many student ids.
"""

import pytest
from corpus_support import assert_graded_as, by_student, grade_corpus
from corpus_support import kinds as corpus_kinds

import solutions
from autograder.round.samples import Sample


# ------------------------------------------------------------------------ hw1: graphs

HW1_OTHER_WAYS = {
    "Add": '''class Add(Operation):
    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, output_grad):
        return (output_grad, output_grad)
''',
    "Multiply": '''class Multiply(Operation):
    def forward(self, a, b):
        return np.multiply(a, b)

    def backward(self, output_grad):
        x, y = self.inputs
        dx = output_grad * y
        dy = output_grad * x
        return dx, dy
''',
    "Divide": '''class Divide(Operation):
    def forward(self, a, b):
        return a / b

    def backward(self, output_grad):
        a, b = self.inputs
        # d(a/b)/db = -a/b**2 = -(a/b)/b, and a/b is already in self.value
        return output_grad / b, -output_grad * self.value / b
''',
    "Exp": '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        return (np.exp(self.inputs[0]) * output_grad,)
''',
    "Log": '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        return (output_grad * (1.0 / self.inputs[0]),)
''',
    "Sin": '''class Sin(Operation):
    def forward(self, a):
        return np.sin(a)

    def backward(self, output_grad):
        [a] = self.inputs
        return [np.cos(a) * output_grad]
''',
    "example_forward_backward": '''def example_forward_backward(x, z):
    # worked out on paper, in one expression each
    y = np.exp(x * z) + x * z / np.log(x) + np.sin(np.log(x)) / (x * z)
    dy_dx = (z * np.exp(x * z) + z / np.log(x) - z / np.log(x) ** 2
             + (np.cos(np.log(x)) - np.sin(np.log(x))) / (x ** 2 * z))
    dy_dz = x * np.exp(x * z) + x / np.log(x) - np.sin(np.log(x)) / (x * z ** 2)
    return float(y), float(dy_dx), float(dy_dz)
''',
    "numerical_gradient": '''def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)  # my own copy
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
        it.iternext()
    return grad
''',
}

LOG_WITHOUT_INVERSE = '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        a = self.inputs[0]
        return (output_grad,)
'''
DIVIDE_DB_SIGN = '''class Divide(Operation):
    def forward(self, a, b):
        return a / b

    def backward(self, output_grad):
        a, b = self.inputs
        da = output_grad / b
        db = output_grad * a / b**2
        return da, db
'''
EXP_WITH_THE_INPUT = '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        a, = self.inputs
        return (output_grad * a,)
'''
EXP_WITH_MATH = '''import math

class Exp(Operation):
    def forward(self, a):
        return math.exp(a)

    def backward(self, output_grad):
        return (output_grad * self.value,)
'''
LOG_BY_FINITE_DIFFERENCES = '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        a = self.inputs[0]
        h = 1e-6
        return (output_grad * (np.log(a + h) - np.log(a - h)) / (2 * h),)
'''
SIN_OF_THE_OUTPUT = '''class Sin(Operation):
    def forward(self, a):
        return np.sin(a)

    def backward(self, output_grad):
        return (output_grad * np.cos(self.value),)
'''
EXAMPLE_OVERWRITES_DB = '''def example_forward_backward(x, z):
    a = x * z
    b = np.log(x)
    c = np.sin(b)
    d = np.exp(a)
    e = a / b
    f = c / a
    y = d + e + f
    da = d + 1 / b - c / a**2
    db = -a / b**2
    dc = 1 / a
    db = dc * np.cos(b)
    dx = da * z + db / x
    dz = da * x
    return y, dx, dz
'''
NG_ONE_SIDED = '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    fx = f(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += h
        grad[i] = (f(xp) - fx) / h
    return grad
'''
NG_FIXED_STEP = '''def numerical_gradient(f, x, h=1e-5):
    eps = 1e-5
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return grad
'''
NG_IN_PLACE = '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h
        grad[i] = (fp - fm) / (2 * h)
    return grad
'''

# ---------------------------------------------------------------------- hw4: training

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

DROPOUT_BY_P = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / p
    return x * mask, mask
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    return dout * cache
''',
}
DROPOUT_MASK_REDRAWN = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, (p, rng)
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    p, rng = cache
    mask = (rng.random(dout.shape) >= p) / (1 - p)
    return dout * mask
''',
}
ADAM_OFF_BY_ONE = '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 1, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    t = state["t"] + 1
    m = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads)]
    v = [beta2 * v + (1 - beta2) * g ** 2 for v, g in zip(state["v"], grads)]
    new_params = []
    for p, mi, vi in zip(params, m, v):
        m_hat = mi / (1 - beta1 ** t)
        v_hat = vi / (1 - beta2 ** t)
        new_params.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
    return new_params, {"t": t, "m": m, "v": v}
'''
ADAM_CORRECTS_M_ONLY = '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    t = state["t"] + 1
    m = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads)]
    v = [beta2 * v + (1 - beta2) * g ** 2 for v, g in zip(state["v"], grads)]
    new_params = [p - lr * (mi / (1 - beta1 ** t)) / (np.sqrt(vi) + eps)
                  for p, mi, vi in zip(params, m, v)]
    return new_params, {"t": t, "m": m, "v": v}
'''
MOMENTUM_SIGN = '''def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    new_velocities = [momentum * v + lr * g for v, g in zip(velocities, grads)]
    new_params = [p + v for p, v in zip(params, new_velocities)]
    return new_params, new_velocities
'''
INIT_HE_AS_XAVIER = '''def init_weights(fan_in, fan_out, scheme, rng):
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    if scheme == "normal":
        return rng.standard_normal((fan_in, fan_out))
    if scheme in ("xavier", "he"):
        return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
    raise ValueError(scheme)
'''
SGD_IN_PLACE = '''def sgd_step(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    return params
'''
L2_GRAD_WITHOUT_2 = '''def l2_penalty(params, reg):
    loss = reg * sum(np.sum(p * p) for p in params)
    grads = [reg * p for p in params]
    return loss, grads
'''

# -------------------------------------------------------------------- hw2: backprop

BACKPROP_OTHER_WAY = '''def backprop(layers, x, y, loss_fn):
    caches = []
    h = x
    for forward, _, params in layers:
        h, cache = forward(h, *params)
        caches.append(cache)
    loss, d = loss_fn(h, y)
    grads = []
    for (_, backward, params), cache in zip(reversed(layers), reversed(caches)):
        if params:
            d, *dparams = backward(d, cache)
            grads.insert(0, tuple(dparams))
        else:
            d = backward(d, cache)
            grads.insert(0, ())
    return loss, grads
'''
BACKPROP_GRADS_REVERSED = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        backward, params = layers[i][1], layers[i][2]
        if len(params) == 0:
            dout = backward(dout, caches[i])
            grads.append(())
        else:
            dout, *dparams = backward(dout, caches[i])
            grads.append(tuple(dparams))
    return loss, grads
'''
BACKPROP_WALKS_FORWARD = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = [()] * len(layers)
    for i in range(len(layers)):
        backward, params = layers[i][1], layers[i][2]
        if params:
            dout, *dparams = backward(dout, caches[i])
            grads[i] = tuple(dparams)
        else:
            dout = backward(dout, caches[i])
    return loss, grads
'''
BACKPROP_KEEPS_DOUT = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = [()] * len(layers)
    for i in reversed(range(len(layers))):
        backward, params = layers[i][1], layers[i][2]
        if params:
            dx, *dparams = backward(dout, caches[i])
            grads[i] = tuple(dparams)
        else:
            dout = backward(dout, caches[i])
    return loss, grads
'''


def corpus():
    """{assignment: [Sample]}: this corpus's submissions, by assignment."""
    return {
        "hw1_graphs": [
            Sample("g_other_ways", "correct, another formulation everywhere (np.nditer, one "
                   "expression, self.value, a list from backward)", answers=HW1_OTHER_WAYS),
            Sample("g_log_inverse", "Log.backward forgets 1/a",
                   answers={"Log": LOG_WITHOUT_INVERSE}),
            Sample("g_divide_sign", "Divide's db without its minus sign",
                   answers={"Divide": DIVIDE_DB_SIGN}),
            Sample("g_exp_input", "Exp.backward multiplies by the input, not the output",
                   answers={"Exp": EXP_WITH_THE_INPUT}),
            Sample("g_exp_math", "Exp with math.exp: scalars only",
                   answers={"Exp": EXP_WITH_MATH}),
            Sample("g_log_numerical", "Log.backward by finite differences, nothing derived",
                   answers={"Log": LOG_BY_FINITE_DIFFERENCES}),
            Sample("g_sin_output", "Sin.backward takes the cosine of the output",
                   answers={"Sin": SIN_OF_THE_OUTPUT}),
            Sample("g_example_db", "the example overwrites db (= where += belongs)",
                   answers={"example_forward_backward": EXAMPLE_OVERWRITES_DB}),
            Sample("g_ng_one_sided", "numerical_gradient with forward differences",
                   answers={"numerical_gradient": NG_ONE_SIDED}),
            Sample("g_ng_fixed_step", "numerical_gradient ignores h",
                   answers={"numerical_gradient": NG_FIXED_STEP}),
            Sample("g_ng_in_place", "numerical_gradient moves x in place and back by +h, -2h, "
                   "+h (rounding leaves x changed)", answers={"numerical_gradient": NG_IN_PLACE}),
        ],
        "hw4_training": [
            Sample("t_other_ways", "correct: binomial mask, loops, in-place on copies, Adam "
                   "state as a tuple, rng.normal", answers=HW4_OTHER_WAYS),
            Sample("t_more_ways", "correct: np.where masks, norm**2, Adam state as a dict of "
                   "lists starting from 0.0, a dict of scales", answers=HW4_MORE_WAYS),
            Sample("t_dropout_p", "dropout scaled by 1/p, backward consistent with it",
                   answers=DROPOUT_BY_P),
            Sample("t_mask_redrawn", "dropout backward draws a new mask from the rng it kept",
                   answers=DROPOUT_MASK_REDRAWN),
            Sample("t_adam_t", "Adam's step count starts at 1, so the first step has t = 2",
                   answers={"adam_step": ADAM_OFF_BY_ONE}),
            Sample("t_adam_m_only", "Adam corrects m only",
                   answers={"adam_step": ADAM_CORRECTS_M_ONLY}),
            Sample("t_momentum_sign", "momentum velocity adds lr * g",
                   answers={"sgd_momentum_step": MOMENTUM_SIGN}),
            Sample("t_he", "init 'he' with sqrt(1/fan_in)",
                   answers={"init_weights": INIT_HE_AS_XAVIER}),
            Sample("t_sgd_in_place", "sgd updates the params in place",
                   answers={"sgd_step": SGD_IN_PLACE}),
            Sample("t_l2_grad", "l2 gradient without the factor 2",
                   answers={"l2_penalty": L2_GRAD_WITHOUT_2}),
        ],
        "hw2_layers": [
            Sample("b_other_way", "backprop with zip(reversed(...)) and insert(0, ...)",
                   answers={"backprop": BACKPROP_OTHER_WAY}),
            Sample("b_reversed", "backprop appends grads walking backwards, never reverses "
                   "them", answers={"backprop": BACKPROP_GRADS_REVERSED}),
            Sample("b_walks_forward", "backprop's backward loop walks the layers in forward "
                   "order", answers={"backprop": BACKPROP_WALKS_FORWARD}),
            Sample("b_keeps_dout", "backprop does not pass dx on from layers with params",
                   answers={"backprop": BACKPROP_KEEPS_DOUT}),
        ],
    }


# student -> {function: (fraction of its points, the diagnosis kind it must show)}; every other
# function of the assignment gets full marks. Weights are weights.TABLE's: an op 4 (values),
# 3 (reference gradients), 3 (finite differences), 1 (structure), 1 (self.value).
EXPECTED = {
    "g_other_ways": {},
    "g_log_inverse": {"Log": ((4 + 0 + 0 + 1 + 1) / 12, "wrong_local_derivative")},
    "g_divide_sign": {"Divide": ((4 + 3 / 2 + 3 / 2 + 1 + 1) / 12, "sign_flipped")},
    "g_exp_input": {"Exp": ((4 + 0 + 0 + 1 + 1) / 12, "wrong_local_derivative")},
    # right on scalars only: a third of the values, the structure and self.value, half of
    # the finite differences (scalars and matrices)
    "g_exp_math": {"Exp": ((4 / 3 + 3 / 3 + 3 / 2 + 1 / 3 + 1 / 3) / 12, "raised")},
    # neither the reference gradients nor the consistency with its own forward pay
    "g_log_numerical": {"Log": ((4 + 0 + 0 + 1 + 1) / 12, "not_derived")},
    "g_sin_output": {"Sin": ((4 + 0 + 0 + 1 + 1) / 12, "wrong_local_derivative")},
    # values 3 (x=2, z=3), 4 (hidden points), 3 (finite differences of y), 1 (structure):
    # y and dy_dz right everywhere, dy_dx wrong everywhere
    "g_example_db": {"example_forward_backward": ((3 * 2 / 3 + 4 * 2 / 3 + 3 * 1 / 2 + 1) / 11,
                                                  "missing_path")},
    # 4 (hidden functions), 3 (central), 2 (uses h), 1 (shape), 1 (arguments unchanged)
    "g_ng_one_sided": {"numerical_gradient": ((0 + 0 + 2 + 1 + 1) / 11,
                                              "one_sided_differences")},
    # central differences are central, whatever the step
    "g_ng_fixed_step": {"numerical_gradient": ((4 + 3 + 0 + 1 + 1) / 11, "ignores_h")},
    "g_ng_in_place": {"numerical_gradient": ((4 + 3 + 2 + 1 + 0) / 11, "input_mutated")},
    "t_other_ways": {},
    "t_more_ways": {},
    # dropout_forward: 4 (scaling), 3 (fraction), 3 (train=False), 1 (same seed), 1 (args)
    "t_dropout_p": {"dropout_forward": ((0 + 3 + 3 + 1 + 1) / 12, "scaled_by_p")},
    # dropout_backward: 4 (dx follows the forward: test time only), 3 (finite differences),
    # 1 (args)
    "t_mask_redrawn": {"dropout_backward": ((4 / 4 + 0 + 1) / 8, "different_mask")},
    "t_adam_t": {"adam_step": (0.0, "step_count_off_by_one")},
    "t_adam_m_only": {"adam_step": (0.0, "bias_correction_one_moment")},
    "t_momentum_sign": {"sgd_momentum_step": (0.0, "gradient_sign")},
    # init: 4 (std of the three schemes), 2 (zeros), 1 (shape), 1 (seed), 1 (ValueError)
    "t_he": {"init_weights": ((4 * 2 / 3 + 2 + 1 + 1 + 1) / 9, "wrong_std")},
    "t_sgd_in_place": {"sgd_step": ((4 + 0) / 5, "input_mutated")},
    # l2: 4 (loss), 3 (grads vs reference), 3 (finite differences of the loss), 1 (args)
    "t_l2_grad": {"l2_penalty": ((4 + 0 + 0 + 1) / 11, "scaled_by_half")},
    "b_other_way": {},
    # backprop: 3 (loss), 4 (grads), 1 (one tuple per layer), 1 (args)
    "b_reversed": {"backprop": ((3 + 0 + 0 + 1) / 9, "reversed_order")},
    # runs on the network whose layers all keep the width (a batch of one), fails on the others
    "b_walks_forward": {"backprop": ((3 / 3 + 0 + 1 / 3 + 1) / 9, "raised")},
    # the last layer with params is right in every network: 5 of the 9 gradients
    "b_keeps_dout": {"backprop": ((3 + 4 * 5 / 9 + 1 + 1) / 9, "upstream_not_passed")},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{student: report} of every submission of the corpus, graded through the pipeline."""
    return by_student(grade_corpus(tmp_path_factory, corpus()))


def kinds(report, name):
    return corpus_kinds(report, name, also=False)


def assignment_of(student):
    return next(a for a, samples in corpus().items() if student in {s.student for s in samples})


def test_the_corpus_is_large_and_every_submission_has_its_expectation():
    students = [s.student for samples in corpus().values() for s in samples]
    assert len(students) == len(set(students)) >= 15
    assert set(students) == set(EXPECTED)


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_gets_its_exact_score_and_diagnosis(graded, student):
    assert_graded_as(graded[student], EXPECTED[student],
                     solutions.ASSIGNMENTS[assignment_of(student)], kinds)
