"""The child holds no answer (DESIGN.md rule 2; issue 17, item 2).

A hunter cell runs in the real sandboxed child the grader uses (at both containment levels,
the tripwire off so that ``gc`` answers too: the worst case) and walks everything a student cell
can reach: its globals, the builtins, ``sys.modules`` and every module's attributes, the
frames above it and a traceback's, ``gc.get_objects()``, every class's ``__subclasses__``,
closures, defaults and instances' attributes, and the objects the grader keeps there for its
calls (a ``backward_pass`` graph of the grader's ops among them). Every callable the grader
put there (code from a file outside the standard library and NumPy, not a student cell:
functions, methods, classes and their instances) is then called on every graded function's
inputs, and an op-like class is made, called and asked for its ``backward``. None may return
a graded answer: what ``solutions/`` returns on those inputs, every part of it that is not
trivially one of the inputs or a constant 0, 1 or -1.

The hunt is proved able to fail: in a second child, old grader code that did hold answers (the
``GraphExp`` and ``linear_bias_backward`` the probes had before this issue) is planted where
only the walk finds it (a module's attribute, and a cycle only ``gc`` holds), and the hunt
names the graded answers it returns. The real ``backproplab`` student package is not
importable in the child, even with the stub's finder removed.
"""
import inspect
import os

import numpy as np
import pytest

import solutions
from autograder.sandbox import probes
from autograder.sandbox.containment import choose
from autograder.sandbox.probes import Probe
from autograder.sandbox.runner import Limits, StudentProcess

FRESH = "fresh generator"  # ("fresh generator", seed): the hunter makes one per call

