/**
 * A list of integer sequences of different lengths (e.g. tokenised reviews),
 * stored flat: the counterpart of a numpy object array of lists, or of a
 * `tf.RaggedTensor` with `values` and `row_splits`.
 *
 * Row `i` is `data.subarray(offsets[i], offsets[i + 1])`; `offsets` has
 * `length + 1` entries, starts at 0, never decreases and ends at
 * `data.length`. One buffer instead of thousands of small arrays keeps
 * memory compact and the whole thing cheap to copy or transfer.
 *
 * ```ts
 * const [[xTrain]] = await imdb.loadData();
 * xTrain.length;            // 25000 reviews
 * raggedRow(xTrain, 0);     // Int32Array of the first review's word indices
 * padSequences(xTrain, { maxlen: 200 }); // dense { data, shape: [25000, 200] }
 * ```
 */
export interface RaggedArray {
  /** All rows' elements, concatenated in row order. */
  data: Int32Array;
  /** `length + 1` row boundaries into `data`. */
  offsets: Int32Array;
  /** Number of rows. */
  length: number;
}

/** Row `i` of `x`, as a view (no copy) into `x.data`. */
export function raggedRow(x: RaggedArray, i: number): Int32Array {
  if (!Number.isInteger(i) || i < 0 || i >= x.length) {
    throw new RangeError(`row ${i} is out of range for a RaggedArray of ${x.length} rows`);
  }
  return x.data.subarray(x.offsets[i], x.offsets[i + 1]);
}

/** All rows of `x` as views (no copies) into `x.data`. */
export function raggedRows(x: RaggedArray): Int32Array[] {
  return Array.from({ length: x.length }, (_, i) => x.data.subarray(x.offsets[i], x.offsets[i + 1]));
}

/** Packs `rows` into a RaggedArray (copying their elements into one Int32Array). */
export function raggedFromRows(rows: readonly ArrayLike<number>[]): RaggedArray {
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!.length;
  const data = new Int32Array(offsets[rows.length]!);
  rows.forEach((row, i) => data.set(row, offsets[i]));
  return { data, offsets, length: rows.length };
}
