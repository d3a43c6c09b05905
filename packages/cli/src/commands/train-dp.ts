/**
 * `dl train <preset> --dp`: the privacy side of a run — its settings from the flags and the preset's DP recipe, the
 * noise multiplier calibrated once the dataset size is known (and recorded, so `--resume` keeps it), and the ε of the
 * steps the saved model took, by the RDP accountant (@dl/core/privacy).
 */
import { DpAdam, DpSgd, type Model } from '@dl/core';
import { calibrateNoiseMultiplier, computeDpSgdEpsilon } from '@dl/core/privacy';
import type { DpRecipe, Preset, TrainDefaults } from '@dl/models';
import { writeRunConfig, type DpRunConfig, type RunConfig } from '../run-config.js';
import { UsageError } from '../usage-error.js';
import type { TrainCommandOptions } from './train.js';

/** The preset's DP recipe; a UsageError when it has none. */
export function dpRecipe(preset: Preset): DpRecipe {
  if (!preset.dp) throw new UsageError(`preset '${preset.name}' has no DP recipe: --dp trains cnn, text-classifier or lstm`);
  return preset.dp;
}

/** The run's DP settings from the flags, or undefined without --dp (the DP flags alone are a usage error). */
export function dpRunConfig(preset: Preset, options: TrainCommandOptions): DpRunConfig | undefined {
  const { targetEpsilon, noiseMultiplier, clip, delta } = options;
  if (!options.dp) {
    const stray = [
      ['--target-epsilon', targetEpsilon],
      ['--noise-multiplier', noiseMultiplier],
      ['--clip', clip],
      ['--delta', delta],
    ].filter(([, v]) => v !== undefined);
    if (stray.length > 0)
      throw new UsageError(`${stray.map(([k]) => k).join(', ')} only apply with --dp (differentially private training)`);
    return undefined;
  }
  const recipe = dpRecipe(preset);
  if (targetEpsilon !== undefined && noiseMultiplier !== undefined) {
    throw new UsageError('give --target-epsilon E (the noise is calibrated to it) or --noise-multiplier S, not both');
  }
  if (delta !== undefined && !(delta < 1)) throw new UsageError(`--delta must be below 1 (usually ≤ 1/N), got ${delta}`);
  return {
    l2NormClip: clip ?? recipe.defaults.l2NormClip,
    ...(noiseMultiplier !== undefined ? { noiseMultiplier } : { targetEpsilon: targetEpsilon ?? recipe.defaults.targetEpsilon }),
    ...(delta !== undefined ? { delta } : {}),
  };
}

export function dpDefaults(preset: Preset): TrainDefaults {
  return dpRecipe(preset).defaults;
}

/** The DP recipe's model, compiled; σ is 0 until `settleDpNoise` sets it (nothing trains before). */
export function dpBuild(preset: Preset, config: RunConfig): Model {
  const dp = config.dp!;
  const recipe = dpRecipe(preset);
  return recipe.build({
    l2NormClip: dp.l2NormClip,
    noiseMultiplier: dp.noiseMultiplier ?? 0,
    learningRate: config.learningRate ?? recipe.defaults.learningRate,
  });
}

/** Steps of the whole run: Poisson sampling runs ⌈N / B⌉ steps an epoch (training/batches.ts). */
function plannedSteps(config: RunConfig, samples: number): number {
  return config.epochs * Math.ceil(samples / config.batchSize);
}

/**
 * Fixes δ (default: the largest power of ten ≤ 1/N) and σ (calibrated to the target ε over the planned steps) on the
 * first run, records them in run.json, and hands σ to the model's DP optimizer.
 */
export async function settleDpNoise(
  model: Model,
  config: RunConfig,
  outDir: string,
  samples: number,
  info: (line: string) => void,
): Promise<void> {
  const dp = config.dp!;
  if (config.batchSize > samples) throw new UsageError(`--batch-size ${config.batchSize} is larger than the ${samples} training samples`);
  const samplingRate = config.batchSize / samples;
  const steps = plannedSteps(config, samples);
  let changed = false;
  if (dp.delta === undefined) {
    dp.delta = Number(`1e${Math.floor(Math.log10(1 / samples))}`);
    changed = true;
  }
  if (dp.noiseMultiplier === undefined) {
    dp.noiseMultiplier = calibrateNoiseMultiplier({ samplingRate, steps, delta: dp.delta, targetEpsilon: dp.targetEpsilon! });
    changed = true;
  }
  if (changed) await writeRunConfig(outDir, config);
  const optimizer = model.optimizer;
  if (!(optimizer instanceof DpAdam || optimizer instanceof DpSgd))
    throw new Error(`the DP recipe compiled '${optimizer.getClassName()}', not a DP optimizer`);
  optimizer.dp.noiseMultiplier = dp.noiseMultiplier;
  const planned = computeDpSgdEpsilon({ samplingRate, noiseMultiplier: dp.noiseMultiplier, steps, delta: dp.delta }).epsilon;
  info(
    `DP-SGD: clip ${dp.l2NormClip}, noise multiplier ${+dp.noiseMultiplier.toPrecision(4)}${dp.targetEpsilon !== undefined ? ` (calibrated to ε = ${dp.targetEpsilon})` : ''}, ` +
      `Poisson sampling rate ${+samplingRate.toPrecision(4)}: ε = ${planned.toFixed(3)} at δ = ${dp.delta} after all ${steps} steps`,
  );
}

/** What metrics.json records of a DP run: ε for the steps the model took (its optimizer's count), and how. */
export function dpPrivacyReport(model: Model, config: RunConfig, samples: number): Record<string, unknown> {
  const dp = config.dp!;
  const samplingRate = config.batchSize / samples;
  const steps = model.optimizer.iterations;
  const { epsilon, order } = computeDpSgdEpsilon({ samplingRate, noiseMultiplier: dp.noiseMultiplier!, steps, delta: dp.delta! });
  return {
    epsilon,
    delta: dp.delta,
    noiseMultiplier: dp.noiseMultiplier,
    l2NormClip: dp.l2NormClip,
    samplingRate,
    steps,
    datasetSize: samples,
    ...(dp.targetEpsilon !== undefined ? { targetEpsilon: dp.targetEpsilon } : {}),
    sampling: 'poisson',
    accountant: `RDP of the Poisson-subsampled Gaussian (Mironov et al. 2019), improved conversion (Canonne et al. 2020), best order ${order}`,
  };
}
