/// <reference types="long" preserve="true" />
// tfjs-core's declarations use the global `Long` of @types/long without referencing it; a consumer whose package
// manager does not hoist @types/long (pnpm) needs this reference to compile them.
export { tf, backendInfo, type BackendInfo, type Tf } from './backend.js';
/** TensorFlow.js's tensor types, so users need no direct dependency on it. */
export type { Tensor, Scalar, Variable, Optimizer } from '@tensorflow/tfjs-core';
export { cloneModel } from './clone-model.js';
export {
  Model,
  sequential,
  loadModel,
  type Batch,
  type BatchStream,
  type ModelData,
  type StreamBatch,
  type CompileOptions,
  type FitOptions,
  type EvaluateOptions,
  type PredictOptions,
  type ModelMetadata,
  type SaveOptions,
} from './model.js';
export * as layers from './layers.js';
/** dl's types of the layers and their options (`SymbolicTensor` and `Regularizer` are exported below, from their modules). */
export type { Layer, LayerVariable, Network, Shape, Initializer, Constraint } from './layer-types.js';
/** Every layer factory's options (`DenseOptions`, …) and the names they take (`ActivationName`, …). */
export type * from './layer-options.js';
export { input, model, type InputOptions, type FunctionalModelOptions, type SymbolicTensor } from './functional.js';
export * as regularizers from './regularizers.js';
/** Attribution methods (Integrated Gradients, SmoothGrad, gradient × input, Grad-CAM): `explain.integratedGradients(model, x)`. */
export * as explain from './explain/index.js';
export type {
  Attributions,
  ExplainOptions,
  GradCamOptions,
  GradCamResult,
  GradientTimesInputOptions,
  IntegratedGradientsOptions,
  IntegratedGradientsResult,
  IntegrationMethod,
  SmoothGradOptions,
} from './explain/index.js';
export type { Regularizer, L1L2Options } from './regularizers.js';
export { summaryLines } from './summary.js';
export { checkInputShapes } from './input-shapes.js';
export * from './callbacks/index.js';
export { getLoss, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError, type LossFn, type LossName } from './losses.js';
export { getMetric, accuracy, type MetricFn, type MetricName } from './metrics.js';
export { getOptimizer, getLearningRate, setLearningRate, runsInGraph, type OptimizerConfig, type OptimizerName } from './optimizers.js';
export {
  calibrateNoiseMultiplier,
  computeDpSgdEpsilon,
  dpSgdSchedule,
  epsilonFromRdp,
  rdpOfSteps,
  sampledGaussianRdp,
  DEFAULT_RDP_ORDERS,
  lossThresholdAttack,
  type MembershipAttackResult,
  type CalibrationOptions,
  type DpSgdEpochs,
  type DpSgdSettings,
  type PrivacySpent,
  type RdpConversion,
} from './privacy/index.js';
export { setSeed, randomState, setRandomState, opSeed, type RandomState } from './seed.js';
export { GraphFunction } from './graph/graph-function.js';
export { hostTensors, beforeEachCall, afterEachCall } from './graph/step-hooks.js';
export { writeFileAtomic, syncFolder } from './model-files.js';
export { makeFolder, makeFolderSync } from './make-folder.js';
export { DlError, DpLayerError, ModelFileError, NativeError, OptionError, ShapeError } from './errors/index.js';
export { DpAdam, DpSgd, type DpSettings } from './dp/dp-optimizers.js';
export { toTensor, type ShapedArray, type TensorLike } from './shaped-array.js';
export {
  checkQuantization,
  quantizeWeight,
  WEIGHT_QUANTIZATIONS,
  type QuantizationEntry,
  type QuantizedWeight,
  type WeightQuantization,
} from './export/weight-quantization.js';
export { float32WeightsSha256, SHARD_BYTES, writeWebModel, type WebModelFiles, type WriteWebModelOptions } from './export/web-model.js';
