"""backproplab.widgets driven without a browser: the graph stepper with operations written
here (never in lib), the training playground with the reference functions, and the widgets'
reactions to clicks and slider changes."""
import asyncio
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import solutions  # noqa: E402  (tests may use the reference; lib may not)
from backproplab.compgraph import fmt  # noqa: E402
from backproplab.widgets import (  # noqa: E402
    GraphStepper, Playground, lecture_example_stepper,
)


# ============================================================== operations, test-only

class Operation:
    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value


class Add(Operation):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Multiply(Operation):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        left, right = self.inputs
        return g * right, g * left


class Divide(Operation):
    def forward(self, a, b):
        return a / b

    def backward(self, g):
        top, bottom = self.inputs
        return g / bottom, -g * top / bottom ** 2


class Exp(Operation):
    def forward(self, a):
        return math.exp(a)

    def backward(self, g):
        return (g * math.exp(self.inputs[0]),)


class Log(Operation):
    def forward(self, a):
        return math.log(a)

    def backward(self, g):
        return (g / self.inputs[0],)


class Sin(Operation):
    def forward(self, a):
        return math.sin(a)

    def backward(self, g):
        return (g * math.cos(self.inputs[0]),)


class UnfinishedSin(Sin):
    def backward(self, g):
        raise NotImplementedError


class UnfinishedLog(Log):
    def forward(self, a):
        raise NotImplementedError


OPS = {"Add": Add, "Multiply": Multiply, "Divide": Divide, "Exp": Exp, "Log": Log, "Sin": Sin}


def lecture_y(x, z):
    return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# ============================================================== graph stepper

def test_stepper_reaches_the_lecture_values_and_gradients():
    stepper = lecture_example_stepper(OPS, x=2.0, z=3.0, autorender=False,
                                      backward_pass=solutions.backward_pass)
    for _ in range(8):
        stepper.forward_button.click()
    assert stepper.forward_button.disabled and not stepper.backward_button.disabled
    y = stepper.graph.nodes["y"].value
    assert y == pytest.approx(lecture_y(2.0, 3.0), rel=1e-14)
    assert "forward pass" not in stepper.message         # the 8th step computed y itself
    for _ in range(8):
        stepper.backward_button.click()
    assert stepper.backward_button.disabled
    dx = central(lambda x: lecture_y(x, 3.0), 2.0)
    dz = central(lambda z: lecture_y(2.0, z), 3.0)
    nodes = stepper.graph.nodes
    assert nodes["x"].grad == pytest.approx(dx, rel=1e-6)
    assert nodes["z"].grad == pytest.approx(dz, rel=1e-6)
    # the variables used twice collect every path: a feeds d, e, f; b feeds c, e
    assert len(stepper.graph.consumers("a")) == 3 and len(stepper.graph.consumers("b")) == 2
    texts = [t.get_text() for t in stepper.render().axes[0].texts]
    assert f"y = {fmt(y)}" in texts and f"∂y/∂x = {fmt(nodes['x'].grad)}" in texts
    stepper.backward_step()
    assert "backward pass done" in stepper.message


def test_each_step_says_what_happened_and_redraws():
    stepper = lecture_example_stepper(OPS)
    label, image = stepper.label.value, stepper.image.value
    stepper.forward_button.click()
    assert stepper.label.value != label and stepper.image.value != image
    assert "a = x × z = 2 × 3 = 6" in stepper.label.value
    assert stepper.graph.current == "a"
    stepper.run_forward()
    stepper.backward_button.click()
    # through y = s + f: upstream 1 times local 1, for both inputs
    assert "share to s: 1 × 1 = 1" in stepper.message
    assert set(stepper.graph.current_edges) == {("s", "y"), ("f", "y")}
    stepper.backward_step()
    stepper.backward_step()                                # through f = c / a
    a = 6.0
    assert f"× {fmt(-math.sin(math.log(2)) / a ** 2)}" in stepper.message
    stepper.reset_button.click()
    assert stepper.graph.nodes["a"].value is None and stepper.graph.nodes["x"].grad is None
    assert not stepper.forward_button.disabled and stepper.backward_button.disabled


