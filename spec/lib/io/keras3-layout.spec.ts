/**
 * What Unrolled writes into a `.keras` file, read back with the HDF5 reader
 * rather than reloaded: for every layer kind the exact set of groups (with
 * their attributes) and datasets (with dtype and shape) of
 * model.weights.h5, and for the optimizers the order of their variables.
 * Then the cross-check with the files Keras 3.12.2 wrote: the fixtures'
 * architecture written by Unrolled has the fixtures' tree, config.json and
 * zip layout — the evidence that Keras opens what Unrolled writes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Activation, Adam, Bidirectional, Dense, Dropout, Embedding, GRU, InputLayer, LSTM, Masking, RMSprop, RepeatVector, SGD,
  Sequential, SimpleRNN, TimeDistributed, clearSession, randomUniform, setSeed, tensor, type Layer,
} from '../../../lib/index.ts';
import { openHdf5 } from '../../../lib/io/hdf5.ts';
import { readKeras, readKerasWeights, writeKeras, writeKerasWeights } from '../../../lib/io/keras3.ts';
import { readZip, writeZip } from '../../../lib/io/zip.ts';
import {
  FIXTURE_NAMES, assertSameBits, assertSameLines, entryText, fixtureBytes, hdf5Layout, kerasLayout,
} from './keras3-helpers.ts';

test.before.each(() => clearSession());

/** The lines of `hdf5Layout` for a model named `sequential` holding `body` (groups and datasets under /layers). */
function expected(body: string[]): string[] {
  const groups = new Set<string>();
  for (const line of body) {
    const path = line.split(' ')[1].split('/').filter((s) => s !== '');
    for (let i = 1; i < path.length; i++) groups.add(`/${path.slice(0, i).join('/')}`);
  }
  const parents = [...groups].filter((g) => !body.some((l) => l.startsWith(`group ${g} `) || l === `group ${g}`)).map((g) => `group ${g}`);
  return ['group /', 'group /vars name="sequential"', ...parents, ...body].sort();
}

async function layoutOf(layers: Layer[], inputShape: number[]): Promise<string[]> {
  const model = new Sequential([new InputLayer({ inputShape }), ...layers]);
  return kerasLayout(await writeKeras(model));
}

test('layout: Embedding (and no group for the InputLayer)', async () => {
  assertSameLines(await layoutOf([new Embedding(20, 4, { maskZero: true })], [6]), expected([
    'group /layers/embedding/vars name="embedding"',
    'dataset /layers/embedding/vars/0 float32 [20, 4]',
  ]), 'model.weights.h5');
});

test('layout: SimpleRNN twice: simple_rnn, simple_rnn_1, each with its cell', async () => {
  assertSameLines(await layoutOf([new SimpleRNN(4, { returnSequences: true }), new SimpleRNN(2)], [5, 3]), expected([
    'group /layers/simple_rnn/vars name="simple_rnn"',
    'group /layers/simple_rnn/cell/vars name="simple_rnn_cell"',
    'dataset /layers/simple_rnn/cell/vars/0 float32 [3, 4]',
    'dataset /layers/simple_rnn/cell/vars/1 float32 [4, 4]',
    'dataset /layers/simple_rnn/cell/vars/2 float32 [4]',
    'group /layers/simple_rnn_1/vars name="simple_rnn_1"',
    'group /layers/simple_rnn_1/cell/vars name="simple_rnn_cell"',
    'dataset /layers/simple_rnn_1/cell/vars/0 float32 [4, 2]',
    'dataset /layers/simple_rnn_1/cell/vars/1 float32 [2, 2]',
    'dataset /layers/simple_rnn_1/cell/vars/2 float32 [2]',
  ]), 'model.weights.h5');
});

test('layout: LSTM, with and without a bias', async () => {
  assertSameLines(await layoutOf([new LSTM(3, { returnSequences: true }), new LSTM(2, { useBias: false })], [5, 4]), expected([
    'group /layers/lstm/vars name="lstm"',
    'group /layers/lstm/cell/vars name="lstm_cell"',
    'dataset /layers/lstm/cell/vars/0 float32 [4, 12]',
    'dataset /layers/lstm/cell/vars/1 float32 [3, 12]',
    'dataset /layers/lstm/cell/vars/2 float32 [12]',
    'group /layers/lstm_1/vars name="lstm_1"',
    'group /layers/lstm_1/cell/vars name="lstm_cell"',
    'dataset /layers/lstm_1/cell/vars/0 float32 [3, 8]',
    'dataset /layers/lstm_1/cell/vars/1 float32 [2, 8]',
  ]), 'model.weights.h5');
});

