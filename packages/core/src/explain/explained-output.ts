/**
 * The value an attribution explains: one output of the model, as probabilities through `predict`, or with the output's
 * softmax left out (its logits), as training's fused loss runs it (training/softmax-logits.ts).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { Network } from '../layer-types.js';
import type { Model } from '../model.js';
import { withLogits } from '../training/softmax-logits.js';
import { runNetwork } from './network-run.js';

/** Output `outputIndex` for `x`, `[n, units]`: through `predict` (a graph), or eagerly with the softmax left out. */
export function outputValues(model: Model, x: Tensor, outputIndex: number, logits: boolean): Tensor {
  const net = model.net;
  if (logits) {
    return tf.tidy(() => {
      const parts: Tensor[] = [];
      for (let start = 0; start < x.shape[0]!; start += 256) {
        const rows = tf.slice(x, start, Math.min(256, x.shape[0]! - start));
        parts.push(withOutputLogits(net, outputIndex, true, () => runNetwork(net, [rows], undefined, [net.outputs[outputIndex]!])[0]!));
      }
      return tf.reshape(tf.concat(parts), [x.shape[0]!, -1]);
    });
  }
  const predicted = model.predict<Tensor | Tensor[]>(x, { batchSize: 256 });
  const all = Array.isArray(predicted) ? predicted : [predicted];
  tf.dispose(all.filter((_, i) => i !== outputIndex));
  const out = all[outputIndex]!;
  const flat = tf.reshape(out, [x.shape[0]!, -1]);
  out.dispose();
  return flat;
}

/** Runs `forward` with output `outputIndex`'s softmax left out when `logits` is set (training/softmax-logits.ts). */
export function withOutputLogits<T>(net: Network, outputIndex: number, logits: boolean, forward: () => T): T {
  if (!logits) return forward();
  return withLogits(
    net as unknown as LayersModel,
    net.outputs.map((_, i) => i === outputIndex),
    forward,
  );
}
