import { describe, expect, it } from 'vitest';
import { padSequences } from '../src/pad-sequences.js';
import { raggedFromRows } from '../src/ragged.js';

const rows = (x: { data: ArrayLike<number>; shape: number[] }) => {
  const [n, width] = x.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from(x.data).slice(i * width, (i + 1) * width));
};
const SEQUENCES = [[1, 2, 3, 4], [5], [], [6, 7]];

describe('padSequences (Keras semantics)', () => {
  it("defaults: maxlen = longest, padding and truncating 'pre', value 0, int32", () => {
    const x = padSequences(SEQUENCES);
    expect(x.data).toBeInstanceOf(Int32Array);
    expect(x.shape).toEqual([4, 4]);
    expect(rows(x)).toEqual([
      [1, 2, 3, 4],
      [0, 0, 0, 5],
      [0, 0, 0, 0],
      [0, 0, 6, 7],
    ]);
  });

  it("truncating 'pre' keeps the end, 'post' the start; padding 'post' pads after", () => {
    expect(rows(padSequences(SEQUENCES, { maxlen: 3 }))).toEqual([
      [2, 3, 4],
      [0, 0, 5],
      [0, 0, 0],
      [0, 6, 7],
    ]);
    expect(rows(padSequences(SEQUENCES, { maxlen: 3, truncating: 'post' }))).toEqual([
      [1, 2, 3],
      [0, 0, 5],
      [0, 0, 0],
      [0, 6, 7],
    ]);
    expect(rows(padSequences(SEQUENCES, { maxlen: 3, padding: 'post', truncating: 'post' }))).toEqual([
      [1, 2, 3],
      [5, 0, 0],
      [0, 0, 0],
      [6, 7, 0],
    ]);
    expect(rows(padSequences(SEQUENCES, { maxlen: 2, padding: 'post' }))).toEqual([
      [3, 4],
      [5, 0],
      [0, 0],
      [6, 7],
    ]);
  });

  it('pads with value, and to a maxlen longer than every sequence', () => {
    expect(rows(padSequences([[1], [2, 3]], { maxlen: 4, value: -1 }))).toEqual([
      [-1, -1, -1, 1],
      [-1, -1, 2, 3],
    ]);
  });

  it('accepts a RaggedArray and typed-array rows alike', () => {
    const ragged = padSequences(raggedFromRows(SEQUENCES), { maxlen: 3 });
    const typed = padSequences(
      SEQUENCES.map((s) => Int32Array.from(s)),
      { maxlen: 3 },
    );
    expect(ragged).toEqual(padSequences(SEQUENCES, { maxlen: 3 }));
    expect(typed).toEqual(ragged);
  });

  it("dtype 'float32' gives a Float32Array and allows a fractional value", () => {
    const x = padSequences([[1.5], [2, 3]], { dtype: 'float32', value: 0.5 });
    expect(x.data).toBeInstanceOf(Float32Array);
    expect(rows(x)).toEqual([
      [0.5, 1.5],
      [2, 3],
    ]);
  });

  it('handles no sequences and maxlen 0', () => {
    expect(padSequences([])).toEqual({ data: new Int32Array(0), shape: [0, 0] });
    expect(padSequences([[1, 2]], { maxlen: 0 })).toEqual({ data: new Int32Array(0), shape: [1, 0] });
  });

  it('rejects bad options', () => {
    expect(() => padSequences([[1]], { padding: 'middle' as 'pre' })).toThrow(/padding must be 'pre' or 'post'/);
    expect(() => padSequences([[1]], { truncating: 'both' as 'pre' })).toThrow(/truncating must be 'pre' or 'post'/);
    expect(() => padSequences([[1]], { maxlen: -1 })).toThrow(/maxlen/);
    expect(() => padSequences([[1]], { value: 0.5 })).toThrow(/int32/);
    expect(() => padSequences([[1]], { dtype: 'int64' as 'int32' })).toThrow(/dtype/);
  });
});
