/**
 * A job as both sides read it, and the layout of its region: where each
 * array of the call sits in the SharedArrayBuffer that the calling thread
 * fills and the workers read and write. The header (protocol.ts) carries the
 * job; each side computes the same layout from it.
 *
 * Letters: B batch, T timesteps, D input features, H units, G gate blocks,
 * S states, NB row blocks.
 */
import type { DType, FloatArray } from '../../autograd/index.ts';
import { ACTIVATIONS, type ActivationName, type SequenceDims } from '../common.ts';
import type { Cell } from '../cell.ts';
import { GRU_RESET_AFTER, GRU_RESET_BEFORE } from '../gru.ts';
import { LSTM } from '../lstm.ts';
import { SIMPLE_RNN } from '../simple-rnn.ts';
import type { MaskLayout } from '../projection.ts';
import type { BlockArrays, PassFlags } from '../sequence.ts';
import { Field, Flag, type Control } from './protocol.ts';

/**
 * The cells a worker can run, by their place in this list (read when a job
 * is written, not when the module loads: the cell modules import the driver,
 * which imports this one).
 */
export function cellList(): readonly Cell[] {
  return [SIMPLE_RNN, LSTM, GRU_RESET_AFTER, GRU_RESET_BEFORE];
}

const activationNames = (): ActivationName[] => Object.keys(ACTIVATIONS) as ActivationName[];
const MASK_LAYOUTS: readonly MaskLayout[] = ['none', 'shared', 'perBlock'];

export interface Job {
  op: number;
  workspace: number;
  region: number;
  cell: Cell;
  dtype: DType;
  d: SequenceDims;
  flags: PassFlags;
  bits: number;
  inputMasks: MaskLayout;
  recurrentMasks: MaskLayout;
  /** Threads taking part, the calling thread first. */
  threads: number;
  /** The layer that runs the job, for errors (the calling thread's side only). */
  layer?: string;
}

export function has(job: Job, bit: number): boolean {
  return (job.bits & bit) !== 0;
}

export function writeJob(c: Control, job: Job): void {
  const h = c.header;
  h[Field.Op] = job.op;
  h[Field.Workspace] = job.workspace;
  h[Field.Region] = job.region;
  h[Field.Cell] = cellList().indexOf(job.cell);
  h[Field.Dtype] = job.dtype === 'float64' ? 1 : 0;
  [h[Field.B], h[Field.T], h[Field.D], h[Field.H]] = [job.d.B, job.d.T, job.d.D, job.d.H];
  h[Field.Flags] = job.bits;
  h[Field.Activation] = job.flags.activation ? activationNames().indexOf(job.flags.activation) : -1;
  h[Field.RecurrentActivation] = job.flags.recurrentActivation ? activationNames().indexOf(job.flags.recurrentActivation) : -1;
  h[Field.InputMasks] = MASK_LAYOUTS.indexOf(job.inputMasks);
  h[Field.RecurrentMasks] = MASK_LAYOUTS.indexOf(job.recurrentMasks);
  h[Field.Threads] = job.threads;
}

export function readJob(c: Control): Job {
  const h = c.header;
  const bits = h[Field.Flags];
  const name = (i: number): ActivationName | undefined => (i < 0 ? undefined : activationNames()[i]);
  return {
    op: h[Field.Op], workspace: h[Field.Workspace], region: h[Field.Region], cell: cellList()[h[Field.Cell]],
    dtype: h[Field.Dtype] === 1 ? 'float64' : 'float32', d: { B: h[Field.B], T: h[Field.T], D: h[Field.D], H: h[Field.H] },
    bits,
    flags: {
      goBackwards: (bits & Flag.GoBackwards) !== 0, returnSequences: (bits & Flag.ReturnSequences) !== 0,
      activation: name(h[Field.Activation]), recurrentActivation: name(h[Field.RecurrentActivation]),
    },
    inputMasks: MASK_LAYOUTS[h[Field.InputMasks]], recurrentMasks: MASK_LAYOUTS[h[Field.RecurrentMasks]], threads: h[Field.Threads],
  };
}

/** The whole batch's arrays of a job, as views of its region. */
export interface JobViews {
  /**
   * [0]: the next row block to claim in a forward; [1 + k]: the thread that
   * ran block k's forward, which also runs its backward (its passes hold the
   * block's plan).
   */
  claims: Int32Array;
  a: BlockArrays;
  /** Training only (empty arrays at inference): the output gradients in, the input gradients out. */
  dOutput: FloatArray;
  dFinal: FloatArray[];
  dx: FloatArray;
  dInitial: FloatArray[];
  /** [NB, slot] float64: per row block its dW, dU, db (slotSizes). */
  slots: Float64Array;
  /** [NB, 2T] float64: per row block the probe's squares. */
  squares: Float64Array;
}

