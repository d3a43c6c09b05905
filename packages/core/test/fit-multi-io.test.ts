// Functional models with several inputs and outputs: one loss per output (a list or a record by output name),
// lossWeights, Keras's log names (loss, <out>_loss, <out>_<metric>), and the total as the weighted sum.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { input, layers, model, setSeed, type CompileOptions, type Model, type ShapedArray, type StreamBatch } from '../src/index.js';
import { Recorder, rng } from './helpers.js';

const EPSILON = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPSILON), 1 - EPSILON);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]) =>
  layer.apply(x) as SymbolicTensor;

/** Inputs a [3] and b [2], joined; outputs `cls` (3-class softmax) and `reg` (one value). */
function twoByTwo(): Model {
  const a = input({ shape: [3], name: 'a' });
  const b = input({ shape: [2], name: 'b' });
  const hidden = apply(layers.dense({ units: 6, activation: 'tanh' }), apply(layers.concatenate(), [a, b]));
  const cls = apply(layers.dense({ units: 3, activation: 'softmax', name: 'cls' }), hidden);
  const reg = apply(layers.dense({ units: 1, name: 'reg' }), hidden);
  return model({ inputs: [a, b], outputs: [cls, reg], name: 'two_by_two' });
}

interface MultiData {
  xa: ShapedArray;
  xb: ShapedArray;
  yCls: ShapedArray;
  yReg: ShapedArray;
}

function multiData(n: number, seed: number): MultiData {
  const next = rng(seed);
  const values = (count: number) => Float32Array.from({ length: count }, () => next() * 2 - 1);
  return {
    xa: { data: values(n * 3), shape: [n, 3] },
    xb: { data: values(n * 2), shape: [n, 2] },
    yCls: { data: Float32Array.from({ length: n }, (_, i) => i % 3), shape: [n] },
    yReg: { data: values(n), shape: [n, 1] },
  };
}

/** Per-output losses by hand from the model's predictions: cross-entropy for cls, squared error for reg. */
function handLosses(m: Model, d: MultiData): { cls: number; reg: number } {
  const [probs, values] = m.predict<Tensor[]>([d.xa, d.xb]);
  const rows = probs!.arraySync() as number[][];
  const preds = Array.from(values!.dataSync());
  probs!.dispose();
  values!.dispose();
  return {
    cls: mean(rows.map((row, i) => -Math.log(clip(row[d.yCls.data[i]!]!)))),
    reg: mean(preds.map((p, i) => (p - d.yReg.data[i]!) ** 2)),
  };
}

function compileFrozen(m: Model, options: Partial<CompileOptions> = {}): void {
  m.compile({
    optimizer: { name: 'sgd', learningRate: 0 },
    loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'],
    metrics: ['accuracy'],
    ...options,
  });
}

