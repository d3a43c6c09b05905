/**
 * `@dl/core/tfjs-layers`: the TensorFlow.js instance of backend.ts typed with its layers API too (`tfl.layers`,
 * `tfl.model`, `tfl.loadLayersModel`, …), and a model's tfjs-layers `LayersModel`, for dl's own implementation and for
 * users who want tfjs-layers directly. Kept out of the main entry point: its types are tfjs-layers', whose
 * declarations fail a user's `tsc --strict` (layer-types.ts); importing this entry point opts into them.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { tf } from './backend.js';
import type { Network } from './layer-types.js';

export type TfWithLayers = typeof tfjs;
export const tfl = tf as unknown as TfWithLayers;

/** The tfjs-layers model behind `model.net` (the same object, with its full type). */
export function layersModelOf(model: { readonly net: Network }): tfjs.LayersModel {
  return model.net as unknown as tfjs.LayersModel;
}
