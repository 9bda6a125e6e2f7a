/**
 * The optimizer state of legacy Keras HDF5 files (`optimizer_weights`),
 * restored into the model compiled from `training_config`, as Keras does
 * on `load_model(compile=True)`; and the fixed batch size of a stateful
 * legacy model.
 *
 * The layouts, from the files and Keras's optimizers: Keras 1.2's and
 * Keras 2.1's RMSprop keep one mean square per trainable weight and no
 * iteration count (`self.weights = accumulators`); Keras 1 gives the
 * optimizer the weights sorted by name (`collect_trainable_weights`), its
 * LSTM per gate; Keras 2 and tf.keras in the model's order; tf.keras 2's
 * optimizers put `iter` first, then each slot for every weight, slot after
 * slot (Adam: m, then v).
 *
 * Both fixtures train an LSTM on sequences of one step from zero states,
 * so the recurrent kernel's gradient is zero and so is the forget gate's
 * (c = f·c₀ + i·g with c₀ = 0): their mean squares must be zero, and the
 * other gates' not, which shows the per-gate arrays landed in their places.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, Dense, LSTM, Sequential, clearSession, tensor, type Model, type Tensor } from '../../../lib/index.ts';
import { Hdf5Group, openHdf5 } from '../../../lib/io/hdf5.ts';
import { readKerasH5 } from '../../../lib/io/keras-h5.ts';
import { fixedStrings, h5, type Stored } from './keras-h5-writer.ts';

test.before.each(() => clearSession());

const FIXTURES = join(import.meta.dirname, '../../fixtures/models/keras');

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, `${name}_model.h5`)));
}

/** The file's optimizer_weights dataset `name`, as stored. */
function stored(bytes: Uint8Array, name: string): Float32Array {
  return (openHdf5(bytes, 'fixture').get('optimizer_weights') as Hdf5Group).dataset(name).float32();
}

/** `blocks` [rows, w] each, joined along the last axis. */
function joinLast(blocks: readonly Float32Array[], rows: number): Float32Array {
  const w = blocks[0].length / rows;
  const out = new Float32Array(rows * w * blocks.length);
  for (let r = 0; r < rows; r++) blocks.forEach((b, g) => out.set(b.subarray(r * w, (r + 1) * w), r * w * blocks.length + g * w));
  return out;
}

function velocity(model: Model): Float32Array[] {
  const slots = model.optimizer!.getSlots(model.trainableWeightTensors());
  return slots.slots.find((s) => s.name === 'velocity')!.values.map((v) => Float32Array.from(v));
}

function assertEqualArrays(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  const i = actual.findIndex((v, k) => !Object.is(v, expected[k]));
  if (i >= 0) assert.unreachable(`${what}: element ${i} is ${actual[i]}, the file has ${expected[i]}`);
}

/** The mean squares of an LSTM kernel [rows, 4H] per gate i, f, c, o: whether each block is all zero. */
function zeroGates(v: Float32Array, rows: number): boolean[] {
  const h = v.length / rows / 4;
  return [0, 1, 2, 3].map((g) => {
    for (let r = 0; r < rows; r++) for (let k = 0; k < h; k++) if (v[r * 4 * h + g * h + k] !== 0) return false;
    return true;
  });
}

test('Keras 1.2 RMSprop: 14 per-gate mean squares, sorted by weight name, become the slots of kernel, recurrent kernel, bias, Dense', async () => {
  const bytes = fixture('simple_lstm_tf_keras_1');
  const model = await readKerasH5(bytes, 'keras1.h5');
  assert.ok(model.optimizer, 'compiled');
  const v = velocity(model);
  // Sorted names: dense_1_W, dense_1_b, lstm_1_U_c, U_f, U_i, U_o, W_c, W_f, W_i, W_o, b_c, b_f, b_i, b_o = Variable_4 … Variable_17.
  const at = (k: number): Float32Array => stored(bytes, `Variable_${k}:0`);
  assertEqualArrays(v[0], joinLast([at(12), at(11), at(10), at(13)], 1), 'kernel (W_i, W_f, W_c, W_o)');
  assertEqualArrays(v[1], joinLast([at(8), at(7), at(6), at(9)], 50), 'recurrent kernel (U_i, U_f, U_c, U_o)');
  assertEqualArrays(v[2], joinLast([at(16), at(15), at(14), at(17)], 1), 'bias (b_i, b_f, b_c, b_o)');
  assertEqualArrays(v[3], at(4), 'Dense kernel');
  assertEqualArrays(v[4], at(5), 'Dense bias');
  assert.equal(zeroGates(v[0], 1), [false, true, false, false], 'kernel: only the forget gate has no gradient');
  assert.ok(v[1].every((x) => x === 0), 'recurrent kernel: no gradient');
  assert.is(model.optimizer!.getSlots(model.trainableWeightTensors()).iterations, 0);
});

