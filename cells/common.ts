/**
 * What the cells and the driver share: the sequence options and results,
 * input validation, activations, dropout masks, the workspace that holds each
 * fused pass's buffer plan, time-major layout kernels, the traces, the
 * gradient probe, and the reference loop that runs a cell's autograd `step`
 * over a whole sequence.
 *
 * Letters used for shapes in every cell file:
 *   B batch, T timesteps, D input features, H units, G gate blocks
 *   (SimpleRNN 1, GRU 3, LSTM 4).
 *
 * Inside the fused passes sequences are time-major ([T, B, ·]) so that the
 * rows of one step are contiguous and each step's matmul is a plain gemm.
 */
import {
  Tensor, allocate, concat, expOf, formatShape, gradOf, mulMask, packRight, reshape, slice, random,
  type DType, type FloatArray, type GemmOptions, type PackedRight,
} from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';

// ---------------------------------------------------------------- weights and options

/** A cell's parameters in the Keras layout. */
export interface CellWeights {
  /** W: [D, G·H], gate blocks side by side along the last axis. */
  kernel: Tensor;
  /** U: [H, G·H]. */
  recurrentKernel: Tensor;
  /** b: [G·H] (GRU resetAfter: [2, 3H]); null when the layer has no bias. */
  bias: Tensor | null;
}

/**
 * `hard_sigmoid` is clip(0.2x + 0.5, 0, 1), as TF.js and Keras ≤ 2 compute it;
 * `hard_sigmoid_keras3` is relu6(x + 3) / 6, what Keras 3 computes under the
 * name hard_sigmoid. Model files are read with the one their origin means.
 */
export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hard_sigmoid' | 'hard_sigmoid_keras3';

/**
 * Inverted-dropout masks, one per gate block. Kept entries hold 1/(1 − rate),
 * dropped entries 0. `input[g]` is [B, D], `recurrent[g]` is [B, H]. When one
 * mask serves every gate, the array holds the same mask G times.
 */
export interface DropoutMasks {
  input: FloatArray[] | null;
  recurrent: FloatArray[] | null;
}

export interface SequenceOptions {
  /** [h0] (and [h0, c0] for LSTM), each [B, H]; zeros when absent. */
  initialState?: readonly Tensor[];
  /** Return all outputs [B, T, H] instead of the last [B, H]. */
  returnSequences?: boolean;
  /** Process the sequence from its last step to its first (outputs in processing order, as Keras). */
  goBackwards?: boolean;
  /** [B, T] in input order: 1 runs the step, 0 carries the state over and repeats the previous output. */
  mask?: Readonly<FloatArray> | null;
  /** Fixed dropout masks (drawn by `drawDropoutMasks`); absent at inference. */
  dropoutMasks?: DropoutMasks | null;
  /** Activation of the candidate / output (default tanh). */
  activation?: ActivationName;
  /** Activation of the gates (default sigmoid). */
  recurrentActivation?: ActivationName;
  /** Holds the buffer plans of the fused pass; one per layer. A fresh one is used when absent. */
  workspace?: Workspace;
  /** Filled by the hand-written backward, to see how gradients flow through time. */
  gradientProbe?: GradientProbe | null;
}

/**
 * Per-step gradient norms written by a cell's fused backward, in processing
 * order (step 0 is the first step processed). Each array has length T. Every
 * backward overwrites them (norms do not add up over passes); a forward that
 * records nothing (inference) and the reference loop leave them untouched.
 * Absent, it costs nothing but one null check per step.
 */
export interface GradientProbe {
  /**
   * ‖∂L/∂h_t‖, the Frobenius norm over batch and units of the whole gradient
   * reaching the state that step t computed: from step t+1 (dhNext) plus
   * from the output at t (and from later masked steps that repeated it) — the
   * dh the backward holds at step t before it goes through the gates. Where a
   * sample's mask is 0 at step t that sample adds nothing: the step's result
   * was not kept, and the gradient passes by it to the carried state.
   */
  hGradNorm: Float64Array;
  /**
   * ‖∂L/∂x_t‖, the norm over batch and features of the gradient reaching the
   * input of step t (through its dropout mask: ∂L/∂x, not ∂L/∂(x ⊙ m)). Taken
   * even when x requires no gradient.
   */
  xGradNorm: Float64Array;
}

