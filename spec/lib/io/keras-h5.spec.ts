/**
 * Legacy Keras HDF5 files, proven by Keras itself: the models Keras 1.2.2
 * and Keras 2.1.3 wrote (spec/fixtures/models/keras) load and reproduce the
 * predictions and per-layer activations Keras computed for them, at the
 * file's batch size and at others. Then broken and hostile variants of
 * those files, each refused with an error naming the file and what is
 * wrong: the variants are made with h5wasm (the HDF5 C library), by
 * rewriting an attribute or patching bytes.
 */
import h5wasm, { File as H5File } from 'h5wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LSTM, RMSprop, clearSession, tensor, type Layer, type Model, type Tensor } from '../../../lib/index.ts';
import { openHdf5 } from '../../../lib/io/hdf5.ts';
import { readKerasH5 } from '../../../lib/io/keras-h5.ts';

/** Unrolled against Keras's stored outputs: |ours − Keras| ≤ this × max(|Keras|, RELATIVE_FLOOR). */
const RELATIVE_TOLERANCE = 1e-5;
/** Below this magnitude the tolerance is absolute (float32 rounding of values near 0 is not relative). */
const RELATIVE_FLOOR = 1e-2;
const DIR = join(import.meta.dirname, '../../fixtures/models/keras');
const KERAS1 = 'simple_lstm_tf_keras_1';
const KERAS2 = 'simple_flatten_lstm_tf_keras_2';

const { FS } = await h5wasm.ready;
test.before.each(() => clearSession());

function bytesOf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DIR, name)));
}

let edits = 0;
/** `bytes` changed through h5wasm: written to its in-memory file system, opened for writing, edited, read back. */
function edited(bytes: Uint8Array, edit: (file: H5File) => void): Uint8Array {
  const path = `/edit-${edits++}.h5`;
  FS!.writeFile(path, bytes);
  const file = new H5File(path, 'a');
  edit(file);
  file.close();
  const out = FS!.readFile(path);
  FS!.unlink(path);
  return out;
}

/** The fixture with its model_config (a JSON string) replaced by `change(text)`. */
function withConfig(model: string, change: (text: string) => string): Uint8Array {
  return edited(bytesOf(`${model}_model.h5`), (f) => {
    const text = f.attrs.model_config.value as string;
    f.delete_attribute('model_config');
    f.create_attribute('model_config', change(text));
  });
}

/** The largest |ours − theirs| / max(|theirs|, RELATIVE_FLOOR), printed, and checked against RELATIVE_TOLERANCE. */
function assertMatches(label: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  assert.is(ours.length, theirs.length, `${label}: ${ours.length} values, Keras has ${theirs.length}`);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]) / Math.max(Math.abs(theirs[i]), RELATIVE_FLOOR);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  console.log(`  ${label}: largest relative difference from Keras ${worst.toExponential(2)} (at ${at}: Unrolled ${ours[at]}, Keras ${theirs[at]})`);
  assert.ok(worst <= RELATIVE_TOLERANCE, `${label}: relative difference ${worst} at ${at} (Unrolled ${ours[at]}, Keras ${theirs[at]}); tolerance ${RELATIVE_TOLERANCE}`);
  return worst;
}

function rows(t: Tensor, from: number, to: number): Tensor {
  const width = t.size / t.shape[0];
  return tensor(t.data.slice(from * width, to * width), [to - from, ...t.shape.slice(1)]);
}

/** The fixture's stored inputs, Keras's predictions and its activations by layer name. */
function reference(model: string): { x: Tensor; predictions: Float32Array; activations: Map<string, Float32Array> } {
  const name = `${model}_inputs_and_outputs.h5`;
  const file = openHdf5(bytesOf(name), name);
  const inputs = (JSON.parse(file.stringAttribute('inputs')!) as { inputs: string[] }).inputs;
  const outputs = (JSON.parse(file.stringAttribute('outputs')!) as { outputs: string[] }).outputs;
  assert.is(inputs.length, 1);
  const input = file.group('inputs').dataset(inputs[0]);
  const activations = file.group('activations');
  return {
    x: tensor(input.float32(), input.shape),
    predictions: file.group('predictions').dataset(outputs[0]).float32(),
    activations: new Map(activations.children().map((n) => [n, activations.dataset(n).float32()])),
  };
}

/** Runs the layers one after another, each output checked against Keras's activations of that layer. */
function assertActivations(model: Model, x: Tensor, activations: Map<string, Float32Array>): void {
  let h = x;
  for (const layer of model.layers as Layer[]) {
    h = layer.apply(h);
    const theirs = activations.get(layer.name);
    assert.ok(theirs, `Keras stored no activations for ${layer.name}; it has ${[...activations.keys()].join(', ')}`);
    assertMatches(`activations of ${layer.name}`, h.data, theirs);
  }
}

async function throwsWith(bytes: Uint8Array, where: string, parts: ReadonlyArray<string | RegExp>): Promise<string> {
  let message = '';
  try {
    await readKerasH5(bytes, where);
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message !== '', `${where}: loaded, but it should have been refused`);
  for (const part of [where, ...parts]) {
    const found = typeof part === 'string' ? message.includes(part) : part.test(message);
    assert.ok(found, `the error should mention ${String(part)}; it is:\n  ${message}`);
  }
  return message;
}

