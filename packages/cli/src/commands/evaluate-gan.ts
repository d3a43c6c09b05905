import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, type Model } from '@dl/core';
import {
  cnn,
  evaluateMnistGenerator,
  type GanEvaluation,
  mnistClassifier,
  samplingGeneratorDir,
  type ImageSetScores,
  type PresetData,
} from '@dl/models';
import { makeOutput, type Output } from '../output.js';
import { UsageError } from '../usage-error.js';
import type { EvaluateCommandOptions } from './evaluate.js';

export interface EvaluateGanOptions extends EvaluateCommandOptions {
  /** A saved MNIST classifier to score with; default the cached one (trained on first use). */
  classifier?: string;
  /** Generated samples and real test images to score. Default 10,000. */
  samples?: number;
  /** Seed of the latent vectors. Default 0. */
  seed?: number;
}

/**
 * `dl evaluate DIR` for a GAN run (its generator's moving average `DIR/generator-ema/` when kept, else
 * `DIR/generator/`): the MNIST Inception Score and Fréchet distance of generated samples, beside the same figures for
 * as many real test images (see @dl/models gan/evaluate.ts).
 */
export async function evaluateGan(dir: string, options: EvaluateGanOptions): Promise<void> {
  const out = makeOutput(options);
  const generatorDir = samplingGeneratorDir(dir);
  const generator = await loadModel(generatorDir);
  assertMnistGenerator(generator, generatorDir); // before the classifier, which may train first
  const scorer = await mnistGeneratorScorer(options, out);
  const result = scorer.score(generator, generatorDir);
  printGanScores(result, out);
  out.info(`Generator: ${generatorDir}`);
  out.info(scorer.about(result));
  out.json({ ...result, generator: generatorDir, classifier: scorer.classifierDir ?? null });
}

export interface GeneratorScorer {
  /** The scores of `generator`'s samples (and of as many real test images), as `dl evaluate` of a GAN run prints them. */
  score(generator: Model, generatorDir: string): GanEvaluation;
  /** The classifier's folder, undefined when it was trained for this run only. */
  classifierDir: string | undefined;
  /** One line naming the classifier and the Fréchet reference. */
  about(result: GanEvaluation): string;
}

/** Prepares the MNIST classifier and data that score generators (`--classifier`, `--data-dir`, `--samples`, `--seed`). */
export async function mnistGeneratorScorer(options: EvaluateGanOptions, out: Output): Promise<GeneratorScorer> {
  if (options.classifier !== undefined && !existsSync(join(resolve(options.classifier), 'model.json'))) {
    throw new UsageError(
      `--classifier ${resolve(options.classifier)}: no model.json there; give the folder of a saved MNIST classifier (e.g. from \`dl train cnn\`)`,
    );
  }
  let data: PresetData | undefined;
  const loadData = async () =>
    (data ??= await cnn.loadData({
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      log: out.datasetLog,
    }));
  const classifier = await mnistClassifier({
    ...(options.classifier !== undefined ? { dir: options.classifier } : {}),
    data: loadData,
    log: (line) => out.info(line),
    ...(out.progressStream ? { progress: out.progressStream } : {}),
  });
  if (options.classifier !== undefined) assertMnistClassifier(classifier.model, resolve(options.classifier));
  const loaded = await loadData();
  return {
    score(generator, generatorDir) {
      assertMnistGenerator(generator, generatorDir);
      return evaluateMnistGenerator(generator, classifier.model, loaded, {
        ...(options.samples !== undefined ? { samples: options.samples } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
    },
    classifierDir: classifier.dir,
    about: (result) =>
      `Scored by the MNIST classifier ${classifier.dir ?? 'trained for this run only'}; Fréchet distances to its features of the ${result.referenceSamples} training images`,
  };
}

/** The scores need a generator of MNIST-sized images. */
export function assertMnistGenerator(generator: Model, generatorDir: string): void {
  const shape = generator.net.outputs[0]!.shape;
  if (JSON.stringify(shape) !== JSON.stringify([null, 28, 28, 1])) {
    throw new UsageError(`${generatorDir} makes ${JSON.stringify(shape)} images; the scores need MNIST-sized ones [null, 28, 28, 1]`);
  }
}

/** The table of Inception Score and Fréchet distance, generated beside real, and the generated samples' classes. */
export function printGanScores(result: GanEvaluation, out: Output, label = 'generated'): void {
  const row = (name: string, s: ImageSetScores) =>
    `${name.padEnd(24)}${`${s.inceptionScore.toFixed(3)} ± ${s.inceptionScoreStd.toFixed(3)}`.padEnd(22)}${s.frechetDistance.toFixed(3)}`;
  out.info(`${''.padEnd(24)}${'Inception Score'.padEnd(22)}Fréchet distance`);
  out.info(row(`${label} (${result.generated.samples})`, result.generated));
  out.info(row(`real test (${result.real.samples})`, result.real));
  const total = result.generated.samples;
  out.info(
    `Classes of the generated samples: ${result.generated.classCounts.map((c, digit) => `${digit}: ${((100 * c) / total).toFixed(1)}%`).join(', ')}`,
  );
}

/**
 * The scores feed the classifier 28×28×1 images and read 10 class probabilities (and the features its last layer takes): another model fails deep inside TF.js, so check its shapes first and name what is expected.
 */
function assertMnistClassifier(model: Model, dir: string): void {
  const { inputs, outputs } = model.net;
  const shapes = (ts: readonly { shape: readonly (number | null)[] }[]) => ts.map((t) => JSON.stringify(t.shape)).join(', ');
  const ok =
    inputs.length === 1 &&
    outputs.length === 1 &&
    JSON.stringify(inputs[0]!.shape) === '[null,28,28,1]' &&
    JSON.stringify(outputs[0]!.shape) === '[null,10]';
  if (!ok) {
    throw new UsageError(
      `--classifier ${dir} takes ${shapes(inputs)} and gives ${shapes(outputs)}: the scores need an MNIST classifier taking ` +
        '[null, 28, 28, 1] images and giving [null, 10] class probabilities (e.g. `dl train cnn`)',
    );
  }
}
