import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concat, sum } from '../../autograd/ops.ts';
import {
  Adam, Bidirectional, Dense, Dropout, EarlyStopping, Embedding, GRU, LSTM, RMSprop, Sequential, SimpleRNN, Tensor,
  clearSession, padSequences, randomNormal, setSeed, tensor, type FusedRNN as RNN,
} from '../../lib/index.ts';
import { maxAbsDiff, sameBits, signTask } from './helpers.ts';

test.before.each(() => clearSession());

const kinds: Array<[string, (units: number, o: { inputShape: [null, number] }) => RNN]> = [
  ['SimpleRNN', (u, o) => new SimpleRNN(u, o)],
  ['LSTM', (u, o) => new LSTM(u, o)],
  ['GRU', (u, o) => new GRU(u, o)],
];

for (const [kind, make] of kinds) {
  test(`${kind} reaches at least 95% test accuracy on the sign task`, async () => {
    const train = signTask(768, 10, 1);
    const testSet = signTask(256, 10, 2);
    setSeed(3);
    const model = new Sequential([make(8, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const history = await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, verbose: 0 });
    const result = await model.evaluate(testSet.x, testSet.y);
    console.log(`  ${kind}: train loss ${history.history.loss[0].toFixed(3)} → ${history.history.loss.at(-1)!.toFixed(3)}, test acc ${result.acc.toFixed(3)}`);
    assert.ok(result.acc >= 0.95, `${kind} test accuracy ${result.acc}`);
  });
}

test('stacked recurrent layers train (loss falls by half), names of History keys as Keras', async () => {
  const { x, y } = signTask(256, 8, 4);
  setSeed(5);
  const model = new Sequential([
    new LSTM(8, { inputShape: [null, 1], returnSequences: true }),
    new GRU(8, { returnSequences: true }),
    new SimpleRNN(8),
    new Dense(1, { activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const h = await model.fit(x, y, { epochs: 8, batchSize: 32, validationSplit: 0.25, verbose: 0 });
  assert.equal(Object.keys(h.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
  assert.is(h.history.loss.length, 8);
  assert.ok(h.history.loss.at(-1)! < 0.5 * h.history.loss[0], `loss ${h.history.loss[0]} → ${h.history.loss.at(-1)}`);
});

test('GRU with dropout and recurrentDropout trains (mae falls), and inference is deterministic', async () => {
  setSeed(6);
  const x = randomNormal([128, 6, 3]);
  const y = new Tensor(new Float32Array(128), [128]);
  for (let i = 0; i < 128; i++) y.data[i] = x.data[i * 18 + 15] + 0.5 * x.data[i * 18 + 16];
  const model = new Sequential([new GRU(16, { inputShape: [null, 3], dropout: 0.2, recurrentDropout: 0.2 }), new Dense(1)]);
  model.compile({ optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'mae', metrics: ['mae'] });
  const h = await model.fit(x, y, { epochs: 15, batchSize: 32, verbose: 0 });
  assert.ok(h.history.loss.at(-1)! < 0.6 * h.history.loss[0], `mae ${h.history.loss[0]} → ${h.history.loss.at(-1)}`);
  assert.ok(sameBits(model.predict(x).data, model.predict(x).data), 'predict draws no dropout');
});

test('a padded, masked batch gives each sequence\'s unpadded outputs (pre and post padding)', () => {
  setSeed(8);
  const seqs = [[4, 2, 7], [5, 1, 3, 8, 2], [9, 6]];
  for (const [kind, make] of [
    ['LSTM', () => new LSTM(4)], ['GRU', () => new GRU(4)], ['SimpleRNN', () => new SimpleRNN(4)],
    ['Bidirectional', () => new Bidirectional(new GRU(3))],
  ] as const) {
    const model = new Sequential([new Embedding(10, 3, { maskZero: true }), make(), new Dense(2)]);
    for (const padding of ['pre', 'post'] as const) {
      const batch = model.predict(padSequences(seqs, { maxlen: 6, padding }));
      seqs.forEach((s, i) => {
        const alone = model.predict(tensor([s]));
        const d = maxAbsDiff(batch.data.subarray(i * 2, i * 2 + 2), alone.data);
        assert.ok(d < 1e-6, `${kind} ${padding}: sequence ${i} differs by ${d}`);
      });
    }
  }
});

test('stateful: two half-sequences with the state carried equal one whole sequence', () => {
  setSeed(9);
  for (const make of [(o: object) => new LSTM(5, o), (o: object) => new GRU(5, o), (o: object) => new SimpleRNN(5, o)]) {
    const whole = make({ inputShape: [null, 3] });
    const stateful = make({ inputShape: [null, 3], stateful: true });
    whole.build([null, 8, 3]);
    stateful.build([null, 4, 3]);
    stateful.setWeights(whole.getWeights());
    const x = randomNormal([2, 8, 3]);
    const full = whole.apply(x);
    const first = new Tensor(new Float32Array(2 * 4 * 3), [2, 4, 3]);
    const second = new Tensor(new Float32Array(2 * 4 * 3), [2, 4, 3]);
    for (let b = 0; b < 2; b++) {
      first.data.set(x.data.subarray(b * 24, b * 24 + 12), b * 12);
      second.data.set(x.data.subarray(b * 24 + 12, b * 24 + 24), b * 12);
    }
    stateful.apply(first);
    const carried = stateful.apply(second);
    assert.ok(maxAbsDiff(carried.data, full.data) < 1e-6, `${whole.className}: ${maxAbsDiff(carried.data, full.data)}`);
    stateful.resetStates();
    const fresh = stateful.apply(second);
    assert.ok(maxAbsDiff(fresh.data, full.data) > 1e-4, 'resetStates clears the carried state');
  }
});

test('saveWeights / loadWeights round trip gives bit-identical predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-'));
  try {
    const build = (): Sequential => new Sequential([new Embedding(20, 4), new LSTM(6, { returnSequences: true }), new GRU(5), new Dense(1, { activation: 'sigmoid' })]);
    setSeed(10);
    const a = build();
    a.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy' });
    const x = tensor([[1, 2, 3, 4], [5, 6, 7, 0], [19, 18, 0, 1]]);
    await a.fit(x, tensor([1, 0, 1]), { epochs: 2, verbose: 0 });
    await a.saveWeights(join(dir, 'model.json'));
    setSeed(11);
    const b = build();
    b.build([null, 4]);
    assert.not.ok(sameBits(a.predict(x).data, b.predict(x).data), 'a fresh model differs before loading');
    await b.loadWeights(join(dir, 'model.json'));
    assert.ok(sameBits(a.predict(x).data, b.predict(x).data));
    const wrong = new Sequential([new Embedding(20, 4), new LSTM(7), new Dense(1)]);
    wrong.build([null, 4]);
    let message = '';
    await wrong.loadWeights(join(dir, 'model.json')).catch((err: Error) => { message = err.message; });
    assert.match(message, /loadWeights/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one seed makes a whole run (init, shuffling, dropout) bit-identical', async () => {
  const run = async (): Promise<Float32Array[]> => {
    clearSession();
    setSeed(12);
    const { x, y } = signTask(64, 5, 13);
    setSeed(12);
    const model = new Sequential([
      new LSTM(6, { inputShape: [null, 1], dropout: 0.2, recurrentDropout: 0.2, returnSequences: true }),
      new GRU(4, { dropout: 0.1 }), new Dropout(0.3), new Dense(1, { activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    return model.getWeights().map((w) => w.data as Float32Array);
  };
  const first = await run();
  const second = await run();
  assert.is(first.length, second.length);
  first.forEach((w, i) => assert.ok(sameBits(w, second[i]), `weight ${i} differs`));
});

test('callbacks: onEpochEnd / onBatchEnd are called; EarlyStopping stops and restores the best weights', async () => {
  const { x, y } = signTask(64, 4, 14);
  setSeed(15);
  const model = new Sequential([new SimpleRNN(4, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
  // A learning rate this large makes the validation loss jump about, so it stops early.
  model.compile({ optimizer: new Adam({ learningRate: 2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const epochs: number[] = [];
  let batches = 0;
  const stop = new EarlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true });
  const seen: number[] = [];
  const h = await model.fit(x, y, {
    epochs: 30, batchSize: 16, validationSplit: 0.25, verbose: 0,
    callbacks: [{ onEpochEnd: (e) => { epochs.push(e); }, onBatchEnd: () => { batches++; } }, stop,
      { onEpochEnd: (_e, logs) => { seen.push(logs.val_loss); } }],
  });
  assert.ok(stop.stoppedEpoch >= 0 && h.epoch.length < 30, `stopped at ${stop.stoppedEpoch}`);
  assert.is(epochs.length, h.epoch.length);
  assert.is(batches, 3 * h.epoch.length);
  const after = await model.evaluate(tensor(x.data.slice(48 * 4), [16, 4, 1]), tensor(y.data.slice(48), [16, 1]));
  assert.ok(Math.abs(after.loss - Math.min(...seen)) < 1e-5, `restored val_loss ${after.loss} vs best ${Math.min(...seen)}`);
});

test('fit on a generator (fit_generator), with validation from a generator', async () => {
  setSeed(16);
  let drawn = 100;
  function* batches(): Generator<[Tensor, Tensor]> {
    for (;;) {
      const { x, y } = signTask(16, 6, drawn++);
      yield [x, y];
    }
  }
  const model = new Sequential([new GRU(6, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const h = await model.fitGenerator(batches(), { stepsPerEpoch: 10, epochs: 3, validationData: batches(), validationSteps: 2, verbose: 0 });
  assert.equal(Object.keys(h.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
  const viaFit = await model.fit(batches(), { stepsPerEpoch: 2, epochs: 1, verbose: 0 });
  assert.is(viaFit.history.loss.length, 1);
  const scores = await model.evaluate(batches(), { steps: 2 });
  assert.ok(Number.isFinite(scores.loss) && scores.acc >= 0 && scores.acc <= 1);
});

test('trainOnBatch returns the loss; predict returns a Tensor of the output shape', () => {
  setSeed(17);
  const model = new Sequential([new Embedding(10, 3), new LSTM(4), new Dense(2, { activation: 'softmax' })]);
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const y = tensor([0, 1]);
  const first = model.trainOnBatch(x, y);
  assert.ok(Math.abs(first - Math.log(2)) < 0.1, `initial loss ${first} near ln 2`);
  const p = model.predict(x, { batchSize: 1 });
  assert.ok(p instanceof Tensor);
  assert.equal(p.shape, [2, 2]);
  for (let r = 0; r < 2; r++) assert.ok(Math.abs(p.data[2 * r] + p.data[2 * r + 1] - 1) < 1e-6);
});

test('gradients reach every weight of Embedding → LSTM → Dense', () => {
  setSeed(18);
  const model = new Sequential([new Embedding(10, 3), new LSTM(4), new Dense(1)]);
  const out = model.predict(tensor([[1, 2, 3]]));
  assert.equal(out.shape, [1, 1]);
  const layers = model.layers;
  const x = tensor([[1, 2, 3], [3, 0, 9]]);
  let h = x;
  for (const l of layers) h = l.apply(h, { training: true });
  sum(concat([h], 0)).backward();
  for (const w of model.weightTensors()) assert.ok(w.grad && w.grad.some((g) => g !== 0), `no gradient in ${w.shape}`);
});

test.run();
