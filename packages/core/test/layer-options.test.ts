/**
 * dl's layer options (layer-options.ts) against tfjs-layers' own: each factory's options interface has tfjs's option
 * names and value types, so layers.ts's one cast to tfjs's args is sound, and each factory's layer is a dl `Layer`.
 * The type checks run under `tsc -p tsconfig.test.json` (a wrong option type fails there); the runtime checks show
 * options reaching the tfjs layer.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import type * as options from '../src/layer-options.js';
import type { Constraint, Initializer, Layer, Regularizer } from '../src/layer-types.js';
import * as layers from '../src/layers.js';
import type { FusedBatchNormalization } from '../src/native/fused-batch-norm-layer.js';
import type { FusedConv2D } from '../src/native/fused-conv2d-layer.js';
import type { FusedLSTM } from '../src/native/fused-lstm-layer.js';
import type { NativeDropout } from '../src/native/native-dropout-layer.js';
import { tfl } from '../src/tfjs-layers-api.js';

/** tfjs's layer factories (`tfl.layers.dense`, …), less the classes it also exports there. */
type TfLayers = {
  [K in keyof typeof tfjs.layers as (typeof tfjs.layers)[K] extends (...args: never[]) => unknown ? K : never]: (typeof tfjs.layers)[K];
};
/** tfjs's options of its factory `K` (`TfArgs<'dense'>`: `DenseLayerArgs`). */
type TfArgs<K extends keyof TfLayers> = NonNullable<Parameters<TfLayers[K]>[0]>;

/** tfjs-layers' initializer, regularizer and constraint classes, as its dense layer's options name them. */
type TfInitializer = Exclude<TfArgs<'dense'>['kernelInitializer'], string | undefined>;
type TfRegularizer = Exclude<TfArgs<'dense'>['kernelRegularizer'], string | undefined>;
type TfConstraint = Exclude<TfArgs<'dense'>['kernelConstraint'], string | undefined>;

/**
 * tfjs's options with its initializer/regularizer/constraint classes read as dl's facades (layer-types.ts), which
 * declare only what dl's users need of them: every other option must match tfjs's type as it is.
 */
type Facaded<T> = T extends TfInitializer ? Initializer : T extends TfRegularizer ? Regularizer : T extends TfConstraint ? Constraint : T;
type WithFacades<A> = { [K in keyof A]: Facaded<A[K]> };
type Expected<K extends keyof TfLayers> = WithFacades<TfArgs<K>>;

