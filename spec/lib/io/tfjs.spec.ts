/**
 * Models move between Unrolled and TensorFlow.js 4.22, proven by TF.js
 * itself in this process: Unrolled saves to a folder and TF.js's
 * `tf.loadLayersModel` reads the files (through an IOHandler that reads
 * them with node:fs, not with Unrolled's reader); TF.js saves through
 * `tf.io.withSaveHandler` and Unrolled loads; and every model TF.js wrote in
 * spec/fixtures/models/tfjs (copied from the project's shared fixtures) loads and reproduces the outputs TF.js computed.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Activation, Adam, Bidirectional, Dense, Dropout, Embedding, GRU, LSTM, Masking, RMSprop, RepeatVector, SGD, Sequential, SimpleRNN,
  TimeDistributed,
  clearSession, loadModel, setSeed, type Layer, type ModelArtifacts,
} from '../../../lib/index.ts';
import { PREDICTION_TOLERANCE, assertClose, filesHandler, maxAbsDiff } from './tfjs-helpers.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/models/tfjs');

const scratch = mkdtempSync(join(tmpdir(), 'unrolled-tfjs-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.before.each(() => clearSession());

function ids(batch: number, steps: number, vocabulary: number, seed: number): number[][] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: batch }, () => Array.from({ length: steps }, () => Math.floor(next() * vocabulary)));
}

function features(batch: number, steps: number, d: number, seed: number): number[][][] {
  const flat = ids(batch, steps * d, 1000, seed);
  return flat.map((row) => Array.from({ length: steps }, (_, t) => row.slice(t * d, (t + 1) * d).map((v) => v / 500 - 1)));
}

interface Case {
  label: string;
  build: () => Layer[];
  input: () => number[][] | number[][][];
}

const VOCAB = 30;
const CASES: Case[] = [
  {
    label: 'Embedding + LSTM + Dense(sigmoid)',
    build: () => [new Embedding(VOCAB, 6, { inputLength: 7 }), new LSTM(5), new Dense(1, { activation: 'sigmoid' })],
    input: () => ids(4, 7, VOCAB, 1),
  },
  {
    label: 'Embedding(maskZero) + LSTM (padded inputs)',
    build: () => [new Embedding(VOCAB, 6, { maskZero: true, inputLength: 7 }), new LSTM(5), new Dense(1, { activation: 'sigmoid' })],
    input: () => ids(4, 7, VOCAB, 2).map((row, i) => row.map((v, t) => (t < i ? 0 : v))),
  },
  {
    label: 'GRU resetAfter false + Dense(softmax)',
    build: () => [new GRU(4, { inputShape: [6, 3], resetAfter: false }), new Dense(3, { activation: 'softmax' })],
    input: () => features(5, 6, 3, 3),
  },
  {
    label: 'SimpleRNN + Dense(linear)',
    build: () => [new SimpleRNN(4, { inputShape: [6, 3] }), new Dense(2)],
    input: () => features(5, 6, 3, 4),
  },
  {
    label: 'Bidirectional(LSTM) concat',
    build: () => [new Embedding(VOCAB, 4, { inputLength: 5 }), new Bidirectional(new LSTM(3)), new Dense(1, { activation: 'sigmoid' })],
    input: () => ids(3, 5, VOCAB, 5),
  },
  {
    label: 'Bidirectional(LSTM returnSequences) sum + TimeDistributed(Dense) + Activation',
    build: () => [
      new Embedding(VOCAB, 4, { inputLength: 5 }),
      new Bidirectional(new LSTM(3, { returnSequences: true }), { mergeMode: 'sum' }),
      new TimeDistributed(new Dense(2)),
      new Activation('softmax'),
    ],
    input: () => ids(3, 5, VOCAB, 6),
  },
  {
    label: 'stacked SimpleRNN → GRU → LSTM (returnSequences) with Dropout, go_backwards',
    build: () => [
      new SimpleRNN(4, { inputShape: [6, 3], returnSequences: true }),
      new Dropout(0.3),
      new GRU(4, { returnSequences: true, resetAfter: false, goBackwards: true }),
      new LSTM(3, { recurrentActivation: 'hard_sigmoid' }),
      new Dense(2, { activation: 'tanh' }),
    ],
    input: () => features(4, 6, 3, 7),
  },
  {
    label: 'Masking + LSTM(returnSequences) + TimeDistributed(Dense(softmax))',
    build: () => [
      new Masking({ inputShape: [6, 3] }),
      new LSTM(4, { returnSequences: true }),
      new TimeDistributed(new Dense(3, { activation: 'softmax' })),
    ],
    input: () => features(4, 6, 3, 19).map((row, i) => row.map((step, t) => (t < i ? step.map(() => 0) : step))),
  },
  {
    label: 'LSTM + RepeatVector + GRU(returnSequences) + TimeDistributed(Dense(softmax)) (an encoder-decoder)',
    build: () => [
      new LSTM(4, { inputShape: [6, 3] }),
      new RepeatVector(3),
      new GRU(4, { returnSequences: true, resetAfter: false }),
      new TimeDistributed(new Dense(3, { activation: 'softmax' })),
    ],
    input: () => features(4, 6, 3, 21),
  },
];

for (const c of CASES) {
  test(`Unrolled → TF.js: ${c.label}; predictions agree within ${PREDICTION_TOLERANCE}`, async () => {
    setSeed(11);
    const model = new Sequential(c.build());
    const x = c.input();
    const ours = model.predict(x);
    const dir = join(scratch, c.label.replace(/\W+/g, '_'));
    await model.save(dir);
    const theirs = await tf.loadLayersModel(filesHandler(dir));
    const out = theirs.predict(tf.tensor(x)) as tf.Tensor;
    assert.equal(out.shape, ours.shape, 'output shapes');
    const diff = assertClose(c.label, ours.data, out.dataSync());
    console.log(`  ${c.label}: max |Unrolled − TF.js| = ${diff.toExponential(2)}`);
    // And back: the files load in Unrolled with the same predictions, bit for bit.
    const back = await loadModel(dir);
    assert.ok(maxAbsDiff(back.predict(x).data, ours.data).diff === 0, 'Unrolled round trip is bit-identical');
  });
}

/** What TF.js writes through `tf.io.withSaveHandler`. */
async function savedByTfjs(model: tf.LayersModel, includeOptimizer = false): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer });
  return artifacts!;
}

