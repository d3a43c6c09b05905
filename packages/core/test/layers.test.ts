import { describe, expect, it } from 'vitest';
import type { layers as tfLayers, Tensor } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { tf } from '../src/backend.js';
import type { Layer } from '../src/layer-types.js';
import * as layers from '../src/layers.js';
import { tfl } from '../src/tfjs-layers-api.js';

/** The output shape of `layer` applied to a symbolic input of sample shape `shape`. */
function outputShape(layer: Layer, shape: number[]): Array<number | null> {
  return (layer.apply(tfl.input({ shape })) as SymbolicTensor).shape;
}

/** `layer` applied to a concrete tensor, as plain nested arrays. */
function run(layer: Layer, x: Tensor | Tensor[]): unknown {
  const y = layer.apply(x) as Tensor;
  const out = y.arraySync();
  tf.dispose([y, ...(Array.isArray(x) ? x : [x])]);
  return out;
}

describe('layer factories', () => {
  it.each<[string, () => Layer, number[], Array<number | null>]>([
    ['dense', () => layers.dense({ units: 3 }), [4], [null, 3]],
    ['conv2d', () => layers.conv2d({ filters: 2, kernelSize: 3 }), [5, 5, 1], [null, 3, 3, 2]],
    ['conv2dTranspose', () => layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }), [3, 3, 1], [null, 6, 6, 2]],
    ['maxPooling2d', () => layers.maxPooling2d(), [4, 6, 2], [null, 2, 3, 2]],
    ['averagePooling2d', () => layers.averagePooling2d({ poolSize: 3 }), [6, 6, 2], [null, 2, 2, 2]],
    ['globalAveragePooling1d', () => layers.globalAveragePooling1d(), [5, 3], [null, 3]],
    ['globalAveragePooling2d', () => layers.globalAveragePooling2d(), [4, 4, 3], [null, 3]],
    ['flatten', () => layers.flatten(), [2, 3], [null, 6]],
    ['reshape', () => layers.reshape({ targetShape: [3, 2] }), [6], [null, 3, 2]],
    ['dropout', () => layers.dropout({ rate: 0.5 }), [4], [null, 4]],
    ['batchNormalization', () => layers.batchNormalization(), [2, 3], [null, 2, 3]],
    ['layerNormalization', () => layers.layerNormalization(), [3], [null, 3]],
    ['embedding', () => layers.embedding({ inputDim: 10, outputDim: 4 }), [5], [null, 5, 4]],
    ['lstm', () => layers.lstm({ units: 3 }), [5, 2], [null, 3]],
    ['lstm (returnSequences)', () => layers.lstm({ units: 3, returnSequences: true }), [5, 2], [null, 5, 3]],
    ['gru', () => layers.gru({ units: 3 }), [5, 2], [null, 3]],
    ['simpleRNN', () => layers.simpleRNN({ units: 3 }), [5, 2], [null, 3]],
    ['bidirectional', () => layers.bidirectional({ layer: layers.lstm({ units: 3 }) }), [5, 2], [null, 6]],
    ['leakyReLU', () => layers.leakyReLU(), [4], [null, 4]],
    ['activation', () => layers.activation({ activation: 'softmax' }), [4], [null, 4]],
  ])('%s builds its Keras layer with the right output shape', (_name, make, inShape, outShape) => {
    const layer = make();
    expect(outputShape(layer, inShape)).toEqual(outShape);
  });

  it('builds the tfjs layer classes Keras names', () => {
    expect(layers.conv2dTranspose({ filters: 1, kernelSize: 1 }).getClassName()).toBe('Conv2DTranspose');
    expect(layers.globalAveragePooling1d().getClassName()).toBe('GlobalAveragePooling1D');
    expect(layers.simpleRNN({ units: 1 }).getClassName()).toBe('SimpleRNN');
    expect(layers.bidirectional({ layer: layers.gru({ units: 1 }) }).getClassName()).toBe('Bidirectional');
    expect(layers.layerNormalization().getClassName()).toBe('LayerNormalization');
    expect(layers.inputLayer({ inputShape: [2] }).getClassName()).toBe('InputLayer');
  });

  it('has Keras parameter counts', () => {
    const count = (layer: Layer, shape: number[]) => {
      outputShape(layer, shape);
      return layer.countParams();
    };
    expect(count(layers.dense({ units: 3 }), [4])).toBe(4 * 3 + 3);
    expect(count(layers.conv2d({ filters: 8, kernelSize: 3 }), [6, 6, 2])).toBe(3 * 3 * 2 * 8 + 8);
    expect(count(layers.lstm({ units: 5 }), [7, 3])).toBe(4 * 5 * (3 + 5 + 1));
    expect(count(layers.simpleRNN({ units: 5 }), [7, 3])).toBe(5 * (3 + 5 + 1));
  });

  it('computes what the Keras layers compute', () => {
    // LeakyReLU: Keras's default slope 0.3 below zero.
    expect(run(layers.leakyReLU(), tf.tensor2d([[-1, 2]]))).toEqual([[expect.closeTo(-0.3, 6), 2]]);
    expect(run(layers.leakyReLU({ alpha: 0.1 }), tf.tensor2d([[-2, 1]]))).toEqual([[expect.closeTo(-0.2, 6), 1]]);
    // Activation, add and concatenate.
    const softmax = run(layers.activation({ activation: 'softmax' }), tf.tensor2d([[0, Math.log(3)]])) as number[][];
    expect(softmax[0]![0]).toBeCloseTo(0.25, 6);
    expect(softmax[0]![1]).toBeCloseTo(0.75, 6);
    expect(run(layers.add(), [tf.tensor2d([[1, 2]]), tf.tensor2d([[10, 20]])])).toEqual([[11, 22]]);
    expect(run(layers.concatenate(), [tf.tensor2d([[1, 2]]), tf.tensor2d([[3]])])).toEqual([[1, 2, 3]]);
    expect(run(layers.concatenate({ axis: 1 }), [tf.tensor3d([[[1], [2]]]), tf.tensor3d([[[3]]])])).toEqual([[[1], [2], [3]]]);
    // Reshape, flatten and global pooling.
    expect(run(layers.reshape({ targetShape: [2, 2] }), tf.tensor2d([[1, 2, 3, 4]]))).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    expect(
      run(
        layers.flatten(),
        tf.tensor3d([
          [
            [1, 2],
            [3, 4],
          ],
        ]),
      ),
    ).toEqual([[1, 2, 3, 4]]);
    expect(
      run(
        layers.globalAveragePooling1d(),
        tf.tensor3d([
          [
            [1, 10],
            [3, 30],
          ],
        ]),
      ),
    ).toEqual([[2, 20]]);
    expect(
      run(
        layers.maxPooling2d(),
        tf.tensor4d([
          [
            [[1], [5]],
            [[3], [2]],
          ],
        ]),
      ),
    ).toEqual([[[[5]]]]);
    expect(
      run(
        layers.averagePooling2d(),
        tf.tensor4d([
          [
            [[1], [5]],
            [[3], [3]],
          ],
        ]),
      ),
    ).toEqual([[[[3]]]]);
    // Dropout is the identity outside training.
    expect(run(layers.dropout({ rate: 0.9 }), tf.tensor2d([[1, 2, 3]]))).toEqual([[1, 2, 3]]);
    // Embedding looks rows up by id.
    const emb = layers.embedding({ inputDim: 3, outputDim: 2, embeddingsInitializer: 'ones' });
    expect(run(emb, tf.tensor2d([[0, 2]], [1, 2], 'int32'))).toEqual([
      [
        [1, 1],
        [1, 1],
      ],
    ]);
  });

  it("keeps batch normalization's moving statistics out of the trainable weights", () => {
    const bn = layers.batchNormalization();
    outputShape(bn, [5]);
    expect(bn.trainableWeights.map((w) => w.shape)).toEqual([[5], [5]]);
    expect((bn as tfLayers.Layer).nonTrainableWeights.map((w) => w.originalName.split('/').pop())).toEqual([
      'moving_mean',
      'moving_variance',
    ]);
  });

  it('stacks into a sequential model, with inputLayer as an explicit first layer', () => {
    const net = tfl.sequential({ layers: [layers.inputLayer({ inputShape: [3] }), layers.dense({ units: 2 })] as tfLayers.Layer[] });
    expect(net.inputs[0]!.shape).toEqual([null, 3]);
    expect(net.outputs[0]!.shape).toEqual([null, 2]);
  });
});

