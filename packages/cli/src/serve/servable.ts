import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadModel, type Model } from '@dl/core';
import {
  classifyTexts,
  isGanSave,
  loadVocabulary,
  readExportMeta,
  samplingGeneratorDir,
  type TextPrediction,
  VOCABULARY_JSON,
} from '@dl/models';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from '../commands/resolve-preset.js';
import { type DenseInstanceSpec, describe, parseDenseInstances } from './dense-instances.js';
import { RequestError } from './request-error.js';

/** What a served model does with its instances. */
export type ServableKind = 'image-classifier' | 'text-classifier' | 'generator';

/** TF Serving's default signature: each prediction is the model's output for one instance. */
export const DEFAULT_SIGNATURE = 'serving_default';
/** Classifiers' second signature: each prediction an object with the probabilities and the predicted label. */
export const LABELS_SIGNATURE = 'with_labels';

/** One output of a signature, for the metadata endpoint (TF Serving's TensorInfo). */
export interface TensorSpec {
  dtype: 'DT_FLOAT' | 'DT_INT32' | 'DT_STRING';
  /** Without the batch dimension. */
  shape: readonly number[];
}

/** A request's instances, checked and ready to run: only the model can fail on them now. */
export interface PreparedRequest {
  readonly count: number;
  /** Dense models: the instances' values, instance after instance; text models: the texts. */
  readonly values: Float32Array | readonly string[];
}

/** The model's results for one request, opaque until `predictions` formats them. */
export interface RequestOutput {
  readonly count: number;
  readonly values: Float32Array | readonly TextPrediction[];
}

/**
 * A model as `dl serve` serves it, whatever folder it came from. Requests go `prepare` (per request: every check that
 * can fail on the client's data) → `run` (per batch: several requests through the model at once) → `predictions`.
 */
export interface Servable {
  readonly name: string;
  /** The folder it was loaded from (absolute). */
  readonly dir: string;
  readonly kind: ServableKind;
  /** The dl preset that built the model. */
  readonly preset: string;
  /** One instance: its dtype and shape (text: a string, shape []). */
  readonly input: TensorSpec & { description: string };
  /** The signatures (`signature_name`) and their named outputs. */
  readonly signatures: Readonly<Record<string, Readonly<Record<string, TensorSpec>>>>;
  /** Classifiers: the class names, by class index. */
  readonly labels?: readonly string[];
  /** The folder of a web export's static site (it holds index.html), served at `/`. */
  readonly webRoot?: string;
  /** Checks a request's instances; a RequestError (400) names what is wrong and the expected instance. */
  prepare(instances: readonly unknown[], key?: string): PreparedRequest;
  /** Runs several prepared requests through the model as one batch; one output per request, in order. */
  run(batch: readonly PreparedRequest[]): RequestOutput[];
  /** TF Serving's row format: one prediction per instance, under `signature` (one of `signatures`). */
  predictions(output: RequestOutput, signature?: string): unknown[];
  /** prepare → run → predictions for one request, unbatched. */
  predict(instances: readonly unknown[], signature?: string): unknown[];
  /**
   * Runs the model on every batch size `run` may use up to `maxBatchSize` instances, so that the first requests do
   * not wait for TensorFlow to build the graph of their batch size.
   */
  warmUp(maxBatchSize: number): void;
}

/**
 * Batches are padded to the next power of two, as TF Serving pads to its `allowed_batch_sizes`: the model then runs
 * on 7 batch sizes up to 64 instead of 64, each a graph function built once (at warm-up), not on first use under load.
 */
export function paddedBatchSize(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** The padded batch sizes up to `maxBatchSize`'s: 1, 2, 4, …. */
function batchSizesUpTo(maxBatchSize: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n <= paddedBatchSize(maxBatchSize); n *= 2) sizes.push(n);
  return sizes;
}

/** Calls per batch size at warm-up: a graph function is traced three times, then runs as a graph (graph-function.ts). */
const WARM_UP_CALLS = 4;

/**
 * Loads the model in `dir` for serving, named `name` (default: the folder's name): a run folder of `dl train` (a GAN
 * run serves its generator, the moving average when it has one); a folder that also holds `index.html` (a web export)
 * has that site served at `/`. Everything that can be wrong with the folder is a UsageError naming it.
 */
