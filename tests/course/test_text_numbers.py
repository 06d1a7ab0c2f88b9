"""Numbers the text gives are the numbers of the code the notebook runs: hw3's written answer
why_weight_sharing (question and model answer) counts the filters and parameters of Part 5's
CNN, which is built here by running Part 5's own training cell (training itself stubbed out)."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
from support import ROOT, notebooks, source_text

import solutions


class Built(Exception):
    """Raised by the stand-in for fit: the network is built, nothing is trained."""


@pytest.fixture(scope="module")
def hw3():
    (path,) = notebooks(ROOT / "source", "hw3_cnn")
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def part5_network(cells):
    """The layers Part 5's training cell hands to fit, with the reference hw2 functions."""
    from functools import partial

    from backproplab.data import load_digits
    cell = next(source_text(c) for c in cells if "num_filters, train_size, epochs =" in
                source_text(c))
    built = {}

    def fit(layers, *args, **kwargs):
        built["layers"] = layers
        raise Built

    hw2 = SimpleNamespace(**{n: getattr(solutions, n) for n in (
        "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
        "backprop")})
    namespace = {"np": np, "partial": partial, "time": __import__("time"), "fit": fit,
                 "hw2": hw2, "digits": load_digits(seed=0, images=True),
                 "accuracy": None, "print": lambda *a, **k: None,
                 **{n: getattr(solutions, n) for n in ("conv_forward", "conv_backward",
                                                       "max_pool_forward", "max_pool_backward")}}
    exec(compile(cell, "hw3 Part 5", "exec"), namespace)
    return built["layers"], namespace["digits"]


def tex_number(n):
    """How the text writes n: 16,640 as 16{,}640 in LaTeX, plain below 10,000."""
    return f"{n:,}".replace(",", "{,}")


def test_why_weight_sharing_counts_the_filters_and_parameters_of_part_5s_cnn(hw3):
    layers, digits = part5_network(hw3)
    forward, _, (w, b) = layers[0]
    filters, channels, hh, ww = w.shape
    params = w.size + b.size
    out, _ = forward(digits.X_train[:1], w, b)
    outputs = out[0].size
    pixels = digits.X_train[0].size
    affine = pixels * outputs + outputs
    assert (filters, params, outputs, affine) == (4, 40, 256, 16_640)  # today's network

    question = next(source_text(c) for c in hw3 if "**Question (written, 2 points).** The CNN "
                    "of Part 5" in source_text(c))
    assert f"conv layer of {filters} filters of\nsize {hh}x{ww} on {channels}-channel" in question
    assert f"${filters} \\cdot {channels} \\cdot {hh} \\cdot {ww} + {filters} = {params}$" in question
    assert f"= {outputs}$ numbers per image" in question
    assert f"$64 \\cdot {outputs} + {outputs} = {tex_number(affine)}$" in question

    [answer] = [source_text(c) for c in hw3
                if c["metadata"].get("nbgrader", {}).get("grade_id") == "why_weight_sharing"]
    assert f"cut {affine:,} parameters to {params}" in answer
    assert f"({params} against\n{affine:,})" in answer or f"({params} against {affine:,})" in answer
    # the same 3x3 window and the same count of uses per weight
    assert f"{hh}x{ww} neighbourhood" in answer
    h_out, w_out = out.shape[2:]
    assert f"$N \\cdot {h_out * w_out}$ here" in answer.replace("\n", " ")

    part5 = next(source_text(c) for c in hw3 if "Things worth looking at" in source_text(c))
    affine_params = sum(p.size for p in layers[-1][2])
    assert f"{params} conv parameters ({w.size} weights and {b.size} biases) and {affine_params}" in \
        " ".join(part5.split())

