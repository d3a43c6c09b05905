import type { LayersModel } from '@tensorflow/tfjs';
import { Model } from './model.js';

/**
 * A new, uncompiled model of the same architecture as `model`, with freshly initialised weights of its own, as Keras's
 * `clone_model`; copy the weights across with `copy.net.setWeights(model.net.getWeights())` when wanted.
 */
export function cloneModel(model: Model): Model {
  const cls = model.net.constructor as typeof LayersModel;
  return new Model(cls.fromConfig(cls, model.net.getConfig()) as LayersModel);
}
