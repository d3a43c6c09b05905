"""One worker of data-parallel training of a .keras model with TensorFlow's MultiWorkerMirroredStrategy.

examples/scale-out.ts starts two of these on localhost (TF_CONFIG names the cluster and this worker's index): each
loads the .keras file dl exported, trains on its shard of every global batch, the gradients summed across workers at
every step so all workers hold the same weights; worker 0 saves the trained model as a .keras file for dl to import.
On several machines, list their addresses in TF_CONFIG instead of localhost ports.

A custom loop (strategy.run over the model's forward pass, GradientTape, the model's Adam): Keras 3.15's `fit` under
MultiWorkerMirroredStrategy fails ("Attempt to convert a value (PerReplica…) to a Tensor").

  TF_CONFIG='{"cluster": {"worker": ["localhost:12345", "localhost:12346"]}, "task": {"type": "worker", "index": 0}}' \\
    python scale_out_worker.py --model model.keras --data DIR --out DIR [--epochs 1] [--batch-size 64]
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True, help="the .keras file to train (dl's export, compiled with Adam)")
parser.add_argument("--data", required=True, help="folder with x.npy and y.npy (training) and x_eval.npy")
parser.add_argument("--out", required=True, help="folder: worker 0 writes model.keras; every worker predictions-<i>.npy")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=64, help="the global batch, split across the workers")
args = parser.parse_args()

index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    # Variables made in the scope are mirrored on every worker; the file's Adam state (moments, step) comes along.
    model = keras.saving.load_model(args.model)
    optimizer = model.optimizer if model.optimizer is not None else keras.optimizers.Adam()
loss_per_sample = keras.losses.SparseCategoricalCrossentropy(reduction=None)

x = np.load(os.path.join(args.data, "x.npy"))
y = np.load(os.path.join(args.data, "y.npy"))
dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size, drop_remainder=True)
options = tf.data.Options()
# Every worker holds all the data here; each takes its part of every global batch.
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
dataset = strategy.experimental_distribute_dataset(dataset.with_options(options))


@tf.function
def train_step(batch):
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(loss_per_sample(yb, model(xb, training=True)), global_batch_size=args.batch_size)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # summed across the workers first
        return loss

    return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(step, args=batch), axis=None)


for epoch in range(args.epochs):
    losses = [float(train_step(batch)) for batch in dataset]
    print(f"worker {index} epoch {epoch + 1}: loss {np.mean(losses):.4f} over {len(losses)} steps", flush=True)

# Each worker's predictions, so the caller can check the workers agree (and dl's import against them).
x_eval = np.load(os.path.join(args.data, "x_eval.npy"))
os.makedirs(args.out, exist_ok=True)
np.save(os.path.join(args.out, f"predictions-{index}.npy"), model(x_eval, training=False).numpy())
if index == 0:
    model.save(os.path.join(args.out, "model.keras"))
    print(f"worker 0 saved {os.path.join(args.out, 'model.keras')}", flush=True)
