"""Time one training epoch on digits with the reference library (two-layer net and small CNN).

Run: ``python benchmarks/bench_training.py``.
"""
import time

from backproplab.data import load_digits
from backproplab.training import fit

from solutions import backprop, softmax_loss, train_epoch
from solutions.models import small_cnn, two_layer_net


def epoch_seconds(net, data, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit(net, data.X_train, data.y_train, backprop=backprop, epoch=train_epoch,
            loss_fn=softmax_loss, lr=0.05, epochs=1, batch_size=32, progress=False)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    flat, images = load_digits(seed=0), load_digits(seed=0, images=True)
    n = len(flat.X_train)
    print(f"one training epoch on digits ({n} images, batch 32, SGD), median of 3:")
    mlp = epoch_seconds(two_layer_net(64, 128, 10), flat)
    cnn = epoch_seconds(small_cnn(1, 8, 8, 10), images)
    print(f"  {'two-layer net 64-128-10':34s} {mlp * 1e3:8.1f} ms  ({n / mlp:,.0f} images/s)")
    print(f"  {'CNN conv3x3x8-relu-pool-affine':34s} {cnn * 1e3:8.1f} ms  ({n / cnn:,.0f} images/s)")


if __name__ == "__main__":
    main()
