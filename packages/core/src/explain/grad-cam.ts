/**
 * Grad-CAM (Selvaraju et al. 2017): a convolution's feature maps weighted by the spatial mean of the target's gradient
 * with respect to each, summed, passed through ReLU (only evidence for the class), and resized bilinearly to the
 * input's height and width. The layer is the last Conv2D unless `layer` names another with a 4-D output.
 */
import { tf } from '../backend.js';
import type { Model } from '../model.js';
import type { TensorLike } from '../shaped-array.js';
import { convolutionSite, siteValue } from './attribution-site.js';
import { checkExplainOptions, concat, prepare, targetMask, type Attributions, type ExplainOptions } from './explain-options.js';
import { gradientsAt } from './gradient-step.js';

export interface GradCamOptions extends ExplainOptions {
  /** The name of the layer whose output is weighted. Default: the last Conv2D. */
  layer?: string;
}

export interface GradCamResult extends Attributions {
  /** The layer used. */
  layer: string;
}

export function gradCam(model: Model, x: TensorLike, options: GradCamOptions = {}): GradCamResult {
  checkExplainOptions(options, ['layer'], 'gradCam');
  const site = convolutionSite(model.net, options.layer);
  const p = prepare(model, x, site, options, true);
  try {
    const [height, width] = p.x.shape.slice(1, 3) as [number, number];
    const rows: Float32Array[] = [];
    for (let start = 0; start < p.n; start += p.batchSize) {
      const count = Math.min(p.batchSize, p.n - start);
      const cam = tf.tidy(() => {
        const xs = tf.slice(p.x, start, count);
        const maps = siteValue(model.net, site, xs);
        const mask = targetMask(p.units, p.targets.subarray(start, start + count));
        const { gradients, values } = gradientsAt(model, site, p.outputIndex, p.logits, maps, mask, xs);
        values.dispose();
        const channelWeights = tf.mean(gradients, [1, 2], true);
        const weighted = tf.relu(tf.sum(tf.mul(maps, channelWeights), -1, true));
        return tf.squeeze(tf.image.resizeBilinear(weighted as never, [height, width]), [3]);
      });
      rows.push(cam.dataSync() as Float32Array);
      cam.dispose();
    }
    return { scores: { data: concat(rows), shape: [p.n, height, width] }, targets: p.targets, outputs: p.outputs, layer: site.layer!.name };
  } finally {
    tf.dispose(p.owned);
  }
}
