import { calibrateNoiseMultiplier, computeDpSgdEpsilon, dpSgdSchedule, type RdpConversion } from '@dl/core/privacy';
import { UsageError } from '../usage-error.js';

export interface PrivacyCommandOptions {
  datasetSize: number;
  batchSize: number;
  epochs: number;
  delta?: number;
  noiseMultiplier?: number;
  targetEpsilon?: number;
  conversion?: RdpConversion;
  json?: boolean;
}

/**
 * `dl privacy`: ε of DP-SGD for a dataset size, batch size, noise multiplier and epochs (as TensorFlow Privacy's
 * compute_dp_sgd_privacy), or with --target-epsilon the noise multiplier that reaches it. Pure arithmetic: no
 * TensorFlow is loaded.
 */
export function privacy(options: PrivacyCommandOptions): void {
  const { datasetSize, batchSize, epochs, noiseMultiplier, targetEpsilon, conversion = 'improved' } = options;
  if ((noiseMultiplier === undefined) === (targetEpsilon === undefined)) {
    throw new UsageError('dl privacy: give exactly one of --noise-multiplier S (prints ε) and --target-epsilon E (prints S)');
  }
  if (batchSize > datasetSize) throw new UsageError(`dl privacy: --batch-size ${batchSize} is larger than --dataset-size ${datasetSize}`);
  const delta = options.delta ?? 1 / datasetSize;
  if (!(delta < 1)) throw new UsageError(`dl privacy: --delta must be < 1, got ${delta}`);
  const { samplingRate, steps } = dpSgdSchedule({ datasetSize, batchSize, epochs });
  const sigma = noiseMultiplier ?? calibrateNoiseMultiplier({ samplingRate, steps, delta, conversion, targetEpsilon: targetEpsilon! });
  const spent = computeDpSgdEpsilon({ samplingRate, noiseMultiplier: sigma, steps, delta, conversion });
  const report = {
    epsilon: spent.epsilon,
    delta,
    conversion,
    noiseMultiplier: sigma,
    samplingRate,
    steps,
    order: spent.order,
    datasetSize,
    batchSize,
    epochs,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(
    `DP-SGD with sampling rate ${(100 * samplingRate).toPrecision(3)}% and noise multiplier ${+sigma.toPrecision(6)} iterated over ` +
      `${steps} steps satisfies differential privacy with ε = ${spent.epsilon.toFixed(3)} and δ = ${delta}.\n` +
      `The optimal Rényi order is ${spent.order} (RDP of the Poisson-subsampled Gaussian mechanism, converted to (ε, δ) ` +
      `${conversion === 'improved' ? "with dp_accounting's bound" : "with Mironov 2017's bound, as TensorFlow Privacy's tutorials"}; ` +
      'it assumes Poisson sampling, as `dl train --dp` does).\n',
  );
}
