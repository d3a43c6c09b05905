/**
 * Where `fit` and `evaluate` get their batches: arrays held whole (sliced, optionally shuffled, per epoch), or a
 * stream of batches pulled one at a time so a dataset never has to fit in memory.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { permutation, random } from '../seed.js';
import { isShapedArray, toTensor, type TensorLike } from '../shaped-array.js';
import { OptionError } from '../errors/option-error.js';
import { ShapeError } from '../errors/shape-error.js';

/** Model inputs or targets: one array, or one per model input/output in order. */
export type ModelData = TensorLike | TensorLike[];

/** A batch as a user's stream yields it: `{ x, y, sampleWeight? }` or `[x, y]`. */
export type StreamBatch = { x: ModelData; y?: ModelData; sampleWeight?: TensorLike } | [ModelData, ModelData?];

/** A stream of batches for `fit`/`evaluate`. Each epoch iterates it anew (or, with `stepsPerEpoch`, continues it). */
export type BatchStream = AsyncIterable<StreamBatch> | Iterable<StreamBatch>;

/** A batch as train and test steps see it: tensors in the model's input and output order. */
export interface Batch {
  x: Tensor[];
  y: Tensor[];
  sampleWeight?: Tensor;
  size: number;
}

/** A batch plus the tensors it created, which the consumer disposes after the step. */
interface OwnedBatch {
  batch: Batch;
  owned: Tensor[];
}

export interface BatchSource {
  /** Samples per epoch, when known in advance. */
  readonly samples: number | undefined;
  /** Batches of the next epoch. */
  epoch(): AsyncIterable<OwnedBatch> | Iterable<OwnedBatch>;
  dispose(): void;
}

/**
 * Whether `value` is a stream of batches rather than model data. An array counts when its items are batches
 * (`{ x, y }` objects or `[x, y]` pairs); an array of tensors or plain arrays is several model inputs.
 */
export function isBatchStream(value: unknown): value is BatchStream {
  if (typeof value !== 'object' || value === null || isShapedArray(value) || value instanceof tf.Tensor) return false;
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    return Array.isArray(first) || (typeof first === 'object' && first !== null && 'x' in first);
  }
  return Symbol.asyncIterator in value || Symbol.iterator in value;
}

/** Tensors for one or several arrays; `owned` collects those created here. */
export function toTensors(data: ModelData, owned: Tensor[]): Tensor[] {
  const list = Array.isArray(data) ? data : [data];
  return list.map((d) => {
    const t = toTensor(d);
    if (t !== d) owned.push(t);
    return t;
  });
}

/** Arrays held whole: sliced into batches, reshuffled each epoch when asked. */
export class ArrayBatches implements BatchSource {
  readonly samples: number;
  /** `fit`'s `stepsPerEpoch`: each epoch ends after this many batches (of a fresh shuffle), as in Keras. */
  stepsPerEpoch: number | undefined;

  constructor(
    private readonly x: Tensor[],
    private readonly y: Tensor[],
    private readonly batchSize: number,
    private readonly shuffle: boolean,
    private readonly owned: Tensor[] = [],
    private readonly sampleWeight?: Tensor,
  ) {
    this.samples = x[0]?.shape[0] ?? 0;
    const named: Array<[string, Tensor]> = [...y.map((t): [string, Tensor] => ['y', t]), ...x.map((t): [string, Tensor] => ['x', t])];
    if (sampleWeight) named.push(['sampleWeight', sampleWeight]);
    const odd = named.find(([, t]) => t.shape[0] !== this.samples);
    if (odd) throw new ShapeError(`x has ${this.samples} samples but ${odd[0]} has ${odd[1].shape[0]}: they must match`);
    if (this.samples === 0) throw new ShapeError('x has no samples');
  }

  /** The last `fraction` of the samples as a separate source (Keras's validationSplit: taken before shuffling). */
  split(fraction: number): [ArrayBatches, ArrayBatches] {
    const valCount = Math.floor(this.samples * fraction);
    const trainCount = this.samples - valCount;
    if (valCount < 1 || trainCount < 1) {
      throw new ShapeError(
        `validationSplit ${fraction} of ${this.samples} samples leaves ${trainCount} to train on and ${valCount} to validate`,
      );
    }
    const part = (t: Tensor, start: number, count: number) => t.slice(start, count);
    const sw = this.sampleWeight;
    const train = new ArrayBatches(
      this.x.map((t) => part(t, 0, trainCount)),
      this.y.map((t) => part(t, 0, trainCount)),
      this.batchSize,
      this.shuffle,
      [],
      sw && part(sw, 0, trainCount),
    );
    const val = new ArrayBatches(
      this.x.map((t) => part(t, trainCount, valCount)),
      this.y.map((t) => part(t, trainCount, valCount)),
      this.batchSize,
      false,
      [],
      sw && part(sw, trainCount, valCount),
    );
    train.owned.push(...train.x, ...train.y, ...(train.sampleWeight ? [train.sampleWeight] : []));
    val.owned.push(...val.x, ...val.y, ...(val.sampleWeight ? [val.sampleWeight] : []));
    this.dispose();
    return [train, val];
  }

