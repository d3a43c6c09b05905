/**
 * A Keras 3 `.keras` file as a dl network: the architecture mapped to TF.js layers (dl's fused classes included), then
 * every layer's variables from model.weights.h5, each shape checked before any is set. Any problem throws a
 * ModelFileError and disposes what was built, so nothing half-imported reaches the caller.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { ModelFileError } from '../errors/model-file-error.js';
import type { Network } from '../layer-types.js';
import { withDlLayerClasses } from '../native/dl-layer-classes.js';
import { tfl } from '../tfjs-layers-api.js';
import { readKerasArchive } from './keras-archive.js';
import { compileOptionsFromKeras, type NamedCompileOptions } from './keras-compile-config.js';
import { LAYER_MAPPINGS } from './keras-layers.js';
import { kerasTopology, TopologyError, type Topology } from './keras-topology.js';
import { type LayerWeights, type OptimizerVars, readKerasVariables, type WeightArray } from './keras-weights.js';

export interface KerasModelFile {
  net: Network;
  /** metadata.json (e.g. `keras_version`). */
  kerasMetadata: Record<string, unknown>;
  /** The compile config as dl's compile options, when Keras's maps to dl's (keras-compile-config.ts). */
  compile?: NamedCompileOptions;
  /** The optimizer's saved variables, when the model was saved compiled. */
  optimizer?: OptimizerVars;
}

export async function loadKerasNetwork(file: string): Promise<KerasModelFile> {
  const archive = await readKerasArchive(file);
  let topology: Topology;
  try {
    topology = kerasTopology(archive.config);
  } catch (e) {
    if (e instanceof TopologyError) throw new ModelFileError(file, e.message);
    throw e;
  }
  const variables = await readKerasVariables(archive.weightsH5, file);
  const weights = variables.layers;
  let net: LayersModel;
  try {
    // Deserialized with dl's layer classes (fused kernels), synchronously: no weights passed, so nothing is awaited first.
    net = (await withDlLayerClasses(() =>
      tfl.models.modelFromJSON({ modelTopology: topology.modelTopology } as never),
    )) as unknown as LayersModel;
  } catch (cause) {
    throw new ModelFileError(file, `TF.js cannot build its architecture: ${(cause as Error).message}`, { cause });
  }
  try {
    setWeights(net, topology, weights, file);
  } catch (e) {
    net.dispose();
    throw e;
  }
  const compileConfig = archive.config.compile_config as Record<string, unknown> | undefined;
  const compile = compileConfig ? compileOptionsFromKeras(compileConfig) : undefined;
  return {
    net: net as unknown as Network,
    kerasMetadata: archive.metadata,
    ...(compile ? { compile } : {}),
    ...(compile && variables.optimizer ? { optimizer: variables.optimizer } : {}),
  };
}

function setWeights(net: LayersModel, topology: Topology, weights: LayerWeights, file: string): void {
  const plan: { layer: ReturnType<LayersModel['getLayer']>; arrays: WeightArray[] }[] = [];
  for (const ref of topology.layers) {
    const layer = net.getLayer(ref.name);
    const groups = weights.get(ref.name);
    const arrays = LAYER_MAPPINGS[ref.className]!.weightGroups.flatMap((g) => groups?.get(g) ?? []);
    const expected = layer.weights;
    if (arrays.length !== expected.length) {
      throw new ModelFileError(
        file,
        `layer ${ref.name} (${ref.className}) has ${arrays.length} variables in model.weights.h5; dl's layer needs ${expected.length}`,
      );
    }
    arrays.forEach((a, i) => {
      const shape = expected[i]!.shape;
      if (a.shape.length !== shape.length || a.shape.some((d, j) => d !== shape[j])) {
        throw new ModelFileError(
          file,
          `layer ${ref.name}'s ${expected[i]!.originalName} is [${a.shape}] in model.weights.h5; dl's layer needs [${shape}]`,
        );
      }
    });
    if (arrays.length) plan.push({ layer, arrays });
  }
  // Every shape matched: now set them all.
  for (const { layer, arrays } of plan) {
    const tensors = arrays.map((a) => tf.tensor(a.values, a.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}