describe('Keras layer names', () => {
  /** The number Keras appends to a name: `dense` is 0, `dense_3` is 3. */
  const index = (name: string, prefix: string) => {
    const match = new RegExp(`^${prefix}(?:_(\\d+))?$`).exec(name);
    expect(match, `${name} is not ${prefix} or ${prefix}_<n>`).not.toBeNull();
    return Number(match![1] ?? 0);
  };

  it.each<[string, (name?: string) => Layer]>([
    ['conv2d', (name) => layers.conv2d({ filters: 1, kernelSize: 1, name })],
    ['conv2d_transpose', (name) => layers.conv2dTranspose({ filters: 1, kernelSize: 1, name })],
    ['max_pooling2d', (name) => layers.maxPooling2d({ name })],
    ['average_pooling2d', (name) => layers.averagePooling2d({ name })],
    ['global_average_pooling1d', (name) => layers.globalAveragePooling1d({ name })],
    ['global_average_pooling2d', (name) => layers.globalAveragePooling2d({ name })],
    ['flatten', (name) => layers.flatten({ name })],
    ['reshape', (name) => layers.reshape({ targetShape: [1], name })],
    ['dense', (name) => layers.dense({ units: 1, name })],
    ['dropout', (name) => layers.dropout({ rate: 0.1, name })],
    ['batch_normalization', (name) => layers.batchNormalization({ name })],
    ['layer_normalization', (name) => layers.layerNormalization({ name })],
    ['embedding', (name) => layers.embedding({ inputDim: 2, outputDim: 2, name })],
    ['lstm', (name) => layers.lstm({ units: 1, name })],
    ['gru', (name) => layers.gru({ units: 1, name })],
    ['simple_rnn', (name) => layers.simpleRNN({ units: 1, name })],
    ['bidirectional', (name) => layers.bidirectional({ layer: layers.lstm({ units: 1 }), name })],
    ['leaky_re_lu', (name) => layers.leakyReLU({ name })],
    ['activation', (name) => layers.activation({ activation: 'relu', name })],
    ['concatenate', (name) => layers.concatenate({ name })],
    ['add', (name) => layers.add({ name })],
    ['input_layer', (name) => layers.inputLayer({ inputShape: [1], name })],
  ])('unnamed layers are %s, then numbered', (prefix, make) => {
    const first = make();
    const second = make();
    expect(index(second.name, prefix)).toBe(index(first.name, prefix) + 1);
    expect(make('my_layer').name).toBe('my_layer');
  });

  it("names a sequential model's input after its first layer, as Keras", () => {
    const net = tfl.sequential({ layers: [layers.dense({ units: 1, inputShape: [2], name: 'first' })] as tfLayers.Layer[] });
    expect(net.inputs[0]!.name).toBe('first_input');
  });
});

describe('activityRegularizer', () => {
  it('is refused up front, since tfjs cannot call a layer that has one', () => {
    expect(() => layers.dense({ units: 2, activityRegularizer: tfl.regularizers.l2({ l2: 0.1 }) })).toThrow(
      'dense: activityRegularizer is not supported by TensorFlow.js',
    );
    expect(() => layers.conv2d({ filters: 1, kernelSize: 1, activityRegularizer: 'l1l2' })).toThrow(/^conv2d: activityRegularizer/);
  });
});
