/**
 * GRU, the gated recurrent unit, in both of its Keras variants.
 *
 * Shapes: B batch, T timesteps, D input features, H units, G = 3 gate blocks.
 * Weights in the Keras layout, gate order z, r, h along the last axis:
 *
 *   W  kernel           [D, 3H] = [W_z | W_r | W_h]
 *   U  recurrentKernel  [H, 3H] = [U_z | U_r | U_h]
 *   b  bias             resetAfter true:  [2, 3H], row 0 bx (input side), row 1 bh (recurrent side)
 *                       resetAfter false: [3H]
 *
 * One step, x [B, D] and hPrev [B, H] → h [B, H]; σ is the recurrentActivation
 * (default sigmoid), tanh the activation (default tanh); ĥ is `hh` in the code.
 *
 *   resetAfter true (the Keras default; PyTorch's form):
 *     z = σ(x W_z + bx_z + hPrev U_z + bh_z)              update gate
 *     r = σ(x W_r + bx_r + hPrev U_r + bh_r)              reset gate
 *     ĥ = tanh(x W_h + bx_h + r ⊙ (hPrev U_h + bh_h))     candidate
 *   resetAfter false:
 *     z = σ(x W_z + hPrev U_z + b_z)
 *     r = σ(x W_r + hPrev U_r + b_r)
 *     ĥ = tanh(x W_h + b_h + (r ⊙ hPrev) U_h)
 *   both:
 *     h = z ⊙ hPrev + (1 − z) ⊙ ĥ
 *
 * Dropout, as Keras 2's GRUCell (implementation 1): inverted masks drawn once
 * per batch and reused at every step, one per gate. The input to gate g is
 * x ⊙ m_g and the state fed to gate g's recurrent product is hPrev ⊙ r_g
 * (Keras's h_tm1_z, h_tm1_r, h_tm1_h; with resetAfter false the candidate's
 * product is (r ⊙ (hPrev ⊙ r_h)) U_h). The hPrev of the final blend is never
 * masked. With `dropout` alone one input mask serves all three gates.
 *
 * Masking, goBackwards, returnSequences and initial states follow
 * SequenceOptions (common.ts): a masked step carries h over and repeats the
 * previous output, which is zero before a sample's first unmasked step.
 */
import {
  Tensor, addBlockProduct, allocate, axpy, blockNorms, fillRows, formatShape, gemm, gemmPacked, gradOf, isGradEnabled,
  maskRows, record, sumRows, takeColumns,
  type FloatArray, type PackedRight,
} from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import {
  Workspace, activation, addFromTimeMajor, addMaskedGateGradients, addMaskedGateWeightGradients, checkSequence,
  dropoutLayout, gateBlocks, addMaskedGateProducts, referenceLoop, sequenceGrads, sequenceInputs, inferChunk, toTimeMajor, traced,
  type Activation, type ActivationName, type CellWeights, type DropoutMasks, type GradientProbe,
  type ReferenceResult, type SequenceDims, type SequenceGrads, type SequenceOptions, type SequenceResult,
} from './common.ts';
import { initCellWeights, initialize, type CellInitOptions } from './init.ts';

// ---------------------------------------------------------------- sizes and weights

/** G: the gate blocks z, r, h. */
export const GRU_GATES = 3;

export interface GruOptions extends SequenceOptions {
  /**
   * Keras `reset_after` (default true): r multiplies (hPrev U_h + bh_h) after
   * the product, and b is [2, 3H]. False: r multiplies hPrev before it, b is [3H].
   */
  resetAfter?: boolean;
}

export interface GruParamOptions {
  useBias?: boolean;
  resetAfter?: boolean;
}

export interface GruInitOptions extends GruParamOptions, CellInitOptions {}

/** The bias shape of a variant: [2, 3H] with resetAfter, else [3H]. */
export function gruBiasShape(H: number, resetAfter = true): number[] {
  return resetAfter ? [2, GRU_GATES * H] : [GRU_GATES * H];
}

/** 3H(D + H + 2) with resetAfter, 3H(D + H + 1) without, 3H(D + H) without a bias. */
export function gruParamCount(D: number, H: number, { useBias = true, resetAfter = true }: GruParamOptions = {}): number {
  const biasRows = useBias ? (resetAfter ? 2 : 1) : 0;
  return GRU_GATES * H * (D + H + biasRows);
}

/** Weights in the Keras layout with the Keras defaults (W [D, 3H], U [H, 3H], b [2, 3H] or [3H]); each requires a gradient. */
export function initGruWeights(D: number, H: number, options: GruInitOptions = {}): CellWeights {
  const shape = gruBiasShape(H, options.resetAfter ?? true);
  return initCellWeights(D, H, GRU_GATES, options, (init, dtype) => initialize(init, shape, dtype));
}

/** checkSequence, after checking that the bias fits the variant. */
function checkGru(x: Tensor, w: CellWeights, options: GruOptions): SequenceDims {
  const resetAfter = options.resetAfter ?? true;
  const U = w.recurrentKernel.shape;
  const H = U.length === 2 ? U[0] : 0;
  const expected = gruBiasShape(H, resetAfter);
  if (w.bias && U.length === 2 && formatShape(w.bias.shape) !== formatShape(expected)) {
    const other = formatShape(w.bias.shape) === formatShape(gruBiasShape(H, !resetAfter))
      ? ` (the layout of resetAfter ${!resetAfter})` : '';
    throw new Error(
      `gru: bias must be ${resetAfter ? '[2, 3H]' : '[3H]'} = ${formatShape(expected)} when resetAfter is ${resetAfter}, `
      + `got ${formatShape(w.bias.shape)}${other}`,
    );
  }
  return checkSequence('gru', x, w, options, GRU_GATES, 1, expected);
}