test('Keras 2.1.3 RMSprop: 5 mean squares in the model\'s order (no iteration count)', async () => {
  const bytes = fixture('simple_flatten_lstm_tf_keras_2');
  const model = await readKerasH5(bytes, 'keras2.h5');
  assert.ok(model.optimizer, 'compiled');
  const v = velocity(model);
  ['', '_1', '_2', '_3', '_4'].forEach((k, i) => assertEqualArrays(v[i], stored(bytes, `training/RMSprop/Variable${k}:0`), `weight ${i}`));
  assert.equal(zeroGates(v[0], 1), [false, true, false, false], 'kernel: only the forget gate has no gradient');
  assert.ok(v[1].every((x) => x === 0), 'recurrent kernel: no gradient');
  // Training goes on from the restored state.
  const x = tensor(Float32Array.from({ length: 25 }, (_, i) => i / 25), [25, 1, 1]);
  const loss = await model.trainOnBatch(x, tensor(new Float32Array(25), [25, 1]));
  assert.ok(Number.isFinite(Array.isArray(loss) ? loss[0] : loss));
});

function weight(name: string, shape: number[], fill: (i: number) => number): Stored {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, values: Float32Array.from({ length: size }, (_, i) => fill(i)) };
}

/** A tf.keras 2 file of LSTM(2) on [3, 1] inputs and Dense(1), compiled with Adam, with `optimizer` as its optimizer_weights. */
function tfKerasAdam(optimizer: Stored[], iterations: number | null): Uint8Array {
  const lstm = [weight('lstm/lstm_cell/kernel:0', [1, 8], (i) => i / 10), weight('lstm/lstm_cell/recurrent_kernel:0', [2, 8], (i) => -i / 20), weight('lstm/lstm_cell/bias:0', [8], (i) => i / 30)];
  const dense = [weight('dense/kernel:0', [2, 1], (i) => i + 1), weight('dense/bias:0', [1], () => 0.5)];
  const config = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 3, 1], dtype: 'float32', sparse: false, ragged: false, name: 'lstm_input' } },
        { class_name: 'LSTM', config: { name: 'lstm', trainable: true, dtype: 'float32', units: 2, return_sequences: false, activation: 'tanh', recurrent_activation: 'sigmoid' } },
        { class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: 'float32', units: 1, activation: 'linear' } },
      ],
    },
  };
  const training = {
    loss: 'mse', metrics: null, weighted_metrics: null, loss_weights: null,
    optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.001, decay: 0.0, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } },
  };
  return h5((file) => {
    file.create_attribute('model_config', JSON.stringify(config));
    file.create_attribute('training_config', JSON.stringify(training));
    file.create_attribute('keras_version', '2.4.0');
    file.create_attribute('backend', 'tensorflow');
    const weights = file.create_group('model_weights');
    fixedStrings(weights, 'layer_names', ['lstm_input', 'lstm', 'dense']);
    for (const [name, list] of [['lstm_input', []], ['lstm', lstm], ['dense', dense]] as const) {
      const group = weights.create_group(name);
      fixedStrings(group, 'weight_names', list.map((w) => w.name));
      for (const w of list) writeAt(group, w);
    }
    const opt = file.create_group('optimizer_weights');
    const names = [...(iterations === null ? [] : ['Adam/iter:0']), ...optimizer.map((w) => w.name)];
    fixedStrings(opt, 'weight_names', names);
    if (iterations !== null) opt.create_group('Adam').create_dataset({ name: 'iter:0', data: BigInt64Array.of(BigInt(iterations)), shape: [], dtype: '<q' });
    for (const w of optimizer) writeAt(opt, w);
  });
}

/** A dataset at a slash-separated path under `group`, making the groups on the way. */
function writeAt(group: ReturnType<Hdf5Root['create_group']>, w: Stored): void {
  const parts = w.name.split('/');
  let parent = group;
  for (const p of parts.slice(0, -1)) parent = (parent.keys().includes(p) ? parent.get(p) : parent.create_group(p)) as typeof group;
  parent.create_dataset({ name: parts.at(-1)!, data: w.values, shape: w.shape, dtype: '<f' });
}

type Hdf5Root = Parameters<Parameters<typeof h5>[0]>[0];

const SHAPES: Array<[string, number[]]> = [['lstm/lstm_cell/kernel', [1, 8]], ['lstm/lstm_cell/recurrent_kernel', [2, 8]], ['lstm/lstm_cell/bias', [8]], ['dense/kernel', [2, 1]], ['dense/bias', [1]]];

function adamSlots(slot: 'm' | 'v', scale: number): Stored[] {
  return SHAPES.map(([n, shape], k) => weight(`Adam/${n}/${slot}:0`, shape, (i) => scale * (k + 1) + i / 1000));
}

