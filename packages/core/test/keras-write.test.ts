/**
 * `model.save('x.keras')` without Keras at hand (keras-write-live.test.ts checks the files against real Keras): what
 * dl writes, dl reads back the same, compiled with Adam's state; a layer Keras would compute differently is refused
 * with nothing written; files at the path are replaced only when they are .keras models and overwriting is allowed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, ModelFileError, sequential, setSeed, type Tensor, tf } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dl-keras-write-'));
  setSeed(2);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function small(activation: 'relu' | 'hardSigmoid' = 'relu') {
  return sequential(
    [
      layers.conv2d({ filters: 3, kernelSize: 3, activation, inputShape: [6, 6, 1] }),
      layers.batchNormalization(),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'softmax' }),
    ],
    { name: 'small' },
  );
}

describe("model.save('x.keras')", () => {
  it('writes the Keras 3 zip that loadModel reads back: same predictions, compiled, Adam state and step count', async () => {
    const model = small();
    model.compile({ optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.randomNormal([12, 6, 6, 1]);
    const y = tf.randomUniformInt([12], 0, 2);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const file = join(dir, 'small.keras');
    await model.save(file, { metadata: { preset: 'mine' } });

    const entries = unzipSync(new Uint8Array(await readFile(file)));
    expect(Object.keys(entries)).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
    const config = JSON.parse(new TextDecoder().decode(entries['config.json'])) as Record<string, unknown>;
    expect(config.class_name).toBe('Sequential');
    expect(config.compile_config).toMatchObject({
      optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } },
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const layerClasses = ((config.config as { layers: { class_name: string }[] }).layers ?? []).map((l) => l.class_name);
    expect(layerClasses).toEqual(['InputLayer', 'Conv2D', 'BatchNormalization', 'Flatten', 'Dense']);

    const back = await loadModel(file);
    expect(back.isCompiled).toBe(true);
    expect(back.metadata).toEqual({ preset: 'mine' });
    const [a, b] = [model.predict(x) as Tensor, back.predict(x) as Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // The optimizer continues: the same step count and moments, so one more step lands both on the same weights.
    const [mine, theirs] = [await model.optimizer.getWeights(), await back.optimizer.getWeights()];
    expect(theirs.map((w) => w.tensor.shape)).toEqual(mine.map((w) => w.tensor.shape));
    expect(theirs.map((w) => Array.from(w.tensor.dataSync()))).toEqual(mine.map((w) => Array.from(w.tensor.dataSync())));
    await model.fit(x, y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0 });
    await back.fit(x, y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0 });
    const [c, d] = [model.predict(x) as Tensor, back.predict(x) as Tensor];
    expect(Math.max(...Array.from(c.dataSync(), (v, i) => Math.abs(v - d.dataSync()[i]!)))).toBeLessThan(1e-6);
    tf.dispose([x, y, a, b, c, d]);
  });

  it('refuses a layer Keras would compute differently, naming it, and writes nothing', async () => {
    const file = join(dir, 'hard.keras');
    const error = await small('hardSigmoid')
      .save(file)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(
      /hard\.keras.*layer conv2d.*\(Conv2D\): activation "hard_sigmoid" is not supported: Keras 3 computes relu6/,
    );
    expect(existsSync(file)).toBe(false);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('replaces a .keras model at the path, but never another file, nor anything with overwrite: false', async () => {
    const file = join(dir, 'twice.keras');
    await small().save(file);
    await small().save(file); // a .keras model there: replaced, as Keras's model.save does
    await expect(small().save(file, { overwrite: false })).rejects.toThrow(/exists already/);
    const notes = join(dir, 'notes.keras');
    await writeFile(notes, 'my notes');
    await expect(small().save(notes)).rejects.toThrow(/is not a Keras \.keras file/);
    expect(await readFile(notes, 'utf8')).toBe('my notes');
  });
});
