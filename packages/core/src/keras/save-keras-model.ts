/**
 * A dl network as a Keras 3 `.keras` file that `keras.saving.load_model(path)` opens with no custom objects:
 * config.json (Sequential or Functional, Keras 3's layer configs: keras-layers-out.ts; the compile config when given),
 * metadata.json and model.weights.h5 (keras-weights-out.ts), zipped uncompressed as Keras does. Everything is mapped
 * before anything is written, and the file is written atomically (temp + rename): a layer Keras would compute
 * differently is refused with nothing written, and a crash leaves the previous file whole.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { unzipSync, zipSync } from 'fflate';
import { ModelFileError } from '../errors/model-file-error.js';
import { makeFolder } from '../make-folder.js';
import { writeFileAtomic } from '../model-files.js';
import { type KerasConfig, LAYER_MAPPINGS } from './keras-layers.js';
import { type KerasLayerJson, kerasInputLayerJson, kerasLayerJson } from './keras-layers-out.js';
import { type KerasAdamState, type KerasLayerVars, writeKerasWeights } from './keras-weights-out.js';
import type { WeightArray } from './keras-weights.js';

type Json = Record<string, unknown>;

/** The Keras version whose file layout dl writes (metadata.json's `keras_version`); checked against it in the tests. */
export const KERAS_FORMAT_VERSION = '3.15.1';

export interface SaveKerasOptions {
  /** Keras 3's compile_config (keras-compile-config.ts), with Adam's state for model.weights.h5. */
  training?: { compileConfig: Json; adam: KerasAdamState };
  /** Replace an existing `.keras` file at the path (never any other file). Default true, as Keras's `model.save`. */
  overwrite?: boolean;
  /** dl's free-form model metadata (`model.metadata`), kept in metadata.json as `dl_metadata` (Keras ignores it). */
  metadata?: Json;
}

export async function saveKerasModel(file: string, net: LayersModel, options: SaveKerasOptions = {}): Promise<void> {
  const path = resolve(file);
  let config: Json;
  let layers: KerasLayerVars[];
  try {
    config = kerasModelConfig(net);
    layers = layerVars(net);
  } catch (problem) {
    if (typeof problem === 'string') throw new ModelFileError(path, `cannot be written as a Keras 3 file: ${problem}`);
    throw problem;
  }
  if (options.training) config.compile_config = options.training.compileConfig;
  const metadata = {
    keras_version: KERAS_FORMAT_VERSION,
    date_saved: new Date().toISOString().slice(0, 19).replace('T', '@'),
    ...(options.metadata ? { dl_metadata: options.metadata } : {}),
  };
  const h5 = await writeKerasWeights(net.name, layers, options.training?.adam);
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  // Stored, not deflated, as Keras writes it; the entries in Keras's order.
  const zip = zipSync(
    { 'metadata.json': encode(metadata), 'config.json': encode(config), 'model.weights.h5': h5 },
    { level: 0, mtime: new Date() },
  );
  await checkTarget(path, options.overwrite ?? true);
  await makeFolder(resolve(path, '..'));
  await writeFileAtomic(path, zip);
}

/** An existing file at `path` is replaced only when asked and only if it is a `.keras` model itself. */
async function checkTarget(path: string, overwrite: boolean): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isFile()) throw new ModelFileError(path, 'exists and is not a file: choose a path for the new .keras file');
  if (!overwrite) throw new ModelFileError(path, 'exists already: choose a new path (dl does not write over it)');
  let isKeras = false;
  try {
    isKeras = 'config.json' in unzipSync(new Uint8Array(await readFile(path)), { filter: (f) => f.name === 'config.json' });
  } catch {
    isKeras = false;
  }
  if (!isKeras) {
    throw new ModelFileError(path, 'exists and is not a Keras .keras file: dl replaces only a .keras model there; choose another path');
  }
}

/** The layers of `net` with their configs as TF.js serializes them (Keras 2 style, snake_case keys). */
function tfjsConfig(net: LayersModel): { className: string; config: Json } {
  const json = net.toJSON(null, false) as unknown as { class_name: string; config: Json };
  return { className: json.class_name, config: json.config };
}

