// Shared fixtures for the @dl/core tests: tiny synthetic problems, tiny models, recording callbacks and fake streams.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Callback, layers, sequential, tf, type Logs, type Model, type ShapedArray } from '../src/index.js';

/** A small deterministic PRNG (mulberry32), independent of setSeed, so the data never depends on the global seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dataset {
  x: ShapedArray & { data: Float32Array; shape: [number, number] };
  y: ShapedArray & { data: Float32Array; shape: [number] };
}

/**
 * `n` points in [-1, 1]², labelled 1 when x0 + x1 > 0, else 0: a linearly separable 2-class problem.
 * Points closer than `margin` to the boundary are redrawn so that a few epochs suffice to separate them.
 */
export function separable(n: number, seed = 1, margin = 0.1): Dataset {
  const next = rng(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let a: number;
    let b: number;
    do {
      a = next() * 2 - 1;
      b = next() * 2 - 1;
    } while (Math.abs(a + b) < margin);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a + b > 0 ? 1 : 0;
  }
  return { x: { data: x, shape: [n, 2] }, y: { data: y, shape: [n] } };
}

/** A 2-input softmax classifier with one small hidden layer. */
export function classifier(hidden = 8): Model {
  return sequential([
    layers.dense({ units: hidden, activation: 'relu', inputShape: [2] }),
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
}

/** `classifier()` compiled with Adam, sparse categorical cross-entropy and accuracy. */
export function compiledClassifier(learningRate = 0.05, hidden = 8): Model {
  const model = classifier(hidden);
  model.compile({ optimizer: { name: 'adam', learningRate }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Copies of all of a model's weights as plain arrays. */
export function weightsOf(model: Model): number[][] {
  return model.net.getWeights().map((w) => Array.from(w.dataSync()));
}

/** Records every hook call as a string, e.g. `epochBegin 0`, `batchEnd 2`, with the logs it received. */
export class Recorder extends Callback {
  events: string[] = [];
  epochLogs: Logs[] = [];
  batchLogs: Logs[] = [];

  override onTrainBegin(): void {
    this.events.push('trainBegin');
  }
  override onTrainEnd(): void {
    this.events.push('trainEnd');
  }
  override onEpochBegin(epoch: number): void {
    this.events.push(`epochBegin ${epoch}`);
  }
  override onEpochEnd(epoch: number, logs: Logs): void {
    this.events.push(`epochEnd ${epoch}`);
    this.epochLogs.push({ ...logs });
  }
  override onTrainBatchBegin(batch: number): void {
    this.events.push(`batchBegin ${batch}`);
  }
  override onTrainBatchEnd(batch: number, logs: Logs): void {
    this.events.push(`batchEnd ${batch}`);
    this.batchLogs.push({ ...logs });
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type FakeStream = NodeJS.WriteStream & { text: string };

/**
 * A stand-in for stdout that collects what is written. As a TTY it has the width and the cursor methods
 * cli-progress (through node:readline) may call; readline only ever calls `write` on it.
 */
export function fakeStream(isTTY: boolean, columns = 120): FakeStream {
  const stream = {
    text: '',
    isTTY,
    columns: isTTY ? columns : undefined,
    write(chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean {
      stream.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    },
    cursorTo(x: number, y?: number | (() => void), cb?: () => void): boolean {
      return stream.write(typeof y === 'number' ? `\x1b[${y + 1};${x + 1}H` : `\x1b[${x + 1}G`, typeof y === 'function' ? y : cb);
    },
    moveCursor(dx: number, dy: number, cb?: () => void): boolean {
      return stream.write(
        `${dx ? `\x1b[${Math.abs(dx)}${dx > 0 ? 'C' : 'D'}` : ''}${dy ? `\x1b[${Math.abs(dy)}${dy > 0 ? 'B' : 'A'}` : ''}`,
        cb,
      );
    },
    clearLine(dir: number, cb?: () => void): boolean {
      return stream.write(dir < 0 ? '\x1b[1K' : dir > 0 ? '\x1b[0K' : '\x1b[2K', cb);
    },
    clearScreenDown(cb?: () => void): boolean {
      return stream.write('\x1b[0J', cb);
    },
    getWindowSize: () => [columns, 40],
    on: () => stream,
    once: () => stream,
    removeListener: () => stream,
  };
  return stream as unknown as FakeStream;
}

/**
 * The text with ANSI escape sequences removed. A move to a column (how a bar returns to the start of its line
 * to redraw it) becomes a line break, so that each redraw reads as a line of its own.
 */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what this strips
  return text.replace(/\x1b\[\d*G/g, '\n').replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g, '');
}

/** The largest absolute difference between two tensors, which must have the same shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** The parts of a tfjs layer that `layerGradients` uses. */
interface GradientLayer {
  apply(x: Tensor, kwargs: { training: boolean }): unknown;
  trainableWeights: Array<{ read(): Tensor }>;
}

/**
 * A layer's output on `x` in training mode, and the gradients of a random projection of it (the same for a given
 * `seed`) with respect to `x` and then each trainable weight: what the native-kernel tests compare against tfjs's.
 */
export function layerGradients(layer: GradientLayer, x: Variable, seed: number): { y: Tensor; grads: Tensor[] } {
  const variables = [x, ...layer.trainableWeights.map((w) => w.read() as Variable)];
  let y: Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(x, { training: true }) as Tensor);
    return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed))) as Scalar;
  }, variables);
  value.dispose();
  return { y: y!, grads: variables.map((v) => grads[v.name]!) };
}

export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dl-core-test-'));
}

/** Puts scripted values into each epoch's logs, standing in for validation metrics; list it before the callbacks under test. */
export class Script extends Callback {
  constructor(private readonly values: Record<string, number[]>) {
    super();
  }
  override onEpochEnd(epoch: number, logs: Logs): void {
    for (const [name, series] of Object.entries(this.values)) {
      const v = series[epoch];
      if (v !== undefined) logs[name] = v;
    }
  }
}

/** The error `f` throws or rejects with. */
export async function errorOf(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** Spearman's rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => {
    const order = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
    const r = new Float64Array(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
      for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}
