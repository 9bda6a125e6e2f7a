/**
 * SimpleRNN: the fully connected recurrent cell (Keras `SimpleRNNCell`).
 *
 *   z = (x ⊙ m_x) W + b + (hPrev ⊙ m_h) U      the pre-activation
 *   h = f(z)                                    f = activation (default tanh)
 *
 * Shapes (letters as in common.ts, G = 1 for this cell):
 *   x [B, D] per step, sequences [B, T, D]; hPrev, h [B, H];
 *   W (kernel) [D, H], U (recurrentKernel) [H, H], b (bias) [H] or none.
 * There is one gate block, so there is no gate order to state. Params H(D + H + 1).
 * SimpleRNN has no recurrent activation: `recurrentActivation` is not used.
 *
 * Dropout (Keras 2): inverted masks, drawn once per batch and reused at every
 * step. m_x [B, D] multiplies the input, m_h [B, H] the state fed to U; G = 1,
 * so each is a single mask (`input[0]`, `recurrent[0]` of `drawDropoutMasks`).
 * The state carried to the next step is h itself, never masked.
 *
 * Masking (Keras K.rnn): where mask m = 0 the state carries over
 * (h_t = hPrev) and the output repeats the previous output, which is zero
 * before the first unmasked step: out_t = m·h + (1 − m)·out_{t−1}.
 * goBackwards processes the steps from the last; outputs come in processing order.
 */
import {
  Tensor, addMaskedRows, allocate, axpy, blockNorms, fillRows, gemm, gemmPacked, gradOf, isGradEnabled, maskRows, record,
  sumRows,
  type DType, type FloatArray,
} from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import {
  Workspace, activation, addFromTimeMajor, checkSequence, referenceLoop, sequenceGrads, sequenceInputs,
  inferChunk, toTimeMajor, traced,
  type Activation, type ActivationName, type CellWeights, type DropoutMasks, type ReferenceResult,
  type SequenceDims, type SequenceGrads, type SequenceOptions, type SequenceResult,
} from './common.ts';
import { initCellWeights, type CellInitOptions } from './init.ts';

const CELL = 'simpleRnn';

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

// ---------------------------------------------------------------- the reference step

export interface SimpleRnnStepOptions {
  /** f (default tanh). */
  activation?: ActivationName;
  /** m_x = input[0] [B, D], m_h = recurrent[0] [B, H]. */
  masks?: DropoutMasks | null;
}

/** One step with autograd ops. x [B, D], states [hPrev [B, H]] → [h [B, H]]. */
export function simpleRnnStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: SimpleRnnStepOptions = {}): Tensor[] {
  const f = activation(CELL, 'activation', options.activation, 'tanh');
  const [hPrev] = states;
  const xIn = options.masks?.input ? ops.mulMask(x, options.masks.input[0]) : x; // x ⊙ m_x
  const hIn = options.masks?.recurrent ? ops.mulMask(hPrev, options.masks.recurrent[0]) : hPrev; // hPrev ⊙ m_h
  const xw = ops.matmul(xIn, w.kernel); // (x ⊙ m_x) W
  const xwb = w.bias ? ops.add(xw, w.bias) : xw; // + b
  const z = ops.add(xwb, ops.matmul(hIn, w.recurrentKernel)); // + (hPrev ⊙ m_h) U
  const h = f.op(z); // h = f(z)
  return [h];
}

/** The whole sequence as a loop of `simpleRnnStep`: the readable reference for the fused pass. */
export function simpleRnnReference(x: Tensor, w: CellWeights, options: SequenceOptions = {}): ReferenceResult {
  const { H } = checkSequence(CELL, x, w, options, SIMPLE_RNN_GATES, 1, [w.recurrentKernel.shape[0]]);
  const stepOptions = { activation: options.activation, masks: options.dropoutMasks };
  return referenceLoop(x, H, 1, (xt, states) => simpleRnnStep(xt, states, w, stepOptions), options);
}

// ---------------------------------------------------------------- buffer plans

/**
 * The training plan: the forward's caches and the backward's scratch, one allocation.
 * Everything marked T grows with the sequence length.
 */
