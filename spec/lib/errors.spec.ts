import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Dense, Embedding, GRU, LSTM, RMSprop, Sequential, SimpleRNN, Tensor, clearSession, setSeed, tensor,
} from '../../lib/index.ts';

test.before.each(() => clearSession());

function small(): Sequential {
  setSeed(1);
  const model = new Sequential([new LSTM(4, { inputShape: [null, 2] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['acc'] });
  return model;
}

const x3 = (): Tensor => tensor(Array.from({ length: 3 * 5 * 2 }, (_, i) => Math.sin(i)), [3, 5, 2]);

test('x and y with different batch sizes', async () => {
  const model = small();
  await assert.throws(() => model.trainOnBatch(x3(), tensor([1, 0])), /trainOnBatch: x \[3,5,2\] and y \[2\] have different batch sizes \(3 and 2\)/);
  try {
    await model.fit(x3(), tensor([1, 0]), { verbose: 0 });
    assert.unreachable('fit accepted mismatched batch sizes');
  } catch (e) {
    assert.match((e as Error).message, /fit: x \[3,5,2\] and y \[2\] have different batch sizes/);
  }
});

test('labels outside [0, 1] for binary cross-entropy', () => {
  assert.throws(() => small().trainOnBatch(x3(), tensor([1, 2, 0])), /y holds 2 at position 1; binary_crossentropy needs labels in \[0, 1\]/);
});

test('NaN in the inputs', () => {
  const x = x3();
  x.data[7] = NaN;
  assert.throws(() => small().trainOnBatch(x, tensor([1, 0, 1])), /x \[3,5,2\] holds NaN at flat position 7/);
  assert.throws(() => small().predict(x), /predict: x \[3,5,2\] holds NaN at flat position 7/);
});

test('unknown loss, metric, optimizer, option names', () => {
  const model = new Sequential([new Dense(1, { inputShape: [2] })]);
  // @ts-expect-error an unknown loss name
  assert.throws(() => model.compile({ optimizer: 'rmsprop', loss: 'hinge' }), /unknown loss 'hinge'; known: binary_crossentropy/);
  // @ts-expect-error an unknown metric name
  assert.throws(() => model.compile({ optimizer: 'rmsprop', loss: 'mse', metrics: ['f1'] }), /unknown metric 'f1'/);
  // @ts-expect-error an unknown optimizer name
  assert.throws(() => model.compile({ optimizer: 'ftrl', loss: 'mse' }), /unknown optimizer 'ftrl'/);
  // @ts-expect-error an unknown layer option
  assert.throws(() => new LSTM(4, { returnSequence: true }), /LSTM: unknown option 'returnSequence'/);
  // @ts-expect-error an unknown layer option
  assert.throws(() => new Dense(4, { activations: 'relu' }), /Dense: unknown option 'activations'/);
  // @ts-expect-error an unknown optimizer option
  assert.throws(() => new RMSprop({ lr: 0.01 }), /RMSprop: unknown option 'lr'/);
  // @ts-expect-error an unknown activation
  assert.throws(() => new Dense(4, { activation: 'gelu' }), /Dense: activation 'gelu' is unknown/);
  assert.throws(() => new GRU(4, { dropout: 1 }), /gru: dropout must be in \[0, 1\), got 1/);
});

test('unknown fit option', async () => {
  const model = small();
  try {
    // @ts-expect-error an unknown fit option
    await model.fit(x3(), tensor([1, 0, 1]), { epoch: 3, verbose: 0 });
    assert.unreachable('fit accepted an unknown option');
  } catch (e) {
    assert.match((e as Error).message, /fit: unknown option 'epoch'/);
  }
});

test('fit before compile', async () => {
  const model = new Sequential([new SimpleRNN(3, { inputShape: [null, 2] })]);
  try {
    await model.fit(x3(), tensor([[1, 0, 1], [0, 0, 1], [1, 1, 1]]));
    assert.unreachable('fit ran before compile');
  } catch (e) {
    assert.match((e as Error).message, /fit\(\) before compile\(\)/);
  }
  assert.throws(() => model.trainOnBatch(x3(), tensor([1, 0, 1])), /trainOnBatch\(\) before compile\(\)/);
});

test('a layer whose input does not fit the previous layer\'s output', () => {
  const model = new Sequential([new Embedding(100, 8), new LSTM(4)]);
  assert.throws(() => model.add(new GRU(4)), /gru \(GRU\) does not fit the output \(None, 4\) of lstm: .*expects input \[batch, timesteps, features\]/);
  const dense = new Sequential([new Dense(3, { inputShape: [5] })]);
  assert.throws(() => dense.add(new LSTM(2)), /lstm_1 \(LSTM\) does not fit the output \(None, 3\) of dense/);
  const wrongFeatures = new Sequential([new LSTM(4, { inputShape: [null, 3] })]);
  assert.throws(() => wrongFeatures.predict(tensor(new Float32Array(2 * 5 * 7), [2, 5, 7])), /input has 7 features.*kernel/);
});

test('setWeights with the wrong count or shapes', () => {
  const layer = new LSTM(4, { inputShape: [null, 3] });
  layer.build([null, null, 3]);
  const w = layer.getWeights();
  assert.equal(w.map((t) => t.shape), [[3, 16], [4, 16], [16]]);
  assert.throws(() => layer.setWeights(w.slice(0, 2)), /lstm: setWeights expects 3 tensors \(\[3,16\], \[4,16\], \[16\]\), got 2/);
  assert.throws(() => layer.setWeights([w[0], w[0], w[2]]), /lstm: setWeights: weight 1 must be \[4,16\], got \[3,16\]/);
  const gru = new GRU(4);
  gru.build([null, null, 3]);
  assert.equal(gru.getWeights().map((t) => t.shape), [[3, 12], [4, 12], [2, 12]]);
});

test('an Embedding index outside [0, inputDim) names the index and the position', () => {
  const model = new Sequential([new Embedding(10, 2)]);
  assert.throws(() => model.predict(tensor([[1, 2, 3], [4, 10, 5]])), /embedding \(Embedding\): index 10 at position 4 of \[2,3\] is outside \[0, 10\)/);
});

test('a NaN loss during fit stops with the epoch and batch, weights as before that batch', async () => {
  setSeed(2);
  const model = new Sequential([new GRU(3, { inputShape: [null, 2] }), new Dense(1)]);
  model.compile({ optimizer: 'rmsprop', loss: 'mse' });
  const good = (): [Tensor, Tensor] => [tensor(Array.from({ length: 24 }, (_, i) => Math.cos(i)), [4, 3, 2]), tensor([1, 0, 1, 0])];
  let n = 0;
  function* batches(): Generator<[Tensor, Tensor]> {
    for (;;) {
      n++;
      if (n === 3) yield [good()[0], tensor([1e30, 0, 0, 0])]; // (1e30)² overflows float32: the loss is Infinity
      else yield good();
    }
  }
  let before: Float32Array[] = [];
  try {
    await model.fit(batches(), {
      stepsPerEpoch: 2, epochs: 3, verbose: 0,
      callbacks: [{ onBatchEnd: () => { before = model.getWeights().map((t) => Float32Array.from(t.data)); } }],
    });
    assert.unreachable('fit went on past an infinite loss');
  } catch (e) {
    assert.match((e as Error).message, /loss is Infinity at epoch 2, batch 1; training stopped and the weights are as they were before this batch/);
  }
  const after = model.getWeights();
  before.forEach((w, i) => assert.equal(Array.from(after[i].data), Array.from(w)));
});

test.run();
