/**
 * Frozen layers: `trainable: false` (option or property) leaves the weights
 * bit for bit through fit with optimizers that keep state, summary() counts
 * them as non-trainable, and the flag is saved with the model and read back
 * (by Unrolled and by TF.js).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, Dense, Embedding, LSTM, RMSprop, Sequential, clearSession, loadModel, setSeed, type Optimizer,
} from '../../lib/index.ts';
import { sameBits } from './helpers.ts';

test.before.each(() => {
  clearSession();
  setSeed(5);
});

function data(): { x: number[][]; y: number[][] } {
  const x = Array.from({ length: 16 }, (_, i) => [i % 5, (i * 3) % 7, 1]);
  return { x, y: x.map((r) => [r[0] > 2 ? 1 : 0]) };
}

for (const [name, make] of [['Adam', () => new Adam({ learningRate: 0.05 })], ['RMSprop', () => new RMSprop({ learningRate: 0.05 })]] as const) {
  test(`${name}: fit leaves a frozen layer's weights bit for bit and trains the others`, async () => {
    const frozen = new Dense(4, { inputShape: [3], activation: 'tanh', trainable: false });
    const head = new Dense(1, { activation: 'sigmoid' });
    const model = new Sequential([frozen, head]);
    model.compile({ optimizer: (make as () => Optimizer)(), loss: 'binary_crossentropy' });
    const before = frozen.getWeights().map((w) => Float32Array.from(w.data));
    const headBefore = head.getWeights().map((w) => Float32Array.from(w.data));
    const { x, y } = data();
    await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    frozen.getWeights().forEach((w, i) => assert.ok(sameBits(w.data as Float32Array, before[i]), `frozen weight ${i} changed`));
    assert.ok(head.getWeights().some((w, i) => !sameBits(w.data as Float32Array, headBefore[i])), 'the trainable layer should have moved');
    // Unfrozen again, the layer trains.
    frozen.trainable = true;
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    assert.ok(frozen.getWeights().some((w, i) => !sameBits(w.data as Float32Array, before[i])), 'unfrozen, the layer should train');
  });
}

test('summary() counts a frozen layer as non-trainable', () => {
  const model = new Sequential([new Embedding(100, 8, { inputLength: 5, trainable: false }), new LSTM(4), new Dense(1)]);
  const text = model.summary(() => {});
  // Embedding 800, LSTM 4·4·(8 + 4 + 1) = 208, Dense 5.
  assert.match(text, /Total params: 1,013\n/);
  assert.match(text, /Trainable params: 213\n/);
  assert.match(text, /Non-trainable params: 800\n/);
});

test('trainable is saved in model.json and read back, by Unrolled and by TF.js', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-trainable-'));
  try {
    const model = new Sequential([new Dense(3, { inputShape: [2], trainable: false }), new Dense(1)]);
    await model.save(dir);
    const back = await loadModel(dir);
    assert.equal(back.layers.filter((l) => l.className === 'Dense').map((l) => l.trainable), [false, true]);
    const json = (await import('node:fs')).readFileSync(join(dir, 'model.json'), 'utf8');
    const artifacts = JSON.parse(json) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
    const bin = (await import('node:fs')).readFileSync(join(dir, artifacts.weightsManifest[0].paths[0]));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    assert.equal(theirs.layers.map((l) => l.trainable), [false, true]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a trainable option that is not a boolean is an error naming the layer', () => {
  assert.throws(() => new Dense(2, { trainable: 'no' as unknown as boolean }), /dense: trainable must be true or false, got the string "no"/);
});

test.run();
