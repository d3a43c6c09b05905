/**
 * Layer factories under Keras names, with tfjs-layers' typed, camelCase options
 * (e.g. `conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] })`).
 */
import { tf, type Tf } from './backend.js';

type Args<K extends keyof Tf['layers']> = Tf['layers'][K] extends (args: infer A) => unknown ? A : never;

export const conv2d = (args: Args<'conv2d'>) => tf.layers.conv2d(args);
export const maxPooling2d = (args: Args<'maxPooling2d'> = {}) => tf.layers.maxPooling2d(args);
export const flatten = (args: Args<'flatten'> = {}) => tf.layers.flatten(args);
export const dense = (args: Args<'dense'>) => tf.layers.dense(args);
export const dropout = (args: Args<'dropout'>) => tf.layers.dropout(args);
