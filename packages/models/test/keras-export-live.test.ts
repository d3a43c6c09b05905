/**
 * exportKeras on every preset's network, against the Keras installed now (bench/.venv, made by `pnpm test`'s setup):
 * each network trained briefly by dl (random data, a few steps), saved as `dl train` saves it, exported, and opened by
 * `keras.saving.load_model` with no custom objects; Keras's predictions on 100 inputs equal dl's within 1e-5.
 * Without the venv: skipped with one line.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Model, setSeed, type Tensor, tf } from '@dl/core';
import { TextVectorization } from '@dl/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERAS_READY, kerasArray, maxAbsDiff, runKeras } from '../../core/test/keras-side.js';
import {
  cnn,
  dcganDiscriminator,
  dcganGenerator,
  exportKeras,
  gan,
  GanModel,
  KERAS_DISCRIMINATOR,
  KERAS_GENERATOR,
  lstm,
  saveVocabulary,
  textClassifier,
} from '../src/index.js';

if (!KERAS_READY) console.log('keras-export-live: skipped, no bench/.venv (make it with `npx tsx scripts/ensure-keras-venv.ts`)');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dl-keras-export-'));
  setSeed(3);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A few steps of the preset's own training (compiled as the preset compiles it) on random data. */
async function trainBriefly(model: Model, x: Tensor, y: Tensor): Promise<void> {
  await model.fit(x, y, { epochs: 1, batchSize: 16, stepsPerEpoch: 2, verbose: 0 });
}

describe.skipIf(!KERAS_READY)('exportKeras of each preset, read by the installed Keras 3', () => {
  it('cnn, lstm, text-classifier, and the GAN generator and discriminator predict in Keras as in dl', { timeout: 300_000 }, async () => {
    const cases: { name: string; model: Model; file: string; input: Tensor }[] = [];
    const text = new TextVectorization({ maxTokens: 100 }).setVocabulary(['the', 'movie', 'good', 'bad']);
    for (const [preset, build, input, y] of [
      ['cnn', () => cnn.build(), () => tf.randomUniform([100, 28, 28, 1]), () => tf.randomUniformInt([100], 0, 10)],
      ['lstm', () => lstm.build(), () => tf.randomUniformInt([100, 200], 0, 20_000), () => tf.randomUniformInt([100], 0, 2)],
      [
        'text-classifier',
        () => textClassifier.build(),
        () => tf.randomUniformInt([100, 800], 0, 120_000),
        () => tf.randomUniformInt([100], 0, 2),
      ],
    ] as const) {
      const model = build();
      const x = input();
      const labels = y();
      await trainBriefly(model, x, labels);
      labels.dispose();
      const run = join(root, `${preset}-run`);
      await model.save(run, { metadata: { preset } });
      if (preset !== 'cnn') await saveVocabulary(run, text);
      const out = join(root, `${preset}.keras`);
      const result = await exportKeras(run, out);
      expect(result.files.map((f) => [f.name, f.compiled])).toEqual([[`${preset}.keras`, true]]);
      cases.push({ name: preset, model, file: out, input: x });
    }

    // The GAN: a few of its alternating steps, saved as `dl train gan` saves it, exported as two files.
    const options = { generatorFilters: 8, discriminatorFilters: 8, latentDim: 16 };
    const ganModel = new GanModel(dcganGenerator(options), dcganDiscriminator(options));
    ganModel.compile(gan.compileOptions());
    const images = tf.randomUniform([32, 28, 28, 1], -1, 1);
    await ganModel.fit(images, { epochs: 1, batchSize: 16, verbose: 0 });
    images.dispose();
    const ganRun = join(root, 'gan-run');
    await ganModel.save(ganRun, { metadata: { preset: 'gan' } });
    const ganOut = join(root, 'gan-keras');
    const ganResult = await exportKeras(ganRun, ganOut);
    expect((await readdir(ganOut)).sort()).toEqual([KERAS_DISCRIMINATOR, KERAS_GENERATOR]);
    expect(ganResult.files.map((f) => f.network)).toEqual(['generator', 'discriminator']);
    cases.push(
      { name: 'gan generator', model: ganModel.generator, file: join(ganOut, KERAS_GENERATOR), input: tf.randomNormal([100, 16]) },
      {
        name: 'gan discriminator',
        model: ganModel.discriminator,
        file: join(ganOut, KERAS_DISCRIMINATOR),
        input: tf.randomUniform([100, 28, 28, 1], -1, 1),
      },
    );
    // Nothing but the outputs beside the runs: no temp files left.
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);

    const answer = runKeras(
      root,
      cases.map((c) => ({ op: 'predict', file: c.file, inputs: [kerasArray(c.input)] })),
    );
    cases.forEach((c, i) => {
      const result = answer.results[i] as { warnings: string[]; outputs: { values: number[] }[] };
      expect(result.warnings, c.name).toEqual([]);
      const predicted = c.model.predict(c.input);
      const diff = maxAbsDiff([predicted], result.outputs);
      console.log(`keras-export-live ${c.name} (Keras ${answer.keras}): max abs difference on 100 inputs ${diff.toExponential(2)}`);
      expect(diff, c.name).toBeLessThan(1e-5);
      tf.dispose([predicted, c.input]);
    });
    expect(existsSync(join(root, 'cnn.keras'))).toBe(true);
  });
});