// ---------------------------------------------------------------- the reference step

export interface GruStepOptions {
  resetAfter?: boolean;
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  /** Dropout masks: input[g] [B, D], recurrent[g] [B, H]. */
  masks?: DropoutMasks | null;
}

/**
 * One step with autograd ops: x [B, D], states [hPrev [B, H]] → [h [B, H]].
 * The readable reference the fused pass is checked against.
 */
export function gruStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: GruStepOptions = {}): Tensor[] {
  const resetAfter = options.resetAfter ?? true;
  const act = activation('gru', 'activation', options.activation, 'tanh');
  const rec = activation('gru', 'recurrentActivation', options.recurrentActivation, 'sigmoid');
  const hPrev = states[0]; // [B, H]
  const H = hPrev.shape[1];
  const block = (t: Tensor, g: number): Tensor => ops.slice(t, t.rank - 1, g * H, (g + 1) * H); // gate g of [·, 3H]
  const input = options.masks?.input ?? null;
  const recurrent = options.masks?.recurrent ?? null;
  const xIn = (g: number): Tensor => (input ? ops.mulMask(x, input[g]) : x); // x ⊙ m_g [B, D]
  const hIn = (g: number): Tensor => (recurrent ? ops.mulMask(hPrev, recurrent[g]) : hPrev); // hPrev ⊙ r_g [B, H]
  const plus = (t: Tensor, b: Tensor | null): Tensor => (b ? ops.add(t, b) : t);
  const b = w.bias;
  const bx = b && resetAfter ? ops.reshape(ops.slice(b, 0, 0, 1), [GRU_GATES * H]) : b; // [3H] input side
  const bh = b && resetAfter ? ops.reshape(ops.slice(b, 0, 1, 2), [GRU_GATES * H]) : null; // [3H] recurrent side
  const [Wz, Wr, Wh] = [0, 1, 2].map((g) => block(w.kernel, g)); // [D, H] each
  const [Uz, Ur, Uh] = [0, 1, 2].map((g) => block(w.recurrentKernel, g)); // [H, H] each
  const [bxZ, bxR, bxH] = [0, 1, 2].map((g) => (bx ? block(bx, g) : null)); // [H] each
  const [bhZ, bhR, bhH] = [0, 1, 2].map((g) => (bh ? block(bh, g) : null));

  let z: Tensor, r: Tensor, hh: Tensor;
  if (resetAfter) {
    z = rec.op(ops.add(plus(ops.matmul(xIn(0), Wz), bxZ), plus(ops.matmul(hIn(0), Uz), bhZ)));
    r = rec.op(ops.add(plus(ops.matmul(xIn(1), Wr), bxR), plus(ops.matmul(hIn(1), Ur), bhR)));
    hh = act.op(ops.add(plus(ops.matmul(xIn(2), Wh), bxH), ops.mul(r, plus(ops.matmul(hIn(2), Uh), bhH))));
  } else {
    z = rec.op(ops.add(plus(ops.matmul(xIn(0), Wz), bxZ), ops.matmul(hIn(0), Uz)));
    r = rec.op(ops.add(plus(ops.matmul(xIn(1), Wr), bxR), ops.matmul(hIn(1), Ur)));
    hh = act.op(ops.add(plus(ops.matmul(xIn(2), Wh), bxH), ops.matmul(ops.mul(r, hIn(2)), Uh)));
  }
  const h = ops.add(ops.mul(z, hPrev), ops.mul(ops.addScalar(ops.neg(z), 1), hh));
  return [h];
}

/** The whole sequence through `gruStep` and the autograd: slow, plain, the reference. */
export function gruReference(x: Tensor, w: CellWeights, options: GruOptions = {}): ReferenceResult {
  const { H } = checkGru(x, w, options);
  const stepOptions: GruStepOptions = {
    resetAfter: options.resetAfter ?? true,
    activation: options.activation,
    recurrentActivation: options.recurrentActivation,
    masks: options.dropoutMasks ?? null,
  };
  return referenceLoop(x, H, 1, (xt, states) => gruStep(xt, states, w, stepOptions), options);
}

// ---------------------------------------------------------------- the fused pass: buffers

/**
 * The buffer plan of one fused pass. Row blocks are time-major: row t·B + b
 * of a [T·B, ·] buffer is sample b at processing step t.
 *
 * What grows with T. Training ('gru:train'): everything marked [T·B, ·] or
 * [T, B, ·]. Inference ('gru:infer'): nothing (for T ≥ INFER_CHUNK). The
 * sequence runs in chunks of C = inferChunk(T) steps, so xTM and xw (the
 * time-major input and its projection, one gemm per chunk), and xIn and block
 * with input dropout masks, hold C·B rows instead of T·B (C = T in
 * training); the caches shrink to one step and the backward buffers are absent.
 */
