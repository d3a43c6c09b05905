/**
 * The TF.js layers format on disk: `model.json` (architecture, weights manifest, dl's compile config) and one
 * weights file, `weights-<sha256 prefix>.bin`, holding the layer weights and, in the group 'optimizer', the
 * optimizer's state. Every file is written to a temporary name and renamed; `model.json` goes last and names its
 * weights file by content hash, so at any instant the model.json on disk and the weights it names agree — a crash
 * mid-save leaves the previous model loadable.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { makeFolder } from './make-folder.js';
import { basename, dirname, join, resolve } from 'node:path';
import isRunning from 'is-running';
import type { io, Tensor } from '@tensorflow/tfjs-core';
import { tf } from './backend.js';
import { tfl } from './tfjs-layers-api.js';
import { ModelFileError } from './errors/model-file-error.js';
import { dlOwnLayerClasses } from './native/dl-layer-classes.js';

// Re-exported where it has always been importable from.
export { ModelFileError };

export const MODEL_JSON = 'model.json';

/** A tensor with the name it is saved under (an optimizer's moments, say). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** What model.json holds beyond TF.js's own keys. */
export interface DlModelJson extends io.ModelJSON {
  /** How the model was compiled, when that is serialisable (named loss, metrics and optimizer). */
  dlCompile?: unknown;
}

export interface ModelFiles {
  artifacts: io.ModelArtifacts;
  json: DlModelJson;
  /** Optimizer state, in the optimizer's own order, when saved. */
  optimizerWeights: NamedTensor[];
}

let tempCounter = 0;

/**
 * Writes `data` to `path` atomically and durably: into a temporary file in the same folder (`.<name>.tmp-<pid>-<n>`,
 * so a killed writer's leftovers can be told from a live one's), flushed to disk, renamed over `path`, and the folder
 * flushed too, so neither a crash nor a power loss leaves half a file or loses the rename.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const folder = resolve(path, '..');
  const tmp = join(folder, `.${basename(path)}.tmp-${process.pid}-${Date.now()}${tempCounter++}`);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncFolder(folder);
}

/** Flushes a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened (Windows). */
export async function syncFolder(folder: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(folder, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // EINVAL/EISDIR on file systems that do not sync folders: nothing more can be done there.
  } finally {
    await handle.close();
  }
}

export async function writeModelFiles(
  dir: string,
  artifacts: io.ModelArtifacts,
  extra: { metadata?: Record<string, unknown>; compile?: unknown; optimizerWeights?: NamedTensor[] },
): Promise<void> {
  const target = resolve(dir);
  await makeFolder(target);
  const modelData = weightBytes(artifacts.weightData);
  let specs = artifacts.weightSpecs ?? [];
  let data = modelData;
  if (extra.optimizerWeights?.length) {
    const optimizer = await tf.io.encodeWeights(extra.optimizerWeights, 'optimizer');
    specs = [...specs, ...optimizer.specs];
    data = concat(modelData, weightBytes(optimizer.data));
  }
  const weightsFile = `weights-${createHash('sha256').update(data).digest('hex').slice(0, 16)}.bin`;
  const json: DlModelJson = {
    format: 'layers-model',
    generatedBy: `dl (TensorFlow.js ${tf.version_core})`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: [weightsFile], weights: specs }],
    ...(extra.metadata ? { userDefinedMetadata: extra.metadata as Record<string, object> } : {}),
    ...(extra.compile ? { dlCompile: extra.compile } : {}),
  };
  await writeFileAtomic(join(target, weightsFile), data);
  await writeFileAtomic(join(target, MODEL_JSON), JSON.stringify(json));
  // Only now are older weights files unreferenced.
  for (const f of await readdir(target)) {
    if (f !== weightsFile && /^weights(-[0-9a-f]+)?\.bin$/.test(f)) await rm(join(target, f), { force: true });
    // Temp files of writeFileAtomic calls that a crash or SIGKILL cut short (their process is gone).
    const temp = /^\..+\.tmp-(\d+)-\d+$/.exec(f);
    if (temp !== null && !isRunning(Number(temp[1]))) await rm(join(target, f), { force: true });
  }
}

/**
 * The `userDefinedMetadata` of `dir/model.json`, without reading weights; undefined when there is no model.json.
 *
 * @throws {ModelFileError} when model.json is not readable JSON.
 */
