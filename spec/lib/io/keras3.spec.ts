/**
 * Keras 3 `.keras` files: the fixtures Keras 3.12.2 wrote load and predict
 * what Keras predicted, with their compile settings and optimizer state; and
 * every layer kind goes through `.keras` (and `.weights.h5`) and back bit
 * for bit, predictions and training state alike.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Activation, Adam, Bidirectional, Dense, Dropout, Embedding, GRU, InputLayer, LSTM, Masking, RMSprop, RepeatVector, SGD,
  Sequential, SimpleRNN, TimeDistributed, clearSession, randomUniform, setSeed, tensor,
  type CompileOptions, type Model, type Tensor,
} from '../../../lib/index.ts';
import { openHdf5 } from '../../../lib/io/hdf5.ts';
import { readKeras, readKerasWeights, writeKeras, writeKerasWeights } from '../../../lib/io/keras3.ts';
import { readZip } from '../../../lib/io/zip.ts';
import type { FusedRNN as RNN } from '../../../lib/layers/recurrent.ts';
import {
  FIXTURE_NAMES, assertSameBits, assertSameWeights, entryText, fixtureBytes, reference, referenceInput,
} from './keras3-helpers.ts';

/** Keras computes in float32 on another machine; our float32 arithmetic differs in the last bits. */
const RELATIVE_TOLERANCE = 1e-5;

test.before.each(() => clearSession());

// ---------------------------------------------------------------- the fixtures

for (const name of FIXTURE_NAMES) {
  test(`${name}.keras (written by Keras 3.12.2) predicts what Keras predicted`, async () => {
    const model = await readKeras(fixtureBytes(name), `${name}.keras`);
    const ref = reference(name);
    const y = model.predict(referenceInput(ref));
    assert.equal(y.shape, ref.y.shape);
    let worst = { i: 0, abs: 0, rel: 0 };
    ref.y.data.forEach((expected, i) => {
      const abs = Math.abs(y.data[i] - expected);
      const rel = abs / Math.max(Math.abs(expected), 1e-12);
      if (rel > worst.rel) worst = { i, abs, rel };
    });
    console.log(`  ${name}: largest difference from Keras at element ${worst.i}: ${worst.abs.toExponential(2)} (relative ${worst.rel.toExponential(2)}; ours ${y.data[worst.i]}, Keras ${ref.y.data[worst.i]})`);
    assert.ok(worst.rel <= RELATIVE_TOLERANCE, `relative difference ${worst.rel} > ${RELATIVE_TOLERANCE}`);
  });
}

test('embedding_lstm.keras: the compile settings and the RMSprop state come back', async () => {
  const bytes = fixtureBytes('embedding_lstm');
  const model = await readKeras(bytes, 'embedding_lstm.keras');
  assert.equal(model.layers.map((l) => `${l.name}:${l.className}`), ['embedding:Embedding', 'lstm:LSTM', 'dense:Dense']);
  assert.is(model.loss, 'binary_crossentropy');
  assert.equal(model.metricNames, []);
  const optimizer = model.optimizer;
  assert.instance(optimizer, RMSprop);
  const rms = optimizer as RMSprop;
  assert.equal([rms.learningRate, rms.rho, rms.momentum, rms.epsilon, rms.centered], [0.0010000000474974513, 0.9, 0, 1e-7, false]);
  assert.is(rms.iterations, 1);
  // One velocity per trainable weight, in order: optimizer/vars/2 … 6.
  const file = openHdf5(readZip(bytes, 'x').read('model.weights.h5'), 'x');
  const params = model.trainableNamedWeights();
  const slots = rms.getSlots(params.map(([, t]) => t));
  assert.equal(slots.slots.map((s) => s.name), ['velocity']);
  params.forEach(([name, t], i) => {
    const stored = file.dataset(`optimizer/vars/${2 + i}`).float32();
    assert.ok(stored.some((v) => v !== 0), `the fixture's velocity for ${name} is non-zero`);
    assertSameBits(tensor(slots.slots[0].values[i], t.shape), tensor(stored, t.shape), `velocity of ${name}`);
  });
});

