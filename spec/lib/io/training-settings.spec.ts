/**
 * Training settings in model files: loss and metric objects with options,
 * weight decay, and the state of Adagrad, Adadelta and Nadam.
 *
 * The `.keras` side follows Keras 3.12's source: `Loss.get_config` gives
 * `{ name, reduction }`, BinaryCrossentropy and CategoricalCrossentropy
 * add `from_logits, label_smoothing, axis`, SparseCategoricalCrossentropy
 * `from_logits, ignore_class` (keras/src/losses/losses.py); `Metric.get_config`
 * gives `{ name, dtype }`, BinaryAccuracy adds `threshold`,
 * TopKCategoricalAccuracy `k`, Precision and Recall `thresholds, top_k,
 * class_id`, AUC `num_thresholds, curve, summation_method, multi_label,
 * num_labels, label_weights, from_logits` (keras/src/metrics/*); the base
 * optimizer's config holds `weight_decay`; `add_optimizer_variables` with
 * two names interleaves them per weight, and Nadam tracks `u_product` after
 * its momentums and velocities (keras/src/optimizers/*.py). The TF.js side
 * is TF.js itself, in process: it loads what Unrolled writes, names the
 * optimizer's weights `accumulator` (Adagrad), `accum_grad` and
 * `accum_var` (Adadelta), in that order.
 *
 * A saved and reloaded model trains on exactly as the original would have:
 * the same weights, bit for bit, after more epochs.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AUC, Adadelta, Adagrad, Adam, BinaryAccuracy, BinaryCrossentropy, CategoricalCrossentropy, Dense, LSTM, ModelCheckpoint, Nadam, Precision, Recall,
  Sequential, SparseCategoricalCrossentropy, TopKCategoricalAccuracy, clearSession, loadModel, randomUniform, setSeed, tensor,
  type IOHandler, type Model, type ModelArtifacts, type Optimizer, type Tensor,
} from '../../../lib/index.ts';
import { readKeras, writeKeras } from '../../../lib/io/keras3.ts';
import { assertMentions, assertSameWeights, entryText, errorOf, kerasLayout, withEntry } from './keras3-helpers.ts';

test.before.each(() => clearSession());

function classifier(units = 1, activation: 'sigmoid' | 'linear' = 'linear'): Sequential {
  return new Sequential([new LSTM(3, { inputShape: [4, 2] }), new Dense(units, { activation })]);
}

const binaryData = (): { x: Tensor; y: Tensor } => ({ x: randomUniform([8, 4, 2], -1, 1), y: tensor([1, 0, 0, 1, 1, 1, 0, 0], [8, 1]) });

async function tfjsArtifacts(model: Model): Promise<ModelArtifacts> {
  let artifacts: ModelArtifacts | null = null;
  const handler: IOHandler = {
    save: async (a: ModelArtifacts) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
  await model.save(handler, { includeOptimizer: true });
  return artifacts!;
}

/** Trains `model` 2 epochs, reloads it with `reload`, trains both 2 more epochs from one seed: the weights must agree bit for bit. */
async function assertTrainsOnIdentically(model: Model, x: Tensor, y: Tensor, reload: (m: Model) => Promise<Model>, what: string): Promise<Model> {
  await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  const back = await reload(model);
  assertSameWeights(back, model, `${what}: weights as saved`);
  assert.is(back.optimizer!.iterations, model.optimizer!.iterations, `${what}: iterations`);
  setSeed(7);
  await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  setSeed(7);
  await back.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  assertSameWeights(back, model, `${what}: weights after 2 more epochs`);
  return back;
}

// ---------------------------------------------------------------- losses and metrics

test('.keras: a loss with options is written as Keras 3.12 serializes the object, and read back into it; training goes on identically', async () => {
  setSeed(1);
  const model = classifier();
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }) });
  const { x, y } = binaryData();
  const back = await assertTrainsOnIdentically(model, x, y, async (m) => {
    const bytes = await writeKeras(m, { includeOptimizer: true });
    const compile = JSON.parse(entryText(bytes, 'config.json')).compile_config;
    assert.equal(compile.loss, {
      module: 'keras.losses', class_name: 'BinaryCrossentropy',
      config: { name: 'binary_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, label_smoothing: 0.1, axis: -1 },
      registered_name: null,
    });
    return readKeras(bytes, 'logits.keras');
  }, 'BinaryCrossentropy { fromLogits, labelSmoothing }');
  const loss = back.lossObjects[0];
  assert.ok(loss instanceof BinaryCrossentropy && loss.fromLogits && loss.labelSmoothing === 0.1, `read back as ${loss}`);
});

