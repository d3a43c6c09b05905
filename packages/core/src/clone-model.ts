import type { LayersModel } from '@tensorflow/tfjs';
import { Model } from './model.js';
import { withDlLayerClasses } from './native/dl-layer-classes.js';
import { layersModelOf } from './tfjs-layers-api.js';

/**
 * A new, uncompiled model of the same architecture as `model`, with freshly initialised weights of its own, as Keras's
 * `clone_model`; copy the weights across with `copy.net.setWeights(model.net.getWeights())` when wanted.
 */
export function cloneModel(model: Model): Model {
  const net = layersModelOf(model);
  const cls = net.constructor as typeof LayersModel;
  return new Model(withDlLayerClasses(() => cls.fromConfig(cls, net.getConfig())) as LayersModel);
}
