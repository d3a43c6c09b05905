/** The GAN preset's building blocks: the model, its networks, sample grids, scores and the scoring classifier. */
export {
  GanModel,
  loadGan,
  isGanSave,
  samplingGeneratorDir,
  GENERATOR_DIR,
  GENERATOR_EMA_DIR,
  DISCRIMINATOR_DIR,
  type GanCompileOptions,
  type GanOptions,
} from './gan-model.js';
export { WeightAverage } from './weight-average.js';
export { dcganGenerator, dcganDiscriminator, DCGAN_DEFAULTS, type DcganOptions } from './dcgan.js';
export { imageGrid, encodePng, writeImageGrid, SampleGrid, type GridOptions, type SampleGridOptions } from './image-grid.js';
export {
  inceptionScore,
  featureStatistics,
  frechetDistance,
  classifierOutputs,
  scoreOutputs,
  type InceptionScore,
  type FeatureStatistics,
  type ClassifierOutputs,
  type ImageSetScores,
} from './scores.js';
export {
  mnistClassifier,
  defaultClassifierDir,
  CLASSIFIER_EPOCHS,
  type MnistClassifier,
  type MnistClassifierOptions,
} from './mnist-classifier.js';
export { evaluateMnistGenerator, type GanEvaluation, type EvaluateGeneratorOptions } from './evaluate.js';
