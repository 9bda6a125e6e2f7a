/**
 * Keras 3 files of stateful models, of layers met twice in the saving
 * walk, and of layouts Unrolled refuses (sharded weights, zip64).
 *
 * Stateful layers: Keras 3.12.2's `RNN._create_state_variables`
 * (keras/src/layers/rnn/rnn.py) makes the states under
 * `no_automatic_dependency_tracking`, so they are not among the layer's
 * variables and `save_own_variables` writes none: a stateful layer's
 * `vars` group is as empty as any RNN's, and a loaded model starts from
 * zero states, built for the batch size of the InputLayer's `batch_shape`
 * (Keras refuses a stateful layer without one, "the batch size must be
 * static"). The layer's config says `stateful: true`.
 *
 * Layers met twice: `_save_state` skips an object already visited, and
 * `_save_container_state` names every entry of a layer list before that
 * check, so a layer of the outer model that a nested model also holds is
 * written once, where the walk meets it first, and its name is still used
 * up in the other list.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Dense, GRU, InputLayer, LSTM, Model, Sequential, SimpleRNN, clearSession, input, randomUniform, setSeed, type SymbolicTensor, type Tensor,
} from '../../../lib/index.ts';
import { readKeras, readKerasWeights, writeKeras, writeKerasWeights } from '../../../lib/io/keras3.ts';
import { assertMentions, assertSameBits, assertSameLines, entryText, errorOf, fixtureBytes, kerasLayout, hdf5Layout, withEntry } from './keras3-helpers.ts';

test.before.each(() => {
  clearSession();
  setSeed(7);
});

function stateful(): Sequential {
  return new Sequential([
    new InputLayer({ inputShape: [4, 3], batchSize: 2 }),
    new LSTM(5, { stateful: true, returnSequences: true }),
    new GRU(3, { stateful: true }),
    new Dense(1),
  ]);
}

const STATEFUL_LAYOUT = [
  'group /',
  'group /vars name="sequential"',
  'group /layers',
  'group /layers/lstm',
  'group /layers/lstm/vars name="lstm"',
  'group /layers/lstm/cell',
  'group /layers/lstm/cell/vars name="lstm_cell"',
  'dataset /layers/lstm/cell/vars/0 float32 [3, 20]',
  'dataset /layers/lstm/cell/vars/1 float32 [5, 20]',
  'dataset /layers/lstm/cell/vars/2 float32 [20]',
  'group /layers/gru',
  'group /layers/gru/vars name="gru"',
  'group /layers/gru/cell',
  'group /layers/gru/cell/vars name="gru_cell"',
  'dataset /layers/gru/cell/vars/0 float32 [5, 9]',
  'dataset /layers/gru/cell/vars/1 float32 [3, 9]',
  'dataset /layers/gru/cell/vars/2 float32 [2, 9]',
  'group /layers/dense',
  'group /layers/dense/vars name="dense"',
  'dataset /layers/dense/vars/0 float32 [3, 1]',
  'dataset /layers/dense/vars/1 float32 [1]',
];

test('stateful layers: the fixed batch size in batch_shape and every build_config, stateful: true, no state variables', async () => {
  const model = stateful();
  model.predict(randomUniform([2, 4, 3], -1, 1));
  const bytes = await writeKeras(model);
  const config = JSON.parse(entryText(bytes, 'config.json'));
  const layers = config.config.layers;
  assert.equal(layers[0].config.batch_shape, [2, 4, 3]);
  assert.equal(layers.slice(1).map((l: { build_config: { input_shape: unknown } }) => l.build_config.input_shape), [[2, 4, 3], [2, 4, 5], [2, 3]]);
  assert.equal([layers[1].config.stateful, layers[2].config.stateful], [true, true]);
  assert.equal(config.build_config.input_shape, [2, 4, 3]);
  // The LSTM held states of [2, 5] and the GRU [2, 3]; none is written (Keras 3 keeps them untracked).
  assertSameLines(kerasLayout(bytes), STATEFUL_LAYOUT, 'model.weights.h5 of a stateful model');
});

test('stateful layers round-trip: the loaded model starts from zero states, carries them from batch to batch, bit for bit', async () => {
  const model = stateful();
  const batches = [randomUniform([2, 4, 3], -1, 1), randomUniform([2, 4, 3], -1, 1), randomUniform([2, 4, 3], -1, 1)];
  model.predict(batches[0]);
  const loaded = await readKeras(await writeKeras(model), 'stateful.keras');
  assert.equal(loaded.batchInputShape, [2, 4, 3]);
  model.resetStates();
  const expected = batches.map((b) => model.predict(b) as Tensor);
  const actual = batches.map((b) => loaded.predict(b) as Tensor);
  actual.forEach((t, i) => assertSameBits(t, expected[i], `batch ${i}`));
  // The states are carried: the second batch alone, from zeros, gives something else.
  loaded.resetStates();
  const fresh = loaded.predict(batches[1]) as Tensor;
  assert.ok(Array.from(fresh.data).some((v, i) => v !== actual[1].data[i]), 'the second batch from zero states should differ from the second batch after the first');
});

test('a stateful model with a fixed batch size takes that batch size only (N samples in batches of it), as Keras does', async () => {
  const loaded = await readKeras(await writeKeras(stateful()), 'stateful.keras');
  // 6 samples in batches of 2 pass; a batch of 3 is refused, naming the layer and both sizes.
  assert.equal((loaded.predict(randomUniform([6, 4, 3], -1, 1), { batchSize: 2 }) as Tensor).shape, [6, 1]);
  const message = await errorOf(() => loaded.predict(randomUniform([3, 4, 3], -1, 1), { batchSize: 3 }));
  assertMentions(message, ['lstm (LSTM) is stateful', 'fixed at 2', 'a batch has 3 samples', 'batchSize: 2']);
});

test('a model without stateful layers keeps its fixed batch size in the file and predicts at any batch size', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), new SimpleRNN(3), new Dense(1)]);
  const loaded = await readKeras(await writeKeras(model), 'fixed.keras');
  assert.equal(loaded.batchInputShape, [2, 4, 3]);
  const x = randomUniform([5, 4, 3], -1, 1);
  assertSameBits(loaded.predict(x) as Tensor, model.predict(x) as Tensor, 'batch of 5');
});

test('a stateful layer without a fixed batch size: the batch size of its states is written, or the save is refused', async () => {
  const model = new Sequential([new LSTM(4, { stateful: true, inputShape: [4, 3] }), new Dense(1)]);
  const refused = await errorOf(() => writeKeras(model));
  assertMentions(refused, ['lstm (LSTM) is stateful', 'Keras needs a fixed batch size', 'InputLayer with batchSize']);
  model.predict(randomUniform([3, 4, 3], -1, 1));
  const config = JSON.parse(entryText(await writeKeras(model), 'config.json'));
  assert.equal(config.config.layers[0].config.batch_shape, [3, 4, 3]);
  const x = input({ shape: [4, 3], name: 'x' });
  const functional = new Model({ inputs: x, outputs: new GRU(2, { stateful: true, name: 'g' }).apply(x) });
  assertMentions(await errorOf(() => writeKeras(functional)), ["g (GRU) is stateful", "input 'x' has batch shape (None, 4, 3)", 'input({ batchShape })']);
});

test('a stateful layer in a nested model without a fixed batch size of its own is refused on saving, naming both models', async () => {
  const inner = new Sequential([new LSTM(4, { stateful: true, inputShape: [4, 3] })], { name: 'inner' });
  const outer = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), inner, new Dense(1)], { name: 'outer' });
  assertMentions(await errorOf(() => writeKeras(outer)), ["outer: lstm (LSTM) in the nested model 'inner' is stateful", 'Keras needs a fixed batch size', 'batch shape (None, 4, 3)', 'InputLayer with batchSize']);
  const h = input({ shape: [4, 3], name: 'h' });
  const nested = new Model({ inputs: h, outputs: new GRU(2, { stateful: true, name: 'g' }).apply(h), name: 'nested' });
  const x = input({ batchShape: [2, 4, 3], name: 'x' });
  const functional = new Model({ inputs: x, outputs: new Dense(1).apply(nested.apply(x)), name: 'top' });
  assertMentions(await errorOf(() => writeKeras(functional)), ["top: g (GRU) in the nested model 'nested' is stateful", 'batch shape (None, 4, 3)', 'input({ batchShape })']);
  // With a fixed batch size of its own, the nested model is written and read back, states carried bit for bit.
  const fixed = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), new LSTM(4, { stateful: true })], { name: 'fixed' });
  const model = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), fixed, new Dense(1)], { name: 'outer2' });
  const back = await readKeras(await writeKeras(model), 'nested-stateful.keras');
  for (let i = 0; i < 2; i++) {
    const b = randomUniform([2, 4, 3], -1, 1);
    assertSameBits(back.predict(b) as Tensor, model.predict(b), `batch ${i}`);
  }
});

test('a stateful model through .weights.h5: the same groups as the .keras file, read back bit for bit', async () => {
  const model = stateful();
  const bytes = await writeKerasWeights(model);
  assertSameLines(hdf5Layout(bytes), STATEFUL_LAYOUT, 'a stateful model\'s .weights.h5');
  const other = stateful();
  await readKerasWeights(other, bytes, 'stateful.weights.h5');
  model.getWeights().forEach((w, i) => assertSameBits(other.getWeights()[i], w, `weight ${i}`));
});

/** outer: x → shared LSTM → out_a, and x → inner (shared LSTM → Dense) → out_b; `innerFirst` puts inner first in the walk. */
function sharedAcross(innerFirst: boolean): Model<SymbolicTensor[]> {
  const shared = new LSTM(4, { name: 'shared_lstm', returnSequences: true });
  const h = input({ shape: [5, 3], name: 'h' });
  const inner = new Model({ inputs: h, outputs: new Dense(2, { name: 'd_in' }).apply(shared.apply(h)), name: 'inner' });
  const x = input({ shape: [5, 3], name: 'x' });
  const b = innerFirst ? inner.apply(x) : null;
  const a = shared.apply(x);
  return new Model({ inputs: x, outputs: innerFirst ? [b!, a] : [a, inner.apply(x)], name: 'outer' });
}