export interface SequenceResult {
  /** [B, T, H] with returnSequences, else [B, H]. */
  output: Tensor;
  /** The final states: [h] or [h, c], each [B, H]. */
  states: Tensor[];
}

// ---------------------------------------------------------------- activations

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

// ---------------------------------------------------------------- validation

export interface SequenceDims {
  B: number;
  T: number;
  D: number;
  H: number;
}

/**
 * Checks the input, weights, mask and initial states of a cell call and
 * returns the dimensions. `gates` is G, `states` the number of state tensors,
 * `biasShape` the shape of the bias the cell takes.
 */
export function checkSequence(
  cell: string, x: Tensor, w: CellWeights, options: SequenceOptions,
  gates: number, states: number, biasShape: readonly number[],
): SequenceDims {
  if (x.rank !== 3) {
    throw new Error(`${cell}: input must be [batch, timesteps, features], got shape ${formatShape(x.shape)}`);
  }
  const [B, T, D] = x.shape;
  if (B === 0 || T === 0) {
    throw new Error(`${cell}: input ${formatShape(x.shape)} has no samples or no timesteps`);
  }
  const W = w.kernel.shape;
  const U = w.recurrentKernel.shape;
  if (U.length !== 2 || U[0] * gates !== U[1]) {
    throw new Error(`${cell}: recurrentKernel must be [H, ${gates === 1 ? 'H' : `${gates}H`}], got ${formatShape(U)}`);
  }
  const H = U[0];
  if (W.length !== 2 || W[1] !== gates * H) {
    throw new Error(`${cell}: kernel must be [D, ${gates}H] = [D, ${gates * H}], got ${formatShape(W)}`);
  }
  if (W[0] !== D) {
    throw new Error(`${cell}: input has ${D} features (shape ${formatShape(x.shape)}) but the kernel expects ${W[0]} (kernel ${formatShape(W)})`);
  }
  if (w.bias && formatShape(w.bias.shape) !== formatShape(biasShape)) {
    throw new Error(`${cell}: bias must be ${formatShape(biasShape)}, got ${formatShape(w.bias.shape)}`);
  }
  for (const t of [w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : [])]) {
    if (t.dtype !== x.dtype) {
      throw new Error(`${cell}: weights are ${t.dtype} but the input ${formatShape(x.shape)} is ${x.dtype}`);
    }
  }
  const mask = options.mask;
  if (mask) {
    if (mask.length !== B * T) {
      throw new Error(`${cell}: mask must be [B, T] = [${B},${T}] (${B * T} values), got ${mask.length} values`);
    }
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== 0 && mask[i] !== 1) {
        throw new Error(`${cell}: mask values must be 0 or 1, got ${mask[i]} at [${Math.floor(i / T)},${i % T}] of [${B},${T}]`);
      }
    }
  }
  const init = options.initialState;
  if (init) {
    if (init.length !== states) {
      throw new Error(`${cell}: initialState must hold ${states} tensor(s) of shape [${B},${H}], got ${init.length}`);
    }
    for (const s of init) {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H) {
        throw new Error(`${cell}: initialState must be [B, H] = [${B},${H}], got ${formatShape(s.shape)}`);
      }
      if (s.dtype !== x.dtype) throw new Error(`${cell}: initialState is ${s.dtype} but the input is ${x.dtype}`);
    }
  }
  const probe = options.gradientProbe;
  if (probe && (probe.hGradNorm.length !== T || probe.xGradNorm.length !== T)) {
    throw new Error(`${cell}: gradientProbe arrays must have length T = ${T}, got hGradNorm ${probe.hGradNorm.length}, xGradNorm ${probe.xGradNorm.length}`);
  }
  const masks = options.dropoutMasks;
  if (masks) {
    for (const [which, list, width] of [['input', masks.input, D], ['recurrent', masks.recurrent, H]] as const) {
      if (!list) continue;
      if (list.length !== gates || list.some((m) => m.length !== B * width)) {
        const got = list.map((m) => m.length).join(', ');
        throw new Error(`${cell}: ${which} dropout masks must be ${gates} array(s) of [B, ${which === 'input' ? 'D' : 'H'}] = [${B},${width}] (${B * width} values); got ${list.length} of lengths ${got}`);
      }
    }
  }
  return { B, T, D, H };
}