describe('multi-input, multi-output models', () => {
  it('log loss, <output>_loss and <output>_<metric>, per batch, per epoch and in History', async () => {
    setSeed(1);
    const m = twoByTwo();
    compileFrozen(m);
    const d = multiData(12, 1);
    const recorder = new Recorder();
    const history = await m.fit([d.xa, d.xb], [d.yCls, d.yReg], { epochs: 2, batchSize: 5, verbose: 0, callbacks: [recorder] });

    const names = ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_accuracy'];
    expect(m.outputNames).toEqual(['cls', 'reg']);
    expect(m.metricsNames).toEqual(names);
    expect(Object.keys(history.history)).toEqual(names);
    expect(Object.keys(recorder.batchLogs[0]!).filter((k) => k !== 'batch' && k !== 'size')).toEqual(names);
    expect(Object.keys(await m.evaluate([d.xa, d.xb], [d.yCls, d.yReg]))).toEqual(names);
  });

  it('log a total that is the lossWeights-weighted sum of the per-output losses, as computed by hand', async () => {
    setSeed(2);
    const m = twoByTwo();
    compileFrozen(m, { lossWeights: [0.5, 2] });
    const d = multiData(14, 2);
    const expected = handLosses(m, d);
    const history = await m.fit([d.xa, d.xb], [d.yCls, d.yReg], { epochs: 1, batchSize: 4, verbose: 0 });

    const logs = Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[0]!]));
    expect(logs['cls_loss']!).toBeCloseTo(expected.cls, 5);
    expect(logs['reg_loss']!).toBeCloseTo(expected.reg, 5);
    expect(logs['loss']!).toBeCloseTo(0.5 * expected.cls + 2 * expected.reg, 5);
    // Not the unweighted sum.
    expect(Math.abs(logs['loss']! - (expected.cls + expected.reg))).toBeGreaterThan(1e-3);

    const evaluated = await m.evaluate([d.xa, d.xb], [d.yCls, d.yReg], { batchSize: 6 });
    expect(evaluated['loss']!).toBeCloseTo(logs['loss']!, 5);
    expect(evaluated['cls_loss']!).toBeCloseTo(expected.cls, 5);
  });

  it('take losses and lossWeights as records by output name, in any order, as the lists in output order', async () => {
    const d = multiData(10, 3);
    const run = async (options: Partial<CompileOptions>) => {
      setSeed(3);
      const m = twoByTwo();
      compileFrozen(m, options);
      return m.evaluate([d.xa, d.xb], [d.yCls, d.yReg]);
    };
    const byList = await run({ loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'], lossWeights: [1, 0.1] });
    const byName = await run({
      loss: { reg: 'meanSquaredError', cls: 'sparseCategoricalCrossentropy' },
      lossWeights: { reg: 0.1, cls: 1 },
    });
    expect(byName).toEqual(byList);
    expect(byList['loss']!).toBeCloseTo(byList['cls_loss']! + 0.1 * byList['reg_loss']!, 5);
  });

  it('train through the weights: an output weighted 0 gets no gradient, so its head stays as it was', async () => {
    setSeed(4);
    const m = twoByTwo();
    m.compile({
      optimizer: { name: 'sgd', learningRate: 0.2 },
      loss: { cls: 'sparseCategoricalCrossentropy', reg: 'meanSquaredError' },
      lossWeights: { cls: 0, reg: 1 },
    });
    const d = multiData(12, 4);
    const weights = (name: string) =>
      m.net
        .getLayer(name)
        .getWeights()
        .map((w) => Array.from(w.dataSync()));
    const cls = weights('cls');
    const reg = weights('reg');
    const before = await m.evaluate([d.xa, d.xb], [d.yCls, d.yReg]);
    await m.fit([d.xa, d.xb], [d.yCls, d.yReg], { epochs: 3, batchSize: 6, verbose: 0 });
    const after = await m.evaluate([d.xa, d.xb], [d.yCls, d.yReg]);

    expect(weights('cls')).toEqual(cls);
    expect(weights('reg')).not.toEqual(reg);
    expect(after['reg_loss']!).toBeLessThan(before['reg_loss']!);
    expect(after['loss']!).toBeCloseTo(after['reg_loss']!, 5);
  });

  it('train from a stream of { x: [a, b], y: [cls, reg] } batches as from the arrays', async () => {
    const d = multiData(12, 5);
    const slice = (a: ShapedArray, from: number, to: number): ShapedArray => {
      const width = a.shape.slice(1).reduce((p, q) => p * q, 1);
      return { data: (a.data as Float32Array).slice(from * width, to * width), shape: [to - from, ...a.shape.slice(1)] };
    };
    const batches: StreamBatch[] = [0, 6].map((s) => ({
      x: [slice(d.xa, s, s + 6), slice(d.xb, s, s + 6)],
      y: [slice(d.yCls, s, s + 6), slice(d.yReg, s, s + 6)],
    }));
    const train = async (fit: (m: Model) => Promise<unknown>) => {
      setSeed(5);
      const m = twoByTwo();
      m.compile({ optimizer: { name: 'adam', learningRate: 0.01 }, loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'] });
      await fit(m);
      return m.net.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const fromArrays = await train((m) => m.fit([d.xa, d.xb], [d.yCls, d.yReg], { epochs: 2, batchSize: 6, shuffle: false, verbose: 0 }));
    const fromStream = await train((m) => m.fit({ [Symbol.iterator]: () => batches[Symbol.iterator]() }, { epochs: 2, verbose: 0 }));
    expect(fromStream).toEqual(fromArrays);
  });

  it('reject a wrong number of y arrays clearly, in fit and evaluate', async () => {
    setSeed(6);
    const m = twoByTwo();
    compileFrozen(m);
    const d = multiData(6, 6);
    const recorder = new Recorder();
    const expected = 'the model has 2 output(s) (cls, reg) but y has 1 array(s)';
    await expect(m.fit([d.xa, d.xb], [d.yCls], { verbose: 0, callbacks: [recorder] })).rejects.toThrow(expected);
    expect(recorder.events.at(-1)).toBe('trainEnd');
    await expect(m.fit([d.xa, d.xb], d.yCls, { verbose: 0 })).rejects.toThrow(expected);
    await expect(m.evaluate([d.xa, d.xb], [d.yCls])).rejects.toThrow(expected);
    await expect(m.fit([d.xa, d.xb], [d.yCls, d.yReg, d.yReg], { verbose: 0 })).rejects.toThrow(
      'the model has 2 output(s) (cls, reg) but y has 3 array(s)',
    );
  });

  it('reject a wrong number of x arrays, naming the inputs', async () => {
    setSeed(7);
    const m = twoByTwo();
    compileFrozen(m);
    const d = multiData(6, 7);
    await expect(m.fit(d.xa, [d.yCls, d.yReg], { verbose: 0 })).rejects.toThrow("model 'two_by_two' expects 2 inputs ('a', 'b') but got 1");
    expect(() => m.predict([d.xa])).toThrow("model 'two_by_two' expects 2 inputs ('a', 'b') but got 1");
  });

  it('reject losses and lossWeights that do not match the outputs', () => {
    const m = twoByTwo();
    const sgd = { name: 'sgd' } as const;
    expect(() => m.compile({ optimizer: sgd, loss: ['meanSquaredError'] })).toThrow('loss: got 1 values for 2 outputs (cls, reg)');
    expect(() => m.compile({ optimizer: sgd, loss: { cls: 'sparseCategoricalCrossentropy' } })).toThrow("loss: no value for output 'reg'");
    expect(() =>
      m.compile({ optimizer: sgd, loss: { cls: 'sparseCategoricalCrossentropy', reg: 'meanSquaredError', value: 'meanSquaredError' } }),
    ).toThrow('loss: unknown output value; the outputs are cls, reg');
    expect(() => m.compile({ optimizer: sgd, loss: 'meanSquaredError', lossWeights: [1, 2, 3] })).toThrow(
      'lossWeights: got 3 values for 2 outputs (cls, reg)',
    );
    expect(() => m.compile({ optimizer: sgd, loss: 'meanSquaredError', lossWeights: { regression: 1 } })).toThrow(
      'lossWeights: unknown output regression',
    );
  });

  it('reject classWeight, which is defined for a single output only (as Keras)', async () => {
    setSeed(8);
    const m = twoByTwo();
    compileFrozen(m);
    const d = multiData(6, 8);
    // Applying the weights of cls's classes to reg's loss as well would be silently wrong.
    await expect(m.fit([d.xa, d.xb], [d.yCls, d.yReg], { classWeight: { 0: 1, 1: 0, 2: 1 }, verbose: 0 })).rejects.toThrow(/classWeight/);
  });
});