test('layout: GRU resetAfter true (bias [2, 3H]) and false (bias [3H])', async () => {
  assertSameLines(await layoutOf([new GRU(4, { returnSequences: true }), new GRU(2, { resetAfter: false })], [5, 3]), expected([
    'group /layers/gru/vars name="gru"',
    'group /layers/gru/cell/vars name="gru_cell"',
    'dataset /layers/gru/cell/vars/0 float32 [3, 12]',
    'dataset /layers/gru/cell/vars/1 float32 [4, 12]',
    'dataset /layers/gru/cell/vars/2 float32 [2, 12]',
    'group /layers/gru_1/vars name="gru_1"',
    'group /layers/gru_1/cell/vars name="gru_cell"',
    'dataset /layers/gru_1/cell/vars/0 float32 [4, 6]',
    'dataset /layers/gru_1/cell/vars/1 float32 [2, 6]',
    'dataset /layers/gru_1/cell/vars/2 float32 [6]',
  ]), 'model.weights.h5');
});

test('layout: Bidirectional holds forward_layer and backward_layer, each a recurrent layer with its cell', async () => {
  assertSameLines(await layoutOf([new Bidirectional(new LSTM(3), { mergeMode: 'sum' })], [5, 2]), expected([
    'group /layers/bidirectional/vars name="bidirectional"',
    'group /layers/bidirectional/forward_layer/vars name="forward_lstm"',
    'group /layers/bidirectional/forward_layer/cell/vars name="lstm_cell"',
    'dataset /layers/bidirectional/forward_layer/cell/vars/0 float32 [2, 12]',
    'dataset /layers/bidirectional/forward_layer/cell/vars/1 float32 [3, 12]',
    'dataset /layers/bidirectional/forward_layer/cell/vars/2 float32 [12]',
    'group /layers/bidirectional/backward_layer/vars name="backward_lstm"',
    'group /layers/bidirectional/backward_layer/cell/vars name="lstm_cell"',
    'dataset /layers/bidirectional/backward_layer/cell/vars/0 float32 [2, 12]',
    'dataset /layers/bidirectional/backward_layer/cell/vars/1 float32 [3, 12]',
    'dataset /layers/bidirectional/backward_layer/cell/vars/2 float32 [12]',
  ]), 'model.weights.h5');
});

test('layout: Dense, Dropout, Activation (empty vars groups for the last two)', async () => {
  assertSameLines(await layoutOf([new Dense(5), new Dropout(0.5), new Activation('relu'), new Dense(2, { useBias: false })], [3]), expected([
    'group /layers/dense/vars name="dense"',
    'dataset /layers/dense/vars/0 float32 [3, 5]',
    'dataset /layers/dense/vars/1 float32 [5]',
    'group /layers/dropout/vars name="dropout"',
    'group /layers/activation/vars name="activation"',
    'group /layers/dense_1/vars name="dense_1"',
    'dataset /layers/dense_1/vars/0 float32 [5, 2]',
  ]), 'model.weights.h5');
});

test('layout: TimeDistributed holds its layer under layer/', async () => {
  assertSameLines(await layoutOf([new TimeDistributed(new Dense(2))], [5, 3]), expected([
    'group /layers/time_distributed/vars name="time_distributed"',
    'group /layers/time_distributed/layer/vars name="dense"',
    'dataset /layers/time_distributed/layer/vars/0 float32 [3, 2]',
    'dataset /layers/time_distributed/layer/vars/1 float32 [2]',
  ]), 'model.weights.h5');
});

