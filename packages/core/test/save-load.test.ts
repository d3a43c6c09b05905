import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, setSeed, type Model } from '../src/index.js';
import { compiledClassifier, separable, tempDir } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { x, y } = separable(30, 1);

function predictions(model: Model): number[] {
  const out = model.predict(x);
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

async function trained(seed: number): Promise<Model> {
  setSeed(seed);
  const model = compiledClassifier();
  await model.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
  return model;
}

/** Asserts `dir` holds model.json and exactly one `weights-<hash>.bin` (no temporary files); returns its name. */
async function onlyWeightsFile(dir: string): Promise<string> {
  const files = (await readdir(dir)).sort();
  expect(files).toHaveLength(2);
  expect(files[0]).toBe('model.json');
  expect(files[1]).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
  return files[1]!;
}

describe('save and loadModel', () => {
  it('writes model.json and one content-named weights file, and leaves no temporary file behind', async () => {
    const model = await trained(1);
    const dir = join(root, 'plain');
    await model.save(dir, { metadata: { preset: 'tiny' } });

    const weightsFile = await onlyWeightsFile(dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    expect(json).toHaveProperty('modelTopology');
    expect(json.weightsManifest[0]!.paths).toEqual([weightsFile]);
    // 2×8 + 8 + 8×2 + 2 float32 layer weights, then adam's step count and two moments per weight.
    const layerWeights = 2 * 8 + 8 + 8 * 2 + 2;
    expect((await stat(join(dir, weightsFile))).size).toBe((layerWeights + 1 + 2 * layerWeights) * 4);
  });

  it('without the optimizer saves the layer weights only', async () => {
    const model = await trained(1);
    const dir = join(root, 'weights-only');
    await model.save(dir, { includeOptimizer: false });
    expect((await stat(join(dir, await onlyWeightsFile(dir)))).size).toBe((2 * 8 + 8 + 8 * 2 + 2) * 4);
  });

  it('restores the compile configuration and optimizer state, so training continues exactly', async () => {
    const model = await trained(8);
    const dir = join(root, 'optimizer');
    await model.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.metricsNames).toEqual(model.metricsNames);
    const saved = await model.optimizer.getWeights();
    const restored = await loaded.optimizer.getWeights();
    expect(restored.map((w) => Array.from(w.tensor.dataSync()))).toEqual(saved.map((w) => Array.from(w.tensor.dataSync())));

    await model.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0, shuffle: false });
    await loaded.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0, shuffle: false });
    expect(predictions(loaded)).toEqual(predictions(model));
  });

  it('loads a model that predicts exactly as the saved one and carries its metadata', async () => {
    const model = await trained(2);
    const dir = join(root, 'roundtrip');
    const metadata = { preset: 'tiny', epochs: 2, classes: ['neg', 'pos'], nested: { seed: 2 } };
    await model.save(dir, { metadata });

    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual(metadata);
    expect(model.metadata).toEqual(metadata);
    expect(loaded.net.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      model.net.getWeights().map((w) => Array.from(w.dataSync())),
    );
    expect(predictions(loaded)).toEqual(predictions(model));

    // Once compiled, the loaded model evaluates to the same loss and accuracy.
    loaded.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const a = await model.evaluate(x, y);
    const b = await loaded.evaluate(x, y);
    expect(b['loss']!).toBeCloseTo(a['loss']!, 6);
    expect(b['accuracy']).toBe(a['accuracy']);
  });

  it('creates missing parent folders', async () => {
    const model = await trained(3);
    const dir = join(root, 'a', 'b', 'c');
    await model.save(dir);
    await onlyWeightsFile(dir);
    expect(predictions(await loadModel(dir))).toEqual(predictions(model));
  });

  it('without metadata stores none', async () => {
    const model = await trained(4);
    const dir = join(root, 'no-metadata');
    await model.save(dir);
    expect((await loadModel(dir)).metadata).toBeUndefined();
  });

  it('replaces an earlier save in the same folder', async () => {
    const dir = join(root, 'overwrite');
    const first = await trained(5);
    await first.save(dir, { metadata: { version: 1 } });
    const firstWeights = await onlyWeightsFile(dir);
    const second = await trained(6);
    await second.save(dir, { metadata: { version: 2 } });

    // The first save's weights are removed only once the new model.json names the new file.
    expect(await onlyWeightsFile(dir)).not.toBe(firstWeights);
    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual({ version: 2 });
    expect(predictions(loaded)).toEqual(predictions(second));
    expect(predictions(loaded)).not.toEqual(predictions(first));
  });

  it('can keep training a loaded model', async () => {
    const model = await trained(7);
    const dir = join(root, 'resume');
    await model.save(dir);
    const loaded = await loadModel(dir);
    loaded.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
    const before = (await loaded.evaluate(x, y))['loss']!;
    await loaded.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
    expect((await loaded.evaluate(x, y))['loss']!).toBeLessThan(before);
  });

  it('rejects a folder without a model', async () => {
    await expect(loadModel(join(root, 'does-not-exist'))).rejects.toThrow();
  });
});
