/**
 * loadModel on broken model folders: every one is an error that names the
 * file, the weight or key, and the numbers, and none returns a model. And
 * saving over a model, when the write fails midway, keeps the old one.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense, LSTM, Sequential, clearSession, loadModel, setSeed, tensor, type Tensor } from '../../../lib/index.ts';
import { SUPPORTED_LAYERS } from '../../../lib/io/config.ts';
import { writeModelFiles } from '../../../lib/io/model-files.ts';
import { modelArtifacts } from '../../../lib/io/save.ts';
import { weightBytes as artifactBytes } from '../../../lib/io/artifacts.ts';
import { files } from '../../../lib/platform/node.ts';
import type { FileSystem } from '../../../lib/platform/types.ts';
import {
  assertMentions, copyFixture, layersOf, loadError, re, readFolder, removeTempDirs, tempDir, writeFolder,
} from './bad-files-helpers.ts';

test.before.each(() => clearSession());
test.after.each(() => removeTempDirs());

const modelJson = (dir: string): RegExp => re(join(dir, 'model.json'));

// ------------------------------------------------------------------- case 5

test('5a: an empty folder (no model.json) names the folder', async () => {
  const dir = tempDir();
  const message = await loadError(dir);
  assertMentions(message, re(dir), /has no model\.json/);
});

test('5b: a path that does not exist names the path', async () => {
  const dir = join(tempDir(), 'no', 'such', 'model');
  const message = await loadError(dir);
  assertMentions(message, re(dir), /nothing at/);
  const file = join(tempDir(), 'model.json');
  assertMentions(await loadError(file), re(file), /nothing at/);
});

// ------------------------------------------------------------------- case 6

test('6: a missing shard file names model.json and the shard', async () => {
  const dir = copyFixture('gru');
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = ['group1-shard1of2', 'group1-shard2of2'];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'group1-shard1of2'), bytes.subarray(0, 4096));
  rmSync(join(dir, 'weights.bin'));
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /'group1-shard2of2'/, /missing/, re(join(dir, 'group1-shard2of2')));
});

// ------------------------------------------------------------------- case 7

test('7a: a truncated weights.bin (4 bytes short) says truncated, with both byte counts', async () => {
  const dir = copyFixture('gru');
  const bytes = readFileSync(join(dir, 'weights.bin'));
  writeFileSync(join(dir, 'weights.bin'), bytes.subarray(0, bytes.byteLength - 4));
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /weights\.bin/, /truncated/, new RegExp(`\\b${bytes.byteLength}\\b`), new RegExp(`\\b${bytes.byteLength - 4}\\b`));
});

test('7b: an oversized weights.bin (4 bytes extra) says larger, with both byte counts', async () => {
  const dir = copyFixture('gru');
  const bytes = readFileSync(join(dir, 'weights.bin'));
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([bytes, Buffer.alloc(4)]));
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /weights\.bin/, /larger/, new RegExp(`\\b${bytes.byteLength}\\b`), new RegExp(`\\b${bytes.byteLength + 4}\\b`));
});

// ------------------------------------------------------------------- case 8

test('8: a manifest shape that does not fit the layer (kernel [20, 12] for [20, 16]) names the weight and both shapes', async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  const kernel = folder.weights.find((w) => w.name === 'lstm_LSTM2/kernel')!;
  assert.equal(kernel.shape, [20, 16]);
  kernel.shape = [20, 12];
  kernel.values = kernel.values.slice(0, 20 * 12);
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /'lstm_LSTM2\/kernel'/, /\[20, 12\]/, /\[20, 16\]/);
});

// ------------------------------------------------------------------- case 9

test('9a: a weight the topology has no place for names the weight and its shape', async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  folder.weights.push({ name: 'lstm_LSTM2/peephole', shape: [3, 4], values: new Float32Array(12).fill(0.5) });
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /no place/, /'lstm_LSTM2\/peephole'/, /\[3, 4\]/);
});

test('9b: a weight the topology needs but the manifest lacks names the weight and its shape', async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  folder.weights = folder.weights.filter((w) => w.name !== 'lstm_LSTM2/bias');
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /no weight for/, /lstm_LSTM2\/bias \[16\]/);
});

// ------------------------------------------------------------------- case 10

test('10: an unknown layer class (Conv1D) is named, with the supported classes listed', async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  layersOf(folder.json)[1].class_name = 'Conv1D';
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /layer 1/, /'Conv1D'/, /not supported/, ...SUPPORTED_LAYERS.map((c) => new RegExp(`\\b${c}\\b`)));
});

// ------------------------------------------------------------------- case 11

test('11: malformed JSON in model.json names the file', async () => {
  const dir = copyFixture('gru');
  const text = readFileSync(join(dir, 'model.json'), 'utf8');
  writeFileSync(join(dir, 'model.json'), text.slice(0, 700));
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /not valid JSON/);
  const doubled = text.replace('"units":4,', '"units":4,,');
  assert.is.not(doubled, text);
  writeFileSync(join(dir, 'model.json'), doubled);
  assertMentions(await loadError(dir), modelJson(dir), /not valid JSON/, /position \d+|line \d+|column \d+/);
});

// ------------------------------------------------------------------- case 12

test('12a: a kernel_constraint (MaxNorm) is refused, naming the layer and the key, not silently dropped', async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  layersOf(folder.json)[1].config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } };
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /'lstm_LSTM2'/, /'kernel_constraint'/, /MaxNorm/, /constraint/);
});

test("12b: an unsupported activation ('selu') is refused, naming the layer and the key", async () => {
  const dir = copyFixture('time_distributed_lstm');
  const folder = readFolder(dir);
  const inner = layersOf(folder.json)[2].config.layer;
  assert.is(inner.class_name, 'Dense');
  inner.config.activation = 'selu';
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /TimeDistributed/, /Dense/, /'activation'/, /"selu"/);
  // And in a recurrent layer.
  const lstm = readFolder(copyFixture('time_distributed_lstm', dir));
  layersOf(lstm.json)[1].config.activation = 'selu';
  writeFolder(dir, lstm);
  assertMentions(await loadError(dir), modelJson(dir), /'lstm_LSTM2'/, /'activation'/, /"selu"/);
});

// ------------------------------------------------------------------- case 13

function smallModel(seed: number): Sequential {
  setSeed(seed);
  return new Sequential([new LSTM(3, { inputShape: [null, 2] }), new Dense(1)]);
}

const probe = (): Tensor => tensor(Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.sin(i + 1)), [2, 4, 2]);

/** A folder holding a saved model, the bytes of its files and its predictions on `probe()`. */
async function savedModel(): Promise<{ dir: string; json: Buffer; bin: Buffer; predicted: number[] }> {
  const dir = tempDir();
  const old = smallModel(1);
  await old.save(dir);
  return {
    dir,
    json: readFileSync(join(dir, 'model.json')),
    bin: readFileSync(join(dir, 'weights.bin')),
    predicted: [...old.predict(probe()).data],
  };
}

