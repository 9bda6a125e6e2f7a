/**
 * LSTM: long short-term memory, exactly as Keras's LSTMCell.
 *
 * Shapes: B batch, T timesteps, D input features, H units, G = 4 gate blocks.
 * σ is the recurrent activation (default sigmoid), tanh the activation
 * (default tanh); both can be changed, as in Keras.
 *
 *   z = x W + hPrev U + b          [B, 4H], the gate blocks i | f | c | o
 *   i = σ(z_i)                     input gate: how much of the candidate to write
 *   f = σ(z_f)                     forget gate: how much of the old cell to keep
 *   g = tanh(z_c)                  candidate cell values (the cell write)
 *   o = σ(z_o)                     output gate: how much of the cell to show
 *   c = f ⊙ cPrev + i ⊙ g          new cell state
 *   h = o ⊙ tanh(c)                new hidden state, which is also the output
 *
 * Weights, Keras layout, gate blocks side by side along the last axis in the
 * order i, f, c, o:
 *   W = kernel [D, 4H],  U = recurrentKernel [H, 4H],  b = bias [4H] (or none).
 * States: [h, c], each [B, H].
 *
 * Dropout (Keras 2, implementation 1): fixed inverted masks for the whole
 * sequence, m_k [B, D] on the input and r_k [B, H] on the state, one per gate
 * block k ∈ {i, f, c, o}:
 *   z_k = (x ⊙ m_k) W_k + (hPrev ⊙ r_k) U_k + b_k
 * With only `dropout`, one input mask serves all four blocks; with
 * `recurrentDropout` each block has its own masks. The carried cell state c
 * is never masked.
 *
 * The file reads top-down: sizes and initial weights, the reference step
 * (autograd ops), the fused forward over a whole sequence, its hand-written
 * BPTT, then the public sequence function and the trace.
 */
import {
  Tensor, addMaskedRows, allocate, axpy, blockNorms, fillRows, gemm, gemmPacked, gradOf, isGradEnabled, maskRows, record,
  sumRows,
  type FloatArray,
} from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import {
  Workspace, activation, addFromTimeMajor, addMaskedGateGradients, addMaskedGateWeightGradients, checkSequence,
  dropoutLayout, gateBlocks, addMaskedGateProducts, referenceLoop, sequenceGrads, sequenceInputs, inferChunk, toTimeMajor, traced,
  type Activation, type ActivationName, type CellWeights, type DropoutMasks, type GradientProbe,
  type ReferenceResult, type SequenceDims, type SequenceGrads, type SequenceOptions, type SequenceResult,
} from './common.ts';
import { initCellWeights, initialize, type CellInitOptions } from './init.ts';

/** G: the gate blocks i, f, c, o. */
export const LSTM_GATES = 4;

const CELL = 'lstm';

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
  const GH = LSTM_GATES * H;
  if (options.unitForgetBias === false) return initCellWeights(D, H, LSTM_GATES, options);
  return initCellWeights(D, H, LSTM_GATES, options, (init, dtype) => {
    // [biasInit(H), ones(H), biasInit(2H)], as Keras concatenates it
    const data = allocate(dtype, GH);
    data.set(initialize(init, [H], dtype).data, 0);
    data.fill(1, H, 2 * H);
    data.set(initialize(init, [2 * H], dtype).data, 2 * H);
    return new Tensor(data, [GH]);
  });
}

// ---------------------------------------------------------------- the reference step

export interface LstmStepOptions {
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  /** Dropout masks, one per gate block: input[k] [B, D], recurrent[k] [B, H]. */
  masks?: DropoutMasks | null;
}

/**
 * One timestep with autograd ops. x: [B, D]; states: [hPrev, cPrev], each
 * [B, H]. Returns [h, c]. Written per gate block (Keras implementation 1) so
 * that each block can see its own dropout mask.
 */
