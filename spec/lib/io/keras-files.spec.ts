/**
 * Keras files by name: `model.save('x.keras')` and `loadModel` of the path,
 * a `file://` URL, the bytes and an ArrayBuffer, bit for bit and with the
 * training state; `saveWeights` / `loadWeights` of `.weights.h5`; what is
 * refused (a legacy .h5 as a target, bytes of another format); and what
 * the browser build says (the same functions given no file system and no
 * HDF5 writer).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, Bidirectional, Dense, Embedding, GRU, InputLayer, LSTM, Sequential, clearSession, loadModel, setSeed, tensor,
} from '../../../lib/index.ts';
import { loadKerasFile, loadKerasWeightsFile, saveKerasFile, saveKerasWeightsFile } from '../../../lib/io/keras-files.ts';
import { writeKeras } from '../../../lib/io/keras3.ts';
import { assertMentions, assertSameBits, assertSameWeights, errorOf } from './keras3-helpers.ts';

const NO_PLATFORM = { files: null, hdf5Writer: null };

let dir = '';
test.before.each(() => {
  clearSession();
  dir = mkdtempSync(join(tmpdir(), 'unrolled-keras-'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

function make(): Sequential {
  return new Sequential([
    new InputLayer({ inputShape: [6] }), new Embedding(20, 4), new Bidirectional(new LSTM(3, { returnSequences: true })), new GRU(3), new Dense(1),
  ]);
}

const x = tensor([[1, 2, 3, 4, 5, 6], [0, 0, 7, 8, 9, 19], [3, 3, 3, 0, 0, 0]]);
const y = tensor([[0.5], [-1], [2]]);

async function trained(): Promise<Sequential> {
  setSeed(21);
  const model = make();
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
  return model;
}

test("model.save('x.keras') → loadModel of the path, a file:// URL, the bytes and an ArrayBuffer: the same model, bit for bit", async () => {
  const model = await trained();
  const path = join(dir, 'model.keras');
  const result = await model.save(path);
  assert.ok(result.modelArtifactsInfo.weightDataBytes! > 0);
  const bytes = new Uint8Array(readFileSync(path));
  const copy = bytes.slice();
  for (const source of [path, `file://${path}`, bytes, copy.buffer]) {
    const back = await loadModel(source);
    const label = typeof source === 'string' ? source : source.constructor.name;
    assert.is(back.className, 'Sequential', label);
    assertSameWeights(back as Sequential, model, label);
    assertSameBits(back.predict(x) as never, model.predict(x), `${label}: predictions`);
    assert.is(back.optimizer, null, `${label}: saved without the optimizer`);
  }
});

test("model.save('x.keras', { includeOptimizer: true }): loadModel gives a compiled model whose training goes on identically", async () => {
  const model = await trained();
  const path = join(dir, 'compiled.keras');
  await model.save(path, { includeOptimizer: true });
  const back = await loadModel(path);
  assert.is(back.loss, 'mse');
  assert.is(back.optimizer!.iterations, model.optimizer!.iterations);
  const a = model.trainOnBatch(x, y);
  const b = back.trainOnBatch(x, y);
  assert.ok(Object.is(a, b), `losses ${a} and ${b}`);
  assertSameWeights(back as Sequential, model, 'after one more step');
});

test('model.save over an existing .keras file replaces it in one piece', async () => {
  const path = join(dir, 'again.keras');
  writeFileSync(path, 'old contents');
  const model = await trained();
  await model.save(path);
  const back = await loadModel(path);
  assertSameBits(back.predict(x) as never, model.predict(x), 'predictions');
});

test("saveWeights('x.weights.h5') / loadWeights: Keras 3's layout, into a fresh model of the same layers, with the optimizer's state", async () => {
  const model = await trained();
  const path = join(dir, 'model.weights.h5');
  await model.saveWeights(path);
  const bytes = readFileSync(path);
  assert.equal([...bytes.subarray(0, 4)], [0x89, 0x48, 0x44, 0x46], 'an HDF5 file');
  setSeed(99);
  const fresh = make();
  fresh.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  await fresh.loadWeights(path);
  assertSameWeights(fresh, model, 'weights');
  assertSameBits(fresh.predict(x), model.predict(x), 'predictions');
  assert.is(fresh.optimizer!.iterations, model.optimizer!.iterations);
  const a = model.trainOnBatch(x, y);
  const b = fresh.trainOnBatch(x, y);
  assert.ok(Object.is(a, b), `losses ${a} and ${b}`);
});

test('saveWeights / loadWeights of other paths keep the JSON manifest and .bin', async () => {
  const model = await trained();
  const path = join(dir, 'w.json');
  await model.saveWeights(path);
  setSeed(5);
  const fresh = make();
  await fresh.loadWeights(path);
  assertSameWeights(fresh, model, 'weights');
});

test('refused: a legacy .h5 target, an .h5 weights path that is not .weights.h5, bytes of another format, a .keras path that is not a zip', async () => {
  const model = await trained();
  assertMentions(await errorOf(() => model.save(join(dir, 'model.h5'))), ["save('", 'model.h5', 'not legacy HDF5', '.keras']);
  assertMentions(await errorOf(() => model.saveWeights(join(dir, 'w.h5'))), ['w.h5', '.weights.h5']);
  assertMentions(await errorOf(() => model.loadWeights(join(dir, 'w.h5'))), ['w.h5', '.weights.h5', 'loadModel']);
  assertMentions(await errorOf(() => loadModel(new TextEncoder().encode('{"modelTopology": {}}'))), ['loadModel(bytes)', 'HDF5 signature', 'PK\\x03\\x04']);
  const fake = join(dir, 'fake.keras');
  writeFileSync(fake, 'not a zip');
  assertMentions(await errorOf(() => loadModel(fake)), [fake, 'not a .keras file', 'PK\\x03\\x04', 'not ']);
  assertMentions(await errorOf(() => loadModel(join(dir, 'missing.keras'))), ['missing.keras', 'no file']);
});

test('the browser build (no file system, no HDF5 writer): saving and loading Keras files by path say what to do instead', async () => {
  const model = await trained();
  const save = await errorOf(() => saveKerasFile(model, 'm.keras', 'm.keras', {}, NO_PLATFORM));
  assertMentions(save, [`${model.name}: save('m.keras')`, 'needs Node.js', 'browser build', 'IOHandler']);
  const weights = await errorOf(() => saveKerasWeightsFile(model, 'm.weights.h5', NO_PLATFORM));
  assertMentions(weights, ["saveWeights('m.weights.h5')", 'needs Node.js', 'browser build']);
  const load = await errorOf(() => loadKerasFile('m.keras', 'm.keras', NO_PLATFORM));
  assertMentions(load, ["loadModel('m.keras')", 'file paths need Node.js', 'browser build', "file's bytes"]);
  const loadWeights = await errorOf(() => loadKerasWeightsFile(model, 'm.weights.h5', NO_PLATFORM));
  assertMentions(loadWeights, ["loadWeights('m.weights.h5')", 'file paths need Node.js', 'loadModel(bytes)']);
  // Writing in memory needs the writer too; reading bytes needs nothing.
  assertMentions(await errorOf(() => writeKeras(model, {}, null)), ['needs Node.js', 'browser build']);
  const bytes = await writeKeras(model);
  assertSameBits((await loadModel(bytes)).predict(x) as never, model.predict(x), 'predictions from bytes');
});

test.run();
