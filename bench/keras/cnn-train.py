"""Keras reference for cnn-train: the seed CNN (dl's `cnn` preset, mirrored from the spec) trained with model.fit, adam, batch 64.

Usage: bench/.venv/bin/python bench/keras/cnn-train.py --spec bench/out/specs/cnn-train.json [--steps N] [--batch-size N] [--warmup N]
"""

import common

if __name__ == "__main__":
    common.run_fit("cnn-train", common.parse_args(__doc__, steps=300, batch_size=64, warmup=10))
