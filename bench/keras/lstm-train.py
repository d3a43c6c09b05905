"""Keras reference for lstm-train: Embedding -> LSTM -> Dense(1, sigmoid) (mirrored from the spec) trained with model.fit, adam, batch 64.

Usage: bench/.venv/bin/python bench/keras/lstm-train.py --spec bench/out/specs/lstm-train.json [--steps N] [--batch-size N] [--warmup N]
"""

import common

if __name__ == "__main__":
    common.run_fit("lstm-train", common.parse_args(__doc__, steps=200, batch_size=64, warmup=10))
