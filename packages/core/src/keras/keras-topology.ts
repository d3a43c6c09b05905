/**
 * Keras 3's config.json (Sequential or Functional) as the Keras 2 style model topology TF.js deserializes. Differences
 * handled here: `batch_shape` (Keras 2: `batch_input_shape`), dtype policies as objects, and inbound nodes as
 * `{args, kwargs}` with `__keras_tensor__` entries (Keras 2: `[layer, node, tensor, kwargs]` lists). A legacy `.h5`
 * file's `model_config` is in either layout (Keras 2's, or Keras 3's when its legacy writer made it); both are read.
 */
import { LAYER_MAPPINGS, supportedLayers, type KerasConfig } from './keras-layers.js';

type Json = Record<string, unknown>;

export interface KerasLayerRef {
  /** The layer's name (the model's layers are looked up by it). */
  name: string;
  className: string;
}

export interface Topology {
  modelTopology: Json;
  /** Layers with variables, in the model's order. */
  layers: KerasLayerRef[];
}

/** Thrown with the problem; load-keras-model.ts adds the file. */
export class TopologyError extends Error {}

export function kerasTopology(config: Json): Topology {
  const className = config.class_name;
  // Keras 2 before 2.3 wrote a Sequential's config as the list of its layers.
  const modelConfig = (Array.isArray(config.config) ? { layers: config.config } : config.config) as Json | undefined;
  if (!modelConfig || !Array.isArray(modelConfig.layers)) throw new TopologyError('config.json holds no model config with layers');
  const layers = modelConfig.layers as Json[];
  checkSupported(layers);
  const refs = layers
    .filter((l) => l.class_name !== 'InputLayer')
    .map((l) => ({ name: String((l.config as Json).name), className: String(l.class_name) }));
  if (className === 'Sequential') return { modelTopology: sequential(modelConfig, layers), layers: refs };
  if (className === 'Functional' || className === 'Model') return { modelTopology: functional(modelConfig, layers), layers: refs };
  throw new TopologyError(`the model is a ${String(className)}; dl imports Sequential and Functional models`);
}

/** Every layer, before anything is built: an unsupported one is named with the list of those dl imports. */
function checkSupported(layers: Json[]): void {
  const unsupported = [...new Set(layers.map((l) => String(l.class_name)).filter((c) => c !== 'InputLayer' && !LAYER_MAPPINGS[c]))];
  const nested = unsupported.filter((c) => c === 'Sequential' || c === 'Functional' || c === 'Model');
  if (nested.length) {
    throw new TopologyError(
      `it nests a model (${nested.join(', ')}) as a layer; dl imports flat models: rebuild it in Keras with the inner model's layers`,
    );
  }
  if (unsupported.length) {
    throw new TopologyError(
      `dl does not support the layer${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}; it imports: ${supportedLayers().join(', ')}`,
    );
  }
}

function layerConfig(layer: Json): KerasConfig {
  const className = String(layer.class_name);
  const config = layer.config as KerasConfig;
  try {
    return LAYER_MAPPINGS[className]!.config(config);
  } catch (problem) {
    if (typeof problem === 'string') throw new TopologyError(`layer ${String(config.name)} (${className}): ${problem}`);
    throw problem;
  }
}

function dtype(config: KerasConfig): string {
  const d = config.dtype;
  const name = typeof d === 'string' ? d : ((d as Json | undefined)?.config as Json | undefined)?.name;
  if (name === undefined || name === null) return 'float32';
  if (name !== 'float32' && name !== 'int32' && name !== 'int64') {
    throw new TopologyError(`layer ${String(config.name)} has dtype ${String(name)}; dl imports float32 models (int inputs allowed)`);
  }
  return name === 'int64' ? 'int32' : name;
}

function inputLayer(config: KerasConfig): KerasConfig {
  const shape = config.batch_shape ?? config.batch_input_shape;
  if (!Array.isArray(shape)) throw new TopologyError(`input ${String(config.name)} has no batch_shape`);
  if (config.sparse || config.ragged) throw new TopologyError(`input ${String(config.name)} is sparse or ragged; dl imports dense inputs`);
  return { name: config.name, batch_input_shape: shape, dtype: dtype(config), sparse: false };
}

