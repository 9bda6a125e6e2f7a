/** Callbacks are awaited; ModelCheckpoint: file paths, saveBestOnly, saveWeightsOnly, errors. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ModelCheckpoint, type ModelCheckpointOptions } from '../../lib/checkpoint.ts';
import { fillTemplate, parseTemplate } from '../../lib/path-template.ts';
import {
  Adam, Dense, LSTM, Sequential, SimpleRNN, clearSession, loadModel, setSeed, type Callback, type Logs,
} from '../../lib/index.ts';
import { sameBits, signTask } from './helpers.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-ckpt-'));
  dirs.push(dir);
  return dir;
}

test.before.each(() => clearSession());
test.after.each(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function smallModel(seed = 1): Sequential {
  setSeed(seed);
  const model = new Sequential([new SimpleRNN(4, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return model;
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('every hook is awaited: an async onEpochEnd that waits finishes before the next epoch begins', async () => {
  const { x, y } = signTask(32, 3, 1);
  const model = smallModel();
  const events: string[] = [];
  const slow: Callback = {
    onTrainBegin: async () => { await sleep(15); events.push('train-begin done'); },
    onEpochBegin: (epoch) => { events.push(`epoch ${epoch} begin`); },
    onBatchEnd: async (batch) => { if (batch === 0) { await sleep(5); events.push('batch 0 done'); } },
    onEpochEnd: async (epoch) => { await sleep(30); events.push(`epoch ${epoch} end done`); },
    onTrainEnd: async () => { await sleep(15); events.push('train-end done'); },
  };
  await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [slow] });
  events.push('fit returned');
  assert.equal(events, [
    'train-begin done',
    'epoch 0 begin', 'batch 0 done', 'epoch 0 end done',
    'epoch 1 begin', 'batch 0 done', 'epoch 1 end done',
    'epoch 2 begin', 'batch 0 done', 'epoch 2 end done',
    'train-end done', 'fit returned',
  ]);
});

test('a rejected async hook fails fit; initialEpoch starts the loop later (History holds the epochs run)', async () => {
  const { x, y } = signTask(32, 3, 2);
  const model = smallModel();
  await rejects(model.fit(x, y, {
    epochs: 2, verbose: 0, callbacks: [{ onEpochEnd: async () => { await sleep(1); throw new Error('disk full'); } }],
  }), /disk full/);
  const begun: number[] = [];
  const h = await model.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0, callbacks: [{ onEpochBegin: (e) => { begun.push(e); } }] });
  assert.equal(h.epoch, [2, 3]);
  assert.equal(begun, [2, 3]);
  assert.is(h.history.loss.length, 2);
  await rejects(model.fit(x, y, { epochs: 2, initialEpoch: -1, verbose: 0 }), /initialEpoch must be a non-negative integer, got -1/);
  await rejects(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [null as unknown as Callback] }), /callbacks\[0\] must be an object/);
});

test('path templates: epoch and log keys with Python format specs, digit for digit as Python writes them', () => {
  const fill = (t: string, logs: Logs, epoch = 3): string => {
    const values = new Map([['epoch', { value: epoch, integer: true }], ...Object.entries(logs).map(([k, v]) => [k, { value: v, integer: false }] as const)]);
    return fillTemplate(parseTemplate(t, 'T'), values, 'T');
  };
  assert.is(fill('ckpt/epoch-{epoch:02d}-{val_loss:.3f}', { val_loss: 0.123456 }), 'ckpt/epoch-03-0.123');
  assert.is(fill('{epoch}_{epoch:03d}_{epoch:5d}_{epoch:<4d}|', {}, 12), '12_012_   12_12  |');
  // Python's outputs for the same values (checked against CPython 3).
  const cases: Array<[string, number, string]> = [
    ['', 1, '1.0'], ['', 0.1, '0.1'], ['', 0.00001, '1e-05'], ['', 1e16, '1e+16'], ['', 123.456, '123.456'],
    [':.2f', 0.125, '0.12'], [':.2f', 0.375, '0.38'], [':.0f', 2.5, '2'], [':.1f', 0.25, '0.2'], [':.3f', 0.12345, '0.123'],
    [':.4e', 0.000123456, '1.2346e-04'], [':e', 12345.678, '1.234568e+04'], [':.2e', 9.999, '1.00e+01'], [':E', 1234.5, '1.234500E+03'],
    [':g', 0.0001234, '0.0001234'], [':g', 123456789, '1.23457e+08'], [':.3g', 9.9999, '10'], [':g', 1000000, '1e+06'],
    [':.3', 123, '1.23e+02'], [':.3', 12, '12.0'], [':.2%', 0.12345, '12.35%'], [':+.2f', 0.5, '+0.50'],
    [':08.3f', -0.5, '-000.500'], [':*^9.2f', 0.5, '**0.50***'], [':,.2f', 1234567.891, '1,234,567.89'], [':.2f', -0, '-0.00'],
  ];
  for (const [spec, value, expected] of cases) assert.is(fill(`{v${spec}}`, { v: value }), expected, `{v${spec}} of ${value}`);
  assert.is(fill('{{literal}}-{loss:.1f}', { loss: 0.25 }), '{literal}-0.2');
  assert.is(fill('{epoch:.2f}', {}, 3), '3.00');
});

test('path templates: a bad spec fails when parsed, an unknown key when filled, naming the keys there are', () => {
  const bad: Array<[string, RegExp]> = [
    ['{epoch:02q}', /format type 'q', which is not supported/],
    ['{epoch:#x}', /format spec '#x' that is not supported/],
    ['{epoch!r}', /is a conversion/],
    ['{}', /empty \(positional\) field/],
    ['{a.b}', /attribute or index access/],
    ['ckpt/{epoch', /never closed/],
    ['ckpt}', /a single '}'/],
    ['{epoch:{w}d}', /nests a field/],
    ['{loss:.2d}', /precision is not allowed with the integer type 'd'/],
  ];
  for (const [t, pattern] of bad) assert.throws(() => parseTemplate(t, 'T'), pattern, t);
  const values = new Map([['epoch', { value: 1, integer: true }], ['loss', { value: 0.5, integer: false }]]);
  assert.throws(() => fillTemplate(parseTemplate('{val_loss:.2f}', 'T'), values, 'T'), /'val_loss' is not among the available keys: epoch, loss/);
  assert.throws(() => fillTemplate(parseTemplate('{loss:02d}', 'T'), values, 'T'), /asks for an integer \('d'\), but loss is a float \(0.5\)/);
});

test('ModelCheckpoint saves the whole model every epoch to the formatted path; the last one loads and predicts as the model', async () => {
  const { x, y } = signTask(64, 4, 3);
  const model = smallModel(3);
  const dir = tempDir();
  const ckpt = new ModelCheckpoint({ filepath: join(dir, 'epoch-{epoch:02d}-{val_loss:.3f}') });
  const h = await model.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0, callbacks: [ckpt] });
  const expected = h.history.val_loss.map((v, e) => `epoch-${String(e + 1).padStart(2, '0')}-${fillTemplate(parseTemplate('{v:.3f}', 'T'), new Map([['v', { value: v, integer: false }]]), 'T')}`);
  assert.equal(readdirSync(dir).sort(), expected.sort());
  assert.equal(ckpt.saved, expected.map((n) => join(dir, n)));
  for (const name of expected) assert.equal(readdirSync(join(dir, name)).sort(), ['model.json', 'weights.bin']);
  const loaded = await loadModel(ckpt.saved.at(-1)!);
  assert.ok(sameBits(loaded.predict(x).data, model.predict(x).data), 'the last checkpoint predicts as the trained model');
  assert.is(loaded.optimizer!.iterations, model.optimizer!.iterations, 'the optimizer state is in the checkpoint');
});

/** Drives a checkpoint through epochs with given logs, on a real model. */
async function drive(options: ModelCheckpointOptions, logs: Logs[]): Promise<{ ckpt: ModelCheckpoint; saved: number[] }> {
  const model = smallModel(4);
  model.predict([[[0.5]]]);
  const ckpt = new ModelCheckpoint(options);
  ckpt.onTrainBegin(model);
  const saved: number[] = [];
  for (const [e, l] of logs.entries()) {
    const before = ckpt.saved.length;
    await ckpt.onEpochEnd(e, l);
    if (ckpt.saved.length > before) saved.push(e + 1);
  }
  return { ckpt, saved };
}