test('layout: Masking and RepeatVector have empty vars groups', async () => {
  assertSameLines(await layoutOf([new Masking(), new SimpleRNN(2), new RepeatVector(3)], [4, 2]), expected([
    'group /layers/masking/vars name="masking"',
    'group /layers/simple_rnn/vars name="simple_rnn"',
    'group /layers/simple_rnn/cell/vars name="simple_rnn_cell"',
    'dataset /layers/simple_rnn/cell/vars/0 float32 [2, 2]',
    'dataset /layers/simple_rnn/cell/vars/1 float32 [2, 2]',
    'dataset /layers/simple_rnn/cell/vars/2 float32 [2]',
    'group /layers/repeat_vector/vars name="repeat_vector"',
  ]), 'model.weights.h5');
});

// ---------------------------------------------------------------- optimizer variables

/** A compiled GRU(4) on [5, 3] after two training steps, and its `optimizer/vars` datasets by index. */
async function optimizerVars(optimizer: RMSprop | Adam | SGD): Promise<{ model: Sequential; vars: Map<number, Float32Array>; shapes: string[]; names: string[] }> {
  setSeed(5);
  const model = new Sequential([new InputLayer({ inputShape: [5, 3] }), new GRU(4)]);
  model.compile({ optimizer, loss: 'mse' });
  await model.fit(randomUniform([4, 5, 3], -1, 1), randomUniform([4, 4], -1, 1), { epochs: 1, batchSize: 2, verbose: 0 });
  const file = openHdf5(readZip(await writeKeras(model, { includeOptimizer: true }), 'x').read('model.weights.h5'), 'x');
  const group = file.group('optimizer/vars');
  const names = group.children().sort((a, b) => Number(a) - Number(b));
  const vars = new Map(names.slice(1).map((n) => [Number(n), file.dataset(`optimizer/vars/${n}`).float32()]));
  const shapes = names.map((n) => `${n}: ${file.dataset(`optimizer/vars/${n}`).dtype} [${file.dataset(`optimizer/vars/${n}`).shape.join(', ')}]`);
  return { model, vars, shapes, names: [group.stringAttribute('name') ?? ''] };
}

/** The slot `slot` of trainable weight `i` as the model's optimizer holds it. */
function slotOf(model: Sequential, slot: string, i: number): Float32Array {
  const saved = model.optimizer!.getSlots(model.trainableNamedWeights().map(([, t]) => t));
  return Float32Array.from(saved.slots.find((s) => s.name === slot)!.values[i]);
}

const GRU_SHAPES = ['[3, 12]', '[4, 12]', '[2, 12]'];

test('optimizer vars, RMSprop (momentum, centered): iterations, learning rate, velocities, momentums, average gradients', async () => {
  const { model, vars, shapes, names } = await optimizerVars(new RMSprop({ momentum: 0.5, centered: true }));
  assert.equal(names, ['rmsprop']);
  assert.equal(shapes, ['0: int []', '1: float32 []', ...[...GRU_SHAPES, ...GRU_SHAPES, ...GRU_SHAPES].map((s, i) => `${2 + i}: float32 ${s}`)]);
  assert.equal(Array.from(vars.get(1)!), [Math.fround(0.001)]);
  for (let i = 0; i < 3; i++) {
    assertSameBits(tensor(vars.get(2 + i)!), tensor(slotOf(model, 'velocity', i)), `velocity ${i}`);
    assertSameBits(tensor(vars.get(5 + i)!), tensor(slotOf(model, 'momentum', i)), `momentum ${i}`);
    assertSameBits(tensor(vars.get(8 + i)!), tensor(slotOf(model, 'averageGrad', i)), `average gradient ${i}`);
  }
});

test('optimizer vars, Adam (amsgrad): a momentum and a velocity per weight, interleaved, then the velocity maxima', async () => {
  const { model, vars, shapes, names } = await optimizerVars(new Adam({ amsgrad: true }));
  assert.equal(names, ['adam']);
  assert.equal(shapes.length, 2 + 9);
  for (let i = 0; i < 3; i++) {
    assert.is(shapes[2 + 2 * i], `${2 + 2 * i}: float32 ${GRU_SHAPES[i]}`);
    assertSameBits(tensor(vars.get(2 + 2 * i)!), tensor(slotOf(model, 'momentum', i)), `momentum ${i}`);
    assertSameBits(tensor(vars.get(3 + 2 * i)!), tensor(slotOf(model, 'velocity', i)), `velocity ${i}`);
    assertSameBits(tensor(vars.get(8 + i)!), tensor(slotOf(model, 'velocityHat', i)), `velocity maximum ${i}`);
  }
});