describe('layer options', () => {
  it("have tfjs-layers' option names and value types, factory by factory", () => {
    expectTypeOf<options.Conv2DOptions>().toExtend<Expected<'conv2d'>>();
    expectTypeOf<options.Conv2DTransposeOptions>().toExtend<Expected<'conv2dTranspose'>>();
    expectTypeOf<options.MaxPooling2DOptions>().toExtend<Expected<'maxPooling2d'>>();
    expectTypeOf<options.AveragePooling2DOptions>().toExtend<Expected<'averagePooling2d'>>();
    expectTypeOf<options.GlobalAveragePooling1DOptions>().toExtend<Expected<'globalAveragePooling1d'>>();
    expectTypeOf<options.GlobalAveragePooling2DOptions>().toExtend<Expected<'globalAveragePooling2d'>>();
    expectTypeOf<options.FlattenOptions>().toExtend<Expected<'flatten'>>();
    expectTypeOf<options.ReshapeOptions>().toExtend<Expected<'reshape'>>();
    expectTypeOf<options.DenseOptions>().toExtend<Expected<'dense'>>();
    expectTypeOf<options.DropoutOptions>().toExtend<Expected<'dropout'>>();
    expectTypeOf<options.BatchNormalizationOptions>().toExtend<Expected<'batchNormalization'>>();
    expectTypeOf<options.LayerNormalizationOptions>().toExtend<Expected<'layerNormalization'>>();
    expectTypeOf<options.EmbeddingOptions>().toExtend<Expected<'embedding'>>();
    expectTypeOf<options.LSTMOptions>().toExtend<Expected<'lstm'>>();
    expectTypeOf<options.GRUOptions>().toExtend<Expected<'gru'>>();
    expectTypeOf<options.SimpleRNNOptions>().toExtend<Expected<'simpleRNN'>>();
    // Bidirectional's layer is tfjs's RNN there, a dl Layer here (a tfjs-layers RNN at run time).
    expectTypeOf<Omit<options.BidirectionalOptions, 'layer'>>().toExtend<Omit<Expected<'bidirectional'>, 'layer'>>();
    expectTypeOf<options.LeakyReLUOptions>().toExtend<Expected<'leakyReLU'>>();
    expectTypeOf<options.ActivationOptions>().toExtend<Expected<'activation'>>();
    expectTypeOf<options.ConcatenateOptions>().toExtend<Expected<'concatenate'>>();
    expectTypeOf<options.AddOptions>().toExtend<Expected<'add'>>();
    expectTypeOf<options.InputLayerOptions>().toExtend<Expected<'inputLayer'>>();
  });

  it("have all of tfjs-layers' option names and none of their own (but gru's resetAfter)", () => {
    /** The option names of dl's `O` not in tfjs's `K`, and of tfjs's not in dl's. */
    type Extra<O, K extends keyof TfLayers> = Exclude<keyof O, keyof TfArgs<K>>;
    type Missing<O, K extends keyof TfLayers> = Exclude<keyof TfArgs<K>, keyof O>;
    expectTypeOf<Extra<options.Conv2DOptions, 'conv2d'> | Missing<options.Conv2DOptions, 'conv2d'>>().toBeNever();
    expectTypeOf<
      Extra<options.Conv2DTransposeOptions, 'conv2dTranspose'> | Missing<options.Conv2DTransposeOptions, 'conv2dTranspose'>
    >().toBeNever();
    expectTypeOf<Extra<options.MaxPooling2DOptions, 'maxPooling2d'> | Missing<options.MaxPooling2DOptions, 'maxPooling2d'>>().toBeNever();
    expectTypeOf<
      Extra<options.AveragePooling2DOptions, 'averagePooling2d'> | Missing<options.AveragePooling2DOptions, 'averagePooling2d'>
    >().toBeNever();
    expectTypeOf<
      | Extra<options.GlobalAveragePooling1DOptions, 'globalAveragePooling1d'>
      | Missing<options.GlobalAveragePooling1DOptions, 'globalAveragePooling1d'>
    >().toBeNever();
    expectTypeOf<
      | Extra<options.GlobalAveragePooling2DOptions, 'globalAveragePooling2d'>
      | Missing<options.GlobalAveragePooling2DOptions, 'globalAveragePooling2d'>
    >().toBeNever();
    expectTypeOf<Extra<options.FlattenOptions, 'flatten'> | Missing<options.FlattenOptions, 'flatten'>>().toBeNever();
    expectTypeOf<Extra<options.ReshapeOptions, 'reshape'> | Missing<options.ReshapeOptions, 'reshape'>>().toBeNever();
    expectTypeOf<Extra<options.DenseOptions, 'dense'> | Missing<options.DenseOptions, 'dense'>>().toBeNever();
    expectTypeOf<Extra<options.DropoutOptions, 'dropout'> | Missing<options.DropoutOptions, 'dropout'>>().toBeNever();
    expectTypeOf<
      Extra<options.BatchNormalizationOptions, 'batchNormalization'> | Missing<options.BatchNormalizationOptions, 'batchNormalization'>
    >().toBeNever();
    expectTypeOf<
      Extra<options.LayerNormalizationOptions, 'layerNormalization'> | Missing<options.LayerNormalizationOptions, 'layerNormalization'>
    >().toBeNever();
    expectTypeOf<Extra<options.EmbeddingOptions, 'embedding'> | Missing<options.EmbeddingOptions, 'embedding'>>().toBeNever();
    // The recurrent layers leave out tfjs's `cell` (the layer makes its own) and `dropoutFunc` (a tfjs testing hook).
    expectTypeOf<Extra<options.LSTMOptions, 'lstm'>>().toBeNever();
    expectTypeOf<Missing<options.LSTMOptions, 'lstm'>>().toEqualTypeOf<'cell' | 'dropoutFunc'>();
    // gru's one option of its own: Keras's reset_after, which tfjs's GRU does not compute (dl's class does).
    expectTypeOf<Extra<options.GRUOptions, 'gru'>>().toEqualTypeOf<'resetAfter'>();
    expectTypeOf<Missing<options.GRUOptions, 'gru'>>().toEqualTypeOf<'cell' | 'dropoutFunc'>();
    expectTypeOf<Extra<options.SimpleRNNOptions, 'simpleRNN'>>().toBeNever();
    expectTypeOf<Missing<options.SimpleRNNOptions, 'simpleRNN'>>().toEqualTypeOf<'cell' | 'dropoutFunc'>();
    expectTypeOf<
      Extra<options.BidirectionalOptions, 'bidirectional'> | Missing<options.BidirectionalOptions, 'bidirectional'>
    >().toBeNever();
    expectTypeOf<Extra<options.LeakyReLUOptions, 'leakyReLU'> | Missing<options.LeakyReLUOptions, 'leakyReLU'>>().toBeNever();
    expectTypeOf<Extra<options.ActivationOptions, 'activation'> | Missing<options.ActivationOptions, 'activation'>>().toBeNever();
    expectTypeOf<Extra<options.ConcatenateOptions, 'concatenate'> | Missing<options.ConcatenateOptions, 'concatenate'>>().toBeNever();
    expectTypeOf<Extra<options.AddOptions, 'add'> | Missing<options.AddOptions, 'add'>>().toBeNever();
    expectTypeOf<Extra<options.InputLayerOptions, 'inputLayer'> | Missing<options.InputLayerOptions, 'inputLayer'>>().toBeNever();
  });

  it("name tfjs's activations, paddings, data formats and merge modes exactly", () => {
    expectTypeOf<options.ActivationName>().toEqualTypeOf<TfArgs<'activation'>['activation']>();
    expectTypeOf<options.PaddingMode>().toEqualTypeOf<NonNullable<TfArgs<'conv2d'>['padding']>>();
    expectTypeOf<options.DataFormat>().toEqualTypeOf<NonNullable<TfArgs<'conv2d'>['dataFormat']>>();
    expectTypeOf<options.BidirectionalMergeMode>().toEqualTypeOf<NonNullable<TfArgs<'bidirectional'>['mergeMode']>>();
    // tfjs's identifiers also take any string (a class name); dl's names are their listed ones.
    expectTypeOf<options.InitializerName>().toExtend<NonNullable<TfArgs<'dense'>['kernelInitializer']>>();
    expectTypeOf<options.RegularizerName>().toExtend<NonNullable<TfArgs<'dense'>['kernelRegularizer']>>();
    expectTypeOf<options.ConstraintName>().toExtend<NonNullable<TfArgs<'dense'>['kernelConstraint']>>();
  });

  it("accept tfjs-layers' initializer, regularizer and constraint objects", () => {
    expectTypeOf<TfInitializer>().toExtend<Initializer>();
    expectTypeOf<TfRegularizer>().toExtend<Regularizer>();
    expectTypeOf<TfConstraint>().toExtend<Constraint>();
    expectTypeOf<ReturnType<typeof tfjs.initializers.heNormal>>().toExtend<options.InitializerOption>();
    expectTypeOf<ReturnType<typeof tfjs.regularizers.l2>>().toExtend<options.RegularizerOption>();
    expectTypeOf<ReturnType<typeof tfjs.constraints.maxNorm>>().toExtend<options.ConstraintOption>();
  });
});

