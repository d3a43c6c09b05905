/**
 * Training speed of layers.lstm, generic (tfjs-layers' step-by-step LSTM) against fused (TensorFlow's BlockLSTM
 * kernels), measured alternately in one process on Embedding(20000,128) → LSTM(64) → Dense(1, sigmoid), 200 steps,
 * batch 64, adam, binary cross-entropy, synthetic word ids.
 *
 * Usage: npx tsx packages/core/scripts/lstm-speed.ts [--rounds 3] [--generic-batches 4] [--fused-batches 16]
 */
import { parseArgs } from 'node:util';
import { backendInfo, layers, sequential, setSeed, tf, type Model } from '../src/index.js';
import type { FusedLSTM } from '../src/native/fused-lstm-layer.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'generic-batches': { type: 'string', default: '4' },
    'fused-batches': { type: 'string', default: '16' },
  },
});
const ROUNDS = Number(values.rounds);
const BATCHES = { generic: Number(values['generic-batches']), fused: Number(values['fused-batches']) };
const [VOCABULARY, STEPS, BATCH] = [20000, 200, 64];

if (backendInfo().backend !== 'tensorflow') throw new Error(`needs the native backend, running on '${backendInfo().backend}'`);

function build(fused: boolean): Model {
  const lstm = layers.lstm({ units: 64 });
  lstm.fusedKernel = fused;
  const model = sequential([
    layers.embedding({ inputDim: VOCABULARY, outputDim: 128, inputShape: [STEPS] }),
    lstm,
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  return model;
}

function data(batches: number) {
  const n = batches * BATCH;
  const x = new Int32Array(n * STEPS);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(Math.random() * VOCABULARY);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.random() < 0.5 ? 0 : 1;
  return { x: { data: x, shape: [n, STEPS] }, y: { data: y, shape: [n] } };
}

/** Samples per second of one epoch of `batches` batches (after one untimed batch). */
async function measure(model: Model, batches: number): Promise<number> {
  const warm = data(1);
  await model.fit(warm.x, warm.y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
  const { x, y } = data(batches);
  const start = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
  return (batches * BATCH) / ((performance.now() - start) / 1000);
}

setSeed(1);
const models = { generic: build(false), fused: build(true) };
const results: Record<'generic' | 'fused', number[]> = { generic: [], fused: [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of ['generic', 'fused'] as const) {
    const speed = await measure(models[kind], BATCHES[kind]);
    results[kind].push(speed);
    console.log(`round ${round}  ${kind.padEnd(7)}  ${speed.toFixed(1).padStart(7)} samples/s  (${BATCHES[kind]} batches of ${BATCH})`);
  }
}
const lstmOf = (m: Model) => m.net.layers[1] as FusedLSTM;
if (lstmOf(models.fused).genericCalls !== 0 || lstmOf(models.generic).fusedCalls !== 0) throw new Error('a model took the other path');
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const [g, f] = [median(results.generic), median(results.fused)];
console.log(
  `median  generic ${g.toFixed(1)} samples/s, fused ${f.toFixed(1)} samples/s: ${(f / g).toFixed(1)}× (TensorFlow ${backendInfo().tensorflowVersion})`,
);
tf.disposeVariables();
