/**
 * Threads in the package as a user installs it (spec/package/packed.ts: the
 * packed tarball in a fresh project), under plain Node: the worker script of
 * dist/ starts, a training step on two threads gives the same bits as on
 * one, and the process exits by itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packed, run } from '../package/packed.ts';

const APP = `
import { Dense, LSTM, Sequential, getNumThreads, randomNormal, setNumThreads, setSeed, tensor } from 'unrolled';
import { threadJobs } from './node_modules/unrolled/dist/cells/threads/pool.js';
const result = [];
for (const n of [1, 2]) {
  setNumThreads(n);
  setSeed(3);
  const model = new Sequential([new LSTM(24, { inputShape: [20, 8] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy' });
  const x = randomNormal([64, 20, 8]);
  const y = tensor(Float32Array.from({ length: 64 }, (_, i) => i % 2), [64, 1]);
  model.trainOnBatch(x, y);
  const loss = model.trainOnBatch(x, y);
  result.push({ threads: getNumThreads(), loss, jobs: threadJobs(), weights: model.getWeights().map((w) => Array.from(w.data)) });
}
console.log(JSON.stringify(result));
`;

test('the installed package trains on two threads under plain Node: the same bits as one thread, and the process exits', () => {
  const { project } = packed();
  writeFileSync(join(project, 'threads.mjs'), APP);
  const { stdout } = run(process.execPath, ['threads.mjs'], project, 120_000);
  const [one, two] = JSON.parse(stdout) as Array<{ threads: number; loss: number; jobs: number; weights: number[][] }>;
  assert.is(one.jobs, 0, 'one thread hands nothing off');
  assert.ok(two.jobs > 0, 'two threads handed jobs to the worker');
  assert.is(two.loss, one.loss);
  assert.equal(two.weights, one.weights);
});

test.run();
