/**
 * Models used as layers in Keras 3's `.keras` files: a Sequential and a
 * functional model inside a functional model, and a functional model
 * inside a Sequential, go through `.keras` and back bit for bit (training
 * state included). config.json nests each model's own config as Keras 3's
 * `Functional.get_config()` does (a node's arguments count a nested
 * model's applications from 0, `output_layers` a Functional's from 1 and a
 * Sequential's from 0), and model.weights.h5 has the groups of Keras's
 * saving walk (`_save_state`): a nested model's own `vars` at
 * `layers/<sequential|functional>`, its layers under that group's own
 * `layers/…` subtree, named as a top model's are.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, Concatenate, Dense, GRU, InputLayer, LSTM, Model, Sequential, clearSession, input, randomUniform, setSeed, type SymbolicTensor, type Tensor,
} from '../../../lib/index.ts';
import { readKeras, writeKeras, writeKerasWeights, readKerasWeights } from '../../../lib/io/keras3.ts';
import { assertSameBits, assertSameLines, assertSameWeights, entryText, hdf5Layout, kerasLayout } from './keras3-helpers.ts';

test.before.each(() => clearSession());

/** x → encoder (Sequential: LSTM) → head (functional: GRU → Dense). */
function outerFunctional(): Model<SymbolicTensor> {
  const encoder = new Sequential([new InputLayer({ inputShape: [5, 3] }), new LSTM(4, { returnSequences: true, name: 'enc_lstm' })], { name: 'encoder' });
  const h = input({ shape: [5, 4], name: 'h' });
  const head = new Model({ inputs: h, outputs: new Dense(2, { name: 'out' }).apply(new GRU(3, { name: 'head_gru' }).apply(h)), name: 'head' });
  const x = input({ shape: [5, 3], name: 'x' });
  return new Model({ inputs: x, outputs: head.apply(encoder.apply(x)), name: 'outer' });
}

const x = (): Tensor => randomUniform([3, 5, 3], -1, 1);

const OUTER_LAYOUT = [
  'group / ',
  'group /vars name="outer"',
  'group /layers',
  'group /layers/input_layer',
  'group /layers/input_layer/vars name="x"',
  'group /layers/sequential',
  'group /layers/sequential/vars name="encoder"',
  'group /layers/sequential/layers',
  'group /layers/sequential/layers/lstm',
  'group /layers/sequential/layers/lstm/vars name="enc_lstm"',
  'group /layers/sequential/layers/lstm/cell',
  'group /layers/sequential/layers/lstm/cell/vars name="lstm_cell"',
  'dataset /layers/sequential/layers/lstm/cell/vars/0 float32 [3, 16]',
  'dataset /layers/sequential/layers/lstm/cell/vars/1 float32 [4, 16]',
  'dataset /layers/sequential/layers/lstm/cell/vars/2 float32 [16]',
  'group /layers/functional',
  'group /layers/functional/vars name="head"',
  'group /layers/functional/layers',
  'group /layers/functional/layers/input_layer',
  'group /layers/functional/layers/input_layer/vars name="h"',
  'group /layers/functional/layers/gru',
  'group /layers/functional/layers/gru/vars name="head_gru"',
  'group /layers/functional/layers/gru/cell',
  'group /layers/functional/layers/gru/cell/vars name="gru_cell"',
  'dataset /layers/functional/layers/gru/cell/vars/0 float32 [4, 9]',
  'dataset /layers/functional/layers/gru/cell/vars/1 float32 [3, 9]',
  'dataset /layers/functional/layers/gru/cell/vars/2 float32 [2, 9]',
  'group /layers/functional/layers/dense',
  'group /layers/functional/layers/dense/vars name="out"',
  'dataset /layers/functional/layers/dense/vars/0 float32 [3, 2]',
  'dataset /layers/functional/layers/dense/vars/1 float32 [2]',
];