// ---------------------------------------------------------------- dropout

function checkRate(cell: string, argument: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new Error(`${cell}: ${argument} must be in [0, 1), got ${rate}`);
  }
}

function inverted(n: number, rate: number, dtype: DType): FloatArray {
  const m = allocate(dtype, n);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) m[i] = random() < rate ? 0 : keep;
  return m;
}

/**
 * Draws the masks of one batch from the seeded generator, as Keras 2 does:
 * with recurrentDropout > 0 each of the G gate blocks gets its own input mask
 * and its own state mask; with only dropout > 0 one input mask serves every gate.
 */
export function drawDropoutMasks(
  cell: string, B: number, D: number, H: number, gates: number,
  dropout: number, recurrentDropout: number, dtype: DType = 'float32',
): DropoutMasks {
  checkRate(cell, 'dropout', dropout);
  checkRate(cell, 'recurrentDropout', recurrentDropout);
  const perGate = recurrentDropout > 0;
  let input: FloatArray[] | null = null;
  if (dropout > 0) {
    if (perGate) input = Array.from({ length: gates }, () => inverted(B * D, dropout, dtype));
    else input = new Array<FloatArray>(gates).fill(inverted(B * D, dropout, dtype));
  }
  const recurrent = perGate ? Array.from({ length: gates }, () => inverted(B * H, recurrentDropout, dtype)) : null;
  return { input, recurrent };
}

// ---------------------------------------------------------------- the workspace

/**
 * Holds the buffer plans of one layer's fused passes. A plan is one
 * allocation cut into named views, made once per (name, dtype, sizes) and
 * reused while they stay the same. `allocations` counts how many plans were
 * made (the specs use it to show that repeated calls allocate nothing);
 * `sizesOf` shows the sizes of the plan a name holds now. `blocks` cuts a
 * plan buffer into per-step (or per-gate) views once, for the time loops.
 *
 * A workspace serves one training pass at a time: a training forward calls
 * `begin()` and keeps its ticket; a backward holding an older ticket than
 * `current` throws instead of reading buffers a later forward has
 * overwritten. Inference passes use plans of their own and take no ticket.
 */
export class Workspace {
  allocations = 0;
  current = 0;
  /** The latest plan per name and dtype; a new shape replaces it (so varying lengths do not pile up plans). */
  private readonly plans = new Map<string, { signature: string; sizes: Readonly<Record<string, number>>; views: Record<string, FloatArray> }>();
  /** The block views made from each plan buffer, per layout; they go with their buffer. */
  private readonly blockViews = new WeakMap<FloatArray, Map<string, FloatArray[]>>();
  /** The storage of the packed operands, and of the float64 buffers, per name. */
  private readonly packs = new Map<string, PackedRight>();
  private readonly wide = new Map<string, Float64Array>();

  begin(): number {
    return ++this.current;
  }

  check(ticket: number, cell: string): void {
    if (ticket !== this.current) {
      throw new Error(`${cell}: backward of an earlier forward pass; its workspace has since been reused by another forward`);
    }
  }