HUNTER = '''
import builtins, gc, os, sys, types, warnings
import numpy as np

_STDLIB, _NUMPY = os.path.dirname(os.__file__), os.path.dirname(np.__file__)
# They speak the grader's protocol over the parent's channel: calling them would not compute.
_SKIP = {"Service.reply", "Service.serve"}


def _grader_code(code):
    name = code.co_filename
    return not (name.startswith("<") or name.startswith(_STDLIB) or name.startswith(_NUMPY))


def _grader_class(cls):
    try:
        for klass in type.__getattribute__(cls, "__mro__"):
            for value in type.__getattribute__(klass, "__dict__").values():
                if type(value) is types.FunctionType and _grader_code(value.__code__):
                    return True
    except Exception:
        pass
    return False


def _children(obj):
    t = type(obj)
    if t is types.ModuleType or isinstance(obj, types.ModuleType):
        try:
            return list(object.__getattribute__(obj, "__dict__").values())
        except Exception:
            return []
    if isinstance(obj, dict):
        return list(dict.keys(obj)) + list(dict.values(obj))
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, type):
        try:
            return (list(type.__getattribute__(obj, "__dict__").values()) +
                    list(type.__subclasses__(obj)) if obj is not type else [])
        except Exception:
            return []
    if t is types.FunctionType:
        return [c.cell_contents for c in (obj.__closure__ or ()) if _filled(c)] + [
            obj.__globals__, obj.__defaults__, obj.__kwdefaults__, obj.__dict__]
    if t is types.MethodType:
        return [obj.__self__, obj.__func__]
    if t is types.FrameType:
        return [obj.f_globals, obj.f_locals, obj.f_back]
    if t is types.TracebackType:
        return [obj.tb_frame, obj.tb_next]
    if isinstance(obj, (staticmethod, classmethod)):
        return [obj.__func__]
    if isinstance(obj, property):
        return [obj.fget, obj.fset]
    if isinstance(obj, np.ndarray):
        return []
    try:
        return list(object.__getattribute__(obj, "__dict__").values())
    except Exception:
        return []


def _filled(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _roots():
    roots = [globals(), builtins, sys.modules, sys.meta_path, object, type]
    frame = sys._getframe()
    while frame is not None:
        roots.append(frame)
        frame = frame.f_back
    try:
        raise RuntimeError
    except RuntimeError as error:
        roots.append(error.__traceback__)
    try:
        roots += gc.get_objects()
    except Exception:  # the tripwire refuses it; these tests run without it
        pass
    return roots


def _reachable(limit=600_000):
    seen, stack = {}, _roots()
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        try:
            stack.extend(_children(obj))
        except Exception:
            pass
    return list(seen.values())


def _name(c):
    target = c.__func__ if type(c) is types.MethodType else c
    named = isinstance(target, (type, types.FunctionType))
    name = getattr(target, "__qualname__", None) if named else None
    return name or type(c).__qualname__ + " instance"


def _candidates(objects):
    """{id: callable} of the grader's: functions, methods, classes, callable instances and
    their methods, but what speaks over the channel."""
    found = {}
    for obj in objects:
        t = type(obj)
        if t is types.FunctionType:
            if _grader_code(obj.__code__) and obj.__qualname__ not in _SKIP:
                found[id(obj)] = obj
        elif t is types.MethodType:
            f = obj.__func__
            if type(f) is types.FunctionType and _grader_code(f.__code__) and \\
                    f.__qualname__ not in _SKIP:
                found[id(obj)] = obj
        elif isinstance(obj, type):
            if _grader_class(obj):
                found[id(obj)] = obj
        elif _grader_class(t):
            if callable(obj):
                found[id(obj)] = obj
            for klass in t.__mro__:
                for key, value in vars(klass).items():
                    if type(value) is types.FunctionType and _grader_code(value.__code__) and \\
                            value.__qualname__ not in _SKIP and not key.startswith("__"):
                        method = types.MethodType(value, obj)
                        found[id(method)] = method
    return list(found.values())


def _fresh(args):
    return [np.random.default_rng(a[1]) if isinstance(a, tuple) and len(a) == 2 and
            isinstance(a[0], str) and a[0] == "fresh generator" else a for a in args]


def _call(c, args):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return True, c(*_fresh(args))
    except BaseException:
        return False, None
    finally:
        sys.setrecursionlimit(3000)  # a candidate may have lowered it


def _numbers(value, depth=0):
    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, (int, float, np.integer, np.floating, np.ndarray)):
        try:
            yield np.asarray(value, dtype=np.float64)
        except Exception:
            pass
    elif isinstance(value, (list, tuple)) and depth < 4:
        if value and all(isinstance(v, str) for v in value):
            yield list(value)
        for item in list(value)[:64]:
            yield from _numbers(item, depth + 1)
    elif isinstance(value, dict) and depth < 4:
        for item in list(dict.values(value))[:64]:
            yield from _numbers(item, depth + 1)


def _holds(result, answer):
    for got in _numbers(result):
        for want in answer:
            if isinstance(want, list):
                if isinstance(got, list) and got == want:
                    return True
            elif not isinstance(got, list) and got.shape == np.shape(want):
                try:
                    if np.allclose(got, want, rtol=1e-7, atol=1e-12):
                        return True
                except Exception:
                    pass
    return False


def _op_like(c):
    return isinstance(c, type) or (callable(c) and hasattr(type(c), "backward"))


def hunt(calls, ops):
    """calls: [[graded name, [args, ...], answer parts]]; ops: [[name, args, g, forward
    parts, backward parts]]. Returns (hits, candidate names, objects walked)."""
    objects = _reachable()
    candidates = _candidates(objects)
    hits = set()
    for c in candidates:
        for name, variants, answer in calls:
            for args in variants:
                ok, result = _call(c, args)
                if ok and _holds(result, answer):
                    hits.add(f"{_name(c)} -> {name}")
        if not _op_like(c):
            continue
        for name, args, g, forward, backward in ops:
            ok, op = _call(c, ()) if isinstance(c, type) else (True, c)
            if not ok or not callable(op):
                continue
            ok, value = _call(op, args)
            if ok and _holds(value, forward):
                hits.add(f"{_name(c)} -> {name} (forward)")
            ok, grads = _call(getattr(op, "backward", None), [g])
            if ok and _holds(grads, backward):
                hits.add(f"{_name(c)} -> {name}.backward")
    return sorted(hits), sorted({_name(c) for c in candidates}), len(objects)


def real_package():
    """What importing the real backproplab gives once the stub's finder is out of the way."""
    import importlib
    finders = [f for f in sys.meta_path if type(f).__name__ == "StubFinder"]
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] == "backproplab"}
    for f in finders:
        sys.meta_path.remove(f)
    try:
        module = importlib.import_module("backproplab")
        return "imported " + str(getattr(module, "__file__", None))
    except BaseException as error:
        return type(error).__name__
    finally:
        sys.meta_path[:0] = finders
        sys.modules.update(saved)
'''

