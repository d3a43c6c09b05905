"""What every Keras reference script shares.

Each script takes ``--spec FILE`` (written by ``bench/dl/describe.ts``: the dl networks' layer classes and configs,
optimizer, loss and data shapes), ``--steps``, ``--batch-size`` and ``--warmup``; builds the same network in Keras 3
on TensorFlow; trains or predicts on synthetic data of the real shapes with Keras's defaults (``model.fit`` /
``model.predict``, ``jit_compile="auto"``, which Keras resolves to no XLA on a CPU-only machine); and prints one JSON
line on stdout: ``{"samplesPerSecond": ..., "peakRssMb": ..., ...}``.
"""

import argparse
import inspect
import json
import os
import platform
import re
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def parse_args(description, steps, batch_size, warmup):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--spec", required=True, help="workload spec JSON written by bench/dl/describe.ts")
    parser.add_argument("--steps", type=int, default=steps, help="timed batches")
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--warmup", type=int, default=warmup, help="untimed batches first")
    args = parser.parse_args()
    if args.steps < 1 or args.batch_size < 1 or args.warmup < 1:
        parser.error("--steps, --batch-size and --warmup must be at least 1")
    with open(args.spec) as f:
        args.spec = json.load(f)
    return args


# ---------------------------------------------------------------------------------------------------------------------
# dl layer configs -> Keras layers. tfjs-layers' configs are Keras's under camelCase names, so a config translates key
# by key. Initializers, regularizers and constraints are left at Keras's defaults (dl uses Keras's defaults too, and
# they do not change the speed); keys a Keras layer does not take are reported on stderr and dropped.

_DROP = {"batch_input_shape", "input_shape", "dtype", "trainable", "input_length", "input_dtype"}
_DROP_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
_ENUM_KEYS = {"data_format", "activation", "recurrent_activation", "padding", "interpolation", "merge_mode"}
_RENAME = {("LeakyReLU", "alpha"): "negative_slope"}


def _snake(name):
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def keras_layer(class_name, config):
    cls = getattr(keras.layers, class_name, None)
    if cls is None:
        raise ValueError(f"no Keras layer {class_name!r} to mirror dl's")
    accepted = set(inspect.signature(cls.__init__).parameters) | {"name"}
    kwargs, dropped = {}, []
    for key, value in config.items():
        key = _snake(key)
        if key in _DROP or key.endswith(_DROP_SUFFIXES):
            continue
        key = _RENAME.get((class_name, key), key)
        if key not in accepted:
            if value not in (None, False, 0):
                dropped.append(f"{key}={value!r}")
            continue
        if key in _ENUM_KEYS and isinstance(value, str):
            value = _snake(value)  # channelsLast -> channels_last, hardSigmoid -> hard_sigmoid
        if isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    if dropped:
        print(f"note: {class_name} {config.get('name')}: Keras has no {', '.join(dropped)}", file=sys.stderr)
    return cls(**kwargs)


def keras_network(spec):
    """A keras.Sequential equal to the dl network described by ``spec`` (a NetworkSpec)."""
    inputs = keras.Input(shape=tuple(spec["inputShape"]), dtype=spec["inputDtype"])
    model = keras.Sequential([inputs] + [keras_layer(l["className"], l["config"]) for l in spec["layers"]], name=spec["name"])
    if model.count_params() != spec["params"]:
        raise ValueError(f"{spec['name']}: Keras mirror has {model.count_params()} parameters, dl's network {spec['params']}")
    return model


def keras_optimizer(spec):
    name = spec["name"].lower()
    lr = spec.get("learningRate")
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr, beta_1=spec.get("beta1", 0.9), beta_2=spec.get("beta2", 0.999), epsilon=spec.get("epsilon", 1e-7))
    if name in ("sgd", "momentum"):
        return keras.optimizers.SGD(learning_rate=lr, momentum=spec.get("momentum", 0.0))
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, epsilon=spec.get("epsilon", 1e-7))
    raise ValueError(f"no Keras optimizer for dl's {spec['name']!r}")


def keras_loss(name):
    return _snake(name)  # sparseCategoricalCrossentropy -> sparse_categorical_crossentropy


def synthetic(spec, count, rng):
    """``count`` samples uniform in [low, high) (integers for int32), as bench/dl/common.ts makes them."""
    shape = (count, *spec["shape"])
    if spec["dtype"] == "int32":
        return rng.integers(spec["low"], spec["high"], size=shape, dtype=np.int32)
    return rng.uniform(spec["low"], spec["high"], size=shape).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------------
# Timing


class BatchTimer(keras.callbacks.Callback):
    """Times batches ``warmup`` ... ``warmup + steps - 1`` of one epoch: from the start of the first timed batch to the
    end of the epoch. It overrides no batch-end hook, so Keras keeps its default asynchronous dispatch of those."""

    async_safe = True

    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup
        self.start = self.end = None

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.warmup:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()

    def seconds(self):
        if self.start is None or self.end is None:
            raise RuntimeError("the timed batches did not run")
        return self.end - self.start


def measure_fit(model, x, y, args):
    """One epoch of ``warmup + steps`` batches with ``model.fit`` (shuffled, as by default), timed after the warm-up."""
    timer = BatchTimer(args.warmup)
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, callbacks=[timer])
    seconds = timer.seconds()
    samples = args.steps * args.batch_size
    return {"samplesPerSecond": samples / seconds, "seconds": seconds, "samples": samples}


def report(workload, measurement, args, params, model):
    result = {
        "side": "keras",
        "workload": workload,
        **measurement,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "steps": args.steps,
        "batchSize": args.batch_size,
        "warmup": args.warmup,
        "params": params,
        "jitCompile": bool(getattr(model, "jit_compile", False)),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()},
    }
    print(json.dumps(result), flush=True)


def run_fit(workload, args):
    """A compiled network from the spec, trained on synthetic data: the shared body of the fit workloads."""
    spec = args.spec
    model = keras_network(spec["networks"]["model"])
    model.compile(optimizer=keras_optimizer(spec["optimizer"]), loss=keras_loss(spec["loss"]), metrics=spec["metrics"])
    rng = np.random.default_rng()
    n = (args.warmup + args.steps) * args.batch_size
    x, y = synthetic(spec["x"], n, rng), synthetic(spec["y"], n, rng)
    report(workload, measure_fit(model, x, y, args), args, model.count_params(), model)
