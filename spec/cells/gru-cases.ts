/**
 * The GRU configurations every check runs on (both variants), their fixtures,
 * and the gradient-check cases for `npm run gradcheck`: central differences
 * in float64 on the fused gruSequence.
 */
import { gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import {
  Tensor, formatShape, randomNormal, randomUniform, setSeed, type DType, type FloatArray,
} from '../../autograd/index.ts';
import {
  drawDropoutMasks, type ActivationName, type CellWeights, type DropoutMasks, type SequenceResult,
} from '../../cells/common.ts';
import { GRU_GATES, gruReference, gruSequence, initGruWeights, type GruOptions } from '../../cells/gru.ts';
import type { GradCase } from '../gradcases.ts';

/** Small and uneven so that finite differences are fast and shapes cannot be confused. */
export const B = 3;
export const T = 4;
export const D = 5;
export const H = 3;

/** [B, T]: sample 0 masked at its first two steps, sample 1 in the middle and at the end, sample 2 never. */
const MASK = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1];
/** [B, T]: as MASK, but sample 2 masked at every step (its output stays zero, its state h0). */
const MASK_WITH_EMPTY_SAMPLE = [0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0];

export interface GruConfig {
  name: string;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** h0 is given and requires a gradient. */
  initialState?: boolean;
  mask?: readonly number[];
  dropout?: number;
  recurrentDropout?: number;
  /** The final state enters the loss (Keras returnState). */
  stateInLoss?: boolean;
  useBias?: boolean;
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
}

export const GRU_CONFIGS: readonly GruConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', goBackwards: true, returnSequences: true },
  { name: 'initialState', initialState: true, returnSequences: true },
  { name: 'mask', mask: MASK, returnSequences: true },
  { name: 'mask, last output', mask: MASK, stateInLoss: true },
  { name: 'dropout 0.3 + recurrentDropout 0.2', dropout: 0.3, recurrentDropout: 0.2, returnSequences: true },
  { name: 'dropout 0.3 (one shared input mask)', dropout: 0.3, returnSequences: true },
  { name: 'returnState', stateInLoss: true },
  { name: 'no bias', useBias: false, returnSequences: true },
  { name: 'relu + hard_sigmoid', activation: 'relu', recurrentActivation: 'hard_sigmoid', returnSequences: true },
  { name: 'hard_sigmoid_keras3 (relu6(x + 3) / 6)', recurrentActivation: 'hard_sigmoid_keras3', returnSequences: true },
  {
    name: 'everything', goBackwards: true, initialState: true, mask: MASK_WITH_EMPTY_SAMPLE,
    dropout: 0.3, recurrentDropout: 0.2, returnSequences: true, stateInLoss: true,
  },
];

export const VARIANTS = [true, false] as const;

export function variantName(resetAfter: boolean): string {
  return `resetAfter ${resetAfter}`;
}

export interface GruFixture {
  config: GruConfig;
  x: Tensor; // [B, T, D]
  w: CellWeights;
  h0: Tensor | null; // [B, H]
  options: GruOptions;
  /** The tensors whose gradients are checked, in order: x, W, U, then b and h0 when present. */
  params: Tensor[];
}

/** Copies to `dtype`, keeping arrays that were one object one object (a shared mask stays shared). */
function caster(dtype: DType): (a: Readonly<FloatArray>) => FloatArray {
  const seen = new Map<Readonly<FloatArray>, FloatArray>();
  return (a) => {
    let c = seen.get(a);
    if (!c) {
      c = dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a);
      seen.set(a, c);
    }
    return c;
  };
}

/**
 * Seeded random values in float64, cast to `dtype`, so a config has the same
 * numbers in both precisions. Biases are random (not the zeros of the
 * initializer) so that their gradients are exercised.
 */
export function gruFixture(config: GruConfig, resetAfter: boolean, dtype: DType = 'float64'): GruFixture {
  setSeed(`gru ${config.name} ${variantName(resetAfter)}`);
  const w64 = initGruWeights(D, H, { resetAfter, useBias: config.useBias ?? true, dtype: 'float64' });
  if (w64.bias) w64.bias.data.set(randomUniform(w64.bias.shape, -0.5, 0.5, 'float64').data);
  const x64 = randomNormal([B, T, D], 0, 1, 'float64');
  const h064 = config.initialState ? randomNormal([B, H], 0, 0.5, 'float64') : null;
  const masks64 = config.dropout === undefined ? null
    : drawDropoutMasks('gru', B, D, H, GRU_GATES, config.dropout, config.recurrentDropout ?? 0, 'float64');

  const cast = caster(dtype);
  const leaf = (t: Tensor): Tensor => new Tensor(cast(t.data), t.shape, true);
  const x = leaf(x64);
  const w: CellWeights = {
    kernel: leaf(w64.kernel),
    recurrentKernel: leaf(w64.recurrentKernel),
    bias: w64.bias ? leaf(w64.bias) : null,
  };
  const h0 = h064 ? leaf(h064) : null;
  const dropoutMasks: DropoutMasks | null = masks64 && {
    input: masks64.input?.map(cast) ?? null,
    recurrent: masks64.recurrent?.map(cast) ?? null,
  };
  const options: GruOptions = {
    resetAfter,
    returnSequences: config.returnSequences ?? false,
    goBackwards: config.goBackwards ?? false,
    mask: config.mask ? cast(Float64Array.from(config.mask)) : null,
    dropoutMasks,
    activation: config.activation,
    recurrentActivation: config.recurrentActivation,
    ...(h0 ? { initialState: [h0] } : {}),
  };
  const params = [x, w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : []), ...(h0 ? [h0] : [])];
  return { config, x, w, h0, options, params };
}

