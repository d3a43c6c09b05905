"""Whether TensorFlow's bfloat16 convolutions compute the right thing on this machine, for the presets' shapes.

A mixed-precision policy (Keras's mixed_bfloat16, or a graph rewrite to bfloat16) runs convolutions on oneDNN's
bfloat16 kernels. Each case here runs one of them on inputs already rounded to bfloat16 and compares it with the
float32 kernel on the same values: the only differences left are the output's rounding and the sums' (oneDNN: under
0.5% of the largest output; TensorFlow's own kernels, TF_ENABLE_ONEDNN_OPTS=0, which sum in bfloat16: 2–3%), so a
case is wrong above 5%. On AMD EPYC (Zen 4, avx512_bf16) with tensorflow-cpu 2.21, forward convolutions with
1 or 3 input channels are off by 50–94% — most output channels come out zero — on oneDNN's kernels (with or
without the CPU's bfloat16 instructions: ONEDNN_MAX_CPU_ISA=AVX512_CORE gives the same), which corrupts the first
layer of networks on grey or RGB images; see bench/results-amd-epyc.md.

Usage: bench/.venv/bin/python bench/bf16-conv-check.py   (exit 1 when a case is wrong)
"""

import sys

import numpy as np
import tensorflow as tf

B = 32
rng = np.random.default_rng(0)


def rounded(shape, scale=1.0):
    """Random float32 values that bfloat16 holds exactly, so both kernels see the same inputs."""
    values = tf.constant((rng.standard_normal(shape) * scale).astype(np.float32))
    return tf.cast(tf.cast(values, tf.bfloat16), tf.float32)


def conv(x, k, stride, padding):
    return lambda dt: tf.nn.conv2d(tf.cast(x, dt), tf.cast(k, dt), stride, padding)


def input_grad(in_shape, k, dy, stride, padding):
    strides = [1, stride, stride, 1]
    return lambda dt: tf.raw_ops.Conv2DBackpropInput(
        input_sizes=in_shape, filter=tf.cast(k, dt), out_backprop=tf.cast(dy, dt), strides=strides, padding=padding
    )


def kernel_grad(x, k_shape, dy, stride, padding):
    strides = [1, stride, stride, 1]
    return lambda dt: tf.raw_ops.Conv2DBackpropFilter(
        input=tf.cast(x, dt), filter_sizes=k_shape, out_backprop=tf.cast(dy, dt), strides=strides, padding=padding
    )


def cases():
    # The cnn preset: 3×3 convolutions 1→32, 32→64, 64→64 ('valid', stride 1) on 28×28 images.
    for cin, cout, size in [(1, 32, 28), (32, 64, 26), (64, 64, 11)]:
        x, k = rounded([B, size, size, cin]), rounded([3, 3, cin, cout], 1 / 3)
        yield f"cnn conv {cin}→{cout} 3×3", conv(x, k, 1, "VALID")
    # The gan preset's discriminator: 5×5, stride 2, 'same': 1→64 on 28×28, 64→128 on 14×14, and their gradients.
    for cin, cout, size in [(1, 64, 28), (64, 128, 14)]:
        x, k = rounded([B, size, size, cin]), rounded([5, 5, cin, cout], 1 / 5)
        dy = rounded([B, size // 2, size // 2, cout])
        yield f"gan conv {cin}→{cout} 5×5/2", conv(x, k, 2, "SAME")
        yield f"gan conv {cin}→{cout} input gradient", input_grad([B, size, size, cin], k, dy, 2, "SAME")
        yield f"gan conv {cin}→{cout} kernel gradient", kernel_grad(x, [5, 5, cin, cout], dy, 2, "SAME")
    # Its generator's transposed convolutions 192→96 (7→14) and 96→1 (14→28), 4×4, stride 2: input gradients.
    for cin, cout, size in [(192, 96, 7), (96, 1, 14)]:
        k, dy = rounded([4, 4, cout, cin], 1 / 4), rounded([B, size, size, cin])
        yield f"gan transposed {cin}→{cout} 4×4/2", input_grad([B, 2 * size, 2 * size, cout], k, dy, 2, "SAME")
    # Input channels 1 to 4, 3×3 'same' to 16 channels: which counts go wrong.
    for cin in [1, 2, 3, 4]:
        x, k = rounded([B, 16, 16, cin]), rounded([3, 3, cin, 16], 1 / 3)
        yield f"{cin} input channel(s) 3×3", conv(x, k, 1, "SAME")


print(f"TensorFlow {tf.__version__}: bfloat16 against float32 on the same (bfloat16) values, error / largest output")
wrong = 0
for name, run in cases():
    reference = run(tf.float32).numpy()
    result = tf.cast(run(tf.bfloat16), tf.float32).numpy()
    error = np.abs(result - reference).max() / np.abs(reference).max()
    ok = bool(np.isfinite(error) and error < 0.05)
    wrong += not ok
    print(f"  {name:36} {error:8.4f}  {'ok' if ok else 'WRONG'}")
print(f"{wrong} wrong" if wrong else "all right")
sys.exit(1 if wrong else 0)