test('tf.keras 2 Adam: iter (int64), then every m, then every v, into the momentum and velocity slots', async () => {
  const m = adamSlots('m', 0.01);
  const v = adamSlots('v', 0.001);
  const model = await readKerasH5(tfKerasAdam([...m, ...v], 37), 'adam.h5');
  assert.ok(model.optimizer instanceof Adam, 'compiled with Adam');
  const saved = model.optimizer!.getSlots(model.trainableWeightTensors());
  assert.is(saved.iterations, 37);
  const of = (name: string): Float32Array[] => saved.slots.find((s) => s.name === name)!.values.map((a) => Float32Array.from(a));
  of('momentum').forEach((a, i) => assertEqualArrays(a, m[i].values as Float32Array, `m of weight ${i}`));
  of('velocity').forEach((a, i) => assertEqualArrays(a, v[i].values as Float32Array, `v of weight ${i}`));
});

test('Keras 2.1–2.2 Adam: the [1] placeholders it keeps per weight without amsgrad are passed over', async () => {
  const m = adamSlots('m', 0.01);
  const v = adamSlots('v', 0.001);
  const dummies = SHAPES.map(([n], k) => weight(`Adam/${n}/vhat:0`, [1], () => k));
  const model = await readKerasH5(tfKerasAdam([...m, ...v, ...dummies], 5), 'adam-vhat.h5');
  const saved = model.optimizer!.getSlots(model.trainableWeightTensors());
  assert.is(saved.iterations, 5);
  assertEqualArrays(Float32Array.from(saved.slots[1].values[0]), v[0].values as Float32Array, 'v of the kernel');
});

test('optimizer weights that fit no layout Keras wrote leave the model uncompiled (it still predicts)', async () => {
  const m = adamSlots('m', 0.01);
  // The v of the Dense bias is missing.
  const model = await readKerasH5(tfKerasAdam([...m, ...adamSlots('v', 0.001).slice(0, 4)], 3), 'short.h5');
  assert.is(model.optimizer, null);
  // Shapes that do not match their weights: the m list swapped with Dense's.
  const swapped = [m[3], m[1], m[2], m[0], m[4]];
  const other = await readKerasH5(tfKerasAdam([...swapped, ...adamSlots('v', 0.001)], 3), 'swapped.h5');
  assert.is(other.optimizer, null);
  assert.equal((other.predict(tensor(new Float32Array(3), [1, 3, 1])) as Tensor).shape, [1, 1]);
});

test('a stateful legacy model keeps the batch size of batch_input_shape; without stateful layers it is dropped', async () => {
  for (const stateful of [true, false]) {
    clearSession();
    const config = {
      class_name: 'Sequential',
      config: [
        { class_name: 'LSTM', config: { name: 'lstm_1', batch_input_shape: [4, 3, 1], units: 2, stateful, return_sequences: false, activation: 'tanh', recurrent_activation: 'hard_sigmoid' } },
        { class_name: 'Dense', config: { name: 'dense_1', units: 1, activation: 'linear' } },
      ],
    };
    const reference = new Sequential([new LSTM(2, { inputShape: [3, 1], recurrentActivation: 'hard_sigmoid' }), new Dense(1)]);
    const values = reference.getWeights().map((w, k) => tensor(Float32Array.from({ length: w.size }, (_, i) => Math.sin(i + k)), w.shape));
    reference.setWeights(values);
    const names = ['lstm_1/kernel:0', 'lstm_1/recurrent_kernel:0', 'lstm_1/bias:0', 'dense_1/kernel:0', 'dense_1/bias:0'];
    const bytes = h5((file) => {
      file.create_attribute('model_config', JSON.stringify(config));
      file.create_attribute('keras_version', '2.1.3');
      const weights = file.create_group('model_weights');
      fixedStrings(weights, 'layer_names', ['lstm_1', 'dense_1']);
      for (const [layer, range] of [['lstm_1', [0, 3]], ['dense_1', [3, 5]]] as const) {
        const group = weights.create_group(layer);
        const list = names.slice(range[0], range[1]).map((n, i) => ({ name: n, shape: [...values[range[0] + i].shape], values: Float32Array.from(values[range[0] + i].data) }));
        fixedStrings(group, 'weight_names', list.map((w) => w.name));
        for (const w of list) writeAt(group, w);
      }
    });
    const model = await readKerasH5(bytes, 'stateful.h5');
    assert.equal(model.batchInputShape, [stateful ? 4 : null, 3, 1], `stateful ${stateful}`);
    const x = tensor(Float32Array.from({ length: 8 * 3 }, (_, i) => Math.cos(i)), [8, 3, 1]);
    // In batches of 4 either way; the stateful one carries its states from the first batch into the second.
    const got = model.predict(x, { batchSize: 4 }) as Tensor;
    const first = reference.predict(tensor(x.data.slice(0, 12), [4, 3, 1])) as Tensor;
    assert.equal(Array.from(got.data.slice(0, 4)), Array.from(first.data), 'first batch from zero states');
    if (stateful) {
      assert.match(await errorOf(() => model.predict(x, { batchSize: 8 })), /lstm_1 \(LSTM\) is stateful .* fixed at 4/);
    } else {
      assert.equal((model.predict(x, { batchSize: 8 }) as Tensor).shape, [8, 1]);
    }
  }
});

async function errorOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    return (err as Error).message;
  }
  return assert.unreachable('expected an error') as never;
}

test.run();