/** Writes a different model over `dir` through `fs`; returns the error that stopped it. */
function overwriteThrough(fs: FileSystem, dir: string): Error {
  clearSession();
  const other = smallModel(2);
  const artifacts = modelArtifacts(other);
  try {
    writeModelFiles(fs, dir, artifacts, artifactBytes(artifacts.weightData));
  } catch (err) {
    return err as Error;
  }
  assert.unreachable('writeModelFiles succeeded although the file system failed');
  throw new Error('unreachable');
}

async function assertOldModelIntact(saved: Awaited<ReturnType<typeof savedModel>>): Promise<void> {
  const { dir } = saved;
  assert.ok(readFileSync(join(dir, 'model.json')).equals(saved.json), 'model.json changed');
  assert.ok(readFileSync(join(dir, 'weights.bin')).equals(saved.bin), 'weights.bin changed');
  clearSession();
  const loaded = await loadModel(dir);
  assert.equal([...loaded.predict(probe()).data], saved.predicted, 'the reloaded model does not predict as the old one');
  const left = readdirSync(dir).sort();
  assert.equal(left, ['model.json', 'weights.bin'], `the folder holds ${left.join(', ')} (temporary files left behind)`);
}

test('13a: saving over a model when the second flushed write fails keeps the old model and no temporary file', async () => {
  const saved = await savedModel();
  let writes = 0;
  const failing: FileSystem = {
    ...files!,
    writeFlushed: (path, data) => {
      writes += 1;
      if (writes === 2) throw new Error(`simulated: disk full writing ${path}`);
      files!.writeFlushed(path, data);
    },
  };
  const err = overwriteThrough(failing, saved.dir);
  assert.match(err.message, /simulated: disk full/);
  assert.is(writes, 2);
  await assertOldModelIntact(saved);
});

test('13b: saving over a model when the first rename fails keeps the old model and no temporary file', async () => {
  const saved = await savedModel();
  let renames = 0;
  const failing: FileSystem = {
    ...files!,
    rename: (from, to) => {
      renames += 1;
      if (renames === 1) throw new Error(`simulated: rename ${from} -> ${to} failed`);
      files!.rename(from, to);
    },
  };
  const err = overwriteThrough(failing, saved.dir);
  assert.match(err.message, /simulated: rename/);
  assert.is(renames, 1, `rename was called ${renames} times after the first one failed`);
  await assertOldModelIntact(saved);
});

// ------------------------------------------------------------------- case 14

test('14: a model.json with no batch_input_shape on its first (Dense) layer says no input shape is declared', async () => {
  const dir = tempDir();
  setSeed(3);
  await new Sequential([new Dense(3, { inputShape: [2], activation: 'tanh' }), new Dense(1)]).save(dir);
  const folder = readFolder(dir);
  const first = layersOf(folder.json)[0];
  assert.is(first.class_name, 'Dense');
  assert.ok('batch_input_shape' in first.config);
  delete first.config.batch_input_shape;
  writeFolder(dir, folder);
  const message = await loadError(dir);
  assertMentions(message, modelJson(dir), /no input shape/, /batch_input_shape/);
});

test.run();
