/**
 * The training callbacks: LearningRateScheduler, ReduceLROnPlateau (Keras's
 * rules step by step), TerminateOnNaN, CSVLogger, LambdaCallback, every hook
 * in order through fit / evaluate / predict, and History.params.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CSVLogger, Dense, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau, SGD, Sequential, TerminateOnNaN,
  clearSession, initializers, type Logs, type TrainingModel,
} from '../../lib/index.ts';

test.before.each(() => clearSession());

/** Dense(1), no bias, kernel [0.5, 0.5]; SGD at `lr`. */
function model(lr = 0.1): Sequential {
  const m = new Sequential([new Dense(1, { inputShape: [2], useBias: false, kernelInitializer: initializers.constant(0.5) })]);
  m.compile({ optimizer: new SGD({ learningRate: lr }), loss: 'mse' });
  return m;
}
const X = [[1, 2]];
const Y = [[0]];

/** A stand-in for the model a callback sees: just an optimizer's learning rate and stopTraining. */
function fakeModel(lr: number): TrainingModel {
  const optimizer = new SGD({ learningRate: lr });
  return { name: 'm', stopTraining: false, initialEpoch: 0, built: true, optimizer } as unknown as TrainingModel;
}

test('LearningRateScheduler: fn(epoch, lr) sets each epoch\'s rate, seen by the update', async () => {
  const m = model(0.1);
  const seen: number[] = [];
  const schedule = new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2));
  await m.fit(X, Y, { epochs: 3, verbose: 0, callbacks: [schedule, new LambdaCallback({ onEpochBegin: () => { seen.push(m.optimizer!.learningRate); } })] });
  assert.equal(seen, [0.1, 0.05, 0.025]);
  // Epoch 1 by hand: k = 0.5 − 0.1·2·1.5·[1, 2] = [0.2, −0.1], prediction 0.
  const m2 = model(0.1);
  await m2.fit(X, Y, { epochs: 1, verbose: 0, callbacks: [new LearningRateScheduler(() => 0.1)] });
  const k = m2.layers.at(-1)!.getWeights()[0].data;
  assert.ok(Math.abs(k[0] - 0.2) < 1e-6 && Math.abs(k[1] + 0.1) < 1e-6, `k = ${Array.from(k)}`);
});

test('LearningRateScheduler: a NaN or negative rate is an error naming the value and the epoch', async () => {
  let message = '';
  try {
    await model().fit(X, Y, { epochs: 3, verbose: 0, callbacks: [new LearningRateScheduler((e) => (e === 2 ? Number.NaN : 0.1))] });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /LearningRateScheduler: the schedule returned NaN for epoch 2/);
  try {
    await model().fit(X, Y, { epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler((e) => (e === 1 ? -0.5 : 0.1))] });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /LearningRateScheduler: the schedule returned -0.5 for epoch 1; a learning rate must be a finite number ≥ 0/);
  assert.throws(() => new LearningRateScheduler(0.1 as never), /schedule must be a function/);
});

test('ReduceLROnPlateau: patience, factor, minDelta, cooldown and minLr as Keras counts them', () => {
  const cb = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 0.01, cooldown: 1, minLr: 0.02 });
  const m = fakeModel(0.1);
  cb.onTrainBegin(m);
  const lrs: number[] = [];
  // 1.0 best; 0.995 is no improvement (< minDelta); 0.999 none → wait 2 → drop to 0.05, cooldown 1;
  // 0.998: cooldown ends this epoch, which already counts (wait 1); 0.997: wait 2 → 0.025; 0.5 improves;
  // 0.6, 0.6 → 0.0125 would go below minLr: 0.02.
  for (const v of [1.0, 0.995, 0.999, 0.998, 0.997, 0.5, 0.6, 0.6, 0.6]) {
    cb.onEpochEnd(lrs.length, { val_loss: v } as Logs);
    lrs.push(m.optimizer!.learningRate);
  }
  assert.equal(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02]);
});

test('ReduceLROnPlateau: mode max for accuracies; bad options and a missing key are errors', () => {
  const cb = new ReduceLROnPlateau({ monitor: 'val_acc', patience: 0, factor: 0.1 });
  const m = fakeModel(1);
  cb.onTrainBegin(m);
  cb.onEpochEnd(0, { val_acc: 0.5 });
  cb.onEpochEnd(1, { val_acc: 0.9 });
  assert.is(m.optimizer!.learningRate, 1, 'a higher accuracy improves');
  cb.onEpochEnd(2, { val_acc: 0.8 });
  assert.ok(Math.abs(m.optimizer!.learningRate - 0.1) < 1e-12, 'a lower one does not');
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /ReduceLROnPlateau: factor must be a number in \(0, 1\), got 1/);
  assert.throws(() => new ReduceLROnPlateau({ patience: -1 }), /patience must be a non-negative integer, got -1/);
  assert.throws(() => new ReduceLROnPlateau({ mode: 'up' as 'min' }), /mode must be 'min', 'max' or 'auto', got 'up'/);
  assert.throws(() => new ReduceLROnPlateau({ min_lr: 0.1 } as never), /unknown option 'min_lr'/);
  assert.throws(() => cb.onEpochEnd(3, { loss: 1 }), /ReduceLROnPlateau: monitor 'val_acc' is not in the logs; available: loss/);
});