test('gru_reset_after.keras: a reset-after GRU (bias [2, 3H]) compiled with MSE', async () => {
  const model = await readKeras(fixtureBytes('gru_reset_after'), 'gru_reset_after.keras');
  const gru = model.layers[0] as GRU;
  assert.instance(gru, GRU);
  assert.is(gru.resetAfter, true);
  assert.equal(gru.weights().map((w) => w.shape), [[3, 12], [4, 12], [2, 12]]);
  assert.is(model.loss, 'mse');
  assert.is(model.optimizer!.iterations, 1);
});

test('a fixture re-zipped with deflate reads the same', async () => {
  const { zipSync } = await import('fflate');
  const zip = readZip(fixtureBytes('gru_reset_after'), 'x');
  const deflated = zipSync(Object.fromEntries(zip.names.map((n) => [n, zip.read(n)])), { level: 6 });
  assert.ok(readZip(deflated, 'deflated').names.every((n) => readZip(deflated, 'deflated').info(n)!.method === 'deflated'));
  const ref = reference('gru_reset_after');
  const a = (await readKeras(fixtureBytes('gru_reset_after'), 'stored')).predict(referenceInput(ref));
  const b = (await readKeras(deflated, 'deflated')).predict(referenceInput(ref));
  assertSameBits(b, a, 'deflated vs stored');
});

// ---------------------------------------------------------------- round trips

interface Case {
  name: string;
  model: () => Sequential;
  x: () => Tensor;
  y?: () => Tensor;
  compile?: CompileOptions;
}

const ids = (rows: number, steps: number, vocab: number): (() => Tensor) => () =>
  tensor(Array.from({ length: rows * steps }, (_, i) => (i * 7 + 3) % vocab), [rows, steps]);
const floats = (...shape: number[]): (() => Tensor) => () => randomUniform(shape, -1, 1);
/** A float batch whose last two timesteps of every other row are all zeros (masked by Masking). */
const padded = (rows: number, steps: number, features: number): (() => Tensor) => () => {
  const x = randomUniform([rows, steps, features], -1, 1);
  for (let r = 0; r < rows; r += 2) x.data.fill(0, (r * steps + steps - 2) * features, (r + 1) * steps * features);
  return x;
};

