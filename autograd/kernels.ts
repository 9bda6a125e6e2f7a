/**
 * Plain kernels on typed arrays, outputs first, then inputs, then sizes;
 * each returns its output. The gemm lives in gemm.ts.
 */
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
