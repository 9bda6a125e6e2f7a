/**
 * The one driver of the cells over a whole sequence. It owns what they
 * share and knows no gate:
 *
 *   - the buffer plan of a pass and its workspace ticket (common.ts);
 *   - time-major layout in processing order (goBackwards), and at inference
 *     chunks of INFER_CHUNK steps, so that inference memory stays flat in T;
 *   - the input projection x W + bx of all the steps of a chunk as one product
 *     before the time loop, and its weight and input gradients after it;
 *   - timestep masks, in one place: a masked step carries every state over
 *     and repeats the previous output (zero before a sample's first unmasked
 *     step, as Keras's K.rnn);
 *   - the dropout masks, through the products (projection.ts);
 *   - the one tape node whose backward is the hand-written BPTT, the gradient
 *     probe and the trace;
 *   - a pass over one block of the batch's rows: the rows never meet inside
 *     the layer, so the batch is cut into row blocks, each run as a pass of
 *     its own by the calling thread or a worker (threads/blocks.ts).
 *
 * A cell brings its sizes and its step pair (`Cell` in cell.ts; cells/lstm.ts
 * is the model). Letters: B batch, T timesteps, C steps per chunk, D input features,
 * H units, G gate blocks. With m ∈ {0, 1} the mask of a sample at step t:
 *
 *   state_t = m · new_t + (1 − m) · state_{t−1}     out_t = m · h_new + (1 − m) · out_{t−1}
 *   δh_new  = m · ((δout carried + δout_t) + δh_t)   δout carried to t−1 = (1 − m) · (δout carried + δout_t)
 *   δstate_{t−1} = (1 − m) · δstate_t + (what the cell's step sends back through new_t)
 *
 * done as copies and resets of rows.
 */
import {
  Tensor, axpy, fillRows, gradOf, isGradEnabled, packingPays, record, sumRows, type FloatArray,
} from '../autograd/index.ts';
import type { Cell, Step } from './cell.ts';
import {
  Workspace, activation, addFromTimeMajor, checkSequence, inferChunk, referenceLoop, sequenceGrads, sequenceInputs, toTimeMajor, traced,
  type ActivationName, type CellWeights, type DropoutMasks, type ReferenceResult, type SequenceDims, type SequenceOptions,
  type SequenceResult, type StepOptions,
} from './common.ts';
import { Projection, maskLayout } from './projection.ts';
import { passFlags, stepSquares, wholeArrays } from './threads/blocks.ts';
import { runBlocks } from './threads/run.ts';

export type { Cell, Step } from './cell.ts';

/** What a pass over one block of rows reads and writes: the block's rows of each array (B below is the block's). */
export interface BlockArrays {
  x: Readonly<FloatArray>; //                 [B, T, D]
  W: Readonly<FloatArray>; //                 [D, G·H]
  U: Readonly<FloatArray>; //                 [H, G·H]
  b: Readonly<FloatArray> | null;
  mask: Readonly<FloatArray> | null; //       [B, T]
  dropoutMasks: DropoutMasks | null; //       [B, D] and [B, H] per gate block
  initial: readonly Readonly<FloatArray>[] | null; // [B, H] each
  output: FloatArray; //                      [B, T, H] or [B, H], written by the forward
  finals: FloatArray[]; //                    [B, H] each, the final states, written by the forward
}

/** The settings of a call that every block shares. */
export interface PassFlags {
  goBackwards: boolean;
  returnSequences: boolean;
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
}

/** Where a block's backward reads the output gradients and adds (`+=`) its own; a null target wants none. */
export interface BlockGrads {
  dOutput: Readonly<FloatArray>; //           like output
  dFinal: readonly Readonly<FloatArray>[]; // like finals
  x: FloatArray | null;
  W: FloatArray | null;
  U: FloatArray | null;
  b: FloatArray | null;
  initial: Array<FloatArray | null>;
  /** [2T]: Σ δh_new² of each step, then Σ (∂L/∂x_t)² of each step; the probe's squares, or null. */
  squares: Float64Array | null;
}

/** Everything one pass works with, gathered once. */
export interface Pass {
  cell: Cell;
  d: SequenceDims;
  C: number;
  a: BlockArrays;
  flags: PassFlags;
  plan: Record<string, FloatArray>;
  /** Per-step views of the plan's buffers, by name; the cell's buffers among them that change with the step. */
  rows: Record<string, FloatArray[]>;
  perStep: string[];
  input: Projection;
  s: Step;
}