# The probes as they were before issue 17: graded answers a student's code could borrow.
OLD_PROBES = '''
import numpy as np


class GraphOp:
    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value


class GraphExp(GraphOp):
    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        return (g * self.value,)


def linear_bias_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
'''

PLANT = f'''
import gc, json
_old = {{}}
exec(compile({OLD_PROBES!r}, "/grader/old_probes.py", "exec"), _old)
json._kept_for_later = [_old["linear_bias_backward"]]  # reachable through sys.modules only


class _Cycle:
    pass


_c = _Cycle()
_c.me, _c.op = _c, _old["GraphExp"]  # held by nothing but its own cycle: gc finds it
gc.disable()
del _c, _old, _Cycle
'''

GRAPH = {"values": {"x": np.array([0.4, -0.7, 1.1]), "w": np.array([0.9, 0.5, -0.6])},
         "ops": ["a twice x w", "s mean a x", "b softsign a", "y twice s b", "u cube y"],
         "listing": ["u", "y", "b", "s", "a", "w", "x"]}
PARENTS = {"e": ("d", "b"), "c": ("b", "a"), "a": (), "d": ("c",), "b": ("a",)}  # one order


def parts(value, inputs):
    """The non-trivial parts of a graded answer: its arrays and numbers (and a list of names),
    but any equal to one of ``inputs``' or made only of 0, 1 and -1."""
    given = [np.asarray(v, dtype=np.float64) for v in flat(inputs)
             if not isinstance(v, list)]
    found = []
    for v in flat(value):
        if isinstance(v, list):
            found.append(v)
            continue
        v = np.asarray(v, dtype=np.float64)
        trivial = np.isin(v, (0.0, 1.0, -1.0)).all() or any(
            g.shape == v.shape and np.allclose(g, v) for g in given)
        if not trivial:
            found.append(v)
    return found


def flat(value):
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return []
    if isinstance(value, (int, float, np.integer, np.floating, np.ndarray)):
        return [value]
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, str) for v in value):
            return [list(value)]
        return [p for v in value for p in flat(v)]
    if isinstance(value, dict):
        return [p for v in value.values() for p in flat(v)]
    return []


def wire_ready(value):
    """A reference cache as the wire carries it (a Generator becomes a fresh one per call)."""
    if isinstance(value, np.random.Generator):
        return None
    if isinstance(value, (list, tuple)):
        return type(value)(wire_ready(v) for v in value)
    return value


def layer_cases(r):
    """[(graded name, [args, ...], answer)] of hw2's and hw3's layer pairs: the forward on its
    inputs; the backward on the reference's cache and on the caches a student might keep."""
    x4 = r.normal(size=(3, 2, 2))
    w, b = r.normal(size=(4, 5)), r.normal(size=5)
    x = r.normal(size=(3, 4))
    alpha = r.uniform(0.05, 0.4, size=4)
    conv = (r.normal(size=(2, 3, 5, 5)), r.normal(size=(2, 3, 3, 3)), r.normal(size=2), 1, 1)
    pool = (r.normal(size=(2, 2, 4, 4)),)
    forwards = {"affine": (x4, w, b), "relu": (x,), "leaky_relu": (x,), "prelu": (x, alpha),
                "sigmoid": (x,), "tanh": (x,), "softmax": (x,), "conv": conv,
                "max_pool": pool}
    cases = []
    for stem, args in forwards.items():
        out, cache = getattr(solutions, f"{stem}_forward")(*args)
        cases.append((f"{stem}_forward", [list(args)], parts(out, args)))
        dout = r.normal(size=out.shape)
        grads = getattr(solutions, f"{stem}_backward")(dout, cache)
        caches = [wire_ready(cache), args[0], out, tuple(args),
                  (args[0].reshape(len(args[0]), -1), *args[1:2])]
        cases.append((f"{stem}_backward", [[dout, c] for c in caches],
                      parts(grads, (dout, *args))))
    return cases