export async function readSavedMetadata(dir: string): Promise<Record<string, unknown> | undefined> {
  const path = join(resolve(dir), MODEL_JSON);
  let text: string;
  try {
    const info = await stat(path);
    // Before any read: reading a FIFO (or a device) named model.json would block forever or never end.
    if (!info.isFile()) throw new ModelFileError(path, notRegularFile(info));
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelFileError(path, `cannot be read (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(path, `not valid JSON (${(err as Error).message}). Save the model again with model.save().`);
  }
  const metadata = isObject(json) ? json.userDefinedMetadata : undefined;
  return isObject(metadata) ? metadata : undefined;
}

/** The problem with a model.json that is not a regular file (a FIFO, a folder, a device). */
function notRegularFile(info: Stats): string {
  const kind = info.isFIFO() ? 'a FIFO (named pipe)' : info.isDirectory() ? 'a folder' : 'not a regular file (a device or socket)';
  return `is ${kind}, not a regular file: dl reads model.json only from a regular file; save the model again with model.save()`;
}

/** A model.json larger than this is not a model description (dl's CNN's is 5 KB). */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
/** Weights beyond this (what Node reads into one buffer) are not loaded. */
const MAX_WEIGHT_BYTES = 2 ** 31 - 1;
/** Nesting of model.json beyond this is no Keras topology (a nested model inside a wrapper is about 12 deep). */
const MAX_DEPTH = 200;
/** Keys that can only be an attempt at prototype tricks in the objects TF.js builds from the config. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const WEIGHT_DTYPES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
/** The layer classes dl's `layers` builds, named first when an unknown class is reported. */
const DL_LAYER_CLASSES = [
  'Dense',
  'Conv2D',
  'Conv2DTranspose',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'BatchNormalization',
  'LayerNormalization',
  'Embedding',
  'LSTM',
  'GRU',
  'SimpleRNN',
  'Bidirectional',
  'LeakyReLU',
  'Activation',
  'Concatenate',
  'Add',
  'InputLayer',
];

/**
 * Reads a model folder written by `writeModelFiles` (or any TF.js layers-format model.json with its weights), treating
 * it as untrusted data: loading never runs code from it (TF.js instantiates only classes registered with
 * `tf.serialization.registerClass`, looked up by name; JSON holds no functions; and no custom objects are passed), and
 * everything is checked before TF.js builds the model:
 *
 * - model.json is a TF.js layers model of sane size and nesting, without `__proto__` / `constructor` / `prototype` keys;
 * - every `class_name` in the topology is registered (an unknown layer class is named, with the registered ones);
 * - the manifest's weights have sane shapes and dtypes, and no more than 2 GiB in all;
 * - weights paths are plain file names in the model's folder (no `..`, no absolute path, no symbolic link out of the
 *   folder, no device or FIFO), and each group's files hold exactly the bytes its weights need — no fewer, no more;
 * - building the model would create no weight larger than the largest weight in the manifest, nor more weights in all
 *   (checked by building the topology with every weight's allocation vetted first), so a config with absurd
 *   `units` / `filters` / `inputDim` is rejected instead of allocating absurd memory.
 *
 * @throws {ModelFileError} naming the file and what is wrong.
 */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const folder = resolve(dir);
  const path = join(folder, MODEL_JSON);
  const fail = (problem: string, file = path): never => {
    throw new ModelFileError(file, problem);
  };

  let json: DlModelJson;
  try {
    const info = await stat(path);
    // Before any read: reading a FIFO (or a device) named model.json would block forever or never end.
    if (!info.isFile()) fail(notRegularFile(info));
    const size = info.size;
    if (size > MAX_MODEL_JSON_BYTES)
      fail(`is ${size} bytes; a model description over ${MAX_MODEL_JSON_BYTES / 2 ** 20} MiB is not one dl reads`);
    json = JSON.parse(await readFile(path, 'utf8')) as DlModelJson;
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(path, `not a readable model.json (${(err as Error).message}). Save the model again with model.save().`);
  }
  if (!isObject(json) || !isObject(json.modelTopology) || !Array.isArray(json.weightsManifest)) {
    fail('not a TF.js layers model (no modelTopology or weightsManifest)');
  }
  if (json.format !== undefined && json.format !== null && json.format !== 'layers-model') {
    fail(`is a TF.js '${String(json.format)}', not a 'layers-model': dl loads Keras-style layers models only`);
  }
  checkKeys(json, 'model.json', 0, fail);
  if (json.dlCompile !== undefined && !isObject(json.dlCompile)) fail('dlCompile is not an object');
  if (json.userDefinedMetadata !== undefined && !isObject(json.userDefinedMetadata)) fail('userDefinedMetadata is not an object');

  // The manifest, then the files it names, before reading a byte of weights.
  const specs: io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  const names = new Set<string>();
  let totalBytes = 0;
  for (const [g, group] of (json.weightsManifest as unknown[]).entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weightsManifest[${g}] is not a group of { paths, weights }`);
    }
    const { paths, weights } = group as { paths: unknown[]; weights: unknown[] };
    let groupBytes = 0;
    for (const [w, spec] of weights.entries()) {
      const checked = checkSpec(spec, `weightsManifest[${g}].weights[${w}]`, fail);
      if (names.has(checked.name)) fail(`weight '${checked.name}' is listed twice in the weights manifest`);
      names.add(checked.name);
      groupBytes += byteSize(checked);
      if (totalBytes + groupBytes > MAX_WEIGHT_BYTES)
        fail(`the weights manifest asks for over ${MAX_WEIGHT_BYTES} bytes of weights (2 GiB), more than dl loads`);
      specs.push(checked);
    }
    totalBytes += groupBytes;
    let fileBytes = 0;
    for (const file of paths) {
      const weightsPath = await checkWeightsPath(folder, file, path, fail);
      fileBytes += (await stat(weightsPath)).size;
      files.push(weightsPath);
    }
    if (fileBytes < groupBytes) {
      fail(
        `weights files ${paths.join(', ')} hold ${fileBytes} bytes but the manifest needs ${groupBytes}; the save is incomplete or the files are truncated`,
      );
    }
    if (fileBytes > groupBytes) {
      fail(
        `weights files ${paths.join(', ')} hold ${fileBytes} bytes but the manifest describes only ${groupBytes}; they do not belong to this model.json`,
      );
    }
  }

  const declared = json.modelTopology as Record<string, unknown>;
  const topology = isObject(declared.model_config) ? declared.model_config : declared;
  checkClasses(topology, fail);
  checkStatefulStates(topology, fail);
  await checkBuildSizes(
    topology,
    specs.filter((s) => s.group !== 'optimizer'),
    fail,
  );

  const chunks: Uint8Array[] = [];
  for (const file of files) chunks.push(await readFile(file));
  const weightData = concat(...chunks).buffer as ArrayBuffer;
  if (weightData.byteLength !== totalBytes)
    fail(`weights files changed while being read (${weightData.byteLength} bytes, the manifest needs ${totalBytes})`);
  // tfjs's loader sets the layer weights and skips the 'optimizer' group; dl restores that group itself.
  const decoded = tf.io.decodeWeights(weightData, specs);
  const optimizerWeights: NamedTensor[] = [];
  for (const s of specs) {
    if (s.group === 'optimizer') optimizerWeights.push({ name: s.name, tensor: decoded[s.name]! });
    else decoded[s.name]!.dispose();
  }
  return { json, artifacts: { modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format }, optimizerWeights };
}

