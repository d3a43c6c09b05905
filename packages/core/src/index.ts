export { tf, backendInfo, type BackendInfo, type Tf } from './backend.js';
export { Model, sequential, loadModel, type CompileOptions, type FitOptions, type EvaluateOptions, type PredictOptions, type ModelMetadata, type SaveOptions } from './model.js';
export * as layers from './layers.js';
export * from './callbacks/index.js';
export { getLoss, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError, type LossFn, type LossName } from './losses.js';
export { getMetric, accuracy, type MetricFn, type MetricName } from './metrics.js';
export { getOptimizer, getLearningRate, setLearningRate, type OptimizerConfig, type OptimizerName } from './optimizers.js';
export { setSeed } from './seed.js';
export { toTensor, type ShapedArray, type TensorLike } from './shaped-array.js';
