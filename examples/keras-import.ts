// Loads a Keras 3 `.keras` file (Python: `model.save("model.keras")`) into dl and predicts with it.
// Run from the repo root: pnpm --filter dl-examples keras-import [path/to/model.keras]
// Without an argument it loads a small CNN that Keras 3 wrote (packages/core/test/fixtures/keras/cnn.keras).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type Tensor, tf } from '@dl/core';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? join(here, '..', 'packages', 'core', 'test', 'fixtures', 'keras', 'cnn.keras');

const model = await loadModel(file); // architecture and weights; uncompiled
model.summary();

// Two random samples of the model's (first) input shape.
const shape = model.net.inputs[0]!.shape.slice(1) as number[];
const x = tf.randomNormal([2, ...shape]);
const y = model.predict(x) as Tensor;
console.log(
  `predictions ${JSON.stringify(y.shape)}:`,
  Array.from(await y.data(), (v) => Number(v.toFixed(4))),
);

// To train it further in dl, compile it first.
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
tf.dispose([x, y]);
