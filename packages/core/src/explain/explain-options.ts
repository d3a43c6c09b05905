/** Options and results shared by the attribution methods, and the preparation they all start with. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { LayersModel } from '@tensorflow/tfjs';
import { softmaxOutputs } from '../training/softmax-logits.js';
import { outputValues } from './explained-output.js';
import { OptionError } from '../errors/option-error.js';
import { checkInputShapes } from '../input-shapes.js';
import type { Model } from '../model.js';
import { toTensor, type TensorLike } from '../shaped-array.js';
import type { AttributionSite } from './attribution-site.js';

export interface ExplainOptions {
  /**
   * The output unit (class) to explain: one for every sample or one per sample. Default: the class the model predicts
   * (the largest output), or unit 0 for a model with a single output unit (a sigmoid's probability).
   */
  target?: number | readonly number[];
  /** Which of the model's outputs to explain, for a model with several. Default 0. */
  outputIndex?: number;
  /** Points (interpolation steps, noisy copies or samples) per forward and backward pass. Default 64. */
  batchSize?: number;
  /**
   * Explain the score before a softmax output's activation (the logit) rather than the probability, which saturates
   * near 1 and leaves tiny gradients. Default false (Grad-CAM: true, as in its paper). Only for softmax outputs.
   */
  logits?: boolean;
}

/** Attribution scores for a batch of samples. */
export interface Attributions {
  /**
   * One score per input value, in the input's shape `[n, …]`; per token `[n, length]` for a model whose input feeds
   * an Embedding; per pixel `[n, height, width]` for Grad-CAM. Positive scores speak for the target class.
   */
  scores: { data: Float32Array; shape: number[] };
  /** The unit explained for each sample. */
  targets: Int32Array;
  /** The model's output for that unit at each sample, f(x) (the logit with `logits`). */
  outputs: Float32Array;
}

/** What every method starts from: the inputs as a tensor, the outputs at them and the targets chosen. */
export interface Prepared {
  x: Tensor;
  /** Tensors to dispose at the end. */
  owned: Tensor[];
  n: number;
  units: number;
  targets: Int32Array;
  outputs: Float32Array;
  outputIndex: number;
  batchSize: number;
  logits: boolean;
}

const COMMON_OPTIONS = ['target', 'outputIndex', 'batchSize', 'logits'];

export function checkExplainOptions(options: object, own: readonly string[], method: string): void {
  const known = [...COMMON_OPTIONS, ...own];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new OptionError(`unknown ${method} option '${key}': the options are ${known.join(', ')}`);
  }
}

export function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new OptionError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function prepare(model: Model, x: TensorLike, site: AttributionSite, options: ExplainOptions, logitsByDefault = false): Prepared {
  const net = model.net;
  const outputIndex = options.outputIndex ?? 0;
  if (!Number.isInteger(outputIndex) || outputIndex < 0 || outputIndex >= net.outputs.length) {
    throw new OptionError(`outputIndex ${outputIndex} is out of range: model '${net.name}' has ${net.outputs.length} output(s)`);
  }
  const isSoftmax = softmaxOutputs(net as unknown as LayersModel)[outputIndex]!;
  if (options.logits === true && !isSoftmax) {
    throw new OptionError(`logits: output ${outputIndex} of model '${net.name}' does not end in a softmax, so it has no logits to explain`);
  }
  const logits = options.logits ?? (logitsByDefault && isSoftmax);
  const batchSize = positiveInteger(options.batchSize ?? 64, 'batchSize');
  const dtype = site.kind === 'embedding' && net.inputs[0]!.dtype === 'int32' ? 'int32' : 'float32';
  const xT = toTensor(x, dtype);
  const owned = xT === x ? [] : [xT];
  try {
    checkInputShapes(net, [xT]);
    const n = xT.shape[0]!;
    if (n === 0) throw new OptionError('no samples to explain: x has 0 rows');
    const out = outputValues(model, xT, outputIndex, logits);
    const units = out.size / n;
    const values = out.dataSync() as Float32Array;
    out.dispose();
    const targets = new Int32Array(n);
    const given = options.target;
    for (let i = 0; i < n; i++) {
      const t = given === undefined ? argmax(values, i * units, units) : typeof given === 'number' ? given : given[i];
      if (t === undefined || !Number.isInteger(t) || t < 0 || t >= units) {
        const why = Array.isArray(given) && given.length !== n ? `${given.length} targets for ${n} samples` : `target ${t}`;
        throw new OptionError(`${why}: target must be a class index 0…${units - 1} (one, or one per sample)`);
      }
      targets[i] = t;
    }
    const outputs = Float32Array.from(targets, (t, i) => values[i * units + t]!);
    return { x: xT, owned, n, units, targets, outputs, outputIndex, batchSize, logits };
  } catch (err) {
    tf.dispose(owned);
    throw err;
  }
}

/** One-hot rows selecting each row's target unit, [rows, units]. */
export function targetMask(units: number, targets: ArrayLike<number>): Tensor {
  if (units === 1) return tf.ones([targets.length, 1]);
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(targets), 'int32'), units).toFloat());
}

/** Sums an embedding site's scores over the embedding's dimension: one score per token. */
export function perToken(scores: Tensor, site: AttributionSite): Tensor {
  return site.kind === 'embedding' ? tf.sum(scores, -1) : tf.clone(scores);
}

function argmax(values: Float32Array, start: number, length: number): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (values[start + k]! > values[start + best]!) best = k;
  return best;
}

/** The rows of several batches, one after the other. */
export function concat(rows: Float32Array[]): Float32Array {
  const data = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const r of rows) {
    data.set(r, offset);
    offset += r.length;
  }
  return data;
}
