"""Keras reference for cnn-infer: the seed CNN (dl's `cnn` preset, mirrored from the spec) with model.predict, batch 256.

A warm-up call on ``warmup`` batches (it traces the predict function), then one timed call on ``steps`` batches;
model.predict returns numpy arrays, so the time includes reading the predictions back, as on the dl side.

Usage: bench/.venv/bin/python bench/keras/cnn-infer.py --spec bench/out/specs/cnn-infer.json [--steps N] [--batch-size N] [--warmup N]
"""

import time

import numpy as np

import common

if __name__ == "__main__":
    args = common.parse_args(__doc__, steps=60, batch_size=256, warmup=5)
    spec = args.spec
    model = common.keras_network(spec["networks"]["model"])
    model.compile(optimizer=common.keras_optimizer(spec["optimizer"]), loss=common.keras_loss(spec["loss"]), metrics=spec["metrics"])
    rng = np.random.default_rng()

    def run(batches):
        x = common.synthetic(spec["x"], batches * args.batch_size, rng)
        start = time.perf_counter()
        model.predict(x, batch_size=args.batch_size, verbose=0)
        return time.perf_counter() - start

    run(args.warmup)
    seconds = run(args.steps)
    samples = args.steps * args.batch_size
    common.report("cnn-infer", {"samplesPerSecond": samples / seconds, "seconds": seconds, "samples": samples}, args, model.count_params(), model)