function planSizes(
  d: SequenceDims, resetAfter: boolean, inputMasks: 'none' | 'shared' | 'perGate',
  recurrentMasks: boolean, training: boolean,
) {
  const { B, T, D, H } = d;
  const TB = T * B;
  const CB = (training ? T : inferChunk(T)) * B; // rows of the input projection: all steps, or one chunk at inference
  const perGateInput = inputMasks === 'perGate';
  const train = training ? 1 : 0;
  const steps = training ? T : 1; // the caches hold every step for the backward, else only the current one
  const huCols = resetAfter ? 3 * H : 2 * H; // recurrent products in hu: z, r, h (resetAfter) or z, r
  // Widest gate block made contiguous for a gemm: the per-gate input projection,
  // and in the backward per-gate dW / dU blocks (z|r together without recurrent masks).
  const blockCols = training && !resetAfter && !recurrentMasks ? 2 * H
    : perGateInput || (training && (recurrentMasks || !resetAfter)) ? H : 0;
  return {
    // the input and its projection, all steps (training) or one chunk of C steps (inference)
    xTM: CB * D, // [C·B, D] x in processing order
    xIn: inputMasks === 'none' ? 0 : CB * D, // [C·B, D] x ⊙ m (per gate: one gate at a time)
    xw: CB * 3 * H, // [C·B, 3H] x W + bx; each step overwrites its rows with its gates z | r | ĥ
    block: CB * blockCols, // [C·B, H or 2H] one gate block of xw or dZ, contiguous
    // gate blocks of the weights, copied once per call
    wBlocks: perGateInput ? GRU_GATES * D * H : 0, // [G, D, H] W_z, W_r, W_h, each contiguous
    uZR: !resetAfter && !recurrentMasks ? H * 2 * H : 0, // [H, 2H] U_z | U_r
    uZ: recurrentMasks ? H * H : 0, // [H, H]
    uR: recurrentMasks ? H * H : 0, // [H, H]
    uH: recurrentMasks || !resetAfter ? H * H : 0, // [H, H]
    // one step
    hu: B * huCols, // [B, 3H] hPrev U + bh, or [B, 2H] hPrev U_zr
    huBlock: B * H, // [B, H] one gate's recurrent product
    hm: B * H, // [B, H] hPrev ⊙ r_g, or (resetAfter false) r ⊙ hPrev_h
    h: B * H, // [B, H] the carried state
    o: B * H, // [B, H] the previous output
    // Caches the backward reads (one step's worth at inference), besides the gates
    // in xw. The activations are cached, not recomputed: σ' = s(1 − s) and
    // tanh' = 1 − y² need only them. hRec is the one pre-activation term the
    // backward needs besides them.
    hRec: steps * B * H, // [T, B, H] hPrev U_h + bh_h (resetAfter), or r ⊙ hPrev_h
    hs: train * (T + 1) * B * H, // [T+1, B, H] h0, then the state after each step
    // the backward
    dZx: train * TB * 3 * H, // [T·B, 3H] ∂L/∂(x W + bx), the gate pre-activations' input side
    dZh: train * (resetAfter ? TB * 3 * H : 0), // [T·B, 3H] ∂L/∂(hPrev U + bh), all steps
    dHu: train * (resetAfter ? 0 : B * 2 * H), // [B, 2H] one step's ∂L/∂hu (resetAfter false)
    dHuBlock: train * B * H, // [B, H] one gate block of it, or ∂L/∂((r ⊙ hPrev_h) U_h)
    dhBlock: train * B * H, // [B, H] one block's share of ∂L/∂hPrev, or ∂L/∂(r ⊙ hPrev_h)
    dhNext: train * B * H, // [B, H] ∂L/∂h carried back through time
    doNext: train * B * H, // [B, H] ∂L/∂(previous output), through masked steps
    dXTM: train * TB * D, // [T·B, D]
    dWBlock: train * (perGateInput ? D * H : 0), // [D, H]
    dUBlock: train * (recurrentMasks ? H * H : resetAfter ? 0 : 2 * H * H), // [H, H or 2H]
    hPrevMasked: train * (recurrentMasks ? TB * H : 0), // [T·B, H] hPrev ⊙ r_g over all steps
  };
}

type GruBuffers = Record<keyof ReturnType<typeof planSizes>, FloatArray>;

/** Everything one fused pass works with, gathered once per call. */
interface GruPass extends SequenceDims {
  resetAfter: boolean;
  /** Caches every step for the backward (train plan), or overwrites one step (infer plan). */
  training: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
  act: Activation;
  rec: Activation;
  W: FloatArray; // [D, 3H]
  U: FloatArray; // [H, 3H]
  bx: FloatArray | null; // [3H] bias of the input side (all of b when resetAfter is false)
  bh: FloatArray | null; // [3H] bias of the recurrent side (resetAfter only)
  mask: Readonly<FloatArray> | null; // [B, T] in input order
  inputMasks: FloatArray[] | null; // G × [B, D]
  sharedInput: boolean; // one input mask serves all gates: one gemm
  recurrentMasks: FloatArray[] | null; // G × [B, H]
  wBlocks: readonly FloatArray[]; // [W_z, W_r, W_h] copies [D, H], with per-gate input masks
  uBlocks: readonly FloatArray[]; // [U_z, U_r, U_h] copies [H, H], with recurrent masks
  chunk: number; // C: steps per input projection (T in training, inferChunk(T) at inference)
  xwSteps: readonly FloatArray[]; // C views [B, 3H] of xw: step t uses view t % C
  dZhSteps: readonly FloatArray[]; // T views [B, 3H] of dZh (training, resetAfter)
  // The recurrent kernels packed once per pass (gemmPacked) rather than at every step; null where unused.
  // The forward's: U [H, 3H] (resetAfter), or U_zr [H, 2H] and U_h [H, H]; the backward's: their transposes.
  packedU: PackedRight | null;
  packedUh: PackedRight | null;
  packedUT: PackedRight | null;
  packedUhT: PackedRight | null;
  probe: GradientProbe | null;
  buf: GruBuffers;
  output: FloatArray; // [B, T, H] or [B, H], fresh per call
  finalH: FloatArray; // [B, H], fresh per call
  workspace: Workspace;
  ticket: number;
}

