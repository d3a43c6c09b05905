/**
 * The logits behind a softmax output, as Keras keeps them (`output._keras_logits`) so its sparse categorical
 * cross-entropy can run TensorFlow's fused kernel on them instead of taking the log of probabilities.
 *
 * An output layer whose `activation` is softmax (Dense, Conv, Activation) is run with that activation switched to the
 * identity for the duration of one forward pass; the probabilities are then one softmax away. Nothing else changes:
 * the layer's weights, config and saved form stay those of a softmax layer.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';

interface ActivationFn {
  getClassName(): string;
  apply(x: Tensor, axis?: number): Tensor;
}

/** tfjs-layers' linear activation, as its layers recognise it by class name (Dense fuses it into its matMul). */
const IDENTITY: ActivationFn = { getClassName: () => 'linear', apply: (x) => x };

/** For each model output: whether its layer ends in a softmax over the last axis of a `[n, classes]` output. */
export function softmaxOutputs(net: LayersModel): boolean[] {
  return net.outputs.map((o) => {
    const layer = o.sourceLayer as unknown as { activation?: ActivationFn; inboundNodes: unknown[] };
    const activation = layer.activation;
    // A layer called more than once (shared) would lose its softmax in its other uses too.
    return (
      o.shape.length === 2 &&
      layer.inboundNodes.length === 1 &&
      typeof activation?.getClassName === 'function' &&
      activation.getClassName() === 'softmax'
    );
  });
}

/** Runs `forward` with the softmax of the outputs flagged in `which` left out, so those outputs are logits. */
export function withLogits<T>(net: LayersModel, which: boolean[], forward: () => T): T {
  const layers = net.outputs.filter((_, i) => which[i]).map((o) => o.sourceLayer as unknown as { activation: ActivationFn });
  const saved = layers.map((l) => l.activation);
  for (const l of layers) l.activation = IDENTITY;
  try {
    return forward();
  } finally {
    layers.forEach((l, i) => (l.activation = saved[i]!));
  }
}