export async function loadServable(dir: string, name = basename(resolve(dir))): Promise<Servable> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new UsageError(`${root} not found: give the folder of a model written by \`dl train\` (e.g. runs/cnn-…)`);
  const webRoot = existsSync(join(root, 'index.html')) ? root : undefined;
  if (isGanSave(root)) return generatorServable(name, root, await loadModel(samplingGeneratorDir(root)), webRoot);
  const modelJson = join(root, 'model.json');
  if (!existsSync(modelJson))
    throw new UsageError(`${modelJson} not found: each DIR must be a folder written by \`dl train\` (e.g. runs/cnn-…), or its export`);
  const model = await loadModel(root);
  const presetName = (await readExportMeta(root))?.preset ?? model.metadata?.preset;
  if (typeof presetName !== 'string')
    throw new UsageError(`${modelJson} does not say which preset built it: was it saved by \`dl train\`?`);
  const preset = resolvePreset(presetName);
  if (preset.text !== undefined) {
    const text = preset.text;
    const vocabularyPath = join(root, VOCABULARY_JSON);
    if (!existsSync(vocabularyPath))
      throw new UsageError(`${vocabularyPath} not found: a '${preset.name}' model needs the vocabulary \`dl train\` saves beside it`);
    const vocabulary = await loadVocabulary(root).catch((err: Error) => {
      throw new UsageError(`${vocabularyPath}: ${err.message}`);
    });
    return textServable(name, root, preset.name, webRoot, (texts) => classifyTexts(model, text, vocabulary, texts), text.labels);
  }
  if (preset.name === 'gan') return generatorServable(name, root, model, webRoot);
  return imageServable(name, root, preset.name, model, webRoot);
}

/** The shape of one instance of `model`'s only input, e.g. [28, 28, 1]. */
function instanceShape(model: Model, dir: string): number[] {
  const shapes = model.net.inputs.map((input) => input.shape);
  const shape = shapes[0]?.slice(1);
  if (shapes.length !== 1 || shape === undefined || !shape.every((d): d is number => typeof d === 'number'))
    throw new UsageError(`${dir}: serving needs a model with one input of a fixed shape; this one takes ${JSON.stringify(shapes)}`);
  return shape;
}

function outputShape(model: Model): number[] {
  return model.net.outputs[0]!.shape.slice(1).map((d) => d ?? -1);
}

function imageServable(name: string, dir: string, preset: string, model: Model, webRoot: string | undefined): Servable {
  const shape = instanceShape(model, dir);
  const [rows, cols] = shape;
  const classes = outputShape(model)[0]!;
  const labels = Array.from({ length: classes }, (_, i) => String(i));
  const spec: DenseInstanceSpec = {
    shape,
    range: [0, 1],
    description:
      shape.length === 3 && shape[2] === 1
        ? `a ${rows}×${cols} (or ${rows}×${cols}×1) array of pixel values in [0, 1] (0–255 divided by 255)`
        : `an array of shape ${JSON.stringify(shape)} of values in [0, 1]`,
  };
  return denseServable({
    name,
    dir,
    kind: 'image-classifier',
    preset,
    model,
    spec,
    webRoot,
    labels,
    signatures: {
      [DEFAULT_SIGNATURE]: { probabilities: { dtype: 'DT_FLOAT', shape: [classes] } },
      [LABELS_SIGNATURE]: { probabilities: { dtype: 'DT_FLOAT', shape: [classes] }, label: { dtype: 'DT_STRING', shape: [] } },
    },
  });
}

function generatorServable(name: string, dir: string, model: Model, webRoot: string | undefined): Servable {
  const shape = instanceShape(model, dir);
  if (shape.length !== 1) throw new UsageError(`${dir} is not a generator: it takes ${JSON.stringify(shape)}, not latent vectors`);
  return denseServable({
    name,
    dir,
    kind: 'generator',
    preset: 'gan',
    model,
    spec: { shape, description: `a latent vector of ${shape[0]} numbers (drawn from a standard normal distribution)` },
    webRoot,
    signatures: { [DEFAULT_SIGNATURE]: { images: { dtype: 'DT_FLOAT', shape: outputShape(model) } } },
  });
}

interface DenseSettings {
  name: string;
  dir: string;
  kind: ServableKind;
  preset: string;
  model: Model;
  spec: DenseInstanceSpec;
  webRoot: string | undefined;
  labels?: string[];
  signatures: Servable['signatures'];
}

