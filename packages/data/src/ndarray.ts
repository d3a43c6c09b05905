/**
 * An n-dimensional array as plain data: the counterpart of a numpy array.
 *
 * `data` holds the elements in row-major (C) order and `shape` gives the
 * size of each dimension, so `data.length` equals the product of `shape`.
 * It is deliberately framework-free: turning it into a tensor is the
 * caller's job (e.g. `tf.tensor(x.data, x.shape)`).
 */
export interface NDArray<T = Uint8Array> {
  data: T;
  shape: number[];
}
