import { tf } from './backend.js';
import type { Optimizer } from '@tensorflow/tfjs-core';
import { FlatAdam } from './flat-adam.js';
import { OptionError } from './errors/option-error.js';
import { DpAdam, DpSgd, type DpSettings } from './dp/dp-optimizers.js';

/** An optimizer by Keras name with its options, e.g. `{ name: 'adam', learningRate: 1e-3 }`. */
export interface OptimizerConfig {
  name: OptimizerName;
  learningRate?: number;
  /** Adam's β1 and β2. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** SGD's momentum. */
  momentum?: number;
  /** dpAdam, dpSgd: each example's gradient is clipped to this L2 norm (C). */
  l2NormClip?: number;
  /** dpAdam, dpSgd: the noise's standard deviation is noiseMultiplier · l2NormClip. */
  noiseMultiplier?: number;
}

const FACTORIES = {
  // tfjs's Adam with its update over all variables at once (flat-adam.ts).
  adam: (c: OptimizerConfig) => new FlatAdam(c.learningRate ?? 1e-3, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.epsilon ?? 1e-7),
  sgd: (c: OptimizerConfig) => (c.momentum ? tf.train.momentum(c.learningRate ?? 0.01, c.momentum) : tf.train.sgd(c.learningRate ?? 0.01)),
  rmsprop: (c: OptimizerConfig) => tf.train.rmsprop(c.learningRate ?? 1e-3, 0.9, 0, c.epsilon ?? 1e-7),
  // DP-SGD (dp/): the built-in step clips per example, adds noise and samples batches by Poisson sampling.
  dpAdam: (c: OptimizerConfig) => new DpAdam(dpOptions(c), c.learningRate ?? 1e-3, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.epsilon ?? 1e-7),
  dpSgd: (c: OptimizerConfig) => {
    if (c.momentum) throw new OptionError('dpSgd: momentum is not supported; use dpAdam or plain dpSgd');
    return new DpSgd(dpOptions(c), c.learningRate ?? 0.01);
  },
} as const;

function dpOptions(c: OptimizerConfig): DpSettings {
  if (c.l2NormClip === undefined || c.noiseMultiplier === undefined) {
    throw new OptionError(
      `${c.name}: give l2NormClip and noiseMultiplier, e.g. { name: '${c.name}', l2NormClip: 1, noiseMultiplier: 1.1 }`,
    );
  }
  return { l2NormClip: c.l2NormClip, noiseMultiplier: c.noiseMultiplier };
}
export type OptimizerName = keyof typeof FACTORIES;

export function getOptimizer(optimizer: OptimizerName | OptimizerConfig | Optimizer): Optimizer {
  if (optimizer instanceof tf.Optimizer) return optimizer;
  const config = typeof optimizer === 'string' ? { name: optimizer } : optimizer;
  const factory = Object.hasOwn(FACTORIES, config.name) ? FACTORIES[config.name] : undefined;
  if (!factory) throw new OptionError(`unknown optimizer '${String(config.name)}'; valid optimizers: ${Object.keys(FACTORIES).join(', ')}`);
  return factory(config);
}

/** The learning rate of tfjs's built-in optimizers. */
export function getLearningRate(optimizer: Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

export function setLearningRate(optimizer: Optimizer, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new OptionError(`learning rate must be a finite number ≥ 0, got ${value}`);
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  // SGD and momentum cache the rate in a tensor that only their own setter refreshes; adam and rmsprop read the field.
  if (typeof o.setLearningRate === 'function') o.setLearningRate(value);
  else o.learningRate = value;
}

/**
 * Whether a step using `optimizer` may run as a graph (GraphFunction): dl's Adam declares its per-step host values
 * (step size, bias corrections) to traced steps; tfjs's other optimizers would have their learning rate fixed into
 * the graph, so learning-rate callbacks could not change it, and their steps stay eager.
 */
export function runsInGraph(optimizer: Optimizer): boolean {
  return optimizer instanceof FlatAdam || optimizer instanceof DpSgd;
}
