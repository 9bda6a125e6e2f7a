/**
 * A call of the driver over its row blocks (blocks.ts), on the calling
 * thread alone or with workers (pool.ts): the forward now, and the backward
 * the tape node runs later, over the same blocks on the same threads.
 * Either way the same arithmetic runs on the same rows, and the blocks'
 * gradients are summed here in block order.
 */
import { Tensor, axpy, type FloatArray } from '../../autograd/index.ts';
import type { CellWeights, GradientProbe, SequenceDims, SequenceGrads, SequenceOptions } from '../common.ts';
import type { Cell } from '../cell.ts';
import { maskLayout } from '../projection.ts';
import { passFlags, regionViews, rowBlocks, runShare, wholeArrays, type ThreadState, type Views } from './blocks.ts';
import { regionFor, runJob, threadsFor } from './pool.ts';
import { Flag, Op } from './protocol.ts';
import { layout, slotSizes, type Job } from './regions.ts';
import type { Workspace } from '../workspace.ts';

/** A forward that has run, and its backward. */
export interface BlockRun {
  output: Tensor;
  states: Tensor[];
  backward(dOutput: FloatArray, dFinal: FloatArray[], grads: SequenceGrads, probe: GradientProbe | null): void;
}

function bit(on: unknown, b: number): number {
  return on ? b : 0;
}

function jobOf(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions, d: SequenceDims, training: boolean, threads: number): Job {
  const bits = bit(options.goBackwards, Flag.GoBackwards) | bit(options.returnSequences, Flag.ReturnSequences) | bit(w.bias, Flag.Bias) |
    bit(options.mask, Flag.Mask) | bit(options.initialState, Flag.Initial) | bit(training, Flag.Training) | bit(options.gradientProbe, Flag.Probe);
  return {
    op: Op.Forward, workspace: 0, region: 0, cell, dtype: x.dtype, d, flags: passFlags(options), bits,
    inputMasks: maskLayout(options.dropoutMasks?.input ?? null), recurrentMasks: maskLayout(options.dropoutMasks?.recurrent ?? null), threads,
    layer: options.layer,
  };
}

/** The backward of a forward job, with the gradients that are wanted. */
function backwardJob(job: Job, grads: SequenceGrads): Job {
  let bits = job.bits;
  if (grads.x) bits |= Flag.WantX;
  if (grads.W) bits |= Flag.WantW;
  if (grads.U) bits |= Flag.WantU;
  if (grads.b) bits |= Flag.WantB;
  grads.initial.forEach((g, i) => { if (g) bits |= Flag.WantInitial << i; });
  return { ...job, op: Op.Backward, bits };
}

/** After the blocks' backwards: the region's gradients into the caller's, the slots summed in block order, the probe's norms. */
function gather(job: Job, v: Views, grads: SequenceGrads, probe: GradientProbe | null, blocks: number): void {
  if (v.zeroed) {
    if (grads.x) axpy(grads.x, 1, v.dx);
    grads.initial.forEach((g, i) => { if (g) axpy(g, 1, v.dInitial[i]); });
  }
  if (!v.direct) {
    const size = slotSizes(job.cell, job.d);
    const parts: Array<[FloatArray | null, number]> = [[grads.W, 0], [grads.U, size.W], [grads.b, size.W + size.U]];
    for (const [target, from] of parts) {
      if (!target) continue;
      for (let i = 0; i < target.length; i++) {
        let sum = 0;
        for (let k = 0, at = from + i; k < blocks; k++, at += size.total) sum += v.slots[at];
        target[i] += sum;
      }
    }
  }
  if (probe) {
    const { T } = job.d;
    for (let t = 0; t < T; t++) {
      let h = 0, x = 0;
      for (let k = 0; k < blocks; k++) {
        h += v.squares[k * 2 * T + t];
        x += v.squares[k * 2 * T + T + t];
      }
      probe.hGradNorm[t] = Math.sqrt(h);
      probe.xGradNorm[t] = Math.sqrt(x);
    }
  }
}

function shapes(job: Job): { output: number[]; state: number[] } {
  const { B, T, H } = job.d;
  return { output: job.flags.returnSequences ? [B, T, H] : [B, H], state: [B, H] };
}

/** Empty arrays, for the views a call does not use (never written). */
const NONE32 = new Float32Array(0);
const NONE64 = new Float64Array(0);