/** config.json's model: Sequential (with an InputLayer first, as Keras 3 saves it) or Functional. */
export function kerasModelConfig(net: LayersModel): Json {
  const { className, config } = tfjsConfig(net);
  const layers = config.layers as { class_name: string; config: KerasConfig; name?: string; inbound_nodes?: unknown[] }[];
  if (className === 'Sequential') {
    const input = net.inputs[0]!;
    const first = layers[0];
    // Token ids: an Embedding first reads ints (TF.js feeds it float32 unless told; Keras casts either way).
    const dtype = first?.class_name === 'Embedding' && input.dtype === 'float32' ? 'int32' : input.dtype;
    const inputName = net.inputLayers[0]?.name ?? `${net.name}_input`;
    const out: KerasLayerJson[] = [kerasInputLayerJson(inputName, input.shape as (number | null)[], dtype)];
    // A Sequential read from Keras lists its input layer, which is written above.
    for (const layer of layers.filter((l) => l.class_name !== 'InputLayer')) {
      out.push(withBuildConfig(net, kerasLayer(layer.class_name, layer.config)));
    }
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: net.name, trainable: true, dtype: 'float32', layers: out },
      registered_name: null,
      build_config: { input_shape: input.shape },
    };
  }
  if (className !== 'Model' && className !== 'Functional') throw `the model is a ${className}; dl writes Sequential and functional models`;
  const out = layers.map((layer) => {
    const name = String(layer.name ?? layer.config.name);
    if (layer.class_name === 'InputLayer') {
      const input = net.getLayer(name) as unknown as { batchInputShape: (number | null)[]; dtype: string };
      const c = layer.config;
      const shape = (c.batch_input_shape ?? input.batchInputShape) as (number | null)[];
      return { ...kerasInputLayerJson(name, shape, String(c.dtype ?? 'float32')), name, inbound_nodes: [] };
    }
    const nodes = ((layer.inbound_nodes ?? []) as [string, number, number, Json][][]).map((node) => {
      const tensors = node.map(([from, nodeIndex, tensorIndex]) => kerasTensor(net, from, nodeIndex, tensorIndex));
      // A merge layer takes its inputs as one list; any other layer takes one tensor.
      return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
    });
    return { ...withBuildConfig(net, kerasLayer(layer.class_name, layer.config)), name, inbound_nodes: nodes };
  });
  const refs = (v: unknown) => (Array.isArray(v) && typeof v[0] === 'string' ? [v] : v);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: net.name,
      trainable: true,
      layers: out,
      input_layers: refs(config.input_layers),
      output_layers: refs(config.output_layers),
    },
    registered_name: 'Functional',
  };
}

function kerasLayer(className: string, config: KerasConfig): KerasLayerJson {
  try {
    return kerasLayerJson(className, config);
  } catch (problem) {
    if (typeof problem === 'string') throw `layer ${String(config.name)} (${className}): ${problem}`;
    throw problem;
  }
}

/** Keras records each layer's input shape (`build_config`), so it builds the layer before setting its variables. */
function withBuildConfig(net: LayersModel, layer: KerasLayerJson): KerasLayerJson & { build_config?: Json } {
  const tfLayer = net.getLayer(String(layer.config.name));
  const node = (tfLayer as unknown as { inboundNodes: { inputShapes: unknown[] }[] }).inboundNodes[0];
  if (!node) return layer;
  // One input's shape as it is, several as a list of shapes (TF.js lists them either way).
  const shapes = node.inputShapes;
  return { ...layer, build_config: { input_shape: shapes.length === 1 && Array.isArray(shapes[0]) ? shapes[0] : shapes } };
}

/** A functional model's reference to output `tensorIndex` of node `nodeIndex` of layer `name`. */
function kerasTensor(net: LayersModel, name: string, nodeIndex: number, tensorIndex: number): Json {
  const layer = net.getLayer(name) as unknown as { inboundNodes: { outputShapes: unknown; outputTensors: { dtype: string }[] }[] };
  const node = layer.inboundNodes[nodeIndex]!;
  const shapes = node.outputShapes as (number | null)[] | (number | null)[][];
  const shape = Array.isArray(shapes[0]) ? (shapes as (number | null)[][])[tensorIndex] : shapes;
  return {
    class_name: '__keras_tensor__',
    config: { shape, dtype: node.outputTensors[tensorIndex]?.dtype ?? 'float32', keras_history: [name, nodeIndex, tensorIndex] },
  };
}

/**
 * Every layer's variables, grouped as Keras keeps them. The layers in `net.layers` order, which is Keras's (both order
 * a functional model's layers by depth, then by discovery).
 */
function layerVars(net: LayersModel): KerasLayerVars[] {
  // (A TF.js Sequential's `layers` leaves out its input layer, as Keras's does.)
  return net.layers.map((layer) => {
    const className = layer.getClassName();
    const arrays: WeightArray[] = layer.weights.map((w) => {
      const t = w.read();
      return { shape: [...t.shape], values: t.dataSync() as Float32Array };
    });
    const groups = new Map<string, WeightArray[]>();
    const where = className === 'InputLayer' ? [] : (LAYER_MAPPINGS[className]?.weightGroups ?? ['vars']);
    // Bidirectional: TF.js lists the forward layer's variables, then the backward layer's.
    const per = where.length ? arrays.length / where.length : 0;
    where.forEach((g, i) => groups.set(g, arrays.slice(i * per, (i + 1) * per)));
    return { name: layer.name, className, groups };
  });
}
