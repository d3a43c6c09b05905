import seedrandom from 'seedrandom';

let rng: () => number = Math.random;

/**
 * Makes weight initialisation and shuffling reproducible, like `keras.utils.set_random_seed`.
 * tfjs-layers' initialisers draw from Math.random when no per-layer seed is given, so it is replaced globally.
 */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  seedrandom(String(seed), { global: true });
  rng = seedrandom(`shuffle-${seed}`);
}

/** A uniform number in [0, 1) from the seeded stream (Math.random before setSeed). */
export function random(): number {
  return rng();
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
