/**
 * Plain kernels on typed arrays, outputs first, then inputs, then sizes;
 * each returns its output. The gemm lives in gemm.ts.
 */
import { gemm } from './gemm.ts';
import type { FloatArray } from './tensor.ts';

export { gemm, gemmNaive } from './gemm.ts';

/** out[r, c] += row[c] for every row r of a [rows, cols] matrix. */
export function addRow<T extends FloatArray>(out: T, row: Readonly<FloatArray>, rows: number, cols: number): T {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[base + c] += row[c];
  }
  return out;
}

/** out[c] += Σ_r x[r, c]: column sums of a [rows, cols] matrix (bias gradients). */
export function sumRows<T extends FloatArray>(out: T, x: Readonly<FloatArray>, rows: number, cols: number): T {
  for (let r = 0; r < rows; r++) {
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

/** out [rows, width] = a[:, start:start+width] of a [rows, cols]. */
export function takeColumns<T extends FloatArray>(out: T, a: Readonly<FloatArray>, rows: number, cols: number, start: number, width: number): T {
  for (let r = 0; r < rows; r++) {
    const src = r * cols + start;
    const dst = r * width;
    for (let c = 0; c < width; c++) out[dst + c] = a[src + c];
  }
  return out;
}

/** out[:, start:start+width] = a [rows, width], out [rows, cols]. */
export function putColumns<T extends FloatArray>(out: T, a: Readonly<FloatArray>, rows: number, cols: number, start: number, width: number): T {
  for (let r = 0; r < rows; r++) {
    const dst = r * cols + start;
    const src = r * width;
    for (let c = 0; c < width; c++) out[dst + c] = a[src + c];
  }
  return out;
}

/** out[:, start:start+width] += a [rows, width], out [rows, cols]. */
export function addColumns<T extends FloatArray>(out: T, a: Readonly<FloatArray>, rows: number, cols: number, start: number, width: number): T {
  for (let r = 0; r < rows; r++) {
    const dst = r * cols + start;
    const src = r * width;
    for (let c = 0; c < width; c++) out[dst + c] += a[src + c];
  }
  return out;
}

/**
 * out[:, start:start+width] += aᵀ · g[:, start:start+width]: a [R, K], g [R, C], out [K, C].
 * The block of g is copied to gBlock [R, width] and the product formed in
 * outBlock [K, width], unless the block is all of g (then one gemm, no copy).
 */
export function addBlockProduct<T extends FloatArray>(
  out: T, gBlock: FloatArray, outBlock: FloatArray, a: Readonly<FloatArray>, g: Readonly<FloatArray>,
  R: number, K: number, C: number, start: number, width: number,
): T {
  if (width === C) return gemm(out, a, g, K, R, C, true, false, true);
  takeColumns(gBlock, g, R, C, start, width);
  gemm(outBlock, a, gBlock, K, R, width, true);
  return addColumns(out, outBlock, K, C, start, width);
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
