/**
 * The MNIST classifier that scores generated digits (Inception Score, Fréchet distance): the `cnn` preset, trained with
 * its own recipe (5 epochs, test accuracy ≈ 0.994; about 3 minutes on 2 cores) with a fixed seed, cached in the
 * datasets folder (`datasetsDir()` of @dl/data, e.g. `datasets/mnist-classifier/`) on first use and reused afterwards,
 * so scores are comparable between runs and machines.
 *
 * Why the full recipe: the Inception Score rewards confident predictions, so it depends on the classifier. With this
 * one, 10,000 real test digits score ≈ 9.75; a 2-epoch classifier (accuracy 0.989) is less sure of every digit, real
 * ones score ≈ 9.5 and generated ones about a point less than with this classifier.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadModel, ProgbarLogger, setSeed, type Model } from '@dl/core';
import { datasetsDir } from '@dl/data';
import type { PresetData } from '../preset.js';
import { cnn } from '../presets/cnn.js';

/** Epochs the cached classifier trains for: the cnn preset's own (its cosine schedule runs over them). */
export const CLASSIFIER_EPOCHS = cnn.defaults.epochs;
/** Seed of the cached classifier's initialisation and shuffling, so every machine trains the same one. */
export const CLASSIFIER_SEED = 20_24;
/** MNIST's training images: only a classifier trained on all of them is cached. */
const FULL_TRAIN_SPLIT = 60_000;

/** Where the classifier is cached: `<datasetsDir()>/mnist-classifier`. */
export function defaultClassifierDir(): string {
  return join(datasetsDir(), 'mnist-classifier');
}

export interface MnistClassifierOptions {
  /** A saved MNIST classifier (e.g. a `dl train cnn` run folder). Default: the cached one, trained when missing. */
  dir?: string;
  /** MNIST as the `cnn` preset loads it (images in [0, 1]); used to train the classifier when it is not cached yet. */
  data: () => Promise<PresetData>;
  /** Lines about what happens (training the classifier, where it is saved). */
  log?: (line: string) => void;
  /** Where to draw the training progress bar; none when undefined. */
  progress?: NodeJS.WriteStream;
}

export interface MnistClassifier {
  model: Model;
  /** Whether it was trained by this call (else loaded). */
  trained: boolean;
  /** Where it is saved; undefined for one trained on part of MNIST, which is not cached. */
  dir: string | undefined;
}

/** Loads the scoring classifier, training and caching it first when there is none. */
export async function mnistClassifier(options: MnistClassifierOptions): Promise<MnistClassifier> {
  const log = options.log ?? (() => {});
  if (options.dir !== undefined) {
    const dir = resolve(options.dir);
    if (!existsSync(join(dir, 'model.json')))
      throw new Error(`${join(dir, 'model.json')} not found: the classifier must be a saved model (e.g. from \`dl train cnn\`)`);
    return { model: await loadModel(dir), dir, trained: false };
  }
  const dir = defaultClassifierDir();
  if (existsSync(join(dir, 'model.json'))) return { model: await loadModel(dir), dir, trained: false };

  const data = await options.data();
  const samples = data.train.x.shape[0]!;
  log(
    `No MNIST classifier cached in ${dir}: training one (the cnn preset, ${CLASSIFIER_EPOCHS} epochs on ${samples} images) to score samples with`,
  );
  setSeed(CLASSIFIER_SEED);
  const model = cnn.build();
  await model.fit(data.train.x, data.train.y, {
    epochs: CLASSIFIER_EPOCHS,
    batchSize: cnn.defaults.batchSize,
    callbacks: [
      ...cnn.callbacks({ epochs: CLASSIFIER_EPOCHS }),
      ...(options.progress ? [new ProgbarLogger({ stream: options.progress })] : []),
    ],
    verbose: options.progress ? 1 : 0,
  });
  const { accuracy } = await model.evaluate(data.test.x, data.test.y, { batchSize: 500 });
  const metadata = {
    preset: cnn.name,
    dataset: cnn.dataset,
    purpose: 'scoring generated MNIST digits',
    epochs: CLASSIFIER_EPOCHS,
    trainSamples: samples,
    testAccuracy: accuracy,
  };
  model.net.setUserDefinedMetadata(metadata);
  if (samples < FULL_TRAIN_SPLIT) {
    // A classifier of a partial MNIST (a --data-dir slice) must not become everyone's scorer.
    log(`Not caching the classifier (test accuracy ${accuracy!.toFixed(4)}): it saw ${samples} images, not the full ${FULL_TRAIN_SPLIT}`);
    return { model, dir: undefined, trained: true };
  }
  // Saved aside and renamed into place, so a concurrent first use never sees half a classifier.
  const aside = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await model.save(aside, { metadata, includeOptimizer: false });
  try {
    await rename(aside, dir);
    log(`Saved the classifier (test accuracy ${accuracy!.toFixed(4)}) to ${dir}`);
  } catch (err) {
    await rm(aside, { recursive: true, force: true });
    // Another process cached one meanwhile: use it.
    if (!existsSync(join(dir, 'model.json'))) throw err;
    return { model: await loadModel(dir), dir, trained: false };
  }
  return { model, dir, trained: true };
}