test('TerminateOnNaN: a batch whose loss is not finite ends training quietly, its update not made; without it fit fails', async () => {
  const poison = (m: Sequential, at: number): LambdaCallback => new LambdaCallback({
    onBatchBegin: (batch) => { if (batch === at) m.layers.at(-1)!.weights()[0].data[0] = Number.POSITIVE_INFINITY; },
  });
  const m = model();
  const stop = new TerminateOnNaN();
  const history = await m.fit([[1, 2], [1, 2], [1, 2]], [[0], [0], [0]], { epochs: 3, batchSize: 1, shuffle: false, verbose: 0, callbacks: [poison(m, 1), stop] });
  assert.is(stop.stoppedBatch, 1);
  assert.equal(history.epoch, [0], 'the epoch under way ends; no further epoch starts');
  assert.is(m.layers.at(-1)!.weights()[0].data[0], Number.POSITIVE_INFINITY, 'no update was made from the batch');
  const m2 = model();
  let message = '';
  try {
    await m2.fit([[1, 2], [1, 2]], [[0], [0]], { epochs: 1, batchSize: 1, verbose: 0, callbacks: [poison(m2, 1)] });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /loss is (NaN|Infinity) at epoch 1, batch 2; training stopped/);
});

test('CSVLogger: epoch and the sorted log keys, one row per epoch; append adds rows under the old ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-csv-'));
  try {
    const path = join(dir, 'log.csv');
    const m = model(0);
    // With a learning rate of 0 every epoch has loss 2.25 and val_loss 2.25.
    await m.fit(X, Y, { epochs: 2, verbose: 0, validationData: [X, Y], callbacks: [new CSVLogger(path)] });
    assert.is(readFileSync(path, 'utf8'), 'epoch,loss,val_loss\n0,2.25,2.25\n1,2.25,2.25\n');
    await m.fit(X, Y, { epochs: 1, verbose: 0, validationData: [X, Y], callbacks: [new CSVLogger(path, { append: true })] });
    assert.is(readFileSync(path, 'utf8'), 'epoch,loss,val_loss\n0,2.25,2.25\n1,2.25,2.25\n0,2.25,2.25\n');
    const semi = join(dir, 'semi.csv');
    writeFileSync(semi, 'old');
    await m.fit(X, Y, { epochs: 1, verbose: 0, callbacks: [new CSVLogger(semi, { separator: ';' })] });
    assert.is(readFileSync(semi, 'utf8'), 'epoch;loss\n0;2.25\n', 'without append the file is replaced');
    assert.throws(() => new CSVLogger(semi, { separator: '' }), /separator must be a non-empty string/);
    assert.throws(() => new CSVLogger(semi, { sep: ';' } as never), /unknown option 'sep'; known: separator, append/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every hook, in Keras\'s order, through fit, evaluate and predict; History.params', async () => {
  const m = model(0);
  const calls: string[] = [];
  const log = new LambdaCallback({
    onTrainBegin: () => { calls.push('trainBegin'); },
    onEpochBegin: (e) => { calls.push(`epochBegin ${e}`); },
    onBatchBegin: (b) => { calls.push(`batchBegin ${b}`); },
    onBatchEnd: (b) => { calls.push(`batchEnd ${b}`); },
    onEpochEnd: (e) => { calls.push(`epochEnd ${e}`); },
    onTrainEnd: () => { calls.push('trainEnd'); },
    onTestBegin: () => { calls.push('testBegin'); },
    onTestEnd: (logs) => { calls.push(`testEnd ${logs.loss}`); },
    onPredictBegin: () => { calls.push('predictBegin'); },
    onPredictEnd: () => { calls.push('predictEnd'); },
  });
  const history = await m.fit([[1, 2], [1, 2]], [[0], [0]], { epochs: 2, batchSize: 1, verbose: 0, callbacks: [log] });
  await m.evaluate(X, Y, { callbacks: [log] });
  m.predict(X, { callbacks: [log] });
  assert.equal(calls, [
    'trainBegin',
    'epochBegin 0', 'batchBegin 0', 'batchEnd 0', 'batchBegin 1', 'batchEnd 1', 'epochEnd 0',
    'epochBegin 1', 'batchBegin 0', 'batchEnd 0', 'batchBegin 1', 'batchEnd 1', 'epochEnd 1',
    'trainEnd', 'testBegin', 'testEnd 2.25', 'predictBegin', 'predictEnd',
  ]);
  assert.equal(history.params, { epochs: 2, steps: 2, verbose: 0 });
  assert.throws(() => new LambdaCallback({ onEpochStart: () => {} } as never), /LambdaCallback: unknown hook 'onEpochStart'; known: onTrainBegin/);
  assert.throws(() => new LambdaCallback({ onEpochEnd: 3 } as never), /LambdaCallback: onEpochEnd must be a function, got number/);
});

test.run();