def test_stepper_names_an_operation_that_raises_not_implemented():
    stepper = lecture_example_stepper({**OPS, "Log": UnfinishedLog}, autorender=False)
    stepper.forward_step()
    report = stepper.forward_step()                      # b = log x
    assert report.phase == "error" and stepper.error == "Log"
    assert "Log.forward" in stepper.label.value and "NotImplementedError" in stepper.label.value
    assert stepper.graph.nodes["b"].value is None and not stepper.forward_button.disabled

    stepper = lecture_example_stepper({**OPS, "Sin": UnfinishedSin}, autorender=False)
    stepper.run_forward()
    stepper.run_backward()
    assert stepper.error == "Sin" and "Sin.backward" in stepper.message


def test_stepper_names_a_missing_class():
    stepper = lecture_example_stepper({k: v for k, v in OPS.items() if k != "Divide"},
                                      autorender=False)
    stepper.run_forward()
    assert stepper.error == "Divide" and "class Divide is missing" in stepper.label.value


def test_stepper_reports_a_backward_without_a_tuple():
    class BareExp(Exp):
        def backward(self, g):
            return g * math.exp(self.inputs[0])            # not a tuple

    stepper = lecture_example_stepper({**OPS, "Exp": BareExp}, autorender=False)
    stepper.run_backward()
    assert stepper.error == "Exp" and "tuple" in stepper.message


def test_changing_an_input_resets_the_passes():
    stepper = lecture_example_stepper(OPS, backward_pass=solutions.backward_pass)
    stepper.run_backward()
    image = stepper.image.value
    stepper.inputs["x"].value = 3.0
    assert stepper.graph.nodes["y"].value is None and stepper.image.value != image
    assert "x = 3" in stepper.label.value
    stepper.run_backward()
    assert stepper.graph.nodes["z"].grad == pytest.approx(
        central(lambda z: lecture_y(3.0, z), 3.0), rel=1e-6)


def test_stepper_works_on_a_graph_the_student_builds():
    from backproplab.compgraph import Graph
    g = Graph().input("u", 1.5).input("v", 0.5)
    g.node("w", Multiply(), "u", "v").node("o", Sin(), "w")
    stepper = GraphStepper(g, autorender=False)
    stepper.run_backward()
    assert g.nodes["u"].grad == pytest.approx(math.cos(0.75) * 0.5)
    assert g.nodes["v"].grad == pytest.approx(math.cos(0.75) * 1.5)


def test_the_stepper_works_with_the_reference_classes_too():
    stepper = lecture_example_stepper(solutions, autorender=False,
                                      backward_pass=solutions.backward_pass)
    stepper.run_backward()
    y, dx, dz = solutions.example_forward_backward(2.0, 3.0)
    assert stepper.graph.nodes["x"].grad == pytest.approx(dx, rel=1e-12)
    assert stepper.graph.nodes["z"].grad == pytest.approx(dz, rel=1e-12)


def test_without_a_backward_pass_the_stepper_stops_at_the_first_node_used_twice():
    """The graph never adds shares (that is backward_pass's job, graded in hw1): it steps
    through y, s, f, e, d and c, whose gradient is their single user's share, and stops at b,
    used by c and e, naming both shares and what to do."""
    stepper = lecture_example_stepper(OPS, autorender=False)
    stepper.run_forward()
    for node in ("y", "s", "f", "e", "d", "c"):
        assert stepper.backward_step().phase == "backward", stepper.message
        assert stepper.graph.current == node
    report = stepper.backward_step()
    assert report.phase == "error" and stepper.graph.current == "b"
    assert "b is used by 2 nodes (c, e)" in stepper.message and "backward_pass" in stepper.message
    assert all(stepper.graph.nodes[n].grad is None for n in ("b", "a", "x"))
    assert stepper.graph.backward() is None


