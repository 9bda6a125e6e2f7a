/** Small synthetic data sets for the model specs, each from its own seeded generator (the global one is left alone). */
import seedrandom from 'seedrandom';
import { Tensor } from '../../lib/index.ts';

/**
 * The sign task: x [N, T, 1] uniform in (−1, 1); y = 1 when the sum of the
 * sequence is positive. Every step matters, so a recurrent layer must
 * integrate over time. Sequences whose sum lies within 0.5 of zero are drawn
 * again, so that a small model can reach a clean decision boundary.
 */
export function signTask(n: number, T: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = seedrandom(`sign-${seed}`);
  const x = new Tensor(new Float32Array(n * T), [n, T, 1]);
  const y = new Tensor(new Float32Array(n), [n, 1]);
  for (let i = 0; i < n; i++) {
    let s = 0;
    do {
      s = 0;
      for (let t = 0; t < T; t++) {
        x.data[i * T + t] = 2 * rng() - 1;
        s += x.data[i * T + t];
      }
    } while (Math.abs(s) < 0.5);
    y.data[i] = s > 0 ? 1 : 0;
  }
  return { x, y };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