function validate(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions): SequenceDims {
  const H = w.recurrentKernel.rank === 2 ? w.recurrentKernel.shape[0] : 0;
  cell.checkWeights?.(w, H);
  // checkSequence also requires the mask to hold 0 or 1 (Keras's booleans), which the copies and resets rely on.
  return checkSequence(cell.name, x, w, options, cell.gates, cell.states.length, cell.biasShape(H));
}

/** The sizes of the plan of a pass: 'train' keeps every step for the backward, 'infer' one chunk and one step. */
export function planSizes(cell: Cell, kind: 'train' | 'infer', d: SequenceDims, options: Pick<SequenceOptions, 'dropoutMasks'> = {}): Record<string, number> {
  const { B, T, D, H } = d;
  const training = kind === 'train';
  const TB = T * B;
  const CB = (training ? T : inferChunk(T)) * B;
  const GH = cell.gates * H;
  const grad = training ? 1 : 0; // the gradient buffers: none at inference
  const input = maskLayout(options.dropoutMasks?.input ?? null);
  const recMasks = options.dropoutMasks?.recurrent ?? null;
  const recurrent = cell.products.filter((p) => p.masked).map((p) => maskLayout(recMasks && recMasks.slice(p.first, p.first + p.count)));
  const sizes: Record<string, number> = {
    xTM: CB * D, //                           [C·B, D] x in processing order
    gates: CB * GH, //                        [C·B, G·H] x W + bx, then each step's gate values
    inputK: input === 'none' ? 0 : CB * D, // [C·B, D] x ⊙ m (or ∂L/∂(x ⊙ m)), for the input product
    inputH: input === 'perBlock' ? CB * H : 0, // [C·B, H] one block of it
    recK: recurrent.some((l) => l !== 'none') ? (training ? TB : B) * H : 0, // [T·B or B, H] hPrev ⊙ m
    recH: recurrent.includes('perBlock') ? B * H : 0, //                          [B, H] one block's product
    dGates: grad * TB * GH, //                 [T·B, G·H] ∂L/∂(x W + bx), all steps
    dXTM: grad * TB * D, //                    [T·B, D] ∂L/∂x in processing order
    dOut: grad * B * H, //                     [B, H] ∂L/∂ the output of a masked step, carried to the output before
  };
  for (const name of cell.states) {
    sizes[name] = (training ? T + 1 : 2) * B * H; // the state before step 0, then after each step (a ring of 2 at inference)
    sizes[`d${name}`] = grad * B * H; //              ∂L/∂ the carried state, walking back
  }
  for (const [name, [kind, width]] of Object.entries(cell.buffers)) {
    const rows = kind === 'cache' ? (training ? TB : B) : kind === 'scratch' ? B : kind === 'grad' ? grad * TB : grad * B;
    if (kind !== 'backward64') sizes[name] = rows * width * H;
  }
  return sizes;
}

/**
 * The pass over the rows of `a`, its plan held by `workspace` under `name`
 * ('lstm', or 'lstm#3' for block 3 of a batch cut in blocks). The packed
 * recurrent kernels and the float64 step buffers go under the cell's name:
 * the blocks a thread runs one after another share them.
 */
