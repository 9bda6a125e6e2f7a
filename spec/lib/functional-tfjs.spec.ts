/**
 * Functional models move between Unrolled and TensorFlow.js 4.22, proven by
 * TF.js in this process: Unrolled saves (class_name "Model", input_layers,
 * output_layers, inbound_nodes) and TF.js's `tf.loadLayersModel` reads the
 * files (through an IOHandler that reads them with node:fs) and predicts
 * what Unrolled predicts; TF.js builds functional models (shared layers,
 * several inputs and outputs, recurrent states passed as initial states,
 * nested models) and Unrolled loads what `tf.io.withSaveHandler` gives and
 * predicts what TF.js predicts.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, Bidirectional, Concatenate, Dense, Embedding, GRU, LSTM, Masking, Model, Sequential, SimpleRNN, TimeDistributed,
  clearSession, input, loadModel, setSeed, tensor, type ModelArtifacts, type SymbolicTensor,
} from '../../lib/index.ts';
import { PREDICTION_TOLERANCE, assertClose, filesHandler, maxAbsDiff } from './io/tfjs-helpers.ts';


const scratch = mkdtempSync(join(tmpdir(), 'unrolled-functional-tfjs-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.before.each(() => clearSession());

/** Deterministic values in [−1, 1), [batch, ...shape]. */
function values(shape: number[], seed: number): number[] {
  let s = seed;
  const n = shape.reduce((a, d) => a * d, 1);
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (2 * s) / 2147483648 - 1;
  });
}

function ids(shape: [number, number], vocabulary: number, seed: number): number[][] {
  const v = values(shape, seed);
  return Array.from({ length: shape[0] }, (_, b) => Array.from({ length: shape[1] }, (_, t) => Math.floor(((v[b * shape[1] + t] + 1) / 2) * vocabulary)));
}

interface Case {
  label: string;
  build: () => Model;
  /** Data for each input: [shape, values]. */
  inputs: () => Array<{ shape: number[]; data: number[] }>;
}

