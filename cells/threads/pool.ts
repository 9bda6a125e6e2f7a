/**
 * The calling thread's side of the threads: how many to use, the workers
 * (started once, on first need, and kept), the regions of shared memory per
 * workspace, and the hand-off of a job. The public API stays synchronous: the
 * calling thread writes the job into shared memory, wakes the workers with
 * Atomics.notify, runs its own part, and waits in Atomics.wait until every
 * worker has finished its part.
 */
import type { SequenceDims } from '../common.ts';
import type { Cell } from '../cell.ts';
import type { Workspace } from '../workspace.ts';
import { spawnWorker, threadSupport, type WorkerHandle } from './host.ts';
import { DONE, FAILED, GO, MAIL, MAX_THREADS, READY, newControl, readError, type Control, type Message } from './protocol.ts';
import { cellList, writeJob, type Job } from './regions.ts';

/** Without a choice: the cores available, at most this many. */
const DEFAULT_CAP = 4;

/** Multiply-adds of a forward below which a call stays on the calling thread: two hand-offs cost more than they save. */
const MIN_THREADED_WORK = 1 << 18;

/** How long a worker may take to start (loading the modules; under tsx, compiling them). */
const START_MS = 60_000;

let numThreads = threadSupport.reason ? 1 : Math.min(DEFAULT_CAP, threadSupport.cores);

/**
 * Sets the threads a recurrent layer's forward and backward may use, the
 * calling thread included: 1 … 64. Results are the same bits for any number.
 * A call uses at most one thread per row block of its batch (blocks of at
 * least 16 rows, at most 4: cells/threads/blocks.ts).
 * Where threads cannot run (no SharedArrayBuffer, or a browser's main
 * thread), only 1 is accepted.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`setNumThreads: n must be an integer from 1 to ${MAX_THREADS}, got ${n}`);
  }
  if (n > 1 && threadSupport.reason) {
    throw new Error(`setNumThreads: n = ${n} needs worker threads, which cannot run here: ${threadSupport.reason}; only n = 1 is possible`);
  }
  numThreads = n;
}

/** The threads a recurrent layer may use (default: the available cores, at most 4; 1 where threads cannot run). */
export function getNumThreads(): number {
  return numThreads;
}

/** Jobs handed off to workers so far in this process (what the specs read to see that threads ran). */
export function threadJobs(): number {
  return pool?.jobs ?? 0;
}

/** Threads a call uses: 1 for small work, a cell the workers do not know, or fewer than two row blocks. */
export function threadsFor(cell: Cell, { B, T, D, H }: SequenceDims, blocks: number): number {
  if (numThreads === 1 || blocks < 2 || !cellList().includes(cell)) return 1;
  if (B * T * cell.gates * H * (D + H) < MIN_THREADED_WORK) return 1;
  return Math.min(numThreads, blocks);
}

interface PoolWorker {
  handle: WorkerHandle;
  /** The regions posted to it. */
  regions: Set<number>;
}

interface Pool {
  control: Control;
  workers: PoolWorker[];
  jobs: number;
  /** Why the workers could not start, once they could not. */
  broken: string | null;
}

let pool: Pool | null = null;

function post(p: Pool, i: number, message: Message): void {
  p.workers[i].handle.post(message);
  Atomics.add(p.control.words, MAIL + i, 1);
}

/** The pool with at least n workers, started and waiting. */
function workers(n: number): Pool {
  pool ??= { control: newControl(), workers: [], jobs: 0, broken: null };
  const p = pool;
  if (p.broken) throw new Error(p.broken);
  const { words } = p.control;
  while (p.workers.length < n) {
    const index = p.workers.length;
    let handle: WorkerHandle;
    try {
      handle = spawnWorker((error) => { p.broken = `worker thread ${index + 1} failed: ${error.message}`; });
    } catch (error) {
      p.broken = `worker thread ${index + 1} could not start: ${error instanceof Error ? error.message : String(error)}`;
      throw new Error(p.broken);
    }
    p.workers.push({ handle, regions: new Set() });
    handle.post({ kind: 'start', index, control: p.control.sab } satisfies Message);
  }
  const until = Date.now() + START_MS;
  for (let ready = Atomics.load(words, READY); ready < n; ready = Atomics.load(words, READY)) {
    const left = until - Date.now();
    if (left <= 0) {
      p.broken = `worker threads did not start within ${START_MS / 1000} s (${ready} of ${n} ready)`;
      throw new Error(p.broken);
    }
    Atomics.wait(words, READY, ready, left);
  }
  return p;
}