export function preparePass(cell: Cell, d: SequenceDims, a: BlockArrays, flags: PassFlags, workspace: Workspace, name: string, training: boolean): Pass {
  const { B, T, D, H } = d;
  const C = training ? T : inferChunk(T);
  const dtype = a.x instanceof Float64Array ? 'float64' : 'float32';
  const plan = workspace.plan(`${name}:${training ? 'train' : 'infer'}`, dtype, planSizes(cell, training ? 'train' : 'infer', d, a));
  const GH = cell.gates * H;
  const rows: Record<string, FloatArray[]> = { gates: workspace.blocks(plan.gates, C, B * GH) };
  rows.dGates = training ? workspace.blocks(plan.dGates, T, B * GH) : [];
  for (const state of cell.states) rows[state] = workspace.blocks(plan[state], training ? T + 1 : 2, B * H);
  const buf: Record<string, FloatArray> = {};
  const perStep: string[] = [];
  for (const [buffer, [kind, width]] of Object.entries(cell.buffers)) {
    buf[buffer] = kind === 'backward64' ? workspace.float64(`${cell.name}:${buffer}`, training ? B * width * H : 0) : plan[buffer];
    if (kind === 'cache' || kind === 'grad') {
      rows[buffer] = workspace.blocks(plan[buffer], training ? T : 1, B * width * H);
      perStep.push(buffer);
    }
  }
  const masks = a.dropoutMasks;
  const input = new Projection({
    W: a.W, K: D, colsW: GH, H, first: 0, count: cell.gates, masks: masks?.input ?? null, B,
    outCols: GH, outStart: 0, gradCols: GH, gradStart: 0, scratchK: plan.inputK, scratchH: plan.inputH, packIn: null,
  });
  const rec = cell.products.map((p, k) => new Projection({
    W: a.U, K: H, colsW: GH, H, first: p.first, count: p.count,
    masks: p.masked && masks?.recurrent ? masks.recurrent.slice(p.first, p.first + p.count) : null, B,
    outCols: p.out[0] * H, outStart: p.out[1] * H, gradCols: p.grad[0] * H, gradStart: p.grad[1] * H,
    scratchK: plan.recK, scratchH: plan.recH, packIn: packingPaysOver(B, H, T) ? { workspace, name: `${cell.name}:U${k}` } : null,
  }));
  // A plain literal with every field, so that the step functions always see one shape of Step.
  const s: Step = {
    B, T, H, t: 0, training,
    act: activation(cell.name, 'activation', flags.activation, 'tanh'),
    recAct: activation(cell.name, 'recurrentActivation', flags.recurrentActivation, 'sigmoid'),
    gates: rows.gates[0], dGates: plan.dGates,
    prev: cell.states.map((n) => rows[n][0]), next: cell.states.map((n) => rows[n][1]),
    // ∂L/∂ the new states in float64 whatever the dtype: the sum the step's statements go on with.
    dNext: training ? cell.states.map((n) => workspace.float64(`${cell.name}:d${n}New`, B * H)) : [],
    dPrev: training ? cell.states.map((n) => plan[`d${n}`]) : [],
    buf, rec,
    recurrentBias: a.b && cell.recurrentBias ? cell.recurrentBias(a.b as FloatArray, H) : null,
    recurrentMasks: masks?.recurrent ?? null,
  };
  return { cell, d, C, a, flags, plan, rows, perStep, input, s };
}

/** Points the step's views at step t. */
function at(p: Pass, t: number): Step {
  const { s, rows } = p;
  const training = s.training;
  const states = p.cell.states;
  s.t = t;
  s.gates = rows.gates[t % p.C];
  if (training) s.dGates = rows.dGates[t];
  for (let i = 0; i < states.length; i++) {
    s.prev[i] = rows[states[i]][training ? t : t & 1]; // a ring of two blocks at inference
    s.next[i] = rows[states[i]][training ? t + 1 : (t + 1) & 1];
  }
  for (const name of p.perStep) s.buf[name] = rows[name][training ? t : 0];
  return s;
}

/** The input projection of the chunk of steps t0 … t0 + n − 1: gates = x W + bx. */
function project(p: Pass, t0: number, n: number): void {
  const { B, T, D, H } = p.d;
  const rows = n * B;
  const GH = p.cell.gates * H;
  const { xTM, gates } = p.plan;
  toTimeMajor(xTM, p.a.x, B, T, D, p.flags.goBackwards, t0, n); // [n·B, D]
  if (p.a.b) fillRows(gates, p.cell.inputBias(p.a.b as FloatArray, H), rows, GH); // gates = bx in every row,
  else gates.fill(0, 0, rows * GH);
  p.input.forward(gates, xTM, rows); //                                          + (x ⊙ m) W
}

/** The forward over all steps: the output and the final states into the pass's arrays. */
export function forward(p: Pass): void {
  const { B, T, H } = p.d;
  const initial = p.a.initial;
  p.cell.states.forEach((name, i) => {
    if (initial) p.plan[name].set(initial[i], 0);
    else p.plan[name].fill(0, 0, B * H);
  });
  for (let t = 0; t < T; t++) {
    if (t % p.C === 0) project(p, t, Math.min(p.C, T - t));
    p.cell.stepForward(at(p, t));
    carryAndEmit(p, t);
  }
  const last = p.s.training ? T : T & 1;
  p.cell.states.forEach((name, i) => p.a.finals[i].set(p.rows[name][last]));
}

