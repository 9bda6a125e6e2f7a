/**
 * A worker thread of the pool (pool.ts). It starts on the 'start' message and
 * then waits in Atomics.wait for jobs; for each it runs its part of the row
 * blocks (blocks.ts `runShare`) and counts itself done. Messages (a region to
 * keep, a workspace gone) reach it only between jobs: when a job finds more
 * posted than it has received, the worker returns to its event loop, takes
 * them, and then runs the job. An error of its part is written for the
 * calling thread, which throws it; the worker goes on waiting.
 */
import { Workspace } from '../workspace.ts';
import { regionViews, runShare, type ThreadState } from './blocks.ts';
import { parentPort } from './host.ts';
import { DONE, FAILED, GO, MAIL, READY, controlOf, writeError, type Control, type Message } from './protocol.ts';
import { readJob } from './regions.ts';

let control: Control | null = null;
let index = 0;
/** The last job number run, and the messages taken so far. */
let seen = 0;
let received = 0;
/** A job waits for messages posted before it. */
let pending = false;
const regions = new Map<number, SharedArrayBuffer>();
const states = new Map<number, ThreadState>();

function runPart(c: Control): void {
  try {
    const job = readJob(c);
    const sab = regions.get(job.region);
    if (!sab) throw new Error(`region ${job.region} was never posted to this worker`);
    let state = states.get(job.workspace);
    if (!state) states.set(job.workspace, (state = { workspace: new Workspace(), passes: [] }));
    runShare(state, job, regionViews(job, sab), index + 1);
  } catch (error) {
    writeError(c, index, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    Atomics.store(c.words, FAILED + index, 1);
  }
  Atomics.add(c.words, DONE, 1);
  Atomics.notify(c.words, DONE);
}

/** Waits for jobs and runs them; returns to the event loop when messages are owed first. */
function work(c: Control): void {
  const { words } = c;
  for (;;) {
    Atomics.wait(words, GO + index, seen);
    const go = Atomics.load(words, GO + index);
    if (go === seen) continue;
    if (Atomics.load(words, MAIL + index) !== received) {
      pending = true;
      return;
    }
    seen = go;
    runPart(c);
  }
}

parentPort().onMessage((data) => {
  const message = data as Message;
  if (message.kind === 'start') {
    control = controlOf(message.control);
    index = message.index;
    Atomics.add(control.words, READY, 1);
    Atomics.notify(control.words, READY);
    work(control);
    return;
  }
  received++;
  if (message.kind === 'region') regions.set(message.id, message.sab);
  else {
    for (const r of message.regions) regions.delete(r);
    states.delete(message.workspace);
  }
  const c = control!;
  if (pending && received === Atomics.load(c.words, MAIL + index)) {
    pending = false;
    seen = Atomics.load(c.words, GO + index);
    runPart(c);
    work(c);
  }
});
