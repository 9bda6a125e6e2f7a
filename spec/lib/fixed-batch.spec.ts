/**
 * A fixed batch size in the input (`input({ batchShape })`, an InputLayer's
 * batchSize) leaves the batch axis free, as Keras's input_spec does: the
 * data is cut into batches, so predict, evaluate and fit take any number of
 * samples. A stateful layer keeps its states per sample, so a model that
 * holds one takes batches of the fixed size only; the layer checks its own
 * states' batch too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Dense, InputLayer, LSTM, Model, SGD, Sequential, clearSession, initializers, input, randomUniform, setSeed, tensor, type SymbolicTensor,
} from '../../lib/index.ts';

test.before.each(() => {
  clearSession();
  setSeed(3);
});

/** x·[0.5, 0.5, 0.5] (no bias) behind an input whose batch size is fixed at 2. */
function halfSum(): Model<SymbolicTensor> {
  const x = input({ batchShape: [2, 3], dtype: 'float64' });
  const y = new Dense(1, { useBias: false, kernelInitializer: initializers.constant(0.5), dtype: 'float64' }).apply(x);
  const m = new Model({ inputs: x, outputs: y });
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
  return m;
}

const rows = [[1, 2, 3], [0, 0, 2], [4, 0, 0], [1, 1, 1], [2, 0, 6]];

test('a functional model with input({ batchShape: [2, 3] }) predicts 5 rows (by hand: half of each row sum)', () => {
  const out = halfSum().predict(tensor(rows, [5, 3], 'float64'));
  assert.equal(out.shape, [5, 1]);
  assert.equal([...out.data], [3, 1, 2, 1.5, 4]);
});

test('evaluate and fit take 5 rows too; the loss is over all 5 (mse by hand)', async () => {
  const m = halfSum();
  const x = tensor(rows, [5, 3], 'float64');
  const y = tensor([[3], [1], [2], [1.5], [0]], [5, 1], 'float64');
  // Only the last row misses, by 4: mse = 16 / 5.
  const logs = await m.evaluate(x, y, { batchSize: 2 });
  assert.ok(Math.abs(logs.loss - 16 / 5) < 1e-12, `loss ${logs.loss}`);
  const h = await m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
  assert.ok(Math.abs(h.history.loss[0] - 16 / 5) < 1e-12, `fit loss ${h.history.loss[0]}`);
});

test('the other axes are still checked, naming the input and the axis', () => {
  assert.throws(() => halfSum().predict(tensor([[1, 2], [3, 4], [5, 6]])), /input 'input_layer' expects shape \(2, 3\), but x is \[3,2\] \(axis 1 is 2, not 3\)/);
});

test('a Sequential whose InputLayer fixes the batch size predicts any number of rows', () => {
  const m = new Sequential([
    new InputLayer({ inputShape: [3], batchSize: 2, dtype: 'float64' }),
    new Dense(1, { useBias: false, kernelInitializer: initializers.constant(0.5), dtype: 'float64' }),
  ]);
  assert.equal([...m.predict(tensor(rows, [5, 3], 'float64')).data], [3, 1, 2, 1.5, 4]);
});

test('a stateful layer: the model refuses a batch of another size; the layer refuses a batch its states do not hold', () => {
  const x = input({ batchShape: [2, 4, 3] });
  const lstm = new LSTM(3, { stateful: true });
  const m = new Model({ inputs: x, outputs: lstm.apply(x) });
  assert.throws(() => m.predict(randomUniform([5, 4, 3], -1, 1)), /lstm \(LSTM\) is stateful and the model's batch size is fixed at 2 \(input batch shape \(2, 4, 3\)\), but a batch has 5 samples: pass batchSize: 2/);
  assert.throws(() => m.predict(randomUniform([4, 4, 3], -1, 1), { batchSize: 4 }), /fixed at 2 .*but a batch has 4 samples/);
  assert.equal(m.predict(randomUniform([4, 4, 3], -1, 1), { batchSize: 2 }).shape, [4, 3]);
  assert.throws(() => lstm.apply(randomUniform([4, 4, 3], -1, 1)), /lstm \(LSTM\): stateful layer holds states for batch 2, got a batch of 4/);
  const s = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), new LSTM(3, { stateful: true })]);
  assert.throws(() => s.predict(randomUniform([3, 4, 3], -1, 1), { batchSize: 3 }), /lstm_1 \(LSTM\) is stateful and the model's batch size is fixed at 2/);
});

test('a stateful layer inside a nested model is found too', () => {
  const inner = input({ shape: [4, 3] });
  const encoder = new Model({ inputs: inner, outputs: new LSTM(3, { stateful: true }).apply(inner), name: 'encoder' });
  const x = input({ batchShape: [2, 4, 3] });
  const outer = new Model({ inputs: x, outputs: encoder.apply(x) });
  assert.throws(() => outer.predict(randomUniform([3, 4, 3], -1, 1)), /lstm \(LSTM\) is stateful and the model's batch size is fixed at 2/);
});

test.run();
