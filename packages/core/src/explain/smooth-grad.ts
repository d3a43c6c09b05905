/**
 * SmoothGrad (Smilkov et al. 2017): the gradient averaged over noisy copies of the input, which removes much of a
 * plain gradient's pixel-to-pixel noise. The noise's standard deviation is `noiseLevel` times the sample's value range;
 * it is drawn from dl's random stream, so `setSeed` makes it repeat. For a token model the per-token score is the
 * averaged gradient times the token's embedding (a raw gradient has no single value per token).
 */
import { tf } from '../backend.js';
import { OptionError } from '../errors/option-error.js';
import type { Model } from '../model.js';
import { random } from '../seed.js';
import type { TensorLike } from '../shaped-array.js';
import { inputSite, siteValue } from './attribution-site.js';
import {
  checkExplainOptions,
  concat,
  perToken,
  positiveInteger,
  prepare,
  targetMask,
  type Attributions,
  type ExplainOptions,
} from './explain-options.js';
import { gradientsAt } from './gradient-step.js';

export interface SmoothGradOptions extends ExplainOptions {
  /** Noisy copies per sample. Default 50. */
  samples?: number;
  /** Noise standard deviation as a fraction of the sample's value range (max − min). Default 0.15. */
  noiseLevel?: number;
  /** Multiply the averaged gradient by the input (always so for token models). Default false. */
  timesInput?: boolean;
}

export function smoothGrad(model: Model, x: TensorLike, options: SmoothGradOptions = {}): Attributions {
  checkExplainOptions(options, ['samples', 'noiseLevel', 'timesInput'], 'smoothGrad');
  const samples = positiveInteger(options.samples ?? 50, 'samples');
  const noiseLevel = options.noiseLevel ?? 0.15;
  if (!(noiseLevel >= 0 && Number.isFinite(noiseLevel))) throw new OptionError(`noiseLevel must be a number ≥ 0, got ${noiseLevel}`);
  const site = inputSite(model.net);
  const timesInput = options.timesInput ?? site.kind === 'embedding';
  const p = prepare(model, x, site, options);
  try {
    const rows: Float32Array[] = [];
    let rowShape: number[] = [];
    for (let i = 0; i < p.n; i++) {
      const scores = tf.tidy(() => {
        const xi = tf.slice(p.x, i, 1);
        const at = siteValue(model.net, site, xi);
        const sigma = noiseLevel * (tf.max(at).dataSync()[0]! - tf.min(at).dataSync()[0]!);
        let sum = tf.zerosLike(at);
        for (let start = 0; start < samples; start += p.batchSize) {
          const count = Math.min(p.batchSize, samples - start);
          const tile = [count, ...at.shape.slice(1).map(() => 1)];
          const noise = tf.randomNormal([count, ...at.shape.slice(1)], 0, sigma, 'float32', Math.floor(random() * 2 ** 31) + 1);
          const points = tf.add(tf.tile(at, tile), noise);
          const mask = targetMask(p.units, new Int32Array(count).fill(p.targets[i]!));
          const input = site.kind === 'input' ? undefined : tf.tile(xi, [count, ...xi.shape.slice(1).map(() => 1)]);
          const { gradients, values } = gradientsAt(model, site, p.outputIndex, p.logits, points, mask, input);
          values.dispose();
          sum = tf.add(sum, tf.sum(gradients, 0, true));
        }
        const mean = tf.div(sum, samples);
        return perToken(timesInput ? tf.mul(mean, at) : mean, site);
      });
      rows.push(scores.dataSync() as Float32Array);
      rowShape = scores.shape.slice(1);
      scores.dispose();
    }
    return { scores: { data: concat(rows), shape: [p.n, ...rowShape] }, targets: p.targets, outputs: p.outputs };
  } finally {
    tf.dispose(p.owned);
  }
}