  *epoch(): Iterable<OwnedBatch> {
    for (const { start, rows, size } of this.rowsPerBatch()) {
      const take = (t: Tensor): Tensor =>
        rows === undefined ? t.slice(start, size) : tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32')));
      const batch: Batch = { x: this.x.map(take), y: this.y.map(take), size };
      if (this.sampleWeight) batch.sampleWeight = take(this.sampleWeight);
      yield { batch, owned: [...batch.x, ...batch.y, ...(batch.sampleWeight ? [batch.sampleWeight] : [])] };
    }
  }

  /** The arrays whole, in the order of a batch: inputs, targets, then the sample weights if any. */
  get arrays(): { x: Tensor[]; y: Tensor[]; sampleWeight?: Tensor } {
    return { x: this.x, y: this.y, ...(this.sampleWeight ? { sampleWeight: this.sampleWeight } : {}) };
  }

  /**
   * Which rows of the arrays each batch of the next epoch holds, for a step that gathers them itself: `size` rows from
   * `start`, or when shuffling the `rows` of a fresh permutation.
   */
  *rowsPerBatch(): Iterable<{ start: number; rows: Int32Array | undefined; size: number }> {
    const order = this.shuffle ? permutation(this.samples) : undefined;
    const end = this.stepsPerEpoch === undefined ? this.samples : Math.min(this.samples, this.stepsPerEpoch * this.batchSize);
    for (let start = 0; start < end; start += this.batchSize) {
      const size = Math.min(this.batchSize, this.samples - start);
      yield { start, rows: order?.subarray(start, start + size), size };
    }
  }

  /** The batch size asked for: under Poisson sampling, the expected one (q = batchSize / samples). */
  get expectedBatchSize(): number {
    return this.batchSize;
  }

  /**
   * The rows of each batch of the next epoch under Poisson sampling, as DP-SGD's analysis assumes: every row joins
   * each batch independently with probability q = batchSize / samples, so batch sizes vary (binomially around
   * batchSize). An epoch is ⌈samples / batchSize⌉ such batches (or `stepsPerEpoch`); a batch may be empty.
   */
  *poissonRows(): Iterable<{ rows: Int32Array; size: number }> {
    const q = this.batchSize / this.samples;
    const steps = this.stepsPerEpoch ?? Math.ceil(this.samples / this.batchSize);
    const buffer = new Int32Array(this.samples);
    for (let step = 0; step < steps; step++) {
      let n = 0;
      for (let i = 0; i < this.samples; i++) if (random() < q) buffer[n++] = i;
      yield { rows: buffer.slice(0, n), size: n };
    }
  }

  dispose(): void {
    tf.dispose(this.owned);
    this.owned.length = 0;
  }
}

/**
 * A user's stream of batches. Without `stepsPerEpoch` each epoch runs the stream from its start (it must be
 * re-iterable, e.g. an object whose [Symbol.asyncIterator] starts over); with it, each epoch takes the next
 * `stepsPerEpoch` batches from one continuing iterator, as Keras does with generators.
 */
export class StreamBatches implements BatchSource {
  readonly samples = undefined;
  private iterator: AsyncIterator<StreamBatch> | Iterator<StreamBatch> | undefined;

  constructor(
    private readonly stream: BatchStream,
    private readonly stepsPerEpoch?: number,
  ) {}

  async *epoch(): AsyncIterable<OwnedBatch> {
    if (this.stepsPerEpoch === undefined || !this.iterator) this.iterator = iteratorOf(this.stream);
    for (let step = 0; this.stepsPerEpoch === undefined || step < this.stepsPerEpoch; step++) {
      const next = await this.iterator.next();
      if (next.done) {
        if (this.stepsPerEpoch !== undefined) {
          throw new OptionError(
            `the batch stream ended after ${step} of ${this.stepsPerEpoch} steps of an epoch (stepsPerEpoch): make it yield more batches, or lower stepsPerEpoch`,
          );
        }
        return;
      }
      yield toBatch(next.value, step);
    }
  }

  dispose(): void {}
}

function iteratorOf(stream: BatchStream): AsyncIterator<StreamBatch> | Iterator<StreamBatch> {
  return Symbol.asyncIterator in stream ? stream[Symbol.asyncIterator]() : (stream as Iterable<StreamBatch>)[Symbol.iterator]();
}

function toBatch(item: StreamBatch, step: number): OwnedBatch {
  const { x, y, sampleWeight } = Array.isArray(item) ? { x: item[0], y: item[1], sampleWeight: undefined } : item;
  if (x === undefined) throw new OptionError(`batch ${step} of the stream has no x: yield { x, y } or [x, y]`);
  const owned: Tensor[] = [];
  const batch: Batch = { x: toTensors(x, owned), y: y === undefined ? [] : toTensors(y, owned), size: 0 };
  if (sampleWeight !== undefined) batch.sampleWeight = toTensors(sampleWeight, owned)[0];
  batch.size = batch.x[0]?.shape[0] ?? 0;
  return { batch, owned };
}