function preparePass(x: Tensor, w: CellWeights, options: GruOptions, d: SequenceDims, training: boolean): GruPass {
  const { B, T, D, H } = d;
  const act = activation('gru', 'activation', options.activation, 'tanh');
  const rec = activation('gru', 'recurrentActivation', options.recurrentActivation, 'sigmoid');
  const resetAfter = options.resetAfter ?? true;
  const { inputMasks, recurrentMasks, inputPerGate } = dropoutLayout(options);
  const sharedInput = inputMasks !== null && !inputPerGate;
  const inputKind = inputMasks === null ? 'none' : sharedInput ? 'shared' : 'perGate';
  const workspace = options.workspace ?? new Workspace();
  const buf = workspace.plan(training ? 'gru:train' : 'gru:infer', x.dtype,
    planSizes(d, resetAfter, inputKind, recurrentMasks !== null, training));
  // Only the train plan holds what a backward reads, so only its passes take a ticket.
  const ticket = training ? workspace.begin() : 0;
  const b = w.bias?.data ?? null;
  const H3 = GRU_GATES * H;
  const chunk = training ? T : inferChunk(T);
  const returnSequences = options.returnSequences ?? false;
  // A plain literal, not `...d`: built from a spread, the pass kept changing
  // its hidden class between calls, and the step functions deoptimized
  // ('wrong map') and boxed their numbers on each change.
  return {
    B: d.B, T: d.T, D: d.D, H: d.H,
    resetAfter,
    training,
    returnSequences,
    goBackwards: options.goBackwards ?? false,
    act,
    rec,
    W: w.kernel.data,
    U: w.recurrentKernel.data,
    bx: b && resetAfter ? b.subarray(0, H3) : b,
    bh: b && resetAfter ? b.subarray(H3, 2 * H3) : null,
    mask: options.mask ?? null,
    inputMasks,
    sharedInput,
    recurrentMasks,
    wBlocks: inputPerGate ? workspace.blocks(buf.wBlocks, GRU_GATES, D * H) : [],
    uBlocks: [buf.uZ, buf.uR, buf.uH],
    chunk,
    xwSteps: workspace.blocks(buf.xw, chunk, B * H3),
    dZhSteps: buf.dZh.length > 0 ? workspace.blocks(buf.dZh, T, B * H3) : [],
    packedU: null,
    packedUh: null,
    packedUT: null,
    packedUhT: null,
    probe: options.gradientProbe ?? null,
    buf,
    output: allocate(x.dtype, returnSequences ? B * T * H : B * H),
    finalH: allocate(x.dtype, B * H),
    workspace,
    ticket,
  };
}

// ---------------------------------------------------------------- the fused forward

/** Runs the whole sequence: fills p.output and p.finalH, and the caches when training. */
function forwardSequence(p: GruPass, x: Readonly<FloatArray>, h0: Readonly<FloatArray> | null): void {
  const { B, T, D, H, buf, chunk } = p;
  const H3 = GRU_GATES * H;

  // The input projection of a chunk of C steps (all T in training), before its steps:
  // xw [n·B, 3H] = x W + bx. xw starts as bx in every row, and the products add to it.
  if (p.inputMasks !== null && !p.sharedInput) gateBlocks(p.wBlocks, p.W, D, H, GRU_GATES); // W_g [D, H]
  const project = (t0: number, n: number): void => {
    const rows = n * B;
    toTimeMajor(buf.xTM, x, B, T, D, p.goBackwards, t0, n); // [n·B, D]
    if (p.bx) fillRows(buf.xw, p.bx, rows, H3);
    else buf.xw.fill(0, 0, rows * H3);
    if (p.inputMasks === null) {
      gemm(buf.xw, buf.xTM, p.W, rows, D, H3, false, false, true);
    } else if (p.sharedInput) {
      maskRows(buf.xIn, buf.xTM, p.inputMasks[0], rows, B, D); // x ⊙ m, kept for dW
      gemm(buf.xw, buf.xIn, p.W, rows, D, H3, false, false, true);
    } else {
      addMaskedGateProducts(buf.xw, buf.xIn, buf.block, buf.xTM, p.inputMasks, p.wBlocks, rows, B, D, H, H3, GRU_GATES); // xw_g += (x ⊙ m_g) W_g
    }
  };

  // The blocks of U that the loop multiplies by, packed once for all steps
  // (per gate, unpacked, with recurrent masks).
  const ws = p.workspace;
  if (p.recurrentMasks) gateBlocks(p.uBlocks, p.U, H, H, GRU_GATES); // U_g [H, H]
  if (p.resetAfter) {
    if (!p.recurrentMasks) p.packedU = ws.pack('gru:U', p.U, H, H3); // [H, 3H]
  } else {
    takeColumns(buf.uH, p.U, H, H3, 2 * H, H); // [H, H]
    p.packedUh = ws.pack('gru:Uh', buf.uH, H, H);
    if (!p.recurrentMasks) {
      takeColumns(buf.uZR, p.U, H, H3, 0, 2 * H); // [H, 2H]
      p.packedU = ws.pack('gru:Uzr', buf.uZR, H, 2 * H);
    }
  }

  if (h0) buf.h.set(h0);
  else buf.h.fill(0);
  buf.o.fill(0); // the output before a sample's first unmasked step
  if (p.training) buf.hs.set(buf.h, 0);
  for (let t = 0; t < T; t++) {
    if (t % chunk === 0) project(t, Math.min(chunk, T - t)); // the next chunk's input projection
    if (p.resetAfter) resetAfterStep(p, t);
    else resetBeforeStep(p, t);
    if (p.training) buf.hs.set(buf.h, (t + 1) * B * H);
  }
  p.finalH.set(buf.h);
  if (!p.returnSequences) p.output.set(buf.o);
}