// ---------------------------------------------------------------- files Keras wrote

test('Keras 1.2.2: an LSTM(50) and Dense(1) reproduce Keras\'s predictions and activations, at any batch size', async () => {
  const model = await readKerasH5(bytesOf(`${KERAS1}_model.h5`), `${KERAS1}_model.h5`);
  const { x, predictions, activations } = reference(KERAS1);
  assert.equal(model.layers.map((l) => `${l.name}:${l.className}`), ['lstm_1:LSTM', 'dense_1:Dense']);
  const lstm = model.layers[0] as LSTM;
  assert.is(lstm.units, 50);
  assert.is(lstm.options.recurrentActivation, 'hard_sigmoid');
  assert.is(x.shape[0], 100);
  assertMatches('predictions, batch 100', model.predict(x, { batchSize: 100 }).data, predictions);
  assertMatches('predictions, batch 7', model.predict(x, { batchSize: 7 }).data, predictions);
  assertMatches('predictions of rows 10..13', model.predict(rows(x, 10, 13)).data, predictions.subarray(10, 13));
  assertActivations(model, x, activations);
});

test('Keras 2.1.3: batch_input_shape [25, 1, 1] fixes no batch size; predictions and activations match Keras\'s', async () => {
  const model = await readKerasH5(bytesOf(`${KERAS2}_model.h5`), `${KERAS2}_model.h5`);
  const { x, predictions, activations } = reference(KERAS2);
  assert.is(x.shape[0], 25);
  assert.equal(model.batchInputShape, [null, 1, 1]);
  assertMatches('predictions, batch 25', model.predict(x, { batchSize: 25 }).data, predictions);
  assertMatches('predictions, batch 4', model.predict(x, { batchSize: 4 }).data, predictions);
  assertMatches('predictions of rows 3..10', model.predict(rows(x, 3, 10)).data, predictions.subarray(3, 10));
  assertActivations(model, x, activations);
});

test('the training config compiles the model: RMSprop(lr, rho, epsilon, decay 0) and mse, Keras 1 and 2', async () => {
  for (const [name, epsilon] of [[KERAS1, 1e-8], [KERAS2, 1e-7]] as const) {
    const model = await readKerasH5(bytesOf(`${name}_model.h5`), name);
    assert.instance(model.optimizer, RMSprop, `${name}: ${model.optimizer?.name}`);
    const rmsprop = model.optimizer as RMSprop;
    assert.ok(Math.abs(rmsprop.learningRate - 0.001) < 1e-9 && Math.abs(rmsprop.rho - 0.9) < 1e-7, `${name}: lr ${rmsprop.learningRate}, rho ${rmsprop.rho}`);
    assert.is(rmsprop.epsilon, epsilon);
    assert.is(model.loss, 'mse');
  }
});

test('a training config Unrolled cannot honour leaves the model uncompiled, and it still predicts', async () => {
  const bytes = edited(bytesOf(`${KERAS2}_model.h5`), (f) => {
    const text = f.attrs.training_config.value as string;
    f.delete_attribute('training_config');
    f.create_attribute('training_config', text.replace('"RMSprop"', '"Adadelta"'));
  });
  const model = await readKerasH5(bytes, 'adadelta.h5');
  assert.is(model.optimizer, null);
  const { x, predictions } = reference(KERAS2);
  assertMatches('predictions, uncompiled', model.predict(x).data, predictions);
});

test('a file after a 512-byte user block loads (the signature is looked for at 0, 512, 1024, …)', async () => {
  const bytes = bytesOf(`${KERAS2}_model.h5`);
  const shifted = new Uint8Array(512 + bytes.byteLength);
  shifted.set(bytes, 512);
  const model = await readKerasH5(shifted, 'userblock.h5');
  const { x, predictions } = reference(KERAS2);
  assertMatches('predictions after a user block', model.predict(x).data, predictions);
});

// ---------------------------------------------------------------- broken and hostile files

test('not HDF5: random bytes, and a zip (a .keras file), are refused as such', async () => {
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
  await throwsWith(random, 'random.h5', ['not an HDF5 file', 'no HDF5 signature']);
  const zip = new Uint8Array(1024);
  zip.set([0x50, 0x4b, 0x03, 0x04]);
  await throwsWith(zip, 'model.keras', ['not an HDF5 file', 'zip archive']);
  await throwsWith(new Uint8Array(0), 'empty.h5', ['not an HDF5 file']);
});

test('a truncated file (the fixture cut in half) is refused with both lengths', async () => {
  const bytes = bytesOf(`${KERAS2}_model.h5`);
  const half = bytes.subarray(0, bytes.byteLength >> 1);
  await throwsWith(half, 'half.h5', ['truncated', String(bytes.byteLength), String(half.byteLength)]);
});

test('model_config that is not JSON', async () => {
  const bytes = withConfig(KERAS2, (text) => text.slice(0, 40));
  await throwsWith(bytes, 'cut-config.h5', ['model_config', 'not valid JSON']);
});

