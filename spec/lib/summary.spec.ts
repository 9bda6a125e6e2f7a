import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN, clearSession } from '../../lib/index.ts';

const silent = (): void => {};

test.before.each(() => clearSession());

test('summary: Embedding(10000, 32) + SimpleRNN(32) has the Keras numbers', () => {
  const model = new Sequential();
  model.add(new Embedding(10000, 32));
  model.add(new SimpleRNN(32));
  const text = model.summary(silent);
  const expected = [
    'Model: "sequential"',
    '_'.repeat(65),
    'Layer (type)                 Output Shape              Param #   ',
    '='.repeat(65),
    'embedding (Embedding)        (None, None, 32)          320000    ',
    '_'.repeat(65),
    'simple_rnn (SimpleRNN)       (None, 32)                2080      ',
    '='.repeat(65),
    'Total params: 322,080',
    'Trainable params: 322,080',
    'Non-trainable params: 0',
    '_'.repeat(65),
  ].join('\n');
  assert.is(text, expected);
});

test('summary: returnSequences gives (None, None, 32)', () => {
  const model = new Sequential([new Embedding(10000, 32), new SimpleRNN(32, { returnSequences: true })]);
  const text = model.summary(silent);
  assert.match(text, /simple_rnn \(SimpleRNN\)\s+\(None, None, 32\)\s+2080/);
  assert.match(text, /Total params: 322,080/);
});

test('summary: four stacked SimpleRNNs, names numbered as layers repeat', () => {
  const model = new Sequential();
  model.add(new Embedding(10000, 32));
  model.add(new SimpleRNN(32, { returnSequences: true }));
  model.add(new SimpleRNN(32, { returnSequences: true }));
  model.add(new SimpleRNN(32, { returnSequences: true }));
  model.add(new SimpleRNN(32));
  const text = model.summary(silent);
  for (const name of ['simple_rnn ', 'simple_rnn_1 ', 'simple_rnn_2 ']) {
    assert.match(text, new RegExp(`${name}\\(SimpleRNN\\)\\s+\\(None, None, 32\\)\\s+2080`));
  }
  assert.match(text, /simple_rnn_3 \(SimpleRNN\)\s+\(None, 32\)\s+2080/);
  // 320000 + 4 · 2080
  assert.match(text, /Total params: 328,320\nTrainable params: 328,320\nNon-trainable params: 0/);
});

test('summary: parameter counts of LSTM, GRU (both variants) and Dense at D = H = 32', () => {
  const model = new Sequential([
    new LSTM(32, { inputShape: [null, 32], returnSequences: true }),
    new GRU(32, { returnSequences: true }),
    new GRU(32, { resetAfter: false }),
    new Dense(1),
  ]);
  const text = model.summary(silent);
  assert.match(text, /lstm \(LSTM\)\s+\(None, None, 32\)\s+8320/);
  assert.match(text, /gru \(GRU\)\s+\(None, None, 32\)\s+6336/);
  assert.match(text, /gru_1 \(GRU\)\s+\(None, 32\)\s+6240/);
  assert.match(text, /dense \(Dense\)\s+\(None, 1\)\s+33/);
  assert.match(text, /Total params: 20,929/);
});

test('summary: the weather GRU of the walkthrough, inputShape (None, 14)', () => {
  const model = new Sequential([new GRU(32, { inputShape: [null, 14] }), new Dense(1)]);
  const text = model.summary(silent);
  // 3·32·(14 + 32 + 2) = 4608, Dense 33
  assert.match(text, /gru \(GRU\)\s+\(None, 32\)\s+4608/);
  assert.match(text, /Total params: 4,641/);
});

test('summary before the model is built is an error that says how to build it', () => {
  const model = new Sequential([new LSTM(8)]);
  assert.throws(() => model.summary(silent), /summary\(\) needs a built model: give the first layer an inputShape/);
});

test.run();