const INNER = (prefix: string): string[] => [
  `group ${prefix}`,
  `group ${prefix}/vars name="inner"`,
  `group ${prefix}/layers`,
  `group ${prefix}/layers/input_layer`,
  `group ${prefix}/layers/input_layer/vars name="h"`,
  `group ${prefix}/layers/dense`,
  `group ${prefix}/layers/dense/vars name="d_in"`,
  `dataset ${prefix}/layers/dense/vars/0 float32 [4, 2]`,
  `dataset ${prefix}/layers/dense/vars/1 float32 [2]`,
];

const SHARED = (prefix: string): string[] => [
  `group ${prefix}`,
  `group ${prefix}/vars name="shared_lstm"`,
  `group ${prefix}/cell`,
  `group ${prefix}/cell/vars name="lstm_cell"`,
  `dataset ${prefix}/cell/vars/0 float32 [3, 16]`,
  `dataset ${prefix}/cell/vars/1 float32 [4, 16]`,
  `dataset ${prefix}/cell/vars/2 float32 [16]`,
];

const TOP = ['group /', 'group /vars name="outer"', 'group /layers', 'group /layers/input_layer', 'group /layers/input_layer/vars name="x"'];

test('a layer of the outer model inside a nested model too is written once, where the walk meets it first', async () => {
  // Outer first: layers/lstm holds it, and the nested model's lstm entry is skipped.
  assertSameLines(kerasLayout(await writeKeras(sharedAcross(false))), [...TOP, ...SHARED('/layers/lstm'), ...INNER('/layers/functional')], 'shared LSTM met first in the outer model');
  clearSession();
  // Nested first: the nested model's layers/lstm holds it, and the outer lstm entry is skipped.
  const layout = kerasLayout(await writeKeras(sharedAcross(true)));
  assertSameLines(layout, [...TOP, ...INNER('/layers/functional'), ...SHARED('/layers/functional/layers/lstm')], 'shared LSTM met first in the nested model');
});