/**
 * One step of resetAfter true: one recurrent gemm, then the gate math over
 * [B, 3H], each activation over its gate block at once (Activation.applyColumns).
 */
function resetAfterStep(p: GruPass, t: number): void {
  const { B, T, H, buf, act, rec, mask } = p;
  const H2 = 2 * H;
  const H3 = GRU_GATES * H;
  const { hu, h, o, hRec } = buf;
  const g = p.xwSteps[t % p.chunk]; // [B, 3H] x W + bx of this step, overwritten by z | r | ĥ
  const output = p.output;
  // hu [B, 3H] = hPrev U + bh: one gemm, or one per gate with recurrent masks
  if (p.bh) fillRows(hu, p.bh, B, H3);
  else hu.fill(0);
  if (p.recurrentMasks) addMaskedGateProducts(hu, buf.hm, buf.huBlock, h, p.recurrentMasks, p.uBlocks, B, B, H, H, H3, GRU_GATES);
  else gemmPacked(hu, h, p.packedU!, B, false, true);

  // z = σ(x W_z + bx_z + hPrev U_z + bh_z), r = σ(x W_r + bx_r + hPrev U_r + bh_r)
  // (g and hu have the same rows: the z and r blocks are the first 2H numbers of each)
  for (let b = 0; b < B; b++) for (let i = b * H3, end = i + H2; i < end; i++) g[i] += hu[i];
  rec.applyColumns(g, g, B, H3, 0, H2);
  // ĥ = tanh(x W_h + bx_h + r ⊙ (hPrev U_h + bh_h))
  const cacheRow = p.training ? t * B : 0;
  for (let b = 0; b < B; b++) {
    const gi = b * H3; // row of g and hu
    for (let j = 0; j < H; j++) {
      const r = g[gi + H + j];
      const huH = hu[gi + H2 + j]; // hPrev U_h + bh_h, cached for the backward's ∂/∂r
      hRec[(cacheRow + b) * H + j] = huH;
      g[gi + H2 + j] += r * huH;
    }
  }
  act.applyColumns(g, g, B, H3, H2, H);
  // h = z ⊙ hPrev + (1 − z) ⊙ ĥ
  blendStep(p, t, g, B, T, H, h, o, output, mask);
}

/**
 * h = z ⊙ hPrev + (1 − z) ⊙ ĥ from the gates g [B, 3H] of step t, into the
 * carried state h and the output; a masked step carries h over and repeats
 * the previous output o.
 */
function blendStep(
  p: GruPass, t: number, g: Readonly<FloatArray>, B: number, T: number, H: number,
  h: FloatArray, o: FloatArray, output: FloatArray, mask: Readonly<FloatArray> | null,
): void {
  const H3 = GRU_GATES * H;
  const tIn = p.goBackwards ? T - 1 - t : t; // the step's index in input order
  for (let b = 0; b < B; b++) {
    const m = mask === null ? 1 : mask[b * T + tIn];
    const gi = b * H3;
    for (let j = 0; j < H; j++) {
      const bj = b * H + j;
      const hp = h[bj];
      const z = g[gi + j];
      const hNew = z * hp + (1 - z) * g[gi + 2 * H + j]; // h = z ⊙ hPrev + (1 − z) ⊙ ĥ
      const out = m * hNew + (1 - m) * o[bj]; // a masked step repeats the previous output
      h[bj] = m * hNew + (1 - m) * hp; // ... and carries the state over
      o[bj] = out;
      if (p.returnSequences) output[(b * T + t) * H + j] = out;
    }
  }
}

/**
 * One step of resetAfter false. The candidate's recurrent product needs r
 * first, so the step is two gemms, the gates z and r between them and ĥ and
 * h after the second.
 */
function resetBeforeStep(p: GruPass, t: number): void {
  const { B, T, H, buf, act, rec, mask } = p;
  const H2 = 2 * H;
  const H3 = GRU_GATES * H;
  const { hu, huBlock, hm, h, o, hRec } = buf;
  const g = p.xwSteps[t % p.chunk]; // [B, 3H] x W + b of this step, overwritten by z | r | ĥ
  const output = p.output;
  const rH = p.recurrentMasks ? p.recurrentMasks[2] : null;
  // hu [B, 2H] = hPrev [U_z | U_r]: one gemm, or one per gate with recurrent masks
  if (p.recurrentMasks) addMaskedGateProducts(hu.fill(0), hm, huBlock, h, p.recurrentMasks, p.uBlocks, B, B, H, H, H2, 2);
  else gemmPacked(hu, h, p.packedU!, B);

  // z = σ(x W_z + b_z + hPrev U_z), r = σ(x W_r + b_r + hPrev U_r)
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H2; j++) g[b * H3 + j] += hu[b * H2 + j];
  }
  rec.applyColumns(g, g, B, H3, 0, H2);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const bj = b * H + j;
      const r = g[b * H3 + H + j];
      hm[bj] = r * (rH ? h[bj] * rH[bj] : h[bj]); // r ⊙ hPrev_h
    }
  }
  gemmPacked(huBlock, hm, p.packedUh!, B); // (r ⊙ hPrev_h) U_h [B, H]
  if (p.training) hRec.set(hm, t * B * H);
  // ĥ = tanh(x W_h + b_h + (r ⊙ hPrev) U_h)
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) g[b * H3 + H2 + j] += huBlock[b * H + j];
  }
  act.applyColumns(g, g, B, H3, H2, H);
  // h = z ⊙ hPrev + (1 − z) ⊙ ĥ
  blendStep(p, t, g, B, T, H, h, o, output, mask);
}

