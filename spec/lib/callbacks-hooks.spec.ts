/**
 * Hooks as Keras 3's fit, evaluate and predict call them: fit's validation
 * is an evaluate with fit's callbacks (onTestBegin, onTestBatchBegin/End,
 * onTestEnd with unprefixed logs), the learning-rate callbacks put
 * `learning_rate` into the epoch's logs (History, CSVLogger after them),
 * and predict's hooks (onPredictBatchBegin/End with the outputs) are
 * synchronous: a hook returning a Promise is an error naming it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CSVLogger, Dense, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau, SGD, Sequential, Tensor, clearSession, initializers, type Callback,
} from '../../lib/index.ts';

test.before.each(() => clearSession());

/** Dense(1), no bias, kernel [0.5, 0.5]; SGD at `lr`. On [1, 2] it predicts 1.5; on [2, 0], 1. */
function model(lr: number): Sequential {
  const m = new Sequential([new Dense(1, { inputShape: [2], useBias: false, kernelInitializer: initializers.constant(0.5) })]);
  m.compile({ optimizer: new SGD({ learningRate: lr }), loss: 'mse' });
  return m;
}

/** Every test hook, as calls with their arguments. */
function testRecorder(calls: string[]): Callback {
  return new LambdaCallback({
    onEpochEnd: (e, logs) => { calls.push(`epochEnd ${e} val_loss ${logs.val_loss}`); },
    onTestBegin: () => { calls.push('testBegin'); },
    onTestBatchBegin: (b) => { calls.push(`testBatchBegin ${b}`); },
    onTestBatchEnd: (b, logs) => { calls.push(`testBatchEnd ${b} ${JSON.stringify(logs)}`); },
    onTestEnd: (logs) => { calls.push(`testEnd ${JSON.stringify(logs)}`); },
  });
}

test('fit\'s validation runs the test hooks, as Keras\'s fit runs evaluate with its callbacks: logs unprefixed, running per batch', async () => {
  // At learning rate 0 the weights stay: validation rows [1, 2] → 1.5 and [2, 0] → 1 against 0: losses 2.25 and 1, running mean 1.625.
  const m = model(0);
  const calls: string[] = [];
  await m.fit([[1, 2]], [[0]], { epochs: 2, batchSize: 1, verbose: 0, validationData: [[[1, 2], [2, 0]], [[0], [0]]], callbacks: [testRecorder(calls)] });
  const epoch = (e: number): string[] => [
    'testBegin', 'testBatchBegin 0', 'testBatchEnd 0 {"loss":2.25}', 'testBatchBegin 1', 'testBatchEnd 1 {"loss":1.625}',
    'testEnd {"loss":1.625}', `epochEnd ${e} val_loss 1.625`,
  ];
  assert.equal(calls, [...epoch(0), ...epoch(1)]);
});

test('a generator\'s validation runs the test hooks too; evaluate runs the batch hooks', async () => {
  const m = model(0);
  const calls: string[] = [];
  function* batches(): Generator<[number[][], number[][]]> {
    for (;;) yield [[[2, 0]], [[0]]];
  }
  await m.fit(batches(), { stepsPerEpoch: 1, epochs: 1, verbose: 0, validationData: batches(), validationSteps: 2, callbacks: [testRecorder(calls)] });
  assert.equal(calls, ['testBegin', 'testBatchBegin 0', 'testBatchEnd 0 {"loss":1}', 'testBatchBegin 1', 'testBatchEnd 1 {"loss":1}', 'testEnd {"loss":1}', 'epochEnd 0 val_loss 1']);
  calls.length = 0;
  await m.evaluate([[1, 2], [2, 0]], [[0], [0]], { batchSize: 1, callbacks: [testRecorder(calls)] });
  assert.equal(calls, ['testBegin', 'testBatchBegin 0', 'testBatchEnd 0 {"loss":2.25}', 'testBatchBegin 1', 'testBatchEnd 1 {"loss":1.625}', 'testEnd {"loss":1.625}']);
});

test('LearningRateScheduler puts each epoch\'s rate in the logs: History has learning_rate after the loss keys, as Keras 3', async () => {
  const m = model(0.1);
  const h = await m.fit([[1, 2]], [[1.5]], {
    epochs: 3, verbose: 0, validationData: [[[1, 2]], [[1.5]]],
    callbacks: [new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2))],
  });
  assert.equal(Object.keys(h.history), ['loss', 'val_loss', 'learning_rate']);
  assert.equal(h.history.learning_rate, [0.1, 0.05, 0.025]);
});

