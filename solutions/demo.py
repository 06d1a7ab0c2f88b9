"""A short demo of the reference library training networks on scikit-learn's digits.

Run: ``python -m solutions.demo``. Prints what it trains and the accuracies reached.
"""
import time

from backproplab.data import load_digits
from backproplab.training import accuracy, fit

from .backprop import backprop
from .losses import softmax_loss
from .models import small_cnn, two_layer_net
from .optim import train_epoch


def train_mlp(data, epochs=30, progress=True):
    """A 64-128-10 relu network trained with minibatch SGD; returns (layers, history)."""
    net = two_layer_net(64, 128, 10, seed=0)
    return fit(net, data.X_train, data.y_train, backprop=backprop, epoch=train_epoch,
               loss_fn=softmax_loss, lr=0.1, epochs=epochs, batch_size=32,
               X_val=data.X_val, y_val=data.y_val, seed=0, progress=progress)


def train_cnn(images, epochs=15, progress=True):
    """conv-relu-pool-affine on (N, 1, 8, 8) digits; returns (layers, history)."""
    net = small_cnn(1, 8, 8, 10, seed=0)
    return fit(net, images.X_train, images.y_train, backprop=backprop, epoch=train_epoch,
               loss_fn=softmax_loss, lr=0.05, epochs=epochs, batch_size=32,
               X_val=images.X_val, y_val=images.y_val, seed=0, progress=progress)


def main():
    data = load_digits(seed=0)
    print(f"digits: {len(data.X_train)} train, {len(data.X_val)} val, {len(data.X_test)} test")
    start = time.perf_counter()
    mlp, hist = train_mlp(data)
    print(f"two-layer net (affine-relu-affine, softmax loss, SGD): "
          f"train {hist.train_acc[-1]:.3f}, val {hist.val_acc[-1]:.3f}, "
          f"test {accuracy(mlp, data.X_test, data.y_test):.3f} "
          f"in {time.perf_counter() - start:.1f} s")
    images = load_digits(seed=0, images=True)
    start = time.perf_counter()
    cnn, hist = train_cnn(images)
    print(f"small CNN (fast conv-relu-pool-affine): train {hist.train_acc[-1]:.3f}, "
          f"val {hist.val_acc[-1]:.3f}, test {accuracy(cnn, images.X_test, images.y_test):.3f} "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
