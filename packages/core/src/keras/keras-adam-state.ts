/**
 * dl's Adam state ↔ Keras 3's. Both keep a step count and per-variable moments m = β1·m + (1−β1)·g and
 * v = β2·v + (1−β2)·g², and both correct the bias with t = iterations + 1, so the step count and moments carry over
 * as they are (dl saves [iter, every m, every v]; Keras [iterations, learning_rate, m₀, v₀, m₁, v₁, …]).
 *
 * One difference: where ε enters. dl (as tfjs) divides by √v̂ + ε = √v/√(1−β2ᵗ) + ε; Keras by √v + ε, scaling the
 * step by √(1−β2ᵗ)/(1−β1ᵗ) instead. So dl's ε acts as Keras's ε·√(1−β2ᵗ): the same update up to ε's share of the
 * denominator (with the default ε = 1e-7, below 1e-7 relative wherever √v is above 1e-7/√(1−β2ᵗ)).
 */
import type { Optimizer } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { FlatAdam } from '../flat-adam.js';
import { ModelFileError } from '../errors/model-file-error.js';
import type { AdamSettings } from './keras-compile-config.js';
import type { KerasAdamState } from './keras-weights-out.js';
import type { OptimizerVars, WeightArray } from './keras-weights.js';

/** A trainable variable's shape and name, in the model's order. */
interface TrainableRef {
  name: string;
  shape: number[];
}

/** Adam's settings when `optimizer` is dl's Adam; undefined for another optimizer. */
export function adamSettings(optimizer: Optimizer): AdamSettings | undefined {
  if (!(optimizer instanceof FlatAdam)) return undefined;
  const o = optimizer as unknown as AdamSettings;
  return { learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon };
}

/**
 * dl's Adam state for Keras: moments by position (the i-th pair belongs to the i-th trainable variable, as dl's Adam
 * matches them), zeros before the first step.
 *
 * @throws {ModelFileError} when the optimizer holds moments for another set of variables.
 */
export async function kerasAdamState(optimizer: Optimizer, trainable: TrainableRef[], file: string): Promise<KerasAdamState> {
  const weights = await optimizer.getWeights();
  try {
    const iterations = (await weights[0]!.tensor.data())[0]!;
    const rest = weights.slice(1);
    const n = rest.length / 2;
    if (n !== 0 && n !== trainable.length) {
      throw new ModelFileError(
        file,
        `the optimizer holds moments for ${n} variables, the model has ${trainable.length} trainable: save with includeOptimizer: false`,
      );
    }
    const moments = trainable.map((ref, i) => {
      const zeros = (): WeightArray => ({ shape: ref.shape, values: new Float32Array(ref.shape.reduce((a, b) => a * b, 1)) });
      if (n === 0) return { m: zeros(), v: zeros() };
      const m = rest[i]!.tensor;
      const v = rest[n + i]!.tensor;
      if (m.shape.join() !== ref.shape.join()) {
        throw new ModelFileError(file, `the optimizer's moment ${rest[i]!.name} is [${m.shape}], variable ${ref.name} is [${ref.shape}]`);
      }
      return {
        m: { shape: ref.shape, values: m.dataSync() as Float32Array },
        v: { shape: ref.shape, values: v.dataSync() as Float32Array },
      };
    });
    return { iterations, learningRate: (optimizer as unknown as AdamSettings).learningRate, moments };
  } finally {
    // getWeights hands out a fresh step-count scalar (ours) beside the optimizer's own variables.
    tf.dispose(weights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
  }
}

/**
 * Keras's Adam variables into dl's Adam: the step count, the learning rate Keras kept, and the moments, each checked
 * against its variable's shape first.
 *
 * @throws {ModelFileError} when the saved state does not fit the model's trainable variables.
 */
export async function setAdamFromKeras(optimizer: Optimizer, saved: OptimizerVars, trainable: TrainableRef[], file: string): Promise<void> {
  const [learningRate, ...moments] = saved.arrays;
  if (learningRate === undefined || moments.length !== 2 * trainable.length) {
    throw new ModelFileError(
      file,
      `its Adam state holds ${saved.arrays.length + 1} variables; a model of ${trainable.length} trainable variables needs ${2 * trainable.length + 2}`,
    );
  }
  trainable.forEach((ref, i) => {
    for (const a of [moments[2 * i]!, moments[2 * i + 1]!]) {
      if (a.shape.join() !== ref.shape.join()) {
        throw new ModelFileError(file, `its Adam moment for ${ref.name} is [${a.shape}]; the variable is [${ref.shape}]`);
      }
    }
  });
  const tensors = [
    { name: 'iter', tensor: tf.scalar(saved.iterations, 'float32') },
    ...trainable.map((ref, i) => ({ name: `${ref.name}/m`, tensor: tf.tensor(moments[2 * i]!.values, ref.shape) })),
    ...trainable.map((ref, i) => ({ name: `${ref.name}/v`, tensor: tf.tensor(moments[2 * i + 1]!.values, ref.shape) })),
  ];
  try {
    await optimizer.setWeights(tensors);
  } finally {
    tf.dispose(tensors.map((t) => t.tensor));
  }
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate.values[0]!;
}