/** Every block on the calling thread, over the caller's own arrays. */
function onCaller(job: Job, x: Tensor, w: CellWeights, options: SequenceOptions, workspace: Workspace): BlockRun {
  const { cell, d } = job;
  const blocks = rowBlocks(d.B).length - 1;
  const state: ThreadState = { workspace, passes: [] };
  const a = wholeArrays(cell, x, w, options, d);
  const none = x.dtype === 'float64' ? NONE64 : NONE32;
  const claims = new Int32Array(1 + blocks);
  const empty = NONE64;
  runShare(state, job, { claims, a, dOutput: none, dFinal: [], dx: none, dInitial: [], slots: empty, squares: empty, direct: null, zeroed: false }, 0);
  const shape = shapes(job);
  return {
    output: new Tensor(a.output, shape.output), states: a.finals.map((f) => new Tensor(f, shape.state)),
    backward(dOutput, dFinal, grads, probe) {
      const back = backwardJob(job, grads);
      const v: Views = {
        claims, a, dOutput, dFinal, dx: grads.x ?? none, dInitial: grads.initial.map((g) => g ?? none),
        slots: workspace.float64(`${cell.name}:slots`, blocks > 1 ? blocks * slotSizes(cell, d).total : 0),
        squares: workspace.float64(`${cell.name}:squares`, probe ? blocks * 2 * d.T : 0),
        direct: blocks === 1 ? grads : null, zeroed: false,
      };
      runShare(state, back, v, 0);
      gather(back, v, grads, probe, blocks);
    },
  };
}

/** The inputs of a call into its region. */
function fill(v: Views, x: Tensor, w: CellWeights, options: SequenceOptions): void {
  const { a } = v;
  (a.x as FloatArray).set(x.data);
  (a.W as FloatArray).set(w.kernel.data);
  (a.U as FloatArray).set(w.recurrentKernel.data);
  if (a.b && w.bias) (a.b as FloatArray).set(w.bias.data);
  if (a.mask && options.mask) (a.mask as FloatArray).set(options.mask);
  const masks = options.dropoutMasks;
  for (const [to, from] of [[a.dropoutMasks?.input, masks?.input], [a.dropoutMasks?.recurrent, masks?.recurrent]] as const) {
    to?.forEach((m, g) => { if (g === 0 || m !== to[g - 1]) m.set(from![g]); });
  }
  a.initial?.forEach((s, i) => (s as FloatArray).set(options.initialState![i].data));
}

/** A job as its errors name it: the layer and its cell, the pass, the shapes and the threads. */
export function describe(job: Job): string {
  const { B, T, D, H } = job.d;
  const what = job.op === Op.Forward ? (job.bits & Flag.Training ? 'training forward' : 'inference') : 'backward';
  const who = job.layer ? `${job.layer} (${job.cell.name})` : job.cell.name;
  return `${who}: ${what} of x [${B},${T},${D}] with ${H} units on ${job.threads} threads`;
}

/** The blocks shared among the calling thread and workers, over the workspace's region. */
function threaded(job: Job, x: Tensor, w: CellWeights, options: SequenceOptions, workspace: Workspace): BlockRun {
  const blocks = rowBlocks(job.d.B).length - 1;
  const training = (job.bits & Flag.Training) !== 0;
  const region = regionFor(workspace, training ? 'train' : 'infer', layout(job, blocks).bytes);
  const forwardJob: Job = { ...job, workspace: region.workspace, region: region.id };
  const v = regionViews(forwardJob, region.sab);
  fill(v, x, w, options);
  Atomics.store(v.claims, 0, 0);
  const state: ThreadState = { workspace, passes: [] };
  runJob(forwardJob, region, () => runShare(state, forwardJob, v, 0), describe(forwardJob));
  const shape = shapes(job);
  return {
    output: new Tensor(v.a.output.slice(), shape.output), states: v.a.finals.map((f) => new Tensor(f.slice(), shape.state)),
    backward(dOutput, dFinal, grads, probe) {
      v.dOutput.set(dOutput);
      v.dFinal.forEach((d, i) => d.set(dFinal[i]));
      const back = backwardJob(forwardJob, grads);
      runJob(back, region, () => runShare(state, back, v, 0), describe(back));
      gather(back, v, grads, probe, blocks);
    },
  };
}

/** The call over its row blocks: on the calling thread alone, or shared with workers when they can win. */
export function runBlocks(cell: Cell, x: Tensor, w: CellWeights, options: SequenceOptions, d: SequenceDims, training: boolean): BlockRun {
  const workspace = options.workspace!;
  const threads = threadsFor(cell, d, rowBlocks(d.B).length - 1);
  const job = jobOf(cell, x, w, options, d, training, threads);
  return threads > 1 ? threaded(job, x, w, options, workspace) : onCaller(job, x, w, options, workspace);
}