def loss_and_loop_cases(r):
    """hw1's functions called as functions, hw2's losses and backprop, hw4's steps."""
    scores, labels = r.normal(size=(3, 5)), np.array([0, 2, 4])
    pred, target = r.normal(size=(3, 2)), r.normal(size=(3, 2))
    prob, truth = r.uniform(0.1, 0.9, size=4), np.array([0.0, 1.0, 1.0, 0.0])
    params = [r.normal(size=(3, 2)), r.normal(size=2)]
    grads = [r.normal(size=(3, 2)), r.normal(size=2)]
    velocities = [r.normal(size=(3, 2)), r.normal(size=2)]
    xs, ys = r.normal(size=(6, 3)), r.normal(size=(6, 2))
    at = r.uniform(0.5, 1.5, size=4)
    calls = {
        "example_forward_backward": (1.7, 0.8),
        "topological_order": (dict(PARENTS),),
        "numerical_gradient": (Probe("cube_sum"), at, 1e-5),
        "softmax_loss": (scores, labels), "mse_loss": (pred, target),
        "bce_loss": (prob, truth), "l2_penalty": (params, 0.1),
        "sgd_step": (params, grads, 0.1),
        "sgd_momentum_step": (params, grads, velocities, 0.1, 0.9),
        "adam_step": (params, grads, None, 0.01),
        "train_epoch": (params, xs, ys, Probe("least_squares_grad"), 0.1, 2, (FRESH, 3)),
        "init_weights": (3, 4, "he", (FRESH, 5)),
        "dropout_forward": (pred, 0.3, True, (FRESH, 7)),
    }
    cases = []
    for name, args in calls.items():
        real = [probes.PROBES[a.wire_probe] if isinstance(a, Probe) else
                np.random.default_rng(a[1]) if isinstance(a, tuple) and a[:1] == (FRESH,)
                else a for a in args]
        value = getattr(solutions, name)(*real)
        if name == "adam_step":
            value = value[0]  # the state's form is the student's choice
        cases.append((name, [list(args)], parts(value, real)))
    return cases + [dropout_backward_case(r, pred), backprop_case(r)]


def dropout_backward_case(r, x):
    """dropout_backward on the reference's cache (its mask), and on (mask, p)."""
    _, mask = solutions.dropout_forward(x, 0.3, True, np.random.default_rng(7))
    dout = r.normal(size=x.shape)
    dx = solutions.dropout_backward(dout, mask)
    return ("dropout_backward", [[dout, mask], [dout, (mask, 0.3)]], parts(dx, (dout, mask)))


def backprop_case(r):
    """backprop on the probe layers, against the reference loop on the same probes."""
    layers = [("half_linear", [r.normal(size=(4, 3))]), ("softsign", []),
              ("half_linear_bias", [r.normal(size=(3, 2)), r.normal(size=2)])]
    x, y = r.normal(size=(5, 4)), r.normal(size=(5, 2))
    sent = [(Probe(f"{s}_forward"), Probe(f"{s}_backward"), p) for s, p in layers]
    real = [(probes.PROBES[f"{s}_forward"], probes.PROBES[f"{s}_backward"], p)
            for s, p in layers]
    value = solutions.backprop(real, x, y, probes.quartic_loss)
    return ("backprop", [[sent, x, y, Probe("quartic_loss")]], parts(value, (x, y, layers)))


