"""The floor under gan-train: the 15 convolutions of one step of the `gan` preset (batch 64), and nothing else, as one
tf.function on TensorFlow's CPU kernels, each on the faster of the two TensorFlow has for it. No framework running
the same step on these kernels in the same precision can take less than this, so it bounds the dl ÷ Keras ratio
gan-train can reach on a machine (bench/results-<kind>.md states the figures). The data flow follows the step: the
generator's forward pass, the discriminator's forward and backward pass on the generated images down to its input,
the generator's backward pass (weights and inputs), then the discriminator's update on [real; generated] (its weights,
and the input gradient its first layer's weights need). Biases, activations, batch norm, dropout, the dense layers and
Adam are left out. The two convolutions whose result has one channel (the generator's last layer, the discriminator's
input gradient) run on TensorFlow's Eigen kernel, faster there, as dl's do (bench/conv-input-gradient.py); Keras's run
on oneDNN's, as do the other thirteen on both sides.

Usage: bench/.venv/bin/python bench/gan-conv-floor.py [--threads N] [--dtype float32|bfloat16] [--calls 20]
[--repeats 5]. --threads N: TensorFlow's intra-op and inter-op threads (default TensorFlow's: as many as cores each);
1 gives the step's convolution work on one core. --dtype bfloat16 times TensorFlow's bfloat16 kernels, whose 1→64
convolution computes wrong values on some CPUs (bench/bf16-conv-check.py checks them).
"""

import argparse
import statistics
import time

import tensorflow as tf

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", type=int, default=0)
parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
parser.add_argument("--calls", type=int, default=20)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)
dtype = tf.as_dtype(args.dtype)

B = 64
STRIDES = [1, 2, 2, 1]


def normal(shape, fan_in):
    # Scaled so activations stay near 1 through the unactivated chain (no denormals, no overflow to time).
    return tf.cast(tf.random.normal(shape, stddev=fan_in**-0.5), dtype)


# The preset's kernels (bench/out/specs/gan-train.json): generator Conv2DTranspose 192→96 (7→14) and 96→1
# (14→28), 4×4, stride 2; discriminator Conv2D 1→64 (28→14) and 64→128 (14→7), 5×5, stride 2; all 'same'.
g1_kernel, g2_kernel = normal([4, 4, 96, 192], 192 * 4), normal([4, 4, 1, 96], 96 * 4)
d1_kernel, d2_kernel = normal([5, 5, 1, 64], 25), normal([5, 5, 64, 128], 64 * 25)
projected = normal([B, 7, 7, 192], 1)  # the generator's Dense → BatchNormalization → Reshape output
real = normal([B, 28, 28, 1], 1)


def input_grad(dy, kernel, in_shape):
    # SAME given as EXPLICIT numbers keeps TensorFlow's Eigen kernel (oneDNN's rewrite takes only SAME and VALID).
    size, k, stride = in_shape[1], kernel.shape[0], STRIDES[1]
    total = max((-(-size // stride) - 1) * stride + k - size, 0)
    pads = [0, 0, total // 2, total - total // 2, total // 2, total - total // 2, 0, 0]
    padding = dict(padding="EXPLICIT", explicit_paddings=pads) if in_shape[3] <= 4 else dict(padding="SAME")
    return tf.raw_ops.Conv2DBackpropInput(
        input_sizes=in_shape, filter=kernel, out_backprop=dy, strides=STRIDES, **padding
    )


def transpose_conv(x, kernel, out_shape):
    return input_grad(x, kernel, out_shape)


def kernel_grad(x, kernel_shape, dy):
    return tf.raw_ops.Conv2DBackpropFilter(
        input=x, filter_sizes=kernel_shape, out_backprop=dy, strides=STRIDES, padding="SAME"
    )


@tf.function
def step(projected, real):
    # Generator update: forward, then the discriminator on its images, back to them, then the generator's gradients.
    g1 = transpose_conv(projected, g1_kernel, [B, 14, 14, 96])
    fake = transpose_conv(g1, g2_kernel, [B, 28, 28, 1])
    d1 = tf.nn.conv2d(fake, d1_kernel, STRIDES, "SAME")
    d2 = tf.nn.conv2d(d1, d2_kernel, STRIDES, "SAME")
    d_fake = input_grad(input_grad(d2, d2_kernel, [B, 14, 14, 64]), d1_kernel, [B, 28, 28, 1])
    dg1 = tf.nn.conv2d(d_fake, g2_kernel, STRIDES, "SAME")
    grads = [kernel_grad(d_fake, [4, 4, 1, 96], g1), kernel_grad(dg1, [4, 4, 96, 192], projected)]
    grads.append(tf.nn.conv2d(dg1, g1_kernel, STRIDES, "SAME"))  # into the generator's dense layers
    # Discriminator update on [real; generated].
    both = tf.concat([real, fake], 0)
    c1 = tf.nn.conv2d(both, d1_kernel, STRIDES, "SAME")
    c2 = tf.nn.conv2d(c1, d2_kernel, STRIDES, "SAME")
    grads.append(kernel_grad(c1, [5, 5, 64, 128], c2))
    grads.append(kernel_grad(both, [5, 5, 1, 64], input_grad(c2, d2_kernel, [2 * B, 14, 14, 64])))
    return grads


for _ in range(5):
    step(projected, real)
times = []
for _ in range(args.repeats):
    start = time.perf_counter()
    for _ in range(args.calls):
        out = step(projected, real)
    [t.numpy() for t in out]
    times.append((time.perf_counter() - start) / args.calls * 1000)
threads = args.threads or "one per core"
print(
    f"gan-train convolutions only, {args.dtype}, threads {threads}: "
    f"median {statistics.median(times):.1f} ms a step ({', '.join(f'{t:.1f}' for t in times)})"
)
