"""Learning works: networks built only from the reference library train on digits."""
import numpy as np
import pytest
from backproplab.data import load_digits
from backproplab.training import accuracy, fit

from solutions import backprop, sgd_step, softmax_loss
from solutions.demo import train_cnn, train_mlp
from solutions.models import two_layer_net


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def test_two_layer_net_overfits_twenty_digits(digits):
    X, y = digits.X_train[:20], digits.y_train[:20]
    net = two_layer_net(64, 50, 10, seed=1)
    assert accuracy(net, X, y) < 0.5
    trained, history = fit(net, X, y, backprop=backprop, update=sgd_step, loss_fn=softmax_loss,
                           lr=0.1, epochs=100, batch_size=20, progress=False)
    assert accuracy(trained, X, y) == 1.0
    assert history.loss[-1] < 0.05 * history.loss[0]


def test_trained_net_reaches_95_percent_on_test_digits(digits):
    net, history = train_mlp(digits, progress=False)
    assert accuracy(net, digits.X_test, digits.y_test) >= 0.95
    assert history.val_acc[-1] >= 0.95


def test_small_cnn_with_fast_layers_trains():
    images = load_digits(seed=0, images=True)
    net, history = train_cnn(images, progress=False)
    assert history.loss[0] > 1.5
    assert np.mean(history.loss[-20:]) < 0.3
    assert accuracy(net, images.X_test, images.y_test) >= 0.9


def test_fit_leaves_the_layers_it_was_given_unchanged(digits):
    net = two_layer_net(64, 10, 10, seed=2)
    before = [p.copy() for _, _, params in net for p in params]
    fit(net, digits.X_train[:40], digits.y_train[:40], backprop=backprop, update=sgd_step,
        loss_fn=softmax_loss, lr=0.1, epochs=2, progress=False)
    after = [p for _, _, params in net for p in params]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_fit_with_an_update_rule_takes_one_full_batch_step_per_epoch(digits):
    """fit(update=...) is full-batch gradient descent: no mini-batches before hw4's own
    train_epoch (tests/test_equivalence.py)."""
    X, y = digits.X_train[:50], digits.y_train[:50]
    net = two_layer_net(64, 10, 10, seed=3)
    trained, history = fit(net, X, y, backprop=backprop, loss_fn=softmax_loss, lr=0.1, epochs=3,
                           update=sgd_step, progress=False)
    params = [p for _, _, ps in net for p in ps]
    for _ in range(3):
        loss, grads = backprop(net, X, y, softmax_loss)
        params = sgd_step(params, [g for gs in grads for g in gs], 0.1)
        it = iter(params)
        net = [(f, b, tuple(next(it) for _ in ps)) for f, b, ps in net]
    assert len(history.loss) == 3
    assert all(np.allclose(a, b) for (_, _, pa), (_, _, pb) in zip(trained, net)
               for a, b in zip(pa, pb))


def test_fit_runs_an_epoch_function_with_a_seeded_generator(digits):
    from solutions import train_epoch
    X, y = digits.X_train[:50], digits.y_train[:50]
    handed = []

    def epoch(params, x, y, grad_fn, lr, batch_size, rng):
        handed.append((len(x), batch_size, rng.bit_generator.state["state"]["state"]))
        return train_epoch(params, x, y, grad_fn, lr, batch_size, rng)

    runs = [fit(two_layer_net(64, 10, 10, seed=3), X, y, backprop=backprop, loss_fn=softmax_loss,
                lr=0.1, epochs=3, batch_size=16, seed=5, progress=False, epoch=epoch)
            for _ in range(2)]
    (first, history), (again, _) = runs
    assert len(history.loss) == 3 * 4 and [h[:2] for h in handed] == [(50, 16)] * 6
    assert handed[:3] == handed[3:]                       # same seed, same generator states
    assert all(np.array_equal(a, b) for (_, _, pa), (_, _, pb) in zip(first, again)
               for a, b in zip(pa, pb))
    with pytest.raises(TypeError, match="exactly one"):
        fit(first, X, y, backprop=backprop, loss_fn=softmax_loss, lr=0.1, epochs=1,
            update=sgd_step, epoch=train_epoch)
