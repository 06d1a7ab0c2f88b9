"""Interactive widgets (ipywidgets 8) that run YOUR code.

- ``GraphStepper``: step through a computation graph one node at a time, forward then
  backward; the picture highlights the node of the step and writes
  ``upstream × local = share`` on the edges the backward pass went through.
  ``lecture_example_stepper(ops)`` builds it for the lecture's example from your classes.
- ``Playground``: train a small network on a 2-D data set with your own layer functions and
  watch the loss curve and the decision boundary change while it trains.

Both can be driven without a browser (``forward_step()``, ``step(n)``...), which is how the
tests use them. Pictures are PNG images rendered with matplotlib (no Graphviz needed).
"""
import asyncio
import functools
import html
import io
import threading
import time
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from .compgraph import draw_graph, graph_figsize, lecture_example_graph
from .data import make_circles, make_moons, make_spirals
from .training import History, scores

__all__ = ["GraphStepper", "lecture_example_stepper", "Playground", "PlaygroundHistory",
           "FunctionMissing", "FunctionFailed", "ACTIVATIONS", "DATASETS"]


def render_png(fig, dpi=80):
    """The figure as PNG bytes (for a ``widgets.Image``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _status_html(message, kind="info"):
    color = {"info": "#222", "error": "#b2182b", "ok": "#1a7f37"}[kind]
    return f'<span style="color:{color}">{html.escape(message)}</span>'


class _Displayable:
    """Shows ``self.widget`` when the object is the last expression of a cell."""

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# ============================================================================ graph stepper

class GraphStepper(_Displayable):
    """Buttons "forward step", "backward step" and "reset" over a ``compgraph.Graph``.

    ``label`` says what the last step did (or which of your classes is missing or raised),
    ``image`` shows the graph, ``figure`` is the last matplotlib figure drawn. Scalar
    inputs of the graph get a number box each (``inputs[name]``); changing one resets the
    passes. ``autorender=False`` skips the drawing after each step (call ``render()``).
    ``backward_pass``: your function of assignment 1 (section 6.2); the gradient of a node
    used several times comes from it (the stepper never adds shares up itself).
    """

    def __init__(self, graph, edge_labels="done", dpi=80, autorender=True, backward_pass=None):
        self.graph = graph
        if backward_pass is not None:
            graph.backward_pass = backward_pass
        self.edge_labels = edge_labels
        self.dpi = dpi
        self.autorender = autorender
        self.figure = None
        layout = widgets.Layout(width="auto")
        self.forward_button = widgets.Button(description="forward step", icon="arrow-right",
                                             layout=layout)
        self.backward_button = widgets.Button(description="backward step", icon="arrow-left",
                                              layout=layout)
        self.reset_button = widgets.Button(description="reset", icon="refresh", layout=layout)
        self.forward_button.on_click(lambda _: self.forward_step())
        self.backward_button.on_click(lambda _: self.backward_step())
        self.reset_button.on_click(lambda _: self.reset())
        self.inputs = {}
        for name, node in graph.nodes.items():
            if node.is_input and isinstance(node.value, (int, float, np.floating)):
                box = widgets.FloatText(value=float(node.value), description=name,
                                        layout=widgets.Layout(width="140px"),
                                        style={"description_width": "20px"})
                box.observe(functools.partial(self._input_changed, name), names="value")
                self.inputs[name] = box
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([
            widgets.HBox([self.forward_button, self.backward_button, self.reset_button,
                          *self.inputs.values()]),
            self.label, self.image])
        self._show(graph.last)

    @property
    def message(self):
        return self.graph.last.message

    @property
    def error(self):
        """The name of the class at fault in the last step, or None."""
        return self.graph.last.error

    def forward_step(self):
        return self._show(self.graph.forward_step())

    def backward_step(self):
        return self._show(self.graph.backward_step())

    def reset(self):
        self.graph.reset()
        return self._show(self.graph.last)

    def run_forward(self):
        """Forward steps until the end of the pass (or an error)."""
        while not self.graph.forward_finished:
            if self.graph.forward_step().phase == "error":
                break
        return self._show(self.graph.last)

    def run_backward(self):
        """Forward (if needed) then backward steps until the end (or an error)."""
        self.graph.backward()
        return self._show(self.graph.last)

    def _input_changed(self, name, change):
        self.graph.set_inputs(**{name: float(change["new"])})
        self.graph.last.message = f"{name} = {change['new']:.4g}: press forward step"
        self._show(self.graph.last)

    def _show(self, report):
        kind = "error" if report.phase == "error" else ("ok" if report.phase == "done"
                                                        else "info")
        self.label.value = _status_html(report.message, kind)
        self.forward_button.disabled = self.graph.forward_finished
        self.backward_button.disabled = (not self.graph.forward_finished
                                         or self.graph.backward_finished)
        if self.autorender:
            self.render()
        return report

    def render(self):
        fig = Figure(figsize=graph_figsize(self.graph))
        ax = fig.add_axes((0, 0, 1, 1))
        draw_graph(self.graph, ax, edge_labels=self.edge_labels)
        self.figure = fig
        self.image.value = render_png(fig, self.dpi)
        return fig


def lecture_example_stepper(ops, x=2.0, z=3.0, backward_pass=None, **kwargs):
    """A ``GraphStepper`` over the lecture's ``y = exp(xz) + xz/log(x) + sin(log(x))/(xz)``
    built from your classes: ``ops = {"Add": Add, "Multiply": Multiply, "Divide": Divide,
    "Exp": Exp, "Log": Log, "Sin": Sin}`` (or a module holding them), and with your
    ``backward_pass`` for the nodes used several times (x, a and b)."""
    return GraphStepper(lecture_example_graph(ops, x, z, backward_pass), **kwargs)


# ============================================================================ playground

ACTIVATIONS = {"relu": ("relu_forward", "relu_backward"),
               "tanh": ("tanh_forward", "tanh_backward"),
               "sigmoid": ("sigmoid_forward", "sigmoid_backward"),
               "leaky relu": ("leaky_relu_forward", "leaky_relu_backward")}
DATASETS = {"moons": lambda n, seed: make_moons(n, noise=0.2, seed=seed),
            "circles": lambda n, seed: make_circles(n, noise=0.1, factor=0.5, seed=seed),
            "spirals": lambda n, seed: make_spirals(n, n_classes=3, noise=0.2, seed=seed)}
INITS = ("small", "normal", "xavier", "he")
L2_VALUES = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
KNOWN_FUNCTIONS = ("affine_forward", "affine_backward", *(n for pair in ACTIVATIONS.values()
                                                          for n in pair),
                   "softmax_loss", "backprop", "sgd_step", "init_weights", "l2_penalty",
                   "dropout_forward", "dropout_backward", "train_epoch")
WHERE = {"init_weights": "hw4", "l2_penalty": "hw4", "dropout_forward": "hw4",
         "dropout_backward": "hw4", "sgd_step": "hw4", "train_epoch": "hw4"}


class FunctionMissing(NotImplementedError):
    """One of your functions is not there yet (absent, or it raised NotImplementedError)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class FunctionFailed(Exception):
    """One of your functions raised an exception."""

    def __init__(self, name, exc):
        super().__init__(f"{name} raised {type(exc).__name__}: {exc}")
        self.name = name
        self.exc = exc


