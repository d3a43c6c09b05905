/**
 * Activations that compute the same in TF.js and Keras 3 under the same serialized name: the only ones dl reads from or
 * writes to a Keras file. Not `hard_sigmoid` (TF.js: 0.2x + 0.5; Keras 3: relu6(x + 3) / 6), nor gelu and mish, which
 * have not been checked against Keras.
 */
export const KERAS_ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
]);

/** The message refusing an activation outside KERAS_ACTIVATIONS, in the option `key`. */
export function activationProblem(key: string, name: unknown): string {
  const why = name === 'hard_sigmoid' ? ': Keras 3 computes relu6(x + 3) / 6, TF.js 0.2x + 0.5' : '';
  return `${key} ${JSON.stringify(name)} is not supported${why} (dl reads and writes: ${[...KERAS_ACTIVATIONS].join(', ')})`;
}