type Fail = (problem: string, file?: string) => never;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** No prototype-named keys anywhere, and no absurd nesting. */
function checkKeys(value: unknown, where: string, depth: number, fail: Fail): void {
  if (depth > MAX_DEPTH) fail(`is nested more than ${MAX_DEPTH} levels deep (at ${where}); not a model topology`);
  if (Array.isArray(value)) value.forEach((item, i) => checkKeys(item, `${where}[${i}]`, depth + 1, fail));
  else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) fail(`has the key '${key}' (at ${where}), which no model topology uses`);
      checkKeys(value[key], `${where}.${key}`, depth + 1, fail);
    }
  }
}

/** A weights manifest entry with a name, a sane shape and a numeric dtype. */
function checkSpec(spec: unknown, where: string, fail: Fail): io.WeightsManifestEntry {
  if (!isObject(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string') {
    return fail(`${where} is not a weight entry { name, shape, dtype }`);
  }
  const label = `weight '${spec.name}'`;
  if (!(spec.dtype in WEIGHT_DTYPES)) fail(`${label} has dtype '${spec.dtype}'; dl loads ${Object.keys(WEIGHT_DTYPES).join(', ')} weights`);
  if (!spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    fail(`${label} has the shape [${spec.shape.join(', ')}]: dimensions must be non-negative integers`);
  const elements = (spec.shape as number[]).reduce((a, b) => a * b, 1);
  if (elements * 4 > MAX_WEIGHT_BYTES) {
    fail(
      `${label} has the shape [${spec.shape.join(', ')}], ${elements.toExponential(2)} elements: absurd (dl loads at most 2 GiB of weights)`,
    );
  }
  if (spec.group !== undefined && typeof spec.group !== 'string') fail(`${label} has a group that is not a string`);
  if (spec.quantization !== undefined) {
    const q = spec.quantization;
    if (!isObject(q) || typeof q.dtype !== 'string' || !(q.dtype in QUANTIZED_BYTES)) {
      fail(`${label} has a quantization that is not one of ${Object.keys(QUANTIZED_BYTES).join(', ')}`);
    }
  }
  return spec as unknown as io.WeightsManifestEntry;
}

/** The weights file `file` of the manifest, which must be a regular file directly in the model's folder. */
async function checkWeightsPath(folder: string, file: unknown, _path: string, fail: Fail): Promise<string> {
  if (typeof file !== 'string') return fail(`weights path ${JSON.stringify(file)} is not a file name`);
  // Weights live beside model.json: a manifest must not reach elsewhere on the disk.
  if (file === '' || file === '.' || file === '..' || basename(file) !== file || /[/\\\0]/.test(file)) {
    fail(`weights path '${file}' is not a file name in the model's folder`);
  }
  const weightsPath = join(folder, file);
  let real: string;
  try {
    real = await realpath(weightsPath);
  } catch (err) {
    return fail(`weights file '${file}' named in the manifest cannot be read (${(err as Error).message}); the save is incomplete`);
  }
  const realFolder = await realpath(folder);
  if (dirname(real) !== realFolder) fail(`weights path '${file}' leads outside the model's folder (to ${real})`);
  if (!(await stat(real)).isFile()) fail(`weights path '${file}' is not a regular file`);
  return weightsPath;
}

/** The classes TF.js can build from a config: its serialization registry (plus dl's own registered layers). */
function registry(): Record<string, unknown[]> {
  return { ...(tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<string, unknown[]>), ...dlOwnLayerClasses() };
}

function isLayerClass(entry: unknown[] | undefined): boolean {
  const cls = entry?.[0] as { prototype?: unknown } | undefined;
  return cls?.prototype instanceof (tfl.layers.Layer as unknown as new () => object);
}

/** Every `class_name` of the topology must be a registered class; unknown layer classes are named with the known ones. */
function checkClasses(topology: Record<string, unknown>, fail: Fail): void {
  const classes = registry();
  const visit = (value: unknown, context: { layer: string | undefined; key: string; isLayer: boolean }): void => {
    if (Array.isArray(value)) {
      // Layers of a model (`layers`, or old Keras's Sequential `config` list), cells of a StackedRNNCells (`cells`).
      for (const item of value)
        visit(item, { ...context, isLayer: context.key === 'layers' || context.key === 'config' || context.key === 'cells' });
      return;
    }
    if (!isObject(value)) return;
    const className = value.class_name ?? value.className;
    let layer = context.layer;
    if (typeof className === 'string') {
      const config = value.config;
      const name = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
      if (context.isLayer) layer = name ?? layer;
      if (!Object.hasOwn(classes, className)) {
        if (context.isLayer) {
          const known = Object.keys(classes).filter((k) => isLayerClass(classes[k]));
          const first = DL_LAYER_CLASSES.filter((k) => known.includes(k));
          const others = known.length - first.length;
          fail(
            `unknown layer class '${className}'${name === undefined ? '' : ` (layer '${name}')`}: TF.js builds only registered classes; ` +
              `the ${known.length} registered layer classes include ${first.join(', ')}${others > 0 ? ` and ${others} more` : ''}`,
          );
        }
        fail(
          `unknown class '${className}'${layer === undefined ? '' : ` in layer '${layer}'`} (key ${context.key}): TF.js builds only registered classes`,
        );
      }
    } else if (context.isLayer) {
      fail(`a layer entry${layer === undefined ? '' : ` after layer '${layer}'`} has no class_name`);
    }
    for (const [key, child] of Object.entries(value)) {
      // A wrapper's inner layer (Bidirectional, TimeDistributed), an RNN's cell, a nested model's config.
      visit(child, { layer, key, isLayer: key === 'layer' || key === 'cell' || key === 'forward_layer' || key === 'backward_layer' });
    }
  };
  visit(topology, { layer: undefined, key: 'modelTopology', isLayer: true });
}

/**
 * A stateful RNN allocates its states [batch, units] when built, outside its weights: bound it by the batch size
 * of the input shapes in the topology.
 */
function checkStatefulStates(topology: Record<string, unknown>, fail: Fail): void {
  let batch = 1;
  const stateful: Array<{ name: string; units: number }> = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!isObject(value)) return;
    for (const key of ['batch_input_shape', 'batchInputShape', 'batch_shape', 'batchShape']) {
      const shape = value[key];
      if (Array.isArray(shape) && typeof shape[0] === 'number') batch = Math.max(batch, shape[0]);
    }
    if (value.stateful === true) {
      const units = [value.units, value.filters].find((v) => typeof v === 'number') as number | undefined;
      stateful.push({ name: typeof value.name === 'string' ? value.name : '?', units: units ?? 1 });
    }
    Object.values(value).forEach(visit);
  };
  visit(topology);
  for (const { name, units } of stateful) {
    if (batch * units * 4 > MAX_WEIGHT_BYTES) {
      fail(`stateful layer '${name}' would allocate states of batch ${batch} × ${units} units: absurd`);
    }
  }
}

