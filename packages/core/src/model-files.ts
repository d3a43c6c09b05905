/**
 * The TF.js layers format on disk: `model.json` (architecture, weights manifest, dl's compile config) and one
 * weights file, `weights-<sha256 prefix>.bin`, holding the layer weights and, in the group 'optimizer', the
 * optimizer's state. Every file is written to a temporary name and renamed; `model.json` goes last and names its
 * weights file by content hash, so at any instant the model.json on disk and the weights it names agree — a crash
 * mid-save leaves the previous model loadable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { io, Tensor } from '@tensorflow/tfjs';
import { tf } from './backend.js';

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

/** Writes `data` to `path` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(resolve(path, '..'), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeModelFiles(
  dir: string,
  artifacts: io.ModelArtifacts,
  extra: { metadata?: Record<string, unknown>; compile?: unknown; optimizerWeights?: NamedTensor[] },
): Promise<void> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
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
  }
}

export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const path = join(resolve(dir), MODEL_JSON);
  let json: DlModelJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as DlModelJson;
  } catch (err) {
    throw new Error(`${path}: not a readable model.json (${(err as Error).message}). Save the model again with model.save().`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${path}: not a TF.js layers model (no modelTopology or weightsManifest)`);
  }
  const specs: io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const file of group.paths) {
      // Weights live beside model.json: a manifest must not reach elsewhere on the disk.
      if (basename(file) !== file) throw new Error(`${path}: weights path '${file}' is not a file name in the model's folder`);
      chunks.push(await readFile(join(resolve(dir), file)));
    }
    specs.push(...group.weights);
  }
  const weightData = concat(...chunks).buffer as ArrayBuffer;
  const expected = specs.reduce((n, s) => n + byteSize(s), 0);
  if (weightData.byteLength < expected) {
    throw new Error(`${path}: weights files hold ${weightData.byteLength} bytes but the manifest needs ${expected}; the save is incomplete`);
  }
  // tfjs's loader sets the layer weights and skips the 'optimizer' group; dl restores that group itself.
  const decoded = tf.io.decodeWeights(weightData, specs);
  const optimizerWeights: NamedTensor[] = [];
  for (const s of specs) {
    if (s.group === 'optimizer') optimizerWeights.push({ name: s.name, tensor: decoded[s.name]! });
    else decoded[s.name]!.dispose();
  }
  return { json, artifacts: { modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format }, optimizerWeights };
}

function byteSize(spec: io.WeightsManifestEntry): number {
  const bytes = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 4;
  return spec.shape.reduce((a, b) => a * b, 1) * bytes;
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
