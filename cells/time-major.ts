/**
 * The layout kernels of the fused passes: sequences move between the
 * batch-major [B, T, ·] of tensors and the time-major [T, B, ·] in which the
 * rows of one step are contiguous (each step's matmul a plain gemm), and
 * inference walks the sequence in chunks of INFER_CHUNK steps.
 */
import type { FloatArray } from '../autograd/index.ts';

/**
 * Inference runs the sequence in chunks of this many timesteps: per chunk the
 * inputs are copied to time-major and projected by one gemm [C·B, D]×[D, G·H].
 * Big enough that this gemm is still large (the fast path), small enough that
 * the inference plans hold [C·B, ·] rows whatever T is: their size does not
 * grow with T (for T ≥ C). Training keeps the whole sequence (C = T).
 */
export const INFER_CHUNK = 32;

/** The chunk length C of an inference run over T steps: min(T, INFER_CHUNK). */
export function inferChunk(T: number): number {
  return Math.min(T, INFER_CHUNK);
}

/**
 * With t0 and steps, only the chunk of processing-order steps [t0, t0 + steps):
 * out[t − t0, b, :] = x[b, t', :].
 *
 * out[t, b, :] = x[b, t', :] with t' = t, or T−1−t when `reverse`:
 * [B, T, D] batch-major → [T, B, D] time-major in processing order.
 */
export function toTimeMajor<A extends FloatArray>(
  out: A, x: Readonly<FloatArray>, B: number, T: number, D: number, reverse: boolean, t0 = 0, steps = T,
): A {
  for (let b = 0; b < B; b++) {
    for (let t = t0; t < t0 + steps; t++) {
      const src = (b * T + (reverse ? T - 1 - t : t)) * D;
      const dst = ((t - t0) * B + b) * D;
      for (let d = 0; d < D; d++) out[dst + d] = x[src + d];
    }
  }
  return out;
}

/** Adds a time-major [T, B, D] gradient back into batch-major [B, T, D] (the inverse of toTimeMajor). */
export function addFromTimeMajor<A extends FloatArray>(out: A, xTM: Readonly<FloatArray>, B: number, T: number, D: number, reverse: boolean): A {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const dst = (b * T + (reverse ? T - 1 - t : t)) * D;
      const src = (t * B + b) * D;
      for (let d = 0; d < D; d++) out[dst + d] += xTM[src + d];
    }
  }
  return out;
}

/**
 * out[b, t, :] = src[t·B + b, start:start+width]: one column block of a
 * time-major [T·B, cols] buffer as batch-major [B, T, width] (the step order is kept).
 */
export function blockFromTimeMajor<A extends FloatArray>(out: A, src: Readonly<FloatArray>, B: number, T: number, cols: number, start: number, width: number): A {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = (t * B + b) * cols + start;
      const d = (b * T + t) * width;
      for (let j = 0; j < width; j++) out[d + j] = src[s + j];
    }
  }
  return out;
}