/**
 * Builds the topology once with every weight's allocation vetted first: a weight larger than the largest weight in
 * the manifest, or more weight elements in all than the manifest holds, is refused before it is allocated (such a
 * model could not take its saved weights anyway). What is built is zero-initialised and disposed at once. Other
 * errors are left for TF.js's own load to report.
 */
async function checkBuildSizes(topology: Record<string, unknown>, specs: io.WeightsManifestEntry[], fail: Fail): Promise<void> {
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const largest = Math.max(0, ...sizes);
  const total = sizes.reduce((a, b) => a + b, 0);
  type AddWeight = (this: { name: string; getClassName(): string }, name: string, shape: unknown, ...rest: unknown[]) => unknown;
  const prototype = tfl.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = prototype.addWeight;
  let created = 0;
  let refusal: string | undefined;
  prototype.addWeight = function (name, shape, dtype, _initializer, ...rest) {
    const dims = Array.isArray(shape) ? (shape as unknown[]) : [];
    const elements = dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
      ? (dims as number[]).reduce((a, b) => a * b, 1)
      : Infinity;
    created += elements;
    if (elements > largest || created > total) {
      const what = `layer '${this.name}' (${this.getClassName()}) would create the weight '${name}' of shape [${dims.join(', ')}] (${elements.toExponential(2)} elements)`;
      refusal =
        elements > largest
          ? `${what}, larger than any weight in the weights manifest (the largest has ${largest}): absurd, or not the model the weights were saved from`
          : `${what}, beyond the ${total} weight elements the weights manifest holds: not the model the weights were saved from`;
      throw new Error(refusal);
    }
    return original.call(this, name, shape, dtype, tfl.initializers.zeros(), ...rest);
  };
  let built: Promise<{ dispose(): unknown }>;
  try {
    // TF.js builds the whole topology synchronously inside this call, so the vetting is in place for it alone.
    built = tfl.models.modelFromJSON({ modelTopology: topology } as never);
  } finally {
    prototype.addWeight = original;
  }
  try {
    (await built).dispose();
  } catch (err) {
    if (refusal !== undefined) fail(refusal);
    void err; // a config TF.js cannot build: its own load reports why
  }
}

function byteSize(spec: io.WeightsManifestEntry): number {
  const elements = spec.shape.reduce((a, b) => a * b, 1);
  const quantized = spec.quantization?.dtype;
  return elements * (quantized !== undefined ? QUANTIZED_BYTES[quantized]! : WEIGHT_DTYPES[spec.dtype]!);
}

function weightBytes(data: io.ModelArtifacts['weightData']): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return concat(...data.map((d) => new Uint8Array(d)));
  return new Uint8Array(data);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