const CASES: Case[] = [
  {
    name: 'InputLayer + Embedding(maskZero) + LSTM + Dense, RMSprop (momentum, centered)',
    model: () => new Sequential([new InputLayer({ inputShape: [6] }), new Embedding(20, 4, { maskZero: true }), new LSTM(3), new Dense(1, { activation: 'sigmoid' })]),
    x: ids(4, 6, 20),
    y: () => tensor([[1], [0], [1], [0]]),
    compile: { optimizer: new RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }), loss: 'binary_crossentropy', metrics: ['acc'] },
  },
  {
    name: 'SimpleRNN, SGD (momentum, Nesterov)',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new SimpleRNN(4), new Dense(2)]),
    x: floats(4, 5, 3),
    y: floats(4, 2),
    compile: { optimizer: new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }), loss: 'mse', metrics: ['mae'] },
  },
  {
    name: 'GRU resetAfter true, Adam (amsgrad)',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new GRU(4)]),
    x: floats(4, 5, 3),
    y: floats(4, 4),
    compile: { optimizer: new Adam({ learningRate: 0.01, amsgrad: true }), loss: 'mse' },
  },
  {
    name: 'GRU resetAfter false, Adam',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new GRU(4, { resetAfter: false, goBackwards: true })]),
    x: floats(4, 5, 3),
    y: floats(4, 4),
    compile: { optimizer: 'adam', loss: 'mae' },
  },
  {
    name: 'Bidirectional(LSTM, returnSequences) concat, RMSprop',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new Bidirectional(new LSTM(3, { returnSequences: true })), new GRU(2)]),
    x: floats(4, 5, 3),
    y: floats(4, 2),
    compile: { optimizer: 'rmsprop', loss: 'mse' },
  },
  {
    name: 'Bidirectional(GRU) sum',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new Bidirectional(new GRU(3), { mergeMode: 'sum' })]),
    x: floats(3, 5, 3),
  },
  {
    name: 'Bidirectional(SimpleRNN) mul',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new Bidirectional(new SimpleRNN(3), { mergeMode: 'mul' })]),
    x: floats(3, 5, 3),
  },
  {
    name: 'Bidirectional(GRU resetAfter false) ave',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new Bidirectional(new GRU(3, { resetAfter: false }), { mergeMode: 'ave' })]),
    x: floats(3, 5, 3),
  },
  {
    name: 'Dense + Dropout + Activation, softmax, categorical cross-entropy',
    model: () => new Sequential([new InputLayer({ inputShape: [6] }), new Dense(5, { activation: 'relu' }), new Dropout(0.25), new Activation('tanh'), new Dense(3, { activation: 'softmax', useBias: false })]),
    x: floats(4, 6),
    y: () => tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]),
    compile: { optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] },
  },
  {
    name: 'LSTM(returnSequences) + TimeDistributed(Dense)',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new LSTM(4, { returnSequences: true }), new TimeDistributed(new Dense(2))]),
    x: floats(3, 5, 3),
    y: floats(3, 5, 2),
    compile: { optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse' },
  },
  {
    name: 'Masking + LSTM on padded sequences',
    model: () => new Sequential([new InputLayer({ inputShape: [5, 3] }), new Masking(), new LSTM(4, { unitForgetBias: false })]),
    x: padded(4, 5, 3),
  },
  {
    name: 'Dense + RepeatVector + LSTM(returnSequences)',
    model: () => new Sequential([new InputLayer({ inputShape: [4] }), new Dense(3), new RepeatVector(5), new LSTM(2, { returnSequences: true })]),
    x: floats(3, 4),
  },
  {
    name: 'stacked returnSequences: SimpleRNN → LSTM → GRU, a frozen layer',
    model: () => {
      const model = new Sequential([new InputLayer({ inputShape: [6, 2] }), new SimpleRNN(4, { returnSequences: true }), new LSTM(4, { returnSequences: true }), new GRU(3)]);
      model.layers[0].trainable = false;
      return model;
    },
    x: floats(4, 6, 2),
    y: floats(4, 3),
    compile: { optimizer: new Adam({ learningRate: 0.02 }), loss: 'mse' },
  },
  {
    name: "hard_sigmoid_keras3 (Keras 3's hard_sigmoid) in LSTM and GRU",
    model: () => new Sequential([
      new InputLayer({ inputShape: [5, 3] }),
      new LSTM(3, { recurrentActivation: 'hard_sigmoid_keras3', returnSequences: true }),
      new GRU(2, { recurrentActivation: 'hard_sigmoid_keras3', activation: 'relu' }),
    ]),
    x: floats(3, 5, 3),
  },
];

/** What a round trip must keep of each layer: its class, name, trainability, weight shapes. */
function describeLayers(model: Model): string[] {
  return model.layers.map((l) => `${l.name}:${l.className}:${l.trainable}:${l.weights().map((w) => `[${w.shape}]`).join('')}`);
}

