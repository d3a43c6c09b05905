/**
 * The step every attribution method repeats: the gradient of one output unit per row (a class's probability, say) with
 * respect to the attribution site's value, at a batch of points, and that unit's value there. It runs as a TensorFlow
 * graph function (graph-function.ts) once its shapes repeat, as `predict` does: Integrated Gradients calls it with the
 * same shapes for every chunk of interpolation steps and every sample.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { GraphFunction } from '../graph/graph-function.js';
import type { Model } from '../model.js';
import type { AttributionSite } from './attribution-site.js';
import { withOutputLogits } from './explained-output.js';
import { runNetwork } from './network-run.js';

/** Graph functions by model and by site and output: Integrated Gradients over 1,000 images reuses one. */
const steps = new WeakMap<Model, Map<string, GraphFunction>>();

export interface GradientResult {
  /** ∂f/∂site at each point, the points' shape. */
  gradients: Tensor;
  /** f at each point, [rows]. */
  values: Tensor;
}

/**
 * For each row r: f_r = Σ_u output[r, u] · mask[r, u] (mask one-hot on the explained unit; `logits`: before the output's
 * softmax) and its gradient with respect
 * to `points` (the site's value). `modelInput` (rows matching `points`) feeds the network when the site is inside it.
 */
export function gradientsAt(
  model: Model,
  site: AttributionSite,
  outputIndex: number,
  logits: boolean,
  points: Tensor,
  mask: Tensor,
  modelInput?: Tensor,
): GradientResult {
  const key = `${site.kind}:${site.layer?.name ?? ''}:${outputIndex}:${logits}`;
  let perModel = steps.get(model);
  if (!perModel) steps.set(model, (perModel = new Map()));
  let step = perModel.get(key);
  if (!step) {
    const net = model.net;
    const output = net.outputs[outputIndex]!;
    step = new GraphFunction(([p, m, input]) => {
      let values: Tensor | undefined;
      const gradients = tf.grad((at: Tensor) => {
        const [y] = withOutputLogits(net, outputIndex, logits, () =>
          site.kind === 'input'
            ? runNetwork(net, [at], undefined, [output])
            : runNetwork(net, [input!], { tensor: site.tensor!, value: at }, [output]),
        );
        // Kept: tf.grad disposes what its function made but returns only the sum.
        values = tf.keep(tf.sum(tf.mul(tf.reshape(y!, [y!.shape[0]!, -1]), m!), 1));
        return tf.sum(values);
      })(p!);
      return [gradients, values!];
    }, 'explain_gradients');
    perModel.set(key, step);
  }
  const [gradients, values] = step.run(modelInput === undefined ? [points, mask] : [points, mask, modelInput]);
  return { gradients: gradients!, values: values! };
}