function trainPlanSizes({ B, T, D, H }: SequenceDims, options: SequenceOptions) {
  const recurrentMasked = options.dropoutMasks?.recurrent ? 1 : 0;
  return {
    xTM: T * B * D, // [T, B, D] x in processing order, ⊙ m_x
    z: T * B * H, // [T, B, H] xW + b, then + hU, then h = f(z) in place: the cached activations
    hs: (T + 1) * B * H, // [T+1, B, H] the state before each step, and the final state
    hsMasked: recurrentMasked * T * B * H, // [T, B, H] hPrev ⊙ m_h, the left operand of U
    out: B * H, // [B, H] the running output (differs from h only under masking)
    dZ: T * B * H, // [T, B, H] ∂L/∂z for all steps
    dhNext: B * H, // [B, H] ∂L/∂h carried back through time
    dOutNext: B * H, // [B, H] ∂L/∂out carried back through masked steps
    dhIn: recurrentMasked * B * H, // [B, H] ∂L/∂(hPrev ⊙ m_h) of one step
    dXTM: T * B * D, // [T, B, D] ∂L/∂xTM
  };
}

/**
 * The inference plan stores no per-step activations and does not grow with T
 * (for T ≥ INFER_CHUNK): the sequence runs in chunks of C = inferChunk(T)
 * steps, each chunk's input copied to xTM [C, B, D] and projected by one gemm
 * into z [C, B, H]; the rest is [B, H].
 */
function inferPlanSizes({ B, T, D, H }: SequenceDims, options: SequenceOptions) {
  const recurrentMasked = options.dropoutMasks?.recurrent ? 1 : 0;
  const C = inferChunk(T);
  return {
    xTM: C * B * D, // [C, B, D] the current chunk's x in processing order, ⊙ m_x
    z: C * B * H, // [C, B, H] xW + b for the chunk's steps; step t is overwritten by h_t
    h: B * H, // [B, H] the state, updated in place
    hMasked: recurrentMasked * B * H, // [B, H] hPrev ⊙ m_h
    out: B * H, // [B, H] the running output
  };
}

/** The sizes of the buffer plan a call with these dimensions and options uses (for the specs and benchmarks). */
export function simpleRnnPlanSizes(kind: 'train' | 'infer', dims: SequenceDims, options: SequenceOptions = {}): Readonly<Record<string, number>> {
  return kind === 'train' ? trainPlanSizes(dims, options) : inferPlanSizes(dims, options);
}

/**
 * What the forward reads and writes. Per-step lists hold T views of [B, H],
 * cut once per plan buffer (Workspace.blocks): the time loops index them
 * instead of creating views (the gemm takes whole arrays).
 */
interface ForwardBuffers {
  chunk: number; // C: steps per input projection (T in training, inferChunk(T) at inference)
  xTM: FloatArray; // [C, B, D]
  z: FloatArray; // [C, B, H]
  zSteps: FloatArray[]; // z_t of the chunk's steps, [B, H] each
  hPrev: FloatArray[]; // the state step t reads
  hNext: FloatArray[]; // the state step t writes (the same view as hPrev[t] at inference)
  hIn: FloatArray[]; // hPrev ⊙ m_h, or hPrev itself without recurrent dropout
  out: FloatArray; // [B, H]
}

interface TrainBuffers extends ForwardBuffers {
  hs: FloatArray; // [T+1, B, H] h0, then the carried state after each step
  hInAll: FloatArray; // [T·B, H] every step's hIn, for the one dU gemm
  dZ: FloatArray; // [T·B, H]
  dZSteps: FloatArray[]; // dZ_t, [B, H] each
  dhNext: FloatArray; // [B, H]
  dOutNext: FloatArray; // [B, H]
  dhIn: FloatArray; // [B, H]
  dXTM: FloatArray; // [T, B, D]
}

