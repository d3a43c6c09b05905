/**
 * Where a model's attributions are taken: its input, or — for a model whose input is token ids feeding an Embedding —
 * the embedding's output (a gradient with respect to integer ids does not exist; Sundararajan et al. attribute text
 * models on their embeddings), summed over the embedding's dimension into one score per token. Grad-CAM takes them
 * at a convolution's output.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { Layer, Network } from '../layer-types.js';
import { OptionError } from '../errors/option-error.js';
import { consumers, layerOutput, runNetwork, type NetworkTensor } from './network-run.js';

export interface AttributionSite {
  /** 'input': the model's input; 'embedding': an Embedding's output (scores per token); 'layer': a chosen layer's output. */
  kind: 'input' | 'embedding' | 'layer';
  /** The tensor attributed, for 'embedding' and 'layer'. */
  tensor?: NetworkTensor;
  /** The layer whose output it is. */
  layer?: Layer;
}

/** The single-input network's site: its embedding's output when its input feeds an Embedding, else its input. */
export function inputSite(net: Network): AttributionSite {
  checkSingleInput(net);
  const embedding = consumers(net, net.inputs[0]!).find((l) => l.getClassName() === 'Embedding');
  if (embedding) return { kind: 'embedding', tensor: layerOutput(embedding), layer: embedding };
  return { kind: 'input' };
}

/** The output of `name`, or of the last 4-D convolution (Grad-CAM's default layer). */
export function convolutionSite(net: Network, name?: string): AttributionSite {
  checkSingleInput(net);
  if (name !== undefined) {
    const layer = net.layers.find((l) => l.name === name);
    if (!layer) {
      throw new OptionError(`layer '${name}' is not in model '${net.name}': its layers are ${net.layers.map((l) => l.name).join(', ')}`);
    }
    const tensor = layerOutput(layer);
    if (tensor.shape.length !== 4) {
      throw new OptionError(
        `layer '${name}' outputs shape [${tensor.shape.join(', ')}]: Grad-CAM needs a layer with 4-D output [batch, height, width, channels]`,
      );
    }
    return { kind: 'layer', tensor, layer };
  }
  const convolutions = net.layers.filter(
    (l) => /^Conv2D$|^DepthwiseConv2D$|^SeparableConv2D$/.test(l.getClassName()) && layerOutput(l).shape.length === 4,
  );
  const layer = convolutions.at(-1);
  if (!layer)
    throw new OptionError(`model '${net.name}' has no Conv2D layer: Grad-CAM explains convolutional models (use integrated gradients)`);
  return { kind: 'layer', tensor: layerOutput(layer), layer };
}

/** The site's value for the model inputs `x` (x itself for the input site); the caller disposes it unless it is `x`. */
export function siteValue(net: Network, site: AttributionSite, x: Tensor): Tensor {
  if (site.kind === 'input') return x;
  return tf.tidy(() => runNetwork(net, [x], undefined, [site.tensor!])[0]!);
}

function checkSingleInput(net: Network): void {
  if (net.inputs.length !== 1) {
    throw new OptionError(`model '${net.name}' has ${net.inputs.length} inputs: dl's attribution methods explain models with one input`);
  }
}
