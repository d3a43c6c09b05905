import { describe, expect, it } from 'vitest';
import { MT19937 } from '../src/numpy-random.js';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

// Expected values printed by numpy 2.4 (np.random.RandomState, the generator keras.datasets uses).
describe('MT19937 (numpy RandomState)', () => {
  it('reproduces RandomState(113).shuffle on IMDB-sized arrays, train then test', () => {
    const rng = new MT19937(113);
    const train = rng.shuffle(range(25000));
    const test = rng.shuffle(range(25000));
    expect(Array.from(train.subarray(0, 8))).toEqual([7798, 13226, 18078, 793, 17499, 23003, 574, 19638]);
    expect(Array.from(train.subarray(-3))).toEqual([22690, 4828, 14501]);
    expect(Array.from(test.subarray(0, 8))).toEqual([22748, 4083, 8015, 13688, 5310, 4466, 736, 22654]);
    expect(Array.from(test.subarray(-3))).toEqual([23183, 20869, 16517]);
  });

  it('matches numpy for the extreme seeds 0 and 2**32 - 1', () => {
    expect(Array.from(new MT19937(0).shuffle(range(5)))).toEqual([2, 0, 1, 3, 4]);
    expect(Array.from(new MT19937(2 ** 32 - 1).shuffle(range(6)))).toEqual([1, 4, 5, 0, 2, 3]);
  });

  it('gives the reference MT19937 outputs for seed 5489', () => {
    // The reference implementation's default seed; 3499211612 is its well-known first output.
    const rng = new MT19937(5489);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
  });

  it('rejects seeds numpy rejects', () => {
    expect(() => new MT19937(-1)).toThrow(RangeError);
    expect(() => new MT19937(2 ** 32)).toThrow(RangeError);
    expect(() => new MT19937(1.5)).toThrow(RangeError);
  });
});
