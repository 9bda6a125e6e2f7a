/**
 * The batch in row blocks, on 1, 2 and 3 threads: every configuration of the
 * cell specs (configs.ts), at a batch large enough to be cut in four blocks
 * and shared with workers, computes the same bits on any number of threads —
 * output, final states, every gradient, the probe, the inference pass — and
 * agrees with the reference loop through autograd. Then a worker's error
 * is an error of the call, and the pool goes on working.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Workspace } from '../../cells/common.ts';
import { LSTM as LSTM_CELL } from '../../cells/lstm.ts';
import { rowBlocks } from '../../cells/threads/blocks.ts';
import { getNumThreads, regionFor, runJob, setNumThreads, threadJobs } from '../../cells/threads/pool.ts';
import { Op } from '../../cells/threads/protocol.ts';
import { describe } from '../../cells/threads/run.ts';
import { assertClose } from '../autograd/expect.ts';
import { CONFIGS, caseName, type CellConfig, type CellKey, type Dims } from '../cells/configs.ts';
import { digest, gradients, loss, measure, problem, runOn } from '../cells/harness.ts';
import { UNDER_TEST } from '../cells/under-test.ts';

/** Four row blocks (at most 4, of ⌊80 / 16⌋), and work above the threshold under which a call stays on the calling thread. */
const BIG: Dims = { B: 80, T: 6, D: 8, H: 24 };
/** The masks of configs.ts are [3, 4]: sample b at step t takes the value of sample b mod 3 at step t mod 4. */
function widened(mask: readonly number[]): number[] {
  return Array.from({ length: BIG.B * BIG.T }, (_, k) => mask[(Math.floor(k / BIG.T) % 3) * 4 + ((k % BIG.T) % 4)]);
}
function big(config: CellConfig): CellConfig {
  return { ...config, dims: BIG, ...(config.mask ? { mask: widened(config.mask) } : {}) };
}

const initialThreads = getNumThreads();

test('a batch of 90 rows is cut in 4 blocks of nearly equal size, whatever the threads; small batches in one', () => {
  assert.equal(rowBlocks(90), [0, 22, 45, 67, 90]);
  assert.equal(rowBlocks(40), [0, 20, 40]);
  assert.equal(rowBlocks(31), [0, 31]);
  assert.equal(rowBlocks(1000).length - 1, 4, 'at most 4 blocks');
});

for (const key of Object.keys(CONFIGS) as CellKey[]) {
  const cell = UNDER_TEST[key];
  for (const config of CONFIGS[key]) {
    const name = caseName(key, config);
    test(`${name}, B=${BIG.B}: the same bits on 1, 2 and 3 threads (float64 and float32); threads ran`, () => {
      for (const dtype of ['float64', 'float32'] as const) {
        const runs = [1, 2, 3].map((n) => {
          setNumThreads(n);
          const jobs = threadJobs();
          const values = measure(problem(cell, big(config), dtype));
          return { n, jobs: threadJobs() - jobs, digests: new Map([...values].map(([k, v]) => [k, digest(v)])) };
        });
        assert.is(runs[0].jobs, 0, 'one thread: no job is handed off');
        for (const r of runs.slice(1)) {
          assert.ok(r.jobs >= 3, `${r.n} threads: ${r.jobs} jobs handed off (training forward, backward, inference)`);
          const differ = [...runs[0].digests].filter(([k, d]) => r.digests.get(k) !== d).map(([k]) => k);
          assert.equal(differ, [], `${dtype}, ${r.n} threads: these quantities differ from one thread's`);
        }
      }
    });
  }
}

for (const key of Object.keys(CONFIGS) as CellKey[]) {
  const cell = UNDER_TEST[key];
  test(`${key}, B=${BIG.B} on 3 threads: the blocks' gradients = autograd through the reference loop (float64, 1e-10)`, () => {
    setNumThreads(3);
    for (const config of CONFIGS[key]) {
      const p = problem(cell, big(config));
      const fused = gradients(p);
      const reference = gradients(p, p.cell.reference);
      p.leafNames.forEach((leaf, i) => assertClose(`${caseName(key, config)}: d${leaf}`, fused[i], reference[i], 1e-10));
    }
  });
}

test('an error inside a worker is an error of the call, naming the layer, its cell and the shapes; the pool goes on working', () => {
  setNumThreads(2);
  const workspace = new Workspace();
  const d = { ...BIG };
  // A job that says 80 rows over a region that holds a few bytes: the worker's views of it do not fit, and it throws.
  const region = regionFor(workspace, 'infer', 16);
  const job = {
    op: Op.Forward, workspace: region.workspace, region: region.id, cell: LSTM_CELL, dtype: 'float32' as const, d,
    flags: { goBackwards: false, returnSequences: false }, bits: 0, inputMasks: 'none' as const, recurrentMasks: 'none' as const, threads: 2, layer: 'encoder',
  };
  let ran = false;
  assert.throws(() => runJob(job, region, () => { ran = true; }, describe(job)), (e: Error) =>
    /^encoder \(lstm\): inference of x \[80,6,8\] with 24 units on 2 threads: worker thread 1 failed: RangeError/.test(e.message));
  assert.ok(ran, "the calling thread's part ran");
  const config = big(CONFIGS.lstm[0]);
  setNumThreads(1);
  const one = measure(problem(UNDER_TEST.lstm, config));
  setNumThreads(2);
  const jobs = threadJobs();
  const two = measure(problem(UNDER_TEST.lstm, config));
  assert.ok(threadJobs() > jobs, 'the next call ran on the threads');
  for (const [k, v] of one) assert.is(digest(two.get(k)!), digest(v), `after the error: ${k} as on one thread`);
});

test('a backward runs on the threads of its forward, whatever setNumThreads says in between', () => {
  const config = big(CONFIGS.gru[0]);
  setNumThreads(1);
  const want = gradients(problem(UNDER_TEST.gru, config));
  for (const [before, after] of [[2, 1], [3, 2], [1, 3]]) {
    const p = problem(UNDER_TEST.gru, config);
    setNumThreads(before);
    const result = runOn(p);
    setNumThreads(after);
    loss(result, p.config).backward();
    p.leaves.forEach((t, i) => assert.is(digest(t.grad!), digest(want[i]), `forward on ${before}, backward after setNumThreads(${after}): d${p.leafNames[i]}`));
  }
});

test('setNumThreads: a bad n names the argument and the value', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 65]) {
    assert.throws(() => setNumThreads(bad), (e: Error) => e.message === `setNumThreads: n must be an integer from 1 to 64, got ${bad}`);
  }
  setNumThreads(initialThreads);
  assert.is(getNumThreads(), initialThreads);
});

test.run();