/** Numbers of the bias of a cell with H units. */
export function biasLength(cell: Cell, H: number): number {
  return cell.biasShape(H).reduce((n, k) => n * k, 1);
}

/** A block's gradient slot: dW [D, G·H], then dU [H, G·H], then db. */
export function slotSizes(cell: Cell, { D, H }: SequenceDims): { W: number; U: number; b: number; total: number } {
  const GH = cell.gates * H;
  const b = biasLength(cell, H);
  return { W: D * GH, U: H * GH, b, total: D * GH + H * GH + b };
}

function maskCount(layout: MaskLayout, gates: number): number {
  return layout === 'none' ? 0 : layout === 'shared' ? 1 : gates;
}

/**
 * The region's layout for a job with `blocks` row blocks: its size in bytes,
 * and its views over a buffer of at least that size (the claims, then the
 * float64 arrays, so that every view is aligned).
 */
export function layout(job: Job, blocks: number): { bytes: number; views: (sab: SharedArrayBuffer) => JobViews } {
  const { cell, dtype } = job;
  const { B, T, D, H } = job.d;
  const S = cell.states.length;
  const training = has(job, Flag.Training);
  const out = (job.flags.returnSequences ? T : 1) * B * H;
  const slot = training ? slotSizes(cell, job.d).total : 0;
  const wide = [blocks * slot, training && has(job, Flag.Probe) ? blocks * 2 * T : 0];
  const narrow = [
    B * T * D, D * cell.gates * H, H * cell.gates * H, has(job, Flag.Bias) ? biasLength(cell, H) : 0, has(job, Flag.Mask) ? B * T : 0,
    maskCount(job.inputMasks, cell.gates) * B * D, maskCount(job.recurrentMasks, cell.gates) * B * H,
    has(job, Flag.Initial) ? S * B * H : 0, out, S * B * H,
    training ? out : 0, training ? S * B * H : 0, training ? B * T * D : 0, training ? S * B * H : 0,
  ];
  const size = dtype === 'float64' ? 8 : 4;
  const claimBytes = Math.ceil((1 + blocks) / 2) * 8;
  const bytes = claimBytes + (wide[0] + wide[1]) * 8 + narrow.reduce((s, n) => s + n, 0) * size;
  const views = (sab: SharedArrayBuffer): JobViews => {
    const claims = new Int32Array(sab, 0, 1 + blocks);
    let at = claimBytes;
    const f64 = (n: number): Float64Array => {
      const v = new Float64Array(sab, at, n);
      at += n * 8;
      return v;
    };
    const slots = f64(wide[0]);
    const squares = f64(wide[1]);
    const next = (n: number): FloatArray => {
      const v = dtype === 'float64' ? new Float64Array(sab, at, n) : new Float32Array(sab, at, n);
      at += n * size;
      return v;
    };
    const split = (whole: FloatArray, count: number, n: number): FloatArray[] => Array.from({ length: count }, (_, k) => whole.subarray(k * n, (k + 1) * n));
    const masks = (layoutOf: MaskLayout, whole: FloatArray, n: number): FloatArray[] | null =>
      layoutOf === 'none' ? null : layoutOf === 'shared' ? new Array<FloatArray>(cell.gates).fill(whole) : split(whole, cell.gates, n);
    const [x, W, U, b, mask, inMasks, recMasks, initial, output, finals, dOutput, dFinal, dx, dInitial] = narrow.map(next);
    const input = masks(job.inputMasks, inMasks, B * D);
    const recurrent = masks(job.recurrentMasks, recMasks, B * H);
    const a: BlockArrays = {
      x, W, U, b: has(job, Flag.Bias) ? b : null, mask: has(job, Flag.Mask) ? mask : null,
      dropoutMasks: input || recurrent ? { input, recurrent } : null,
      initial: has(job, Flag.Initial) ? split(initial, S, B * H) : null, output, finals: split(finals, S, B * H),
    };
    return { claims, a, dOutput, dFinal: split(dFinal, S, B * H), dx, dInitial: split(dInitial, S, B * H), slots, squares };
  };
  return { bytes, views };
}