for (const c of CASES) {
  test(`round trip through .keras: ${c.name}`, async () => {
    setSeed(7);
    const model = c.model();
    const x = c.x();
    if (c.compile) {
      model.compile(c.compile);
      setSeed(8);
      await model.fit(x, c.y!(), { epochs: 2, batchSize: 2, verbose: 0 });
    }
    const bytes = await writeKeras(model, { includeOptimizer: c.compile !== undefined });
    const back = await readKeras(bytes, 'roundtrip.keras');
    assert.equal(describeLayers(back), describeLayers(model));
    assertSameWeights(back, model, 'weights');
    assertSameBits(back.predict(x), model.predict(x), 'predictions');
    if (!c.compile) {
      assert.is(back.optimizer, null);
      return;
    }
    assert.is(back.loss, model.loss);
    assert.equal(back.metricNames, model.metricNames);
    assert.is(back.optimizer!.constructor, model.optimizer!.constructor);
    assert.equal(back.optimizer!.getConfig(), model.optimizer!.getConfig());
    assert.is(back.optimizer!.iterations, model.optimizer!.iterations);
    const ours = model.optimizer!.getSlots(model.trainableNamedWeights().map(([, t]) => t));
    const theirs = back.optimizer!.getSlots(back.trainableNamedWeights().map(([, t]) => t));
    assert.equal(theirs.slots.map((s) => s.name), ours.slots.map((s) => s.name));
    ours.slots.forEach((slot, k) => slot.values.forEach((v, i) => assertSameBits(tensor(theirs.slots[k].values[i]), tensor(v), `${slot.name} ${i}`)));
    // Training goes on identically from the saved state.
    const y = c.y!();
    setSeed(9);
    await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    setSeed(9);
    await back.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    assertSameWeights(back, model, 'weights after one more epoch');
  });
}

test('hard_sigmoid_keras3 is written under Keras 3\'s name and read back as relu6(x + 3) / 6', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [4, 2] }), new LSTM(2, { recurrentActivation: 'hard_sigmoid_keras3' })]);
  const bytes = await writeKeras(model);
  const config = JSON.parse(entryText(bytes, 'config.json'));
  assert.is(config.config.layers[1].config.recurrent_activation, 'hard_sigmoid');
  const back = await readKeras(bytes, 'x.keras');
  assert.is((back.layers[0] as RNN).options.recurrentActivation, 'hard_sigmoid_keras3');
});

test('an uncompiled save of a compiled model has no compile config and no optimizer state', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [4, 2] }), new GRU(2)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const bytes = await writeKeras(model);
  assert.not.ok('compile_config' in JSON.parse(entryText(bytes, 'config.json')));
  const back = await readKeras(bytes, 'x.keras');
  assert.is(back.optimizer, null);
});

// ---------------------------------------------------------------- .weights.h5

test('.weights.h5: weights and the optimizer state of a compiled model, into a fresh model of the same layers', async () => {
  const make = (): Sequential => new Sequential([
    new InputLayer({ inputShape: [5, 3] }), new Bidirectional(new LSTM(3, { returnSequences: true })), new TimeDistributed(new Dense(2)),
  ]);
  setSeed(3);
  const model = make();
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  const x = randomUniform([4, 5, 3], -1, 1);
  const y = randomUniform([4, 5, 2], -1, 1);
  await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
  const bytes = await writeKerasWeights(model);
  assert.ok(!(bytes[0] === 0x50 && bytes[1] === 0x4b), 'an HDF5 file, not a zip');

  const fresh = make();
  fresh.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await readKerasWeights(fresh, bytes, 'model.weights.h5');
  assertSameWeights(fresh, model, 'weights');
  assertSameBits(fresh.predict(x), model.predict(x), 'predictions');
  assert.is(fresh.optimizer!.iterations, model.optimizer!.iterations);
  setSeed(4);
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  setSeed(4);
  await fresh.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  assertSameWeights(fresh, model, 'weights after one more epoch');

  const uncompiled = make();
  await readKerasWeights(uncompiled, bytes, 'model.weights.h5');
  assert.is(uncompiled.optimizer, null);
});

test('.weights.h5: the weights of a Keras fixture load into the same architecture built in Unrolled', async () => {
  const weights = readZip(fixtureBytes('embedding_lstm'), 'x').read('model.weights.h5');
  const model = new Sequential([new InputLayer({ inputShape: [7] }), new Embedding(30, 6), new LSTM(5), new Dense(1, { activation: 'sigmoid' })]);
  await readKerasWeights(model, weights, 'model.weights.h5');
  const expected = await readKeras(fixtureBytes('embedding_lstm'), 'embedding_lstm.keras');
  const x = referenceInput(reference('embedding_lstm'));
  assertSameBits(model.predict(x), expected.predict(x), 'predictions');
});

test.run();
