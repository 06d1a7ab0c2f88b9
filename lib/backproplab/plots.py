"""Pictures for the notebooks: training curves, decision boundaries, gradient norms,
histograms, finite-difference errors and computation graphs.

Every function draws on the ``ax`` (or ``axes``) you pass, or on a new figure, and returns
what it drew on; none calls ``plt.show()``. Nothing here computes a gradient.
"""
import matplotlib.pyplot as plt
import numpy as np

from .compgraph import draw_graph  # re-exported: the computation-graph picture
from .training import scores as _scores

__all__ = ["plot_loss", "plot_accuracy", "plot_history", "plot_decision_boundary",
           "plot_gradient_norms", "compare_gradient_norms", "plot_histograms",
           "plot_weight_histograms", "plot_activation_histograms", "plot_fd_error",
           "draw_graph", "layer_outputs"]

TRAIN, VAL = "#1f77b4", "#ff7f0e"


def _axes(ax, **subplots):
    if ax is None:
        _, ax = plt.subplots(**subplots)
    return ax


# --------------------------------------------------------------------- training curves

def _steps_per_epoch(history):
    epochs = len(history.train_acc)
    return len(history.loss) / epochs if epochs else None


def plot_loss(history, ax=None, smooth=True, logy=None):
    """The training loss of every step (thin), its mean over each epoch (thick) and, when
    the history has one (``history.val_loss``), the validation loss of each epoch, against
    the epoch. ``logy``: log y axis (default: when the loss spans over 1.5 decades).
    Returns the axes."""
    ax = _axes(ax, figsize=(5, 3.5))
    loss = np.asarray(history.loss, dtype=float)
    per_epoch = _steps_per_epoch(history)
    if per_epoch:
        x = np.arange(1, len(loss) + 1) / per_epoch
        ax.set_xlabel("epoch")
    else:
        x = np.arange(1, len(loss) + 1)
        ax.set_xlabel("step")
    ax.plot(x, loss, color=TRAIN, lw=0.6, alpha=0.45 if smooth and per_epoch else 1.0,
            label="train (each step)")
    if smooth and per_epoch and len(loss):
        edges = np.round(np.arange(len(history.train_acc) + 1) * per_epoch).astype(int)
        means = [loss[a:b].mean() for a, b in zip(edges, edges[1:], strict=False) if b > a]
        ax.plot(np.arange(1, len(means) + 1), means, "-", color=TRAIN, lw=2,
                label="train (epoch mean)")
    val_loss = getattr(history, "val_loss", None)
    if val_loss:
        ax.plot(np.arange(1, len(val_loss) + 1), val_loss, "-", color=VAL, lw=2,
                label="validation")
    finite = loss[np.isfinite(loss)]
    if logy is None:        # log scale when the loss spans more than a decade and a half
        logy = bool(len(finite)) and finite.min() > 0 and finite.max() / finite.min() > 30
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.legend(fontsize=8)
    return ax


def plot_accuracy(history, ax=None):
    """Training and (if recorded) validation accuracy after each epoch. Returns the axes."""
    ax = _axes(ax, figsize=(5, 3.5))
    epochs = np.arange(1, len(history.train_acc) + 1)
    ax.plot(epochs, history.train_acc, "o-", ms=3, color=TRAIN, label="train")
    if len(history.val_acc):
        ax.plot(np.arange(1, len(history.val_acc) + 1), history.val_acc, "o-", ms=3,
                color=VAL, label="validation")
    ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    ax.set_ylim(min([0.5, *history.train_acc, *history.val_acc]) - 0.02, 1.01)
    ax.legend(fontsize=8)
    return ax


