/**
 * The activations of the cells: each as a scalar function, a column-block
 * kernel for the fused passes, its derivative from the cached output, and an
 * autograd op for the reference step.
 *
 * Names, as Keras files write them (snake_case), and beside them the names
 * TF.js users write (`tf.layers.lstm({ recurrentActivation: 'hardSigmoid' })`):
 *
 *   tanh                                  tanh(x)
 *   sigmoid                               σ(x) = 1 / (1 + e⁻ˣ)
 *   relu                                  max(x, 0)
 *   linear                                x
 *   hard_sigmoid, or hardSigmoid          clip(0.2x + 0.5, 0, 1): TF.js's and Keras ≤ 2's hard_sigmoid
 *   hard_sigmoid_keras3                   relu6(x + 3) / 6: what Keras 3 computes under the name
 *                                         hard_sigmoid (model files are read with the one their origin means)
 *
 * tanh, sigmoid, relu and linear are spelt the same in both. An activation
 * reports its snake_case name whichever name chose it.
 *
 * Precision: in float64 σ and tanh take `expOf` (within 2 ulp of Math.exp).
 * A float32 pass stores every gate value as a float32, so there they take
 * `expm1Of32`, a shorter polynomial and one table lookup, good to 1.5e-11
 * relative, 4000 times below float32's own rounding (6e-8); a value can still
 * land on the other side of a float32 rounding boundary, one float32 ulp away.
 */
import { Tensor, expOf, type FloatArray } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';

export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hard_sigmoid' | 'hard_sigmoid_keras3';
/** The names TF.js users write where they differ from the snake_case ones; each means the activation it maps to. */
export type ActivationAlias = 'hardSigmoid';
export const ACTIVATION_ALIASES: Readonly<Record<ActivationAlias, ActivationName>> = { hardSigmoid: 'hard_sigmoid' };
/** An activation as a user may name it: the snake_case name or TF.js's camelCase one. */
export type ActivationSpec = ActivationName | ActivationAlias;

/** The snake_case name of an activation named either way (what layers keep and files hold); unknown names are left for `activation` to refuse. */
export function canonicalActivation(name: ActivationSpec | undefined): ActivationName | undefined {
  return name !== undefined && Object.hasOwn(ACTIVATION_ALIASES, name) ? ACTIVATION_ALIASES[name as ActivationAlias] : (name as ActivationName | undefined);
}

/** `options` with its activations under their snake_case names. */
export function canonicalActivations<T extends { activation?: ActivationSpec; recurrentActivation?: ActivationSpec }>(options: T): T {
  const out = { ...options };
  if (options.activation !== undefined) out.activation = canonicalActivation(options.activation);
  if (options.recurrentActivation !== undefined) out.recurrentActivation = canonicalActivation(options.recurrentActivation);
  return out;
}

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

/*
 * eˣ − 1 to float32 grade, for the float32 passes:
 *
 *   x = n·(ln 2)/64 + r, n = round(64x / ln 2), |r| ≤ (ln 2)/128
 *   eˣ − 1 = 2^(n/64) · (eʳ − 1) + (2^(n/64) − 1)
 *
 * eʳ − 1 is r + r²/2 + r³/6 + r⁴/24 (the next term, r⁵/120, is below 4e-14
 * for that r, so eˣ − 1 is within 1.5e-11 of itself even where it is
 * smallest with n ≠ 0, at |x| = (ln 2)/128), and 2^(n/64) one lookup in a
 * table over the clamped range. Taking eˣ − 1 rather than eˣ keeps tanh
 * accurate near 0, where 1 − 2/(1 + e²ᵛ) would lose its digits: tanh(v) = E / (E + 2) with E = e²ᵛ − 1, and σ(v) = 1 / (2 + e⁻ᵛ − 1).
 * x is clamped to ±EXP32_LIMIT: e⁻¹⁰⁴ is below half the smallest float32
 * (σ rounds to 0 there, as it should), e¹⁰⁴ makes σ and tanh exactly 0 or ±1,
 * and the table stays small (154 KB); NaN passes through.
 */
