import seedrandom from 'seedrandom';
import { OptionError } from './errors/option-error.js';

/** seedrandom's ARC4 generator state: what continues a seeded stream exactly where it was. */
interface Arc4State {
  i: number;
  j: number;
  S: number[];
}

type StatefulPrng = (() => number) & { state(): Arc4State };

let rng: () => number = Math.random;
/** Set while setSeed's streams are in use, so their state can be saved (randomState) and restored. */
let seeded: { global: StatefulPrng; shuffle: StatefulPrng } | undefined;

/**
 * Makes weight initialisation and shuffling reproducible, like `keras.utils.set_random_seed`.
 * tfjs-layers' initialisers draw from Math.random when no per-layer seed is given, so it is replaced globally.
 */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new OptionError(`seed must be an integer, got ${seed}`);
  seedrandom(String(seed), { global: true, state: true });
  const shuffle = seedrandom(`shuffle-${seed}`, { state: true }) as unknown as StatefulPrng;
  seeded = { global: Math.random as StatefulPrng, shuffle };
  rng = shuffle;
}

/**
 * Where setSeed's random streams are now (Math.random: initialisers, dropout seeds, latent vectors; and the shuffle
 * stream), as plain JSON; undefined when no seed was set or Math.random was replaced since. `setRandomState` continues
 * both streams from here: what lets a resumed run draw exactly what the uninterrupted run would have.
 */
export function randomState(): RandomState | undefined {
  if (seeded === undefined || Math.random !== seeded.global) return undefined;
  return { global: seeded.global.state(), shuffle: seeded.shuffle.state() };
}

/** The state of setSeed's streams (see randomState). */
export interface RandomState {
  global: Arc4State;
  shuffle: Arc4State;
}

/** Continues setSeed's streams from a state `randomState` returned (in this process or another). */
export function setRandomState(state: RandomState): void {
  if (!isArc4State(state?.global) || !isArc4State(state?.shuffle)) {
    throw new OptionError('not a random state saved by randomState(): expected { global, shuffle }, each { i, j, S: 256 numbers }');
  }
  seedrandom('', { global: true, state: state.global });
  const shuffle = seedrandom('', { state: state.shuffle }) as unknown as StatefulPrng;
  seeded = { global: Math.random as StatefulPrng, shuffle };
  rng = shuffle;
}

function isArc4State(value: unknown): value is Arc4State {
  const s = value as Partial<Arc4State> | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.i) &&
    Number.isInteger(s.j) &&
    Array.isArray(s.S) &&
    s.S.length === 256 &&
    s.S.every((v) => Number.isInteger(v) && v >= 0 && v < 256)
  );
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

/**
 * `seed` as TF.js's random ops (randomNormal, randomUniform…) must get it: they take 0 as no seed at all
 * (`seed ? seed : Math.random()`), so a seed of 0 would draw new values on every call. 0 is passed as 2^32, a seed no
 * other value maps to; undefined stays undefined (the global stream).
 */
export function opSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 2 ** 32 : seed;
}
