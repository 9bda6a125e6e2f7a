/**
 * Weight initializers with the Keras defaults, drawn from the seeded
 * generator: glorot-uniform kernels, orthogonal recurrent kernels, zero biases.
 */
import { Tensor, allocate, normal, uniform, type DType } from '../autograd/index.ts';
import type { CellWeights } from './common.ts';

export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'ones' | 'randomUniform';

/** How a cell's weights start (Keras defaults: glorot-uniform W, orthogonal U, zero b, float32). */
export interface CellInitOptions {
  useBias?: boolean;
  dtype?: DType;
  kernelInitializer?: InitializerName;
  recurrentInitializer?: InitializerName;
  biasInitializer?: InitializerName;
}

/**
 * W [D, G·H], U [H, G·H] and a bias, drawn in Keras's order (kernel,
 * recurrent kernel, bias), each requiring a gradient. The bias is
 * `biasOf(biasInitializer, dtype)` (default: [G·H] from the initializer), or
 * null without `useBias`.
 */
export function initCellWeights(
  D: number, H: number, gates: number, options: CellInitOptions = {},
  biasOf: (initializer: InitializerName, dtype: DType) => Tensor = (init, dtype) => initialize(init, [gates * H], dtype),
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

/** U(−l, l) with l = √(6 / (fanIn + fanOut)); for [rows, cols], fanIn = rows, fanOut = cols. */
export function glorotUniform(rows: number, cols: number, dtype: DType = 'float32'): Tensor {
  const limit = Math.sqrt(6 / (rows + cols));
  const data = allocate(dtype, rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = uniform(-limit, limit);
  return new Tensor(data, [rows, cols]);
}

/**
 * An orthogonal [rows, cols] matrix, as Keras makes it: QR of a Gaussian
 * matrix [max, min] (modified Gram-Schmidt, so diag(R) > 0 and no sign fix
 * is needed), transposed when rows < cols. For the recurrent kernel
 * [H, G·H] the H rows are orthonormal.
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

/** A tensor of `shape` from a named initializer. */
export function initialize(name: InitializerName, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const [rows, cols] = shape.length === 2 ? shape : [1, shape[0] ?? 1];
  switch (name) {
    case 'glorotUniform': return reshapeTo(glorotUniform(rows, cols, dtype), shape);
    case 'orthogonal': return reshapeTo(orthogonal(rows, cols, dtype), shape);
    case 'zeros': return new Tensor(allocate(dtype, rows * cols), shape);
    case 'ones': return new Tensor(allocate(dtype, rows * cols).fill(1), shape);
    case 'randomUniform': {
      const data = allocate(dtype, rows * cols);
      for (let i = 0; i < data.length; i++) data[i] = uniform(-0.05, 0.05);
      return new Tensor(data, shape);
    }
    default: throw new Error(`initializer '${String(name)}' is unknown; known: glorotUniform, orthogonal, zeros, ones, randomUniform`);
  }
}

function reshapeTo(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.data, shape);
}