  plan<K extends string>(name: string, dtype: DType, sizes: Readonly<Record<K, number>>): Record<K, FloatArray> {
    const keys = Object.keys(sizes) as K[];
    const key = `${name}:${dtype}`;
    const signature = keys.map((k) => `${k}=${sizes[k]}`).join(',');
    const found = this.plans.get(key);
    if (found && found.signature === signature) return found.views as Record<K, FloatArray>;
    let total = 0;
    for (const k of keys) total += sizes[k];
    const block = allocate(dtype, total);
    const views = {} as Record<K, FloatArray>;
    let offset = 0;
    for (const k of keys) {
      views[k] = block.subarray(offset, offset + sizes[k]);
      offset += sizes[k];
    }
    this.plans.set(key, { signature, sizes: Object.freeze({ ...sizes }), views });
    this.allocations++;
    return views;
  }

  /**
   * op(b) [k, n] packed for gemmPacked (b and the options as for packRight),
   * in storage kept under `name` and reused while it is large enough: the
   * recurrent kernel, packed once per pass instead of at every step.
   */
  pack(name: string, b: Readonly<FloatArray>, k: number, n: number, options: GemmOptions = {}): PackedRight {
    const packed = packRight(b, k, n, options, this.packs.get(name) ?? null);
    this.packs.set(name, packed);
    return packed;
  }

  /**
   * A Float64Array of n numbers kept under `name` whatever the plan's dtype
   * (reused while it is large enough; counted with the packs, not the plans):
   * values a pass goes on computing with, as it would with a local.
   */
  float64(name: string, n: number): Float64Array {
    let a = this.wide.get(name);
    if (!a || a.length < n) this.wide.set(name, (a = new Float64Array(n)));
    return a.subarray(0, n);
  }

  /** The sizes (numbers per view) of the plan held under this name and dtype, or null when there is none. */
  sizesOf(name: string, dtype: DType): Readonly<Record<string, number>> | null {
    return this.plans.get(`${name}:${dtype}`)?.sizes ?? null;
  }

  /**
   * `count` views of `size` numbers of a plan buffer, the i-th starting at
   * offset + i·stride (stride 0: every view is the same numbers). Made on the
   * first call per buffer and layout and then reused, so that the time loops
   * index views instead of creating them.
   */
  blocks(buffer: FloatArray, count: number, size: number, stride = size, offset = 0): FloatArray[] {
    let byLayout = this.blockViews.get(buffer);
    if (!byLayout) this.blockViews.set(buffer, (byLayout = new Map()));
    const key = `${count}:${size}:${stride}:${offset}`;
    let list = byLayout.get(key);
    if (!list) {
      list = Array.from({ length: count }, (_, i) => buffer.subarray(offset + i * stride, offset + i * stride + size));
      byLayout.set(key, list);
    }
    return list;
  }
}

// ---------------------------------------------------------------- layout kernels

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

// ---------------------------------------------------------------- traces

/*
 * The trace (`traceSequence` in sequence.ts) runs a cell's fused forward on
 * its training plan, records nothing, and returns the per-step values it
 * cached, each [B, T, H] in processing order (like the outputs):
 *
 * - gate values (LSTM i, f, g, o; GRU z, r, hh) are what step t computed,
 *   also where a sample's mask is 0 and the step's result was not kept;
 * - the states (h; LSTM also c) are the carried states after step t: where
 *   the mask is 0 they repeat the state before (h0, c0 before the first step).
 *
 * So the traced h equals the output wherever the output is set, that is
 * everywhere except before a sample's first unmasked step, where the output
 * is zero and h is still h0.
 */

/** One traced value [B, T, H]: columns start … start+H of a time-major cache [T·B, cols]. */
export function traced(source: Readonly<FloatArray>, cols: number, start: number, { B, T, H }: SequenceDims, dtype: DType): Tensor {
  return new Tensor(blockFromTimeMajor(allocate(dtype, B * T * H), source, B, T, cols, start, H), [B, T, H]);
}

// ---------------------------------------------------------------- the tape node

