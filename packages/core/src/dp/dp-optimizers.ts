/**
 * DP-SGD's optimizers (Abadi et al. 2016): Adam and SGD that, through `compile`, make the built-in training step
 * clip each example's gradient to L2 norm `l2NormClip`, sum them, add Gaussian noise of standard deviation
 * `noiseMultiplier · l2NormClip` and divide by the expected batch size (dp-step.ts), with batches drawn by Poisson
 * sampling (poisson-rows.ts). The update rule itself is the plain optimizer's: privacy comes from what it is fed.
 */
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { FlatAdam } from '../flat-adam.js';
import { afterEachCall, hostTensors } from '../graph/step-hooks.js';
import { OptionError } from '../errors/option-error.js';

/**
 * The two numbers that make a step differentially private. An optimizer's are read at every step, so they may be
 * set after compile and before fit (the CLI calibrates σ once the dataset size is known).
 */
export interface DpSettings {
  /** C: each example's gradient is scaled down to L2 norm ≤ C. */
  l2NormClip: number;
  /** σ: the noise's standard deviation is σ·C (on the sum, before dividing by the batch size). */
  noiseMultiplier: number;
}

export function checkDpSettings(settings: DpSettings, what: string): DpSettings {
  const { l2NormClip, noiseMultiplier } = settings;
  if (!(l2NormClip > 0) || !Number.isFinite(l2NormClip))
    throw new OptionError(`${what}: l2NormClip must be a finite number > 0, got ${l2NormClip}`);
  if (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier)) {
    throw new OptionError(`${what}: noiseMultiplier must be a finite number ≥ 0, got ${noiseMultiplier}`);
  }
  return { l2NormClip, noiseMultiplier };
}

/** dl's Adam (flat-adam.ts) fed DP-SGD's clipped, noised gradients. */
export class DpAdam extends FlatAdam {
  readonly dp: DpSettings;
  constructor(dp: DpSettings, learningRate: number, beta1: number, beta2: number, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    this.dp = checkDpSettings(dp, 'dpAdam');
  }
}

/**
 * Plain SGD fed DP-SGD's gradients (Abadi et al.'s algorithm exactly). Its learning rate is a host value of each call,
 * so its step runs as a graph and learning-rate callbacks still apply (tfjs's SGD would freeze it into the graph).
 */
export class DpSgd extends tf.SGDOptimizer {
  readonly dp: DpSettings;
  constructor(dp: DpSettings, learningRate: number) {
    super(learningRate);
    this.dp = checkDpSettings(dp, 'dpSgd');
  }

  override applyGradients(variableGradients: NamedTensorMap | Array<{ name: string; tensor: Tensor }>): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    tf.tidy(() => {
      const [lr] = hostTensors(() => [tf.scalar(this.learningRate)]);
      for (const { name, tensor } of list) {
        if (tensor == null) continue;
        const variable = tf.engine().registeredVariables[name]!;
        variable.assign(tf.sub(variable, tf.mul(tensor, lr!)));
      }
    });
    afterEachCall(() => this.incrementIterations());
  }

  override setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** tfjs's SGD disposes the rate tensor its setLearningRate makes, which this class never makes (it threw here). */
  override dispose(): void {
    const c = (this as unknown as { c?: Tensor }).c;
    if (c != null) c.dispose();
  }
}

/** Whether `optimizer` is one of DP-SGD's. */
export function dpSettingsOf(optimizer: unknown): DpSettings | undefined {
  return optimizer instanceof DpAdam || optimizer instanceof DpSgd ? optimizer.dp : undefined;
}
