/**
 * SimpleRNN: the fully connected recurrent cell (Keras `SimpleRNNCell`).
 *
 *   z = (x ⊙ m_x) W + b + (hPrev ⊙ m_h) U      the pre-activation    [B, H]
 *   h = f(z)                                    f = activation (default tanh)
 *
 * Shapes: B batch, D input features, H units, one gate block (G = 1), so
 * there is no gate order to state and no recurrent activation.
 *   W (kernel) [D, H], U (recurrentKernel) [H, H], b (bias) [H] or none; params H(D + H + 1).
 * State: [h], [B, H].
 *
 * Dropout (Keras 2): m_x [B, D] multiplies the input, m_h [B, H] the state fed
 * to U (`input[0]`, `recurrent[0]` of `drawDropoutMasks`); the state carried
 * to the next step is h itself, never masked.
 *
 * The file: sizes and initial weights, the reference step (autograd ops),
 * then one fused step and its backward over [B, ·] views, which
 * cells/sequence.ts runs over the sequence.
 */
import type { Tensor } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import { activation, type CellWeights, type StepOptions } from './common.ts';
import { initCellWeights, type CellInitOptions } from './init.ts';
import type { Cell, Step } from './cell.ts';
import { sequenceFunctions } from './sequence.ts';

/** G: SimpleRNN has one block, the pre-activation z. */
export const SIMPLE_RNN_GATES = 1;

/** Trainable parameters: W [D, H] + U [H, H] + b [H] = H(D + H + 1) (D = H = 32: 2080). */
export function simpleRnnParamCount(D: number, H: number, useBias = true): number {
  return H * (D + H + (useBias ? 1 : 0));
}

export type SimpleRnnInitOptions = CellInitOptions;

/** W [D, H], U [H, H], b [H], drawn in Keras's order (kernel, recurrent kernel, bias); all require gradients. */
export function initSimpleRnnWeights(D: number, H: number, options: SimpleRnnInitOptions = {}): CellWeights {
  return initCellWeights(D, H, SIMPLE_RNN_GATES, options);
}

/** One step with autograd ops. x [B, D], states [hPrev [B, H]] → [h [B, H]]. */
export function simpleRnnStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: StepOptions = {}): Tensor[] {
  const f = activation('simpleRnn', 'activation', options.activation, 'tanh');
  const [hPrev] = states;
  const xIn = options.masks?.input ? ops.mulMask(x, options.masks.input[0]) : x; // x ⊙ m_x
  const hIn = options.masks?.recurrent ? ops.mulMask(hPrev, options.masks.recurrent[0]) : hPrev; // hPrev ⊙ m_h
  const xw = ops.matmul(xIn, w.kernel); // (x ⊙ m_x) W
  const xwb = w.bias ? ops.add(xw, w.bias) : xw; // + b
  const z = ops.add(xwb, ops.matmul(hIn, w.recurrentKernel)); // + (hPrev ⊙ m_h) U
  const h = f.op(z); // h = f(z)
  return [h];
}

/** One step over [B, ·] views: z (s.gates) holds (x ⊙ m_x) W + b. */
function stepForward(s: Step): void {
  s.rec[0].forward(s.gates, s.prev[0], s.B); //               z += (hPrev ⊙ m_h) U
  s.act.applyColumns(s.next[0], s.gates, s.B, s.H, 0, s.H); // h = f(z)
}

/**
 * From dh = ∂L/∂h (s.dNext) to dZ = ∂L/∂z, and the part of ∂L/∂hPrev that
 * passes through U. f' comes from the output h (tanh' = 1 − h²): h is kept
 * anyway as the state, so nothing is recomputed.
 */
function stepBackward(s: Step): void {
  const dh = s.dNext[0], h = s.next[0], dZ = s.dGates; // [B, H] each
  const fPrime = s.act.derivative;
  for (let i = 0; i < s.B * s.H; i++) dZ[i] = dh[i] * fPrime(h[i]); // ∂h/∂z = f'(z)
  s.rec[0].gradInput(s.dPrev[0], dZ, s.B); //                           ∂L/∂hPrev += (dZ Uᵀ) ⊙ m_h
}

/** SimpleRNN as the driver runs it: one recurrent product hPrev U into z; no gate to trace. */
export const SIMPLE_RNN: Cell = {
  name: 'simpleRnn', gates: SIMPLE_RNN_GATES, states: ['h'], gateNames: [], biasShape: (H) => [H], inputBias: (b) => b, buffers: {},
  products: [{ first: 0, count: 1, masked: true, out: [1, 0], grad: [1, 0], input: 'h', dOutput: 'dGates' }],
  step: simpleRnnStep, stepForward, stepBackward,
};

/** The fused SimpleRNN over a sequence (cells/sequence.ts); and the loop of `simpleRnnStep` with autograd ops, the reference. */
export const [simpleRnnSequence, simpleRnnReference] = sequenceFunctions(() => SIMPLE_RNN);
