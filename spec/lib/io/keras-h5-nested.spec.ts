/**
 * Legacy Keras 2 `.h5` model files with models used as layers, written
 * here with h5wasm the way tf.keras 2.x lays them out: the outer config
 * nests each model's config (a Functional's or Sequential's applications
 * counted from 1, its node 0 being its own graph), and a nested model's
 * weights sit in one group of its name, `model_weights/<nested>/`, whose
 * `weight_names` lists all of them by inner layer
 * (`enc_lstm/lstm_cell/kernel:0`, `out/kernel:0`), each dataset at that
 * path under the group. The loaded model predicts what the same model
 * built in Unrolled with the same weights predicts, bit for bit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Dense, GRU, InputLayer, LSTM, Model, RNN, Sequential, clearSession, input, tensor, type Layer, type SymbolicTensor, type Tensor,
} from '../../../lib/index.ts';
import { readKerasH5 } from '../../../lib/io/keras-h5.ts';
import { kerasFile, type Stored } from './keras-h5-writer.ts';
import { modelEntry } from '../../../lib/io/save.ts';
import { assertSameBits } from './keras3-helpers.ts';

test.before.each(() => clearSession());


let seed = 4321;
function uniform(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed / 2 ** 32) * 1.6 - 0.8;
  });
}

/** tf.keras's weight names of a plain layer: `<layer>/<cell>/kernel:0` for a recurrent layer, `<layer>/kernel:0` otherwise. */
function kerasWeights(layer: Layer): Stored[] {
  const cell = layer instanceof RNN ? `${layer.className === 'GRU' ? 'gru_cell' : layer.className === 'LSTM' ? 'lstm_cell' : 'simple_rnn_cell'}/` : '';
  return layer.namedWeights().map(([name, t]) => {
    const label = name.slice(name.lastIndexOf('/') + 1);
    return { name: `${layer.name}/${cell}${label}:0`, values: Float32Array.from(t.data), shape: [...t.shape] };
  });
}

/** The weights tf.keras stores for one layer of the outer model: a nested model's are all its layers', in layer order. */
function storedFor(layer: Layer): { name: string; weights: Stored[] } {
  const inner = layer.className === 'Model' || layer.className === 'Sequential' ? (layer as Model).layers : [layer];
  return { name: layer.name, weights: inner.flatMap(kerasWeights) };
}

/** Keras 2's words for the config: a functional model's class is `Functional` (tf.keras ≥ 2.4). */
function keras2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keras2);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'class_name' && v === 'Model' ? 'Functional' : keras2(v);
  return out;
}

function randomize(model: Model): void {
  model.setWeights(model.getWeights().map((w) => tensor(uniform(w.size), w.shape)));
}

function fileOf(model: Model): Uint8Array {
  const config = keras2(modelEntry(model));
  return kerasFile({ keras_version: '2.12.0', backend: 'tensorflow', model_config: JSON.stringify(config) }, model.layers.map(storedFor));
}

const xs = (): Tensor => tensor(uniform(3 * 5 * 3), [3, 5, 3]);

test('tf.keras functional model with a nested Sequential and a nested Functional loads, predicting bit for bit', async () => {
  const encoder = new Sequential([new InputLayer({ inputShape: [5, 3] }), new LSTM(4, { returnSequences: true, name: 'enc_lstm' })], { name: 'encoder' });
  const h = input({ shape: [5, 4], name: 'h' });
  const head = new Model({ inputs: h, outputs: new Dense(2, { name: 'out' }).apply(new GRU(3, { name: 'head_gru' }).apply(h)), name: 'head' });
  const x = input({ shape: [5, 3], name: 'x' });
  const reference = new Model({ inputs: x, outputs: head.apply(encoder.apply(x)), name: 'outer' });
  randomize(reference);
  const bytes = fileOf(reference);
  const loaded = await readKerasH5<SymbolicTensor>(bytes, 'outer.h5');
  assert.equal(loaded.layers.map((l) => `${l.name}:${l.className}`), ['x:InputLayer', 'encoder:Sequential', 'head:Model']);
  const x0 = xs();
  assertSameBits(loaded.predict(x0), reference.predict(x0), 'predictions');
});

test('tf.keras Sequential model with a nested Functional loads, predicting bit for bit', async () => {
  const h = input({ shape: [5, 4], name: 'inner_in' });
  const inner = new Model({ inputs: h, outputs: new LSTM(3, { name: 'inner_lstm' }).apply(h), name: 'inner' });
  const reference = new Sequential([new InputLayer({ inputShape: [5, 3] }), new Dense(4, { name: 'proj' }), inner, new Dense(1, { name: 'last' })], { name: 'stack' });
  randomize(reference);
  const loaded = await readKerasH5<SymbolicTensor>(fileOf(reference), 'stack.h5');
  assert.equal(loaded.layers.map((l) => `${l.name}:${l.className}`), ['proj:Dense', 'inner:Model', 'last:Dense']);
  const x0 = xs();
  assertSameBits(loaded.predict(x0), reference.predict(x0), 'predictions');
});

test('a nested model whose weights in the file do not fit is refused, naming the file and the nested model', async () => {
  const h = input({ shape: [5, 4], name: 'inner_in' });
  const inner = new Model({ inputs: h, outputs: new LSTM(3, { name: 'inner_lstm' }).apply(h), name: 'inner' });
  const reference = new Sequential([new InputLayer({ inputShape: [5, 3] }), new Dense(4, { name: 'proj' }), inner], { name: 'stack' });
  const config = keras2(modelEntry(reference));
  const layers = reference.layers.map(storedFor);
  layers[1] = { name: 'inner', weights: layers[1].weights.slice(0, 2) };
  const bytes = kerasFile({ keras_version: '2.12.0', backend: 'tensorflow', model_config: JSON.stringify(config) }, layers);
  let message = '';
  try {
    await readKerasH5(bytes, 'short.h5');
  } catch (e) {
    message = (e as Error).message;
  }
  assert.ok(message.includes('short.h5') && message.includes("'inner'"), message);
});

test.run();
