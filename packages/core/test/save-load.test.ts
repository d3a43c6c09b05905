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

describe('save and loadModel', () => {
  it('writes model.json and weights.bin and leaves no temporary folder behind', async () => {
    const model = await trained(1);
    const dir = join(root, 'plain');
    await model.save(dir, { preset: 'tiny' });

    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(json).toHaveProperty('modelTopology');
    expect(json).toHaveProperty('weightsManifest');
    // 2×8 + 8 + 8×2 + 2 float32 weights.
    expect((await stat(join(dir, 'weights.bin'))).size).toBe((2 * 8 + 8 + 8 * 2 + 2) * 4);
  });

  it('loads a model that predicts exactly as the saved one and carries its metadata', async () => {
    const model = await trained(2);
    const dir = join(root, 'roundtrip');
    const metadata = { preset: 'tiny', epochs: 2, classes: ['neg', 'pos'], nested: { seed: 2 } };
    await model.save(dir, metadata);

    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual(metadata);
    expect(model.metadata).toEqual(metadata);
    expect(loaded.net.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.net.getWeights().map((w) => Array.from(w.dataSync())));
    expect(predictions(loaded)).toEqual(predictions(model));

    // Once compiled, the loaded model evaluates to the same loss and accuracy.
    loaded.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const a = model.evaluate(x, y);
    const b = loaded.evaluate(x, y);
    expect(b['loss']!).toBeCloseTo(a['loss']!, 6);
    expect(b['accuracy']).toBe(a['accuracy']);
  });

  it('creates missing parent folders', async () => {
    const model = await trained(3);
    const dir = join(root, 'a', 'b', 'c');
    await model.save(dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
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
    await first.save(dir, { version: 1 });
    const second = await trained(6);
    await second.save(dir, { version: 2 });

    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
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
    const before = loaded.evaluate(x, y)['loss']!;
    await loaded.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
    expect(loaded.evaluate(x, y)['loss']!).toBeLessThan(before);
  });

  it('rejects a folder without a model', async () => {
    await expect(loadModel(join(root, 'does-not-exist'))).rejects.toThrow();
  });
});
