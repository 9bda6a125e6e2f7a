/**
 * The batch in row blocks. The rows of a batch never meet inside a recurrent
 * layer, so a call is cut into a fixed number of row blocks, a function of B
 * alone, each run as a pass of its own (sequence.ts `preparePass`) by the
 * calling thread or a worker. Each block adds its weight gradients into a
 * slot of its own; the slots are summed in block order. So the result is the
 * same bits whichever thread ran which block, on any number of threads.
 *
 * Letters: B batch, T timesteps, D input features, H units, NB row blocks.
 */
import { Tensor, allocate, type FloatArray } from '../../autograd/index.ts';
import type { CellWeights, SequenceDims, SequenceGrads, SequenceOptions } from '../common.ts';
import type { Cell } from '../cell.ts';
import { backward, forward, preparePass, type BlockArrays, type BlockGrads, type Pass, type PassFlags } from '../sequence.ts';
import type { Workspace } from '../workspace.ts';
import { Flag, Op } from './protocol.ts';
import { has, layout, slotSizes, type Job, type JobViews } from './regions.ts';

/**
 * A block holds at least this many rows, and a batch is cut into at most
 * MAX_BLOCKS, the default cap of the threads: each block runs its own time
 * loop, whose steps cost a little whatever their rows (one thread at B = 128:
 * 2% more time in 4 blocks, 6% in 8; at B = 32 in 4 blocks of 8 rows, 14%).
 */
export const BLOCK_ROWS = 16;
export const MAX_BLOCKS = 4;

const starts = new Map<number, readonly number[]>();

/** Where each row block starts, and B at the end: clamp(⌊B / BLOCK_ROWS⌋, 1, MAX_BLOCKS) blocks of nearly equal size. */
export function rowBlocks(B: number): readonly number[] {
  let list = starts.get(B);
  if (!list) {
    const n = Math.max(1, Math.min(MAX_BLOCKS, Math.floor(B / BLOCK_ROWS)));
    list = Object.freeze(Array.from({ length: n + 1 }, (_, k) => Math.floor((k * B) / n)));
    if (starts.size < 256) starts.set(B, list); // the batch sizes a process meets are few; past 256 of them, made per call
  }
  return list;
}

/** What a thread keeps of a workspace: the workspace its plans live in, and its blocks' passes of the latest training forward. */
export interface ThreadState {
  workspace: Workspace;
  passes: Pass[];
}

/** out[k] = Σ x² over the k-th of `count` runs of `size` numbers. */
export function stepSquares(out: Float64Array, x: Readonly<FloatArray>, count: number, size: number): void {
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let i = k * size, end = i + size; i < end; i++) sum += x[i] * x[i];
    out[k] = sum;
  }
}

export function passFlags(options: SequenceOptions): PassFlags {
  return {
    goBackwards: options.goBackwards ?? false, returnSequences: options.returnSequences ?? false,
    activation: options.activation, recurrentActivation: options.recurrentActivation,
  };
}

/** The whole batch's arrays of a call, with a fresh output and fresh final states. */
export function wholeArrays(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions, { B, T, H }: SequenceDims): BlockArrays {
  return {
    x: x.data, W: w.kernel.data, U: w.recurrentKernel.data, b: w.bias?.data ?? null, mask: options.mask ?? null,
    dropoutMasks: options.dropoutMasks ?? null, initial: options.initialState?.map((t) => t.data) ?? null,
    output: allocate(x.dtype, ((options.returnSequences ?? false) ? T : 1) * B * H), finals: cell.states.map(() => allocate(x.dtype, B * H)),
  };
}

/** Rows r0 … r1 − 1 of per-row arrays of `width` numbers per row; a mask shared by the gates stays shared. */
function rowsOf<A extends Readonly<FloatArray>>(list: readonly A[] | null, r0: number, r1: number, width: number): A[] | null {
  if (!list) return null;
  const cut = new Map<A, A>();
  return list.map((m) => {
    if (!cut.has(m)) cut.set(m, m.subarray(r0 * width, r1 * width) as A);
    return cut.get(m)!;
  });
}