test('ReduceLROnPlateau logs the rate the epoch ran with, before it lowers it (Keras 3\'s on_epoch_end)', async () => {
  // The target equals the prediction: loss 0 every epoch, no gradient. Epoch 0 improves on ∞; epochs 1 and 2
  // do not (minDelta 0), and with patience 1 each halves the rate after logging it: 0.1, 0.1, 0.05, then 0.025.
  const m = model(0.1);
  const h = await m.fit([[1, 2]], [[1.5]], {
    epochs: 3, verbose: 0, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, minDelta: 0 })],
  });
  assert.equal(h.history.learning_rate, [0.1, 0.1, 0.05]);
  assert.is(m.optimizer!.learningRate, 0.025);
});

test('a CSVLogger after the learning-rate callback has the learning_rate column (keys sorted, as Keras\'s CSVLogger)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-lr-csv-'));
  try {
    const path = join(dir, 'log.csv');
    await model(0.1).fit([[1, 2]], [[1.5]], {
      epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2)), new CSVLogger(path)],
    });
    assert.is(readFileSync(path, 'utf8'), 'epoch,learning_rate,loss\n0,0.1,0\n1,0.05,0\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('predict: onPredictBatchBegin/End per batch with the batch\'s outputs (1.5 and 1 by hand)', () => {
  const calls: string[] = [];
  model(0).predict([[1, 2], [2, 0], [1, 2]], {
    batchSize: 2,
    callbacks: [new LambdaCallback({
      onPredictBegin: () => { calls.push('begin'); },
      onPredictBatchBegin: (b) => { calls.push(`batchBegin ${b}`); },
      onPredictBatchEnd: (b, logs) => { calls.push(`batchEnd ${b} ${[...(logs.outputs as Tensor).data].join(',')}`); },
      onPredictEnd: () => { calls.push('end'); },
    })],
  });
  assert.equal(calls, ['begin', 'batchBegin 0', 'batchEnd 0 1.5,1', 'batchBegin 1', 'batchEnd 1 1.5', 'end']);
});

test('predict is synchronous: a predict hook that returns a Promise is an error naming the callback and the hook', async () => {
  const m = model(0);
  assert.throws(
    () => m.predict([[1, 2]], { callbacks: [new LambdaCallback({ onPredictBegin: async () => {} })] }),
    /predict: callbacks\[0\] \(LambdaCallback\)\.onPredictBegin returned a Promise, but predict is synchronous and cannot wait for it/,
  );
  // A rejecting async hook: the error is the misuse, and the rejection does not surface later as unhandled.
  let unhandled = 0;
  const count = (): void => { unhandled++; };
  process.on('unhandledRejection', count);
  try {
    const hooks = { onPredictEnd: async (): Promise<void> => { throw new Error('late'); } };
    assert.throws(() => m.predict([[1, 2]], { callbacks: [{}, hooks as unknown as Callback] }), /callbacks\[1\] \(object\)\.onPredictEnd returned a Promise/);
    assert.throws(
      () => m.predict([[1, 2]], { callbacks: [new LambdaCallback({ onPredictBatchEnd: () => Promise.resolve() as unknown as void })] }),
      /onPredictBatchEnd returned a Promise/,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    process.off('unhandledRejection', count);
  }
  assert.is(unhandled, 0);
});

test('a hook that is not a function is an error naming the call, the callback and the hook', async () => {
  const m = model(0);
  assert.throws(() => m.predict([[1, 2]], { callbacks: [{ onPredictBatchEnd: 3 } as unknown as Callback] }), /predict: callbacks\[0\]\.onPredictBatchEnd must be a function, got number/);
  const messageOf = (p: Promise<unknown>): Promise<string> => p.then(() => '', (e: Error) => e.message);
  assert.is(
    await messageOf(m.evaluate([[1, 2]], [[0]], { callbacks: [{}, { onTestBatchBegin: 'x' } as unknown as Callback] })),
    'evaluate: callbacks[1].onTestBatchBegin must be a function, got string',
  );
  assert.is(
    await messageOf(m.fit([[1, 2]], [[0]], { verbose: 0, callbacks: [{ onEpochEnd: null } as unknown as Callback] })),
    'fit: callbacks[0].onEpochEnd must be a function, got null',
  );
});

test.run();