test('.keras: categorical and sparse categorical cross-entropy objects with their own keys; a default-option object is written by name', async () => {
  const written = async (loss: BinaryCrossentropy | CategoricalCrossentropy | SparseCategoricalCrossentropy): Promise<unknown> => {
    clearSession();
    const model = classifier(3);
    model.compile({ optimizer: 'sgd', loss });
    const bytes = await writeKeras(model, { includeOptimizer: true });
    const back = await readKeras(bytes, 'loss.keras');
    assert.is(String(back.lossObjects[0]), String(loss), 'read back with the same options');
    return JSON.parse(entryText(bytes, 'config.json')).compile_config.loss;
  };
  assert.equal(await written(new CategoricalCrossentropy({ labelSmoothing: 0.2 })), {
    module: 'keras.losses', class_name: 'CategoricalCrossentropy',
    config: { name: 'categorical_crossentropy', reduction: 'sum_over_batch_size', from_logits: false, label_smoothing: 0.2, axis: -1 },
    registered_name: null,
  });
  assert.equal(await written(new SparseCategoricalCrossentropy({ fromLogits: true })), {
    module: 'keras.losses', class_name: 'SparseCategoricalCrossentropy',
    config: { name: 'sparse_categorical_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, ignore_class: null },
    registered_name: null,
  });
  assert.is(await written(new BinaryCrossentropy()), 'binary_crossentropy');
});

test('.keras: metric objects with options are written with Keras 3.12\'s keys and read back under their names', async () => {
  const model = classifier(5, 'sigmoid');
  const metrics = [
    new AUC({ numThresholds: 11, name: 'auc_11' }), new Precision({ thresholds: 0.3 }), new Recall({ thresholds: 0.7 }),
    new TopKCategoricalAccuracy({ k: 2 }), new BinaryAccuracy({ threshold: 0.25 }), 'mse' as const,
  ];
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const written = JSON.parse(entryText(bytes, 'config.json')).compile_config.metrics;
  const object = (className: string, config: Record<string, unknown>): unknown => ({ module: 'keras.metrics', class_name: className, config, registered_name: null });
  assert.equal(written, [
    object('AUC', { name: 'auc_11', dtype: 'float32', num_thresholds: 11, curve: 'ROC', summation_method: 'interpolation', multi_label: false, num_labels: null, label_weights: null, from_logits: false }),
    object('Precision', { name: 'precision', dtype: 'float32', thresholds: 0.3, top_k: null, class_id: null }),
    object('Recall', { name: 'recall', dtype: 'float32', thresholds: 0.7, top_k: null, class_id: null }),
    object('TopKCategoricalAccuracy', { name: 'top_k_categorical_accuracy', dtype: 'float32', k: 2 }),
    object('BinaryAccuracy', { name: 'binary_accuracy', dtype: 'float32', threshold: 0.25 }),
    'mse',
  ]);
  const back = await readKeras(bytes, 'metrics.keras');
  const read = back.outputMetrics[0];
  assert.equal(read.map((m) => m.name), ['auc_11', 'precision', 'recall', 'top_k_categorical_accuracy', 'binary_accuracy', 'mse']);
  assert.equal(read.map((m) => m.changedOptions()), [{ num_thresholds: 11 }, { thresholds: 0.3 }, { thresholds: 0.7 }, { k: 2 }, { threshold: 0.25 }, {}]);
  assert.ok(read[0] instanceof AUC && read[1] instanceof Precision && read[2] instanceof Recall && read[4] instanceof BinaryAccuracy, 'the classes');
  // The same metrics on the same data: the reloaded model's logs equal the original's.
  const x = randomUniform([6, 4, 2], -1, 1);
  const y = tensor([1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0], [6, 5]);
  assert.equal(back.evaluate(x, y), model.evaluate(x, y));
});

test('.keras: a metric function cannot be written (its code is not in the file); the error names it and the way out', async () => {
  const model = classifier();
  model.compile({ optimizer: 'adam', loss: 'mse', metrics: [function meanPrediction(_y: Tensor, p: Tensor): Tensor { return p; }] });
  assertMentions(await errorOf(() => writeKeras(model, { includeOptimizer: true })), ["metric 'meanPrediction'", 'a function', 'without includeOptimizer']);
});

test('.keras compile_config Unrolled cannot honour: weighted_metrics (named as such), a loss reduction, an AUC curve; the model loads uncompiled', async () => {
  const model = classifier();
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  const written = await writeKeras(model, { includeOptimizer: true });
  const edit = (change: (compile: Record<string, unknown>) => void): Uint8Array => withEntry(written, 'config.json', (text) => {
    const config = JSON.parse(text);
    change(config.compile_config);
    return JSON.stringify(config);
  });
  const bce = (config: Record<string, unknown>): unknown => ({ module: 'keras.losses', class_name: 'BinaryCrossentropy', config, registered_name: null });
  const cases = [
    edit((c) => { c.weighted_metrics = ['mae']; }),
    edit((c) => { c.loss = bce({ name: 'bce', reduction: 'sum', from_logits: false, label_smoothing: 0.0, axis: -1 }); }),
    edit((c) => { c.metrics = [{ module: 'keras.metrics', class_name: 'AUC', config: { name: 'auc', curve: 'PR' }, registered_name: null }]; }),
  ];
  for (const [i, bytes] of cases.entries()) assert.is((await readKeras(bytes, `bad-${i}.keras`)).optimizer, null, `case ${i}: uncompiled`);
  const { compileSettingsFromKeras } = await import('../../../lib/io/keras3-read-compile.ts');
  const compileOf = (bytes: Uint8Array): Record<string, never> => JSON.parse(entryText(bytes, 'config.json')).compile_config;
  assert.throws(() => compileSettingsFromKeras(compileOf(cases[0]), 'w.keras'), /weighted_metrics is \["mae"\]; Unrolled weights the losses by sample weights but has no weighted metrics/);
  assert.throws(() => compileSettingsFromKeras(compileOf(cases[1]), 'r.keras'), /config key 'reduction' is "sum"; Unrolled reduces a loss as Keras's default 'sum_over_batch_size'/);
  assert.throws(() => compileSettingsFromKeras(compileOf(cases[2]), 'a.keras'), /config key 'curve' is "PR"; Unrolled computes the area under the ROC curve/);
});

test('TF.js format: a loss or metric with options, and a metric TF.js does not read, are refused before writing, naming the way out', async () => {
  const logits = classifier();
  logits.compile({ optimizer: 'adam', loss: new BinaryCrossentropy({ fromLogits: true }) });
  assertMentions(await errorOf(() => tfjsArtifacts(logits)), ['BinaryCrossentropy { fromLogits: true }', 'TF.js has no loss options', '.keras']);
  clearSession();
  const threshold = classifier();
  threshold.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: [new BinaryAccuracy({ threshold: 0.3 })] });
  assertMentions(await errorOf(() => tfjsArtifacts(threshold)), ["metric 'binary_accuracy'", 'not described by a name alone', '.keras']);
});

