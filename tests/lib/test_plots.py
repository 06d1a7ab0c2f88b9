"""backproplab.plots and the computation-graph drawing: every picture draws and holds the
artists it promises (lines, labels, log axes, the text of every value and gradient)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backproplab import plots  # noqa: E402
from backproplab.compgraph import (  # noqa: E402
    Graph, draw_graph, edge_routes, fmt, layered_layout, lecture_example_graph,
)
from backproplab.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(epochs=5, steps=4, val_loss=False):
    rng = np.random.default_rng(0)
    h = History(loss=list(np.exp(-np.linspace(0, 2, epochs * steps)) + 0.01 * rng.random(
        epochs * steps)), train_acc=list(np.linspace(0.6, 0.95, epochs)),
        val_acc=list(np.linspace(0.55, 0.9, epochs)))
    if val_loss:
        h.val_loss = list(np.exp(-np.linspace(0, 1.5, epochs)))
    return h


def labels(ax):
    return [line.get_label() for line in ax.get_lines()]


# ------------------------------------------------------------------ training curves

def test_history_plots_loss_and_accuracy_for_train_and_validation():
    ax_loss, ax_acc = plots.plot_history(history(val_loss=True))
    assert labels(ax_loss) == ["train (each step)", "train (epoch mean)", "validation"]
    assert len(ax_loss.get_lines()[0].get_xdata()) == 20
    assert ax_loss.get_lines()[0].get_xdata()[-1] == pytest.approx(5)   # steps in epochs
    assert len(ax_loss.get_lines()[1].get_xdata()) == 5
    assert labels(ax_acc) == ["train", "validation"]
    assert ax_acc.get_xlabel() == "epoch" and ax_acc.get_ylabel() == "accuracy"
    assert ax_loss.get_ylabel() == "loss"
    assert ax_loss.get_legend() is not None and ax_acc.get_legend() is not None


def test_history_without_validation_draws_train_only_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    h = history()
    h.val_acc = []
    got = plots.plot_history(h, axes)
    assert got[0] is axes[0] and got[1] is axes[1]
    assert labels(axes[1]) == ["train"]
    assert "validation" not in labels(axes[0])


def test_loss_goes_log_only_when_it_spans_decades():
    h = history()
    assert plots.plot_loss(h).get_yscale() == "linear"
    h.loss = list(np.logspace(1, -3, 20))
    assert plots.plot_loss(h).get_yscale() == "log"
    assert plots.plot_loss(h, logy=False).get_yscale() == "linear"


# ------------------------------------------------------------------ decision boundary

def two_blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 0.5, (30, 2)), rng.normal(2, 0.5, (30, 2))])
    return X, np.repeat([0, 1], 30)


@pytest.mark.parametrize("predict", [
    lambda P: np.column_stack([-P.sum(axis=1), P.sum(axis=1)]),      # scores (M, 2)
    lambda P: 1 / (1 + np.exp(-P.sum(axis=1))),                        # probabilities (M,)
    lambda P: (P.sum(axis=1) > 0).astype(int),                         # labels
])
def test_decision_boundary_evaluates_on_a_grid_and_shows_the_points(predict):
    X, y = two_blobs()
    calls = []

    def spy(P):
        calls.append(P.shape)
        return predict(P)

    ax = plots.plot_decision_boundary(spy, X, y, resolution=40)
    assert (1600, 2) in calls                               # the whole 40 x 40 grid at once
    assert len(ax.collections) >= 2                         # filled regions + the points
    scatter = [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]
    assert len(scatter) == 1 and len(scatter[0].get_offsets()) == 60
    assert "accuracy 1.00" in ax.get_title()


def test_decision_boundary_takes_a_list_of_layers():
    X, y = two_blobs()
    linear = (lambda x, w: (x @ w, None), None, (np.array([[-1.0, 1.0], [-1.0, 1.0]]),))
    ax = plots.plot_decision_boundary([linear], X, y, resolution=30)
    assert "accuracy 1.00" in ax.get_title()


def test_decision_boundary_with_three_classes():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 3], [-3, -2], [3, -2]])
    X = np.concatenate([rng.normal(c, 0.3, (20, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 20)
    ax = plots.plot_decision_boundary(lambda P: -((P[:, None, :] - centres) ** 2).sum(-1),
                                      X, y, resolution=30)
    assert "accuracy 1.00" in ax.get_title()


# ------------------------------------------------------------------ gradient norms

def test_gradient_norms_one_line_per_layer_on_log_y():
    norms = {f"layer {i}": list(0.5 ** (i * np.linspace(1, 3, 50))) for i in range(4)}
    ax = plots.plot_gradient_norms(norms)
    assert labels(ax) == list(norms)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"


def test_comparison_of_sigmoid_relu_and_residual_shares_a_log_axis():
    runs = {name: {"layer 1": list(np.full(20, s)), "layer 2": list(np.full(20, 10 * s))}
            for name, s in [("sigmoid", 1e-6), ("relu", 1e-2), ("residual", 1.0)]}
    axes = plots.compare_gradient_norms(runs)
    assert [ax.get_title() for ax in axes] == ["sigmoid", "relu", "residual"]
    assert all(ax.get_yscale() == "log" for ax in axes)
    assert all(len(ax.get_lines()) == 2 for ax in axes)
    assert axes[0].get_ylim() == axes[2].get_ylim()                    # shared y


# ------------------------------------------------------------------ histograms

def test_histograms_one_panel_per_array():
    rng = np.random.default_rng(0)
    arrays = {"W1": rng.normal(size=(8, 4)), "W2": rng.normal(size=(4, 3))}
    axes = plots.plot_histograms(arrays, bins=10)
    assert len(axes) == 2
    assert all(len(ax.patches) == 10 for ax in axes)
    assert axes[0].get_title().startswith("W1") and "std" in axes[0].get_title()


def test_weight_and_activation_histograms_of_a_layer_list():
    rng = np.random.default_rng(0)
    affine = lambda x, w, b: (x @ w + b, None)          # noqa: E731 (test-only layers)
    square = lambda x: (x * x, None)                     # noqa: E731
    layers = [(affine, None, (rng.normal(size=(3, 5)), np.zeros(5))),
              (square, None, ()),
              (affine, None, (rng.normal(size=(5, 2)), np.zeros(2)))]
    weights = plots.plot_weight_histograms(layers)
    assert [ax.get_title().split("\n")[0] for ax in weights] == ["W1 (layer 0)",
                                                                  "W2 (layer 2)"]
    X = rng.normal(size=(50, 3))
    acts = plots.plot_activation_histograms(layers, X)
    assert len(acts) == 1 and acts[0].get_title().startswith("layer 1")
    assert len(plots.layer_outputs(layers, X)) == 3


# ------------------------------------------------------------------ finite differences

def test_fd_error_on_log_log_axes_marks_both_regimes():
    hs = np.logspace(-14, -1, 40)
    errors = np.abs((np.exp(1 + hs) - np.exp(1 - hs)) / (2 * hs) - np.e)
    ax = plots.plot_fd_error(hs, errors)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "rounding" in texts and "truncation" in texts
    best = [line for line in ax.get_lines() if line.get_label().startswith("best h")]
    assert len(best) == 1
    assert best[0].get_xdata()[0] == hs[np.argmin(errors)]
    assert 1e-7 < best[0].get_xdata()[0] < 1e-3           # central differences: h ~ eps^(1/3)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ε/h" in t for t in legend) and any("truncation" in t for t in legend)
    assert ax.get_xlabel() == "step h"


# ------------------------------------------------------------------ computation graph

class Op:
    """Test-only operations with the contract's API (never in lib)."""

    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value


