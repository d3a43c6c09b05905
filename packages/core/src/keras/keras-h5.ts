/**
 * A legacy Keras `.h5` file (`model.save("x.h5")`: Keras 2, or Keras 3's legacy writer), read with h5wasm. The
 * architecture is JSON in the root attribute `model_config` (Keras 2's or Keras 3's layout, keras-topology.ts reads
 * both); each layer's variables are datasets under `model_weights/<layer>/`, in the order its `weight_names` attribute
 * lists them (`<layer>/kernel:0`, `<layer>/lstm_cell/bias:0`, …) — the layer's own weight order, which is TF.js's.
 */
import { type FileHandle, open } from 'node:fs/promises';
import h5wasm from 'h5wasm/node';
import { ModelFileError } from '../errors/model-file-error.js';
import type { WeightArray } from './keras-weights.js';

export interface KerasH5 {
  config: Record<string, unknown>;
  /** The root attribute `keras_version` (e.g. '2.15.0'). */
  kerasVersion: string;
  /** Layer name → its variables, in `weight_names` order. */
  weights: Map<string, WeightArray[]>;
}

type Group = InstanceType<typeof h5wasm.Group>;

/** HDF5's signature, at the start of the file or of its superblock (offset 0, 512, 1024, 2048, …). */
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export async function readKerasH5(file: string): Promise<KerasH5> {
  await checkSignature(file);
  await h5wasm.ready;
  let f: InstanceType<typeof h5wasm.File>;
  try {
    f = new h5wasm.File(file, 'r');
  } catch (cause) {
    throw new ModelFileError(file, 'cannot be read as an HDF5 file (a Keras .h5 model)', { cause });
  }
  try {
    const attr = (name: string) => f.attrs[name]?.value;
    const configText = attr('model_config');
    if (typeof configText !== 'string') {
      const what = f.keys().includes('layers') ? 'weights only (model.save_weights)' : 'no model';
      throw new ModelFileError(
        file,
        `holds ${what}: it has no model_config attribute. dl reads .h5 files written by Keras's model.save("x.h5")`,
      );
    }
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(configText) as Record<string, unknown>;
    } catch (cause) {
      throw new ModelFileError(file, 'its model_config attribute is not valid JSON', { cause });
    }
    const kerasVersion = String(attr('keras_version') ?? '');
    if (!/^[23]\./.test(kerasVersion)) {
      throw new ModelFileError(file, `was written by Keras ${kerasVersion || '(unknown version)'}; dl reads .h5 files of Keras 2 and 3`);
    }
    const root = f.get('model_weights');
    if (!(root instanceof h5wasm.Group)) throw new ModelFileError(file, 'holds no model_weights group: save the model with its weights');
    return { config, kerasVersion, weights: layerWeights(root, file) };
  } finally {
    f.close();
  }
}

/** HDF5 (the library h5wasm builds) prints errors and fails obscurely on other files: they are named here first. */
async function checkSignature(file: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(cause as Error).message})`, { cause });
  }
  try {
    const { size } = await handle.stat();
    for (let offset = 0; offset + SIGNATURE.length <= size; offset = offset === 0 ? 512 : offset * 2) {
      const bytes = Buffer.alloc(SIGNATURE.length);
      await handle.read(bytes, 0, SIGNATURE.length, offset);
      if (bytes.equals(SIGNATURE)) return;
    }
  } finally {
    await handle.close();
  }
  throw new ModelFileError(file, 'cannot be read as an HDF5 file (a Keras .h5 model): it lacks the HDF5 signature');
}

function layerWeights(root: Group, file: string): Map<string, WeightArray[]> {
  const out = new Map<string, WeightArray[]>();
  for (const name of root.keys()) {
    const group = root.get(name);
    if (!(group instanceof h5wasm.Group)) continue;
    out.set(
      name,
      chunkedStrings(group, 'weight_names').map((weightName) => {
        const ds = group.get(weightName);
        if (!(ds instanceof h5wasm.Dataset)) {
          throw new ModelFileError(file, `model_weights/${name} lists the weight ${weightName}, which it does not hold`);
        }
        const value = ds.value;
        if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) {
          throw new ModelFileError(file, `its weight ${ds.path} is ${ds.dtype}; dl imports float32 weights`);
        }
        return { shape: ds.shape ?? [], values: value instanceof Float32Array ? value : Float32Array.from(value) };
      }),
    );
  }
  return out;
}

/**
 * A list of names in an attribute, as Keras writes it: one array, or, past HDF5's 64 KiB header limit, split into
 * `name0`, `name1`, … An empty list is stored as an empty float array.
 */
function chunkedStrings(group: Group, name: string): string[] {
  const read = (key: string) => {
    const value = group.attrs[key]?.value;
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : Array.from(value as ArrayLike<unknown>);
    return list.filter((v): v is string => typeof v === 'string');
  };
  const whole = read(name);
  if (whole) return whole;
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const chunk = read(`${name}${i}`);
    if (!chunk) return out;
    out.push(...chunk);
  }
}
