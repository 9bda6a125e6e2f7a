/**
 * The LSTM configurations the specs check, and their gradient-check cases
 * (central differences on the fused `lstmSequence`, float64).
 *
 * Every configuration is B = 3, T = 4, D = 5, H = 3 with seeded weights from
 * the Keras initializers and a nonzero random bias.
 */
import { gradcheck, type GradcheckReport } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, randomNormal, setSeed, type DType } from '../../autograd/index.ts';
import { drawDropoutMasks, type CellWeights, type SequenceOptions, type SequenceResult } from '../../cells/common.ts';
import { LSTM_GATES, initLstmWeights, lstmSequence } from '../../cells/lstm.ts';
import type { GradCase } from '../gradcases.ts';

export const B = 3;
export const T = 4;
export const D = 5;
export const H = 3;

export interface LstmConfig {
  name: string;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** Pass random [h0, c0] that require a gradient. */
  initialState?: boolean;
  /** [B, T] in input order. */
  mask?: number[];
  dropout?: number;
  recurrentDropout?: number;
  /** The loss also reads the final states h and c (returnState). */
  useStates?: boolean;
}

/**
 * Sample 0 is masked at its first two steps, sample 1 in the middle and at
 * the end, sample 2 at its last two steps (its first two when processed
 * with goBackwards).
 */
const MASK = [
  0, 0, 1, 1,
  1, 0, 1, 0,
  1, 1, 0, 0,
];

export const lstmConfigs: LstmConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', returnSequences: true, goBackwards: true },
  { name: 'initial states', returnSequences: true, initialState: true, useStates: true },
  { name: 'mask', returnSequences: true, mask: MASK },
  { name: 'dropout 0.3 + recurrentDropout 0.2', returnSequences: true, dropout: 0.3, recurrentDropout: 0.2 },
  { name: 'returnState', useStates: true },
  // Beyond the brief's list: the paths these do not cover otherwise.
  { name: 'dropout 0.3 only (one shared mask)', returnSequences: true, dropout: 0.3 },
  { name: 'mask + initial states + goBackwards', returnSequences: true, goBackwards: true, initialState: true, mask: MASK, useStates: true },
  { name: 'mask, last output only', mask: MASK, initialState: true, useStates: true },
];

/** One configuration's data: leaves that require a gradient, and the options. */
export interface LstmProblem {
  x: Tensor;
  w: CellWeights;
  /** The leaves in a fixed order: x, W, U, b, then h0, c0 when given. */
  leaves: Tensor[];
  options: SequenceOptions;
  useStates: boolean;
}

function leaf(data: Tensor, dtype: DType): Tensor {
  const t = dtype === 'float64' ? data : new Tensor(Float32Array.from(data.data), data.shape);
  t.requiresGrad = true;
  return t;
}

/** The seeded data of a configuration, in float64 or rounded to float32 (the same draws either way). */
export function lstmProblem(config: LstmConfig, dtype: DType = 'float64'): LstmProblem {
  setSeed(`lstm: ${config.name}`);
  const w64 = initLstmWeights(D, H, { dtype: 'float64' });
  const bias = randomNormal([LSTM_GATES * H], 0, 0.5, 'float64');
  const x = leaf(randomNormal([B, T, D], 0, 1, 'float64'), dtype);
  const w: CellWeights = { kernel: leaf(w64.kernel, dtype), recurrentKernel: leaf(w64.recurrentKernel, dtype), bias: leaf(bias, dtype) };
  const leaves = [x, w.kernel, w.recurrentKernel, w.bias!];
  const options: SequenceOptions = { returnSequences: config.returnSequences, goBackwards: config.goBackwards };
  if (config.initialState) {
    const h0 = leaf(randomNormal([B, H], 0, 0.5, 'float64'), dtype);
    const c0 = leaf(randomNormal([B, H], 0, 0.5, 'float64'), dtype);
    options.initialState = [h0, c0];
    leaves.push(h0, c0);
  }
  if (config.mask) options.mask = dtype === 'float64' ? Float64Array.from(config.mask) : Float32Array.from(config.mask);
  if (config.dropout || config.recurrentDropout) {
    options.dropoutMasks = drawDropoutMasks('lstm', B, D, H, LSTM_GATES, config.dropout ?? 0, config.recurrentDropout ?? 0, dtype);
  }
  return { x, w, leaves, options, useStates: config.useStates ?? false };
}

/** Everything the loss reads, flattened into one vector: the output, then h and c when `useStates`. */
export function lossVector(result: SequenceResult, useStates: boolean): Tensor {
  const parts = [result.output, ...(useStates ? result.states : [])];
  return ops.concat(parts.map((p) => ops.reshape(p, [-1])), 0);
}

/** Runs `lstmSequence` on `leaves` (in the order of LstmProblem.leaves). */
export function fusedOf(problem: LstmProblem): (...leaves: Tensor[]) => Tensor {
  return (x, kernel, recurrentKernel, bias, h0, c0) => {
    const options = { ...problem.options, ...(h0 ? { initialState: [h0, c0] } : {}) };
    return lossVector(lstmSequence(x, { kernel, recurrentKernel, bias }, options), problem.useStates);
  };
}

export function lstmGradcheck(config: LstmConfig): GradcheckReport {
  const problem = lstmProblem(config);
  return gradcheck(`lstm: ${config.name}`, fusedOf(problem), problem.leaves);
}

export const lstmCases: GradCase[] = lstmConfigs.map((config) => ({
  name: `lstm: ${config.name}`,
  run: () => lstmGradcheck(config),
}));