/** Masked rows carry every state over; then step t's output rows: h, or the previous output where masked. */
function carryAndEmit(p: Pass, t: number): void {
  const { B, T, H } = p.d;
  const { s } = p;
  const { mask, output: out } = p.a;
  const { returnSequences } = p.flags;
  const h = s.next[0];
  const tIn = p.flags.goBackwards ? T - 1 - t : t; // the step in input order, where the mask is read
  for (let b = 0; b < B; b++) {
    const kept = mask === null || mask[b * T + tIn] !== 0;
    const row = b * H;
    for (let i = 0; !kept && i < s.next.length; i++) {
      const next = s.next[i], prev = s.prev[i];
      for (let j = row; j < row + H; j++) next[j] = prev[j];
    }
    if (returnSequences) {
      const o = (b * T + t) * H;
      if (kept) for (let j = 0; j < H; j++) out[o + j] = h[row + j];
      else if (t > 0) for (let j = 0; j < H; j++) out[o + j] = out[o - H + j];
    } else if (kept && (mask !== null || t === T - 1)) {
      for (let j = 0; j < H; j++) out[row + j] = h[row + j];
    }
  }
}

/**
 * Step t's share of the masks in the backward: ∂L/∂ the states the step
 * computed (zero at masked rows), the carried gradients reset where the step
 * ran, the output's gradient carried on where it did not. Returns Σ δh_new².
 */
function arriving(p: Pass, t: number, dOutput: Readonly<FloatArray>): number {
  const { B, T, H } = p.d;
  const { s } = p;
  const mask = p.a.mask;
  const carried = p.plan.dOut;
  const dhNew = s.dNext[0], dh = s.dPrev[0];
  const tIn = p.flags.goBackwards ? T - 1 - t : t;
  let squares = 0;
  for (let b = 0; b < B; b++) {
    const row = b * H;
    const fromLoss = p.flags.returnSequences ? (b * T + t) * H : -1;
    if (mask !== null && mask[b * T + tIn] === 0) {
      if (fromLoss >= 0) for (let j = 0; j < H; j++) carried[row + j] += dOutput[fromLoss + j]; // out_t = out_{t−1}
      for (let i = 0; i < s.dNext.length; i++) s.dNext[i].fill(0, row, row + H); //                the step's result was not kept
      continue;
    }
    for (let j = 0; j < H; j++) {
      const k = row + j;
      const dOut = fromLoss >= 0 ? carried[k] + dOutput[fromLoss + j] : carried[k]; // ∂L/∂out_t, from the loss and from later repeats
      const g = dOut + dh[k]; //                                                       out_t = h_t = h_new
      dhNew[k] = g;
      squares += g * g;
      carried[k] = 0;
      dh[k] = 0;
    }
    for (let i = 1; i < s.dNext.length; i++) { // the other states: their gradient goes to the step
      const dNew = s.dNext[i], dState = s.dPrev[i];
      for (let k = row; k < row + H; k++) {
        dNew[k] = dState[k];
        dState[k] = 0;
      }
    }
  }
  return squares;
}

/**
 * BPTT over the pass: the reversed loop calls the cell's stepBackward; then
 * the weight and input gradients are one product each over all T·B rows.
 */
export function backward(p: Pass, grads: BlockGrads): void {
  const { B, T, D, H } = p.d;
  const TB = T * B;
  const { s, plan } = p;
  const probe = grads.squares;
  for (const r of s.rec) r.packTransposed();
  s.dPrev.forEach((d, i) => d.set(grads.dFinal[i]));
  // Without returnSequences the output is the last step's output: its gradient enters like a masked step's.
  if (p.flags.returnSequences) plan.dOut.fill(0);
  else plan.dOut.set(grads.dOutput);
  for (let t = T - 1; t >= 0; t--) {
    const squares = arriving(p, t, grads.dOutput);
    if (probe) probe[t] = squares;
    p.cell.stepBackward(at(p, t));
  }
  s.dPrev.forEach((d, i) => {
    if (grads.initial[i]) axpy(grads.initial[i]!, 1, d); // what reaches the states before the first step
  });
  // dW += (x ⊙ m)ᵀ dGates, and dU_g += Σ_t (a_t ⊙ m_g)ᵀ δ_t of the products whose δ is dGates: ONE product over all T·B rows each (not T small ones), dGates packed once for them.
  const overGates = p.cell.products.flatMap((q, k) => (grads.U && q.dOutput === 'dGates' ? [[s.rec[k], grads.U, plan[q.input]] as const] : []));
  Projection.gradWeights([...(grads.W ? [[p.input, grads.W, plan.xTM] as const] : []), ...overGates], plan.dGates, TB);
  if (grads.x || probe) p.input.gradInput(plan.dXTM.fill(0), plan.dGates, TB); //   ∂L/∂x = (dGates Wᵀ) ⊙ m
  if (probe) stepSquares(probe.subarray(T), plan.dXTM, T, B * D); //              Σ (∂L/∂x_t)², step by step
  if (grads.x) addFromTimeMajor(grads.x, plan.dXTM, B, T, D, p.flags.goBackwards); // back to [B, T, D] in input order
  if (grads.b) sumRows(p.cell.inputBias(grads.b, H), plan.dGates, TB, p.cell.gates * H); // dbx += Σ_rows dGates
  p.cell.products.forEach((q, k) => { // the other products' dU_g, from the δ each keeps
    if (grads.U && q.dOutput !== 'dGates') s.rec[k].gradWeight(grads.U, plan[q.input], plan[q.dOutput], TB);
  });
  const bh = p.cell.recurrentBias;
  if (grads.b && bh) sumRows(bh(grads.b, H), plan[p.cell.products[0].dOutput], TB, p.cell.products[0].grad[0] * H); // dbh += Σ_rows δ
}

