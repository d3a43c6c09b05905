/**
 * `padSequences`: Keras's `keras.utils.pad_sequences` for plain typed arrays.
 */
import type { NDArray } from './ndarray.js';
import type { RaggedArray } from './ragged.js';

export interface PadSequencesOptions<D extends 'int32' | 'float32' = 'int32' | 'float32'> {
  /** Length of every output row; defaults to the longest sequence (0 when there are none). */
  maxlen?: number;
  /** Where to add `value`s to shorter sequences: `'pre'` (default, before) or `'post'` (after). */
  padding?: 'pre' | 'post';
  /** Which end to cut from longer sequences: `'pre'` (default, drops the start) or `'post'` (drops the end). */
  truncating?: 'pre' | 'post';
  /** Padding value; defaults to 0. Must be an integer for `dtype: 'int32'`. */
  value?: number;
  /** Element type of the result: `'int32'` (default, `Int32Array`) or `'float32'` (`Float32Array`). */
  dtype?: D;
}

/**
 * Pads (and truncates) sequences to a common length, giving a dense
 * `[n, maxlen]` array, with the same semantics as Keras:
 *
 * ```ts
 * padSequences([[1, 2, 3], [4]], { maxlen: 2 });
 * // { data: Int32Array [2, 3, 0, 4], shape: [2, 2] }   (truncating 'pre', padding 'pre')
 * padSequences([[1, 2, 3], [4]], { maxlen: 2, padding: 'post', truncating: 'post' });
 * // { data: Int32Array [1, 2, 4, 0], shape: [2, 2] }
 * ```
 *
 * @param sequences a RaggedArray (e.g. `imdb.loadData()`'s `x`) or an array of number sequences;
 *   elements are stored as by `Int32Array` / `Float32Array`
 */
export function padSequences(
  sequences: RaggedArray | readonly ArrayLike<number>[],
  options?: PadSequencesOptions<'int32'>,
): NDArray<Int32Array>;
export function padSequences(
  sequences: RaggedArray | readonly ArrayLike<number>[],
  options: PadSequencesOptions<'float32'>,
): NDArray<Float32Array>;
export function padSequences(
  sequences: RaggedArray | readonly ArrayLike<number>[],
  options: PadSequencesOptions = {},
): NDArray<Int32Array | Float32Array> {
  const { padding = 'pre', truncating = 'pre', value = 0, dtype = 'int32' } = options;
  if (padding !== 'pre' && padding !== 'post') throw new RangeError(`padding must be 'pre' or 'post', got ${JSON.stringify(padding)}`);
  if (truncating !== 'pre' && truncating !== 'post')
    throw new RangeError(`truncating must be 'pre' or 'post', got ${JSON.stringify(truncating)}`);
  if (dtype !== 'int32' && dtype !== 'float32') throw new RangeError(`dtype must be 'int32' or 'float32', got ${JSON.stringify(dtype)}`);
  if (dtype === 'int32' && !Number.isInteger(value)) {
    throw new RangeError(`value ${value} cannot be stored in an int32 array; use dtype: 'float32' or an integer value`);
  }

  const rows = isRagged(sequences)
    ? Array.from({ length: sequences.length }, (_, i) => sequences.data.subarray(sequences.offsets[i], sequences.offsets[i + 1]))
    : sequences;
  const maxlen = options.maxlen ?? rows.reduce((longest, row) => Math.max(longest, row.length), 0);
  if (!Number.isSafeInteger(maxlen) || maxlen < 0) throw new RangeError(`maxlen must be a non-negative integer, got ${maxlen}`);

  const data = dtype === 'int32' ? new Int32Array(rows.length * maxlen) : new Float32Array(rows.length * maxlen);
  if (value !== 0) data.fill(value);
  rows.forEach((row, i) => {
    const kept = Math.min(row.length, maxlen);
    const from = truncating === 'pre' ? row.length - kept : 0; // first element kept
    const to = i * maxlen + (padding === 'pre' ? maxlen - kept : 0); // where it goes
    for (let k = 0; k < kept; k++) data[to + k] = row[from + k]!;
  });
  return { data, shape: [rows.length, maxlen] };
}

function isRagged(x: RaggedArray | readonly ArrayLike<number>[]): x is RaggedArray {
  return !Array.isArray(x) && (x as RaggedArray).offsets instanceof Int32Array;
}