// ---------------------------------------------------------------- the hand-written backward

/**
 * BPTT over the whole sequence, given ∂L/∂output and ∂L/∂h_T. One reversed
 * loop carries dhNext (∂L/∂h) and doNext (∂L/∂ previous output, which masked
 * steps pass back) and keeps ∂L/∂(gate pre-activations) of every step; the
 * weight and input gradients are then one large gemm each. Adds into `grads`
 * (W [D, 3H], U [H, 3H], b [2, 3H] or [3H], h0 [B, H]).
 */
function backwardSequence(p: GruPass, dOutput: Readonly<FloatArray>, dFinalH: Readonly<FloatArray>, grads: SequenceGrads): void {
  p.workspace.check(p.ticket, 'gru');
  const { T, H, buf, probe } = p;
  // The transposes of the forward's packed kernels, for the T products dh = dZ Uᵀ.
  const ws = p.workspace;
  if (p.resetAfter) {
    if (!p.recurrentMasks) p.packedUT = ws.pack('gru:Uᵀ', p.U, GRU_GATES * H, H, true); // Uᵀ [3H, H]
  } else {
    p.packedUhT = ws.pack('gru:Uhᵀ', buf.uH, H, H, true); // U_hᵀ [H, H]
    if (!p.recurrentMasks) p.packedUT = ws.pack('gru:Uzrᵀ', buf.uZR, 2 * H, H, true); // U_zrᵀ [2H, H]
  }
  buf.dhNext.set(dFinalH); // ∂L/∂h_T
  if (p.returnSequences) buf.doNext.fill(0); // each step adds its own output's gradient
  else buf.doNext.set(dOutput); // the output is the last step's output
  for (let t = T - 1; t >= 0; t--) {
    const dhSquares = p.resetAfter ? resetAfterStepBackward(p, t, dOutput) : resetBeforeStepBackward(p, t, dOutput);
    if (probe) probe.hGradNorm[t] = Math.sqrt(dhSquares);
  }
  if (grads.h0) axpy(grads.h0, 1, buf.dhNext); // ∂L/∂h0 is what reaches the start
  inputGradients(p, grads);
  recurrentGradients(p, grads);
}

/** The reverse of resetAfterStep: one pass, then dhPrev += dHu Uᵀ. Returns Σ dh² over the step (for the probe). */
function resetAfterStepBackward(p: GruPass, t: number, dOutput: Readonly<FloatArray>): number {
  const { B, T, H, buf, act, rec, mask } = p;
  const H3 = GRU_GATES * H;
  const { xw: gates, hRec, hs, dZx, dhNext, doNext } = buf; // the forward left the gates z | r | ĥ in xw
  const dHu = p.dZhSteps[t]; // [B, 3H] this step's ∂L/∂(hPrev U + bh), kept for dU and dbh
  const tIn = p.goBackwards ? T - 1 - t : t;
  let dhSquares = 0;
  for (let b = 0; b < B; b++) {
    const m = mask === null ? 1 : mask[b * T + tIn];
    const ci = (t * B + b) * H3; // row of the gate cache and of dZx
    for (let j = 0; j < H; j++) {
      const bj = b * H + j;
      const hi = t * B * H + bj; // step t's row of hs (its hPrev) and of hRec
      const dO = doNext[bj] + (p.returnSequences ? dOutput[(b * T + t) * H + j] : 0); // ∂L/∂output_t
      const dS = dhNext[bj]; // ∂L/∂h_t, the carried state
      const dh = m * (dO + dS); // ∂L/∂hNew: output_t and h_t both take m·hNew
      dhSquares += dh * dh;
      doNext[bj] = (1 - m) * dO; // a masked step repeated the previous output
      const z = gates[ci + j];
      const r = gates[ci + H + j];
      const hh = gates[ci + 2 * H + j];
      dhNext[bj] = (1 - m) * dS + dh * z; // ∂L/∂hPrev: the carry (1 − m)·hPrev and z ⊙ hPrev
      const dhh = dh * (1 - z); // ∂hNew/∂ĥ = 1 − z
      const dz = dh * (hs[hi] - hh); // ∂hNew/∂z = hPrev − ĥ
      const dhhPre = dhh * act.derivative(hh); // through ĥ = tanh(·), from the cached ĥ: 1 − ĥ²
      const dr = dhhPre * hRec[hi]; // ∂/∂r of r ⊙ (hPrev U_h + bh_h)
      const dHuH = dhhPre * r; // ∂/∂(hPrev U_h + bh_h) of the same
      const drPre = dr * rec.derivative(r); // through r = σ(·): r(1 − r)
      const dzPre = dz * rec.derivative(z); // through z = σ(·): z(1 − z)
      dZx[ci + j] = dzPre; // input side: x W + bx
      dZx[ci + H + j] = drPre;
      dZx[ci + 2 * H + j] = dhhPre;
      dHu[b * H3 + j] = dzPre; // recurrent side: hPrev U + bh
      dHu[b * H3 + H + j] = drPre;
      dHu[b * H3 + 2 * H + j] = dHuH;
    }
  }
  // ∂L/∂hPrev += dHu Uᵀ: one gemm, or per gate (dHu_g U_gᵀ) ⊙ r_g with recurrent masks
  if (p.recurrentMasks) addMaskedGateGradients(dhNext, buf.dHuBlock, buf.dhBlock, dHu, p.recurrentMasks, p.uBlocks, B, B, H, H, H3, GRU_GATES);
  else gemmPacked(dhNext, dHu, p.packedUT!, B, false, true);
  return dhSquares;
}