/**
 * The cell over a whole sequence x [B, T, D]: output [B, T, H]
 * (returnSequences, in processing order) or [B, H], and the final states.
 * In training (the tape records and an input requires a gradient) the whole
 * sequence is ONE tape node whose backward is the hand-written BPTT. The
 * batch runs in row blocks, on as many threads as setNumThreads allows
 * (threads/blocks.ts); the result is the same bits on any number of threads.
 */
export function runSequence(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions = {}): SequenceResult {
  const d = validate(cell, x, w, options);
  const inputs = sequenceInputs(x, w, options);
  const training = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const workspace = options.workspace ?? new Workspace();
  // Only the training plans hold what a backward reads, so only training passes take a ticket.
  const ticket = training ? workspace.begin() : workspace.current;
  const run = runBlocks(cell, x, w, { ...options, workspace }, d, training);
  const { output, states } = run;
  if (training) {
    record(cell.name, inputs, [output, ...states], () => {
      workspace.check(ticket, cell.name);
      run.backward(gradOf(output), states.map(gradOf), sequenceGrads(x, w, options), options.gradientProbe ?? null);
    });
  }
  return { output, states };
}

/** The sequence through the cell's autograd `step`: slow, plain, what the fused pass is checked against. */
export function referenceSequence(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions = {}): ReferenceResult {
  const { H } = validate(cell, x, w, options);
  const stepOptions: StepOptions = {
    activation: options.activation, recurrentActivation: options.recurrentActivation, masks: options.dropoutMasks ?? null,
  };
  return referenceLoop(x, H, cell.states.length, (xt, states) => cell.step(xt, states, w, stepOptions), options);
}

/**
 * The fused forward's own per-step values, each [B, T, H] in processing
 * order: the gate blocks as each step computed them (also at masked steps),
 * and the carried states after each step. Runs the training plan, records nothing.
 */
export function traceSequence(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions = {}): Record<string, Tensor> {
  const d = validate(cell, x, w, options);
  const workspace = options.workspace ?? new Workspace();
  workspace.begin(); // a ticket: an outstanding backward must not read the buffers the trace overwrites
  const a = wholeArrays(cell, x, w, options, d);
  const p = preparePass(cell, d, a, passFlags(options), workspace, cell.name, true);
  forward(p);
  const GH = cell.gates * d.H;
  const trace: Record<string, Tensor> = {};
  cell.gateNames.forEach((name, k) => { trace[name] = traced(p.plan.gates, GH, k * d.H, d, x.dtype); });
  for (const name of cell.states) trace[name] = traced(p.plan[name].subarray(d.B * d.H), d.H, 0, d, x.dtype); // block t + 1: after step t
  return trace;
}

/** A cell's public pair: the fused sequence function and the reference loop, for the cell that a call's options pick. */
export function sequenceFunctions<O extends SequenceOptions>(pick: (options: O) => Cell): [
  (x: Tensor, w: CellWeights, options?: O) => SequenceResult, (x: Tensor, w: CellWeights, options?: O) => ReferenceResult,
] {
  return [
    (x, w, options = {} as O) => runSequence(pick(options), x, w, options),
    (x, w, options = {} as O) => referenceSequence(pick(options), x, w, options),
  ];
}

/** Whether U is packed once per pass: when gemm would pack it at every step anyway, or from 3 steps, which repay one pack (else it is read in place, with the same bits). */
function packingPaysOver(B: number, H: number, T: number): boolean {
  return packingPays(B, H) || T >= 3;
}
