/**
 * model.weights.h5 as Keras 3 lays it out (keras/src/saving/saving_lib.py), written with h5wasm: the model's own
 * `vars` group, then `layers/<class in snake_case>[_n]/vars/0..k` per layer in the model's layer order (the suffix
 * counts layers of the same class, which is how Keras finds a layer's group when it loads), recurrent layers' variables
 * under `cell/vars`, a Bidirectional's under `forward_layer/cell/vars` and `backward_layer/cell/vars`, and, for a model
 * compiled with Adam, `optimizer/vars`: iterations (int64), learning rate, then each trainable variable's first and
 * second moments, interleaved, in the model's trainable-variable order. Every `vars` group carries a `name` attribute.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { WeightArray } from './keras-weights.js';

/** One layer's variables, under its group. */
export interface KerasLayerVars {
  /** The layer's name (the `name` attribute of its `vars`). */
  name: string;
  /** Its Keras class name, which names its group. */
  className: string;
  /** Sub-groups (`vars`, `cell/vars`, …) → the variables in them, in Keras's order. */
  groups: Map<string, WeightArray[]>;
}

/** Adam's state as Keras 3 keeps it. */
export interface KerasAdamState {
  iterations: number;
  learningRate: number;
  /** Per trainable variable, in the model's order: the first (m) and second (v) moments. */
  moments: { m: WeightArray; v: WeightArray }[];
}

/** Keras's `naming.to_snake_case`: the group name of a layer of class `className`. */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

type Group = InstanceType<typeof h5wasm.Group>;

export async function writeKerasWeights(modelName: string, layers: KerasLayerVars[], adam?: KerasAdamState): Promise<Uint8Array> {
  await h5wasm.ready;
  // h5wasm's Node build writes files of the host file system: a private temp file, read back whole.
  const dir = await mkdtemp(join(tmpdir(), 'dl-keras-'));
  const path = join(dir, 'model.weights.h5');
  try {
    const f = new h5wasm.File(path, 'w');
    try {
      varsGroup(f, 'vars', modelName, []);
      const top = f.create_group('layers');
      const used = new Map<string, number>();
      for (const layer of layers) {
        const base = kerasSnakeCase(layer.className);
        const n = used.get(base);
        used.set(base, n === undefined ? 0 : n + 1);
        const group = top.create_group(n === undefined ? base : `${base}_${n + 1}`);
        // Every level down to each variables group has its own (empty unless named) `vars`, as Keras writes them.
        varsGroup(group, 'vars', layer.name, layer.groups.get('vars') ?? []);
        for (const [sub, arrays] of layer.groups) {
          if (sub === 'vars') continue;
          const parts = sub.split('/').slice(0, -1); // e.g. forward_layer/cell
          let g: Group = group;
          parts.forEach((part, i) => {
            const existing = g.get(part);
            g = existing instanceof h5wasm.Group ? existing : g.create_group(part);
            const last = i === parts.length - 1;
            if (!last && !(g.get('vars') instanceof h5wasm.Group)) varsGroup(g, 'vars', `${layer.name}_${part}`, []);
            if (last) varsGroup(g, 'vars', `${base}_${part}`, arrays);
          });
        }
      }
      if (adam) {
        const optimizer = f.create_group('optimizer');
        const vars = varsGroup(optimizer, 'vars', 'adam', []);
        vars.create_dataset({ name: '0', data: BigInt64Array.of(BigInt(adam.iterations)), shape: [], dtype: '<q' });
        vars.create_dataset({ name: '1', data: Float32Array.of(adam.learningRate), shape: [], dtype: '<f' });
        adam.moments.forEach(({ m, v }, i) => {
          dataset(vars, String(2 + 2 * i), m);
          dataset(vars, String(3 + 2 * i), v);
        });
      }
    } finally {
      f.close();
    }
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function varsGroup(parent: Group, key: string, name: string, arrays: WeightArray[]): Group {
  const g = parent.create_group(key);
  g.create_attribute('name', name);
  arrays.forEach((a, i) => dataset(g, String(i), a));
  return g;
}

function dataset(group: Group, name: string, a: WeightArray): void {
  group.create_dataset({ name, data: a.values, shape: a.shape, dtype: '<f' });
}