/**
 * The reverse of resetBeforeStep: a pass, the candidate's gemm, a pass, then
 * dhPrev += dHu [U_z | U_r]ᵀ. Returns Σ dh² over the step (for the probe).
 */
function resetBeforeStepBackward(p: GruPass, t: number, dOutput: Readonly<FloatArray>): number {
  const { B, T, H, buf, act, rec, mask } = p;
  const H2 = 2 * H;
  const H3 = GRU_GATES * H;
  const { xw: gates, hs, dZx, dHu, dHuBlock, dhBlock, dhNext, doNext } = buf; // the forward left the gates z | r | ĥ in xw
  const rH = p.recurrentMasks ? p.recurrentMasks[2] : null;
  const tIn = p.goBackwards ? T - 1 - t : t;
  let dhSquares = 0;
  for (let b = 0; b < B; b++) {
    const m = mask === null ? 1 : mask[b * T + tIn];
    const ci = (t * B + b) * H3;
    for (let j = 0; j < H; j++) {
      const bj = b * H + j;
      const hi = t * B * H + bj;
      const dO = doNext[bj] + (p.returnSequences ? dOutput[(b * T + t) * H + j] : 0); // ∂L/∂output_t
      const dS = dhNext[bj]; // ∂L/∂h_t, the carried state
      const dh = m * (dO + dS); // ∂L/∂hNew: output_t and h_t both take m·hNew
      dhSquares += dh * dh;
      doNext[bj] = (1 - m) * dO; // a masked step repeated the previous output
      const z = gates[ci + j];
      const hh = gates[ci + 2 * H + j];
      dhNext[bj] = (1 - m) * dS + dh * z; // ∂L/∂hPrev: the carry (1 − m)·hPrev and z ⊙ hPrev
      const dhh = dh * (1 - z); // ∂hNew/∂ĥ = 1 − z
      const dz = dh * (hs[hi] - hh); // ∂hNew/∂z = hPrev − ĥ
      const dhhPre = dhh * act.derivative(hh); // through ĥ = tanh(·), from the cached ĥ: 1 − ĥ²
      dZx[ci + 2 * H + j] = dhhPre; // input side of ĥ: x W_h + b_h
      dHuBlock[bj] = dhhPre; // ∂L/∂((r ⊙ hPrev_h) U_h)
      dHu[b * H2 + j] = dz; // ∂L/∂z, held for the z line below
    }
  }
  gemmPacked(dhBlock, dHuBlock, p.packedUhT!, B); // ∂L/∂(r ⊙ hPrev_h) = dĥpre U_hᵀ
  for (let b = 0; b < B; b++) {
    const ci = (t * B + b) * H3;
    for (let j = 0; j < H; j++) {
      const bj = b * H + j;
      const hi = t * B * H + bj;
      const z = gates[ci + j];
      const r = gates[ci + H + j];
      const keep = rH ? rH[bj] : 1; // r_h: hPrev_h = hPrev ⊙ r_h is recomputed, one multiply, not cached
      const dr = dhBlock[bj] * (hs[hi] * keep); // ∂/∂r of r ⊙ hPrev_h
      dhNext[bj] += dhBlock[bj] * r * keep; // ∂/∂hPrev of r ⊙ (hPrev ⊙ r_h)
      const drPre = dr * rec.derivative(r); // through r = σ(·): r(1 − r)
      const dzPre = dHu[b * H2 + j] * rec.derivative(z); // through z = σ(·): z(1 − z)
      dZx[ci + j] = dzPre; // input side: x W + b
      dZx[ci + H + j] = drPre;
      dHu[b * H2 + j] = dzPre; // recurrent side: hPrev [U_z | U_r]
      dHu[b * H2 + H + j] = drPre;
    }
  }
  // ∂L/∂hPrev += dHu [U_z | U_r]ᵀ: one gemm, or per gate (dHu_g U_gᵀ) ⊙ r_g with recurrent masks
  if (p.recurrentMasks) addMaskedGateGradients(dhNext, dHuBlock, dhBlock, dHu, p.recurrentMasks, p.uBlocks, B, B, H, H, H2, 2);
  else gemmPacked(dhNext, dHu, p.packedUT!, B, false, true);
  return dhSquares;
}

/**
 * dW += xᵀ dZx, dx += dZx Wᵀ, dbx += Σ_rows dZx, each over all steps at once
 * (per gate with per-gate input masks); the probe's ‖∂L/∂x_t‖ from the same dx.
 */
