/**
 * Functional models in Keras 3's `.keras` files: an encoder-decoder (two
 * inputs, an LSTM's final states into the decoder's initial_state,
 * TimeDistributed(Dense)) and a shared layer go through `.keras` and back
 * bit for bit, training state included; config.json holds what Keras 3's
 * `Functional.get_config()` writes (nodes of `__keras_tensor__`
 * references, initial_state as a keyword, a shared layer's two nodes); and
 * model.weights.h5 has the groups Keras's walk gives them: the layers in
 * the order of `Functional.operations` (InputLayers included, by depth,
 * then by first visit from the outputs), named by snake_case class.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, Concatenate, Dense, GRU, LSTM, Model, TimeDistributed, clearSession, input, loadModel, randomUniform, setSeed, type SymbolicTensor, type Tensor,
} from '../../../lib/index.ts';
import { kerasOperations, readKeras, writeKeras } from '../../../lib/io/keras3.ts';
import { assertSameBits, assertSameLines, assertSameWeights, entryText, kerasLayout } from './keras3-helpers.ts';

test.before.each(() => clearSession());

function encoderDecoder(): Model<SymbolicTensor> {
  const question = input({ shape: [5, 3], name: 'question' });
  const [, h, c] = new LSTM(4, { returnState: true, name: 'encoder' }).apply(question);
  const previous = input({ shape: [4, 2], name: 'previous' });
  const decoded = new LSTM(4, { returnSequences: true, name: 'decoder' }).apply(previous, { initialState: [h, c] });
  const next = new TimeDistributed(new Dense(3, { activation: 'softmax', name: 'dense' }), { name: 'next' }).apply(decoded);
  return new Model({ inputs: [question, previous], outputs: next, name: 'seq2seq' });
}

const xs = (): Tensor[] => [randomUniform([3, 5, 3], -1, 1), randomUniform([3, 4, 2], -1, 1)];

test('encoder-decoder: .keras and back, bit for bit, with the optimizer state; training goes on identically', async () => {
  setSeed(1);
  const model = encoderDecoder();
  const x = xs();
  const y = randomUniform([3, 4, 3], 0, 1);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const back = await readKeras(bytes, 'seq2seq.keras');
  assert.is(back.className, 'Model');
  assert.is(back.name, 'seq2seq');
  assert.equal(back.inputNames, ['question', 'previous']);
  assertSameWeights(back, model, 'weights');
  assertSameBits(back.predict(x), model.predict(x), 'predictions');
  assert.is(back.optimizer!.iterations, model.optimizer!.iterations);
  setSeed(2);
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  setSeed(2);
  await back.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  assertSameWeights(back, model, 'weights after one more epoch');
});

test("encoder-decoder: config.json is Keras 3's Functional config, initial_state a keyword of the decoder's node", async () => {
  const model = encoderDecoder();
  const config = JSON.parse(entryText(await writeKeras(model), 'config.json'));
  assert.equal([config.module, config.class_name, config.registered_name], ['keras.src.models.functional', 'Functional', 'Functional']);
  assert.not.ok('build_config' in config);
  assert.equal(Object.keys(config.config), ['name', 'trainable', 'layers', 'input_layers', 'output_layers']);
  assert.equal(config.config.layers.map((l: { name: string }) => l.name), ['question', 'previous', 'encoder', 'decoder', 'next']);
  assert.equal(config.config.input_layers, [['question', 0, 0], ['previous', 0, 0]]);
  assert.equal(config.config.output_layers, ['next', 0, 0]);
  const [questionLayer, , encoder, decoder] = config.config.layers;
  assert.equal(Object.keys(encoder), ['module', 'class_name', 'config', 'registered_name', 'build_config', 'name', 'inbound_nodes']);
  assert.equal(questionLayer.inbound_nodes, []);
  assert.equal(questionLayer.config.batch_shape, [null, 5, 3]);
  const tensor = (history: [string, number, number], shape: Array<number | null>): object => ({
    class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: history },
  });
  assert.equal(decoder.inbound_nodes, [{
    args: [tensor(['previous', 0, 0], [null, 4, 2])],
    kwargs: { initial_state: [tensor(['encoder', 0, 1], [null, 4]), tensor(['encoder', 0, 2], [null, 4])] },
  }]);
  assert.equal(decoder.build_config, { shapes_dict: { sequences_shape: [null, 4, 2], initial_state_shape: [[null, 4], [null, 4]] } });
  assert.equal(encoder.build_config, { input_shape: [null, 5, 3] });
});

test("encoder-decoder: model.weights.h5 has the groups of Keras's walk, layers in Functional.operations order", async () => {
  const model = encoderDecoder();
  assert.equal(kerasOperations(model).map((l) => l.name), ['question', 'previous', 'encoder', 'decoder', 'next']);
  const lstm = (path: string, name: string, input: number): string[] => [
    `group /layers/${path}`, `group /layers/${path}/vars name="${name}"`, `group /layers/${path}/cell`, `group /layers/${path}/cell/vars name="lstm_cell"`,
    `dataset /layers/${path}/cell/vars/0 float32 [${input}, 16]`, `dataset /layers/${path}/cell/vars/1 float32 [4, 16]`, `dataset /layers/${path}/cell/vars/2 float32 [16]`,
  ];
  assertSameLines(kerasLayout(await writeKeras(model)), [
    'group /', 'group /vars name="seq2seq"', 'group /layers',
    'group /layers/input_layer', 'group /layers/input_layer/vars name="question"',
    'group /layers/input_layer_1', 'group /layers/input_layer_1/vars name="previous"',
    ...lstm('lstm', 'encoder', 3), ...lstm('lstm_1', 'decoder', 2),
    'group /layers/time_distributed', 'group /layers/time_distributed/vars name="next"',
    'group /layers/time_distributed/layer', 'group /layers/time_distributed/layer/vars name="dense"',
    'dataset /layers/time_distributed/layer/vars/0 float32 [4, 3]', 'dataset /layers/time_distributed/layer/vars/1 float32 [3]',
  ].sort(), 'model.weights.h5');
});

function siamese(): Model<SymbolicTensor[]> {
  const a = input({ shape: [6, 2], name: 'a' });
  const b = input({ shape: [6, 2], name: 'b' });
  const shared = new GRU(3, { name: 'shared' });
  const ha = shared.apply(a);
  const hb = shared.apply(b);
  const joined = new Concatenate({ name: 'joined' }).apply([ha, hb]);
  const same = new Dense(1, { activation: 'sigmoid', name: 'same' }).apply(joined);
  const code = new Dense(2, { name: 'code' }).apply(hb);
  return new Model({ inputs: [a, b], outputs: [same, code], name: 'siamese' });
}

test('a shared layer: one set of weights in the file, two nodes in the config, and back bit for bit', async () => {
  setSeed(3);
  const model = siamese();
  const x = [randomUniform([4, 6, 2], -1, 1), randomUniform([4, 6, 2], -1, 1)];
  const bytes = await writeKeras(model);
  const config = JSON.parse(entryText(bytes, 'config.json'));
  const shared = config.config.layers.find((l: { name: string }) => l.name === 'shared');
  assert.is(shared.inbound_nodes.length, 2);
  const joined = config.config.layers.find((l: { name: string }) => l.name === 'joined');
  assert.equal(joined.inbound_nodes[0].args[0].map((t: { config: { keras_history: unknown } }) => t.config.keras_history), [['shared', 0, 0], ['shared', 1, 0]]);
  assert.equal(joined.build_config, { input_shape: [[null, 3], [null, 3]] });
  assert.equal(config.config.output_layers, [['same', 0, 0], ['code', 0, 0]]);
  const layout = kerasLayout(bytes);
  assert.equal(layout.filter((l) => l.startsWith('dataset')).length, 3 + 2 + 2, 'one GRU cell (3) and two Dense layers (2 each)');
  assert.ok(layout.includes('group /layers/gru/cell/vars name="gru_cell"'));
  assert.ok(layout.includes('group /layers/concatenate/vars name="joined"'));

  const back = await readKeras<SymbolicTensor[]>(bytes, 'siamese.keras');
  assert.is(back.getLayer('shared').inboundNodes.length, 2);
  assert.is(back.weights().length, model.weights().length);
  assertSameWeights(back, model, 'weights');
  const ours = model.predict(x);
  const theirs = back.predict(x);
  ours.forEach((t, i) => assertSameBits(theirs[i], t, `output ${i}`));
});

test('functional models through the file names: save / loadModel of .keras and saveWeights / loadWeights of .weights.h5', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-functional-'));
  try {
    setSeed(4);
    const model = siamese();
    const x = [randomUniform([2, 6, 2], -1, 1), randomUniform([2, 6, 2], -1, 1)];
    await model.save(join(dir, 'siamese.keras'));
    const back = await loadModel<SymbolicTensor[]>(join(dir, 'siamese.keras'));
    model.predict(x).forEach((t, i) => assertSameBits(back.predict(x)[i], t, `loadModel output ${i}`));
    await model.saveWeights(join(dir, 'siamese.weights.h5'));
    clearSession();
    setSeed(5);
    const fresh = siamese();
    await fresh.loadWeights(join(dir, 'siamese.weights.h5'));
    assertSameWeights(fresh, model, 'weights from .weights.h5');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
