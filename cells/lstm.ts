/**
 * LSTM: long short-term memory, exactly as Keras's LSTMCell.
 *
 *   z = x W + b + hPrev U          [B, 4H], the gate blocks i | f | c | o
 *   i = σ(z_i)                     input gate: how much of the candidate to write
 *   f = σ(z_f)                     forget gate: how much of the old cell to keep
 *   g = tanh(z_c)                  candidate cell values (the cell write)
 *   o = σ(z_o)                     output gate: how much of the cell to show
 *   c = f ⊙ cPrev + i ⊙ g          new cell state
 *   h = o ⊙ tanh(c)                new hidden state, which is also the output
 *
 * Shapes: B batch, D input features, H units; σ is the recurrent activation
 * (default sigmoid), tanh the activation (default tanh), as in Keras.
 * Weights in the Keras layout, gate blocks side by side in the order i, f, c, o:
 *   W = kernel [D, 4H],  U = recurrentKernel [H, 4H],  b = bias [4H] (or none).
 * States: [h, c], each [B, H]. In a row of z (or of dZ) block k starts at its
 * named offset: I = 0, F = H, G = 2H, O = 3H.
 *
 * Dropout (Keras 2, implementation 1): fixed masks m_k [B, D] on the input and
 * r_k [B, H] on the state, one per gate block k: z_k = (x ⊙ m_k) W_k + (hPrev ⊙ r_k) U_k + b_k.
 * The carried cell state c is never masked.
 *
 * The file reads top-down: sizes and initial weights, the reference step
 * (autograd ops), then one fused step and its backward over [B, ·] views,
 * which cells/sequence.ts runs over the sequence.
 */
import { Tensor, allocate } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import { activation, type CellWeights, type StepOptions } from './common.ts';
import { initCellWeights, initialize, type CellInitOptions } from './init.ts';
import type { Cell, Step } from './cell.ts';
import { sequenceFunctions } from './sequence.ts';

/** G: the gate blocks i, f, c, o. */
export const LSTM_GATES = 4;

/** Trainable parameters: W [D, 4H], U [H, 4H] and b [4H] → 4H(D + H + 1). D = H = 32: 8320. */
export function lstmParamCount(D: number, H: number, useBias = true): number {
  return LSTM_GATES * H * (D + H + (useBias ? 1 : 0));
}

export interface LstmInitOptions extends CellInitOptions {
  /** Keras's unit_forget_bias: the forget block of b is ones, the other blocks use biasInitializer. */
  unitForgetBias?: boolean;
}

/**
 * Fresh weights with the Keras defaults (glorot-uniform W, orthogonal U,
 * zero b with the forget block set to 1), drawn in Keras's order W, U, b.
 */
export function initLstmWeights(D: number, H: number, options: LstmInitOptions = {}): CellWeights {
  if (options.unitForgetBias === false) return initCellWeights(D, H, LSTM_GATES, options);
  return initCellWeights(D, H, LSTM_GATES, options, (init, dtype) => {
    // [biasInit(H), ones(H), biasInit(2H)], as Keras concatenates it
    const data = allocate(dtype, LSTM_GATES * H);
    data.set(initialize(init, [H], dtype).data, 0);
    data.fill(1, H, 2 * H);
    data.set(initialize(init, [2 * H], dtype).data, 2 * H);
    return new Tensor(data, [LSTM_GATES * H]);
  });
}

// ---------------------------------------------------------------- the reference step

/**
 * One timestep with autograd ops. x: [B, D]; states: [hPrev, cPrev], each
 * [B, H]. Returns [h, c]. Written per gate block (Keras implementation 1) so
 * that each block can see its own dropout mask.
 */
export function lstmStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: StepOptions = {}): Tensor[] {
  const tanh = activation('lstm', 'activation', options.activation, 'tanh');
  const sigma = activation('lstm', 'recurrentActivation', options.recurrentActivation, 'sigmoid');
  const [hPrev, cPrev] = states; // [B, H] each
  const H = hPrev.shape[1];
  const masks = options.masks;
  // z_k = (x ⊙ m_k) W_k + (hPrev ⊙ r_k) U_k + b_k, for gate block k
  const z = (k: number): Tensor => {
    const xk = masks?.input ? ops.mulMask(x, masks.input[k]) : x; // [B, D]
    const hk = masks?.recurrent ? ops.mulMask(hPrev, masks.recurrent[k]) : hPrev; // [B, H]
    const Wk = ops.slice(w.kernel, 1, k * H, (k + 1) * H); // [D, H]
    const Uk = ops.slice(w.recurrentKernel, 1, k * H, (k + 1) * H); // [H, H]
    const zk = ops.add(ops.matmul(xk, Wk), ops.matmul(hk, Uk)); // [B, H]
    return w.bias ? ops.add(zk, ops.slice(w.bias, 0, k * H, (k + 1) * H)) : zk;
  };
  const i = sigma.op(z(0));
  const f = sigma.op(z(1));
  const g = tanh.op(z(2));
  const o = sigma.op(z(3));
  const c = ops.add(ops.mul(f, cPrev), ops.mul(i, g));
  const h = ops.mul(o, tanh.op(c));
  return [h, c];
}

// ---------------------------------------------------------------- one fused step and its backward