export type GruRun = (x: Tensor, w: CellWeights, options: GruOptions) => SequenceResult;

/** Runs `run` (gruSequence or gruReference) on the fixture's tensors, or on stand-ins in `params` order. */
export function runFixture(run: GruRun, fx: GruFixture, params: readonly Tensor[] = fx.params): SequenceResult {
  let i = 3;
  const bias = fx.w.bias ? params[i++] : null;
  const h0 = fx.h0 ? params[i++] : null;
  const w: CellWeights = { kernel: params[1], recurrentKernel: params[2], bias };
  return run(params[0], w, { ...fx.options, ...(h0 ? { initialState: [h0] } : {}) });
}

/** A fixed, non-uniform weight for element i of the output (P) or of the final state (Q). */
export function projection(i: number, which: 'P' | 'Q'): number {
  return which === 'P' ? Math.cos(1 + 0.37 * i) + 0.15 : Math.sin(2 + 0.53 * i) - 0.1;
}

/** L = Σ output ⊙ P (+ Σ h_T ⊙ Q when the state is in the loss), as autograd ops. */
export function loss(result: SequenceResult, config: GruConfig): Tensor {
  const weigh = (t: Tensor, which: 'P' | 'Q'): Tensor => {
    const data = t.dtype === 'float64' ? new Float64Array(t.size) : new Float32Array(t.size);
    for (let i = 0; i < data.length; i++) data[i] = projection(i, which);
    return ops.sum(ops.mul(t, new Tensor(data, t.shape)));
  };
  const l = weigh(result.output, 'P');
  return config.stateInLoss ? ops.add(l, weigh(result.states[0], 'Q')) : l;
}

/** What gradcheck differentiates: the output, with h_T beside it when the state is in the loss. */
export function checkedOutput(result: SequenceResult, config: GruConfig): Tensor {
  if (!config.stateInLoss) return result.output;
  return ops.concat([ops.reshape(result.output, [B, -1]), result.states[0]], 1);
}

/** The largest |a − b| and where it is. */
export interface Difference {
  maxAbs: number;
  index: number;
  a: number;
  b: number;
}

export function difference(a: Readonly<ArrayLike<number>>, b: Readonly<ArrayLike<number>>): Difference {
  if (a.length !== b.length) throw new Error(`difference: lengths ${a.length} and ${b.length} differ`);
  let worst: Difference = { maxAbs: 0, index: -1, a: NaN, b: NaN };
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > worst.maxAbs || Number.isNaN(d)) worst = { maxAbs: Number.isNaN(d) ? Infinity : d, index: i, a: a[i], b: b[i] };
  }
  return worst;
}

/** Multi-index of flat element i of `shape`, for messages. */
export function at(shape: readonly number[], i: number): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${idx.join(',')}]`;
}

/** A named comparison: its worst element written out for failure messages and reports. */
export interface Comparison {
  name: string;
  shape: number[];
  diff: Difference;
}

export function describeComparison(c: Comparison): string {
  const { maxAbs, index, a, b } = c.diff;
  if (index < 0) return `${c.name} ${formatShape(c.shape)}: identical`;
  return `${c.name} ${formatShape(c.shape)}: max abs diff ${maxAbs.toExponential(2)} at ${at(c.shape, index)} (fused ${a}, reference ${b})`;
}

/** Check 1: the fused forward against the reference loop: output and final state. */
export function forwardComparisons(config: GruConfig, resetAfter: boolean, dtype: DType): Comparison[] {
  const fx = gruFixture(config, resetAfter, dtype);
  const fused = runFixture(gruSequence, fx);
  const reference = runFixture(gruReference, fx);
  return [
    { name: 'output', shape: fused.output.shape, diff: difference(fused.output.data, reference.output.data) },
    { name: 'h_T', shape: fused.states[0].shape, diff: difference(fused.states[0].data, reference.states[0].data) },
  ];
}

const PARAM_NAMES = ['x', 'W', 'U', 'b', 'h0'];

/** Check 2: the hand-written BPTT against the autograd through the reference loop, per parameter. */
export function gradientComparisons(config: GruConfig, resetAfter: boolean): Comparison[] {
  const fx = gruFixture(config, resetAfter, 'float64');
  const gradients = (run: GruRun): FloatArray[] => {
    for (const p of fx.params) p.grad = null;
    loss(runFixture(run, fx), config).backward();
    return fx.params.map((p) => p.grad ?? new Float64Array(p.size));
  };
  const fused = gradients(gruSequence);
  const reference = gradients(gruReference);
  const names = PARAM_NAMES.filter((n) => (n !== 'b' || fx.w.bias) && (n !== 'h0' || fx.h0));
  return fx.params.map((p, i) => ({ name: `d${names[i]}`, shape: p.shape, diff: difference(fused[i], reference[i]) }));
}

/** Check 3: central differences on the fused gruSequence, float64, every configuration and both variants. */
export const gruCases: GradCase[] = VARIANTS.flatMap((resetAfter) => GRU_CONFIGS.map((config): GradCase => {
  const name = `gru (${variantName(resetAfter)}): ${config.name}`;
  return {
    name,
    run: () => {
      const fx = gruFixture(config, resetAfter, 'float64');
      return gradcheck(name, (...params) => checkedOutput(runFixture(gruSequence, fx, params), config), fx.params);
    },
  };
}));