function trainBuffers(workspace: Workspace, dims: SequenceDims, dtype: DType, options: SequenceOptions): TrainBuffers {
  const p = workspace.plan(`${CELL}:train`, dtype, trainPlanSizes(dims, options));
  const { B, T, H } = dims;
  const BH = B * H;
  const recurrentMasked = p.hsMasked.length > 0;
  const hPrev = workspace.blocks(p.hs, T, BH); // hs[0 .. T−1]
  return {
    chunk: T, xTM: p.xTM, z: p.z, zSteps: workspace.blocks(p.z, T, BH), out: p.out,
    hs: p.hs,
    hPrev,
    hNext: workspace.blocks(p.hs, T, BH, BH, BH), // hs[1 .. T]
    hIn: recurrentMasked ? workspace.blocks(p.hsMasked, T, BH) : hPrev,
    hInAll: recurrentMasked ? p.hsMasked : workspace.blocks(p.hs, 1, T * BH)[0],
    dZ: p.dZ, dZSteps: workspace.blocks(p.dZ, T, BH),
    dhNext: p.dhNext, dOutNext: p.dOutNext, dhIn: p.dhIn, dXTM: p.dXTM,
  };
}

function inferBuffers(workspace: Workspace, dims: SequenceDims, dtype: DType, options: SequenceOptions): ForwardBuffers {
  const p = workspace.plan(`${CELL}:infer`, dtype, inferPlanSizes(dims, options));
  const { B, T, H } = dims;
  const BH = B * H;
  const C = inferChunk(T);
  const h = workspace.blocks(p.h, T, BH, 0); // stride 0: every step reads and writes the one state
  return {
    chunk: C, xTM: p.xTM, z: p.z, zSteps: workspace.blocks(p.z, C, BH), out: p.out,
    hPrev: h, hNext: h,
    hIn: p.hMasked.length > 0 ? workspace.blocks(p.hMasked, T, BH, 0) : h,
  };
}

// ---------------------------------------------------------------- the fused forward

/**
 * Runs the whole sequence and writes `output` ([B, T, H] in processing order
 * with returnSequences, else [B, H]). The final state is left in hNext[T−1].
 */
function forwardSequence(
  output: FloatArray, x: Tensor, w: CellWeights, dims: SequenceDims, options: SequenceOptions,
  f: Activation, buf: ForwardBuffers, workspace: Workspace,
): void {
  const { B, T, D, H } = dims;
  const reverse = options.goBackwards ?? false;
  const returnSequences = options.returnSequences ?? false;
  const mask = options.mask ?? null; // [B, T] in input order
  const mx = options.dropoutMasks?.input?.[0] ?? null; // [B, D]
  const mh = options.dropoutMasks?.recurrent?.[0] ?? null; // [B, H]
  const U = workspace.pack(`${CELL}:U`, w.recurrentKernel.data, H, H); // [H, H], packed once for the T products
  const { chunk, xTM, z, zSteps, hPrev, hNext, hIn, out } = buf;
  const h0 = options.initialState?.[0];
  if (h0) hPrev[0].set(h0.data);
  else hPrev[0].fill(0);
  out.fill(0); // the output before the first unmasked step

  // Chunks of C steps (one chunk of T in training): the chunk's input projection, then its steps.
  for (let t0 = 0; t0 < T; t0 += chunk) {
    const n = Math.min(chunk, T - t0); // steps in this chunk
    const rows = n * B;
    toTimeMajor(xTM, x.data, B, T, D, reverse, t0, n); // xTM [n, B, D] in processing order
    if (mx) maskRows(xTM, xTM, mx, rows, B, D); // x ⊙ m_x, one mask [B, D] for every step
    if (w.bias) fillRows(z, w.bias.data, rows, H); // z = b in every row,
    else z.fill(0, 0, rows * H);
    gemm(z, xTM, w.kernel.data, rows, D, H, false, false, true); // + (x ⊙ m_x) W for the chunk's steps at once  [n·B, H]

    for (let t = t0; t < t0 + n; t++) {
      const tIn = reverse ? T - 1 - t : t; // the step's index in input order
      const hp = hPrev[t]; // [B, H]
      const hi = hIn[t]; // [B, H]
      const zt = zSteps[t - t0]; // [B, H]
      const h = hNext[t]; // [B, H]
      if (mh) maskRows(hi, hp, mh, B, B, H); // hPrev ⊙ m_h
      gemmPacked(zt, hi, U, B, false, true); // z += (hPrev ⊙ m_h) U
      f.applyColumns(zt, zt, B, H, 0, H); // a = f(z), cached in place of z for the backward
      for (let b = 0; b < B; b++) {
        const m = mask ? mask[b * T + tIn] : 1;
        for (let j = 0; j < H; j++) {
          const i = b * H + j;
          const a = zt[i];
          h[i] = m * a + (1 - m) * hp[i]; // h_t: the state carries over where m = 0
          out[i] = m * a + (1 - m) * out[i]; // out_t: repeats the previous output where m = 0
          if (returnSequences) output[(b * T + t) * H + j] = out[i];
        }
      }
    }
  }
  if (!returnSequences) output.set(out);
}

