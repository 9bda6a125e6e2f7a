/**
 * Keras 3 compile_config with one loss per output: a model compiled with
 * per-output losses, loss weights and per-output metrics is written with
 * `includeOptimizer` (loss and loss_weights as lists, metrics as a list
 * per output, as `Trainer.get_compile_config()` serializes what compile was
 * given) and read back compiled the same way, its training going on
 * identically. A compile_config keyed by output name, with Keras loss
 * objects, reads too; one Unrolled cannot honour leaves the model
 * uncompiled instead of refusing the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, Dense, LSTM, Model, clearSession, input, randomUniform, setSeed, tensor, type SymbolicTensor, type Tensor } from '../../../lib/index.ts';
import { readKeras, writeKeras } from '../../../lib/io/keras3.ts';
import { assertSameBits, assertSameWeights, entryText, withEntry } from './keras3-helpers.ts';

test.before.each(() => clearSession());

function twoHeads(): Model<SymbolicTensor[]> {
  const x = input({ shape: [4, 3], name: 'x' });
  const h = new LSTM(5, { name: 'trunk' }).apply(x);
  const a = new Dense(2, { name: 'a' }).apply(h);
  const b = new Dense(1, { activation: 'sigmoid', name: 'b' }).apply(h);
  return new Model({ inputs: x, outputs: [a, b], name: 'two_heads' });
}

const data = (): { x: Tensor; y: Tensor[] } => ({
  x: randomUniform([6, 4, 3], -1, 1),
  y: [randomUniform([6, 2], -1, 1), tensor([1, 0, 0, 1, 1, 0], [6, 1])],
});

test('per-output losses, loss weights and metrics: written with includeOptimizer, read back compiled alike, training goes on identically', async () => {
  setSeed(1);
  const model = twoHeads();
  const { x, y } = data();
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: ['mse', 'binary_crossentropy'], lossWeights: [1, 0.5], metrics: { a: ['mae'], b: ['accuracy'] } });
  await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const compile = JSON.parse(entryText(bytes, 'config.json')).compile_config;
  assert.equal(compile.loss, ['mse', 'binary_crossentropy']);
  assert.equal(compile.loss_weights, [1, 0.5]);
  assert.equal(compile.metrics, [['mae'], ['accuracy']]);
  assert.ok(entryText(bytes, 'config.json').includes('"loss_weights": [1.0, 0.5]'), "Python's floats");
  const back = await readKeras<SymbolicTensor[]>(bytes, 'two_heads.keras');
  assert.equal(back.losses, ['mse', 'binary_crossentropy']);
  assert.equal(back.lossWeights, [1, 0.5]);
  assert.equal(back.outputMetricNames, model.outputMetricNames);
  assert.is(back.optimizer!.iterations, model.optimizer!.iterations);
  assertSameWeights(back, model, 'weights');
  const [pa, pb] = back.predict(x);
  const [ma, mb] = model.predict(x);
  assertSameBits(pa, ma, 'output a');
  assertSameBits(pb, mb, 'output b');
  setSeed(2);
  await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
  setSeed(2);
  await back.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
  assertSameWeights(back, model, 'weights after one more epoch');
});

test('one loss for every output with loss weights is written and read', async () => {
  const model = twoHeads();
  model.compile({ optimizer: 'rmsprop', loss: 'mse', lossWeights: [2, 1] });
  const bytes = await writeKeras(model, { includeOptimizer: true });
  const compile = JSON.parse(entryText(bytes, 'config.json')).compile_config;
  assert.is(compile.loss, 'mse');
  assert.equal(compile.loss_weights, [2, 1]);
  const back = await readKeras(bytes, 'w.keras');
  assert.equal(back.losses, ['mse', 'mse']);
  assert.equal(back.lossWeights, [2, 1]);
});

test('a compile_config keyed by output name, with Keras loss and metric objects, reads', async () => {
  const model = twoHeads();
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const bytes = withEntry(await writeKeras(model, { includeOptimizer: true }), 'config.json', (text) => {
    const config = JSON.parse(text);
    config.compile_config.loss = {
      b: { module: 'keras.losses', class_name: 'BinaryCrossentropy', config: { name: 'binary_crossentropy', reduction: 'sum_over_batch_size', from_logits: false, label_smoothing: 0.0, axis: -1 }, registered_name: null },
      a: 'mean_squared_error',
    };
    config.compile_config.loss_weights = { a: 0.25, b: 1.0 };
    config.compile_config.metrics = { b: [{ module: 'keras.metrics', class_name: 'BinaryAccuracy', config: { name: 'binary_accuracy', dtype: 'float32', threshold: 0.5 }, registered_name: null }] };
    return JSON.stringify(config);
  });
  const back = await readKeras(bytes, 'keyed.keras');
  assert.equal(back.losses, ['mse', 'binary_crossentropy']);
  assert.equal(back.lossWeights, [0.25, 1]);
  // Keras logs a BinaryAccuracy object under its own name.
  assert.equal(back.outputMetricNames, [[], ['binary_accuracy']]);
  assert.ok(back.optimizer, 'compiled');
});

test('a compile_config Unrolled cannot honour loads the model uncompiled (an unsupported loss, weighted metrics, a missing output)', async () => {
  const model = twoHeads();
  model.compile({ optimizer: 'adam', loss: ['mse', 'mse'] });
  const written = await writeKeras(model, { includeOptimizer: true });
  const edits: Array<(c: { compile_config: Record<string, unknown> }) => void> = [
    (c) => { c.compile_config.loss = ['mse', { module: 'keras.losses', class_name: 'Huber', config: {}, registered_name: null }]; },
    (c) => { c.compile_config.weighted_metrics = ['mae']; },
    (c) => { c.compile_config.loss = { a: 'mse' }; },
    (c) => { c.compile_config.loss = ['mse']; },
  ];
  const x = randomUniform([2, 4, 3], -1, 1);
  for (const [i, edit] of edits.entries()) {
    const bytes = withEntry(written, 'config.json', (text) => {
      const config = JSON.parse(text);
      edit(config);
      return JSON.stringify(config);
    });
    const back = await readKeras<SymbolicTensor[]>(bytes, `bad-${i}.keras`);
    assert.is(back.optimizer, null, `edit ${i}: uncompiled`);
    assertSameBits(back.predict(x)[0], model.predict(x)[0], `edit ${i}: still predicts`);
  }
});

test.run();