function sequential(modelConfig: Json, layers: Json[]): Json {
  const out: Json[] = [];
  for (const layer of layers) {
    const config = layer.config as KerasConfig;
    // An InputLayer of its own (not Keras 2's batch_input_shape on the first layer), so an int input (Embedding's)
    // does not make the first layer's variables int.
    if (layer.class_name === 'InputLayer') out.push({ class_name: 'InputLayer', config: inputLayer(config) });
    else {
      dtype(config);
      out.push({ class_name: LAYER_MAPPINGS[String(layer.class_name)]!.className, config: layerConfig(layer) });
    }
  }
  if (out[0]?.class_name !== 'InputLayer') {
    // Keras 3 records the shape the model was built with; Keras 2 puts batch_input_shape on the first layer.
    const shape = (layers[0]?.build_config as Json | undefined)?.input_shape ?? (layers[0]?.config as Json | undefined)?.batch_input_shape;
    if (!Array.isArray(shape)) throw new TopologyError('the Sequential model has no input shape: build it (keras.Input) before saving');
    Object.assign(out[0]!.config as Json, { batch_input_shape: shape });
  }
  return {
    class_name: 'Sequential',
    config: { name: modelConfig.name, layers: out },
    keras_version: 'tfjs-layers',
    backend: 'tensor_flow.js',
  };
}

type TensorRef = [string, number, number, Json];

/** The `__keras_tensor__` entries of a node's args, in order, as Keras 2 references. */
function tensorRefs(value: unknown, layerName: string): TensorRef[] {
  if (Array.isArray(value)) return value.flatMap((v) => tensorRefs(v, layerName));
  if (value && typeof value === 'object') {
    const v = value as Json;
    if (v.class_name === '__keras_tensor__') {
      const [name, node, tensor] = (v.config as Json).keras_history as [string, number, number];
      return [[name, node, tensor, {}]];
    }
  }
  return [];
}

/**
 * A Keras 2 node, `[[layer, node, tensor, kwargs], …]`, with its call kwargs dropped as Keras 3's are (they hold flags
 * such as `training`, which dl sets itself); one that passes tensors (e.g. `initial_state`) is refused as in Keras 3.
 */
function keras2Node(node: unknown[], layerName: string): TensorRef[] {
  return node.map((entry) => {
    const [name, nodeIndex, tensorIndex, kwargs] = entry as [unknown, unknown, unknown, Json | undefined];
    if (typeof name !== 'string' || typeof nodeIndex !== 'number' || typeof tensorIndex !== 'number') {
      throw new TopologyError(`layer ${layerName} has an inbound node dl cannot read: ${JSON.stringify(entry)}`);
    }
    const values = Object.values(kwargs ?? {});
    if (values.some((v) => v !== null && typeof v === 'object')) {
      throw new TopologyError(
        `layer ${layerName} is called with tensors as keyword arguments (e.g. initial_state or mask); dl does not import that`,
      );
    }
    return [name, nodeIndex, tensorIndex, {}];
  });
}

function functional(modelConfig: Json, layers: Json[]): Json {
  const out = layers.map((layer) => {
    const config = layer.config as KerasConfig;
    const name = String(layer.name ?? config.name);
    const nodes = ((layer.inbound_nodes as Json[] | undefined) ?? []).map((node) => {
      if (Array.isArray(node)) return keras2Node(node, name);
      if (tensorRefs(node.kwargs, name).length) {
        throw new TopologyError(
          `layer ${name} is called with tensors as keyword arguments (e.g. initial_state or mask); dl does not import that`,
        );
      }
      return tensorRefs(node.args, name);
    });
    if (layer.class_name === 'InputLayer') return { class_name: 'InputLayer', name, config: inputLayer(config), inbound_nodes: [] };
    dtype(config);
    return { class_name: LAYER_MAPPINGS[String(layer.class_name)]!.className, name, config: layerConfig(layer), inbound_nodes: nodes };
  });
  // One input or output is written as `[name, 0, 0]`, several as a list of those.
  const refs = (v: unknown) => (Array.isArray(v) && typeof v[0] === 'string' ? [v] : (v as unknown[]));
  return {
    class_name: 'Model',
    config: {
      name: modelConfig.name,
      layers: out,
      input_layers: refs(modelConfig.input_layers),
      output_layers: refs(modelConfig.output_layers),
    },
    keras_version: 'tfjs-layers',
    backend: 'tensor_flow.js',
  };
}