function inputGradients(p: GruPass, grads: SequenceGrads): void {
  const { B, T, D, H, buf, probe } = p;
  const TB = T * B;
  const H3 = GRU_GATES * H;
  if (grads.b) sumRows(grads.b.subarray(0, H3), buf.dZx, TB, H3); // dbx (all of db when resetAfter is false)
  if (p.inputMasks === null || p.sharedInput) {
    const xIn = p.inputMasks === null ? buf.xTM : buf.xIn; // x, or x ⊙ m as the forward kept it
    if (grads.W) gemm(grads.W, xIn, buf.dZx, D, TB, H3, true, false, true); // dW += xᵀ dZx
    if (grads.x || probe) {
      gemm(buf.dXTM, buf.dZx, p.W, TB, H3, D, false, true); // ∂L/∂(x ⊙ m) = dZx Wᵀ
      if (p.inputMasks) maskRows(buf.dXTM, buf.dXTM, p.inputMasks[0], TB, B, D); // ⊙ m
    }
  } else {
    if (grads.W) addMaskedGateWeightGradients(grads.W, buf.xIn, buf.block, buf.dWBlock, buf.xTM, p.inputMasks, buf.dZx, TB, B, D, H, H3, GRU_GATES); // dW_g += (x ⊙ m_g)ᵀ dZx_g
    if (grads.x || probe) addMaskedGateGradients(buf.dXTM.fill(0), buf.block, buf.xIn, buf.dZx, p.inputMasks, p.wBlocks, TB, B, D, H, H3, GRU_GATES); // Σ_g (dZx_g W_gᵀ) ⊙ m_g
  }
  if (probe) blockNorms(probe.xGradNorm, buf.dXTM, T, B * D); // ‖∂L/∂x_t‖, step by step
  if (grads.x) addFromTimeMajor(grads.x, buf.dXTM, B, T, D, p.goBackwards); // back to [B, T, D] in input order
}

/**
 * dU and dbh after the loop. dU is one gemm over the cached hPrev of all steps
 * (hsᵀ dZ, [H, T·B] · [T·B, 3H]) instead of T per-step accumulations: the same
 * FLOPs as one large gemm rather than T small ones. Per gate block where the
 * state fed to a gate differs (recurrent masks; r ⊙ hPrev_h for resetAfter false).
 */
function recurrentGradients(p: GruPass, grads: SequenceGrads): void {
  const { B, T, H, buf } = p;
  const TB = T * B;
  const H3 = GRU_GATES * H;
  const masks = p.recurrentMasks;
  const dU = grads.U;
  if (p.resetAfter) {
    if (grads.b) sumRows(grads.b.subarray(H3, 2 * H3), buf.dZh, TB, H3); // dbh += Σ_rows dZh
    if (!dU) return;
    if (!masks) {
      gemm(dU, buf.hs, buf.dZh, H, TB, H3, true, false, true); // dU += hPrevᵀ dZh (hs rows 0..T·B−1 are the hPrevs)
      return;
    }
    // dU_g += (hPrev ⊙ r_g)ᵀ dZh_g, every step at once (the masks are constant over time)
    addMaskedGateWeightGradients(dU, buf.hPrevMasked, buf.block, buf.dUBlock, buf.hs, masks, buf.dZh, TB, B, H, H, H3, GRU_GATES);
    return;
  }
  if (!dU) return;
  if (!masks) {
    addBlockProduct(dU, buf.block, buf.dUBlock, buf.hs, buf.dZx, TB, H, H3, 0, 2 * H); // dU_zr += hPrevᵀ dZ_zr
  } else {
    addMaskedGateWeightGradients(dU, buf.hPrevMasked, buf.block, buf.dUBlock, buf.hs, masks, buf.dZx, TB, B, H, H, H3, 2); // dU_g += (hPrev ⊙ r_g)ᵀ dZ_g
  }
  addBlockProduct(dU, buf.block, buf.dUBlock, buf.hRec, buf.dZx, TB, H, H3, 2 * H, H); // dU_h += (r ⊙ hPrev_h)ᵀ dĥpre
}

// ---------------------------------------------------------------- the public entry points

/**
 * The GRU over a sequence, fused: x [B, T, D] → output [B, T, H] (returnSequences)
 * or [B, H], and states [h_T [B, H]]. When recording, the whole sequence is one
 * tape node whose backward is the hand-written BPTT above.
 */
export function gruSequence(x: Tensor, w: CellWeights, options: GruOptions = {}): SequenceResult {
  const d = checkGru(x, w, options);
  const { B, T, H } = d;
  const inputs = sequenceInputs(x, w, options);
  const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const p = preparePass(x, w, options, d, recording);
  forwardSequence(p, x.data, options.initialState?.[0]?.data ?? null);
  const output = new Tensor(p.output, p.returnSequences ? [B, T, H] : [B, H]);
  const hT = new Tensor(p.finalH, [B, H]);
  if (recording) {
    record('gru', inputs, [output, hT], () => backwardSequence(p, gradOf(output), gradOf(hT), sequenceGrads(x, w, options)));
  }
  return { output, states: [hT] };
}

/** The names of the traced activations. */
export type GruTraceName = 'z' | 'r' | 'hh' | 'h';

/**
 * The fused forward's own per-step values, each [B, T, H] in processing order
 * (like the outputs): z, r and the candidate ĥ ('hh') as each step computed
 * them, and the carried state h after each step (trace semantics: common.ts).
 * Runs the training plan (which caches every step) without recording.
 */
export function gruTrace(x: Tensor, w: CellWeights, options: GruOptions = {}): Record<GruTraceName, Tensor> {
  const d = checkGru(x, w, options);
  const { B, H } = d;
  const p = preparePass(x, w, options, d, true);
  forwardSequence(p, x.data, options.initialState?.[0]?.data ?? null);
  const { xw, hs } = p.buf;
  const gate = (g: number): Tensor => traced(xw, GRU_GATES * H, g * H, d, x.dtype); // block g of [T·B, 3H], after each step's gate pass
  return { z: gate(0), r: gate(1), hh: gate(2), h: traced(hs.subarray(B * H), H, 0, d, x.dtype) }; // hs block t + 1: after step t
}