test('a weight whose shape disagrees with the config names the weight and both shapes (Keras 2 and Keras 1)', async () => {
  const k2 = withConfig(KERAS2, (text) => text.replace('"units": 50', '"units": 40'));
  await throwsWith(k2, 'units40.h5', ["layer 'lstm_1' (LSTM)", "'lstm_1/kernel:0'", '[1, 200] in the file', '[1, 160]']);
  const k1 = withConfig(KERAS1, (text) => text.replace('"output_dim": 50', '"output_dim": 40'));
  await throwsWith(k1, 'units40-keras1.h5', ["layer 'lstm_1' (LSTM)", 'lstm_1_W_i:0 + lstm_1_W_f:0 + lstm_1_W_c:0 + lstm_1_W_o:0', '[1, 200] in the file', '[1, 160]']);
});

test('a layer class Unrolled does not read names the class, where it sits and the supported ones', async () => {
  const bytes = withConfig(KERAS2, (text) => text.replace('"class_name": "LSTM"', '"class_name": "Conv1D"'));
  await throwsWith(bytes, 'conv1d.h5', ['layer 0', "'Conv1D'", 'not supported', 'supported: InputLayer, Embedding', 'LSTM', 'Dense']);
});

test('a functional model (class Model) whose config is not { layers, input_layers, output_layers } is an error saying so', async () => {
  const bytes = withConfig(KERAS2, (text) => text.replace('"class_name": "Sequential"', '"class_name": "Model"'));
  await throwsWith(bytes, 'functional.h5', ["the functional model's config must be an object", 'input_layers', 'output_layers']);
});

test('weights missing for a layer, left over, or too many for a layer are errors with names and shapes', async () => {
  const renamed = withConfig(KERAS2, (text) => text.replace('"name": "dense_1"', '"name": "dense_9"'));
  await throwsWith(renamed, 'missing.h5', ["layer 'dense_9' (Dense) needs weights", "'dense_9/kernel' [50, 1]", 'has none for it', 'lstm_1, dense_1']);
  const lstmOnly = withConfig(KERAS2, (text) => {
    const config = JSON.parse(text) as { config: unknown[] };
    config.config = config.config.slice(0, 1);
    return JSON.stringify(config);
  });
  await throwsWith(lstmOnly, 'leftover.h5', ["'dense_1/kernel:0' [50, 1]", "layer 'dense_1' that the model config does not have"]);
  const noBias = withConfig(KERAS2, (text) => text.replace(/("units": 1, "use_bias": )true/, '$1false'));
  await throwsWith(noBias, 'nobias.h5', ["layer 'dense_1' (Dense)", 'holds 2 weights', "'dense_1/bias:0' [1]", 'the layer has 1']);
});

test('Keras 1 regularizers and constraints are refused, not dropped', async () => {
  const bytes = withConfig(KERAS1, (text) => text.replace('"W_regularizer": null', '"W_regularizer": {"l2": 0.01, "name": "WeightRegularizer"}'));
  await throwsWith(bytes, 'regularized.h5', ["layer 'lstm_1' (LSTM, Keras 1)", "'W_regularizer'", 'no regularizers']);
});

test('a dataset declaring more data than the file holds is refused before anything is allocated', async () => {
  // The dataspace messages of the [50, 200] datasets (the recurrent kernel, and its RMSprop slot):
  // version 1, rank 2, max dims present, then the dims as 64-bit integers. The first becomes 2^33.
  const bytes = bytesOf(`${KERAS2}_model.h5`);
  const pattern = [1, 2, 1, 0, 0, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0];
  let patched = 0;
  for (let at = 0; at + pattern.length <= bytes.byteLength; at++) {
    if (pattern.every((b, i) => bytes[at + i] === b)) {
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 8, 0, true);
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 12, 2, true);
      patched++;
    }
  }
  assert.is(patched, 2, 'the two [50, 200] dataspaces');
  await throwsWith(bytes, 'huge.h5', [
    "dataset '/model_weights/lstm_1/lstm_1/recurrent_kernel:0'", 'declares shape [8589934592, 200]', '6871947673600 bytes', `file's ${bytes.byteLength} bytes`,
  ]);
});

test('__proto__ keys in model_config stay data: nothing reaches a prototype, and the model is the file\'s', async () => {
  const hostile = '"__proto__": {"units": 7, "polluted": true, "output_dim": 7}, "constructor": {"prototype": {"polluted": true}}';
  for (const [model, marker] of [[KERAS2, '"units": 50'], [KERAS1, '"output_dim": 50']] as const) {
    const bytes = withConfig(model, (text) => text.replace('{"class_name": "Sequential"', `{${hostile}, "class_name": "Sequential"`)
      .replace(marker, `${hostile}, ${marker}`));
    const loaded = await readKerasH5(bytes, `${model}-proto.h5`);
    assert.is(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    assert.is(({} as Record<string, unknown>).units, undefined);
    assert.is((loaded.layers[0] as LSTM).units, 50);
    const { x, predictions } = reference(model);
    assertMatches(`${model} with __proto__ keys`, loaded.predict(x).data, predictions);
  }
});

test.run();