const TFJS_CASES: Array<{ label: string; build: () => tf.Sequential; input: () => number[][] | number[][][] }> = [
  {
    label: 'Embedding + LSTM + Dense(sigmoid)',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: 6 }),
      tf.layers.lstm({ units: 4 }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ] }),
    input: () => ids(4, 6, VOCAB, 8),
  },
  {
    label: 'GRU (hard_sigmoid, go_backwards) + Dense(softmax)',
    build: () => tf.sequential({ layers: [
      tf.layers.gru({ units: 4, inputShape: [6, 3], goBackwards: true }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ] }),
    input: () => features(4, 6, 3, 9),
  },
  {
    label: 'SimpleRNN(returnSequences) → Bidirectional(LSTM, ave) + Dense',
    build: () => tf.sequential({ layers: [
      tf.layers.simpleRNN({ units: 4, inputShape: [6, 3], returnSequences: true }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3 }) as tf.RNN, mergeMode: 'ave' }),
      tf.layers.dense({ units: 2 }),
    ] }),
    input: () => features(4, 6, 3, 10),
  },
  {
    label: 'Embedding(maskZero) + LSTM(returnSequences) + TimeDistributed(Dense, no bias) + Activation',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: 5, maskZero: true }),
      tf.layers.lstm({ units: 3, returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, useBias: false }) }),
      tf.layers.activation({ activation: 'softmax' }),
    ] }),
    input: () => ids(3, 5, VOCAB, 11).map((row) => row.map((v, t) => (t < 2 ? 0 : v))),
  },
  {
    label: 'Masking + SimpleRNN(returnSequences) + LSTM + Dense',
    build: () => tf.sequential({ layers: [
      tf.layers.masking({ inputShape: [6, 3], maskValue: 0 }),
      tf.layers.simpleRNN({ units: 4, returnSequences: true }),
      tf.layers.lstm({ units: 3 }),
      tf.layers.dense({ units: 2 }),
    ] }),
    input: () => features(4, 6, 3, 20).map((row, i) => row.map((step, t) => (t < i ? step.map(() => 0) : step))),
  },
  {
    label: 'SimpleRNN + RepeatVector + LSTM(returnSequences) + TimeDistributed(Dense)',
    build: () => tf.sequential({ layers: [
      tf.layers.simpleRNN({ units: 4, inputShape: [6, 3] }),
      tf.layers.repeatVector({ n: 3 }),
      tf.layers.lstm({ units: 3, returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
    ] }),
    input: () => features(4, 6, 3, 22),
  },
];

for (const c of TFJS_CASES) {
  test(`TF.js → Unrolled: ${c.label}; predictions agree within ${PREDICTION_TOLERANCE}`, async () => {
    const model = c.build();
    const x = c.input();
    const theirs = (model.predict(tf.tensor(x)) as tf.Tensor).dataSync();
    const artifacts = await savedByTfjs(model);
    const ours = await loadModel(artifacts as unknown as ModelArtifacts);
    const diff = assertClose(c.label, ours.predict(x).data, theirs);
    console.log(`  ${c.label}: max |Unrolled − TF.js| = ${diff.toExponential(2)}`);
  });
}

interface Reference {
  cases: Array<{ label: string; input: { shape: number[]; data: number[] | number[][] }; output: { shape: number[]; data: number[] } }>;
}

for (const name of ['simple_rnn', 'gru', 'bidirectional_lstm', 'time_distributed_lstm', 'e2e_gru']) {
  test(`fixture ${name} (written by TF.js) loads and reproduces TF.js's outputs`, async () => {
    const model = await loadModel(join(FIXTURES, name));
    const reference = JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as Reference;
    for (const c of reference.cases) {
      const input = c.input.data as number[][];
      const out = model.predict(input);
      assert.equal(out.shape, c.output.shape, `${name}, ${c.label}: output shape`);
      const flat = (c.output.data as unknown as number[]).flat(3);
      const diff = assertClose(`${name}, ${c.label}`, out.data, flat);
      console.log(`  ${name}, ${c.label}: max |Unrolled − TF.js| = ${diff.toExponential(2)}`);
    }
  });
}

test('the Python converter layout loads: model_config and training_config (lr), several groups of extensionless shards, cell segments and :0', async () => {
  const json = JSON.parse(readFileSync(join(FIXTURES, 'gru', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  const bytes = readFileSync(join(FIXTURES, 'gru', 'weights.bin'));
  const [embedding, ...gru] = json.weightsManifest[0].weights;
  const dir = join(scratch, 'converter');
  mkdirSync(dir);
  const model = {
    modelTopology: {
      keras_version: '2.2.4',
      backend: 'tensorflow',
      model_config: json.modelTopology,
      training_config: {
        optimizer_config: { class_name: 'RMSprop', config: { lr: 0.0025, rho: 0.9, decay: 0, epsilon: 1e-7 } },
        loss: 'binary_crossentropy',
        metrics: ['acc'],
      },
    },
    // The GRU's group first, split over two shards; the embedding's after it.
    weightsManifest: [
      { paths: ['group1-shard1of2', 'group1-shard2of2'], weights: gru.map((w) => ({ ...w, name: `${w.name.replace('/', '/gru_cell/')}:0` })) },
      { paths: ['group2-shard1of1'], weights: [{ ...embedding, name: `${embedding.name}:0` }] },
    ],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  writeFileSync(join(dir, 'group1-shard1of2'), bytes.subarray(8000, 8100));
  writeFileSync(join(dir, 'group1-shard2of2'), bytes.subarray(8100));
  writeFileSync(join(dir, 'group2-shard1of1'), bytes.subarray(0, 8000));
  const loaded = await loadModel(dir);
  const reference = JSON.parse(readFileSync(join(FIXTURES, 'gru', 'reference.json'), 'utf8')) as Reference;
  assertClose('converter layout', loaded.predict(reference.cases[0].input.data as number[][]).data, reference.cases[0].output.data);
  assert.ok(loaded.optimizer instanceof RMSprop, 'compiled with RMSprop');
  assert.is(loaded.optimizer!.learningRate, 0.0025, 'learning rate from lr');
  assert.is(loaded.loss, 'binary_crossentropy');
  assert.equal(loaded.metricNames, ['acc']);
});

test('includeOptimizer: Unrolled\'s RMSprop state and training config load in TF.js, which trains on from it', async () => {
  setSeed(12);
  const model = new Sequential([new Embedding(VOCAB, 4, { inputLength: 5 }), new LSTM(3), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const x = ids(8, 5, VOCAB, 13);
  const y = x.map((row) => [row[0] > VOCAB / 2 ? 1 : 0]);
  for (let i = 0; i < 3; i++) model.trainOnBatch(x, y);
  const dir = join(scratch, 'with-optimizer');
  await model.save(dir, { includeOptimizer: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const optimizerSpecs = manifest.weightsManifest[0].weights.filter((w) => w.group === 'optimizer');
  assert.is(optimizerSpecs[0].name, 'iter');

  const theirs = await tf.loadLayersModel(filesHandler(dir));
  assert.ok(theirs.optimizer, 'TF.js compiled the model from the training config');
  const tfWeights = await theirs.optimizer.getWeights();
  assert.is(tfWeights[0].tensor.dataSync()[0], 3, 'iterations');
  const rms = tfWeights.find((w) => w.name === 'lstm/kernel/rms')!;
  const ours = model.optimizer!.getSlots(model.trainableWeightTensors());
  const kernelIndex = model.trainableNamedWeights().findIndex(([n]) => n === 'lstm/kernel');
  assertClose('lstm/kernel/rms', rms.tensor.dataSync(), ours.slots[0].values[kernelIndex], 0);

  // And back: the reloaded Unrolled model continues exactly as the original.
  const back = await loadModel(dir);
  assert.ok(back.optimizer instanceof RMSprop);
  const before = model.trainOnBatch(x, y);
  const after = back.trainOnBatch(x, y);
  assert.is(after, before, 'the next training step gives the same loss');
  assertClose('weights after one more step', back.predict(x).data, model.predict(x).data, 0);
});

test('includeOptimizer: TF.js\'s Adam state loads into Unrolled (slots, iterations, settings)', async () => {
  const model = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2] }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'meanSquaredError' });
  const x = tf.tensor(features(6, 4, 2, 14));
  const y = tf.ones([6, 1]);
  await model.fit(x, y, { epochs: 2, batchSize: 6, verbose: 0 });
  const artifacts = await savedByTfjs(model, true);
  const ours = await loadModel(artifacts as unknown as ModelArtifacts);
  assert.ok(ours.optimizer instanceof Adam, `optimizer ${ours.optimizer?.name}`);
  assert.is(ours.optimizer!.learningRate, 0.005);
  assert.is(ours.loss, 'mse');
  const slots = ours.optimizer!.getSlots(ours.trainableWeightTensors());
  assert.is(slots.iterations, 2);
  const tfWeights = await model.optimizer.getWeights();
  const names = ours.trainableNamedWeights().map(([n]) => n);
  for (const [k, slot] of [['m', 0], ['v', 1]] as const) {
    names.forEach((n, i) => {
      const theirs = tfWeights.find((w) => w.name === `${n}/${k}`);
      assert.ok(theirs, `TF.js has ${n}/${k}`);
      assertClose(`${n}/${k}`, slots.slots[slot].values[i], theirs!.tensor.dataSync(), 0);
    });
  }
});

test('SGD with momentum travels as TF.js\'s Momentum optimizer', async () => {
  setSeed(15);
  const model = new Sequential([new SimpleRNN(3, { inputShape: [4, 2] }), new Dense(1)]);
  model.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'mse' });
  const x = features(6, 4, 2, 16);
  const y = x.map(() => [0.5]);
  model.trainOnBatch(x, y);
  model.trainOnBatch(x, y);
  const dir = join(scratch, 'momentum');
  await model.save(dir, { includeOptimizer: true });
  const theirs = await tf.loadLayersModel(filesHandler(dir));
  assert.is(theirs.optimizer.getClassName(), 'Momentum');
  const back = await loadModel(dir);
  assert.is(back.trainOnBatch(x, y), model.trainOnBatch(x, y), 'the next step gives the same loss');
});

test('GRU resetAfter true (the Keras default) is saved as Keras writes it and read back; TF.js itself rejects it', async () => {
  setSeed(17);
  const model = new Sequential([new GRU(4, { inputShape: [5, 3] }), new Dense(1)]);
  const x = features(3, 5, 3, 18);
  const dir = join(scratch, 'gru-reset-after');
  await model.save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ config: { reset_after?: boolean } }> } }; weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }> };
  assert.is(json.modelTopology.config.layers[0].config.reset_after, true);
  assert.equal(json.weightsManifest[0].weights.find((w) => w.name === 'gru/bias')!.shape, [2, 12]);
  const back = await loadModel(dir);
  assert.ok(maxAbsDiff(back.predict(x).data, model.predict(x).data).diff === 0, 'bit-identical after the round trip');
  let rejected: unknown = null;
  try {
    await tf.loadLayersModel(filesHandler(dir));
  } catch (err) {
    rejected = err;
  }
  assert.ok(rejected instanceof Error, 'TF.js 4.22 cannot load a reset_after GRU');
  console.log(`  TF.js: ${(rejected as Error).message.slice(0, 100)}`);
});

test.run();
