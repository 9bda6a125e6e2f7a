/**
 * What the cells and the driver share: the sequence options and results,
 * input validation, dropout masks, the traces, the gradient probe, and the
 * reference loop that runs a cell's autograd `step` over a whole sequence.
 * The activations (activations.ts), the time-major layout kernels
 * (time-major.ts) and the workspace of buffer plans (workspace.ts) live
 * beside it and are re-exported here.
 *
 * Letters used for shapes in every cell file:
 *   B batch, T timesteps, D input features, H units, G gate blocks
 *   (SimpleRNN 1, GRU 3, LSTM 4).
 *
 * Inside the fused passes sequences are time-major ([T, B, ·]) so that the
 * rows of one step are contiguous and each step's matmul is a plain gemm.
 */
import {
  Tensor, allocate, concat, formatShape, gradOf, mulMask, reshape, slice, random, type DType, type FloatArray,
} from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import type { ActivationName } from './activations.ts';
import { blockFromTimeMajor } from './time-major.ts';
import type { Workspace } from './workspace.ts';

export * from './activations.ts';
export * from './time-major.ts';
export * from './workspace.ts';

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
  /** The layer running the sequence, for errors (`lstm_1`); the cell's name when absent. */
  layer?: string;
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

function want(t: Tensor | null | undefined): FloatArray | null {
  return t && t.requiresGrad ? gradOf(t) : null;
}

/** The gradient buffers of the inputs that require one (allocated when the backward runs). */
export function sequenceGrads(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceGrads {
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