test('optimizer vars, SGD: momentums when momentum > 0, none without', async () => {
  const withMomentum = await optimizerVars(new SGD({ momentum: 0.9 }));
  assert.equal(withMomentum.names, ['sgd']);
  assert.equal(withMomentum.shapes.length, 5);
  for (let i = 0; i < 3; i++) assertSameBits(tensor(withMomentum.vars.get(2 + i)!), tensor(slotOf(withMomentum.model, 'velocity', i)), `momentum ${i}`);
  clearSession();
  const plain = await optimizerVars(new SGD());
  assert.equal(plain.shapes, ['0: int []', '1: float32 []']);
});

// ---------------------------------------------------------------- against Keras's own files

for (const name of FIXTURE_NAMES) {
  test(`${name}: Unrolled writes Keras's tree, config.json and zip layout for the same model`, async () => {
    const original = fixtureBytes(name);
    const loaded = await readKeras(original, `${name}.keras`);
    const written = await writeKeras(loaded, { includeOptimizer: true });
    assertSameLines(kerasLayout(written), kerasLayout(original), `${name}: model.weights.h5 (ours vs Keras's)`);
    // config.json: the same text but for the ids CPython gave the shared objects.
    const ids = (text: string): string => text.replace(/"shared_object_id": \d+/g, '"shared_object_id": ID');
    assert.fixture(ids(entryText(written, 'config.json')), ids(entryText(original, 'config.json')));
    const metadata = JSON.parse(entryText(written, 'metadata.json'));
    assert.equal(Object.keys(metadata), Object.keys(JSON.parse(entryText(original, 'metadata.json'))));
    assert.is(metadata.keras_version, '3.12.2');
    assert.match(metadata.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const ours = readZip(written, 'ours');
    const theirs = readZip(original, 'theirs');
    assert.equal(ours.names, theirs.names);
    assert.equal(ours.names.map((n) => ours.info(n)!.method), theirs.names.map((n) => theirs.info(n)!.method));
  });
}

test('the fixtures\' architecture built in Unrolled (not loaded) writes the fixtures\' tree and config.json', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [7] }), new Embedding(30, 6), new LSTM(5), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new RMSprop({ learningRate: Math.fround(0.001) }), loss: 'binary_crossentropy' });
  await readKerasWeights(model, readZip(fixtureBytes('embedding_lstm'), 'x').read('model.weights.h5'), 'model.weights.h5');
  const written = await writeKeras(model, { includeOptimizer: true });
  const original = fixtureBytes('embedding_lstm');
  assertSameLines(kerasLayout(written), kerasLayout(original), 'model.weights.h5 (ours vs Keras\'s)');
  const ids = (text: string): string => text.replace(/"shared_object_id": \d+/g, '"shared_object_id": ID');
  assert.fixture(ids(entryText(written, 'config.json')), ids(entryText(original, 'config.json')));
});

test('zip layout: the fixtures\' entries written by Unrolled\'s zip writer give Keras\'s bytes exactly', () => {
  for (const name of FIXTURE_NAMES) {
    const original = fixtureBytes(name);
    const zip = readZip(original, name);
    // Keras stamps metadata.json and config.json 1980-01-01 (opened by name) and the weights with the time of saving.
    const saved = new Date(2026, 11, 1, 22, 13, 0);
    const rewritten = writeZip(zip.names.map((n) => ({ name: n, data: zip.read(n), ...(n === 'model.weights.h5' ? { modified: saved } : {}) })));
    assert.ok(Buffer.from(rewritten).equals(Buffer.from(original)), `${name}: the rewritten archive differs from Keras's`);
  }
});

test('.weights.h5 has the .keras file\'s tree', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [5, 3] }), new LSTM(3, { returnSequences: true }), new TimeDistributed(new Dense(2))]);
  model.compile({ optimizer: 'rmsprop', loss: 'mse' });
  assertSameLines(hdf5Layout(await writeKerasWeights(model)), kerasLayout(await writeKeras(model, { includeOptimizer: true })), '.weights.h5 vs .keras');
});

test.run();
