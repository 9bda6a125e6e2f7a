/**
 * Gradient clipping: the separate, visible step that an optimizer runs on the
 * parameters' `.grad` before it updates them. Every function works in place
 * on the gradients and skips parameters whose `grad` is null. The formulas
 * are Keras 3's (`keras/src/optimizers/base_optimizer.py`):
 *
 * - by value:       g ← clamp(g, −c, c), element by element;
 * - by norm:        g ← g · c / max(‖g‖, c), for each tensor on its own;
 * - by global norm: every g ← g · c / max(N, c), where N = √(Σ over all tensors of ‖g‖²).
 *
 * Norms are L2 norms, summed in double precision whatever the storage type.
 */
import type { FloatArray, Tensor } from '../autograd/index.ts';

/** Σ g[i]² of one gradient. */
function sumOfSquares(g: Readonly<FloatArray>): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/** The L2 norm of one gradient (or of any typed array). */
export function l2Norm(g: Readonly<FloatArray>): number {
  return Math.sqrt(sumOfSquares(g));
}

/** The L2 norm of all the gradients taken together, as if they were one long vector. */
export function globalGradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) if (p.grad !== null) s += sumOfSquares(p.grad);
  return Math.sqrt(s);
}

/** Clamps one gradient to [−clipvalue, clipvalue] in place and returns it. */
export function clipByValue<T extends FloatArray>(g: T, clipvalue: number): T {
  for (let i = 0; i < g.length; i++) {
    if (g[i] > clipvalue) g[i] = clipvalue;
    else if (g[i] < -clipvalue) g[i] = -clipvalue;
  }
  return g;
}

/**
 * Rescales one gradient in place so that its L2 norm is at most `clipnorm`,
 * and returns it: g ← g · clipnorm / max(‖g‖, clipnorm). A gradient already
 * inside the ball, a zero gradient included, keeps its values.
 */
export function clipByNorm<T extends FloatArray>(g: T, clipnorm: number): T {
  const norm = l2Norm(g);
  if (norm <= clipnorm) return g;
  const scale = clipnorm / norm;
  for (let i = 0; i < g.length; i++) g[i] *= scale;
  return g;
}

/** `clipByValue` on the gradient of every parameter that has one. */
export function clipGradsByValue(params: readonly Tensor[], clipvalue: number): void {
  for (const p of params) if (p.grad !== null) clipByValue(p.grad, clipvalue);
}

/** `clipByNorm` on the gradient of every parameter that has one, each tensor on its own. */
export function clipGradsByNorm(params: readonly Tensor[], clipnorm: number): void {
  for (const p of params) if (p.grad !== null) clipByNorm(p.grad, clipnorm);
}

/**
 * Rescales all the gradients by one common factor so that their global norm
 * is at most `clipnorm`; the direction of the whole update is kept. Returns
 * the global norm measured before clipping.
 *
 * As in Keras (and `tf.clip_by_global_norm`), a global norm that is infinite
 * or NaN makes every gradient NaN: a blow-up shows instead of being scaled
 * away to zeros.
 */
export function clipGradsByGlobalNorm(params: readonly Tensor[], clipnorm: number): number {
  const norm = globalGradNorm(params);
  if (norm <= clipnorm) return norm;
  const scale = Number.isFinite(norm) ? clipnorm / norm : NaN;
  for (const p of params) {
    const g = p.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}
