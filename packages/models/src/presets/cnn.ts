import { layers, sequential, type CompileOptions, type Model } from '@dl/core';
import { cosineDecay } from '../cosine-decay.js';
import { loadMnistImages } from '../mnist-images.js';
import type { DpRecipe, DpTraining, LoadDataOptions, Preset, PresetData } from '../preset.js';

const LEARNING_RATE = 2e-3;
/** The cnn reads MNIST's pixels 0…255 as 0…1. */
export const CNN_PIXEL_RANGE: readonly [number, number] = [0, 1];

function compileOptions(): CompileOptions {
  return { optimizer: { name: 'adam', learningRate: LEARNING_RATE }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] };
}

/** The seed's network, exactly: three 3×3 convolutions with max pooling, then a 64-unit hidden layer. */
function build(): Model {
  const model = sequential(
    [
      layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.flatten(),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    { name: 'cnn' },
  );
  model.compile(compileOptions());
  return model;
}

async function loadData(options: LoadDataOptions = {}): Promise<PresetData> {
  return loadMnistImages(options, CNN_PIXEL_RANGE);
}

const DP_LEARNING_RATE = 20;

/**
 * The DP network: Tramèr & Boneh 2021's ("Differentially Private Learning Needs Better Features") ScatterNet + CNN for
 * MNIST. A scattering transform (J = 2, L = 8: 81 channels at 7 × 7, kymatio's filters) gives fixed, hand-crafted
 * features, standardised per example over 27 groups of 3 channels (GroupNorm without weights, as their Fashion-MNIST
 * model; their MNIST one used noised dataset statistics, which would spend privacy outside DP-SGD's accountant). On
 * them a small tanh CNN (a 3 × 3 stride-2 convolution of 16 filters, one of 32, a 32-unit dense layer) learns from
 * far fewer noisy steps than a CNN that must also learn its features from pixels under noise. The scattering layer has
 * no weights: DP-SGD's `fit` computes it once over the training set (precomputed-features.ts) rather than in each of
 * the ~2,400 steps, and the saved model keeps it, so `dl evaluate` and `dl predict` read pixels as for any cnn run.
 */
function buildDp({ l2NormClip, noiseMultiplier, learningRate }: DpTraining): Model {
  const model = sequential(
    [
      layers.scattering2d({ J: 2, L: 8, groupNorm: 27, inputShape: [28, 28, 1] }),
      layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
      layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'tanh' }),
      layers.flatten(),
      layers.dense({ units: 32, activation: 'tanh' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    { name: 'cnn' },
  );
  model.compile({
    optimizer: { name: 'dpSgd', learningRate, l2NormClip, noiseMultiplier },
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

/**
 * cnn's DP recipe: Poisson batches of 1,024 (q = 1024 / 60000), DP-SGD, clipping norm 0.1, learning rate 20 with
 * cosine decay, 40 epochs (T&B: batch 1024, clip 0.1, SGD with momentum 0.9 at 1, i.e. steps of ~10 in the long run).
 * Only the learning rate and batch size were tuned, on a held-out split of the training set (the first 50,000 train,
 * the last 10,000 validate; the test set was not looked at), at ε = 3, seed 1 unless said: learning rate 4 → 0.9769,
 * 10 → 0.9828, 20 → 0.9852 (seed 2: 0.9842), 40 → 0.9825; batch 2048 at 20 → 0.9835. Test accuracies of the recipe
 * are in the README's DP section. The Papernot et al. 2020 tanh CNN on pixels with DP-Adam, this preset's DP recipe
 * before, reached 97.8–98.05% at ε = 3 depending on the seed.
 */
const dp: DpRecipe = {
  description: 'ScatterNet (J = 2) features + small tanh CNN of Tramèr & Boneh 2021, DP-SGD, batch 1024',
  defaults: { epochs: 40, batchSize: 1024, learningRate: DP_LEARNING_RATE, l2NormClip: 0.1, targetEpsilon: 3 },
  build: buildDp,
  callbacks: ({ epochs, learningRate = DP_LEARNING_RATE }) => [cosineDecay(learningRate, epochs)],
};

/**
 * `cnn`: the seed's MNIST convolutional network with its recipe (adam, sparse categorical cross-entropy, accuracy).
 * Training schedule, chosen to beat Keras's 0.987–0.989 with the seed's recipe (adam 1e-3, batch 32, 5 epochs) without
 * touching the network: batch 64 with a doubled peak learning rate (2e-3), reshuffled every epoch, and a per-epoch cosine
 * decay of the learning rate towards zero, so the last epoch fine-tunes with small steps instead of bouncing around.
 */
export const cnn: Preset = {
  name: 'cnn',
  description: 'Convolutional network for MNIST digits (the seed model): 3 conv layers, 2 dense',
  dataset: 'mnist',
  pixelRange: CNN_PIXEL_RANGE,
  defaults: { epochs: 5, batchSize: 64, learningRate: LEARNING_RATE },
  compileOptions,
  build,
  loadData,
  callbacks: ({ epochs, learningRate = LEARNING_RATE }) => [cosineDecay(learningRate, epochs)],
  dp,
};
