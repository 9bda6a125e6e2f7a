/**
 * The SimpleRNN configurations of the proof, and their gradient checks:
 * central differences in float64 on the fused `simpleRnnSequence`.
 * Shapes: B = 3, T = 4, D = 5, H = 3 (D ≠ H, small so differences are fast).
 */
import { gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, randomNormal, setSeed, uniform, type DType, type FloatArray } from '../../autograd/index.ts';
import { drawDropoutMasks, type CellWeights, type DropoutMasks, type SequenceOptions, type SequenceResult } from '../../cells/common.ts';
import { SIMPLE_RNN_GATES, initSimpleRnnWeights, simpleRnnSequence } from '../../cells/simple-rnn.ts';
import type { GradCase } from '../gradcases.ts';

export const B = 3;
export const T = 4;
export const D = 5;
export const H = 3;

/** [B, T] in input order: sample 0 starts masked, sample 1 is masked in the middle and at the end. */
export const MASK = [
  0, 0, 1, 1,
  1, 0, 1, 0,
  1, 1, 1, 1,
];
/** Sample 2 fully masked: its output stays zero and its state stays h0. */
export const MASK_WITH_EMPTY_SAMPLE = [
  0, 0, 1, 1,
  1, 0, 1, 0,
  0, 0, 0, 0,
];

export interface SimpleRnnConfig {
  name: string;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** Give h0 (requiresGrad, its gradient checked). */
  initialState?: boolean;
  mask?: readonly number[];
  /** dropout, recurrentDropout: masks from drawDropoutMasks after the case's seed. */
  dropout?: readonly [number, number];
  activation?: SequenceOptions['activation'];
  /** The loss also uses the final state (returnState). */
  useState?: boolean;
}

export const simpleRnnConfigs: readonly SimpleRnnConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', returnSequences: true, goBackwards: true },
  { name: 'initialState', initialState: true, useState: true },
  { name: 'mask', mask: MASK, returnSequences: true, useState: true },
  { name: 'mask, last output, goBackwards, initialState', mask: MASK_WITH_EMPTY_SAMPLE, goBackwards: true, initialState: true, useState: true },
  { name: 'dropout 0.3, recurrentDropout 0.2', dropout: [0.3, 0.2], returnSequences: true, useState: true },
  { name: 'dropout 0.3 only', dropout: [0.3, 0], returnSequences: true },
  { name: 'returnState', useState: true },
  { name: 'sigmoid activation', activation: 'sigmoid', returnSequences: true, useState: true },
];

/** One configuration made concrete: inputs, weights and options, all float64 or all float32. */
export interface SimpleRnnProblem {
  config: SimpleRnnConfig;
  x: Tensor;
  w: CellWeights;
  h0: Tensor | null;
  /** Options without the initial state (run() adds it). */
  options: SequenceOptions;
  /** The tensors whose gradients are checked, with names: x, W, U, b (, h0). */
  inputs: Tensor[];
  names: string[];
}

function leaf(data: FloatArray, shape: number[], dtype: DType): Tensor {
  const t = new Tensor(dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), shape);
  t.requiresGrad = true;
  return t;
}

function castMasks(masks: DropoutMasks, dtype: DType): DropoutMasks {
  const cast = (list: FloatArray[] | null): FloatArray[] | null =>
    list && list.map((m) => (dtype === 'float64' ? Float64Array.from(m) : Float32Array.from(m)));
  return { input: cast(masks.input), recurrent: cast(masks.recurrent) };
}

/**
 * Draws the problem of a configuration from its own seed, in float64, then
 * casts it to `dtype`: a float32 problem holds the same values, rounded.
 */
export function simpleRnnProblem(config: SimpleRnnConfig, dtype: DType = 'float64'): SimpleRnnProblem {
  setSeed(`simpleRnn: ${config.name}`);
  const x64 = randomNormal([B, T, D], 0, 1, 'float64');
  const w64 = initSimpleRnnWeights(D, H, { dtype: 'float64' });
  // Nonzero biases, so that their gradients are exercised.
  const b64 = new Float64Array(H).map(() => uniform(-0.5, 0.5));
  const h064 = randomNormal([B, H], 0, 0.5, 'float64');
  const masks = config.dropout
    ? drawDropoutMasks('simpleRnn', B, D, H, SIMPLE_RNN_GATES, config.dropout[0], config.dropout[1], 'float64')
    : null;
  const x = leaf(x64.data, [B, T, D], dtype);
  const w: CellWeights = {
    kernel: leaf(w64.kernel.data, [D, H], dtype),
    recurrentKernel: leaf(w64.recurrentKernel.data, [H, H], dtype),
    bias: leaf(b64, [H], dtype),
  };
  const h0 = config.initialState ? leaf(h064.data, [B, H], dtype) : null;
  const options: SequenceOptions = {
    returnSequences: config.returnSequences,
    goBackwards: config.goBackwards,
    mask: config.mask ? (dtype === 'float64' ? Float64Array.from(config.mask) : Float32Array.from(config.mask)) : null,
    dropoutMasks: masks && castMasks(masks, dtype),
    activation: config.activation,
  };
  const inputs = [x, w.kernel, w.recurrentKernel, w.bias!, ...(h0 ? [h0] : [])];
  const names = ['x', 'W', 'U', 'b', ...(h0 ? ['h0'] : [])];
  return { config, x, w, h0, options, inputs, names };
}

/** The output, followed by the final state when the configuration uses it, as one flat tensor. */
export function lossTarget(result: SequenceResult, useState: boolean): Tensor {
  const out = ops.reshape(result.output, [-1]);
  return useState ? ops.concat([out, ops.reshape(result.states[0], [-1])], 0) : out;
}

type Cell = (x: Tensor, w: CellWeights, options: SequenceOptions) => SequenceResult;

/** f(x, W, U, b, h0?) for gradcheck and the loss: the cell's output (and final state) as one flat tensor. */
export function simpleRnnFunction(problem: SimpleRnnProblem, cell: Cell = simpleRnnSequence): (...inputs: Tensor[]) => Tensor {
  return (x, kernel, recurrentKernel, bias, h0) => {
    const options = { ...problem.options, initialState: h0 ? [h0] : undefined };
    return lossTarget(cell(x, { kernel, recurrentKernel, bias }, options), problem.config.useState ?? false);
  };
}

export const simpleRnnCases: GradCase[] = simpleRnnConfigs.map((config) => ({
  name: `simpleRnn: ${config.name}`,
  run: () => {
    const problem = simpleRnnProblem(config);
    return gradcheck(`simpleRnn: ${config.name}`, simpleRnnFunction(problem), problem.inputs);
  },
}));