test('the same walk reads them back: the shared layer\'s weights come from the one group that holds them', async () => {
  for (const innerFirst of [false, true]) {
    clearSession();
    const model = sharedAcross(innerFirst);
    const bytes = await writeKerasWeights(model);
    const other = sharedAcross(innerFirst);
    await readKerasWeights(other, bytes, 'shared.weights.h5');
    const x = randomUniform([2, 5, 3], -1, 1);
    const [p, q] = [model.predict(x), other.predict(x)];
    p.forEach((t, i) => assertSameBits(q[i], t, `innerFirst ${innerFirst}: output ${i}`));
  }
});

test('a whole .keras model with a layer of the outer model inside a nested model reloads bit for bit, as one layer (nodes numbered per model)', async () => {
  for (const innerFirst of [false, true]) {
    clearSession();
    const model = sharedAcross(innerFirst);
    const bytes = await writeKeras(model);
    // Both occurrences carry the id, in either walk order: Keras's loader builds the first one it meets and hands
    // the same object to the other (serialization_lib's get_shared_object), so Keras too loads one LSTM.
    const layers = JSON.parse(entryText(bytes, 'config.json')).config.layers as Array<{ class_name: string; shared_object_id?: number; config: { layers?: Array<{ class_name: string; shared_object_id?: number }> } }>;
    const nested = layers.find((l) => l.class_name === 'Functional')!.config.layers!.find((l) => l.class_name === 'LSTM')!;
    const outer = layers.find((l) => l.class_name === 'LSTM')!;
    assert.is(typeof outer.shared_object_id, 'number', `innerFirst ${innerFirst}: the outer occurrence's id`);
    assert.is(nested.shared_object_id, outer.shared_object_id, `innerFirst ${innerFirst}: the nested occurrence's id`);
    const back = await readKeras(bytes, 'shared.keras');
    assert.ok((back.getLayer('inner') as Model).getLayer('shared_lstm') === back.getLayer('shared_lstm'), `innerFirst ${innerFirst}: one LSTM object`);
    const x = randomUniform([2, 5, 3], -1, 1);
    const [p, q] = [model.predict(x), back.predict(x) as unknown as Tensor[]];
    assert.is(q.length, 2, `innerFirst ${innerFirst}: outputs`);
    p.forEach((t, i) => assertSameBits(q[i], t, `innerFirst ${innerFirst}: output ${i}`));
  }
});

