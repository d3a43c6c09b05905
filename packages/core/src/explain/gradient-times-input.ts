/**
 * Gradient × input (Shrikumar et al. 2016): the gradient of the target's output at the input, times the input. One
 * backward pass per sample (batched); for a piecewise-linear network it equals Integrated Gradients with a zero
 * baseline over the input's own linear region.
 */
import { tf } from '../backend.js';
import type { Model } from '../model.js';
import type { TensorLike } from '../shaped-array.js';
import { inputSite, siteValue } from './attribution-site.js';
import { checkExplainOptions, concat, perToken, prepare, targetMask, type Attributions, type ExplainOptions } from './explain-options.js';
import { gradientsAt } from './gradient-step.js';

export type GradientTimesInputOptions = ExplainOptions;

export function gradientTimesInput(model: Model, x: TensorLike, options: GradientTimesInputOptions = {}): Attributions {
  checkExplainOptions(options, [], 'gradientTimesInput');
  const site = inputSite(model.net);
  const p = prepare(model, x, site, options);
  try {
    const rows: Float32Array[] = [];
    let rowShape: number[] = [];
    for (let start = 0; start < p.n; start += p.batchSize) {
      const count = Math.min(p.batchSize, p.n - start);
      const scores = tf.tidy(() => {
        const xs = tf.slice(p.x, start, count);
        const at = siteValue(model.net, site, xs);
        const mask = targetMask(p.units, p.targets.subarray(start, start + count));
        const { gradients, values } = gradientsAt(model, site, p.outputIndex, p.logits, at, mask, site.kind === 'input' ? undefined : xs);
        values.dispose();
        return perToken(tf.mul(gradients, at), site);
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