describe('layer factories', () => {
  it("return dl's Layer, which the layers they make are", () => {
    expectTypeOf(layers.dense).returns.toEqualTypeOf<Layer>();
    expectTypeOf(layers.bidirectional).parameter(0).toEqualTypeOf<options.BidirectionalOptions>();
    // The layers behind the factories: tfjs-layers' own, and dl's fused/native subclasses of them.
    expectTypeOf<FusedConv2D>().toExtend<Layer>();
    expectTypeOf<FusedBatchNormalization>().toExtend<Layer>();
    expectTypeOf<FusedLSTM>().toExtend<Layer>();
    expectTypeOf<NativeDropout>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['conv2dTranspose']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['maxPooling2d']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['averagePooling2d']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['globalAveragePooling1d']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['globalAveragePooling2d']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['flatten']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['reshape']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['dense']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['layerNormalization']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['embedding']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['gru']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['simpleRNN']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['bidirectional']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['leakyReLU']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['activation']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['concatenate']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['add']>>().toExtend<Layer>();
    expectTypeOf<ReturnType<TfLayers['inputLayer']>>().toExtend<Layer>();
  });

  it('pass their options through to the layer', () => {
    const dense = layers.dense({ units: 3, inputShape: [2], kernelInitializer: 'zeros', biasInitializer: 'ones', useBias: true });
    tfl.sequential({ layers: [dense as tfjs.layers.Layer] });
    const [kernel, bias] = dense.getWeights();
    expect(kernel!.shape).toEqual([2, 3]);
    expect(Array.from(kernel!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(bias!.dataSync())).toEqual([1, 1, 1]);

    const lstm = layers.lstm({
      units: 2,
      returnSequences: true,
      recurrentActivation: 'hardSigmoid',
      unitForgetBias: false,
      name: 'my_lstm',
    });
    expect(lstm.name).toBe('my_lstm');
    const config = (lstm as unknown as { getConfig(): Record<string, unknown> }).getConfig();
    expect(config).toMatchObject({ units: 2, returnSequences: true, recurrentActivation: 'hardSigmoid', unitForgetBias: false });

    const wrapped = layers.bidirectional({ layer: layers.gru({ units: 2 }), mergeMode: 'sum' });
    const output = wrapped.apply(tfl.input({ shape: [4, 3] })) as tfjs.SymbolicTensor;
    expect(output.shape).toEqual([null, 2]);
  });

  it("keep Keras's defaults where tfjs's differ", () => {
    const config = (layer: Layer) => (layer as unknown as { getConfig(): Record<string, unknown> }).getConfig();
    // glorotUniform is tfjs's VarianceScaling with these settings (glorotNormal draws from a normal distribution).
    const glorotUniform = { className: 'VarianceScaling', config: { distribution: 'uniform', mode: 'fanAvg', scale: 1 } };
    expect(config(layers.dense({ units: 1 }))).toMatchObject({ kernelInitializer: glorotUniform });
    expect(config(layers.lstm({ units: 1 }))).toMatchObject({
      kernelInitializer: glorotUniform,
      recurrentActivation: 'sigmoid',
      unitForgetBias: true,
    });
    // ...and an option given wins over them.
    expect(config(layers.dense({ units: 1, kernelInitializer: 'glorotNormal' }))).toMatchObject({
      kernelInitializer: { className: 'VarianceScaling', config: { distribution: 'normal' } },
    });
  });
});