/** The layer objects of a config.json layer list, nested models' included, in the file's order. */
function layerObjects(layers: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return layers.flatMap((l) => {
    const inner = (l.config as { layers?: Array<Record<string, unknown>> }).layers;
    return ['Functional', 'Sequential'].includes(l.class_name as string) && inner ? layerObjects(inner) : [l];
  });
}

test("Keras's own form of a layer met first in a nested model (its id on the later occurrence only) reads as one layer", async () => {
  const model = sharedAcross(true);
  const bytes = withEntry(await writeKeras(model), 'config.json', (text) => {
    const config = JSON.parse(text);
    const first = layerObjects(config.config.layers).find((l) => l.class_name === 'LSTM')!;
    delete first.shared_object_id;
    return JSON.stringify(config);
  });
  const back = await readKeras(bytes, 'keras-form.keras');
  assert.ok((back.getLayer('inner') as Model).getLayer('shared_lstm') === back.getLayer('shared_lstm'), 'one LSTM object');
  const x = randomUniform([2, 5, 3], -1, 1);
  const [p, q] = [model.predict(x), back.predict(x) as unknown as Tensor[]];
  p.forEach((t, i) => assertSameBits(q[i], t, `output ${i}`));
});

test('two layers of the same config and name in two nested models: written with ids, one stays shared; in Keras\'s own form the ambiguous pair is refused', async () => {
  // inner1 holds its own LSTM 'l'; inner2 and the outer model share another LSTM 'l' (same config), met first in inner2.
  const own = new LSTM(4, { name: 'l', returnSequences: true });
  const shared = new LSTM(4, { name: 'l', returnSequences: true });
  const nest = (layer: LSTM, name: string): Model => {
    const h = input({ shape: [5, 3], name: `${name}_in` });
    return new Model({ inputs: h, outputs: layer.apply(h), name });
  };
  const x = input({ shape: [5, 3], name: 'x' });
  const inner1 = nest(own, 'inner1');
  const inner2 = nest(shared, 'inner2');
  const model = new Model({ inputs: x, outputs: [inner1.apply(x), inner2.apply(x), shared.apply(x)], name: 'outer' }) as Model<SymbolicTensor[]>;
  const written = await writeKeras(model);
  const back = await readKeras<SymbolicTensor[]>(written, 'two.keras');
  assert.ok((back.getLayer('inner2') as Model).getLayer('l') === back.getLayer('l'), 'the shared LSTM is one object');
  assert.ok((back.getLayer('inner1') as Model).getLayer('l') !== back.getLayer('l'), "inner1's LSTM is its own");
  const data = randomUniform([2, 5, 3], -1, 1);
  model.predict(data).forEach((t, i) => assertSameBits(back.predict(data)[i], t, `output ${i}`));
  // Without the first occurrence's id (as Keras's writer leaves it), both id-less candidates are of the same
  // class and config: which one lost the id is not known, so neither is taken for it.
  const kerasForm = withEntry(written, 'config.json', (text) => {
    const config = JSON.parse(text);
    const objects = layerObjects(config.config.layers).filter((l) => l.class_name === 'LSTM');
    delete objects[1].shared_object_id;
    return JSON.stringify(config);
  });
  const message = await errorOf(() => readKeras(kerasForm, 'two.keras'));
  assertMentions(message, ['two.keras', 'model.weights.h5', 'is missing']);
});

test('one shard of sharded weights (Keras 3 save_weights with max_shard_size) is refused, naming the index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-shard-'));
  const model = stateful();
  writeFileSync(join(dir, 'model_00000.weights.h5'), await writeKerasWeights(model));
  writeFileSync(join(dir, 'model.weights.json'), JSON.stringify({ metadata: { total_size: 1 }, weight_map: { '/vars': 'model_00000.weights.h5' } }));
  const message = await errorOf(() => model.loadWeights(join(dir, 'model_00000.weights.h5')));
  assertMentions(message, ['model_00000.weights.h5 is shard 0 of sharded weights', join(dir, 'model.weights.json'), 'without max_shard_size']);
});

test('a zip64 archive is refused with the file named', async () => {
  const bytes = fixtureBytes('embedding_lstm').slice();
  // The end-of-central-directory record's offset field at 0xffffffff: what a zip64 archive writes there.
  const end = bytes.byteLength - 22;
  assert.equal(new DataView(bytes.buffer).getUint32(end, true), 0x06054b50, 'end record found');
  new DataView(bytes.buffer).setUint32(end + 16, 0xffffffff, true);
  assertMentions(await errorOf(() => readKeras(bytes, 'big.keras')), ['big.keras', 'zip64']);
});

test.run();