// ---------------------------------------------------------------- weight decay

test('.keras: weight_decay is written in the optimizer config and read back; training goes on identically', async () => {
  setSeed(2);
  const model = classifier();
  model.compile({ optimizer: new Adam({ learningRate: 0.01, weightDecay: 0.004 }), loss: 'binary_crossentropy' });
  const { x, y } = binaryData();
  const back = await assertTrainsOnIdentically(model, x, y, async (m) => {
    const bytes = await writeKeras(m, { includeOptimizer: true });
    assert.ok(entryText(bytes, 'config.json').includes('"weight_decay": 0.004,'), 'weight_decay in the config');
    return readKeras(bytes, 'decay.keras');
  }, 'Adam with weight decay');
  assert.is(back.optimizer!.weightDecay, 0.004);
});

test('TF.js format: weight decay cannot be written; the error names the optimizer, the value and the way out', async () => {
  const model = classifier();
  model.compile({ optimizer: new Adam({ weightDecay: 0.01 }), loss: 'mse' });
  assertMentions(await errorOf(() => tfjsArtifacts(model)), ['Adam', 'weightDecay 0.01', 'TF.js', '.keras', 'without includeOptimizer']);
});

// ---------------------------------------------------------------- Adagrad, Adadelta, Nadam

/** The optimizer/vars datasets of a .keras file, in order. */
function optimizerVars(bytes: Uint8Array): string[] {
  return kerasLayout(bytes).filter((l) => l.startsWith('dataset /optimizer/vars/'))
    .sort((a, b) => Number(a.split(' ')[1].split('/').at(-1)) - Number(b.split(' ')[1].split('/').at(-1)));
}

const LSTM_SHAPES = ['[2, 12]', '[3, 12]', '[12]', '[3, 1]', '[1]'];

const optimizers: Array<[string, () => Optimizer, (n: number) => string[]]> = [
  ['Adagrad', () => new Adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.2 }), () => LSTM_SHAPES],
  ['Adadelta', () => new Adadelta({ learningRate: 1, rho: 0.9 }), () => LSTM_SHAPES.flatMap((s) => [s, s])],
  ['Nadam', () => new Nadam({ learningRate: 0.01 }), () => [...LSTM_SHAPES.flatMap((s) => [s, s]), '[]']],
];

