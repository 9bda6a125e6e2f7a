/**
 * A frozen layer inside Bidirectional, as Keras and TF.js have it: the
 * wrapper's trainable weights are the forward and backward layers'
 * trainable weights; the copies are frozen when the wrapped layer is;
 * setting the wrapper's trainable sets both. TF.js in process is the
 * oracle for the weight lists; fit leaves frozen weights bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bidirectional, Dense, LSTM, RMSprop, Sequential, clearSession, loadModel, setSeed } from '../../lib/index.ts';
import { sameBits } from './helpers.ts';

test.before.each(() => {
  clearSession();
  setSeed(8);
});

function theirs(frozenInner: boolean): tf.layers.Layer {
  const b = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, trainable: !frozenInner }) as tf.RNN, inputShape: [5, 3] });
  tf.sequential({ layers: [b] });
  return b;
}

function counts(trainable: number, all: number): string {
  return `${trainable} trainable of ${all}`;
}

test('Bidirectional(LSTM(4, { trainable: false })): no trainable weights, as TF.js; summary counts 2·4·4·(3 + 4 + 1) = 256 as non-trainable', () => {
  const b = new Bidirectional(new LSTM(4, { trainable: false }), { inputShape: [5, 3] });
  const m = new Sequential([b, new Dense(1)]);
  const t = theirs(true);
  assert.is(counts(b.trainableWeights().length, b.weights().length), counts(t.trainableWeights.length, t.weights.length));
  assert.equal([b.forwardLayer.trainable, b.backwardLayer.trainable], [false, false]);
  const text = m.summary(() => {});
  assert.match(text, /Trainable params: 9\n/);
  assert.match(text, /Non-trainable params: 256\n/);
});

test('forwardLayer.trainable = false freezes that direction only; the wrapper\'s trainable sets both (TF.js the same)', () => {
  const b = new Bidirectional(new LSTM(4), { inputShape: [5, 3] });
  new Sequential([b]);
  const t = theirs(false) as tf.layers.Layer & { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
  b.forwardLayer.trainable = false;
  t.forwardLayer.trainable = false;
  assert.is(counts(b.trainableWeights().length, 6), counts(t.trainableWeights.length, 6));
  assert.equal(b.trainableWeights(), b.backwardLayer.weights());
  b.trainable = false;
  t.trainable = false;
  assert.equal([b.forwardLayer.trainable, b.backwardLayer.trainable, b.trainableWeights().length], [t.forwardLayer.trainable, t.backwardLayer.trainable, t.trainableWeights.length]);
  b.trainable = true;
  t.trainable = true;
  assert.equal([b.forwardLayer.trainable, b.backwardLayer.trainable, b.trainableWeights().length], [t.forwardLayer.trainable, t.backwardLayer.trainable, t.trainableWeights.length]);
});

test('fit leaves a frozen direction bit for bit and trains the other', async () => {
  const b = new Bidirectional(new LSTM(4), { inputShape: [5, 3] });
  const m = new Sequential([b, new Dense(1)]);
  b.forwardLayer.trainable = false;
  m.compile({ optimizer: new RMSprop({ learningRate: 0.05 }), loss: 'mse' });
  const forward = b.forwardLayer.weights().map((w) => Float32Array.from(w.data));
  const backward = b.backwardLayer.weights().map((w) => Float32Array.from(w.data));
  const x = Array.from({ length: 8 }, (_, i) => Array.from({ length: 5 }, (_, t) => [Math.sin(i + t), Math.cos(i * t), (i % 3) - 1]));
  const y = x.map((_, i) => [i % 2]);
  await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  b.forwardLayer.weights().forEach((w, i) => assert.ok(sameBits(w.data as Float32Array, forward[i]), `forward weight ${i} changed`));
  assert.ok(b.backwardLayer.weights().every((w, i) => !sameBits(w.data as Float32Array, backward[i])), 'every backward weight should have moved');
});

test('a frozen wrapped layer is saved in model.json and read back frozen, by Unrolled and by TF.js', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-bidi-trainable-'));
  try {
    await new Sequential([new Bidirectional(new LSTM(4, { trainable: false }), { inputShape: [5, 3] }), new Dense(1)]).save(dir);
    const back = await loadModel(dir);
    const b = back.layers[0] as Bidirectional;
    assert.equal([b.trainable, b.forwardLayer.trainable, b.backwardLayer.trainable, b.trainableWeights().length], [true, false, false, 0]);
    const artifacts = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
    const bin = readFileSync(join(dir, artifacts.weightsManifest[0].paths[0]));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    assert.is(loaded.layers[0].trainableWeights.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a backward direction frozen on its own survives a .keras file (Keras writes each direction\'s trainable)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-bidi-trainable-'));
  try {
    const model = new Sequential([new Bidirectional(new LSTM(4), { inputShape: [5, 3] }), new Dense(1)]);
    (model.layers[0] as Bidirectional).backwardLayer.trainable = false;
    const file = join(dir, 'model.keras');
    await model.save(file);
    const b = (await loadModel(file)).layers[0] as Bidirectional;
    assert.equal([b.trainable, b.forwardLayer.trainable, b.backwardLayer.trainable, b.trainableWeights().length], [true, true, false, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