export function lstmStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: LstmStepOptions = {}): Tensor[] {
  const tanh = activation(CELL, 'activation', options.activation, 'tanh');
  const sigma = activation(CELL, 'recurrentActivation', options.recurrentActivation, 'sigmoid');
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

/** The whole sequence through `lstmStep` with autograd ops: what the fused pass is checked against. */
export function lstmReference(x: Tensor, w: CellWeights, options: SequenceOptions = {}): ReferenceResult {
  const { H } = checkSequence(CELL, x, w, options, LSTM_GATES, 2, [LSTM_GATES * lstmUnits(w)]);
  const stepOptions: LstmStepOptions = {
    activation: options.activation,
    recurrentActivation: options.recurrentActivation,
    masks: options.dropoutMasks,
  };
  return referenceLoop(x, H, 2, (xt, states) => lstmStep(xt, states, w, stepOptions), options);
}

function lstmUnits(w: CellWeights): number {
  return w.recurrentKernel.shape[0];
}

// ---------------------------------------------------------------- buffers of the fused pass

/**
 * The buffer plan of one fused pass. Training ('lstm:train') keeps every
 * step for the backward; inference ('lstm:infer') keeps one step.
 *
 * z holds the gate pre-activations of all steps: x W + b for every step
 * before the time loop, then step t adds hPrev U to its rows, and its gate
 * pass overwrites them with the gate values i | f | g | o, which is all the
 * backward needs of them (σ' and tanh' come from the outputs).
 *
 * At inference nothing grows with T (for T ≥ INFER_CHUNK): the sequence runs
 * in chunks of C = inferChunk(T) steps, each chunk's input projection one gemm
 * into xTM [C·B, D] and z [C·B, 4H] (plus rowsD [C·B, D] and rowsH [C·B, H]
 * when each gate has its own input dropout mask, also chunked). Everything
 * else is one step deep. Training keeps all T steps (C = T).
 */
function planSizes(dims: SequenceDims, train: boolean, inputPerGate: boolean, recurrentMasks: boolean, recurrentPerGate: boolean) {
  const { B, T, D, H } = dims;
  const TB = T * B;
  const CB = (train ? T : inferChunk(T)) * B; // rows of the input projection: all steps (training), one chunk (inference)
  const GH = LSTM_GATES * H;
  const cached = train ? TB : B; // rows of the per-step caches
  const stateRows = train ? TB + B : B; // h and c of every step, after h0 and c0
  const grad = (n: number): number => (train ? n : 0); // backward-only buffers
  return {
    xTM: CB * D, //           [C, B, D] x in processing order (⊙ m when one input mask serves all gates); C = T in training
    z: CB * GH, //            [C·B, 4H] z = x W + b + hPrev U of each step, overwritten by i | f | g | o
    tanhC: cached * H, //     [T·B, H] cached tanh(c) of each step's new cell (training), [B, H] (inference)
    hStates: stateRows * H, // [T+1, B, H] h0, then h after each step (training); [B, H] updated in place (inference)
    cStates: stateRows * H, // [T+1, B, H] c0, then c after each step; [B, H] in place (inference)
    dZ: grad(TB * GH), //     [T·B, 4H] gradient of the pre-activations z, all steps
    dXTM: grad(TB * D), //    [T, B, D] gradient of xTM
    dhNext: grad(B * H), //   [B, H] gradient flowing into h of the step before
    dcNext: grad(B * H), //   [B, H] gradient flowing into c of the step before
    dOutCarry: grad(B * H), // [B, H] gradient of a masked step's output, on its way to the previous output
    // Only with per-gate input dropout masks:
    Wg: inputPerGate ? LSTM_GATES * D * H : 0, // [G, D, H] the gate blocks of W, each contiguous
    rowsD: inputPerGate ? CB * D : 0, //          [C·B, D] one gate's x ⊙ m_k (or its input gradient)
    rowsH: inputPerGate || (train && recurrentPerGate) ? CB * H : 0, // [C·B, H] one gate's column block of z or dZ
    dWg: inputPerGate ? grad(D * H) : 0, //       [D, H] one gate's block of dW
    // Only with recurrent dropout masks:
    hm: recurrentMasks ? B * H : 0, //            [B, H] hPrev ⊙ r_k of the current step
    dhStep: recurrentMasks ? grad(B * H) : 0, //  [B, H] dZ_t U_kᵀ before ⊙ r_k
    hGate: recurrentMasks ? grad(TB * H) : 0, //  [T·B, H] hPrev ⊙ r_k of all steps (for dU)
    Ug: recurrentPerGate ? LSTM_GATES * H * H : 0, // [G, H, H] the gate blocks of U, each contiguous
    huStep: recurrentPerGate ? B * H : 0, //      [B, H] (hPrev ⊙ r_k) U_k, or dZ_t of block k in the backward
    dUg: recurrentPerGate ? grad(H * H) : 0, //   [H, H] one gate's block of dU
  };
}

type LstmBuffers = Record<keyof ReturnType<typeof planSizes>, FloatArray>;

/** The sizes of the buffer plan a call with these dimensions and options uses (for the specs and benchmarks). */
export function lstmPlanSizes(kind: 'train' | 'infer', dims: SequenceDims, options: SequenceOptions = {}): Readonly<Record<string, number>> {
  const { inputPerGate, recurrentMasks, recurrentPerGate } = dropoutLayout(options);
  return planSizes(dims, kind === 'train', inputPerGate, recurrentMasks !== null, recurrentPerGate);
}


// ---------------------------------------------------------------- the fused forward

/** Everything the backward (and the trace) needs from a forward pass. */
interface ForwardPass {
  dims: SequenceDims;
  train: boolean;
  ticket: number;
  workspace: Workspace;
  buf: LstmBuffers;
  w: CellWeights;
  act: Activation;
  recAct: Activation;
  /** [B, T] in input order, or null. */
  mask: Readonly<FloatArray> | null;
  goBackwards: boolean;
  returnSequences: boolean;
  inputMasks: FloatArray[] | null;
  recurrentMasks: FloatArray[] | null;
  inputPerGate: boolean;
  recurrentPerGate: boolean;
  /** G × [D, H] and G × [H, H]: the gate blocks of W and U, each contiguous (with per-gate masks only). */
  WgBlocks: readonly FloatArray[];
  UgBlocks: readonly FloatArray[];
  probe: GradientProbe | null;
  /** [B, T, H] (processing order) or [B, H]; fresh per call. */
  output: Tensor;
  /** Final [h, c], each [B, H]; fresh per call. */
  states: [Tensor, Tensor];
}

/**
 * Runs the whole sequence: the input projection of all steps as one gemm,
 * then per step one recurrent gemm (U packed once for all steps) and the gate
 * math over [B, 4H]: the activations one gate block at a time, then c, then h.
 * `train` picks the plan: 'lstm:train' caches every step for the backward
 * (and takes a workspace ticket), 'lstm:infer' keeps one step.
 */
function forwardSequence(x: Tensor, w: CellWeights, dims: SequenceDims, options: SequenceOptions, train: boolean): ForwardPass {
  const { B, T, D, H } = dims;
  const TB = T * B;
  const GH = LSTM_GATES * H;
  const act = activation(CELL, 'activation', options.activation, 'tanh');
  const recAct = activation(CELL, 'recurrentActivation', options.recurrentActivation, 'sigmoid');
  const mask = options.mask ?? null;
  const goBackwards = options.goBackwards ?? false;
  const returnSequences = options.returnSequences ?? false;
  const { inputMasks, recurrentMasks, inputPerGate, recurrentPerGate } = dropoutLayout(options);
  const workspace = options.workspace ?? new Workspace();
  const sizes = planSizes(dims, train, inputPerGate, recurrentMasks !== null, recurrentPerGate);
  const buf = workspace.plan(train ? 'lstm:train' : 'lstm:infer', x.dtype, sizes);
  const ticket = train ? workspace.begin() : workspace.current;
  const { xTM, z, tanhC, hStates, cStates, Wg, rowsD, rowsH, hm, Ug, huStep } = buf;
  const Wd = w.kernel.data; // [D, 4H]
  const Ud = w.recurrentKernel.data; // [H, 4H]
  const WgBlocks = inputPerGate ? gateBlocks(workspace.blocks(Wg, LSTM_GATES, D * H), Wd, D, H, LSTM_GATES) : []; // W_k [D, H]
  const UgBlocks = recurrentPerGate ? gateBlocks(workspace.blocks(Ug, LSTM_GATES, H * H), Ud, H, H, LSTM_GATES) : []; // U_k [H, H]
  // U packed once for the T products hPrev U (the gemm would pack it at every step).
  const Upacked = recurrentPerGate ? null : workspace.pack('lstm:U', Ud, H, GH);

  // Input projection of a chunk of C steps (all T in training), before its steps: z = x W + b.
  // z starts as b in every row, and the products add to it.
  const chunk = train ? T : inferChunk(T);
  const project = (t0: number, n: number): void => {
    const rows = n * B;
    toTimeMajor(xTM, x.data, B, T, D, goBackwards, t0, n); // [n, B, D]
    if (w.bias) fillRows(z, w.bias.data, rows, GH);
    else z.fill(0, 0, rows * GH);
    if (inputMasks && inputPerGate) {
      addMaskedGateProducts(z, rowsD, rowsH, xTM, inputMasks, WgBlocks, rows, B, D, H, GH, LSTM_GATES); // z_k += (x ⊙ m_k) W_k
    } else {
      if (inputMasks) maskRows(xTM, xTM, inputMasks[0], rows, B, D); // x ⊙ m, one mask for every gate
      gemm(z, xTM, Wd, rows, D, GH, false, false, true); // [n·B, 4H] += [n·B, D] · [D, 4H]
    }
  };

  // Initial states: block 0 of hStates / cStates.
  const init = options.initialState;
  if (init) {
    hStates.set(init[0].data, 0);
    cStates.set(init[1].data, 0);
  } else {
    hStates.fill(0, 0, B * H);
    cStates.fill(0, 0, B * H);
  }
  // Per-step views [B, H]: step t reads block t of hStates / cStates and writes block t + 1
  // (training); at inference block 0 is read and overwritten in place.
  const hBlocks = workspace.blocks(hStates, train ? T + 1 : 1, B * H);
  const cBlocks = workspace.blocks(cStates, train ? T + 1 : 1, B * H);
  const tanhCBlocks = workspace.blocks(tanhC, train ? T : 1, B * H);
  const zSteps = workspace.blocks(z, chunk, B * GH); // z_t [B, 4H] each, of the current chunk
  const output = new Tensor(allocate(x.dtype, returnSequences ? B * T * H : B * H), returnSequences ? [B, T, H] : [B, H]);
  const out = output.data; // zeros: the output before the first unmasked step

  for (let t = 0; t < T; t++) {
    if (t % chunk === 0) project(t, Math.min(chunk, T - t)); // the next chunk's input projection
    const tIn = goBackwards ? T - 1 - t : t; // the input-order step, to read the mask
    const zt = zSteps[t % chunk]; // [B, 4H]
    const hPrev = hBlocks[train ? t : 0]; // [B, H]
    const cPrev = cBlocks[train ? t : 0];
    const hNext = hBlocks[train ? t + 1 : 0];
    const cNext = cBlocks[train ? t + 1 : 0];
    const tc = tanhCBlocks[train ? t : 0]; // tanh(c) of this step
    // Recurrent projection: z_t += hPrev U (per gate block with recurrent dropout).
    if (!recurrentMasks) {
      gemmPacked(zt, hPrev, Upacked!, B, false, true); // [B, 4H] += [B, H] · [H, 4H]
    } else if (!recurrentPerGate) {
      gemmPacked(zt, maskRows(hm, hPrev, recurrentMasks[0], B, B, H), Upacked!, B, false, true); // += (hPrev ⊙ r) U
    } else {
      addMaskedGateProducts(zt, hm, huStep, hPrev, recurrentMasks, UgBlocks, B, B, H, H, GH, LSTM_GATES); // z_k += (hPrev ⊙ r_k) U_k
    }
    // The gates, in place of z_t, one gate block at a time.
    recAct.applyColumns(zt, zt, B, GH, 0, 2 * H); // i = σ(z_i), f = σ(z_f)
    act.applyColumns(zt, zt, B, GH, 2 * H, H); //    g = tanh(z_c)
    recAct.applyColumns(zt, zt, B, GH, 3 * H, H); // o = σ(z_o)
    // The new cell. A masked step carries the states over (and repeats the previous output).
    for (let b = 0; b < B; b++) {
      const zr = b * GH; // row of z_t: i | f | g | o
      const s = b * H; // row of the [B, H] views
      if (mask === null || mask[b * T + tIn] !== 0) {
        for (let j = 0; j < H; j++) {
          const i = zt[zr + j];
          const f = zt[zr + H + j];
          const g = zt[zr + 2 * H + j];
          cNext[s + j] = f * cPrev[s + j] + i * g; // c = f ⊙ cPrev + i ⊙ g
        }
      } else if (train) {
        for (let j = 0; j < H; j++) cNext[s + j] = cPrev[s + j]; // (at inference cNext is cPrev)
      }
    }
    // Cache tanh(c) rather than recompute it: the backward needs it for ∂h/∂o and, as its own derivative, for ∂h/∂c.
    act.applyColumns(tc, cNext, B, H, 0, H);
    // The new hidden state, which is also the output.
    for (let b = 0; b < B; b++) {
      const zr = b * GH;
      const s = b * H;
      const o0 = returnSequences ? (b * T + t) * H : b * H; // row of the output
      if (mask === null || mask[b * T + tIn] !== 0) {
        for (let j = 0; j < H; j++) {
          const o = zt[zr + 3 * H + j];
          const h = o * tc[s + j]; // h = o ⊙ tanh(c)
          hNext[s + j] = h;
          out[o0 + j] = h;
        }
      } else {
        if (train) for (let j = 0; j < H; j++) hNext[s + j] = hPrev[s + j];
        if (returnSequences && t > 0) for (let j = 0; j < H; j++) out[o0 + j] = out[o0 - H + j];
      }
    }
  }
  const last = train ? T * B * H : 0;
  const states: [Tensor, Tensor] = [
    new Tensor(hStates.slice(last, last + B * H), [B, H]),
    new Tensor(cStates.slice(last, last + B * H), [B, H]),
  ];
  return {
    dims, train, ticket, workspace, buf, w, act, recAct, mask, goBackwards, returnSequences,
    inputMasks, recurrentMasks, inputPerGate, recurrentPerGate, WgBlocks, UgBlocks,
    probe: options.gradientProbe ?? null, output, states,
  };
}

// ---------------------------------------------------------------- the hand-written BPTT

/**
 * BPTT over the cached forward. dOut: [B, T, H] or [B, H] (like the output),
 * dhFinal / dcFinal: [B, H], the gradients of the final states. Adds into
 * `grads` (W [D, 4H], U [H, 4H], b [4H], h0 and c0 [B, H]).
 */
function backwardSequence(fp: ForwardPass, dOut: Readonly<FloatArray>, dhFinal: Readonly<FloatArray>, dcFinal: Readonly<FloatArray>, grads: SequenceGrads): void {
  fp.workspace.check(fp.ticket, CELL);
  const { B, T, D, H } = fp.dims;
  const TB = T * B;
  const GH = LSTM_GATES * H;
  const { mask, goBackwards, returnSequences, inputMasks, recurrentMasks, inputPerGate, recurrentPerGate, WgBlocks, UgBlocks, probe } = fp;
  const dSigma = fp.recAct.derivative; // σ' from σ's output: s(1 − s) for the sigmoid
  const dTanh = fp.act.derivative; //     tanh' from tanh's output: 1 − y²
  // The forward left the gate values i | f | g | o of every step in z.
  const { xTM, z: gates, tanhC, cStates, hStates, dZ, dXTM, dhNext, dcNext, dOutCarry, rowsD, rowsH, dWg, dhStep, hGate, huStep, dUg } = fp.buf;
  const Wd = fp.w.kernel.data; // [D, 4H]
  const Ud = fp.w.recurrentKernel.data; // [H, 4H]
  const dZBlocks = fp.workspace.blocks(dZ, T, B * GH); // T × [B, 4H]
  // Uᵀ [4H, H] packed once for the T products dZ_t Uᵀ.
  const UTpacked = recurrentPerGate ? null : fp.workspace.pack('lstm:Uᵀ', Ud, GH, H, true);

  dhNext.set(dhFinal);
  dcNext.set(dcFinal);
  // Without returnSequences the output is the last step's output; its gradient enters like a masked step's.
  if (returnSequences) dOutCarry.fill(0);
  else dOutCarry.set(dOut);

  for (let t = T - 1; t >= 0; t--) {
    const tIn = goBackwards ? T - 1 - t : t;
    let dhSquares = 0; // Σ dh² over the step, for the probe
    for (let b = 0; b < B; b++) {
      const z = (t * B + b) * GH; // row of gates and dZ
      const r = (t * B + b) * H; // row of tanhC, and of cPrev in cStates (block t)
      const s = b * H; // row of dhNext, dcNext, dOutCarry
      const dOutRow = (b * T + t) * H; // row of dOut with returnSequences
      if (mask !== null && mask[b * T + tIn] === 0) {
        // output_t = output_{t−1}: its gradient flows on to the previous output.
        if (returnSequences) for (let j = 0; j < H; j++) dOutCarry[s + j] += dOut[dOutRow + j];
        // The step did not run: no gate gradient; dhNext and dcNext pass through unchanged.
        dZ.fill(0, z, z + GH);
        continue;
      }
      for (let j = 0; j < H; j++) {
        // output_t = h_t here: the output's gradient joins the state's.
        const dh = dhNext[s + j] + dOutCarry[s + j] + (returnSequences ? dOut[dOutRow + j] : 0);
        dhSquares += dh * dh;
        dOutCarry[s + j] = 0;
        const i = gates[z + j];
        const f = gates[z + H + j];
        const g = gates[z + 2 * H + j];
        const o = gates[z + 3 * H + j];
        const tc = tanhC[r + j];
        // h = o ⊙ tanh(c)
        const dO = dh * tc; //                              ∂h/∂o = tanh(c)
        const dc = dcNext[s + j] + dh * o * dTanh(tc); //   ∂h/∂c = o ⊙ tanh'(c) from the cached tanh(c), plus dc from step t+1
        // c = f ⊙ cPrev + i ⊙ g
        const dF = dc * cStates[r + j]; //                  ∂c/∂f = cPrev
        const dI = dc * g; //                               ∂c/∂i = g
        const dG = dc * i; //                               ∂c/∂g = i
        dcNext[s + j] = dc * f; //                          ∂c/∂cPrev = f, carried to step t−1
        // o = σ(z_o), g = tanh(z_c), f = σ(z_f), i = σ(z_i), derivatives from the cached outputs
        dZ[z + 3 * H + j] = dO * dSigma(o); //              σ'(z_o) = o(1 − o)
        dZ[z + 2 * H + j] = dG * dTanh(g); //               tanh'(z_c) = 1 − g²
        dZ[z + H + j] = dF * dSigma(f); //                  σ'(z_f) = f(1 − f)
        dZ[z + j] = dI * dSigma(i); //                      σ'(z_i) = i(1 − i)
        dhNext[s + j] = 0; //                               ∂h_t/∂hPrev goes through z only: dZ_t Uᵀ, added below
      }
    }
    if (probe) probe.hGradNorm[t] = Math.sqrt(dhSquares);
    // z = … + hPrev U: dhPrev = dZ_t Uᵀ (masked rows of dZ_t are zero and keep their dhNext).
    const dZt = dZBlocks[t]; // [B, 4H]
    if (!recurrentMasks) {
      gemmPacked(dhNext, dZt, UTpacked!, B, false, true); // [B, H] += [B, 4H] · [H, 4H]ᵀ
    } else if (!recurrentPerGate) {
      gemmPacked(dhStep, dZt, UTpacked!, B); //               dZ_t Uᵀ
      addMaskedRows(dhNext, dhStep, recurrentMasks[0], B, B, H); // ⊙ r
    } else {
      addMaskedGateGradients(dhNext, huStep, dhStep, dZt, recurrentMasks, UgBlocks, B, B, H, H, GH, LSTM_GATES); // Σ_k (dZ_k U_kᵀ) ⊙ r_k
    }
  }
  // The states before the first step: the gradients of the initial states.
  // (What is left in dOutCarry belongs to the output before the first step: the constant zero.)
  if (grads.h0) axpy(grads.h0, 1, dhNext); // ∂L/∂h0
  if (grads.c0) axpy(grads.c0, 1, dcNext); // ∂L/∂c0

  // After the loop: gemms over all T·B rows of dZ at once (one per gate block where each block has its own masks).
  // Input side: z = x W + b + ….
  if (inputMasks && inputPerGate) {
    if (grads.W) addMaskedGateWeightGradients(grads.W, rowsD, rowsH, dWg, xTM, inputMasks, dZ, TB, B, D, H, GH, LSTM_GATES); // dW_k += (x ⊙ m_k)ᵀ dZ_k
    if (grads.x || probe) addMaskedGateGradients(dXTM.fill(0), rowsH, rowsD, dZ, inputMasks, WgBlocks, TB, B, D, H, GH, LSTM_GATES); // dXTM = Σ_k (dZ_k W_kᵀ) ⊙ m_k
  } else {
    if (grads.W) gemm(grads.W, xTM, dZ, D, TB, GH, true, false, true); // dW += xTMᵀ dZ (xTM is x ⊙ m with a shared mask)
    if (grads.x || probe) {
      gemm(dXTM, dZ, Wd, TB, GH, D, false, true); //           dXTM = dZ Wᵀ
      if (inputMasks) maskRows(dXTM, dXTM, inputMasks[0], TB, B, D); // ⊙ m
    }
  }
  if (probe) blockNorms(probe.xGradNorm, dXTM, T, B * D); //      ‖∂L/∂x_t‖, step by step
  if (grads.x) addFromTimeMajor(grads.x, dXTM, B, T, D, goBackwards); // back to [B, T, D] in input order
  if (grads.b) sumRows(grads.b, dZ, TB, GH); //                   db += Σ_rows dZ

  // Recurrent side: dU = Σ_t hPrev_tᵀ dZ_t, taken as ONE gemm over the cached hPrev of all
  // steps [T·B, H] instead of accumulating T small ones: the same FLOPs, one large gemm.
  if (grads.U) {
    const hPrevAll = hStates.subarray(0, TB * H); // [T·B, H]: h0 and the h after steps 0 … T−2
    if (!recurrentMasks) {
      gemm(grads.U, hPrevAll, dZ, H, TB, GH, true, false, true); // dU += hPrevᵀ dZ
    } else if (!recurrentPerGate) {
      maskRows(hGate, hPrevAll, recurrentMasks[0], TB, B, H); //   hPrev ⊙ r, all steps (r is constant over time)
      gemm(grads.U, hGate, dZ, H, TB, GH, true, false, true);
    } else {
      addMaskedGateWeightGradients(grads.U, hGate, rowsH, dUg, hPrevAll, recurrentMasks, dZ, TB, B, H, H, GH, LSTM_GATES); // dU_k += (hPrev ⊙ r_k)ᵀ dZ_k
    }
  }
}

// ---------------------------------------------------------------- the public sequence function

function validate(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceDims {
  // checkSequence also requires the mask to hold 0 or 1 (Keras's booleans), which the fused pass relies on.
  return checkSequence(CELL, x, w, options, LSTM_GATES, 2, [LSTM_GATES * lstmUnits(w)]);
}

/**
 * The LSTM over a whole sequence, fused: x [B, T, D] → output [B, T, H]
 * (returnSequences, in processing order) or [B, H], and the final states
 * [h, c]. When recording, the whole sequence is ONE tape node whose backward
 * is the hand-written BPTT.
 */
export function lstmSequence(x: Tensor, w: CellWeights, options: SequenceOptions = {}): SequenceResult {
  const dims = validate(x, w, options);
  const inputs = sequenceInputs(x, w, options);
  const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const fp = forwardSequence(x, w, dims, options, recording);
  const [h, c] = fp.states;
  const output = fp.output;
  if (recording) {
    record(CELL, inputs, [output, h, c], () => {
      backwardSequence(fp, gradOf(output), gradOf(h), gradOf(c), sequenceGrads(x, w, options));
    });
  }
  return { output, states: [h, c] };
}

// ---------------------------------------------------------------- the trace

/** Names of the traced activations. */
export type LstmTraceName = 'i' | 'f' | 'g' | 'o' | 'c' | 'h';

/**
 * The per-step values of the fused forward, read from its training caches,
 * each [B, T, H] in processing order: the gates i, f, g, o as each step
 * computed them, and the carried states c, h after each step (trace
 * semantics: common.ts). Records nothing.
 */
export function lstmTrace(x: Tensor, w: CellWeights, options: SequenceOptions = {}): Record<LstmTraceName, Tensor> {
  const dims = validate(x, w, options);
  const { B, H } = dims;
  const GH = LSTM_GATES * H;
  const { buf } = forwardSequence(x, w, dims, options, true);
  const gate = (k: number): Tensor => traced(buf.z, GH, k * H, dims, x.dtype); // block k of [T·B, 4H], after each step's gate pass
  const state = (s: FloatArray): Tensor => traced(s.subarray(B * H), H, 0, dims, x.dtype); // block t + 1: after step t
  return { i: gate(0), f: gate(1), g: gate(2), o: gate(3), c: state(buf.cStates), h: state(buf.hStates) };
}