const EXP32_LIMIT = 104;
const EXP32_N = Math.ceil((EXP32_LIMIT * 64) / Math.LN2); // the largest |n|
/** 2^(n/64) for n = −EXP32_N … EXP32_N, at index n + EXP32_N. */
const EXP2_64THS = Float64Array.from({ length: 2 * EXP32_N + 1 }, (_, i) => 2 ** ((i - EXP32_N) / 64));
const ROUND = 1.5 * 2 ** 52; // adding and subtracting it rounds to an integer (Math.round is a slow call)

/** eˣ − 1 within 1.5e-11 relative, for x in [−104, 104] (clamped outside it); inlined by V8. */
export function expm1Of32(x: number): number {
  const v = x < -EXP32_LIMIT ? -EXP32_LIMIT : x > EXP32_LIMIT ? EXP32_LIMIT : x;
  const n = v * (64 / Math.LN2) + ROUND - ROUND;
  const r = v - n * (Math.LN2 / 64);
  const t = EXP2_64THS[(n | 0) + EXP32_N];
  return t * (r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24))))) + (t - 1);
}
const sigmoid32 = (v: number): number => 1 / (2 + expm1Of32(-v));
const tanh32 = (v: number): number => {
  const e = expm1Of32(2 * v);
  return e / (e + 2);
};
const relu = (v: number): number => (v > 0 ? v : 0);
const hardSigmoid = (v: number): number => Math.min(1, Math.max(0, 0.2 * v + 0.5));
const hardSigmoidKeras3 = (v: number): number => Math.min(1, Math.max(0, (v + 3) / 6));

// One column loop per activation, each calling its own f: V8 then inlines f into it (one loop taking f
// as an argument sees every f and inlines none; it was measured 40% slower).
type Columns = Activation['applyColumns'];
const tanhColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = tanh(x[i]); };
const sigmoidColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = sigmoid(x[i]); };
const tanh32Columns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = tanh32(x[i]); };
const sigmoid32Columns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = sigmoid32(x[i]); };
const reluColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = relu(x[i]); };
const linearColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = x[i]; };
const hardSigmoidColumns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = hardSigmoid(x[i]); };
const hardSigmoidKeras3Columns: Columns = (o, x, rows, cols, start, w) => { for (let r = 0; r < rows; r++) for (let i = r * cols + start, e = i + w; i < e; i++) o[i] = hardSigmoidKeras3(x[i]); };

/** σ and tanh take their float32 form where the output is float32. */
function byDtype(f32: Columns, f64: Columns): Columns {
  return (o, x, rows, cols, start, w) => (o instanceof Float32Array ? f32 : f64)(o, x, rows, cols, start, w);
}

export const ACTIVATIONS: Readonly<Record<ActivationName, Activation>> = {
  tanh: { name: 'tanh', apply: tanh, derivative: (y) => 1 - y * y, op: ops.tanh, applyColumns: byDtype(tanh32Columns, tanhColumns) },
  sigmoid: { name: 'sigmoid', apply: sigmoid, derivative: (y) => y * (1 - y), op: ops.sigmoid, applyColumns: byDtype(sigmoid32Columns, sigmoidColumns) },
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

/** The activation a cell's option names (snake_case or its TF.js alias); `fallback` when absent. */
export function activation(cell: string, argument: string, name: ActivationName | ActivationAlias | undefined, fallback: ActivationName): Activation {
  const key = name ?? fallback;
  const a = Object.hasOwn(ACTIVATIONS, key) ? ACTIVATIONS[key as ActivationName]
    : Object.hasOwn(ACTIVATION_ALIASES, key) ? ACTIVATIONS[ACTIVATION_ALIASES[key as ActivationAlias]] : undefined;
  if (!a) {
    const known = [...Object.keys(ACTIVATIONS), ...Object.keys(ACTIVATION_ALIASES)].join(', ');
    throw new Error(`${cell}: ${argument} '${String(name)}' is unknown; known: ${known}`);
  }
  return a;
}
