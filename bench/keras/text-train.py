"""Keras reference for text-train: Embedding -> GlobalAveragePooling1D -> Dense (mirrored from the spec) trained with model.fit, adam, batch 64.

Usage: bench/.venv/bin/python bench/keras/text-train.py --spec bench/out/specs/text-train.json [--steps N] [--batch-size N] [--warmup N]
"""

import common

if __name__ == "__main__":
    common.run_fit("text-train", common.parse_args(__doc__, steps=300, batch_size=64, warmup=10))