test('saveBestOnly: files only when the monitor improves: min for losses, max for accuracies (auto and explicit), threshold', async () => {
  const losses = [0.5, 0.4, 0.45, 0.3, 0.3, 0.2].map((val_loss) => ({ loss: 1, val_loss, val_acc: 1 - val_loss }));
  let dir = tempDir();
  const min = await drive({ filepath: join(dir, 'best-{epoch}'), saveBestOnly: true }, losses);
  assert.equal(min.saved, [1, 2, 4, 6]);
  assert.equal(readdirSync(dir).sort(), ['best-1', 'best-2', 'best-4', 'best-6']);
  assert.is(min.ckpt.best, 0.2);

  dir = tempDir();
  const max = await drive({ filepath: join(dir, 'acc-{epoch}-{val_acc:.2f}'), monitor: 'val_acc', saveBestOnly: true }, losses);
  assert.equal(max.saved, [1, 2, 4, 6], 'auto is max for a name containing acc');
  assert.equal(readdirSync(dir).sort(), ['acc-1-0.50', 'acc-2-0.60', 'acc-4-0.70', 'acc-6-0.80']);

  dir = tempDir();
  const maxLoss = await drive({ filepath: join(dir, 'x-{epoch}'), monitor: 'val_loss', mode: 'max', saveBestOnly: true }, losses);
  assert.equal(maxLoss.saved, [1], 'mode max on a falling loss saves only the first epoch');

  dir = tempDir();
  const minAcc = await drive({ filepath: join(dir, 'y-{epoch}'), monitor: 'val_acc', mode: 'min', saveBestOnly: true }, losses);
  assert.equal(minAcc.saved, [1], 'mode min on a rising accuracy saves only the first epoch');

  dir = tempDir();
  const threshold = await drive({ filepath: join(dir, 'z-{epoch}'), saveBestOnly: true, initialValueThreshold: 0.35 }, losses);
  assert.equal(threshold.saved, [4, 6]);

  dir = tempDir();
  const withNaN = await drive({ filepath: join(dir, 'n-{epoch}'), saveBestOnly: true }, [{ val_loss: NaN }, { val_loss: 0.9 }, { val_loss: NaN }]);
  assert.equal(withNaN.saved, [2], 'NaN is never an improvement');

  dir = tempDir();
  const one = await drive({ filepath: join(dir, 'best'), saveBestOnly: true }, losses);
  assert.equal(one.ckpt.saved, Array(4).fill(join(dir, 'best')), 'a path without fields is overwritten by each better model');
  assert.equal(readdirSync(dir), ['best']);

  await rejects(drive({ filepath: join(dir, 'q'), monitor: 'val_accuracy', saveBestOnly: true }, losses),
    /ModelCheckpoint: monitor 'val_accuracy' is not in the logs; available: loss, val_loss, val_acc/);
  const plain = await drive({ filepath: join(tempDir(), 'p-{epoch}'), monitor: 'not_logged' }, losses.slice(0, 2));
  assert.equal(plain.saved, [1, 2], 'without saveBestOnly the monitor is not read');
});

