/**
 * What a training pass holds on one thread and on two: the buffer plans of
 * its row blocks (wherever they run) and, on two threads, the shared region
 * the calling thread and the worker exchange the call's arrays through.
 *
 * The calling thread's plans are recorded as they are made (RecordingWorkspace);
 * the worker runs the other blocks with plans of the sizes the driver's
 * planSizes gives for them, the same sizes as on one thread. On one thread the
 * blocks' gradient slots sit in the workspace's float64 buffers; on two, in
 * the region; both are counted.
 */
import { ones } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import { rowBlocks } from '../cells/threads/blocks.ts';
import { getNumThreads, regionFor, setNumThreads, threadJobs } from '../cells/threads/pool.ts';
import { slotSizes } from '../cells/threads/regions.ts';
import { CELLS } from '../cells/index.ts';
import { randomUniform } from '../autograd/index.ts';
import { RecordingWorkspace, planTotal, variant, type VariantKey } from './variants.ts';

export interface ThreadMemory {
  label: string;
  /** Bytes on one thread: every block's plan and the gradient slots. */
  one: number;
  /** Bytes on two threads: the plans of both threads' blocks and the region. */
  two: number;
  region: number;
  ratio: number;
}

const BYTES = 4;

/** One training pass (sum of the output as the loss) on `threads` threads; the workspace that recorded the calling thread's plans. */
function pass(key: VariantKey, dims: { B: number; T: number; D: number; H: number }, threads: number): RecordingWorkspace {
  const v = variant(key);
  const w = v.init(dims.D, dims.H);
  const x = randomUniform([dims.B, dims.T, dims.D], -1, 1);
  const workspace = new RecordingWorkspace();
  const saved = getNumThreads();
  setNumThreads(threads);
  try {
    const { output } = v.fused(x, w, { workspace });
    ops.sum(ops.mul(output, ones(output.shape))).backward();
  } finally {
    setNumThreads(saved);
  }
  return workspace;
}

export function threadMemory(key: VariantKey, dims: { B: number; T: number; D: number; H: number }): ThreadMemory {
  const v = variant(key);
  const starts = rowBlocks(dims.B);
  const blocks = starts.length - 1;
  const blockPlan = (k: number): number => planTotal(v.planSizes('train', { ...dims, B: starts[k + 1] - starts[k] })) * BYTES;
  const all = Array.from({ length: blocks }, (_, k) => blockPlan(k)).reduce((s, n) => s + n, 0);
  const cell = CELLS[key === 'simpleRnn' ? 'SimpleRNN' : key === 'lstm' ? 'LSTM' : 'GRU'].cell({ resetAfter: key === 'gru' });
  const slots = blocks * slotSizes(cell, dims).total * 8;

  const one = pass(key, dims, 1).numbers('train') * BYTES;
  if (one !== all) throw new Error(`${v.label}: one thread's plans hold ${one} bytes, its blocks' planSizes say ${all}`);
  const jobs = threadJobs();
  const ws = pass(key, dims, 2);
  if (threadJobs() === jobs) throw new Error(`${v.label}: the pass on two threads handed nothing off`);
  const mine = ws.numbers('train') * BYTES;
  // The blocks the calling thread claimed, by the names of its plans ('lstm#3:train'); the worker ran the others.
  const claimed = [...ws.sizes.keys()].map((name) => /#(\d+):train$/.exec(name)).filter((m) => m !== null).map((m) => Number(m[1]));
  const expected = claimed.reduce((s, k) => s + blockPlan(k), 0);
  if (mine !== expected || claimed.length === blocks) {
    throw new Error(`${v.label}: on two threads the calling thread's plans hold ${mine} bytes for blocks ${claimed.join(', ')}; their planSizes say ${expected}`);
  }
  const region = regionFor(ws, 'train', 0).sab.byteLength;
  const two = all + region;
  return { label: `${v.label}(${dims.H}) B=${dims.B} T=${dims.T}`, one: one + slots, two, region, ratio: two / (one + slots) };
}

/**
 * How much of two cores the machine gives now: the same arithmetic loop run
 * twice one after the other, and then twice at once (on this thread and on a
 * worker); medians of `runs` rounds of their wall-time ratio. 2 means two
 * free cores, 1 one core's worth; the two-thread figures read against it.
 */
export async function parallelHeadroom(runs = 5): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const loop = 'let s = 0; for (let i = 0; i < 5e7; i++) s += (i & 7) * 1e-9; return s;';
  const worker = new Worker(`const { parentPort } = require('node:worker_threads'); const f = new Function(${JSON.stringify(loop)}); parentPort.on('message', () => parentPort.postMessage(f()));`, { eval: true });
  const f = new Function(loop) as () => number;
  const onWorker = (): Promise<unknown> => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(0); });
  await onWorker();
  f();
  const ratios: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    f();
    f();
    const serial = performance.now() - t0;
    t0 = performance.now();
    const other = onWorker();
    f();
    await other;
    ratios.push(serial / (performance.now() - t0));
  }
  await worker.terminate();
  return ratios.sort((a, b) => a - b)[runs >> 1];
}