def plot_history(history, axes=None):
    """Loss (left) and accuracy (right) of a ``History`` from ``fit``, train and validation.
    ``axes``: two axes, or None for a new figure. Returns the two axes."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss, ax_acc = axes
    plot_loss(history, ax_loss)
    plot_accuracy(history, ax_acc)
    return ax_loss, ax_acc


# --------------------------------------------------------------------- decision boundary

def _predict_labels(predict, points):
    """Class labels for ``points`` from scores (M, C), probabilities (M,) or (M, 1), or labels."""
    if isinstance(predict, (list, tuple)):
        out = _scores(list(predict), points)
    else:
        out = predict(points)
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return np.argmax(out, axis=1), out.shape[1]
    out = out.reshape(len(points))
    if np.issubdtype(out.dtype, np.integer) or np.issubdtype(out.dtype, np.bool_):
        return out.astype(int), None
    return (out > 0.5).astype(int), 2


def plot_decision_boundary(predict, X, y, ax=None, resolution=150, margin=0.5, title=None):
    """Colour the plane by the class a trained network predicts, with the points on top.

    - predict: a callable mapping points (M, 2) to scores (M, C), probabilities (M,) or
      labels (M,); or a list of layers ``(forward, backward, params)``, run with ``scores``
    - X (N, 2), y (N,) integer labels: the data set drawn on top
    Evaluates ``predict`` on a ``resolution x resolution`` grid. Returns the axes.
    """
    ax = _axes(ax, figsize=(4.5, 4.5))
    X, y = np.asarray(X), np.asarray(y)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    labels, n_classes = _predict_labels(predict, grid)
    n_classes = max(n_classes or 0, int(labels.max()) + 1, int(y.max()) + 1)
    cmap = plt.get_cmap("coolwarm" if n_classes == 2 else "tab10")
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(gx, gy, labels.reshape(gx.shape), levels=levels, cmap=cmap, alpha=0.3,
                vmin=-0.5, vmax=n_classes - 0.5 if n_classes == 2 else 9.5)
    ax.contour(gx, gy, labels.reshape(gx.shape), levels=levels[1:-1], colors="k",
               linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, s=14, edgecolors="k", linewidths=0.3,
               vmin=-0.5, vmax=n_classes - 0.5 if n_classes == 2 else 9.5)
    accuracy = float(np.mean(_predict_labels(predict, X)[0] == y))
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xticks=[], yticks=[],
           title=title or f"decision boundary (accuracy {accuracy:.2f})")
    return ax


# --------------------------------------------------------------------- gradient norms

def plot_gradient_norms(norms, ax=None, title="gradient norm per layer", logy=True):
    """One line per layer: ``norms`` maps a layer name to its gradient norm at each step.
    Log y axis by default (vanishing gradients span orders of magnitude). Returns the axes."""
    ax = _axes(ax, figsize=(5, 3.5))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(norms), 1)))
    for color, (name, values) in zip(colors, norms.items(), strict=False):
        ax.plot(np.arange(1, len(values) + 1), values, color=color, lw=1.2, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="‖gradient‖", title=title)
    ax.legend(fontsize=7, ncol=2 if len(norms) > 5 else 1)
    return ax


def compare_gradient_norms(runs, axes=None):
    """Side by side, one panel per run (e.g. ``{"sigmoid": norms, "relu": norms,
    "residual": norms}``, each as for ``plot_gradient_norms``), sharing one log y axis so
    the runs compare at a glance. Returns the axes."""
    if axes is None:
        _, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), sharey=True,
                               squeeze=False)
        axes = axes[0]
    for ax, (name, norms) in zip(axes, runs.items(), strict=False):
        plot_gradient_norms(norms, ax, title=name)
    for ax in list(axes)[1:]:
        ax.set_ylabel("")
    return axes


# --------------------------------------------------------------------- histograms

def plot_histograms(arrays, axes=None, bins=40, title=None, color=TRAIN):
    """One histogram per array of ``arrays`` (a dict name -> array, any shape), each titled
    with its name, mean and standard deviation. Returns the axes."""
    created = axes is None
    if created:
        _, axes = plt.subplots(1, len(arrays), figsize=(2.8 * len(arrays) + 0.4, 2.9),
                               squeeze=False, layout="constrained")
        axes = axes[0]
    for ax, (name, array) in zip(axes, arrays.items(), strict=False):
        values = np.asarray(array, dtype=float).ravel()
        ax.hist(values, bins=bins, color=color, alpha=0.85)
        ax.set_title(f"{name}\nmean {values.mean():.2g}, std {values.std():.2g}", fontsize=9)
        ax.tick_params(labelsize=7)
    if title is not None and created and len(axes):
        axes[0].figure.suptitle(title)
    return axes


def plot_weight_histograms(layers, axes=None, bins=40):
    """Histograms of every weight matrix (a parameter with 2 or more axes) of a list of
    layers ``(forward, backward, params)``. Returns the axes."""
    weights, k = {}, 0
    for i, (_, _, params) in enumerate(layers):
        for p in params:
            if np.ndim(p) >= 2:
                k += 1
                weights[f"W{k} (layer {i})"] = p
    return plot_histograms(weights, axes, bins=bins, title="weights")


def layer_outputs(layers, X):
    """The output of every layer when ``X`` runs forward through ``layers`` (a list)."""
    outs, out = [], X
    for forward, _, params in layers:
        out, _ = forward(out, *params)
        outs.append(out)
    return outs


def plot_activation_histograms(layers, X, axes=None, bins=40, only_activations=True):
    """Histograms of what each layer outputs on the batch ``X`` (your forward functions
    run it). With ``only_activations`` only layers without parameters (the nonlinearities)
    are shown. Returns the axes."""
    outs = layer_outputs(layers, X)
    arrays = {f"layer {i}: {getattr(fwd, '__name__', 'layer')}": out
              for i, ((fwd, _, params), out) in enumerate(zip(layers, outs, strict=False))
              if not (only_activations and params)}
    return plot_histograms(arrays, axes, bins=bins, title="activations", color="#2ca02c")


# --------------------------------------------------------------------- finite differences

EPS = float(np.finfo(float).eps)  # float64's machine epsilon


def plot_fd_error(hs, errors, ax=None, eps=EPS, order=2, title=None):
    """Error of a finite-difference derivative against the step ``h``, on log-log axes.

    Marks the best ``h`` (the smallest error) and the two regimes around it: to its left
    rounding error dominates (it grows like ``eps / h``), to its right truncation error
    (like ``h**order``, 2 for central differences); dashed guides with those slopes go
    through the best point. Returns the axes.
    """
    ax = _axes(ax, figsize=(5.5, 3.8))
    hs, errors = np.asarray(hs, dtype=float), np.asarray(errors, dtype=float)
    keep = (hs > 0) & (errors > 0) & np.isfinite(errors)
    hs, errors = hs[keep], errors[keep]
    sort = np.argsort(hs)
    hs, errors = hs[sort], errors[sort]
    ax.loglog(hs, errors, "o-", ms=3, color="k", label="measured error")
    best = int(np.argmin(errors))
    h_best, e_best = hs[best], errors[best]
    ax.axvline(h_best, color="0.5", ls=":", lw=1)
    ax.plot([h_best], [e_best], "*", ms=12, color="#d62728", label=f"best h ≈ {h_best:.0e}")
    left, right = hs[: best + 1], hs[best:]
    ax.loglog(left, e_best * h_best / left, "--", color="#9467bd", lw=1,
              label="rounding ∝ ε/h")
    ax.loglog(right, e_best * (right / h_best) ** order, "--", color="#2ca02c", lw=1,
              label=f"truncation ∝ $h^{{{order}}}$")
    ax.axvspan(hs[0], h_best, color="#9467bd", alpha=0.06)
    ax.axvspan(h_best, hs[-1], color="#2ca02c", alpha=0.06)
    top = errors.max()
    ax.text(np.sqrt(hs[0] * h_best), top, "rounding\nerror dominates", ha="center",
            va="top", fontsize=8, color="#9467bd")
    ax.text(np.sqrt(h_best * hs[-1]), top, "truncation\nerror dominates", ha="center",
            va="top", fontsize=8, color="#2ca02c")
    ax.set(xlabel="step h", ylabel="error", title=title or
           f"finite-difference error (machine ε = {eps:.1e})")
    ax.legend(fontsize=7, loc="lower left")
    return ax


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