class Add(Op):
    forward = staticmethod(lambda a, b: a + b)

    def backward(self, g):
        return g, g


class Mul(Op):
    forward = staticmethod(lambda a, b: a * b)

    def backward(self, g):
        return g * self.inputs[1], g * self.inputs[0]


class Square(Op):
    forward = staticmethod(lambda a: a * a)

    def backward(self, g):
        return (2 * g * self.inputs[0],)


def small_graph():
    """q = (x*y + y)^2 ... with a long edge y -> s."""
    g = Graph().input("x", 2.0).input("y", -3.0)
    g.node("p", Mul(), "x", "y").node("s", Add(), "p", "y").node("q", Square(), "s")
    return g


def test_layers_are_acyclic_and_every_edge_points_right():
    g = small_graph()
    layers = g.layers()
    assert layers == [["x", "y"], ["p"], ["s"], ["q"]]
    where = {n: i for i, layer in enumerate(layers) for n in layer}
    assert all(where[s] < where[t] for s, t in g.edges)
    pos = layered_layout(g)
    assert all(pos[s][0] < pos[t][0] for s, t in g.edges)
    routes = edge_routes(g)
    assert len(routes[("y", "s")]) == 3                 # skips a layer: one bend
    assert all(np.all(np.diff([p[0] for p in r]) > 0) for r in routes.values())


def test_layers_of_the_lecture_example():
    ops = {"Add": Add, "Multiply": Mul}
    g = lecture_example_graph(ops)
    where = {n: i for i, layer in enumerate(g.layers()) for n in layer}
    assert where["x"] == where["z"] == 0 and where["y"] == max(where.values())
    assert all(where[s] < where[t] for s, t in g.edges)
    assert sorted(g.nodes) == sorted("xzabcdefsy")


def test_a_node_needs_its_inputs_first():
    g = Graph().input("x", 1.0)
    with pytest.raises(KeyError):
        g.node("a", Add(), "x", "nope")
    with pytest.raises(ValueError):
        g.input("x", 2.0)


def test_drawn_graph_shows_every_value_and_gradient():
    import solutions  # y is used twice: its gradient comes from a backward_pass
    g = small_graph()
    g.backward_pass = solutions.backward_pass
    grads = g.backward()
    # q = (xy + y)^2 at x=2, y=-3: s = -9, q = 81, dq/dx = 2 s y = 54, dq/dy = 2 s (x+1) = -54
    assert g.nodes["q"].value == 81
    assert grads == {"x": 54.0, "y": -54.0}
    ax = draw_graph(g)
    texts = [t.get_text() for t in ax.texts]
    for name, node in g.nodes.items():
        assert f"{name} = {fmt(node.value)}" in texts
        assert f"∂q/∂{name} = {fmt(node.grad)}" in texts
    # every edge carries upstream x local = share
    assert "-18×-3=54" in texts                      # p -> x: dq/dp = -18, dp/dx = y = -3
    assert sum("×" in t and "=" in t and "∂" not in t for t in texts) == len(g.edges)


def test_drawing_before_any_step_shows_question_marks():
    g = small_graph()
    ax = draw_graph(g)
    texts = [t.get_text() for t in ax.texts]
    assert "p = ?" in texts and "∂q/∂x = ?" in texts and "x = 2" in texts


def test_drawing_highlights_the_current_backward_step():
    g = small_graph()
    g.forward()
    g.backward_step()
    g.backward_step()                             # through s = p + y
    ax = draw_graph(g, edge_labels="current")
    labelled = [t for t in ax.texts if t.get_text().count("=") == 1 and "×" in t.get_text()]
    assert len(labelled) == 2 and all(t.get_fontweight() == "bold" for t in labelled)
    assert plots.draw_graph is draw_graph
