import { describe, expect, it } from 'vitest';
import { tf, toTensor } from '../src/index.js';

describe('toTensor', () => {
  it('returns a tensor unchanged', () => {
    const t = tf.tensor2d([[1, 2]]);
    expect(toTensor(t)).toBe(t);
    t.dispose();
  });

  it('builds a float32 tensor of the given shape from a typed array or a number[]', () => {
    const fromTyped = toTensor({ data: Uint8Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    const fromPlain = toTensor({ data: [1, 2, 3, 4, 5, 6], shape: [3, 2] });
    expect(fromTyped.dtype).toBe('float32');
    expect(fromTyped.shape).toEqual([2, 3]);
    expect(fromTyped.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(fromPlain.shape).toEqual([3, 2]);
    expect(fromPlain.arraySync()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    tf.dispose([fromTyped, fromPlain]);
  });

  it('builds an int32 tensor on request', () => {
    const t = toTensor({ data: Float32Array.from([0, 1, 2]), shape: [3] }, 'int32');
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([0, 1, 2]);
    t.dispose();
  });

  it('rejects data that does not fill the shape, with both counts', () => {
    expect(() => toTensor({ data: new Float32Array(5), shape: [2, 3] })).toThrow(
      'array of 5 values does not match its shape [2, 3] (6 values)',
    );
    expect(() => toTensor({ data: [1, 2, 3, 4, 5, 6, 7], shape: [2, 3] })).toThrow(
      'array of 7 values does not match its shape [2, 3] (6 values)',
    );
  });
});
