/**
 * Weight initializers with Keras's formulas, every number drawn from the
 * seeded generator (autograd/random.ts). The cells' defaults are Keras's:
 * glorot-uniform kernels, orthogonal recurrent kernels, zero biases.
 *
 * Fans follow Keras's `compute_fans`: a shape [] has fan_in = fan_out = 1,
 * [n] has n and n, [rows, cols] has rows and cols, and a longer shape
 * multiplies the last two by the product of the others (the receptive field).
 * Variance scaling divides `scale` by fan_in, fan_out or their mean (at
 * least 1), then draws from
 *
 *   truncated_normal     N(0, σ²) redrawn beyond 2σ, σ = √scale / 0.87962566103423978
 *                        (so that the standard deviation after truncation is √scale)
 *   untruncated_normal   N(0, scale)
 *   uniform              U(−√(3·scale), √(3·scale))
 *
 * GlorotUniform is scale 1, fan_avg, uniform: U(−l, l) with l = √(6 / (fan_in + fan_out)).
 */
import { Tensor, allocate, normal, uniform, type DType, type FloatArray } from '../autograd/index.ts';
import type { CellWeights } from './common.ts';

/** Anything that makes a starting tensor for a weight of a given shape. */
export interface Initializer {
  /** A new tensor of `shape` and `dtype`, its values drawn now. */
  apply(shape: readonly number[], dtype: DType): Tensor;
}

/** The initializers the cells know by name. */
export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'ones' | 'randomUniform';

/** A named initializer or an initializer object. */
export type CellInitializer = InitializerName | Initializer;

/** How a cell's weights start (Keras defaults: glorot-uniform W, orthogonal U, zero b, float32). */
export interface CellInitOptions {
  useBias?: boolean;
  dtype?: DType;
  kernelInitializer?: CellInitializer;
  recurrentInitializer?: CellInitializer;
  biasInitializer?: CellInitializer;
}

/**
 * W [D, G·H], U [H, G·H] and a bias, drawn in Keras's order (kernel,
 * recurrent kernel, bias), each requiring a gradient. The bias is
 * `biasOf(biasInitializer, dtype)` (default: [G·H] from the initializer), or
 * null without `useBias`.
 */
export function initCellWeights(
  D: number, H: number, gates: number, options: CellInitOptions = {},
  biasOf: (initializer: CellInitializer, dtype: DType) => Tensor = (init, dtype) => initialize(init, [gates * H], dtype),
): CellWeights {
  const {
    useBias = true, dtype = 'float32',
    kernelInitializer = 'glorotUniform', recurrentInitializer = 'orthogonal', biasInitializer = 'zeros',
  } = options;
  const kernel = initialize(kernelInitializer, [D, gates * H], dtype);
  const recurrentKernel = initialize(recurrentInitializer, [H, gates * H], dtype);
  const bias = useBias ? biasOf(biasInitializer, dtype) : null;
  for (const t of [kernel, recurrentKernel, bias]) if (t) t.requiresGrad = true;
  return { kernel, recurrentKernel, bias };
}

/** Keras's (fan_in, fan_out) of a weight of `shape`; see the file comment. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  let field = 1;
  for (const d of shape.slice(0, -2)) field *= d;
  return [shape[shape.length - 2] * field, shape[shape.length - 1] * field];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Fills `data` with U(lo, hi). */
export function fillUniform(data: FloatArray, lo: number, hi: number): FloatArray {
  for (let i = 0; i < data.length; i++) data[i] = uniform(lo, hi);
  return data;
}

/** Fills `data` with N(mean, stddev²). */
export function fillNormal(data: FloatArray, mean: number, stddev: number): FloatArray {
  for (let i = 0; i < data.length; i++) data[i] = mean + stddev * normal();
  return data;
}

/** Fills `data` with N(mean, stddev²), each draw more than 2·stddev from the mean drawn again (Keras's TruncatedNormal). */
export function fillTruncatedNormal(data: FloatArray, mean: number, stddev: number): FloatArray {
  for (let i = 0; i < data.length; i++) {
    let z = normal();
    while (Math.abs(z) > 2) z = normal();
    data[i] = mean + stddev * z;
  }
  return data;
}

