/**
 * The one harness of the cell specs: a cell configuration (configs.ts) made
 * into seeded tensors, the loss every check differentiates, its gradients
 * through a fused or a reference path, and the gradient-check case of
 * `npm run gradcheck`.
 *
 * It reaches the cells only through the functions it is handed (a
 * `CellUnderTest`), so the recorded values of fixture.json were made by it.
 *
 * Shapes: B batch, T timesteps, D input features, H units.
 */
import { createHash } from 'node:crypto';
import { gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, noGrad, randomNormal, randomUniform, setSeed, type DType, type FloatArray } from '../../autograd/index.ts';
import {
  drawDropoutMasks, type CellWeights, type DropoutMasks, type GradientProbe, type ReferenceResult, type SequenceOptions,
  type SequenceResult,
} from '../../cells/common.ts';
import { DIMS, caseName, type CellConfig, type CellKey, type Dims } from './configs.ts';
import type { GradCase } from '../gradcases.ts';

/** A whole-sequence function: the fused pass or the reference loop. */
export type Run = (x: Tensor, w: CellWeights, options: SequenceOptions) => SequenceResult;

/** What the harness needs to know of a cell (GRU: one per variant). */
export interface CellUnderTest {
  key: CellKey;
  /** The name the cell's errors and tape node carry: 'simpleRnn', 'lstm', 'gru'. */
  name: string;
  /** G, the gate blocks of W and U. */
  gates: number;
  /** 1 (h) or 2 (h, c). */
  states: number;
  init(D: number, H: number, options: { dtype: DType; useBias: boolean }): CellWeights;
  fused: Run;
  reference: (x: Tensor, w: CellWeights, options: SequenceOptions) => ReferenceResult;
}

/** One configuration as tensors, all float64 or all float32 (the same draws, rounded). */
export interface Problem {
  cell: CellUnderTest;
  config: CellConfig;
  dims: Dims;
  x: Tensor;
  w: CellWeights;
  /** The options of the call, initial states included. */
  options: SequenceOptions;
  /** The tensors whose gradients are checked: x, W, U, b when present, then the initial states. */
  leaves: Tensor[];
  leafNames: string[];
}

/** Copies to `dtype`, keeping arrays that were one object one object (a shared mask stays shared). */
function caster(dtype: DType): (a: Readonly<FloatArray>) => FloatArray {
  const seen = new Map<Readonly<FloatArray>, FloatArray>();
  return (a) => {
    let c = seen.get(a);
    if (!c) seen.set(a, (c = dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a)));
    return c;
  };
}

/**
 * Draws a configuration from its own seed (its case name) in float64 and
 * casts it to `dtype`. Biases are random, not the initializer's zeros, so
 * that their gradients are exercised.
 */
export function problem(cell: CellUnderTest, config: CellConfig, dtype: DType = 'float64'): Problem {
  const dims = config.dims ?? DIMS;
  const { B, T, D, H } = dims;
  setSeed(caseName(cell.key, config));
  const w64 = cell.init(D, H, { dtype: 'float64', useBias: config.useBias ?? true });
  if (w64.bias) w64.bias.data.set(randomUniform(w64.bias.shape, -0.5, 0.5, 'float64').data);
  const x64 = randomNormal([B, T, D], 0, 1, 'float64');
  const states64 = config.initialState ? Array.from({ length: cell.states }, () => randomNormal([B, H], 0, 0.5, 'float64')) : [];
  const masks64 = config.dropout || config.recurrentDropout
    ? drawDropoutMasks(cell.name, B, D, H, cell.gates, config.dropout ?? 0, config.recurrentDropout ?? 0, 'float64')
    : null;

  const cast = caster(dtype);
  const leaf = (t: Tensor): Tensor => new Tensor(cast(t.data), t.shape, true);
  const x = leaf(x64);
  const w: CellWeights = { kernel: leaf(w64.kernel), recurrentKernel: leaf(w64.recurrentKernel), bias: w64.bias ? leaf(w64.bias) : null };
  const initialState = states64.map(leaf);
  const dropoutMasks: DropoutMasks | null = masks64 && { input: masks64.input?.map(cast) ?? null, recurrent: masks64.recurrent?.map(cast) ?? null };
  const options: SequenceOptions = {
    returnSequences: config.returnSequences ?? false,
    goBackwards: config.goBackwards ?? false,
    mask: config.mask ? cast(Float64Array.from(config.mask)) : null,
    dropoutMasks,
    activation: config.activation,
    recurrentActivation: config.recurrentActivation,
    ...(initialState.length > 0 ? { initialState } : {}),
  };
  const leaves = [x, w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : []), ...initialState];
  const leafNames = ['x', 'W', 'U', ...(w.bias ? ['b'] : []), ...['h0', 'c0'].slice(0, initialState.length)];
  return { cell, config, dims, x, w, options, leaves, leafNames };
}

