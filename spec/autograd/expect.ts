/**
 * Shared checks of the specs: named tolerances, the element-wise comparison
 * that prints the worst element and the first pairs (used by every spec of
 * autograd/, cells/ and bench/), and regexes for error messages.
 */
import * as assert from 'uvu/assert';
import type { NestedArray, Tensor } from '../../autograd/index.ts';

/** Named tolerances: the largest accepted |got − want| / max(floor, |want|). */
export const TOL = {
  /** Small integers, halves and quarters: exact in both dtypes. */
  exact: 0,
  /** Round-off of a few float64 operations. */
  float64: 1e-12,
  /** Round-off of a few float32 operations. */
  float32: 1e-6,
} as const;

export function flat(v: NestedArray): number[] {
  return typeof v === 'number' ? [v] : v.flatMap(flat);
}

/**
 * The one closeness check of the specs. Fails with the worst element and the
 * first few pairs when any element is off by more than `tol`, relative to
 * max(floor, |want|): absolute for values within ±floor, relative beyond;
 * floor 0 makes it purely relative (for tiny values such as e⁻⁵⁰). NaN is
 * never close. Returns the worst error, for the record.
 */
export function assertClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, floor = 1): number {
  assert.is(got.length, want.length, `${what}: ${got.length} elements, expected ${want.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    const err = diff === 0 ? 0 : diff / Math.max(floor, Math.abs(want[i]));
    if (Number.isNaN(err) || err > worstErr) {
      worst = i;
      worstErr = Number.isNaN(err) ? Infinity : err;
    }
  }
  if (worstErr > tol) {
    const pairs = Array.from({ length: Math.min(4, want.length) }, (_, i) => `[${i}] ${got[i]} vs ${want[i]}`).join(', ');
    assert.unreachable(`${what}: worst element [${worst}] is ${got[worst]}, expected ${want[worst]} (error ${worstErr.toExponential(2)} > tolerance ${tol}); first pairs: ${pairs}`);
  }
  return worstErr;
}

export function expectTensor(what: string, t: Tensor, shape: number[], want: NestedArray, tol: number = TOL.float64): void {
  assert.equal(t.shape, shape, `${what}: shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
  assertClose(what, t.data, flat(want), tol);
}

export function expectGrad(what: string, t: Tensor, want: NestedArray, tol: number = TOL.float64): void {
  assert.ok(t.grad !== null, `${what}: no gradient reached the tensor`);
  assertClose(`${what} (gradient)`, t.grad, flat(want), tol);
}

export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex matching a message that contains `s` literally. */
export function literal(s: string): RegExp {
  return new RegExp(escape(s));
}

/**
 * A regex matching a message that mentions every part, in any order: strings
 * literally, numbers as standalone numbers (so `5` does not match inside `[2,5]`).
 */
export function mentions(...parts: Array<string | number>): RegExp {
  const one = (p: string | number): string =>
    typeof p === 'number' ? `(?<![\\w.\\[-]|\\d,)${escape(String(p))}(?![\\w.\\]]|,\\d)` : escape(p);
  return new RegExp(parts.map((p) => `(?=[\\s\\S]*${one(p)})`).join(''));
}