for (const [name, make, slotShapes] of optimizers) {
  test(`.keras: ${name}'s state in Keras 3's order, read back; training goes on identically`, async () => {
    setSeed(3);
    const model = classifier();
    model.compile({ optimizer: make(), loss: 'binary_crossentropy' });
    const { x, y } = binaryData();
    await assertTrainsOnIdentically(model, x, y, async (m) => {
      const bytes = await writeKeras(m, { includeOptimizer: true });
      const shapes = optimizerVars(bytes).map((l) => l.slice(l.indexOf('[')));
      assert.equal(shapes, ['[]', '[]', ...slotShapes(5)], `${name}: iterations, learning rate, then the slots`);
      assert.ok(entryText(bytes, 'config.json').includes(`"class_name": "${name}"`), 'the class');
      return readKeras(bytes, `${name}.keras`);
    }, name);
  });
}

test(".keras: Nadam's u_product is Π β₁(1 − ½·0.96ᵗ) over the steps taken; a file whose product disagrees with its step count is refused", async () => {
  setSeed(4);
  const model = classifier();
  model.compile({ optimizer: new Nadam({ beta1: 0.9 }), loss: 'mse' });
  const { x, y } = binaryData();
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const { openHdf5 } = await import('../../../lib/io/hdf5.ts');
  const { readZip } = await import('../../../lib/io/zip.ts');
  const h5 = openHdf5(readZip(bytes, 'n.keras').read('model.weights.h5'), 'w');
  const product = (h5.get('optimizer/vars/12') as unknown as { float32(): Float32Array }).float32()[0];
  // Two steps (8 samples in batches of 4): 0.9·(1 − 0.48) · 0.9·(1 − 0.4608).
  assert.is(product, Math.fround(0.9 * (1 - 0.5 * 0.96) * 0.9 * (1 - 0.5 * 0.96 * 0.96)));
  const { writeKerasWeights, readKerasWeights } = await import('../../../lib/io/keras3.ts');
  const weights = await writeKerasWeights(model);
  const other = classifier();
  other.compile({ optimizer: new Nadam({ beta1: 0.8 }), loss: 'mse' });
  other.predict(x);
  assertMentions(await errorOf(() => readKerasWeights(other, weights, 'nadam.weights.h5')), ["'/optimizer/vars/12'", "Nadam's u_product is", 'after 2 steps with beta_1 0.8']);
});

for (const [name, make, tfjsNames] of [
  ['Adagrad', () => new Adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.2 }), ['accumulator']],
  ['Adadelta', () => new Adadelta({ learningRate: 1, rho: 0.9, epsilon: 1e-6 }), ['accum_grad', 'accum_var']],
] as Array<[string, () => Optimizer, string[]]>) {
  test(`TF.js format: ${name} as TF.js names it; TF.js loads the state; Unrolled trains on identically`, async () => {
    setSeed(5);
    const model = classifier();
    model.compile({ optimizer: make(), loss: 'binary_crossentropy' });
    const { x, y } = binaryData();
    await assertTrainsOnIdentically(model, x, y, async (m) => {
      const artifacts = await tfjsArtifacts(m);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      assert.is(theirs.optimizer.getClassName(), name, 'TF.js made the optimizer');
      assert.equal(theirs.optimizer.getConfig(), (artifacts.trainingConfig!.optimizer_config as { config: object }).config, 'with the config written');
      const state = await theirs.optimizer.getWeights();
      const params = m.trainableNamedWeights();
      assert.equal(state.map((w) => w.name), ['iter', ...tfjsNames.flatMap((slot) => params.map(([p]) => `${p}/${slot}`))], "TF.js's order");
      const slots = m.optimizer!.getSlots(params.map(([, t]) => t)).slots;
      state.slice(1).forEach((w, i) => {
        const ours = slots[Math.floor(i / params.length)].values[i % params.length];
        assert.equal(Array.from(w.tensor.dataSync()), Array.from(ours), `${w.name}: TF.js holds the state written`);
      });
      return loadModel(artifacts);
    }, `${name} through model.json`);
  });
}

test('TF.js format: Nadam, and an Adagrad ε TF.js does not have, are refused before writing', async () => {
  const nadam = classifier();
  nadam.compile({ optimizer: new Nadam(), loss: 'mse' });
  assertMentions(await errorOf(() => tfjsArtifacts(nadam)), ['Nadam', 'TF.js has no Nadam optimizer', '.keras']);
  clearSession();
  const adagrad = classifier();
  adagrad.compile({ optimizer: new Adagrad({ epsilon: 1e-4 }), loss: 'mse' });
  assertMentions(await errorOf(() => tfjsArtifacts(adagrad)), ['Adagrad', 'epsilon 0.0001', '1e-7']);
});