/** Runs `run` on the problem's tensors, or on stand-ins for them in `leaves` order (for gradcheck). */
export function runOn<R extends SequenceResult = SequenceResult>(
  p: Problem, run: (x: Tensor, w: CellWeights, o: SequenceOptions) => R = p.cell.fused as never, leaves: readonly Tensor[] = p.leaves, extra: SequenceOptions = {},
): R {
  const [x, kernel, recurrentKernel] = leaves;
  const bias = p.w.bias ? leaves[3] : null;
  const states = leaves.slice(p.w.bias ? 4 : 3);
  const options = { ...p.options, ...(states.length > 0 ? { initialState: states } : {}), ...extra };
  return run(x, { kernel, recurrentKernel, bias }, options);
}

/** Everything the loss reads, as one flat vector: the output, then the final states when the configuration reads them. */
export function lossVector(result: SequenceResult, config: CellConfig): Tensor {
  const parts = [result.output, ...(config.statesInLoss ? result.states : [])];
  return ops.concat(parts.map((t) => ops.reshape(t, [-1])), 0);
}

/** The fixed, uneven weight of element i of the loss vector. */
export function lossWeight(i: number): number {
  return Math.cos(1 + 0.37 * i) + 0.15;
}

/** L = Σ_i v_i · lossWeight(i), as autograd ops. */
export function loss(result: SequenceResult, config: CellConfig): Tensor {
  const v = lossVector(result, config);
  const weights = new Tensor(v.dtype === 'float64' ? new Float64Array(v.size) : new Float32Array(v.size), [v.size]);
  for (let i = 0; i < v.size; i++) weights.data[i] = lossWeight(i);
  return ops.sum(ops.mul(v, weights));
}

/** Runs `run` and back-propagates the loss from fresh leaf gradients; returns what `run` returned. */
export function backwardOf<R extends SequenceResult>(p: Problem, run: (x: Tensor, w: CellWeights, o: SequenceOptions) => R, extra: SequenceOptions = {}): R {
  for (const t of p.leaves) t.grad = null;
  const result = runOn(p, run, p.leaves, extra) as R;
  loss(result, p.config).backward();
  return result;
}

/** The gradients of the loss for every leaf (copies; zeros where none arrived), through `run`. */
export function gradients(p: Problem, run: Run = p.cell.fused, extra: SequenceOptions = {}): FloatArray[] {
  backwardOf(p, run, extra);
  return p.leaves.map((t) => (t.grad ? t.grad.slice() : new Float64Array(t.size)));
}

/** Central differences on the fused pass, float64: one row of `npm run gradcheck`. */
export function gradcheckCase(cell: CellUnderTest, config: CellConfig): GradCase {
  const name = caseName(cell.key, config);
  return {
    name,
    run: () => {
      const p = problem(cell, config);
      return gradcheck(name, (...leaves) => lossVector(runOn(p, cell.fused, leaves), config), p.leaves);
    },
  };
}

/**
 * What a configuration computes through the fused pass, by name: the inputs
 * it ran on, the output and final states, every leaf's gradient of the loss,
 * the gradient probe's norms, and the output and states of the inference
 * plan. The values fixture.json records.
 */
export function measure(p: Problem): Map<string, FloatArray> {
  const out = new Map<string, FloatArray>();
  const masks = p.options.dropoutMasks;
  const inputs = [...p.leaves.map((t) => t.data), ...(p.options.mask ? [p.options.mask] : []), ...(masks?.input ?? []), ...(masks?.recurrent ?? [])];
  out.set('inputs', Float64Array.from(inputs.flatMap((a) => Array.from(a))));
  const { T } = p.dims;
  const probe = { hGradNorm: new Float64Array(T), xGradNorm: new Float64Array(T) };
  for (const t of p.leaves) t.grad = null;
  const result = runOn(p, p.cell.fused, p.leaves, { gradientProbe: probe });
  loss(result, p.config).backward();
  out.set('output', result.output.data);
  result.states.forEach((s, i) => out.set(`state ${i}`, s.data));
  p.leaves.forEach((t, i) => out.set(`d${p.leafNames[i]}`, t.grad ?? new Float64Array(t.size)));
  out.set('probe ‖∂L/∂h_t‖', probe.hGradNorm);
  out.set('probe ‖∂L/∂x_t‖', probe.xGradNorm);
  const inferred = noGrad(() => runOn(p));
  out.set('inference output', inferred.output.data);
  inferred.states.forEach((s, i) => out.set(`inference state ${i}`, s.data));
  return out;
}

