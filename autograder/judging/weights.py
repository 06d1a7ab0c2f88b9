"""What each check of a graded function is worth, in one table (the README shows it).

Every check has a role. ``value``, ``gradient`` and ``fd`` checks pay for right numbers: the
function's values, its gradients against the reference, its gradients against finite
differences of the student's own forward. Every other role (``shape``, ``mutation``,
``structure``, ``behaviour``) pays only when the function also earns some credit from a
``value``, ``gradient`` or ``fd`` check: a function that returns no right number earns nothing.

A function's points (its test cell's) are shared among its checks in proportion to the
weights. An instructor changes weights per assignment in ``weights.json`` at the course root:
``{"hw2_layers": {"gradient shapes": 0, "values on hidden inputs": 6}}`` (a re-run then
grades again).
"""
import json
from pathlib import Path

EARNING = ("value", "gradient", "fd")

# check name -> (role, weight)
TABLE = {
    # hw2 and hw3 forward functions
    "values on hidden inputs": ("value", 4),
    # hw2 and hw3 backward functions
    "matches finite differences of your forward": ("fd", 3),
    "matches the reference gradients": ("gradient", 3),
    "gradient shapes": ("shape", 1),
    # hw2 losses
    "loss values on hidden inputs": ("value", 3),
    "gradient matches finite differences of your loss": ("fd", 3),
    "dx matches the reference": ("gradient", 3),
    "dpred matches the reference": ("gradient", 3),
    "dprob matches the reference": ("gradient", 3),
    "stays finite without overflow": ("behaviour", 1),
    # hw2 backprop
    "loss on hidden networks": ("value", 3),
    "gradients on hidden networks": ("gradient", 4),
    "grads has one tuple per layer": ("structure", 1),
    # hw1 operations
    "forward values on hidden inputs": ("value", 4),
    "backward matches the reference gradients": ("gradient", 3),
    "backward matches finite differences of your forward": ("fd", 3),
    "backward returns one gradient per input": ("structure", 1),
    "self.value set by calling the op": ("structure", 1),
    # hw1 example_forward_backward
    "values at x=2, z=3": ("value", 3),
    "values at hidden points": ("value", 4),
    "gradients match finite differences of your y": ("fd", 3),
    "returns (y, dy_dx, dy_dz)": ("structure", 1),
    # hw1 numerical_gradient
    "matches the gradient of hidden functions": ("value", 4),
    "central differences": ("value", 3),
    "uses the step h it is given": ("value", 2),
    "result has the shape of x": ("shape", 1),
    # hw1 topological_order
    "valid order on hidden graphs": ("value", 4),
    "a chain of 5,000 nodes": ("value", 2),
    "returns a list of names": ("structure", 1),
    # hw1 backward_pass
    "gradients on hidden graphs": ("gradient", 4),
    "gradients along a chain of 4,000 nodes": ("gradient", 2),
    "holds exactly the nodes that reach the output": ("structure", 1),
    # hw4 dropout
    "kept units scaled as inverted dropout asks": ("value", 4),
    "fraction of units dropped is about p": ("value", 3),
    "train=False returns x": ("value", 3),
    "same seed, same output": ("behaviour", 1),
    "dx follows your forward's mask and scaling": ("gradient", 4),
    # hw4 l2_penalty
    "loss on hidden params": ("value", 4),
    "grads match the reference": ("gradient", 3),
    "grads match finite differences of your loss": ("fd", 3),
    # hw4 optimizers
    "new params on hidden inputs": ("value", 4),
    "one step from hidden velocities": ("value", 4),
    "three chained steps": ("value", 3),
    "first step from state None": ("value", 4),
    "four chained steps": ("value", 3),
    # hw4 train_epoch
    "params after one epoch on hidden data": ("value", 4),
    "batch losses on hidden data": ("value", 3),
    "losses are floats": ("behaviour", 1),
    # hw4 init_weights
    "std and mean of normal, xavier and he": ("value", 4),
    '"zeros" is exactly zero': ("value", 2),
    "shape (fan_in, fan_out)": ("shape", 1),
    "same seed, same weights": ("behaviour", 1),
    "ValueError for an unknown scheme": ("behaviour", 1),
    # every function
    "arguments left unchanged": ("mutation", 1),
    # when a function could not be graded at all
    "graded": ("value", 1),
    "notebook readable": ("value", 1),
}


def role_of(name):
    return TABLE.get(name, ("value", None))[0]


def default_weight(name):
    return TABLE.get(name, (None, None))[1]


def course_weights(course, assignment):
    """{check name: weight} the instructor set for ``assignment`` in ``weights.json`` ({} when
    none). A malformed file is an error that names it: grading must not guess weights."""
    path = Path(course) / "weights.json"
    if not path.exists():
        return {}
    try:
        chosen = json.loads(path.read_text()).get(assignment, {})
        if not all(isinstance(k, str) and isinstance(v, (int, float)) and v >= 0
                   for k, v in chosen.items()):
            raise ValueError("weights must be numbers >= 0 by check name")
    except (ValueError, AttributeError) as err:
        raise ValueError(f"{path}: {err}") from None
    unknown = sorted(set(chosen) - set(TABLE))
    if unknown:
        raise ValueError(f"{path}: no check is called {', '.join(map(repr, unknown))}")
    return chosen
