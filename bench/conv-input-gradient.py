"""TensorFlow's two CPU kernels for a convolution's input gradient (Conv2DBackpropInput, also a transposed convolution's
forward pass), timed against each other by the result's channel count: the measurement behind dl's choice of kernel
(packages/core/src/native/conv-input-gradient.ts).

With oneDNN on (TensorFlow's default on x86), a graph or eager rewrite runs the op as _MklNativeConv2DBackpropInput,
but only for SAME and VALID padding: the same padding given as EXPLICIT numbers keeps TensorFlow's Eigen kernel. Each
case runs both on the same values (batch 64), checks they agree (float32 rounding; exit 1 above 1e-5 of the largest
value) and prints their median times. On AMD EPYC (2 vCPUs, tensorflow-cpu 2.21; two runs) the Eigen kernel was
1.4–3.4× as fast as oneDNN's for 1–4 channels, 0.9–1.7× at 8 and 0.3–1.0× at 16: dl takes it up to 4.

Usage: bench/.venv/bin/python bench/conv-input-gradient.py [--repeats 7]
"""

import argparse
import statistics
import sys
import time

import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--repeats", type=int, default=7)
args = parser.parse_args()
rng = np.random.default_rng(0)
B = 64

# (size, kernel, stride, output-gradient channels): the gan preset's two (its generator's last layer, its
# discriminator's input gradient), the cnn preset's first layer, and a few more.
GEOMETRIES = [(28, 4, 2, 96), (28, 5, 2, 64), (28, 3, 1, 32), (32, 3, 1, 32), (64, 3, 2, 32), (28, 3, 2, 64)]
CHANNELS = [1, 2, 3, 4, 8, 16]


def same_paddings(size, kernel, stride):
    """TensorFlow's SAME as [before, after]: ceil(size / stride) outputs, the odd padding after."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return [total // 2, total - total // 2]


def timed(fn):
    fn().numpy()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(10):
            out = fn()
        out.numpy()
        times.append((time.perf_counter() - start) / 10 * 1000)
    return statistics.median(times)


wrong = 0
header = ["size", "kernel", "stride", "dy ch", "channels", "oneDNN ms", "Eigen ms", "ratio"]
print(" ".join(f"{h:>{w}}" for h, w in zip(header, [4, 6, 6, 5, 8, 9, 8, 6])))
for size, kernel, stride, dy_channels in GEOMETRIES:
    out = -(-size // stride)
    pads = same_paddings(size, kernel, stride)
    dy = tf.constant(rng.standard_normal([B, out, out, dy_channels]).astype(np.float32))
    for channels in CHANNELS:
        k = tf.constant(rng.standard_normal([kernel, kernel, channels, dy_channels]).astype(np.float32))
        common = dict(input_sizes=[B, size, size, channels], filter=k, out_backprop=dy, strides=[1, stride, stride, 1])
        one_dnn = tf.function(lambda c=common: tf.raw_ops.Conv2DBackpropInput(**c, padding="SAME"))
        eigen = tf.function(
            lambda c=common, p=pads: tf.raw_ops.Conv2DBackpropInput(
                **c, padding="EXPLICIT", explicit_paddings=[0, 0, *p, *p, 0, 0]
            )
        )
        a, b = one_dnn().numpy(), eigen().numpy()
        error = np.abs(a - b).max() / np.abs(a).max()
        if error > 1e-5:
            wrong += 1
        t_one_dnn, t_eigen = timed(one_dnn), timed(eigen)
        flag = "  DIFFERENT" if error > 1e-5 else ""
        print(
            f"{size:>4} {kernel:>6} {stride:>6} {dy_channels:>5} {channels:>8} {t_one_dnn:>9.2f} {t_eigen:>8.2f}"
            f" {t_one_dnn / t_eigen:>6.2f}{flag}"
        )
sys.exit(1 if wrong else 0)