def test_with_a_backward_pass_the_stepper_shows_its_gradients_right_or_wrong():
    def overwriting_backward_pass(nodes, output):  # the classic bug: = instead of +=
        order = solutions.topological_order({n: p for n, (_, p) in nodes.items()})
        grads = {output: 1.0}
        for name in reversed(order):
            op, parents = nodes[name]
            if op is not None and name in grads:
                for parent, share in zip(parents, op.backward(grads[name])):
                    grads[parent] = share
        return grads

    right = lecture_example_stepper(OPS, backward_pass=solutions.backward_pass, autorender=False)
    wrong = lecture_example_stepper(OPS, backward_pass=overwriting_backward_pass,
                                    autorender=False)
    for stepper in (right, wrong):
        stepper.run_backward()
        assert "from your backward_pass" in stepper.message
        stepper.backward_step()
        assert "backward pass done" in stepper.message
    dx = central(lambda x: lecture_y(x, 3.0), 2.0)
    assert right.graph.nodes["x"].grad == pytest.approx(dx, rel=1e-6)
    assert wrong.graph.nodes["x"].grad != pytest.approx(dx, rel=1e-3)


# ============================================================== playground

FUNCTIONS = {name: getattr(solutions, name) for name in (
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "tanh_forward",
    "tanh_backward", "sigmoid_forward", "sigmoid_backward", "leaky_relu_forward",
    "leaky_relu_backward", "softmax_loss", "backprop", "sgd_step", "init_weights",
    "l2_penalty", "dropout_forward", "dropout_backward")}


def playground(functions=FUNCTIONS, **kwargs):
    options = dict(n_points=120, resolution=25, dpi=40, update_every=2, width=12,
                   autorender=False)
    options.update(kwargs)
    return Playground(functions, **options)


def epoch_losses(pg):
    loss = np.array(pg.history.loss)
    per_epoch = len(loss) // pg.epoch
    return loss.reshape(pg.epoch, per_epoch).mean(axis=1)


def test_headless_step_trains_on_moons_with_the_students_functions():
    pg = playground(lr=0.3)
    assert pg.step(12)
    losses = epoch_losses(pg)
    assert losses[-1] < 0.6 * losses[0]
    assert pg.history.train_acc[-1] > 0.8 and len(pg.history.val_loss) == 12
    assert "epoch 12" in pg.status.value and pg.error is None


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky relu"])
def test_every_activation_trains(activation):
    pg = playground(activation=activation, lr=0.5, init="xavier", depth=1)
    assert pg.step(6)
    assert pg.history.val_loss[-1] < pg.history.val_loss[0]


def test_l2_and_dropout_use_the_students_functions():
    calls = []

    def counted(name):
        def call(*args, **kwargs):
            calls.append(name)
            return FUNCTIONS[name](*args, **kwargs)
        return call

    functions = {**FUNCTIONS, "l2_penalty": counted("l2_penalty"),
                 "dropout_forward": counted("dropout_forward")}
    pg = playground(functions, l2=1e-3, dropout=0.2, lr=0.3)
    assert pg.step(4)
    assert "l2_penalty" in calls and "dropout_forward" in calls
    assert epoch_losses(pg)[-1] < epoch_losses(pg)[0]


def test_a_missing_function_is_named():
    functions = {k: v for k, v in FUNCTIONS.items() if k != "relu_backward"}
    pg = playground(functions)
    assert "relu_backward" in pg.status.value and pg.error == "relu_backward"
    assert not pg.step(1)
    pg.activation_dropdown.value = "tanh"                  # tanh is all there
    assert pg.error is None and pg.step(1)


def test_a_function_raising_not_implemented_is_named():
    def softmax_loss(x, y):
        raise NotImplementedError

    pg = playground({**FUNCTIONS, "softmax_loss": softmax_loss})
    assert not pg.step(1)
    assert pg.error == "softmax_loss" and "softmax_loss" in pg.status.value


def test_a_layer_raising_inside_backprop_is_named():
    def affine_backward(dout, cache):
        raise NotImplementedError

    pg = playground({**FUNCTIONS, "affine_backward": affine_backward})
    assert not pg.step(1) and pg.error == "affine_backward"


