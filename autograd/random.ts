/**
 * The one source of randomness in Unrolled.
 *
 * Every random number the engine draws (initial weights, shuffling, dropout
 * masks, the seeded tensor constructors) comes from a single `seedrandom`
 * generator (its default algorithm, ARC4). `setSeed(n)` restarts it, so a
 * script that calls `setSeed` once at the top is reproducible bit for bit.
 * `getRandomState()` / `setRandomState()` snapshot and restore the generator
 * exactly, so training interrupted and resumed from a backup draws the same
 * shuffles and dropout masks as training that never stopped.
 */
import seedrandom from 'seedrandom';

const DEFAULT_SEED = 1337;

/** The generator's whole state (ARC4: the indices `i`, `j` and the 256-entry permutation `S`), as plain JSON-able data. */
export interface RandomState {
  i: number;
  j: number;
  S: number[];
}

let generator: seedrandom.StatefulPRNG<seedrandom.State.Arc4> = seedrandom(String(DEFAULT_SEED), { state: true });

/** Restarts the global generator from `seed` (any integer or string). */
export function setSeed(seed: number | string): void {
  generator = seedrandom(String(seed), { state: true });
}

/** A copy of the global generator's state: `setRandomState` of it makes the generator continue exactly from here. */
export function getRandomState(): RandomState {
  const { i, j, S } = generator.state();
  return { i, j, S: [...S] };
}

function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
}

/**
 * Puts the global generator in `state` (from `getRandomState`, possibly
 * through JSON); the state is checked first, and the caller's object is
 * not kept.
 */
export function setRandomState(state: RandomState): void {
  const s: unknown = state;
  if (s === null || typeof s !== 'object') throw new Error(`setRandomState: expected { i, j, S } from getRandomState(), got ${s === null ? 'null' : typeof s}`);
  const { i, j, S } = s as Partial<Record<'i' | 'j' | 'S', unknown>>;
  if (!isByte(i) || !isByte(j)) throw new Error(`setRandomState: i and j must be integers in [0, 255], got i = ${String(i)}, j = ${String(j)}`);
  if (!Array.isArray(S) || S.length !== 256) {
    throw new Error(`setRandomState: S must be a list of 256 integers, got ${Array.isArray(S) ? `a list of ${S.length}` : typeof S}`);
  }
  const seen = new Set<number>();
  S.forEach((v: unknown, k) => {
    if (!isByte(v)) throw new Error(`setRandomState: S[${k}] must be an integer in [0, 255], got ${String(v)}`);
    seen.add(v);
  });
  if (seen.size !== 256) throw new Error(`setRandomState: S must be a permutation of 0..255; it holds ${seen.size} distinct values`);
  generator = seedrandom('', { state: { i, j, S: [...(S as number[])] } });
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