/** A model with one numeric input: instances are nested arrays of its input's shape; predictions its output rows. */
function denseServable(s: DenseSettings): Servable {
  const outShape = outputShape(s.model);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const servable: Servable = {
    name: s.name,
    dir: s.dir,
    kind: s.kind,
    preset: s.preset,
    input: { dtype: 'DT_FLOAT', shape: s.spec.shape, description: s.spec.description },
    signatures: s.signatures,
    ...(s.labels !== undefined && { labels: s.labels }),
    ...(s.webRoot !== undefined && { webRoot: s.webRoot }),
    prepare: (instances, key) => ({ count: instances.length, values: parseDenseInstances(instances, s.spec, key) }),
    run: (batch) => {
      const n = batch.reduce((sum, r) => sum + r.count, 0);
      const padded = paddedBatchSize(n);
      const size = s.spec.shape.reduce((a, b) => a * b, 1);
      let x = batch[0]!.values as Float32Array;
      if (batch.length > 1 || padded > n) {
        // Zeros in the padding rows; their outputs are never read.
        x = new Float32Array(padded * size);
        let offset = 0;
        for (const r of batch) {
          x.set(r.values as Float32Array, offset);
          offset += r.values.length;
        }
      }
      const output = s.model.predict({ data: x, shape: [padded, ...s.spec.shape] }, { batchSize: padded });
      let y: Float32Array;
      try {
        // A copy: the requests' slices of it outlive the tensor.
        y = (output.dataSync() as Float32Array).slice();
      } finally {
        output.dispose();
      }
      let offset = 0;
      return batch.map((r) => {
        const values = y.subarray(offset * outSize, (offset + r.count) * outSize);
        offset += r.count;
        return { count: r.count, values };
      });
    },
    predictions: (output, signature = DEFAULT_SIGNATURE) => {
      const values = output.values as Float32Array;
      const rows = Array.from({ length: output.count }, (_, i) => nest(values.subarray(i * outSize, (i + 1) * outSize), outShape));
      if (signature !== LABELS_SIGNATURE) return rows;
      return rows.map((probabilities, i) => ({ probabilities, label: s.labels![argmax(values.subarray(i * outSize, (i + 1) * outSize))] }));
    },
    predict: (instances, signature) => servable.predictions(servable.run([servable.prepare(instances)])[0]!, signature),
    warmUp: (maxBatchSize) => {
      const size = s.spec.shape.reduce((a, b) => a * b, 1);
      for (const n of batchSizesUpTo(maxBatchSize))
        for (let i = 0; i < WARM_UP_CALLS; i++) servable.run([{ count: n, values: new Float32Array(n * size) }]);
    },
  };
  return servable;
}

function textServable(
  name: string,
  dir: string,
  preset: string,
  webRoot: string | undefined,
  classify: (texts: readonly string[]) => TextPrediction[],
  labels: readonly string[],
): Servable {
  const servable: Servable = {
    name,
    dir,
    kind: 'text-classifier',
    preset,
    input: { dtype: 'DT_STRING', shape: [], description: 'a text (a JSON string), e.g. a movie review' },
    signatures: {
      [DEFAULT_SIGNATURE]: { probability: { dtype: 'DT_FLOAT', shape: [] } },
      [LABELS_SIGNATURE]: {
        probability: { dtype: 'DT_FLOAT', shape: [] },
        label: { dtype: 'DT_STRING', shape: [] },
        known_tokens: { dtype: 'DT_INT32', shape: [] },
      },
    },
    labels,
    ...(webRoot !== undefined && { webRoot }),
    prepare: (instances, key = 'instances') => {
      instances.forEach((text, i) => {
        if (typeof text !== 'string')
          throw new RequestError(`${key}[${i}] is ${describe(text)}, not a string: each instance must be ${servable.input.description}`);
      });
      return { count: instances.length, values: instances as string[] };
    },
    run: (batch) => {
      // Tokenised here, once per batch.
      const texts = batch.flatMap((r) => r.values as string[]);
      // Empty texts pad the batch (see paddedBatchSize); their predictions are dropped.
      const all = classify(texts.concat(Array<string>(paddedBatchSize(texts.length) - texts.length).fill('')));
      let offset = 0;
      return batch.map((r) => {
        const values = all.slice(offset, offset + r.count);
        offset += r.count;
        return { count: r.count, values };
      });
    },
    predictions: (output, signature = DEFAULT_SIGNATURE) => {
      const values = output.values as TextPrediction[];
      if (signature !== LABELS_SIGNATURE) return values.map((p) => p.probability);
      return values.map((p) => ({ probability: p.probability, label: p.label, known_tokens: p.knownTokens }));
    },
    predict: (instances, signature) => servable.predictions(servable.run([servable.prepare(instances)])[0]!, signature),
    warmUp: (maxBatchSize) => {
      for (const n of batchSizesUpTo(maxBatchSize))
        for (let i = 0; i < WARM_UP_CALLS; i++) servable.run([{ count: n, values: Array<string>(n).fill('') }]);
    },
  };
  return servable;
}

/** `values` (row-major) as nested arrays of `shape`; a scalar for shape []. */
function nest(values: Float32Array, shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  if (shape.length === 1) return Array.from(values);
  const inner = values.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nest(values.subarray(i * inner, (i + 1) * inner), shape.slice(1)));
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