// ---------------------------------------------------------------- the hand-written BPTT

/**
 * The forward's statements in reverse order. dOutput is ∂L/∂output (the
 * shape of the output), dhFinal ∂L/∂h_T; gradients are added into `grads`
 * (W [D, H], U [H, H], b [H]). Derivatives of f come from the
 * cached activations (tanh' = 1 − h², σ' = h(1 − h)): caching h costs
 * nothing extra, since the forward needs f(z) anyway, and saves recomputing f.
 */
function backwardSequence(
  grads: SequenceGrads, dOutput: Readonly<FloatArray>, dhFinal: Readonly<FloatArray> | null,
  w: CellWeights, dims: SequenceDims, options: SequenceOptions, f: Activation, buf: TrainBuffers, workspace: Workspace,
): void {
  const { B, T, D, H } = dims;
  const reverse = options.goBackwards ?? false;
  const returnSequences = options.returnSequences ?? false;
  const mask = options.mask ?? null;
  const mx = options.dropoutMasks?.input?.[0] ?? null;
  const mh = options.dropoutMasks?.recurrent?.[0] ?? null;
  const UT = workspace.pack(`${CELL}:Uᵀ`, w.recurrentKernel.data, H, H, true); // Uᵀ [H, H], packed once for the T products
  const derivative = f.derivative;
  const probe = options.gradientProbe ?? null;
  const { xTM, zSteps, hInAll, dZ, dZSteps, dhNext, dOutNext, dhIn, dXTM } = buf;

  if (dhFinal) dhNext.set(dhFinal);
  else dhNext.fill(0);
  dOutNext.fill(0);
  for (let t = T - 1; t >= 0; t--) {
    const tIn = reverse ? T - 1 - t : t;
    const at = zSteps[t]; // the cached f(z_t)  [B, H]
    const dZt = dZSteps[t]; // [B, H]
    let daSquares = 0; // Σ (∂L/∂a)² over the step, for the probe
    for (let b = 0; b < B; b++) {
      const m = mask ? mask[b * T + tIn] : 1;
      for (let j = 0; j < H; j++) {
        const i = b * H + j;
        const fromLoss = returnSequences ? dOutput[(b * T + t) * H + j] : t === T - 1 ? dOutput[i] : 0;
        const dOut = dOutNext[i] + fromLoss; // ∂L/∂out_t: from the loss and from later steps that repeated out_t
        dOutNext[i] = (1 - m) * dOut; // ∂out_t/∂out_{t−1} = 1 − m
        let da = m * dOut; // ∂out_t/∂a = m
        da += m * dhNext[i]; // ∂h_t/∂a = m
        daSquares += da * da;
        dhNext[i] = (1 - m) * dhNext[i]; // ∂h_t/∂hPrev = 1 − m (the carry; the path through U is added below)
        dZt[i] = da * derivative(at[i]); // ∂a/∂z = f'(z), written from the cached a
      }
    }
    if (probe) probe.hGradNorm[t] = Math.sqrt(daSquares); // ‖∂L/∂a‖: a is the h this step computed
    if (mh) {
      gemmPacked(dhIn, dZt, UT, B); // ∂L/∂(hPrev ⊙ m_h) = dZ_t Uᵀ
      addMaskedRows(dhNext, dhIn, mh, B, B, H); // ∂L/∂hPrev += (dZ_t Uᵀ) ⊙ m_h
    } else {
      gemmPacked(dhNext, dZt, UT, B, false, true); // ∂L/∂hPrev += dZ_t Uᵀ
    }
  }
  if (grads.h0) axpy(grads.h0, 1, dhNext); // ∂L/∂h0 is what is carried out of the first step

  // dU belongs to the loop's gemm, but is taken here as ONE gemm over every
  // step's cached hIn instead of T small accumulations: the same FLOPs, one large gemm.
  if (grads.U) gemm(grads.U, hInAll, dZ, H, T * B, H, true, false, true); // dU += Σ_t (hPrev_t ⊙ m_h)ᵀ dZ_t
  if (grads.b) sumRows(grads.b, dZ, T * B, H); // db += Σ_{t,b} dZ
  if (grads.W) gemm(grads.W, xTM, dZ, D, T * B, H, true, false, true); // dW += (x ⊙ m_x)ᵀ dZ
  if (grads.x || probe) {
    gemm(dXTM, dZ, w.kernel.data, T * B, H, D, false, true); // ∂L/∂(x ⊙ m_x) = dZ Wᵀ  [T·B, D]
    if (mx) maskRows(dXTM, dXTM, mx, T * B, B, D); // ⊙ m_x
    if (probe) blockNorms(probe.xGradNorm, dXTM, T, B * D); // ‖∂L/∂x_t‖, step by step
    if (grads.x) addFromTimeMajor(grads.x, dXTM, B, T, D, reverse); // back to [B, T, D] in input order
  }
}