def op_cases(r):
    """[(op, args, g, forward parts, backward parts)] of hw1's graded operations."""
    cases = []
    for name in ("Add", "Multiply", "Divide", "Exp", "Log", "Sin"):
        count = len(inspect.signature(getattr(solutions, name).forward).parameters) - 1
        args = [r.uniform(0.5, 2.0, size=4) for _ in range(count)]
        g = r.normal(size=4)
        op = getattr(solutions, name)()
        value = op(*args)
        cases.append((name, args, g, parts(value, args), parts(op.backward(g), (*args, g))))
    return cases


def hunt_cases(proc):
    """(calls, ops) for the hunter, with a backward_pass graph of the grader's ops built and
    kept in ``proc`` (so the kept ops are walked too)."""
    r = np.random.default_rng(17)
    nodes, _ = proc.call(Probe("graph_nodes"), GRAPH, keep=True)
    expected = solutions.backward_pass(probes.graph_nodes(GRAPH), "y")
    calls = layer_cases(r) + loss_and_loop_cases(r)
    calls.append(("backward_pass", [[nodes, "y"]], parts(expected, GRAPH["values"])))
    ops = op_cases(r)
    for name, args, g, _, backward in ops:  # an op's gradient written as a function
        calls.append((f"{name}.backward", [[*args, g], [g, *args]], backward))
    return calls, ops


def run_hunt(cells, level=None):
    """((hits, candidate names, objects walked), what importing backproplab gave) of the
    hunter in a real child at containment ``level`` (the grader's choice when None)."""
    with StudentProcess(list(enumerate(cells)), Limits(call_seconds=120, cell_seconds=20),
                        containment=level, tripwire=False) as proc:
        calls, ops = hunt_cases(proc)
        return proc.call("hunt", calls, ops), proc.call("real_package")


def containment(level):
    os.environ["BACKPROPLAB_CONTAINMENT"] = level
    try:
        chosen = choose()
    finally:
        del os.environ["BACKPROPLAB_CONTAINMENT"]
    assert chosen.level == level
    return chosen


@pytest.fixture(scope="module", params=["namespaces", "landlock"])
def clean(request):
    return run_hunt(["import numpy as np", HUNTER], containment(request.param))


@pytest.fixture(scope="module")
def planted():
    return run_hunt(["import numpy as np", PLANT, HUNTER])


def test_every_graded_function_has_a_nontrivial_answer_to_find():
    r = np.random.default_rng(17)
    calls = layer_cases(r) + loss_and_loop_cases(r)
    found = {name for name, _, answer in calls if answer}
    found |= {name for name, _, _, forward, backward in op_cases(r) if forward or backward}
    assert found | {"backward_pass"} == set(solutions.GRADED_NAMES)
    assert parts(solutions.backward_pass(probes.graph_nodes(GRAPH), "y"), GRAPH["values"])


def test_the_walk_reaches_the_grader_in_the_child(clean):
    (hits, names, walked), _ = clean
    assert walked > 20_000, walked  # gc's objects, not only the cell's globals
    for name in ("graph_nodes", "GraphMean", "GraphCube", "half_linear_bias_backward",
                 "softsign_backward", "quartic_loss", "Service.call", "encode",
                 "guard_recursion_limit.<locals>.setrecursionlimit", "Refusing"):
        assert name in names, name


def test_nothing_a_student_cell_can_reach_returns_a_graded_answer(clean):
    (hits, _, _), _ = clean
    assert hits == []


def test_the_hunt_finds_old_probes_planted_where_only_the_walk_reaches(planted):
    (hits, _, _), _ = planted
    assert "linear_bias_backward -> affine_backward" in hits, hits
    assert "GraphExp -> Exp (forward)" in hits and "GraphExp -> Exp.backward" in hits, hits
    assert all(h.startswith(("linear_bias_backward", "GraphExp")) for h in hits), hits


def test_the_real_student_package_is_not_importable_in_the_child(clean):
    _, package = clean
    assert not package.startswith("imported"), package