def test_optional_functions_are_asked_for_only_when_used():
    basic = {k: v for k, v in FUNCTIONS.items()
             if k not in ("init_weights", "l2_penalty", "dropout_forward", "dropout_backward")}
    pg = playground(basic)
    assert pg.init_dropdown.value == "small" and pg.step(1)
    pg.dropout_slider.value = 0.3
    assert pg.error == "dropout_forward" and "dropout_forward" in pg.status.value
    pg.dropout_slider.value = 0.0
    pg.l2_slider.value = 1e-3
    assert pg.error == "l2_penalty"
    pg.l2_slider.value = 0.0
    pg.init_dropdown.value = "he"
    assert pg.error == "init_weights" and not pg.step(1)


def test_a_diverging_run_says_so():
    pg = playground(lr=10 ** 0.5, init="normal", width=32)
    pg.step(30)
    if pg.error:                                            # diverged: it says what to do
        assert pg.error == "loss" and "learning rate" in pg.status.value


def test_slider_changes_react():
    pg = playground(autorender=True)
    pg.step(2)
    status, image = pg.status.value, pg.image.value
    pg.lr_slider.value = 0.01                               # a setting: no new network
    assert pg.status.value != status and "learning rate" in pg.status.value
    assert pg.epoch == 2
    pg.width_slider.value = 8                               # the structure: a new network
    assert pg.epoch == 0 and pg.history.loss == [] and pg.image.value != image
    assert pg.params[0].shape == (2, 8) and "width = 8" in pg.status.value
    pg.dataset_dropdown.value = "spirals"
    assert pg.n_classes == 3 and pg.params[-1].shape == (3,)
    assert pg.step(1)


def test_train_button_trains_in_the_background_and_stop_stops():
    pg = playground(epochs=4, autorender=True)
    image = pg.image.value
    pg.train_button.click()                                 # no event loop here: a thread
    assert pg.wait(30) and pg.epoch == 4
    assert pg.image.value != image and "done" in pg.status.value
    assert pg.progress.value == pg.progress.max == 4
    assert not pg.train_button.disabled and pg.stop_button.disabled
    pg.epochs_box.value = 10000
    pg.train_button.click()
    assert pg.running and pg.stop_button.disabled is False
    pg.stop_button.click()
    assert not pg.running and "stopped at epoch" in pg.status.value
    assert 4 < pg.epoch < 10004
    pg.reset_button.click()
    assert pg.epoch == 0 and pg.history.loss == []


def test_in_an_event_loop_training_is_a_task_that_yields():
    pg = playground(epochs=10000)

    async def main():
        pg.train_button.click()
        assert pg._task is not None and pg.running
        seen = []
        while pg.running and len(seen) < 2000:
            seen.append(pg.epoch)
            await asyncio.sleep(0.002)                      # the "kernel" gets a turn
            if pg.epoch >= 6:
                pg.stop_button.click()
        return seen

    seen = asyncio.run(main())
    assert 0 in seen and any(0 < e < 6 for e in seen)     # it ran while we were looking
    assert "stopped at epoch" in pg.status.value and 6 <= pg.epoch < 10


def test_train_shows_a_progress_bar(capsys):
    pg = playground()
    assert pg.train(3, progress=True)
    err = capsys.readouterr().err
    assert "playground" in err and "loss=" in err


def test_the_playground_takes_one_full_batch_step_per_epoch_or_runs_your_train_epoch():
    calls = []

    def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
        calls.append((len(x), batch_size))
        return solutions.train_epoch(params, x, y, grad_fn, lr, batch_size, rng)

    pg = playground(n_points=100, batch_size=25)
    assert pg.step(3) and len(pg.history.loss) == 3          # full batch: one loss per epoch
    assert "train_epoch" not in pg.needed()
    pg = playground({**FUNCTIONS, "train_epoch": train_epoch}, n_points=100, batch_size=25)
    assert "train_epoch" in pg.needed() and "sgd_step" not in pg.needed()
    assert pg.step(3) and calls == [(100, 25)] * 3 and len(pg.history.loss) == 3 * 4