test("optimizer configs: Adagrad, Adadelta, Nadam and weight_decay read in Keras's and TF.js's keys; a Keras 2 Adagrad or Nadam (another update rule) is refused in a legacy file", async () => {
  const { optimizerFromConfig } = await import('../../../lib/io/training-config.ts');
  const read = (cls: string, config: Record<string, unknown>, legacy = false): Optimizer => optimizerFromConfig({ class_name: cls, config: config as never }, 'f', legacy);
  assert.equal(read('Adagrad', { learning_rate: 0.1, initial_accumulator_value: 0.3, epsilon: 1e-6, weight_decay: 0.02 }).getConfig(), { learningRate: 0.1, weightDecay: 0.02, initialAccumulatorValue: 0.3, epsilon: 1e-6 });
  assert.equal(read('Adagrad', { learningRate: 0.1, initialAccumulatorValue: 0.3 }).getConfig(), { learningRate: 0.1, initialAccumulatorValue: 0.3, epsilon: 1e-7 });
  assert.equal(read('Adadelta', { learningRate: 1, rho: 0.9, epsilon: 1e-6 }).getConfig(), { learningRate: 1, rho: 0.9, epsilon: 1e-6 });
  assert.equal(read('Nadam', { learning_rate: 0.002, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-7 }).getConfig(), { learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
  // Keras 2's Adagrad adds epsilon outside the root; tf.keras 2.11's new optimizers (is_legacy_optimizer false) are Keras 3's.
  assert.throws(() => read('Adagrad', { lr: 0.01, epsilon: 1e-7, decay: 0 }, true), /f: a Keras 2 Adagrad updates the weights by another rule than Keras 3's/);
  assert.throws(() => read('Nadam', { lr: 0.002, schedule_decay: 0.004 }, true), /a Keras 2 Nadam/);
  assert.ok(read('Adagrad', { learning_rate: 0.01, is_legacy_optimizer: false }, true) instanceof Adagrad);
});

// ---------------------------------------------------------------- ModelCheckpoint

test('ModelCheckpoint refuses at the start of fit, before any training, a model its format cannot hold', async () => {
  const { mkdtempSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-ckpt-'));
  const { x, y } = binaryData();
  const cases: Array<[string, () => Optimizer | 'adam', unknown, string[]]> = [
    [join(dir, 'tfjs-{epoch}'), () => new Nadam(), 'mse', ['TF.js has no Nadam optimizer']],
    [join(dir, 'tfjs-{epoch}'), () => new Adam({ weightDecay: 0.1 }), 'mse', ['weightDecay 0.1']],
    [join(dir, 'tfjs-{epoch}'), () => 'adam', new BinaryCrossentropy({ fromLogits: true }), ['BinaryCrossentropy { fromLogits: true }']],
    [join(dir, 'm-{epoch}.keras'), () => 'adam', 'mse', ["metric 'f'", 'a function']],
  ];
  for (const [i, [path, optimizer, loss, parts]] of cases.entries()) {
    clearSession();
    const model = classifier();
    model.compile({ optimizer: optimizer(), loss: loss as 'mse', metrics: i === 3 ? [function f(_y: Tensor, p: Tensor): Tensor { return p; }] : [] });
    model.predict(x);
    const before = model.getWeights().map((t) => Array.from(t.data));
    let epochs = 0;
    const message = await errorOf(() => model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new ModelCheckpoint({ filepath: path }), { onEpochBegin: () => { epochs++; } }] }));
    assertMentions(message, [`ModelCheckpoint('${path}')`, 'no training is started', ...parts]);
    assert.is(epochs, 0, `case ${i}: no epoch began`);
    assert.equal(model.getWeights().map((t) => Array.from(t.data)), before, `case ${i}: weights untouched`);
  }
  assert.equal(readdirSync(dir), [], 'nothing written');
  // What the format holds passes: a .keras checkpoint of Nadam with weight decay and a loss with options.
  clearSession();
  const model = classifier();
  model.compile({ optimizer: new Nadam({ weightDecay: 0.01 }), loss: new BinaryCrossentropy({ fromLogits: true }) });
  await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new ModelCheckpoint({ filepath: join(dir, 'ok-{epoch}.keras') })] });
  const back = await loadModel(join(dir, 'ok-1.keras'));
  assertSameWeights(back, model, 'the checkpoint');
  assert.is(back.optimizer!.weightDecay, 0.01);
});

test.run();