def _named(name, fn):
    """``fn`` that turns its own errors into FunctionMissing / FunctionFailed naming it."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (FunctionMissing, FunctionFailed):
            raise
        except NotImplementedError:
            raise FunctionMissing(name) from None
        except Exception as exc:
            raise FunctionFailed(name, exc) from exc
    return call


@dataclass
class PlaygroundHistory(History):
    """``History`` plus the validation loss of every epoch."""

    val_loss: list = field(default_factory=list)


class Playground(_Displayable):
    """Train a small classifier on a 2-D data set with YOUR functions.

    ``functions`` is a dict (or a module / namespace) of your functions, by their contract
    names: ``affine_forward``, ``affine_backward``, the forward/backward pair of the chosen
    activation (``relu_*``, ``tanh_*``, ``sigmoid_*``, ``leaky_relu_*``), ``softmax_loss``,
    ``backprop`` and the update rule ``sgd_step(params, grads, lr)`` (before assignment 4,
    pass your one-line gradient-descent update under that name). Needed only when used:
    ``init_weights`` (initialization other than "small", which is 0.1 N(0, 1)),
    ``l2_penalty`` (L2 > 0), ``dropout_forward`` / ``dropout_backward`` (dropout > 0).
    Optional: ``train_epoch`` (assignment 4).

    The network: ``depth`` times (affine, activation[, dropout]), then an affine layer to
    the class scores. An epoch is one step of your update rule on the gradient of the whole
    data set (full-batch gradient descent), or, when you pass your ``train_epoch``, one call
    of it with mini-batches of ``batch_size`` (your epoch draws them). Controls: data set,
    depth, width, activation, learning rate (log slider), initialization, L2, dropout,
    number of epochs, and the buttons train / stop / reset. Training runs in small chunks
    (``update_every`` epochs, then the picture is redrawn) as an asyncio task in Jupyter
    (or a thread elsewhere), so the notebook stays responsive and "stop" works.

    Headless: ``step(n)`` trains n epochs now (``autorender=False``: no redraw unless
    ``render()`` is called, except in background runs); ``train(epochs)`` too, with a tqdm bar;
    ``history``, ``status`` (an HTML widget), ``error`` (the name of the function at fault).
    """

    def __init__(self, functions, dataset="moons", depth=2, width=16, activation="relu",
                 lr=0.1, init=None, l2=0.0, dropout=0.0, epochs=200, batch_size=32,
                 n_points=300, update_every=5, seed=0, resolution=80, dpi=72,
                 autorender=True):
        self.functions = {}
        for name in KNOWN_FUNCTIONS:
            fn = functions.get(name) if isinstance(functions, dict) else getattr(
                functions, name, None)
            if fn is not None:
                self.functions[name] = fn
        self.batch_size, self.n_points, self.seed = batch_size, n_points, seed
        self.update_every, self.resolution, self.dpi = update_every, resolution, dpi
        self.autorender = autorender
        if init is None:
            init = "he" if "init_weights" in self.functions else "small"
        self._lock = threading.RLock()
        self._generation = 0       # a background run goes on while this is unchanged
        self._task = self._thread = None
        self.running = False
        self.error = None
        self.figure = None
        style = {"description_width": "110px"}
        wide = widgets.Layout(width="340px")
        self.dataset_dropdown = widgets.Dropdown(options=list(DATASETS), value=dataset,
                                                 description="data set", style=style,
                                                 layout=wide)
        self.depth_slider = widgets.IntSlider(value=depth, min=1, max=5,
                                              description="hidden layers", style=style,
                                              layout=wide)
        self.width_slider = widgets.IntSlider(value=width, min=2, max=64,
                                              description="width", style=style, layout=wide)
        self.activation_dropdown = widgets.Dropdown(options=list(ACTIVATIONS),
                                                    value=activation, description="activation",
                                                    style=style, layout=wide)
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05,
                                                description="learning rate", style=style,
                                                readout_format=".2g", layout=wide)
        self.init_dropdown = widgets.Dropdown(options=list(INITS), value=init,
                                              description="initialization", style=style,
                                              layout=wide)
        self.l2_slider = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in L2_VALUES], value=min(L2_VALUES,
                                                                   key=lambda v: abs(v - l2)),
            description="L2", style=style, layout=wide)
        self.dropout_slider = widgets.FloatSlider(value=dropout, min=0.0, max=0.8, step=0.05,
                                                  description="dropout p", style=style,
                                                  layout=wide)
        self.epochs_box = widgets.BoundedIntText(value=epochs, min=1, max=100000,
                                                 description="epochs", style=style,
                                                 layout=wide)
        self.train_button = widgets.Button(description="train", icon="play",
                                           button_style="success")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True)
        self.reset_button = widgets.Button(description="reset", icon="refresh")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="",
                                            layout=widgets.Layout(width="340px"))
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.train_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop(user=True))
        self.reset_button.on_click(lambda _: self.rebuild("reset"))
        for control in (self.dataset_dropdown, self.depth_slider, self.width_slider,
                        self.activation_dropdown, self.init_dropdown):
            control.observe(self._structure_changed, names="value")
        for control in (self.lr_slider, self.l2_slider, self.dropout_slider):
            control.observe(self._setting_changed, names="value")
        controls = widgets.VBox([self.dataset_dropdown, self.depth_slider, self.width_slider,
                                 self.activation_dropdown, self.init_dropdown, self.lr_slider,
                                 self.l2_slider, self.dropout_slider, self.epochs_box,
                                 widgets.HBox([self.train_button, self.stop_button,
                                               self.reset_button]),
                                 self.progress])
        self.widget = widgets.VBox([widgets.HBox([controls, self.image]), self.status])
        self.rebuild()

    # ------------------------------------------------------------------ settings
    @property
    def settings(self):
        return dict(dataset=self.dataset_dropdown.value, depth=self.depth_slider.value,
                    width=self.width_slider.value, activation=self.activation_dropdown.value,
                    lr=self.lr_slider.value, init=self.init_dropdown.value,
                    l2=self.l2_slider.value, dropout=self.dropout_slider.value)

    def needed(self):
        """The names of your functions the current settings use."""
        s = self.settings
        names = ["affine_forward", "affine_backward", *ACTIVATIONS[s["activation"]],
                 "softmax_loss", "backprop",
                 "train_epoch" if "train_epoch" in self.functions else "sgd_step"]
        if s["init"] != "small":
            names.append("init_weights")
        if s["l2"] > 0:
            names.append("l2_penalty")
        if s["dropout"] > 0:
            names += ["dropout_forward", "dropout_backward"]
        return names

    def missing(self):
        return [n for n in self.needed() if n not in self.functions]

    def _say(self, message, kind="info"):
        self.status.value = _status_html(message, kind)

    def _report_missing(self, name):
        self.error = name
        where = f" ({WHERE[name]})" if name in WHERE else ""
        self._say(f"{name} is missing or not implemented yet{where}: write it, run its cell "
                  f"and pass it in", "error")

    def _structure_changed(self, change):
        self.rebuild(f"{change['owner'].description} = {change['new']}")

    def _setting_changed(self, change):
        value = change["new"]
        text = f"{value:.3g}" if isinstance(value, float) else str(value)
        absent = self.missing()
        if absent:
            self._report_missing(absent[0])
            return
        self.error = None
        self._say(f"{change['owner'].description} = {text}: used from the next step "
                  f"(epoch {self.epoch})")

    # ------------------------------------------------------------------ network
    def rebuild(self, reason="new network"):
        """New data (for the chosen set) and a freshly initialized network; forgets the
        history. Stops a training run first."""
        self.stop(wait=True)
        with self._lock:
            s = self.settings
            make = DATASETS[s["dataset"]]
            self.X, self.y = make(self.n_points, self.seed)
            self.X_val, self.y_val = make(self.n_points // 2, self.seed + 1)
            self.n_classes = int(self.y.max()) + 1
            self.history = PlaygroundHistory()
            self.epoch = 0
            self.error = None
            self.params = None
            self._batch_rng = np.random.default_rng(self.seed + 2)
            self._dropout_rng = np.random.default_rng(self.seed + 3)
            self._wrapped = {n: _named(n, f) for n, f in self.functions.items()}
            sizes = [2] + [s["width"]] * s["depth"] + [self.n_classes]
            absent = self.missing()
            if absent:
                self._report_missing(absent[0])
            else:
                try:
                    self.params = self._init_params(sizes, s["init"])
                except (FunctionMissing, FunctionFailed) as exc:
                    self._fail(exc)
                else:
                    self._say(f"{reason}: {s['depth']} hidden layer(s) of {s['width']} "
                              f"{s['activation']} units on {s['dataset']}; press train")
            self.progress.value, self.progress.max = 0, 1
            if self.autorender:
                self.render()

    def _init_params(self, sizes, scheme):
        rng = np.random.default_rng(self.seed)
        params = []
        for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
            if scheme == "small":
                w = 0.1 * rng.standard_normal((fan_in, fan_out))
            else:
                w = np.asarray(self._wrapped["init_weights"](fan_in, fan_out, scheme, rng),
                               dtype=float)
                if w.shape != (fan_in, fan_out):
                    raise FunctionFailed("init_weights", ValueError(
                        f"returned shape {w.shape}, expected {(fan_in, fan_out)}"))
            params += [w, np.zeros(fan_out)]
        return params

    def layers(self, train=True, params=None):
        """The network as a list of ``(forward, backward, params)`` made of your functions
        (dropout only when training), with ``params`` (default: the current ones)."""
        s, F = self.settings, self._wrapped
        params = self.params if params is None else params
        act_forward, act_backward = ACTIVATIONS[s["activation"]]
        p = s["dropout"]
        layers = []
        for i in range(0, len(params) - 2, 2):
            layers.append((F["affine_forward"], F["affine_backward"],
                           (params[i], params[i + 1])))
            layers.append((F[act_forward], F[act_backward], ()))
            if train and p > 0:
                layers.append((self._dropout_layer(p), F["dropout_backward"], ()))
        layers.append((F["affine_forward"], F["affine_backward"], tuple(params[-2:])))
        return layers

    def _dropout_layer(self, p):
        dropout_forward, rng = self._wrapped["dropout_forward"], self._dropout_rng

        def forward(x):
            return dropout_forward(x, p, True, rng)
        forward.__name__ = "dropout_forward"
        return forward

    def predict_scores(self, X):
        """Class scores (N, C) of the current network (no dropout)."""
        return scores(self.layers(train=False), X)

    # ------------------------------------------------------------------ training
    def _fail(self, exc):
        if isinstance(exc, FunctionMissing):
            self._report_missing(exc.name)
        else:
            self.error = exc.name
            self._say(str(exc), "error")

    def _gradient(self, params, xb, yb, s):
        """(loss, one gradient per param) of the network with ``params`` on a batch: your
        backprop and softmax_loss, plus your l2_penalty on the weight matrices when L2 > 0."""
        F = self._wrapped
        loss, grads = F["backprop"](self.layers(train=True, params=params), xb, yb,
                                    F["softmax_loss"])
        flat = [g for layer_grads in grads for g in layer_grads]
        if len(flat) != len(params):
            raise FunctionFailed("backprop", ValueError(
                f"returned {len(flat)} parameter gradients, expected {len(params)} "
                f"(one tuple per layer, empty for a layer without params)"))
        if s["l2"] > 0:
            weights = params[0::2]
            reg_loss, reg_grads = F["l2_penalty"](weights, s["l2"])
            loss = loss + reg_loss
            for k, g in enumerate(reg_grads):
                flat[2 * k] = flat[2 * k] + g
        return loss, flat

    def _epoch(self, s):
        """One epoch: your train_epoch if you gave it, else one full-batch step of your
        update rule. Returns the losses it recorded."""
        F = self._wrapped
        if "train_epoch" in F:
            new_params, losses = F["train_epoch"](
                self.params, self.X, self.y, lambda p, xb, yb: self._gradient(p, xb, yb, s),
                s["lr"], self.batch_size, self._batch_rng)
            losses = [float(v) for v in losses]
        else:
            loss, flat = self._gradient(self.params, self.X, self.y, s)
            new_params = F["sgd_step"](self.params, flat, s["lr"])
            losses = [float(loss)]
        new_params = [np.asarray(p, dtype=float) for p in new_params]
        if len(new_params) != len(self.params):
            name = "train_epoch" if "train_epoch" in F else "sgd_step"
            raise FunctionFailed(name, ValueError(
                f"returned {len(new_params)} arrays for {len(self.params)} params"))
        self.params = new_params
        return losses

    def _end_epoch(self):
        F = self._wrapped
        h = self.history
        train_scores = self.predict_scores(self.X)
        val_scores = self.predict_scores(self.X_val)
        h.train_acc.append(float(np.mean(np.argmax(train_scores, axis=1) == self.y)))
        h.val_acc.append(float(np.mean(np.argmax(val_scores, axis=1) == self.y_val)))
        h.val_loss.append(float(F["softmax_loss"](val_scores, self.y_val)[0]))
        self.epoch += 1

    def step(self, n=1, draw=None):
        """Train ``n`` epochs now with your functions (see the class), then redraw (``draw``,
        default ``autorender``). Returns True if it went well; otherwise ``status`` and
        ``error`` say what's wrong."""
        draw = self.autorender if draw is None else draw
        with self._lock:
            absent = self.missing()
            if absent:
                self._report_missing(absent[0])
                return False
            if self.params is None:          # a function was missing when it was built
                self.rebuild()
                if self.params is None:
                    return False
            s = self.settings
            self.error = None
            try:
                for _ in range(n):
                    losses = self._epoch(s)
                    self.history.loss.extend(losses)
                    bad = [loss for loss in losses if not np.isfinite(loss)]
                    if bad:
                        self.error = "loss"
                        self._say(f"the loss became {bad[0]} at epoch {self.epoch + 1}: "
                                  f"try a smaller learning rate, then reset", "error")
                        return False
                    self._end_epoch()
            except (FunctionMissing, FunctionFailed) as exc:
                self._fail(exc)
                return False
            finally:
                if draw:
                    self.render()
            self._say(self._summary())
            return True

    def _summary(self):
        h = self.history
        if not h.val_loss:
            return f"epoch {self.epoch}"
        return (f"epoch {self.epoch} · loss {h.loss[-1]:.4f} · validation loss "
                f"{h.val_loss[-1]:.4f} · train accuracy {h.train_acc[-1]:.3f} · validation "
                f"accuracy {h.val_acc[-1]:.3f}")

    def train(self, epochs=None, progress=True):
        """Train ``epochs`` more epochs now (blocking), with a tqdm progress bar showing the
        loss (terminal or JupyterLab). Returns True if it went well."""
        epochs = self.epochs_box.value if epochs is None else epochs
        bar = tqdm(range(epochs), desc="playground", disable=not progress, leave=False)
        for done in bar:
            draw = self.autorender and ((done + 1) % self.update_every == 0
                                        or done + 1 == epochs)
            if not self.step(1, draw=draw):
                return False
            bar.set_postfix(loss=f"{self.history.loss[-1]:.4f}",
                            val_acc=f"{self.history.val_acc[-1]:.3f}")
        return True

    # ------------------------------------------------------------------ background runs
    def start(self, epochs=None):
        """Train ``epochs`` (default: the epochs box) more epochs in the background, in
        chunks of ``update_every`` epochs with a redraw after each. In a running asyncio
        loop (Jupyter) this is a task on that loop, otherwise a thread."""
        if self.running:
            return None
        epochs = self.epochs_box.value if epochs is None else epochs
        target = self.epoch + epochs
        generation = self._generation
        self._set_running(True, target)
        self._say(f"training from epoch {self.epoch} to {target}...")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            self._task = loop.create_task(self._run_async(target, generation))
            return self._task
        self._thread = threading.Thread(target=self._run_thread, args=(target, generation),
                                        daemon=True)
        self._thread.start()
        return self._thread

    def _chunk(self, target, start, generation):
        """One chunk of a background run; False when the run is over."""
        if generation != self._generation or self.epoch >= target:
            return False
        ok = self.step(min(self.update_every, target - self.epoch), draw=True)
        if generation != self._generation:
            return False
        self.progress.value = self.epoch - start
        return ok and self.epoch < target

    async def _run_async(self, target, generation):
        start = self.epoch
        try:
            while self._chunk(target, start, generation):
                await asyncio.sleep(0.01)    # let the kernel handle clicks between chunks
        finally:
            self._finish(generation)

    def _run_thread(self, target, generation):
        start = self.epoch
        try:
            while self._chunk(target, start, generation):
                time.sleep(0.01)
        finally:
            self._finish(generation)

    def _set_running(self, running, target=None):
        self.running = running
        self.train_button.disabled = running
        self.stop_button.disabled = not running
        if running:
            self.progress.max = max(target - self.epoch, 1)
            self.progress.value = 0

    def _finish(self, generation):
        if generation != self._generation:   # stopped, or superseded: stop() did the rest
            return
        self._set_running(False)
        if self.error is None and self.history.val_loss:
            self._say(self._summary() + " · done", "ok")

    def stop(self, wait=True, timeout=10.0, user=False):
        """Stop a background run after its current chunk (with ``wait``, a thread run is
        waited for). ``user`` (the stop button) makes the status say so."""
        was_running = self.running
        self._generation += 1
        if wait and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._set_running(False)
        if user and was_running and self.error is None:
            self._say(f"stopped at epoch {self.epoch}")

    def wait(self, timeout=30.0):
        """Block until a background thread run finishes (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    # ------------------------------------------------------------------ picture
    def render(self):
        """Redraw the loss curve and the decision boundary into ``image``."""
        from .plots import plot_decision_boundary, plot_loss

        with self._lock:
            fig = Figure(figsize=(9.5, 3.8), layout="constrained")
            ax_loss, ax_boundary = fig.subplots(1, 2)
            if self.history.loss:
                plot_loss(self.history, ax_loss)
            else:
                ax_loss.set(title="loss", xlabel="epoch", ylabel="loss")
                ax_loss.text(0.5, 0.5, "press train", ha="center", va="center",
                             transform=ax_loss.transAxes, color="0.5")
            drawn = False
            if self.params is not None:
                try:
                    plot_decision_boundary(self.predict_scores, self.X, self.y, ax_boundary,
                                           resolution=self.resolution,
                                           title=f"epoch {self.epoch}")
                    drawn = True
                except (FunctionMissing, FunctionFailed) as exc:
                    self._fail(exc)
            if not drawn:
                ax_boundary.scatter(self.X[:, 0], self.X[:, 1], c=self.y, cmap="coolwarm",
                                    s=12, edgecolors="k", linewidths=0.3)
                ax_boundary.set(title=self.dataset_dropdown.value, xticks=[], yticks=[])
            self.figure = fig
            self.image.value = render_png(fig, self.dpi)
            return fig


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
