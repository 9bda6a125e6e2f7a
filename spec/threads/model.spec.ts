/**
 * Threads through the public API: a seeded fit of a model with every kind of
 * recurrent layer (Bidirectional LSTM with dropout and recurrent dropout, GRU
 * resetAfter false going backwards, a stateful SimpleRNN) gives the same
 * weights, bit for bit, on 1, 2 and 3 threads, and so do its predictions; a
 * process that trained on threads exits by itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  Bidirectional, Dense, GRU, LSTM, Sequential, SimpleRNN, getNumThreads, randomNormal, setNumThreads, setSeed, tensor,
} from '../../lib/index.ts';
import { threadJobs } from '../../cells/threads/pool.ts';
import { digest } from '../cells/harness.ts';

const [B, T, D] = [64, 10, 6];
const initialThreads = getNumThreads();

async function trained(threads: number): Promise<{ weights: string[]; predicted: string; jobs: number }> {
  setNumThreads(threads);
  const jobs = threadJobs();
  setSeed(31);
  const model = new Sequential();
  model.add(new Bidirectional(new LSTM(16, { returnSequences: true, dropout: 0.2, recurrentDropout: 0.1 }), { inputShape: [T, D] }));
  model.add(new GRU(12, { resetAfter: false, returnSequences: true, goBackwards: true, dropout: 0.1 }));
  model.add(new SimpleRNN(20, { stateful: true }));
  model.add(new Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy' });
  const x = randomNormal([2 * B, T, D]);
  const y = tensor(Float32Array.from({ length: 2 * B }, (_, i) => (x.data[i * T * D] > 0 ? 1 : 0)), [2 * B, 1]);
  await model.fit(x, y, { epochs: 2, batchSize: B, verbose: 0, shuffle: true });
  const predicted = model.predict(x, { batchSize: B });
  return { weights: model.getWeights().map((w) => digest(w.data)), predicted: digest((Array.isArray(predicted) ? predicted[0] : predicted).data), jobs: threadJobs() - jobs };
}

test('a seeded fit and predict: the same weights and predictions, bit for bit, on 1, 2 and 3 threads', async () => {
  const one = await trained(1);
  assert.is(one.jobs, 0);
  for (const n of [2, 3]) {
    const other = await trained(n);
    assert.ok(other.jobs > 0, `${n} threads: jobs were handed off`);
    assert.equal(other.weights, one.weights, `${n} threads: the weights after training`);
    assert.is(other.predicted, one.predicted, `${n} threads: the predictions`);
  }
  setNumThreads(initialThreads);
});

test('a process that trained on two threads exits by itself, with its result', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'exit-child.ts')], {
    encoding: 'utf8', timeout: 120_000, cwd: join(import.meta.dirname, '../..'),
  });
  assert.is(child.error, undefined, `the child did not exit by itself: ${child.error?.message}`);
  assert.is(child.status, 0, `exit status ${child.status}: ${child.stderr}`);
  assert.match(child.stdout, /^trained on 2 threads, \d+ jobs handed off, loss \d/);
});

test.run();
