/**
 * Plain kernels on typed arrays, outputs first, then inputs, then sizes;
 * each returns its output. The gemm lives in gemm.ts. At the end, `expOf`:
 * the exponential for the cells' gate loops.
 */
import type { FloatArray } from './tensor.ts';

export { gemm, gemmNaive, gemmPacked, gemmSharedRight, packRight, type GemmOptions, type LeftProduct, type PackedRight } from './gemm.ts';
export { packingPays } from './gemm-direct.ts';

/** out[r, :] = row for every row r of a [rows, cols] matrix; row is [cols]. */
export function fillRows<T extends FloatArray>(out: T, row: Readonly<FloatArray>, rows: number, cols: number): T {
  for (let r = 0; r < rows; r++) out.set(row, r * cols); // a native copy per row: ten times faster than an element loop
  return out;
}

/** out[c] += Σ_r x[r, c]: column sums of a [rows, cols] matrix (bias gradients). */
export function sumRows<T extends FloatArray>(out: T, x: Readonly<FloatArray>, rows: number, cols: number): T {
  // Four rows per pass over `out`, so out is read and written a quarter as often (twice as fast at [12800, 128]).
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const b0 = r * cols, b1 = b0 + cols, b2 = b1 + cols, b3 = b2 + cols;
    for (let c = 0; c < cols; c++) out[c] += x[b0 + c] + x[b1 + c] + x[b2 + c] + x[b3 + c];
  }
  for (; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c] += x[base + c];
  }
  return out;
}

/** out[i] += alpha · x[i]. */
export function axpy<T extends FloatArray>(out: T, alpha: number, x: Readonly<FloatArray>, n = out.length): T {
  for (let i = 0; i < n; i++) out[i] += alpha * x[i];
  return out;
}

// ---------------------------------------------------------------- column blocks
// A [rows, cols] matrix whose columns hold side-by-side blocks (the gate
// blocks of a [rows, G·H] matrix): the block is columns start … start+width.

/** out[:, start:start+width] += a [rows, width], out [rows, cols]. */
export function addColumns<T extends FloatArray>(out: T, a: Readonly<FloatArray>, rows: number, cols: number, start: number, width: number): T {
  for (let r = 0; r < rows; r++) {
    const dst = r * cols + start;
    const src = r * width;
    for (let c = 0; c < width; c++) out[dst + c] += a[src + c];
  }
  return out;
}

// ---------------------------------------------------------------- row masks

/**
 * out[r, :] = x[r, :] ⊙ mask[r mod period, :] for x [rows, cols], mask [period, cols]:
 * a per-sample mask [B, ·] repeated over the T row blocks of a [T·B, ·] buffer. `out` may be `x`.
 */
export function maskRows<T extends FloatArray>(out: T, x: Readonly<FloatArray>, mask: Readonly<FloatArray>, rows: number, period: number, cols: number): T {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = (r % period) * cols;
    for (let c = 0; c < cols; c++) out[base + c] = x[base + c] * mask[m + c];
  }
  return out;
}

/** out[r, :] += x[r, :] ⊙ mask[r mod period, :] (see maskRows). */
export function addMaskedRows<T extends FloatArray>(out: T, x: Readonly<FloatArray>, mask: Readonly<FloatArray>, rows: number, period: number, cols: number): T {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = (r % period) * cols;
    for (let c = 0; c < cols; c++) out[base + c] += x[base + c] * mask[m + c];
  }
  return out;
}

// ---------------------------------------------------------------- norms

/** out[k] = ‖x[k·size : (k+1)·size]‖₂ for k < count: the norm of each of `count` consecutive blocks. */
export function blockNorms<T extends FloatArray>(out: T, x: Readonly<FloatArray>, count: number, size: number): T {
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let i = k * size, end = i + size; i < end; i++) sum += x[i] * x[i];
    out[k] = Math.sqrt(sum);
  }
  return out;
}

// ---------------------------------------------------------------- exp

/*
 * V8 calls Math.exp (and Math.tanh) out of line, about 11 ns (17 ns) a call;
 * the gate loops of the cells call an exponential for every gate of every unit
 * at every step. `expOf` is the same function written to be inlined: about
 * 4 ns, within 2 ulp of Math.exp (the spec checks it over the whole range).
 *
 *   x = n·(ln 2)/64 + r, n = round(64x / ln 2), |r| ≤ (ln 2)/128
 *   eˣ = eʳ · 2^((n mod 64)/64) · 2^⌊n/64⌋
 *
 * eʳ is its Taylor series up to r⁶ (the next term is below 2⁻⁵⁶ for that r);
 * the powers of 2 come from tables, 2^⌊n/64⌋ as the product of two halves so
 * that neither overflows nor underflows before the result does. (ln 2)/64 is
 * taken in two parts, the first with trailing zero bits so that n times it is
 * exact. n is rounded by adding and subtracting 1.5·2⁵², which leaves no
 * fraction bits (Math.round is itself a slow call). x is clamped to
 * [−746, 710], where eˣ is 0 and ∞ in float64, so that the table indices stay
 * in range; NaN passes through.
 */
const LN2_64_HI = 6.93147180369123816490e-1 / 64; // ln 2 to 32 bits (fdlibm's ln2HI), / 64
const LN2_64_LO = 1.90821492927058770002e-10 / 64; // ln 2 − ln2HI, / 64
const ROUND = 1.5 * 2 ** 52;
/** 2^(j/64), j = 0 … 63. */
const EXP2_FRACTION = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
/** 2^(i − 540), i = 0 … 1052: the halves of 2^⌊n/64⌋, ⌊n/64⌋ from −1077 to 1025. */
const EXP2_HALF = Float64Array.from({ length: 1053 }, (_, i) => 2 ** (i - 540));

/** eˣ, within 2 ulp of Math.exp(x) (as a denormal, within one denormal step), and inlined by V8. */
export function expOf(x: number): number {
  const v = x < -746 ? -746 : x > 710 ? 710 : x;
  const n = v * (64 / Math.LN2) + ROUND - ROUND; // round(64v / ln 2)
  const r = v - n * LN2_64_HI - n * LN2_64_LO;
  const er = 1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  const i = n | 0;
  const e = i >> 6; // ⌊n/64⌋
  const half = e >> 1;
  return er * EXP2_FRACTION[i & 63] * EXP2_HALF[half + 540] * EXP2_HALF[e - half + 540];
}