const CASES: Case[] = [
  {
    label: 'two inputs, two outputs, a Dense layer shared by both branches',
    build: () => {
      const a = input({ shape: [5, 3], name: 'seq' });
      const b = input({ shape: [4], name: 'vec' });
      const shared = new Dense(4, { activation: 'tanh', name: 'shared' });
      const left = new Dense(2, { name: 'left' }).apply(shared.apply(new LSTM(4).apply(a)));
      const right = new Dense(1, { activation: 'sigmoid', name: 'right' }).apply(shared.apply(b));
      return new Model({ inputs: [a, b], outputs: [left, right] });
    },
    inputs: () => [{ shape: [3, 5, 3], data: values([3, 5, 3], 1) }, { shape: [3, 4], data: values([3, 4], 2) }],
  },
  {
    label: 'LSTM encoder states initialise an LSTM decoder (teacher forcing), TimeDistributed(Dense(softmax))',
    build: () => {
      const enc = input({ shape: [null, 6], name: 'encoder_input' });
      const [, h, c] = new LSTM(5, { returnState: true, name: 'encoder' }).apply(enc);
      const dec = input({ shape: [null, 6], name: 'decoder_input' });
      const seq = new LSTM(5, { returnSequences: true, name: 'decoder' }).apply(dec, { initialState: [h, c] });
      return new Model({ inputs: [enc, dec], outputs: new TimeDistributed(new Dense(6, { activation: 'softmax' })).apply(seq) });
    },
    inputs: () => [{ shape: [2, 7, 6], data: values([2, 7, 6], 3) }, { shape: [2, 4, 6], data: values([2, 4, 6], 4) }],
  },
  {
    label: 'GRU (resetAfter false) and SimpleRNN states, returnState outputs of the model, goBackwards',
    build: () => {
      const x = input({ shape: [6, 3] });
      const [seq, h] = new GRU(4, { returnState: true, returnSequences: true, resetAfter: false, goBackwards: true }).apply(x);
      const [last, h2] = new SimpleRNN(4, { returnState: true }).apply(seq, { initialState: [h] });
      return new Model({ inputs: x, outputs: [last, h2, h] });
    },
    inputs: () => [{ shape: [3, 6, 3], data: values([3, 6, 3], 5) }],
  },
  {
    label: 'Bidirectional(LSTM) returnState (forward then backward states) into a Bidirectional decoder, mergeMode null',
    build: () => {
      const enc = input({ shape: [5, 2] });
      const [, hf, cf, hb, cb] = new Bidirectional(new LSTM(3, { returnState: true })).apply(enc);
      const dec = input({ shape: [4, 2] });
      const [forward, backward] = new Bidirectional(new LSTM(3, { returnSequences: true }), { mergeMode: null }).apply(dec, { initialState: [hf, cf, hb, cb] });
      return new Model({ inputs: [enc, dec], outputs: [forward, backward] });
    },
    inputs: () => [{ shape: [2, 5, 2], data: values([2, 5, 2], 6) }, { shape: [2, 4, 2], data: values([2, 4, 2], 7) }],
  },
  {
    label: 'Concatenate of an LSTM and a GRU branch, Add of two Dense heads',
    build: () => {
      const x = input({ shape: [5, 3] });
      const joined = new Concatenate().apply([new LSTM(3).apply(x), new GRU(2, { resetAfter: false }).apply(x)]);
      return new Model({ inputs: x, outputs: new Add().apply([new Dense(2).apply(joined), new Dense(2, { activation: 'tanh' }).apply(joined)]) });
    },
    inputs: () => [{ shape: [3, 5, 3], data: values([3, 5, 3], 12) }],
  },
  {
    label: 'a nested Model applied twice and a nested Sequential',
    build: () => {
      const inner = input({ shape: [4, 3] });
      const encoder = new Model({ inputs: inner, outputs: new GRU(4, { resetAfter: false }).apply(inner), name: 'encoder' });
      const head = new Sequential([new Dense(3, { activation: 'relu', inputShape: [4] }), new Dense(1)], { name: 'head' });
      const a = input({ shape: [4, 3] });
      const b = input({ shape: [4, 3] });
      return new Model({ inputs: [a, b], outputs: [head.apply(encoder.apply(a)), head.apply(encoder.apply(b))] });
    },
    inputs: () => [{ shape: [2, 4, 3], data: values([2, 4, 3], 8) }, { shape: [2, 4, 3], data: values([2, 4, 3], 9) }],
  },
  {
    // TF.js 4.22's executor keeps the mask of the first masked node for every node after it
    // (kwargs outlive their node), so the masked layers come last in these graphs.
    label: 'Embedding(maskZero) into stacked LSTMs, the last one with returnState',
    build: () => {
      const words = input({ shape: [6] });
      const embedded = new Embedding(20, 4, { maskZero: true }).apply(words);
      const [out, h, c] = new LSTM(3, { returnState: true }).apply(new LSTM(4, { returnSequences: true }).apply(embedded));
      return new Model({ inputs: words, outputs: [out, h, c] });
    },
    inputs: () => [{ shape: [3, 6], data: ids([3, 6], 20, 10).map((row, i) => row.map((v, t) => (t < 2 * i ? 0 : v))).flat() }],
  },
  {
    label: 'Masking (steps of zeros) into a Bidirectional GRU (resetAfter false), mergeMode sum',
    build: () => {
      const frames = input({ shape: [5, 2] });
      const seen = new Bidirectional(new GRU(3, { resetAfter: false }), { mergeMode: 'sum' }).apply(new Masking().apply(frames));
      return new Model({ inputs: frames, outputs: seen });
    },
    inputs: () => [{ shape: [3, 5, 2], data: values([3, 5, 2], 11).map((v, k) => (k >= 10 && Math.floor(k / 2) % 5 < Math.floor(k / 10) ? 0 : v)) }],
  },
];

