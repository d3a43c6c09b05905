/**
 * Just enough of numpy's legacy `np.random.RandomState` to reproduce Keras's
 * dataset shuffles exactly: `RandomState(seed)` followed by `shuffle(...)`.
 *
 * - `RandomState(seed)` with an integer seed initialises a Mersenne Twister
 *   (MT19937) with the reference `init_genrand(seed)`.
 * - `shuffle(x)` on a 1-D array is a Fisher–Yates shuffle from the end:
 *   for i = n-1 … 1 it swaps x[i] with x[j], where j is drawn uniformly from
 *   [0, i] by masking 32-bit outputs to the next power of two and rejecting
 *   values above i (numpy's `random_interval`).
 *
 * The tests compare the output with values produced by numpy itself.
 */

const N = 624;
const M = 397;

/** The 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura, 1998). */
export class MT19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  /** @param seed integer in [0, 2^32), as accepted by `np.random.RandomState(seed)` */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    const mt = this.state;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = Math.imul(1812433253, prev) + i; // mod 2^32 by the Uint32Array store
    }
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const mt = this.state;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] (max < 2^32), drawn as numpy's legacy `random_interval` does. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** Shuffles `array` in place exactly as `RandomState.shuffle` shuffles a 1-D numpy array; returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }
}