/** The first 16 hex digits of the SHA-256 of the array's bytes (its dtype is part of them). */
export function digest(a: Readonly<FloatArray>): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------- the gradient probe and the trace

/** A probe for T steps, filled with NaN so that a step the backward skips shows. */
export function newProbe(T: number): GradientProbe {
  return { hGradNorm: new Float64Array(T).fill(NaN), xGradNorm: new Float64Array(T).fill(NaN) };
}

/**
 * The probe's norms taken from the reference loop after its backward:
 * ‖∂L/∂h_t‖ from the .grad of the h each step computed (ReferenceResult.hSteps),
 * ‖∂L/∂x_t‖ from the rows of x.grad [B, T, D] that step t read. x.grad must
 * hold this backward's gradient only (reset it before).
 */
export function referenceProbe(reference: ReferenceResult, x: Tensor, goBackwards: boolean): GradientProbe {
  const [B, T, D] = x.shape;
  const probe = newProbe(T);
  const norm = (values: ArrayLike<number>): number => Math.sqrt(Array.from(values).reduce((s, v) => s + v * v, 0));
  reference.hSteps.forEach((h, t) => { probe.hGradNorm[t] = norm(h.grad ?? []); });
  for (let t = 0; t < T; t++) {
    const tIn = goBackwards ? T - 1 - t : t;
    const rows = Array.from({ length: B }, (_, b) => Array.from(x.grad!.subarray((b * T + tIn) * D, (b * T + tIn + 1) * D))).flat();
    probe.xGradNorm[t] = norm(rows);
  }
  return probe;
}

export interface CarriedCheck {
  /** The traced state [B, T, H]. */
  state: Readonly<FloatArray>;
  /** The state before the first step [B, H] (null: zeros). */
  initial: Readonly<FloatArray> | null;
  /** What the traced state must equal at unmasked steps [B, T, H] (the outputs, for h), or null. */
  unmasked: Readonly<FloatArray> | null;
  /** The final state the cell returned [B, H]. */
  final: Readonly<FloatArray>;
  mask: Readonly<FloatArray> | null | undefined;
  goBackwards: boolean;
  dims: Dims;
}

/**
 * The carried-state semantics of a traced state, exactly (the trace copies
 * the forward's numbers): at a masked step it repeats the state before
 * (the initial state before the first step); at an unmasked step it equals
 * `unmasked` when given; after the last step it is the returned final state.
 * Returns the mismatches as readable lines.
 */
export function carriedStateErrors(name: string, c: CarriedCheck): string[] {
  const { B, T, H } = c.dims;
  const errors: string[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const m = c.mask ? c.mask[b * T + (c.goBackwards ? T - 1 - t : t)] : 1;
      for (let j = 0; j < H; j++) {
        const i = (b * T + t) * H + j;
        const before = t > 0 ? c.state[i - H] : c.initial ? c.initial[b * H + j] : 0;
        if (m === 0 && c.state[i] !== before) errors.push(`${name} [${b},${t},${j}] masked: ${c.state[i]}, the state before is ${before}`);
        if (m === 1 && c.unmasked && c.state[i] !== c.unmasked[i]) errors.push(`${name} [${b},${t},${j}]: ${c.state[i]}, expected ${c.unmasked[i]}`);
        if (t === T - 1 && c.state[i] !== c.final[b * H + j]) errors.push(`${name} [${b},${t},${j}]: ${c.state[i]}, the final state is ${c.final[b * H + j]}`);
      }
    }
  }
  return errors;
}

/** The first few lines of a list of errors, for a failure message. */
export function firstErrors(errors: readonly string[], n = 3): string {
  return `${errors.length} mismatch(es): ${errors.slice(0, n).join('; ')}`;
}
