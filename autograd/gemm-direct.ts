/**
 * The products gemm does not pack for: fewer than 4 rows of op(a) (a batch
 * of one), or a depth k under 4 (a weight gradient over one step of it).
 * Packing op(b) costs about as much as such a product (op(b) is read m
 * times), and a 2×4 tile over k < 4 does too few multiply-adds for what it
 * costs to set up and store; so op(b) is read where it lies, four of its
 * rows (b as stored) or four of its columns (bᵀ) per pass.
 *
 * Each element is summed as the tiles in gemm.ts sum it: over k in order
 * within each block of `blockK`, from 0, then added to out. So a row has the
 * same bits here as in a packed product of any number of rows.
 */
import type { FloatArray } from './tensor.ts';

/** The layout of a product as gemm.ts resolves it from GemmOptions: sizes, transposes, row strides, offsets. */
export interface Layout { m: number; k: number; n: number; transA: boolean; transB: boolean; lda: number; ldb: number; ldc: number; offsetA: number; offsetB: number; offsetC: number }

const DIRECT_BELOW = 4;

/** Whether a product of m rows and depth k gains from packing op(b) (else it is read in place). */
export function packingPays(m: number, k: number): boolean {
  return m >= DIRECT_BELOW && k >= DIRECT_BELOW;
}

let row = new Float64Array(256); // one row of op(a), one k block of it
let sums = new Float64Array(4); //  that row's sums over the block, n of them

/** out [m, n] += op(a) · op(b), op(b) read in place; out already cleared when not accumulating. */
export function productInPlace(out: FloatArray, a: Readonly<FloatArray>, b: Readonly<FloatArray>, l: Readonly<Layout>, blockK: number): void {
  const { m, k, n, lda, ldb, transA } = l;
  if (row.length < blockK) row = new Float64Array(blockK);
  if (sums.length < n) sums = new Float64Array(n);
  const x = row, s = sums;
  for (let i = 0; i < m; i++) {
    for (let p0 = 0; p0 < k; p0 += blockK) {
      const kc = Math.min(blockK, k - p0);
      for (let p = 0; p < kc; p++) x[p] = a[l.offsetA + (transA ? (p0 + p) * lda + i : i * lda + p0 + p)];
      if (l.transB) dotRows(s, x, b, kc, l.offsetB + p0, n, ldb);
      else axpyRows(s, x, b, kc, l.offsetB + p0 * ldb, n, ldb);
      for (let j = 0, o = l.offsetC + i * l.ldc; j < n; j++) out[o + j] += s[j];
    }
  }
}

/** s[j] = x · (row j of b) for j < n, b's rows `ldb` apart from `start`: four rows of b at a time. */
function dotRows(s: Float64Array, x: Readonly<Float64Array>, b: Readonly<FloatArray>, kc: number, start: number, n: number, ldb: number): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const r0 = start + j * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (let p = 0; p < kc; p = (p + 1) | 0) {
      const v = x[p];
      c0 += v * b[(r0 + p) | 0]; c1 += v * b[(r1 + p) | 0]; c2 += v * b[(r2 + p) | 0]; c3 += v * b[(r3 + p) | 0];
    }
    s[j] = c0; s[j + 1] = c1; s[j + 2] = c2; s[j + 3] = c3;
  }
  for (; j < n; j++) {
    let c = 0;
    for (let p = 0, r = start + j * ldb; p < kc; p++) c += x[p] * b[r + p];
    s[j] = c;
  }
}

/** s = Σ_p x[p] · (row p of b), four rows of b at a time: (((s + x0·b0) + x1·b1) + x2·b2) + x3·b3 is four k-steps in order. */
function axpyRows(s: Float64Array, x: Readonly<Float64Array>, b: Readonly<FloatArray>, kc: number, start: number, n: number, ldb: number): void {
  s.fill(0, 0, n);
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];
    const r0 = start + p * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    for (let j = 0; j < n; j = (j + 1) | 0) {
      s[j] = (((s[j] + x0 * b[(r0 + j) | 0]) + x1 * b[(r1 + j) | 0]) + x2 * b[(r2 + j) | 0]) + x3 * b[(r3 + j) | 0];
    }
  }
  for (; p < kc; p++) {
    const v = x[p];
    for (let j = 0, r = start + p * ldb; j < n; j++) s[j] += v * b[r + j];
  }
}