/** The standard deviation of a standard normal truncated to (−2, 2), by which Keras divides to undo the truncation. */
export const TRUNCATED_STDDEV = 0.87962566103423978;

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Keras's VarianceScaling draw; see the file comment. */
export function varianceScaling(shape: readonly number[], dtype: DType, scale: number, mode: FanMode, distribution: Distribution): Tensor {
  const [fanIn, fanOut] = computeFans(shape);
  const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
  const fan = Math.max(1, n);
  const data = allocate(dtype, sizeOf(shape));
  if (distribution === 'truncated_normal') fillTruncatedNormal(data, 0, Math.sqrt(scale / fan) / TRUNCATED_STDDEV);
  else if (distribution === 'untruncated_normal') fillNormal(data, 0, Math.sqrt(scale / fan));
  else {
    const limit = Math.sqrt((3 * scale) / fan);
    fillUniform(data, -limit, limit);
  }
  return new Tensor(data, shape);
}

/**
 * An orthogonal [rows, cols] matrix, as Keras makes it: QR of a Gaussian
 * matrix [max, min] (modified Gram-Schmidt, so diag(R) > 0 and no sign fix
 * is needed), transposed when rows < cols, times `gain`. For the recurrent
 * kernel [H, G·H] the H rows are orthonormal.
 */
export function orthogonal(rows: number, cols: number, dtype: DType = 'float32', gain = 1): Tensor {
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  // q: `short` columns of length `long`, stored column by column.
  const q = new Float64Array(long * short);
  for (let i = 0; i < q.length; i++) q[i] = normal();
  for (let j = 0; j < short; j++) {
    const col = q.subarray(j * long, (j + 1) * long);
    for (let p = 0; p < j; p++) {
      const prev = q.subarray(p * long, (p + 1) * long);
      let dot = 0;
      for (let i = 0; i < long; i++) dot += prev[i] * col[i];
      for (let i = 0; i < long; i++) col[i] -= dot * prev[i];
    }
    let norm = 0;
    for (let i = 0; i < long; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < long; i++) col[i] /= norm;
  }
  // Q is [long, short] with orthonormal columns; the result is Q (rows ≥ cols) or Qᵀ.
  const data = allocate(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      data[r * cols + c] = gain * (rows >= cols ? q[c * long + r] : q[r * long + c]);
    }
  }
  return new Tensor(data, [rows, cols]);
}

/** Keras's Orthogonal on any shape of rank ≥ 2: the matrix [product of all but the last, last], reshaped. */
export function orthogonalOf(shape: readonly number[], dtype: DType, gain: number): Tensor {
  if (shape.length < 2) throw new Error(`Orthogonal initializer: needs a shape of rank 2 or more, got [${shape.join(', ')}]`);
  const cols = shape[shape.length - 1];
  return new Tensor(orthogonal(sizeOf(shape) / cols, cols, dtype, gain).data, shape);
}

/** `gain` times the identity [rows, cols] (ones on the main diagonal, as Keras's `eye(rows, cols)`). */
export function identity(shape: readonly number[], dtype: DType, gain: number): Tensor {
  if (shape.length !== 2) throw new Error(`Identity initializer: needs a 2D shape [rows, cols], got [${shape.join(', ')}]`);
  const [rows, cols] = shape;
  const data = allocate(dtype, rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) data[i * cols + i] = gain;
  return new Tensor(data, shape);
}

/** A tensor of `shape` filled with `value`. */
export function constant(shape: readonly number[], dtype: DType, value: number): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)).fill(value), shape);
}

/** A tensor of `shape` from a named initializer or an initializer object. */
export function initialize(init: CellInitializer, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  if (typeof init === 'object' && init !== null) return init.apply(shape, dtype);
  switch (init) {
    case 'glorotUniform': return varianceScaling(shape, dtype, 1, 'fan_avg', 'uniform');
    case 'orthogonal': return orthogonalOf(shape, dtype, 1);
    case 'zeros': return constant(shape, dtype, 0);
    case 'ones': return constant(shape, dtype, 1);
    case 'randomUniform': return new Tensor(fillUniform(allocate(dtype, sizeOf(shape)), -0.05, 0.05), shape);
    default: throw new Error(`initializer '${String(init)}' is unknown; known: glorotUniform, orthogonal, zeros, ones, randomUniform, or an initializer object`);
  }
}