function blockOf(a: BlockArrays, { T, D, H }: SequenceDims, r0: number, r1: number, returnSequences: boolean): BlockArrays {
  const out = (returnSequences ? T : 1) * H;
  const m = a.dropoutMasks;
  return {
    x: a.x.subarray(r0 * T * D, r1 * T * D), W: a.W, U: a.U, b: a.b, mask: a.mask && a.mask.subarray(r0 * T, r1 * T),
    dropoutMasks: m && { input: rowsOf(m.input, r0, r1, D), recurrent: rowsOf(m.recurrent, r0, r1, H) },
    initial: rowsOf(a.initial, r0, r1, H), output: a.output.subarray(r0 * out, r1 * out), finals: rowsOf(a.finals, r0, r1, H)!,
  };
}

/** The views a job's blocks work on, and for a backward on the calling thread alone, where W, U and b of one block go directly. */
export interface Views extends JobViews {
  direct: Pick<SequenceGrads, 'W' | 'U' | 'b'> | null;
  /** dx and dInitial start at zero here and are added to the caller's afterwards (a region), else they are the caller's. */
  zeroed: boolean;
}

function blockGrads(v: Views, job: Job, k: number, r0: number, r1: number): BlockGrads {
  const { T, D, H } = job.d;
  const out = (job.flags.returnSequences ? T : 1) * H;
  const size = slotSizes(job.cell, job.d);
  const slot = v.direct ? null : v.slots.subarray(k * size.total, (k + 1) * size.total);
  const squares = has(job, Flag.Probe) ? v.squares.subarray(k * 2 * T, (k + 1) * 2 * T) : null;
  if (slot) slot.fill(0);
  const dx = has(job, Flag.WantX) ? v.dx.subarray(r0 * T * D, r1 * T * D) : null;
  const initial = v.dInitial.map((d, i) => (has(job, Flag.WantInitial << i) ? d.subarray(r0 * H, r1 * H) : null));
  if (v.zeroed) for (const t of [dx, ...initial]) t?.fill(0);
  return {
    dOutput: v.dOutput.subarray(r0 * out, r1 * out), dFinal: v.dFinal.map((d) => d.subarray(r0 * H, r1 * H)), x: dx, initial, squares,
    W: slotPart(job, Flag.WantW, slot, 0, size.W, v.direct?.W), U: slotPart(job, Flag.WantU, slot, size.W, size.U, v.direct?.U),
    b: slotPart(job, Flag.WantB, slot, size.W + size.U, size.b, v.direct?.b),
  };
}

/** Where a block adds one weight gradient: its part of the block's slot, the caller's array directly, or nowhere (not wanted). */
function slotPart(job: Job, bit: number, slot: Float64Array | null, from: number, n: number, direct: FloatArray | null | undefined): FloatArray | null {
  return !has(job, bit) ? null : slot ? slot.subarray(from, from + n) : direct ?? null;
}

/**
 * Thread i's part of a job. A forward claims blocks one at a time, in order,
 * until none is left (a thread that the machine holds back takes fewer) and
 * notes which thread ran each; a backward runs the blocks whose forward the
 * thread ran, whose passes (kept in `state`) hold their plans.
 */
export function runShare(state: ThreadState, job: Job, v: Views, i: number): void {
  const starts = rowBlocks(job.d.B);
  const blocks = starts.length - 1;
  const training = has(job, Flag.Training);
  if (job.op === Op.Backward) {
    for (let k = 0; k < blocks; k++) {
      if (v.claims[1 + k] === i) backward(state.passes[k], blockGrads(v, job, k, starts[k], starts[k + 1]));
    }
    return;
  }
  for (let k = Atomics.add(v.claims, 0, 1); k < blocks; k = Atomics.add(v.claims, 0, 1)) {
    v.claims[1 + k] = i;
    const r0 = starts[k], r1 = starts[k + 1];
    const a = blocks === 1 ? v.a : blockOf(v.a, job.d, r0, r1, job.flags.returnSequences);
    const name = blocks === 1 ? job.cell.name : `${job.cell.name}#${k}`;
    const p = preparePass(job.cell, { ...job.d, B: r1 - r0 }, a, job.flags, state.workspace, name, training);
    forward(p);
    if (training) state.passes[k] = p;
  }
}

/** What the views of a region need beside the layout. */
export function regionViews(job: Job, sab: SharedArrayBuffer): Views {
  return { ...layout(job, rowBlocks(job.d.B).length - 1).views(sab), direct: null, zeroed: true };
}
