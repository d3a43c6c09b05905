/**
 * The variables in a `.keras` file's model.weights.h5, read with h5wasm. Keras 3 stores each layer's variables as
 * datasets `vars/0..n` under a group named after its class (`layers/dense_1`), not its name; the `vars` group's `name`
 * attribute holds the layer's name, which is what the config refers to.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { ModelFileError } from '../errors/model-file-error.js';

export interface WeightArray {
  shape: number[];
  values: Float32Array;
}

/** Layer name → its variables, per group below the layer (e.g. `vars`, `cell/vars`), in `vars/0..n` order. */
export type LayerWeights = Map<string, Map<string, WeightArray[]>>;

type Group = InstanceType<typeof h5wasm.Group>;
type Dataset = InstanceType<typeof h5wasm.Dataset>;

/** The optimizer's variables (`optimizer/vars/0..n`), as Keras 3 saves them for a compiled model. */
export interface OptimizerVars {
  /** Keras's `iterations` (int64 in the file). */
  iterations: number;
  /** The rest in order (for Adam: the learning rate, then each variable's m and v). */
  arrays: WeightArray[];
}

export async function readKerasWeights(h5: Uint8Array, file: string): Promise<LayerWeights> {
  return (await readKerasVariables(h5, file)).layers;
}

/** The layers' variables and, when saved, the optimizer's. */
export async function readKerasVariables(h5: Uint8Array, file: string): Promise<{ layers: LayerWeights; optimizer?: OptimizerVars }> {
  await h5wasm.ready;
  // h5wasm's Node build opens files of the host file system (NODERAWFS), so the zip's entry goes to a private temp file.
  const dir = await mkdtemp(join(tmpdir(), 'dl-keras-'));
  const path = join(dir, 'model.weights.h5');
  try {
    await writeFile(path, h5);
    let f: InstanceType<typeof h5wasm.File>;
    try {
      f = new h5wasm.File(path, 'r');
    } catch (cause) {
      throw new ModelFileError(file, 'its model.weights.h5 is not a readable HDF5 file', { cause });
    }
    try {
      const optimizer = optimizerVars(f, file);
      return { layers: layerWeights(f, file), ...(optimizer ? { optimizer } : {}) };
    } finally {
      f.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function layerWeights(f: InstanceType<typeof h5wasm.File>, file: string): LayerWeights {
  const out: LayerWeights = new Map();
  const layers = f.get('layers');
  if (!(layers instanceof h5wasm.Group)) return out;
  for (const key of layers.keys()) {
    const group = layers.get(key);
    if (!(group instanceof h5wasm.Group)) continue;
    const own = group.get('vars');
    const name = own instanceof h5wasm.Group ? own.attrs.name?.value : undefined;
    if (typeof name !== 'string') throw new ModelFileError(file, `model.weights.h5's group layers/${key} has no vars with a layer name`);
    const groups = new Map<string, WeightArray[]>();
    collect(group, '', groups, file);
    out.set(name, groups);
  }
  return out;
}

function optimizerVars(f: InstanceType<typeof h5wasm.File>, file: string): OptimizerVars | undefined {
  const vars = f.get('optimizer/vars');
  if (!(vars instanceof h5wasm.Group)) return undefined;
  const values = vars
    .keys()
    .map(Number)
    .sort((a, b) => a - b)
    .map((i) => vars.get(String(i)) as Dataset);
  const first = values[0]?.value;
  if (first === undefined) return undefined;
  const iterations = Number(ArrayBuffer.isView(first) ? (first as unknown as ArrayLike<number | bigint>)[0] : first);
  const arrays = values.slice(1).map((ds) => {
    const value = ds.value;
    if (typeof value === 'number') return { shape: [], values: Float32Array.of(value) };
    if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) {
      throw new ModelFileError(file, `model.weights.h5's ${ds.path} is ${ds.dtype}; dl reads float32 optimizer state`);
    }
    return { shape: ds.shape ?? [], values: value instanceof Float32Array ? value : Float32Array.from(value) };
  });
  return { iterations, arrays };
}

/** Every `vars` group below `group` (relative path → its datasets in numeric order). */
function collect(group: Group, prefix: string, out: Map<string, WeightArray[]>, file: string): void {
  for (const key of group.keys()) {
    const child = group.get(key);
    if (!(child instanceof h5wasm.Group)) continue;
    const path = prefix ? `${prefix}/${key}` : key;
    if (key === 'vars') {
      const indices = child
        .keys()
        .map(Number)
        .sort((a, b) => a - b);
      out.set(
        path,
        indices.map((i) => {
          const ds = child.get(String(i)) as Dataset;
          const value = ds.value;
          if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) {
            throw new ModelFileError(file, `model.weights.h5's ${ds.path} is ${ds.dtype}; dl imports float32 weights`);
          }
          return { shape: ds.shape ?? [], values: value instanceof Float32Array ? value : Float32Array.from(value) };
        }),
      );
    } else {
      collect(child, path, out, file);
    }
  }
}