test('a Sequential and a functional model inside a functional model: .keras and back, bit for bit, with the optimizer state', async () => {
  setSeed(1);
  const model = outerFunctional();
  const xs = x();
  const y = randomUniform([3, 2], -1, 1);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await model.fit(xs, y, { epochs: 2, batchSize: 2, verbose: 0 });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const back = await readKeras(bytes, 'outer.keras');
  assert.equal(back.layers.map((l) => `${l.name}:${l.className}`), model.layers.map((l) => `${l.name}:${l.className}`));
  assertSameWeights(back, model, 'weights');
  assertSameBits(back.predict(xs), model.predict(xs), 'predictions');
  assert.is(back.optimizer!.iterations, model.optimizer!.iterations);
  setSeed(2);
  await model.fit(xs, y, { epochs: 1, batchSize: 2, verbose: 0 });
  setSeed(2);
  await back.fit(xs, y, { epochs: 1, batchSize: 2, verbose: 0 });
  assertSameWeights(back, model, 'weights after one more epoch');
});

test("nested models: model.weights.h5 has Keras's nested layout (each model's layers under its own layers/ group)", async () => {
  const model = outerFunctional();
  const layout = kerasLayout(await writeKeras(model));
  // The root group's line carries no attributes: drop the trailing space the expected list writes.
  assertSameLines(layout, OUTER_LAYOUT.map((l) => l.trimEnd()).sort(), 'model.weights.h5');
  model.compile({ optimizer: 'rmsprop', loss: 'mse' });
  await model.fit(x(), randomUniform([3, 2], -1, 1), { epochs: 1, verbose: 0 });
  const optimizer = kerasLayout(await writeKeras(model, { includeOptimizer: true })).filter((l) => l.includes('/optimizer/vars/'));
  // iterations, learning rate, then one velocity per trainable weight: the LSTM's 3, the GRU's 3, the Dense's 2.
  assert.is(optimizer.length, 2 + 8);
  assert.ok(optimizer.includes('dataset /optimizer/vars/2 float32 [3, 16]'), optimizer.join('\n'));
  assert.ok(optimizer.includes('dataset /optimizer/vars/9 float32 [2]'), optimizer.join('\n'));
  // save_weights / load_weights walk the same tree.
  const weights = await writeKerasWeights(model);
  assertSameLines(hdf5Layout(weights).filter((l) => !l.includes('optimizer')), layout, '.weights.h5');
  const other = outerFunctional();
  await readKerasWeights(other, weights, 'outer.weights.h5');
  assertSameWeights(other, model, 'weights read from .weights.h5');
});

test("nested models: config.json nests each model's config and references it as Keras 3 does", async () => {
  const config = JSON.parse(entryText(await writeKeras(outerFunctional()), 'config.json'));
  const [inputLayer, encoder, head] = config.config.layers;
  assert.is(inputLayer.class_name, 'InputLayer');
  assert.is(encoder.class_name, 'Sequential');
  assert.is(encoder.module, 'keras');
  assert.equal(encoder.build_config, { input_shape: [null, 5, 3] });
  assert.equal(encoder.config.layers.map((l: { class_name: string }) => l.class_name), ['InputLayer', 'LSTM']);
  assert.equal(encoder.inbound_nodes[0].args[0].config.keras_history, ['x', 0, 0]);
  assert.is(head.class_name, 'Functional');
  assert.is(head.module, 'keras.src.models.functional');
  assert.is(head.registered_name, 'Functional');
  assert.not.ok('build_config' in head, 'Keras never builds a Functional from a shape');
  assert.equal(head.config.input_layers, ['h', 0, 0]);
  assert.equal(head.config.output_layers, ['out', 0, 0]);
  assert.equal(head.inbound_nodes[0].args[0].config.keras_history, ['encoder', 0, 0]);
  // In output_layers a Functional's first application is node 1; a Sequential's node 0.
  assert.equal(config.config.output_layers, ['head', 1, 0]);
  const x2 = input({ shape: [5, 3], name: 'x2' });
  const encoder2 = new Sequential([new InputLayer({ inputShape: [5, 3] }), new LSTM(2, { name: 'l2' })], { name: 'enc2' });
  const ends = JSON.parse(entryText(await writeKeras(new Model({ inputs: x2, outputs: encoder2.apply(x2), name: 'o2' })), 'config.json'));
  assert.equal(ends.config.output_layers, ['enc2', 0, 0]);
  const back = await readKeras(await writeKeras(new Model({ inputs: x2, outputs: encoder2.apply(x2), name: 'o3' })), 'o3.keras');
  assert.equal(back.layers.map((l) => l.name), ['x2', 'enc2']);
});

