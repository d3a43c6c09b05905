/**
 * dl's .keras writer against the Keras installed now (bench/.venv, made by `pnpm test`'s setup): files dl writes open
 * with `keras.saving.load_model` (no custom objects, no warnings) and Keras predicts what dl predicts within 1e-5;
 * a Keras model goes to dl, is fine-tuned there and comes back; Adam's state crosses both ways, so one more step on
 * a fixed batch leaves both sides at the same loss within 1e-4. Without the venv: skipped with one line.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  input,
  layers,
  loadModel,
  type Model,
  model as functional,
  sequential,
  setSeed,
  type SymbolicTensor,
  type Tensor,
  tf,
} from '../src/index.js';
import { KERAS_READY, kerasArray, maxAbsDiff, runKeras } from './keras-side.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'keras');
const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  { file?: string; inputs: { shape: number[]; dtype: string; values: number[] }[]; outputs: { values: number[] }[] }
>;

if (!KERAS_READY) console.log('keras-write-live: skipped, no bench/.venv (make it with `npx tsx scripts/ensure-keras-venv.ts`)');

function imageModel(): Model {
  return sequential(
    [
      layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }),
      layers.batchNormalization(),
      layers.leakyReLU({ alpha: 0.2 }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.activation({ activation: 'tanh' }),
      layers.flatten(),
      layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 5, activation: 'relu' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
    { name: 'image_model' },
  );
}

/** Two inputs (token ids, features), two outputs; Dense layers at several depths, so Keras's group naming is exercised. */
function recurrentModel(): Model {
  const tokens = input({ shape: [6], dtype: 'int32', name: 'tokens' });
  const features = input({ shape: [5], name: 'features' });
  const apply = (layer: { apply(x: unknown): unknown }, x: unknown) => layer.apply(x) as SymbolicTensor;
  let seq = apply(layers.embedding({ inputDim: 20, outputDim: 4 }), tokens);
  seq = apply(layers.lstm({ units: 3, returnSequences: true }), seq);
  seq = apply(layers.layerNormalization(), seq);
  const gru = apply(layers.bidirectional({ layer: layers.gru({ units: 2 }) as never }), seq);
  const rnn = apply(layers.simpleRNN({ units: 2 }), seq);
  const pooled = apply(layers.globalAveragePooling1d(), seq);
  const dense = apply(layers.dense({ units: 2, activation: 'sigmoid' }), apply(layers.dense({ units: 4, activation: 'elu' }), features));
  const summed = apply(layers.add(), [apply(layers.dense({ units: 2 }), gru), dense]);
  const merged = apply(layers.concatenate(), [summed, rnn, pooled]);
  const a = apply(layers.dense({ units: 1, activation: 'sigmoid', name: 'first' }), merged);
  const b = apply(layers.dense({ units: 3, activation: 'softmax', name: 'second' }), merged);
  return functional({ inputs: [tokens, features], outputs: [a, b], name: 'recurrent_model' });
}