for (const c of CASES) {
  test(`Unrolled → TF.js: ${c.label}; every output within ${PREDICTION_TOLERANCE}`, async () => {
    setSeed(21);
    const model = c.build();
    const data = c.inputs();
    const ours = model.predict(data.map((d) => tensor(d.data, d.shape)));
    const oursList = Array.isArray(ours) ? ours : [ours];
    const dir = join(scratch, c.label.replace(/\W+/g, '_').slice(0, 60));
    await model.save(dir);
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { class_name: string; config: { input_layers: unknown[]; output_layers: unknown[] } } };
    assert.is(saved.modelTopology.class_name, 'Model');
    assert.is(saved.modelTopology.config.input_layers.length, model.inputs.length);
    assert.is(saved.modelTopology.config.output_layers.length, model.outputs.length);
    const theirs = await tf.loadLayersModel(filesHandler(dir));
    const predicted = theirs.predict(data.map((d) => tf.tensor(d.data, d.shape)));
    const theirList = Array.isArray(predicted) ? predicted : [predicted];
    assert.is(theirList.length, oursList.length, 'as many outputs');
    oursList.forEach((o, k) => {
      assert.equal(theirList[k].shape, o.shape, `output ${k}: shape`);
      const diff = assertClose(`${c.label}, output ${k}`, o.data, theirList[k].dataSync());
      console.log(`  ${c.label}, output ${k}: max |Unrolled − TF.js| = ${diff.toExponential(2)}`);
    });
    // And back: Unrolled reads its own files with the same predictions, bit for bit.
    const back = await loadModel<SymbolicTensor[]>(dir);
    const again = back.predict(data.map((d) => tensor(d.data, d.shape)));
    (Array.isArray(again) ? again : [again]).forEach((t, k) => assert.ok(maxAbsDiff(t.data, oursList[k].data).diff === 0, `output ${k}: bit-identical after the round trip`));
  });
}