// ---------------------------------------------------------------- regions

/** A SharedArrayBuffer of a workspace's jobs. */
export interface Region {
  workspace: number;
  id: number;
  sab: SharedArrayBuffer;
}

interface Held {
  workspace: number;
  regions: Partial<Record<'train' | 'infer', Region>>;
  /** What the workers are to forget when the workspace is collected. */
  ids: { workspace: number; regions: number[] };
}

const held = new WeakMap<Workspace, Held>();
let ids = 0;

const gone = new FinalizationRegistry<{ workspace: number; regions: number[] }>((dead) => {
  if (!pool) return;
  pool.workers.forEach((w, i) => {
    if (dead.regions.some((r) => w.regions.has(r))) post(pool!, i, { kind: 'drop', workspace: dead.workspace, regions: dead.regions });
    for (const r of dead.regions) w.regions.delete(r);
  });
});

/** The workspace's region for one kind of pass, at least `bytes` long. */
export function regionFor(workspace: Workspace, kind: 'train' | 'infer', bytes: number): Region {
  let h = held.get(workspace);
  if (!h) {
    const id = ++ids;
    h = { workspace: id, regions: {}, ids: { workspace: id, regions: [] } };
    held.set(workspace, h);
    gone.register(workspace, h.ids);
  }
  const old = h.regions[kind];
  if (old && old.sab.byteLength >= bytes) return old;
  // The first region is the size asked for; one that must grow takes a quarter more, so that growing shapes replace it rarely.
  const size = Math.ceil((old ? bytes * 1.25 : bytes) / 8) * 8;
  const region: Region = { workspace: h.workspace, id: ++ids, sab: new SharedArrayBuffer(size) };
  if (old) forget(h, old);
  h.regions[kind] = region;
  h.ids.regions.push(region.id);
  return region;
}

function forget(h: Held, old: Region): void {
  h.ids.regions = h.ids.regions.filter((r) => r !== old.id);
  pool?.workers.forEach((w, i) => {
    if (w.regions.delete(old.id)) post(pool!, i, { kind: 'drop', workspace: -1, regions: [old.id] });
  });
}

// ---------------------------------------------------------------- the hand-off

/**
 * Runs a job over its region on job.threads threads: workers 1 … threads − 1 and `mine`, the
 * calling thread's part. Returns when every part has finished; an error of
 * any part is thrown then, as an Error of the call (`what` names it), and the
 * pool stays usable.
 */
export function runJob(job: Job, region: Region, mine: () => void, what: string): void {
  const helpers = job.threads - 1;
  let p: Pool;
  try {
    p = workers(helpers);
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}; setNumThreads(1) runs on the calling thread alone`);
  }
  const { words } = p.control;
  for (let i = 0; i < helpers; i++) {
    if (p.workers[i].regions.has(region.id)) continue;
    post(p, i, { kind: 'region', id: region.id, sab: region.sab });
    p.workers[i].regions.add(region.id);
  }
  writeJob(p.control, job);
  Atomics.store(words, DONE, 0);
  p.jobs++;
  for (let i = 0; i < helpers; i++) {
    Atomics.store(words, FAILED + i, 0);
    Atomics.store(words, GO + i, p.jobs);
    Atomics.notify(words, GO + i);
  }
  let own: unknown = null;
  try {
    mine();
  } catch (error) {
    own = error;
  }
  for (let done = Atomics.load(words, DONE); done < helpers; done = Atomics.load(words, DONE)) Atomics.wait(words, DONE, done);
  if (own) throw own;
  for (let i = 0; i < helpers; i++) {
    if (Atomics.load(words, FAILED + i)) throw new Error(`${what}: worker thread ${i + 1} failed: ${readError(p.control, i)}`);
  }
}