/**
 * One step over [B, ·] views. z (s.gates) holds x W + b; the recurrent
 * product adds hPrev U, then the gate values i | f | g | o overwrite z, which
 * is all the backward needs of them (σ' and tanh' come from the outputs).
 * The activations go one gate block at a time, then c, then h.
 */
function stepForward(s: Step): void {
  const { B, H, gates: z, recAct: sigma, act: tanh } = s;
  const hPrev = s.prev[0], cPrev = s.prev[1]; // [B, H] each
  const h = s.next[0], c = s.next[1]; //         [B, H] each
  const tc = s.buf.tanhC; //        [B, H] tanh(c), cached: ∂h/∂o needs it, and ∂h/∂c its derivative
  const GH = 4 * H, I = 0, F = H, G = 2 * H, O = 3 * H;
  s.rec[0].forward(z, hPrev, B); //                z += (hPrev ⊙ r_k) U_k
  sigma.applyColumns(z, z, B, GH, I, 2 * H); //   i = σ(z_i), f = σ(z_f)
  tanh.applyColumns(z, z, B, GH, G, H); //        g = tanh(z_c)
  sigma.applyColumns(z, z, B, GH, O, H); //       o = σ(z_o)
  for (let b = 0; b < B; b++) {
    for (let j = 0, r = b * GH, k = b * H; j < H; j++, k++) {
      const i = z[r + I + j], f = z[r + F + j], g = z[r + G + j];
      c[k] = f * cPrev[k] + i * g; //              c = f ⊙ cPrev + i ⊙ g
    }
  }
  tanh.applyColumns(tc, c, B, H, 0, H); //         tanh(c)
  for (let b = 0; b < B; b++) {
    for (let j = 0, r = b * GH, k = b * H; j < H; j++, k++) h[k] = z[r + O + j] * tc[k]; // h = o ⊙ tanh(c)
  }
}

/**
 * The statements of stepForward in reverse, from dh = ∂L/∂h and dc = ∂L/∂c
 * (s.dNext) to dZ = ∂L/∂z (s.dGates), and the parts of ∂L/∂hPrev and
 * ∂L/∂cPrev that pass through this step (added into s.dPrev).
 */
function stepBackward(s: Step): void {
  const { B, H, gates: z, dGates: dZ } = s;
  const cPrev = s.prev[1];
  const tc = s.buf.tanhC;
  const dh = s.dNext[0], dcNext = s.dNext[1]; //     ∂L/∂h and ∂L/∂c of the step: from the loss and from step t+1
  const dhPrev = s.dPrev[0], dcPrev = s.dPrev[1]; // where ∂L/∂hPrev and ∂L/∂cPrev are added
  const dSigma = s.recAct.derivative; // σ' from σ's output: s(1 − s) for the sigmoid
  const dTanh = s.act.derivative; //     tanh' from tanh's output: 1 − y²
  const GH = 4 * H, I = 0, F = H, G = 2 * H, O = 3 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0, r = b * GH, k = b * H; j < H; j++, k++) {
      const i = z[r + I + j], f = z[r + F + j], g = z[r + G + j], o = z[r + O + j];
      // h = o ⊙ tanh(c)
      const dO = dh[k] * tc[k]; //                            ∂h/∂o = tanh(c)
      const dc = dcNext[k] + dh[k] * o * dTanh(tc[k]); //     ∂h/∂c = o ⊙ tanh'(c), plus ∂L/∂c from step t+1
      // c = f ⊙ cPrev + i ⊙ g
      const dF = dc * cPrev[k]; //                            ∂c/∂f = cPrev
      const dI = dc * g; //                                   ∂c/∂i = g
      const dG = dc * i; //                                   ∂c/∂g = i
      dcPrev[k] += dc * f; //                                 ∂c/∂cPrev = f, carried to step t−1
      // o = σ(z_o), g = tanh(z_c), f = σ(z_f), i = σ(z_i)
      dZ[r + O + j] = dO * dSigma(o); //                      σ'(z_o) = o(1 − o)
      dZ[r + G + j] = dG * dTanh(g); //                       tanh'(z_c) = 1 − g²
      dZ[r + F + j] = dF * dSigma(f); //                      σ'(z_f) = f(1 − f)
      dZ[r + I + j] = dI * dSigma(i); //                      σ'(z_i) = i(1 − i)
    }
  }
  s.rec[0].gradInput(dhPrev, dZ, B); // z = … + (hPrev ⊙ r_k) U_k: ∂L/∂hPrev += Σ_k (dZ_k U_kᵀ) ⊙ r_k
}

/** The LSTM as the driver runs it: one recurrent product hPrev U into z; dU = Σ_t hPrev_tᵀ dZ_t over all steps at once. */
export const LSTM: Cell = {
  name: 'lstm', gates: LSTM_GATES, states: ['h', 'c'], gateNames: ['i', 'f', 'g', 'o'],
  biasShape: (H) => [LSTM_GATES * H], inputBias: (b) => b, buffers: { tanhC: ['cache', 1] },
  products: [{ first: 0, count: LSTM_GATES, masked: true, out: [LSTM_GATES, 0], grad: [LSTM_GATES, 0], input: 'h', dOutput: 'dGates' }],
  step: lstmStep, stepForward, stepBackward,
};

/** The LSTM over a whole sequence, fused (cells/sequence.ts); and the same through `lstmStep` with autograd ops, the reference. */
export const [lstmSequence, lstmReference] = sequenceFunctions(() => LSTM);
