/**
 * A Keras 3 `.keras` file, or a legacy Keras 2/3 `.h5` file (keras-h5.ts), as a dl network: the architecture mapped to
 * TF.js layers (dl's fused classes included), then every layer's variables, each shape checked before any is set. Any
 * problem throws a ModelFileError and disposes what was built, so nothing half-imported reaches the caller.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { ModelFileError } from '../errors/model-file-error.js';
import type { Network } from '../layer-types.js';
import { withDlLayerClasses } from '../native/dl-layer-classes.js';
import { tfl } from '../tfjs-layers-api.js';
import { readKerasArchive } from './keras-archive.js';
import { compileOptionsFromKeras, type NamedCompileOptions } from './keras-compile-config.js';
import { readKerasH5 } from './keras-h5.js';
import { LAYER_MAPPINGS } from './keras-layers.js';
import { kerasTopology, type KerasLayerRef, TopologyError, type Topology } from './keras-topology.js';
import { type OptimizerVars, readKerasVariables, type WeightArray } from './keras-weights.js';

export interface KerasModelFile {
  net: Network;
  /** metadata.json (e.g. `keras_version`); for an .h5 file, its `keras_version` attribute. */
  kerasMetadata: Record<string, unknown>;
  /** The compile config as dl's compile options, when Keras's maps to dl's (keras-compile-config.ts). */
  compile?: NamedCompileOptions;
  /** The optimizer's saved variables, when the model was saved compiled. */
  optimizer?: OptimizerVars;
}

/** Whether `file` names a legacy Keras `.h5` file (rather than a `.keras` zip). */
export function isKerasH5(file: string): boolean {
  return /\.(h5|hdf5)$/i.test(file);
}

/** A layer's variables, in TF.js's order, or undefined when the file has none for it. */
type WeightsOf = (layer: KerasLayerRef) => WeightArray[] | undefined;

export async function loadKerasNetwork(file: string): Promise<KerasModelFile> {
  let config: Record<string, unknown>;
  let metadata: Record<string, unknown>;
  let readWeights: () => Promise<{ weightsOf: WeightsOf; optimizer?: OptimizerVars }>;
  if (isKerasH5(file)) {
    const h5 = await readKerasH5(file);
    config = h5.config;
    metadata = { keras_version: h5.kerasVersion };
    readWeights = async () => ({ weightsOf: (ref) => h5.weights.get(ref.name) });
  } else {
    const archive = await readKerasArchive(file);
    config = archive.config;
    metadata = archive.metadata;
    readWeights = async () => {
      const variables = await readKerasVariables(archive.weightsH5, file);
      const weightsOf: WeightsOf = (ref) => {
        const groups = variables.layers.get(ref.name);
        return groups && LAYER_MAPPINGS[ref.className]!.weightGroups.flatMap((g) => groups.get(g) ?? []);
      };
      return { weightsOf, ...(variables.optimizer ? { optimizer: variables.optimizer } : {}) };
    };
  }
  let topology: Topology;
  try {
    topology = kerasTopology(config);
  } catch (e) {
    if (e instanceof TopologyError) throw new ModelFileError(file, e.message);
    throw e;
  }
  const { weightsOf, optimizer } = await readWeights();
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
    setWeights(net, topology, weightsOf, file);
  } catch (e) {
    net.dispose();
    throw e;
  }
  // Compile settings and the optimizer's state travel in .keras files (Keras 3's compile_config); .h5 ones load uncompiled.
  const compileConfig = isKerasH5(file) ? undefined : (config.compile_config as Record<string, unknown> | undefined);
  const compile = compileConfig ? compileOptionsFromKeras(compileConfig) : undefined;
  return {
    net: net as unknown as Network,
    kerasMetadata: metadata,
    ...(compile ? { compile } : {}),
    ...(compile && optimizer ? { optimizer } : {}),
  };
}

function setWeights(net: LayersModel, topology: Topology, weightsOf: WeightsOf, file: string): void {
  const where = isKerasH5(file) ? 'the file' : 'model.weights.h5';
  const plan: { layer: ReturnType<LayersModel['getLayer']>; arrays: WeightArray[] }[] = [];
  for (const ref of topology.layers) {
    const layer = net.getLayer(ref.name);
    const arrays = weightsOf(ref) ?? [];
    const expected = layer.weights;
    if (arrays.length !== expected.length) {
      throw new ModelFileError(
        file,
        `layer ${ref.name} (${ref.className}) has ${arrays.length} variables in ${where}; dl's layer needs ${expected.length}`,
      );
    }
    arrays.forEach((a, i) => {
      const shape = expected[i]!.shape;
      if (a.shape.length !== shape.length || a.shape.some((d, j) => d !== shape[j])) {
        throw new ModelFileError(
          file,
          `layer ${ref.name}'s ${expected[i]!.originalName} is [${a.shape}] in ${where}; dl's layer needs [${shape}]`,
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
