// The `gan` preset: its two networks' shapes, the alternating train step (the generator run once a step), save/load
// with both optimizers' state, and the per-epoch sample grid.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLearningRate, loadModel, setSeed, tf, type Model, type Tensor } from '@dl/core';
import { describe, expect, it } from 'vitest';
import {
  dcganDiscriminator,
  dcganGenerator,
  gan,
  GanModel,
  getPreset,
  imageGrid,
  loadGan,
  samplingGeneratorDir,
  SampleGrid,
  type GanOptions,
} from '../src/index.js';
import { isolateDatasetsCache } from './isolated-datasets.js';

const temp = isolateDatasetsCache();

/** A small GAN of the preset's architecture (fewer filters), compiled with the preset's optimizer. */
function smallGan(ganOptions: GanOptions = {}): GanModel {
  const options = { generatorFilters: 8, discriminatorFilters: 8 };
  const model = new GanModel(dcganGenerator(options), dcganDiscriminator(options), ganOptions);
  model.compile(gan.compileOptions());
  return model;
}

/** `n` "real" images in [-1, 1]: bright squares at varying places on a dark background. */
function squares(n: number): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(n * 28 * 28).fill(-1);
  for (let i = 0; i < n; i++) {
    const at = 4 + (i % 12);
    for (let r = at; r < at + 10; r++) for (let c = at; c < at + 10; c++) data[i * 784 + r * 28 + c] = 1;
  }
  return { data, shape: [n, 28, 28, 1] };
}

const weights = (m: Model): Float32Array[] => m.net.getWeights().map((w) => w.dataSync() as Float32Array);
const optimizerWeights = async (m: Model): Promise<Float32Array[]> =>
  (await m.optimizer.getWeights()).map((w) => w.tensor.dataSync() as Float32Array);
const batchOf = (x: Tensor) => ({ x: [x], y: [], size: x.shape[0]! });

describe('gan preset: the networks', () => {
  it('is registered, on MNIST, and builds a compiled GanModel', () => {
    expect(getPreset('gan')).toBe(gan);
    expect(gan.dataset).toBe('mnist');
    const model = gan.build();
    expect(model).toBeInstanceOf(GanModel);
    expect(model.optimizer).toBe((model as GanModel).discriminator.optimizer);
    expect((model as GanModel).generator.optimizer).not.toBe(model.optimizer);
    // Samples come from a moving average of the generator's weights.
    expect((model as GanModel).generatorAverage?.momentum).toBe(0.999);
  });

  it('generator: latent 100 → Dense → Reshape → Conv2DTranspose with batch norm → 28×28×1 in [-1, 1] (tanh)', () => {
    const { generator } = gan.build() as GanModel;
    const net = generator.net;
    expect(net.inputs[0]!.shape).toEqual([null, 100]);
    expect(net.outputs[0]!.shape).toEqual([null, 28, 28, 1]);
    expect(net.layers.map((l) => l.getClassName())).toEqual([
      'Dense',
      'BatchNormalization',
      'LeakyReLU',
      'Reshape',
      'Conv2DTranspose',
      'BatchNormalization',
      'LeakyReLU',
      'Conv2DTranspose',
    ]);
    expect(net.layers.at(-1)!.getConfig()['activation']).toBe('tanh');
    // 4×4 kernels at stride 2: every output pixel gets the same number of taps (no checkerboard pattern).
    for (const conv of net.layers.filter((l) => l.getClassName() === 'Conv2DTranspose'))
      expect(conv.getConfig()['kernelSize']).toEqual([4, 4]);
    expect(net.layers.map((l) => l.outputShape)).toEqual([
      [null, 9408],
      [null, 9408],
      [null, 9408],
      [null, 7, 7, 192],
      [null, 14, 14, 96],
      [null, 14, 14, 96],
      [null, 14, 14, 96],
      [null, 28, 28, 1],
    ]);
    const images = generator.predict(tf.randomNormal([3, 100]).mul(5));
    expect(images.shape).toEqual([3, 28, 28, 1]);
    const values = images.dataSync();
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    images.dispose();
  });

  it('discriminator: strided Conv2D + LeakyReLU + Dropout → Dense(1), one logit per image', () => {
    const { discriminator } = gan.build() as GanModel;
    const net = discriminator.net;
    expect(net.inputs[0]!.shape).toEqual([null, 28, 28, 1]);
    expect(net.outputs[0]!.shape).toEqual([null, 1]);
    expect(net.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D',
      'LeakyReLU',
      'Dropout',
      'Conv2D',
      'LeakyReLU',
      'Dropout',
      'Flatten',
      'Dense',
    ]);
    for (const conv of net.layers.filter((l) => l.getClassName() === 'Conv2D')) {
      expect(conv.getConfig()['strides']).toEqual([2, 2]);
      expect(conv.getConfig()['kernelSize']).toEqual([5, 5]);
    }
    expect(net.layers.map((l) => l.outputShape).slice(0, 4)).toEqual([
      [null, 14, 14, 64],
      [null, 14, 14, 64],
      [null, 14, 14, 64],
      [null, 7, 7, 128],
    ]);
    expect(net.layers.at(-1)!.getConfig()['activation']).toBe('linear');
    const logits = discriminator.predict(tf.zeros([2, 28, 28, 1]));
    expect(logits.shape).toEqual([2, 1]);
    logits.dispose();
  });

  it('loads MNIST scaled to [-1, 1]', async () => {
    const data = await gan.loadData({ limit: 100, log: false });
    expect(data.train.x.shape).toEqual([100, 28, 28, 1]);
    expect(data.test.x.shape).toEqual([10_000, 28, 28, 1]);
    const pixels = data.train.x.data as Float32Array;
    expect(Math.min(...pixels)).toBe(-1);
    expect(Math.max(...pixels)).toBe(1);
  });
});