test('a functional model inside a Sequential: .keras and back, bit for bit', async () => {
  setSeed(3);
  const h = input({ shape: [5, 4], name: 'inner_in' });
  const inner = new Model({ inputs: h, outputs: new LSTM(3, { name: 'inner_lstm' }).apply(h), name: 'inner' });
  const model = new Sequential([new InputLayer({ inputShape: [5, 2] }), new Dense(4, { name: 'proj' }), inner, new Dense(1, { name: 'last' })], { name: 'stack' });
  const xs = randomUniform([2, 5, 2], -1, 1);
  const bytes = await writeKeras(model);
  const back = await readKeras(bytes, 'stack.keras');
  assert.is(back.className, 'Sequential');
  assertSameWeights(back, model, 'weights');
  assertSameBits(back.predict(xs), model.predict(xs), 'predictions');
  const layout = kerasLayout(bytes);
  for (const line of [
    'group /layers/dense/vars name="proj"',
    'group /layers/functional/vars name="inner"',
    'group /layers/functional/layers/input_layer/vars name="inner_in"',
    'dataset /layers/functional/layers/lstm/cell/vars/0 float32 [4, 12]',
    'group /layers/dense_1/vars name="last"',
  ]) assert.ok(layout.includes(line), `${line}\nnot in\n${layout.join('\n')}`);
});

test('a nested model applied twice (shared) and a Sequential inside a Sequential: .keras and back, bit for bit', async () => {
  setSeed(4);
  const h = input({ shape: [5, 3], name: 'shared_in' });
  const shared = new Model({ inputs: h, outputs: new LSTM(2, { name: 'shared_lstm' }).apply(h), name: 'shared' });
  const a = input({ shape: [5, 3], name: 'a' });
  const b = input({ shape: [5, 3], name: 'b' });
  const model = new Model({ inputs: [a, b], outputs: new Concatenate({ name: 'both' }).apply([shared.apply(a), shared.apply(b)]), name: 'siamese' });
  const bytes = await writeKeras(model);
  const config = JSON.parse(entryText(bytes, 'config.json'));
  const both = config.config.layers.find((l: { name: string }) => l.name === 'both');
  assert.equal(both.inbound_nodes[0].args[0].map((t: { config: { keras_history: unknown } }) => t.config.keras_history), [['shared', 0, 0], ['shared', 1, 0]]);
  const back = await readKeras(bytes, 'siamese.keras');
  const xs = [randomUniform([2, 5, 3], -1, 1), randomUniform([2, 5, 3], -1, 1)];
  assertSameWeights(back, model, 'shared: weights');
  assertSameBits(back.predict(xs), model.predict(xs), 'shared: predictions');
  assert.ok(kerasLayout(bytes).includes('dataset /layers/functional/layers/lstm/cell/vars/0 float32 [3, 8]'));

  const inner = new Sequential([new InputLayer({ inputShape: [5, 3] }), new GRU(3, { returnSequences: true, name: 'g' })], { name: 'inner_seq' });
  const stack = new Sequential([new InputLayer({ inputShape: [5, 3] }), inner, new LSTM(2, { name: 'top' })], { name: 'stack2' });
  const written = await writeKeras(stack);
  const again = await readKeras(written, 'stack2.keras');
  const x0 = randomUniform([2, 5, 3], -1, 1);
  assertSameWeights(again, stack, 'Sequential in Sequential: weights');
  assertSameBits(again.predict(x0), stack.predict(x0), 'Sequential in Sequential: predictions');
  const layout = kerasLayout(written);
  for (const line of ['group /layers/sequential/vars name="inner_seq"', 'dataset /layers/sequential/layers/gru/cell/vars/0 float32 [3, 9]', 'group /layers/lstm/vars name="top"']) {
    assert.ok(layout.includes(line), `${line}\nnot in\n${layout.join('\n')}`);
  }
});

test.run();