test('includeOptimizer with one loss per output: TF.js compiles from the file; Unrolled trains on exactly as before; loss weights come back', async () => {
  setSeed(22);
  const x = input({ shape: [4, 2], name: 'x' });
  const h = new LSTM(3).apply(x);
  const model = new Model({ inputs: x, outputs: [new Dense(1, { name: 'reg' }).apply(h), new Dense(1, { activation: 'sigmoid', name: 'cls' }).apply(h)] });
  model.compile({ optimizer: 'adam', loss: { reg: 'mse', cls: 'binary_crossentropy' }, metrics: { cls: ['acc'] } });
  const data = tensor(values([6, 4, 2], 23), [6, 4, 2]);
  const targets = [tensor(values([6, 1], 24), [6, 1]), tensor([[1], [0], [1], [0], [1], [1]])];
  model.trainOnBatch(data, targets);
  const dir = join(scratch, 'per-output-losses');
  await model.save(dir, { includeOptimizer: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { trainingConfig: Record<string, unknown> };
  assert.equal(json.trainingConfig.loss, { reg: 'mean_squared_error', cls: 'binary_crossentropy' });
  assert.equal(json.trainingConfig.metrics, { reg: [], cls: ['acc'] });
  const theirs = await tf.loadLayersModel(tf.io.fromMemory({ ...(await filesHandler(dir).load!()), trainingConfig: json.trainingConfig as unknown as tf.io.TrainingConfig }));
  assert.is(theirs.optimizer.getClassName(), 'Adam', 'TF.js compiled the model from the training config');
  const back = await loadModel<SymbolicTensor[]>(dir);
  assert.equal(back.losses, ['mse', 'binary_crossentropy']);
  assert.equal(back.outputMetricNames, [[], ['acc']]);
  assert.is(back.trainOnBatch(data, targets), model.trainOnBatch(data, targets), 'the next step gives the same loss');

  model.compile({ optimizer: 'sgd', loss: ['mse', 'binary_crossentropy'], lossWeights: [0.25, 4] });
  await model.save(dir, { includeOptimizer: true });
  const weighted = await loadModel<SymbolicTensor[]>(dir);
  assert.equal(weighted.lossWeights, [0.25, 4]);
});

/** What TF.js writes through `tf.io.withSaveHandler`. */
async function savedByTfjs(model: tf.LayersModel): Promise<ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts! as unknown as ModelArtifacts;
}

const TFJS_CASES: Array<{ label: string; build: () => tf.LayersModel; inputs: () => Array<{ shape: number[]; data: number[] }> }> = [
  {
    label: 'two inputs, two outputs, a shared Dense',
    build: () => {
      const a = tf.input({ shape: [5, 3] });
      const b = tf.input({ shape: [4] });
      const shared = tf.layers.dense({ units: 4, activation: 'tanh' });
      const left = tf.layers.dense({ units: 2 }).apply(shared.apply(tf.layers.lstm({ units: 4 }).apply(a))) as tf.SymbolicTensor;
      const right = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(shared.apply(b)) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: [left, right] });
    },
    inputs: () => [{ shape: [3, 5, 3], data: values([3, 5, 3], 31) }, { shape: [3, 4], data: values([3, 4], 32) }],
  },
  {
    label: 'an LSTM encoder\'s states as the initial state of an LSTM decoder',
    build: () => {
      const enc = tf.input({ shape: [null, 4] });
      const [, h, c] = tf.layers.lstm({ units: 5, returnState: true }).apply(enc) as tf.SymbolicTensor[];
      const dec = tf.input({ shape: [null, 4] });
      const seq = tf.layers.lstm({ units: 5, returnSequences: true }).apply(dec, { initialState: [h, c] }) as tf.SymbolicTensor;
      const out = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'softmax' }) }).apply(seq) as tf.SymbolicTensor;
      return tf.model({ inputs: [enc, dec], outputs: out });
    },
    inputs: () => [{ shape: [2, 6, 4], data: values([2, 6, 4], 33) }, { shape: [2, 3, 4], data: values([2, 3, 4], 34) }],
  },
  {
    label: 'GRU states (returnState, resetAfter false) as outputs, a layer applied twice',
    build: () => {
      const x = tf.input({ shape: [6, 3] });
      const gru = tf.layers.gru({ units: 4, returnState: true, resetAfter: false } as Parameters<typeof tf.layers.gru>[0]);
      const [out, h] = gru.apply(x) as tf.SymbolicTensor[];
      const reversed = tf.layers.simpleRNN({ units: 3, goBackwards: true }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: [out, h, reversed] });
    },
    inputs: () => [{ shape: [3, 6, 3], data: values([3, 6, 3], 35) }],
  },
  {
    label: 'a nested model applied to two inputs',
    build: () => {
      const inner = tf.input({ shape: [4, 2] });
      const encoder = tf.model({ inputs: inner, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.lstm({ units: 3 }).apply(inner)) as tf.SymbolicTensor });
      const a = tf.input({ shape: [4, 2] });
      const b = tf.input({ shape: [4, 2] });
      return tf.model({ inputs: [a, b], outputs: [encoder.apply(a) as tf.SymbolicTensor, encoder.apply(b) as tf.SymbolicTensor] });
    },
    inputs: () => [{ shape: [2, 4, 2], data: values([2, 4, 2], 36) }, { shape: [2, 4, 2], data: values([2, 4, 2], 37) }],
  },
];

for (const c of TFJS_CASES) {
  test(`TF.js → Unrolled: ${c.label}; every output within ${PREDICTION_TOLERANCE}`, async () => {
    const model = c.build();
    const data = c.inputs();
    const predicted = model.predict(data.map((d) => tf.tensor(d.data, d.shape)));
    const theirs = Array.isArray(predicted) ? predicted : [predicted];
    const ours = await loadModel<SymbolicTensor[]>(await savedByTfjs(model));
    const out = ours.predict(data.map((d) => tensor(d.data, d.shape)));
    const list = Array.isArray(out) ? out : [out];
    assert.is(list.length, theirs.length, 'as many outputs');
    list.forEach((t, k) => {
      assert.equal(t.shape, theirs[k].shape, `output ${k}: shape`);
      const diff = assertClose(`${c.label}, output ${k}`, t.data, theirs[k].dataSync());
      console.log(`  ${c.label}, output ${k}: max |Unrolled − TF.js| = ${diff.toExponential(2)}`);
    });
  });
}

test.run();
