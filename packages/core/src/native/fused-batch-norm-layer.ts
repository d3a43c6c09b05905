/**
 * tfjs-layers' BatchNormalization, normalising with TensorFlow's one `FusedBatchNormV3` kernel while training on the
 * native backend (fused-batch-norm.ts), and updating the moving mean and variance exactly as tfjs does. As
 * FusedConv2D: the tfjs class with only `call` overridden, registered under its name 'BatchNormalization'. The fused
 * path needs float32 input of rank 2 or 4 normalised over its last axis, with both `center` and `scale`; anything
 * else, and inference, runs tfjs's own implementation.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { fusedBatchNormAvailable, fusedBatchNormTraining } from './fused-batch-norm.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

type BatchNormLayer = ReturnType<TfWithLayers['layers']['batchNormalization']>;
export type BatchNormLayerArgs = Parameters<TfWithLayers['layers']['batchNormalization']>[0];
type Kwargs = Parameters<BatchNormLayer['call']>[1];

interface LayerVariable {
  read(): Tensor;
  write(value: Tensor): void;
}

/** The BatchNormalization fields read here (protected in tfjs-layers). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

const BatchNormBase = tfjsLayerClass<BatchNormLayerArgs, BatchNormLayer>('BatchNormalization');

export class FusedBatchNormalization extends BatchNormBase {
  /** Set to false to always run tfjs's BatchNormalization (e.g. to compare). */
  fusedKernel = true;
  /** Training calls that ran the fused kernel / tfjs's implementation. */
  fusedCalls = 0;
  genericCalls = 0;

  /** Why a training call on `x` cannot take the fused path, or null when it can. */
  fusedBlocker(x: Tensor): string | null {
    const f = this as unknown as BatchNormFields;
    if (!this.fusedKernel) return 'fusedKernel is off';
    if (!fusedBatchNormAvailable()) return `backend '${tf.getBackend()}' has no FusedBatchNormV3`;
    if (x.dtype !== 'float32') return `dtype ${x.dtype}`;
    if (x.rank !== 2 && x.rank !== 4) return `rank ${x.rank}`;
    if (f.axis !== -1 && f.axis !== x.rank - 1) return `axis ${f.axis}`;
    if (f.gamma == null || f.beta == null) return 'no scale or no center';
    return null;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    if (kwargs['training'] !== true) return super.call(inputs, kwargs);
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (x == null || this.fusedBlocker(x) !== null) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.fusedCalls++;
    const f = this as unknown as BatchNormFields;
    return tf.tidy(() => {
      // A [batch, features] input is a batch of 1×1 images to the kernel.
      const x4 = x.rank === 4 ? x : tf.reshape(x, [x.shape[0]!, 1, 1, x.shape[1]!]);
      const { y, mean, variance } = fusedBatchNormTraining(x4, f.gamma!.read(), f.beta!.read(), f.epsilon);
      // tfjs's update: moving ← moving − (moving − batch)·(1 − momentum), with the biased batch variance.
      for (const [moving, batch] of [
        [f.movingMean, mean],
        [f.movingVariance, variance],
      ] as const) {
        const value = moving.read();
        moving.write(tf.sub(value, tf.mul(tf.sub(value, batch), 1 - f.momentum)));
      }
      return x.rank === 4 ? y : tf.reshape(y, x.shape);
    });
  }
}
