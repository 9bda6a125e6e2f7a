/**
 * The one source of randomness in Unrolled.
 *
 * Every random number the engine draws (initial weights, shuffling, dropout
 * masks, the seeded tensor constructors) comes from a single `seedrandom`
 * generator. `setSeed(n)` restarts it, so a script that calls `setSeed` once
 * at the top is reproducible bit for bit.
 */
import seedrandom from 'seedrandom';

const DEFAULT_SEED = 1337;

let generator: seedrandom.PRNG = seedrandom(String(DEFAULT_SEED));

/** Restarts the global generator from `seed` (any integer or string). */
export function setSeed(seed: number | string): void {
  generator = seedrandom(String(seed));
}

/** A uniform number in [0, 1) from the global generator. */
export function random(): number {
  return generator();
}

/** A uniform number in [lo, hi). */
export function uniform(lo: number, hi: number): number {
  return lo + (hi - lo) * generator();
}

/** A standard normal number (Box-Muller on two uniforms). */
export function normal(): number {
  let u = generator();
  while (u === 0) u = generator();
  const v = generator();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An integer in [0, n). */
export function randomInt(n: number): number {
  return Math.floor(generator() * n);
}

/** A permutation of 0..n-1 (Fisher-Yates), drawn from the global generator. */
export function permutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
