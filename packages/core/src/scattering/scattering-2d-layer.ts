/**
 * `layers.scattering2d`: a weight-free, non-trainable layer computing the 2-D scattering transform of order 2
 * (scattering-transform.ts; Bruna & Mallat 2013, as kymatio's Scattering2D) — fixed, hand-crafted image features that
 * make DP training much easier than learning features from pixels under noise (Tramèr & Boneh 2021: on MNIST a small
 * CNN on them reaches 98.7% at ε = 3). Input [B, H, W, C] channels-last, output [B, H', W', C·K] with K = 81 for J = 2,
 * L = 8 (7 × 7 for 28 × 28 input).
 *
 * `groupNorm: G` standardises each example's output over G groups of consecutive channels (zero mean, unit variance
 * over the group's channels and positions; GroupNorm without its affine weights, as T&B's `GroupNorm(G, K,
 * affine=False)`): a per-example normalisation, so DP-SGD's per-example gradients stay per-example.
 *
 * Cost, measured (AMD EPYC, 2 cores, load ≈ 3, batch 1024): 1.05 ms per 28 × 28 image with TensorFlow's FFT2D (1.6–1.8
 * ms of CPU per image at load 8, for batches of 128 to 1,024 alike), where
 * a rough stand-in with fixed-kernel convolutions of the same reach (13 × 13 wavelets, 17 × 17 stride-4 low-pass)
 * took ~0.4 ms but would truncate and alias the filters; FFTs compute kymatio's filters exactly. Either is too slow to
 * run in each of thousands of DP steps over 60,000 images, so `fit` with a DP optimizer computes leading
 * `precomputable` layers once per call (model.ts) — 60,000 images in about a minute.
 *
 * Saved models keep the layer (class 'Scattering2D', registered for dl's loaders: dl-layer-classes.ts); Keras and
 * TF.js outside dl do not know it.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { OptionError } from '../errors/option-error.js';
import type { Scattering2DOptions } from '../layer-options.js';
import { tfl } from '../tfjs-layers-api.js';
import {
  disposeFilters,
  scattering2d,
  scatteringChannels,
  scatteringFilters,
  scatteringSize,
  type ScatteringFilters,
} from './scattering-transform.js';

type LayerBase = InstanceType<typeof tfl.layers.Layer>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type Kwargs = Parameters<LayerBase['call']>[1];

export class Scattering2D extends tfl.layers.Layer {
  static className = 'Scattering2D';
  /** Deterministic and weight-free: `fit` may compute it once over the data instead of in every step (model.ts). */
  readonly precomputable = true;
  readonly J: number;
  readonly L: number;
  readonly groupNorm: number;
  private filters: ScatteringFilters | undefined;
  private filtersFor = '';

  constructor(options: Scattering2DOptions = {}) {
    const { J = 2, L = 8, groupNorm = 0, ...base } = options;
    super({ ...base, trainable: false } as LayerArgs);
    if (!Number.isInteger(J) || J < 1 || J > 4) throw new OptionError(`scattering2d: J must be a whole number 1…4, got ${J}`);
    if (!Number.isInteger(L) || L < 1) throw new OptionError(`scattering2d: L must be a whole number ≥ 1, got ${L}`);
    if (!Number.isInteger(groupNorm) || groupNorm < 0)
      throw new OptionError(`scattering2d: groupNorm must be a whole number ≥ 0, got ${groupNorm}`);
    this.J = J;
    this.L = L;
    this.groupNorm = groupNorm;
    this.trainable = false;
  }

  override computeOutputShape(inputShape: Array<number | null> | Array<Array<number | null>>): Array<number | null> {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Array<number | null>;
    if (shape.length !== 4 || shape[1] == null || shape[2] == null || shape[3] == null) {
      throw new OptionError(
        `scattering2d needs images [batch, height, width, channels] with known sizes (channels last), got [${shape.map(String)}]`,
      );
    }
    const channels = shape[3] * scatteringChannels(this.J, this.L);
    if (this.groupNorm > 0 && channels % this.groupNorm !== 0) {
      throw new OptionError(`scattering2d: groupNorm ${this.groupNorm} does not divide its ${channels} output channels; pick a divisor`);
    }
    return [shape[0]!, scatteringSize(shape[1], this.J), scatteringSize(shape[2], this.J), channels];
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [, h, w] = x.shape as number[];
    const key = `${h}x${w}`;
    if (this.filters === undefined || this.filtersFor !== key) {
      if (this.filters) disposeFilters(this.filters);
      this.filters = scatteringFilters(h!, w!, this.J, this.L);
      this.filtersFor = key;
    }
    const filters = this.filters;
    return tf.tidy(() => {
      const features = scattering2d(tf.cast(x, 'float32'), filters);
      return this.groupNorm > 0 ? groupStandardize(features, this.groupNorm) : features;
    });
  }

  override getConfig() {
    return { ...super.getConfig(), J: this.J, L: this.L, groupNorm: this.groupNorm };
  }

  override dispose() {
    if (this.filters) disposeFilters(this.filters);
    this.filters = undefined;
    return super.dispose();
  }
}

/** Each example's [H, W, C] standardised over `groups` groups of consecutive channels (variance + 1e-5, as GroupNorm). */
export function groupStandardize(x: Tensor, groups: number): Tensor {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape as number[];
    const grouped = tf.reshape(x, [b!, h! * w!, groups, c! / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    return tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, 1e-5))), [b!, h!, w!, c!]);
  });
}