// ---------------------------------------------------------------- the public functions

function checked(x: Tensor, w: CellWeights, options: SequenceOptions): { dims: SequenceDims; f: Activation } {
  const dims = checkSequence(CELL, x, w, options, SIMPLE_RNN_GATES, 1, [w.recurrentKernel.shape[0]]);
  return { dims, f: activation(CELL, 'activation', options.activation, 'tanh') };
}

/**
 * The fused SimpleRNN over a sequence x [B, T, D]: output [B, T, H] (returnSequences)
 * or [B, H], and the final state [h [B, H]]. When recording, one tape node covers
 * the whole sequence and its backward is the hand-written BPTT.
 */
export function simpleRnnSequence(x: Tensor, w: CellWeights, options: SequenceOptions = {}): SequenceResult {
  const { dims, f } = checked(x, w, options);
  const { B, T, H } = dims;
  const inputs = sequenceInputs(x, w, options);
  const training = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const workspace = options.workspace ?? new Workspace();
  const returnSequences = options.returnSequences ?? false;
  // Fresh tensors: the caller keeps them after the workspace is reused.
  const output = new Tensor(allocate(x.dtype, returnSequences ? B * T * H : B * H), returnSequences ? [B, T, H] : [B, H]);
  const hT = new Tensor(allocate(x.dtype, B * H), [B, H]);

  if (!training) {
    const buf = inferBuffers(workspace, dims, x.dtype, options);
    forwardSequence(output.data, x, w, dims, options, f, buf, workspace);
    hT.data.set(buf.hNext[T - 1]);
    return { output, states: [hT] };
  }

  const ticket = workspace.begin();
  const buf = trainBuffers(workspace, dims, x.dtype, options);
  forwardSequence(output.data, x, w, dims, options, f, buf, workspace);
  hT.data.set(buf.hNext[T - 1]);
  record(CELL, inputs, [output, hT], () => {
    workspace.check(ticket, CELL);
    backwardSequence(sequenceGrads(x, w, options), gradOf(output), hT.grad, w, dims, options, f, buf, workspace);
  });
  return { output, states: [hT] };
}

/** Names of the traced values. */
export type SimpleRnnTraceName = 'h';

/**
 * The fused forward's carried state after each step, { h: [B, T, H] } in
 * processing order (trace semantics: common.ts). Runs the training plan,
 * records nothing.
 */
export function simpleRnnTrace(x: Tensor, w: CellWeights, options: SequenceOptions = {}): Record<SimpleRnnTraceName, Tensor> {
  const { dims, f } = checked(x, w, options);
  const { B, T, H } = dims;
  const workspace = options.workspace ?? new Workspace();
  workspace.begin(); // the train buffers are overwritten: an outstanding backward must not read them
  const buf = trainBuffers(workspace, dims, x.dtype, options);
  const output = allocate(x.dtype, (options.returnSequences ? T : 1) * B * H);
  forwardSequence(output, x, w, dims, options, f, buf, workspace);
  return { h: traced(buf.hs.subarray(B * H), H, 0, dims, x.dtype) }; // hs block t + 1: the state after step t
}
