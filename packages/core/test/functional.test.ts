import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { tf } from '../src/backend.js';
import { input, model } from '../src/functional.js';
import * as layers from '../src/layers.js';
import { Model } from '../src/model.js';
import { layersModelOf } from '../src/tfjs-layers-api.js';

/** The layer that made `t` (tfjs-layers' field, outside dl's SymbolicTensor type). */
const sourceLayer = (t: SymbolicTensor) => (t as unknown as { sourceLayer: { name: string; getClassName(): string } }).sourceLayer;

const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]) =>
  layer.apply(x) as SymbolicTensor;

describe('input', () => {
  it('is a symbolic tensor of the sample shape with a free batch axis', () => {
    const x = input({ shape: [28, 28, 1] });
    expect(x.shape).toEqual([null, 28, 28, 1]);
    expect(x.dtype).toBe('float32');
    expect(sourceLayer(x).getClassName()).toBe('InputLayer');
  });

  it('takes a name, a dtype, a fixed batch size and free dimensions', () => {
    const ids = input({ shape: [null], dtype: 'int32', name: 'token_ids' });
    expect(sourceLayer(ids).name).toBe('token_ids');
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([null, null]);
    expect(input({ shape: [3], batchSize: 8 }).shape).toEqual([8, 3]);
  });

  it('is named as Keras names inputs: input_layer, input_layer_1, …', () => {
    const a = sourceLayer(input({ shape: [1] })).name;
    const b = sourceLayer(input({ shape: [1] })).name;
    expect(a).toMatch(/^input_layer(_\d+)?$/);
    expect(b).toMatch(/^input_layer_\d+$/);
    expect(Number(b.split('_').pop())).toBe(a === 'input_layer' ? 1 : Number(a.split('_').pop()) + 1);
  });

  it('rejects a shape that is not an array', () => {
    expect(() => input({ shape: 3 as unknown as number[] })).toThrow('input: shape must be an array');
  });
});

describe('model', () => {
  it('joins two inputs with concatenate and predicts one row per sample', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const joined = apply(layers.concatenate(), [a, b]);
    expect(joined.shape).toEqual([null, 5]);
    const out = apply(layers.dense({ units: 4, name: 'out' }), joined);
    const m = model({ inputs: [a, b], outputs: out, name: 'two_inputs' });

    expect(m).toBeInstanceOf(Model);
    expect(m.name).toBe('two_inputs');
    expect(m.net.inputs).toHaveLength(2);
    expect(m.net.outputs).toHaveLength(1);
    expect(m.net.inputNames).toEqual(['a', 'b']);

    const xa = tf.randomNormal([6, 3]);
    const xb = tf.randomNormal([6, 2]);
    const y = layersModelOf(m).predict([xa, xb]) as Tensor;
    expect(y.shape).toEqual([6, 4]);
    // The same as the dense layer on the two inputs side by side.
    const [kernel, bias] = m.net.getLayer('out').getWeights();
    const expected = tf.tidy(() => tf.concat([xa, xb], 1).matMul(kernel!).add(bias!));
    const got = Array.from(y.dataSync());
    Array.from(expected.dataSync()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    tf.dispose([xa, xb, y, expected]);
  });

  it('has two outputs of their own shapes', () => {
    const x = input({ shape: [4] });
    const hidden = apply(layers.dense({ units: 8, activation: 'relu' }), x);
    const value = apply(layers.dense({ units: 1, name: 'value' }), hidden);
    const policy = apply(layers.dense({ units: 3, activation: 'softmax', name: 'policy' }), hidden);
    const m = model({ inputs: x, outputs: [value, policy] });

    expect(m.net.inputs).toHaveLength(1);
    expect(m.net.outputs).toHaveLength(2);
    expect(m.net.outputNames).toEqual(['value', 'policy']);
    const xs = tf.randomNormal([5, 4]);
    const ys = layersModelOf(m).predict(xs) as Tensor[];
    expect(ys.map((t) => t.shape)).toEqual([
      [5, 1],
      [5, 3],
    ]);
    for (const row of ys[1]!.arraySync() as number[][]) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    tf.dispose([xs, ...ys]);
  });

  it('works with the Model methods for one input and one output', () => {
    const x = input({ shape: [2] });
    const m = model({ inputs: x, outputs: apply(layers.dense({ units: 3 }), apply(layers.dense({ units: 5 }), x)) });
    const y = m.predict({ data: new Float32Array(4 * 2), shape: [4, 2] }) as Tensor;
    expect(y.shape).toEqual([4, 3]);
    y.dispose();
    expect(m.net.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'Dense']);
  });

  it('shares a layer applied twice: one set of weights', () => {
    const a = input({ shape: [3] });
    const b = input({ shape: [3] });
    const shared = layers.dense({ units: 2 });
    const m = model({ inputs: [a, b], outputs: apply(layers.add(), [apply(shared, a), apply(shared, b)]) });
    expect(m.net.layers.filter((l) => l === shared)).toHaveLength(1);
    expect(m.net.countParams()).toBe(3 * 2 + 2);
  });

  it('takes integer ids into an embedding', () => {
    const ids = input({ shape: [5], dtype: 'int32' });
    const pooled = apply(layers.globalAveragePooling1d(), apply(layers.embedding({ inputDim: 10, outputDim: 4 }), ids));
    const m = model({ inputs: ids, outputs: apply(layers.dense({ units: 2 }), pooled) });
    const x = tf.tensor2d(
      [
        [1, 2, 3, 4, 5],
        [9, 8, 7, 6, 5],
      ],
      [2, 5],
      'int32',
    );
    const y = layersModelOf(m).predict(x) as Tensor;
    expect(y.shape).toEqual([2, 2]);
    tf.dispose([x, y]);
  });

  it('is named functional, functional_1, … when unnamed', () => {
    const make = () => {
      const x = input({ shape: [1] });
      return model({ inputs: x, outputs: apply(layers.dense({ units: 1 }), x) }).name;
    };
    const first = make();
    const second = make();
    expect(first).toMatch(/^functional(_\d+)?$/);
    expect(second).toBe(`functional_${first === 'functional' ? 1 : Number(first.split('_').pop()) + 1}`);
  });
});
