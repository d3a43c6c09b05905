/**
 * Scores a generator of MNIST digits as `dl evaluate` reports it: Inception Score and Fréchet distance of its samples,
 * beside the same two figures for as many real test images, both computed with one MNIST classifier (see
 * mnist-classifier.ts). The Fréchet distances are to the classifier features of the whole training split, so the real
 * test images show the best a generator can hope for.
 */
import { opSeed, tf, toTensor, type Model, type Tensor } from '@dl/core';
import type { PresetData } from '../preset.js';
import { classifierOutputs, featureStatistics, scoreOutputs, type ImageSetScores } from './scores.js';

export interface GanEvaluation {
  generated: ImageSetScores;
  real: ImageSetScores;
  /** Training images whose features are the Fréchet distances' reference. */
  referenceSamples: number;
}

export interface EvaluateGeneratorOptions {
  /** Samples to generate, and real test images to compare with (at most the test split). Default 10,000. */
  samples?: number;
  /** Seed of the latent vectors. Default 0. */
  seed?: number;
}

/**
 * `generator`: latent vectors → images in [-1, 1] (the GAN's generator); `classifier`: images in [0, 1] → class
 * probabilities; `data`: MNIST as the `cnn` preset loads it (images in [0, 1]).
 */
export function evaluateMnistGenerator(
  generator: Model,
  classifier: Model,
  data: PresetData,
  options: EvaluateGeneratorOptions = {},
): GanEvaluation {
  const samples = options.samples ?? 10_000;
  const latentDim = generator.net.inputs[0]!.shape[1] as number;
  const owned: Tensor[] = [];
  try {
    const train = toTensor(data.train.x);
    owned.push(train);
    const trainOutputs = classifierOutputs(classifier, train);
    const reference = featureStatistics(trainOutputs.features, trainOutputs.featureDim);
    const testCount = Math.min(samples, data.test.x.shape[0]!);
    const allTest = toTensor(data.test.x);
    owned.push(allTest);
    const test = allTest.slice(0, testCount);
    owned.push(test);
    const real = scoreOutputs(classifierOutputs(classifier, test), reference);
    const generated = tf.tidy(() => {
      const z = tf.randomNormal([samples, latentDim], 0, 1, 'float32', opSeed(options.seed ?? 0));
      return generator.predict(z, { batchSize: 500 }).add(1).div(2);
    });
    owned.push(generated);
    return { generated: scoreOutputs(classifierOutputs(classifier, generated), reference), real, referenceSamples: train.shape[0]! };
  } finally {
    tf.dispose(owned);
  }
}