describe.skipIf(!KERAS_READY)('.keras files dl writes, read by the installed Keras 3', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dl → Keras (no custom objects, same predictions), Keras → dl → fine-tune → Keras, and Adam state both ways', {
    timeout: 240_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'dl-keras-write-'));
    setSeed(5);
    // dl's models, written for Keras: a CNN trained briefly (so batch normalisation's moving statistics are not the
    // initial ones) and an untrained two-input two-output recurrent model.
    const image = imageModel();
    image.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x100 = tf.randomNormal([100, 8, 8, 1]);
    const y100 = tf.randomUniformInt([100], 0, 3);
    await image.fit(x100, y100, { epochs: 1, batchSize: 25, verbose: 0 });
    await image.save(join(dir, 'image.keras'));
    const recurrent = recurrentModel();
    const tokens = tf.randomUniformInt([100, 6], 0, 20);
    const features = tf.randomNormal([100, 5]);
    await recurrent.save(join(dir, 'recurrent.keras'));

    // One Python process: Keras predicts on dl's files, and makes a model of its own (3 Adam steps, saved), then takes
    // one more step from that save on a fixed batch.
    const x = tf.randomNormal([32, 6, 6, 1]);
    const y = tf.randomUniformInt([32], 0, 3);
    const batch = { x: tf.randomNormal([16, 6, 6, 1]), y: tf.randomUniformInt([16], 0, 3) };
    const fromKeras = join(dir, 'from-keras.keras');
    // Also every committed Keras fixture, read by dl and written back (masks, Rescaling, Multiply, GRU, …).
    const fixtures = Object.keys(EXPECTED).filter((k) => k !== 'keras');
    for (const name of fixtures)
      await (await loadModel(join(FIXTURES, EXPECTED[name]!.file ?? `${name}.keras`))).save(join(dir, `fixture-${name}.keras`));
    const first = runKeras(dir, [
      { op: 'predict', file: join(dir, 'image.keras'), inputs: [kerasArray(x100)] },
      { op: 'predict', file: join(dir, 'recurrent.keras'), inputs: [kerasArray(tokens), kerasArray(features)] },
      { op: 'make', file: fromKeras, x: [kerasArray(x)], y: [kerasArray(y)], steps: 3 },
      { op: 'step', file: fromKeras, x: [kerasArray(batch.x)], y: [kerasArray(batch.y)] },
      ...fixtures.map((name) => ({
        op: 'predict',
        file: join(dir, `fixture-${name}.keras`),
        inputs: EXPECTED[name]!.inputs.map((i) => ({ ...i, dtype: i.dtype.startsWith('int') ? 'int32' : 'float32' })),
      })),
    ]);
    fixtures.forEach((name, i) => {
      const result = first.results[4 + i] as { warnings: string[]; outputs: { values: number[] }[] };
      expect(result.warnings, name).toEqual([]);
      const diff = Math.max(
        ...result.outputs.flatMap((o, k) => o.values.map((v, j) => Math.abs(v - EXPECTED[name]!.outputs[k]!.values[j]!))),
      );
      console.log(
        `keras-write-live fixture ${name}, Keras → dl → Keras: max abs difference to Keras's own prediction ${diff.toExponential(2)}`,
      );
      expect(diff, name).toBeLessThan(1e-5);
    });
    const cases: [string, Model, Tensor[]][] = [
      ['image', image, [x100]],
      ['recurrent', recurrent, [tokens, features]],
    ];
    cases.forEach(([name, model, inputs], i) => {
      const result = first.results[i] as { warnings: string[]; outputs: { values: number[] }[]; class: string };
      expect(result.warnings, name).toEqual([]);
      const predicted = model.predict<Tensor | Tensor[]>(inputs.length === 1 ? inputs[0]! : inputs);
      const outs = Array.isArray(predicted) ? predicted : [predicted];
      const diff = maxAbsDiff(outs, result.outputs);
      console.log(
        `keras-write-live ${name} (${result.class}, Keras ${first.keras}): max abs difference on 100 inputs ${diff.toExponential(2)}`,
      );
      expect(diff, name).toBeLessThan(1e-5);
      tf.dispose(outs);
    });
    const kerasStep = first.results[3] as { iterations: number; loss_after: number };
    expect(kerasStep.iterations).toBe(3);

    // Keras → dl: loaded compiled, with Keras's Adam state; the same step gives the same loss.
    const model = await loadModel(fromKeras);
    expect(model.isCompiled).toBe(true);
    const loaded = model.predict(x);
    expect(maxAbsDiff([loaded], (first.results[2] as { outputs: { values: number[] }[] }).outputs)).toBeLessThan(1e-5);
    loaded.dispose();
    const oneStep = async (m: Model) => {
      await m.fit(batch.x, batch.y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
      return (await m.evaluate(batch.x, batch.y, { batchSize: 16 })).loss!;
    };
    const probe = await loadModel(fromKeras);
    const dlLoss = await oneStep(probe);
    console.log(`keras-write-live Keras→dl Adam step: loss after, Keras ${kerasStep.loss_after}, dl ${dlLoss}`);
    expect(Math.abs(dlLoss - kerasStep.loss_after)).toBeLessThan(1e-4);
    probe.optimizer.dispose();
    probe.net.dispose();

    // dl fine-tunes one epoch, saves; Keras predicts what dl predicts, and continues from dl's Adam state.
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const tuned = join(dir, 'tuned.keras');
    await model.save(tuned);
    const back = runKeras(dir, [
      { op: 'predict', file: tuned, inputs: [kerasArray(x)] },
      { op: 'step', file: tuned, x: [kerasArray(batch.x)], y: [kerasArray(batch.y)] },
    ]);
    const predicted = model.predict(x);
    const diff = maxAbsDiff([predicted], (back.results[0] as { outputs: { values: number[] }[] }).outputs);
    console.log(`keras-write-live round trip Keras → dl (1 epoch) → Keras: max abs difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
    predicted.dispose();
    const kerasAfter = back.results[1] as { iterations: number; loss_after: number; warnings: string[] };
    expect(kerasAfter.warnings).toEqual([]);
    expect(kerasAfter.iterations).toBe(3 + 4); // Keras's 3 steps, then dl's 4 (32 samples, batch 8)
    const dlAfter = await oneStep(model);
    console.log(`keras-write-live dl→Keras Adam step: loss after, dl ${dlAfter}, Keras ${kerasAfter.loss_after}`);
    expect(Math.abs(dlAfter - kerasAfter.loss_after)).toBeLessThan(1e-4);
    tf.dispose([x100, y100, tokens, features, x, y, batch.x, batch.y]);
  });
});