describe('GanModel training', () => {
  it('generate draws the same images for the same seed, 0 included (TF.js alone takes 0 as no seed)', () => {
    const model = smallGan();
    for (const seed of [0, 7]) {
      const [a, b] = [model.generate(3, { seed }), model.generate(3, { seed })];
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
    }
    const [zero, seven] = [model.generate(3, { seed: 0 }), model.generate(3, { seed: 7 })];
    expect(Array.from(zero.dataSync())).not.toEqual(Array.from(seven.dataSync()));
    tf.dispose([zero, seven]);
  });

  it('one train step updates every trainable weight of both networks and logs both losses', () => {
    setSeed(1);
    const model = smallGan();
    const x = tf.tensor(squares(8).data, [8, 28, 28, 1]);
    const gBefore = weights(model.generator);
    const dBefore = weights(model.discriminator);
    const before = tf.memory().numTensors;
    const logs = model.trainStep(batchOf(x));
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2 * (gBefore.length + dBefore.length) + 4); // Adam's moments only
    expect(Object.keys(logs).sort()).toEqual(['d_loss', 'g_loss']);
    expect(Number.isFinite(logs['d_loss'])).toBe(true);
    expect(Number.isFinite(logs['g_loss'])).toBe(true);
    const changed = (a: Float32Array[], b: Float32Array[]) => a.map((w, i) => w.some((v, j) => v !== b[i]![j]));
    const trainableG = model.generator.net.weights.map((w) => w.trainable);
    // Every trainable weight moved; so did batch norm's moving statistics (non-trainable, updated by the forward pass).
    expect(changed(gBefore, weights(model.generator))).toEqual(trainableG.map(() => true));
    expect(changed(dBefore, weights(model.discriminator))).toEqual(dBefore.map(() => true));
    x.dispose();
  });

  it('runs the generator once a step: the discriminator learns from the very images the generator update made', () => {
    setSeed(3);
    const model = smallGan();
    const x = tf.tensor(squares(4).data, [4, 28, 28, 1]);
    const made: Float32Array[] = [];
    const seen: Float32Array[] = [];
    const { generator: g, discriminator: d } = model;
    const gForward = g.forward.bind(g);
    const dForward = d.forward.bind(d);
    g.forward = (inputs, training) => {
      const out = gForward(inputs, training);
      made.push(out[0]!.dataSync() as Float32Array);
      return out;
    };
    d.forward = (inputs, training) => {
      seen.push(inputs[0]!.dataSync() as Float32Array);
      return dForward(inputs, training);
    };
    process.env['DL_GRAPH'] = '0'; // eager, so every pass reaches the wrappers
    try {
      model.trainStep(batchOf(x));
    } finally {
      delete process.env['DL_GRAPH'];
    }
    expect(made).toHaveLength(1);
    // First the generator's update through the discriminator, then the discriminator's on [real; generated].
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(made[0]);
    expect(seen[1]).toEqual(Float32Array.from([...x.dataSync(), ...made[0]!]));
    x.dispose();
  });

  it("the preset's learning-rate callback (dl train --learning-rate) sets both networks' optimizers", async () => {
    const model = smallGan();
    expect(model.optimizers).toEqual([model.discriminator.optimizer, model.generator.optimizer]);
    await model.fit(squares(8), { epochs: 1, batchSize: 8, verbose: 0, callbacks: gan.callbacks({ epochs: 1, learningRate: 3e-3 }) });
    expect(getLearningRate(model.discriminator.optimizer)).toBeCloseTo(3e-3, 10);
    expect(getLearningRate(model.generator.optimizer)).toBeCloseTo(3e-3, 10);
  });

  it('fit drives the step with History, and leaks no tensors from epoch to epoch', async () => {
    setSeed(2);
    const model = smallGan();
    const history = await model.fit(squares(16), { epochs: 2, batchSize: 8, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['d_loss', 'g_loss']);
    expect(history.history['d_loss']).toHaveLength(2);
    const before = tf.memory().numTensors;
    await model.fit(squares(16), { epochs: 1, batchSize: 8, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const test = await model.evaluate(squares(8), { batchSize: 4 });
    expect(Object.keys(test).sort()).toEqual(['d_loss', 'g_loss']);
  });

  it('runs its step as one TensorFlow graph, with the losses and weights of eager training', async () => {
    const train = async () => {
      setSeed(6);
      const model = smallGan({ emaMomentum: 0.9 });
      // 12 steps an epoch: three traced eagerly at the start of each (graph-function.ts), the rest as a graph.
      const history = await model.fit(squares(96), { epochs: 2, batchSize: 8, verbose: 0 });
      const step = (model as unknown as { trainFunction?: { calls: { graph: number; eager: number } } }).trainFunction;
      const generator = weights(model.generatorAverage!.model);
      return { history: history.history, calls: step?.calls, generator, updates: model.generatorAverage!.updates };
    };
    const graph = await train();
    expect(graph.calls!.graph).toBeGreaterThan(graph.calls!.eager);
    process.env['DL_GRAPH'] = '0';
    const eager = await train().finally(() => delete process.env['DL_GRAPH']);
    expect(eager.calls!.graph).toBe(0);
    for (const key of ['d_loss', 'g_loss']) {
      graph.history[key]!.forEach((v, i) => expect(v).toBeCloseTo(eager.history[key]![i] as number, 4));
    }
    // The moving average's host-side count and momentum ramp advance with every graph call too.
    expect(graph.updates).toBe(24);
    expect(eager.updates).toBe(24);
    expect(graph.generator.every((w, i) => w.every((v, j) => Math.abs(v - eager.generator[i]![j]!) < 1e-4))).toBe(true);
  });

  it('save → loadGan restores both networks and both optimizers: training continues exactly', async () => {
    setSeed(3);
    const model = smallGan();
    const x = tf.tensor(squares(8).data, [8, 28, 28, 1]);
    model.trainStep(batchOf(x));
    const dir = join(temp.root, 'saved-gan');
    await model.save(dir, { metadata: { preset: 'gan', note: 'x' } });
    expect(existsSync(join(dir, 'generator', 'model.json'))).toBe(true);
    expect(existsSync(join(dir, 'discriminator', 'model.json'))).toBe(true);
    // Each folder is a complete TF.js layers model on its own.
    expect((await loadModel(join(dir, 'generator'))).net.outputs[0]!.shape).toEqual([null, 28, 28, 1]);

    const loaded = await loadGan(dir);
    expect(loaded.metadata).toEqual({ preset: 'gan', note: 'x' });
    expect(weights(loaded.generator)).toEqual(weights(model.generator));
    expect(weights(loaded.discriminator)).toEqual(weights(model.discriminator));
    expect(await optimizerWeights(loaded.generator)).toEqual(await optimizerWeights(model.generator));
    expect(await optimizerWeights(loaded.discriminator)).toEqual(await optimizerWeights(model.discriminator));
    expect(loaded.optimizer).toBe(loaded.discriminator.optimizer);

    // The same next step (same random draws) from the original and from the reloaded model.
    setSeed(4);
    const a = model.trainStep(batchOf(x));
    setSeed(4);
    const b = loaded.trainStep(batchOf(x));
    expect(b['d_loss']).toBeCloseTo(a['d_loss']!, 5);
    expect(b['g_loss']).toBeCloseTo(a['g_loss']!, 5);
    const close = (p: Float32Array[], q: Float32Array[]) => p.every((w, i) => w.every((v, j) => Math.abs(v - q[i]![j]!) < 1e-5));
    expect(close(weights(loaded.generator), weights(model.generator))).toBe(true);
    expect(close(weights(loaded.discriminator), weights(model.discriminator))).toBe(true);
    x.dispose();
  });

  it('the preset reloads a save through its load hook, and finds none in an empty folder', async () => {
    const dir = join(temp.root, 'hooked');
    await smallGan().save(dir);
    expect(await gan.load!(dir)).toBeInstanceOf(GanModel);
    // Loss settings are not saved with the networks: the loader is given them.
    expect((await loadGan(dir, { realTarget: 0.9 })).realTarget).toBe(0.9);
    expect((await loadGan(dir)).realTarget).toBe(1);
    expect(await gan.load!(join(temp.root, 'nothing-here'))).toBeUndefined();
  });
});

describe("the generator's moving average (emaMomentum)", () => {
  it('after each step moves the average towards the live weights by the (ramped-up) momentum; samples come from it', () => {
    setSeed(6);
    const model = smallGan({ emaMomentum: 0.9 });
    const average = model.generatorAverage!;
    expect(weights(average.model)).toEqual(weights(model.generator));
    const x = tf.tensor(squares(8).data, [8, 28, 28, 1]);
    for (const [update, momentum] of [
      [1, 1 / 10],
      [2, 2 / 11],
    ] as const) {
      const before = weights(average.model);
      model.trainStep(batchOf(x));
      expect(average.updates).toBe(update);
      const live = weights(model.generator);
      weights(average.model).forEach((w, i) => {
        const expected = before[i]!.map((b, j) => momentum * b + (1 - momentum) * live[i]![j]!);
        for (let j = 0; j < w.length; j += 97) expect(w[j]).toBeCloseTo(expected[j]!, 5);
      });
    }
    // Far from the start the momentum is the one asked for.
    average.updates = 1000;
    const before = weights(average.model);
    model.trainStep(batchOf(x));
    const live = weights(model.generator);
    const kernel = weights(average.model)[0]!;
    for (let j = 0; j < kernel.length; j += 211) expect(kernel[j]).toBeCloseTo(0.9 * before[0]![j]! + 0.1 * live[0]![j]!, 5);

    const fromAverage = model.generate(4, { seed: 9 });
    const z = model.latent(4, 9);
    const expected = average.model.predict(z);
    const live4 = model.generator.predict(z);
    expect(fromAverage.dataSync()).toEqual(expected.dataSync());
    expect(fromAverage.dataSync()).not.toEqual(live4.dataSync());
    tf.dispose([x, fromAverage, z, expected, live4]);
  });

  it('save writes generator-ema/ beside the live generator; loadGan restores it, so sampling and resuming go on from it', async () => {
    setSeed(7);
    const model = smallGan({ emaMomentum: 0.99 });
    const x = tf.tensor(squares(8).data, [8, 28, 28, 1]);
    model.trainStep(batchOf(x));
    model.trainStep(batchOf(x));
    const dir = join(temp.root, 'saved-ema');
    await model.save(dir, { metadata: { preset: 'gan' } });
    expect(samplingGeneratorDir(dir)).toBe(join(dir, 'generator-ema'));
    const loaded = await loadGan(dir);
    expect(loaded.generatorAverage?.momentum).toBe(0.99);
    expect(loaded.generatorAverage?.updates).toBe(2);
    expect(weights(loaded.generatorAverage!.model)).toEqual(weights(model.generatorAverage!.model));
    expect(weights(loaded.generator)).toEqual(weights(model.generator));
    // The next step updates both averages alike.
    setSeed(8);
    model.trainStep(batchOf(x));
    setSeed(8);
    loaded.trainStep(batchOf(x));
    const close = (p: Float32Array[], q: Float32Array[]) => p.every((w, i) => w.every((v, j) => Math.abs(v - q[i]![j]!) < 1e-5));
    expect(close(weights(loaded.generatorAverage!.model), weights(model.generatorAverage!.model))).toBe(true);
    // Without an average, the live generator is the one to sample from.
    const plain = join(temp.root, 'saved-plain');
    await smallGan().save(plain);
    expect(samplingGeneratorDir(plain)).toBe(join(plain, 'generator'));
    expect((await loadGan(plain)).generatorAverage).toBeUndefined();
    // Saved over a folder that held an average, a model without one leaves none behind to be sampled by mistake.
    await smallGan().save(dir);
    expect(samplingGeneratorDir(dir)).toBe(join(dir, 'generator'));
    x.dispose();
  });

  it('refuses a momentum outside (0, 1)', () => {
    expect(() => smallGan({ emaMomentum: 1 })).toThrow(/momentum must be between 0 and 1/);
  });
});

describe('sample grids and files', () => {
  it('imageGrid tiles n images with padding, mapping [-1, 1] to 0–255', () => {
    const images = tf.concat([tf.fill([2, 28, 28, 1], -1), tf.fill([3, 28, 28, 1], 1)]);
    const grid = imageGrid(images, { padding: 2 });
    // 5 images → 3 columns × 2 rows of 30-pixel cells, plus the closing 2-pixel border.
    expect(grid.shape).toEqual([2 * 30 + 2, 3 * 30 + 2, 1]);
    const g = grid.arraySync() as number[][][];
    expect(g[0]![0]![0]).toBe(128); // padding
    expect(g[2]![2]![0]).toBe(0); // first image: -1 → 0
    expect(g[2]![2 + 30 * 2]![0]).toBe(255); // third image: 1 → 255
    expect(g[32]![2 + 30 * 2]![0]).toBe(128); // missing sixth cell
    tf.dispose([images, grid]);
  });

  it('SampleGrid writes samples/epoch-NNN.png after every epoch, from the same latent batch', async () => {
    setSeed(5);
    const model = smallGan();
    const dir = join(temp.root, 'samples');
    await model.fit(squares(8), { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new SampleGrid({ dir, count: 16 })] });
    const png = await readFile(join(dir, 'epoch-002.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const image = (tf as unknown as { node: { decodePng(b: Uint8Array): Tensor } }).node.decodePng(png);
    expect(image.shape).toEqual([4 * 30 + 2, 4 * 30 + 2, 1]);
    image.dispose();
    expect(existsSync(join(dir, 'epoch-001.png'))).toBe(true);
    // The fixed batch: the same latent vectors give the same samples.
    const a = model.generate(4, { seed: 42 });
    const b = model.generate(4, { seed: 42 });
    expect(a.dataSync()).toEqual(b.dataSync());
    tf.dispose([a, b]);
  });
});
