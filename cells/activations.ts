/**
 * The activations of the cells: each as a scalar function, a column-block
 * kernel for the fused passes, its derivative from the cached output, and an
 * autograd op for the reference step.
 */
import { Tensor, expOf, type FloatArray } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';

/**
 * `hard_sigmoid` is clip(0.2x + 0.5, 0, 1), as TF.js and Keras ≤ 2 compute it;
 * `hard_sigmoid_keras3` is relu6(x + 3) / 6, what Keras 3 computes under the
 * name hard_sigmoid. Model files are read with the one their origin means.
 */
export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hard_sigmoid' | 'hard_sigmoid_keras3';


export interface Activation {
  name: ActivationName;
  /** y = f(x). */
  apply: (x: number) => number;
  /**
   * out[r, c] = f(x[r, c]) over the column block start ≤ c < start + width of
   * every row r < rows; out and x are both [rows, cols] and may be the same
   * array (a gate block of z [B, G·H], in place). The gate loops take their
   * activations block by block through this: each applyColumns holds one
   * call of f, which V8 then inlines with the expOf inside it; a loop calling
   * `apply` at five places exceeds V8's inlining budget and calls some of them.
   */
  applyColumns: (out: FloatArray, x: Readonly<FloatArray>, rows: number, cols: number, start: number, width: number) => void;
  /** f'(x) written from the output y, so the backward needs only cached outputs. */
  derivative: (y: number) => number;
  /** The same function as an autograd op, for the reference step. */
  op: (x: Tensor) => Tensor;
}

// σ and tanh each take one exponential, expOf, which V8 inlines (Math.exp and
// Math.tanh are calls out of line): each is about 3× faster (σ 16 → 5 ns, tanh 17 → 6 ns).
/** σ(v) = 1 / (1 + e⁻ᵛ). For v < −709, e⁻ᵛ = ∞ and σ = 0: one form serves every v. */
const sigmoid = (v: number): number => 1 / (1 + expOf(-v));
/** tanh(v) = 1 − 2 / (1 + e²ᵛ): within 2⁻⁵¹ of Math.tanh (absolute), exactly ±1 for large |v|. */
const tanh = (v: number): number => 1 - 2 / (1 + expOf(2 * v));
const relu = (v: number): number => (v > 0 ? v : 0);
const hardSigmoid = (v: number): number => Math.min(1, Math.max(0, 0.2 * v + 0.5));
const hardSigmoidKeras3 = (v: number): number => Math.min(1, Math.max(0, (v + 3) / 6));

// One column loop per activation, each calling its own f: V8 then inlines f into it (one loop taking f
// as an argument sees every f and inlines none; it was measured 40% slower).
type Columns = Activation['applyColumns'];
const tanhColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = tanh(x[i]); };
const sigmoidColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = sigmoid(x[i]); };
const reluColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = relu(x[i]); };
const linearColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = x[i]; };
const hardSigmoidColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = hardSigmoid(x[i]); };
const hardSigmoidKeras3Columns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = hardSigmoidKeras3(x[i]); };

export const ACTIVATIONS: Readonly<Record<ActivationName, Activation>> = {
  tanh: { name: 'tanh', apply: tanh, derivative: (y) => 1 - y * y, op: ops.tanh, applyColumns: tanhColumns },
  sigmoid: { name: 'sigmoid', apply: sigmoid, derivative: (y) => y * (1 - y), op: ops.sigmoid, applyColumns: sigmoidColumns },
  relu: { name: 'relu', apply: relu, derivative: (y) => (y > 0 ? 1 : 0), op: ops.relu, applyColumns: reluColumns },
  linear: { name: 'linear', apply: (v) => v, derivative: () => 1, op: (x) => x, applyColumns: linearColumns },
  hard_sigmoid: {
    name: 'hard_sigmoid', apply: hardSigmoid, derivative: (y) => (y > 0 && y < 1 ? 0.2 : 0), op: (x) => hardSigmoidOp(x), applyColumns: hardSigmoidColumns,
  },
  hard_sigmoid_keras3: {
    name: 'hard_sigmoid_keras3', apply: hardSigmoidKeras3, derivative: (y) => (y > 0 && y < 1 ? 1 / 6 : 0), op: (x) => hardSigmoidKeras3Op(x),
    applyColumns: hardSigmoidKeras3Columns,
  },
};

function hardSigmoidKeras3Op(x: Tensor): Tensor {
  // relu6(x + 3) / 6 = (relu(x + 3) − relu(x − 3)) / 6
  return ops.mulScalar(ops.sub(ops.relu(ops.addScalar(x, 3)), ops.relu(ops.addScalar(x, -3))), 1 / 6);
}

function hardSigmoidOp(x: Tensor): Tensor {
  // clip(0.2x + 0.5, 0, 1) = relu(0.2x + 0.5) − relu(0.2x − 0.5)
  const s = ops.mulScalar(x, 0.2);
  return ops.sub(ops.relu(ops.addScalar(s, 0.5)), ops.relu(ops.addScalar(s, -0.5)));
}

export function activation(cell: string, argument: string, name: ActivationName | undefined, fallback: ActivationName): Activation {
  const a = ACTIVATIONS[name ?? fallback];
  if (!a) {
    throw new Error(`${cell}: ${argument} '${String(name)}' is unknown; known: ${Object.keys(ACTIVATIONS).join(', ')}`);
  }
  return a;
}