test('saveWeightsOnly writes the weights manifest (.json) and values (.bin); they load back bit for bit', async () => {
  const { x, y } = signTask(64, 4, 5);
  const model = smallModel(5);
  const dir = tempDir();
  const snapshots: Float32Array[][] = [];
  const ckpt = new ModelCheckpoint({ filepath: join(dir, 'w', 'epoch-{epoch:02d}.weights.json'), saveWeightsOnly: true });
  const snap: Callback = { onEpochEnd: () => { snapshots.push(model.getWeights().map((t) => Float32Array.from(t.data))); } };
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [ckpt, snap] });
  assert.equal(readdirSync(join(dir, 'w')).sort(), ['epoch-01.weights.bin', 'epoch-01.weights.json', 'epoch-02.weights.bin', 'epoch-02.weights.json']);
  for (const [e, path] of ckpt.saved.entries()) {
    const fresh = smallModel(99);
    fresh.predict([[[0]]]);
    await fresh.loadWeights(path);
    fresh.getWeights().forEach((t, i) => assert.ok(sameBits(t.data, snapshots[e][i]), `epoch ${e + 1}, weight ${i}`));
  }
  assert.not.ok(existsSync(join(dir, 'w', 'model.json')));
});

test('ModelCheckpoint writes Keras files: the whole model to .keras, the weights alone to .weights.h5, each loading back bit for bit', async () => {
  const { x, y } = signTask(32, 4, 7);
  const model = smallModel(7);
  const dir = tempDir();
  const whole = new ModelCheckpoint({ filepath: join(dir, 'k', 'epoch-{epoch:02d}.keras') });
  const weights = new ModelCheckpoint({ filepath: join(dir, 'w', 'epoch-{epoch:02d}.weights.h5'), saveWeightsOnly: true });
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [whole, weights] });
  assert.equal(readdirSync(join(dir, 'k')).sort(), ['epoch-01.keras', 'epoch-02.keras']);
  assert.equal(readdirSync(join(dir, 'w')).sort(), ['epoch-01.weights.h5', 'epoch-02.weights.h5']);
  const loaded = await loadModel(whole.saved[1]);
  assert.ok(sameBits(loaded.predict(x).data, model.predict(x).data));
  assert.is(loaded.optimizer!.iterations, model.optimizer!.iterations);
  const fresh = smallModel(99);
  fresh.predict([[[0]]]);
  await fresh.loadWeights(weights.saved[1]);
  fresh.getWeights().forEach((t, i) => assert.ok(sameBits(t.data, model.getWeights()[i].data), `weight ${i}`));
});