/** The tensors a fused call reads, in the tape's order: x, W, U, b when present, then the initial states. */
export function sequenceInputs(x: Tensor, w: CellWeights, options: SequenceOptions): Tensor[] {
  return [x, w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : []), ...(options.initialState ?? [])];
}

/** Where a fused backward adds its gradients (`+=`); null for inputs that want none. */
export interface SequenceGrads {
  x: FloatArray | null; // [B, T, D]
  W: FloatArray | null; // [D, G·H]
  U: FloatArray | null; // [H, G·H]
  b: FloatArray | null; // the bias's shape
  /** Of the initial states [h0] or [h0, c0], [B, H] each (empty without initial states). */
  initial: Array<FloatArray | null>;
}

/** The gradient buffers of the inputs that require one (allocated when the backward runs). */
export function sequenceGrads(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceGrads {
  const want = (t: Tensor | null | undefined): FloatArray | null => (t && t.requiresGrad ? gradOf(t) : null);
  return { x: want(x), W: want(w.kernel), U: want(w.recurrentKernel), b: want(w.bias), initial: (options.initialState ?? []).map(want) };
}

// ---------------------------------------------------------------- the reference loop

/**
 * One timestep of a cell written with autograd ops.
 * x: [B, D]; states: [h] or [h, c], each [B, H]. Returns the new states (h first).
 */
export type StepFunction = (x: Tensor, states: readonly Tensor[]) => Tensor[];

/** What a cell's reference step takes besides x, the states and the weights. */
export interface StepOptions {
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  /** Dropout masks, one per gate block: input[g] [B, D], recurrent[g] [B, H]. */
  masks?: DropoutMasks | null;
}

export interface ReferenceResult extends SequenceResult {
  /**
   * [B, H] per step in processing order: the h that step t computed, before
   * masking blends it with the carried state. After a backward their `.grad`
   * is ∂L/∂h_t as GradientProbe.hGradNorm defines it.
   */
  hSteps: Tensor[];
}

/**
 * Runs `step` over a sequence with autograd ops: the readable reference the
 * fused passes are checked against. Honours initial states, goBackwards,
 * masking and returnSequences exactly as the fused passes do; dropout
 * belongs to `step` (it knows which gate a mask serves).
 */
export function referenceLoop(
  x: Tensor, H: number, numStates: number, step: StepFunction, options: SequenceOptions,
): ReferenceResult {
  const [B, T, D] = x.shape;
  let states: Tensor[] = options.initialState
    ? [...options.initialState]
    : Array.from({ length: numStates }, () => new Tensor(allocate(x.dtype, B * H), [B, H]));
  let previousOutput = new Tensor(allocate(x.dtype, B * H), [B, H]);
  const outputs: Tensor[] = [];
  const hSteps: Tensor[] = [];
  for (let s = 0; s < T; s++) {
    const t = options.goBackwards ? T - 1 - s : s;
    const xt = reshape(slice(x, 1, t, t + 1), [B, D]);
    let next = step(xt, states);
    let output = next[0];
    hSteps.push(next[0]);
    if (options.mask) {
      // keep = m_t broadcast over units; carried = 1 − keep
      const keep = allocate(x.dtype, B * H);
      const carried = allocate(x.dtype, B * H);
      for (let b = 0; b < B; b++) {
        const m = options.mask[b * T + t];
        keep.fill(m, b * H, (b + 1) * H);
        carried.fill(1 - m, b * H, (b + 1) * H);
      }
      const blend = (fresh: Tensor, old: Tensor): Tensor => ops.add(mulMask(fresh, keep), mulMask(old, carried));
      const fresh = next;
      next = fresh.map((n, i) => blend(n, states[i]));
      output = blend(fresh[0], previousOutput);
    }
    states = next;
    previousOutput = output;
    outputs.push(output);
  }
  const output = options.returnSequences
    ? reshape(concat(outputs.map((o) => reshape(o, [B, 1, H])), 1), [B, T, H])
    : outputs[outputs.length - 1];
  return { output, states, hSteps };
}
