/**
 * A model as TensorFlow.js's converter writes a Keras model for the web: `model.json` (the topology and the weights
 * manifest, nothing else: no optimizer state, no training config) and the weights in shards of at most 4 MB named
 * `group1-shard<i>of<n>.bin` (the browser-cache-friendly size the converter uses), optionally quantized
 * (weight-quantization.ts). Plain `tf.loadLayersModel('…/model.json')` of @tensorflow/tfjs loads it, dequantizing as
 * it reads. The caller gives an empty folder (export-model in @dl/models writes into a temporary one, then renames it).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { writeFileAtomic } from '../model-files.js';
import type { Model } from '../model.js';
import { layersModelOf } from '../tfjs-layers-api.js';
import { ModelFileError } from '../errors/model-file-error.js';
import { dlOwnLayerClasses } from '../native/dl-layer-classes.js';
import { checkQuantization, type QuantizationEntry, quantizeWeight, type WeightQuantization } from './weight-quantization.js';

/** The converter's default shard size. */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface WriteWebModelOptions {
  /** Quantize the float32 weights; default none (float32). */
  quantize?: WeightQuantization | undefined;
  /** Largest weights file; default 4 MB, as the converter. */
  shardBytes?: number;
}

export interface WebModelFiles {
  /** The files written, model.json first. */
  files: string[];
  /** Bytes of weights written (all shards). */
  weightBytes: number;
  /** Number of weight values (parameters, trainable or not). */
  parameters: number;
  /**
   * SHA-256 of the float32 weights, in manifest order, before any quantization: identifies the weights an export was
   * made from (`dl evaluate` of a quantized export compares with them only if its source still holds these weights).
   */
  float32Sha256: string;
}

/**
 * Writes `model` into the existing, empty folder `dir` in TF.js's web layout; returns what it wrote.
 *
 * @throws {ModelFileError} when a layer is one of dl's own classes that TF.js has no counterpart of (Scattering2D):
 *   a page's TF.js could not build the model, so nothing is written.
 */
export async function writeWebModel(model: Model, dir: string, options: WriteWebModelOptions = {}): Promise<WebModelFiles> {
  const { quantize, shardBytes = SHARD_BYTES } = options;
  if (quantize !== undefined) checkQuantization(quantize);
  const dlOnly = Object.keys(dlOwnLayerClasses());
  const unknown = model.net.layers.find((layer) => dlOnly.includes(layer.getClassName()));
  if (unknown !== undefined) {
    throw new ModelFileError(
      join(dir, 'model.json'),
      `layer '${unknown.name}' is a ${unknown.getClassName()}, a layer of dl's own that TensorFlow.js has no class for: a page could not build this model, so it has no web export. Use the run in Node (dl predict, dl serve, loadModel)`,
    );
  }
  const artifacts = await modelArtifacts(model);
  const specs = artifacts.weightSpecs ?? [];
  const weightData = tf.io.concatenateArrayBuffers(
    artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
  );
  const float32Sha256 = createHash('sha256').update(new Uint8Array(weightData)).digest('hex');

  const chunks: Uint8Array[] = [];
  const weights: io.WeightsManifestEntry[] = [];
  let offset = 0;
  let parameters = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    parameters += count;
    const bytes = new Uint8Array(weightData, offset, count * 4);
    offset += count * 4;
    const entry: io.WeightsManifestEntry = { name: spec.name, shape: spec.shape, dtype: spec.dtype };
    if (quantize !== undefined && spec.dtype === 'float32') {
      const quantized = quantizeWeight(new Float32Array(bytes.slice().buffer), quantize);
      chunks.push(quantized.bytes);
      entry.quantization = quantized.quantization as QuantizationEntry & io.WeightsManifestEntry['quantization'];
    } else {
      chunks.push(bytes);
    }
    weights.push(entry);
  }
  const data = new Uint8Array(tf.io.concatenateArrayBuffers(chunks.map((c) => c.slice().buffer as ArrayBuffer)));
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  for (const [i, path] of paths.entries()) {
    await writeFileAtomic(join(dir, path), data.subarray(i * shardBytes, (i + 1) * shardBytes));
  }
  const json: io.ModelJSON = {
    format: 'layers-model',
    generatedBy: `dl (TensorFlow.js ${tf.version_core})`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths, weights }],
  };
  await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
  return { files: ['model.json', ...paths], weightBytes: data.length, parameters, float32Sha256 };
}

/** SHA-256 of `model`'s float32 weights as writeWebModel computes it (`float32Sha256`), without writing anything. */
export async function float32WeightsSha256(model: Model): Promise<string> {
  const artifacts = await modelArtifacts(model);
  const data = artifacts.weightData;
  const buffer = tf.io.concatenateArrayBuffers(data === undefined ? [] : Array.isArray(data) ? data : [data]);
  return createHash('sha256').update(new Uint8Array(buffer)).digest('hex');
}

/** The topology and float32 weights TF.js's own save produces (no optimizer: tfjs-layers leaves it out unless asked). */
async function modelArtifacts(model: Model): Promise<io.ModelArtifacts> {
  let artifacts: io.ModelArtifacts | undefined;
  await layersModelOf(model).save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts!;
}