test('ModelCheckpoint rejects bad options with messages that say what is wrong', () => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /expected an options object/],
    [{}, /the option 'filepath' is required/],
    [{ filepath: 'a', savebestonly: true }, /unknown option 'savebestonly'; known: filepath, monitor, verbose, saveBestOnly, saveWeightsOnly, mode, initialValueThreshold/],
    [{ filepath: '' }, /filepath must be a non-empty string, got ''/],
    [{ filepath: 3 }, /filepath must be a non-empty string, got 3/],
    [{ filepath: 'a', saveBestOnly: 'yes' }, /saveBestOnly must be true or false, got "yes"|saveBestOnly must be true or false/],
    [{ filepath: 'a', mode: 'best' }, /mode must be 'auto', 'min' or 'max'/],
    [{ filepath: 'a', verbose: 2 }, /verbose must be 0 or 1, got 2/],
    [{ filepath: 'a', monitor: '' }, /monitor must be a non-empty string/],
    [{ filepath: 'a', initialValueThreshold: Infinity }, /initialValueThreshold must be a finite number/],
    [{ filepath: 'ckpt/best.weights', saveWeightsOnly: true }, /with saveWeightsOnly the filepath must end in '.json'/],
    [{ filepath: 'model.h5' }, /legacy Keras HDF5 \(.h5\) files are not written; end the path in .keras/],
    [{ filepath: 'model.weights.h5' }, /a .weights.h5 file holds weights only; set saveWeightsOnly/],
    [{ filepath: 'model.keras', saveWeightsOnly: true }, /with saveWeightsOnly the filepath must end in '.json' .* or '.weights.h5'/],
    [{ filepath: 'ckpt/{epoch:02z}' }, /filepath 'ckpt\/\{epoch:02z\}': '\{epoch:02z\}' has the format type 'z'/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => new ModelCheckpoint(options as ModelCheckpointOptions), pattern, JSON.stringify(options) ?? 'undefined');
  }
});

test('ModelCheckpoint names an unknown placeholder and the log keys at the end of the epoch', async () => {
  const { x, y } = signTask(32, 3, 6);
  const model = new Sequential([new LSTM(3, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['acc'] });
  const ckpt = new ModelCheckpoint({ filepath: join(tempDir(), '{epoch}-{val_acc:.2f}') });
  await rejects(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [ckpt] }),
    /ModelCheckpoint: filepath '.*': the file path names '\{val_acc:.2f\}', but 'val_acc' is not among the available keys: epoch, loss, acc/);
});

test.run();
