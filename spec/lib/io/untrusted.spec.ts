/**
 * loadModel on files from a stranger: prototype keys in the JSON, a manifest
 * that promises terabytes, shard paths that leave the model's folder, and
 * in-memory artifacts whose specs promise more bytes than they hold.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clearSession, loadModel, type Model, type ModelArtifacts, type SymbolicTensor } from '../../../lib/index.ts';
import { readModelFiles } from '../../../lib/io/model-files.ts';
import { files } from '../../../lib/platform/node.ts';
import type { FileSystem } from '../../../lib/platform/types.ts';
import {
  assertMentions, assertPredictsReference, copyFixture, layersOf, lit, loadError, re, readFolder, removeTempDirs, tempDir,
  weightBytes, writeFolder, type Json,
} from './bad-files-helpers.ts';

test.before.each(() => clearSession());
test.after.each(() => removeTempDirs());

/** Adds `key: value` to `obj` as an own, enumerable data property (so `__proto__` stays a key and JSON.stringify writes it). */
function put(obj: Json, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function prototypeKeys(): Record<string, string[]> {
  return {
    Object: Object.getOwnPropertyNames(Object.prototype).sort(),
    Array: Object.getOwnPropertyNames(Array.prototype).sort(),
    Function: Object.getOwnPropertyNames(Function.prototype).sort(),
  };
}

// ------------------------------------------------------------------- case 1

test('1a: __proto__ / constructor / prototype keys in model.json pollute no prototype', async () => {
  const dir = copyFixture('e2e_gru');
  const { json, weights } = readFolder(dir);
  const evil = (): Json => JSON.parse('{"polluted": 1, "__proto__": {"polluted": 1}}');
  // Everywhere a stranger can put a key: the file, the topology, the model config, a layer entry, a layer config, the manifest.
  put(json, '__proto__', evil());
  put(json, 'constructor', { prototype: evil() });
  put(json.modelTopology, '__proto__', evil());
  put(json.modelTopology, 'constructor', { prototype: evil() });
  put(json.modelTopology, 'prototype', evil());
  put(json.modelTopology.config, '__proto__', evil());
  put(json.modelTopology.config, 'constructor', { prototype: evil() });
  const [embedding, gru] = layersOf(json);
  put(embedding, '__proto__', evil());
  put(gru.config, '__proto__', evil());
  put(gru.config, 'constructor', { prototype: evil() });
  put(gru.config, 'prototype', evil());
  writeFolder(dir, { json, weights });
  // Add the same keys to the manifest group and a weight entry (writeFolder writes a plain manifest).
  const written = readFileSync(join(dir, 'model.json'), 'utf8');
  const at = written.indexOf('"weightsManifest":[{');
  const text = written.slice(0, at) + written.slice(at)
    .replace('"weightsManifest":[{', '"weightsManifest":[{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},')
    .replace('"dtype":"float32"}', '"dtype":"float32","__proto__":{"polluted":1}}');
  const doc = JSON.parse(text) as Json;
  const holders = [doc, doc.modelTopology, doc.modelTopology.config, layersOf(doc)[0], layersOf(doc)[1].config, doc.weightsManifest[0], doc.weightsManifest[0].weights[0]];
  assert.ok(holders.every((o) => Object.hasOwn(o, '__proto__')), 'every level of the file holds a __proto__ key');
  assert.ok(Object.hasOwn(doc.modelTopology, 'constructor') && Object.hasOwn(doc.modelTopology, 'prototype'), 'the topology holds constructor and prototype keys');
  writeFileSync(join(dir, 'model.json'), text);

  const before = prototypeKeys();
  const outcomes: string[] = [];
  for (const source of [dir, JSON.parse(text) as Json] as const) {
    // The folder, and the same JSON as in-memory artifacts (ordinary objects whose own keys include __proto__).
    const artifacts: string | ModelArtifacts = typeof source === 'string' ? source : {
      modelTopology: source.modelTopology,
      weightSpecs: source.weightsManifest[0].weights,
      weightData: weightBytes(weights).buffer as ArrayBuffer,
    };
    let model: Model<SymbolicTensor> | null = null;
    try {
      model = await loadModel(artifacts);
      outcomes.push(`${typeof source === 'string' ? 'folder' : 'artifacts'}: loaded`);
    } catch (err) {
      outcomes.push(`${typeof source === 'string' ? 'folder' : 'artifacts'}: ${(err as Error).message}`);
    }
    assert.is(({} as Json).polluted, undefined, `({}).polluted is set after loading from the ${typeof source}; ${outcomes.join('; ')}`);
    assert.is(([] as Json).polluted, undefined, 'an array got polluted');
    assert.equal(prototypeKeys(), before, `a prototype gained keys; ${outcomes.join('; ')}`);
    if (model) assertPredictsReference(model, 'e2e_gru');
  }
});

test('1b: layers named __proto__ and constructor load and predict', async () => {
  const dir = copyFixture('gru');
  const { json, weights } = readFolder(dir);
  const [embedding, gru] = layersOf(json);
  const renames: Record<string, string> = { [embedding.config.name]: 'constructor', [gru.config.name]: '__proto__' };
  embedding.config.name = 'constructor';
  gru.config.name = '__proto__';
  for (const w of weights) {
    const [layer, ...rest] = w.name.split('/');
    w.name = [renames[layer], ...rest].join('/');
  }
  writeFolder(dir, { json, weights });
  const before = prototypeKeys();
  let model: Model<SymbolicTensor>;
  try {
    model = await loadModel(dir);
  } catch (err) {
    assert.unreachable(`loadModel refused layers named constructor and __proto__: ${(err as Error).message}`);
    return;
  }
  assert.equal(model.layers.map((l) => l.name), ['constructor', '__proto__']);
  assert.equal(model.namedWeights().map(([n]) => n), weights.map((w) => w.name));
  assertPredictsReference(model, 'gru');
  assert.equal(prototypeKeys(), before);
});

test('1c: a training config whose loss or metric is a prototype key is refused naming the file and the key', async () => {
  const problems: string[] = [];
  for (const [loss, metric] of [['constructor', 'acc'], ['__proto__', 'acc'], ['mse', '__proto__'], ['mse', 'constructor']]) {
    const dir = copyFixture('gru');
    const { json, weights } = readFolder(dir);
    json.trainingConfig = { loss, metrics: [metric], optimizer_config: { class_name: 'Adam', config: {} } };
    writeFolder(dir, { json, weights });
    const message = await loadError(dir);
    const bad = loss === 'mse' ? `metric "${metric}"` : `loss '${loss}'`;
    const wanted = [re(join(dir, 'model.json')), re(`${bad} is not supported`)];
    const failed = wanted.filter((p) => !p.test(message));
    if (failed.length > 0) problems.push(`loss ${loss}, metric ${metric}: expected ${failed.join(' and ')}; got:\n    ${message}`);
  }
  assert.ok(problems.length === 0, problems.join('\n  '));
});

// ------------------------------------------------------------------- case 2

test('2: a manifest declaring a 4 TB weight is refused at once, naming the weight and the bytes, without allocating', async () => {
  const dir = copyFixture('simple_rnn');
  const { json, weights } = readFolder(dir);
  writeFolder(dir, { json, weights });
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Json;
  manifest.weightsManifest[0].weights[0].shape = [1000000, 1000000];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
  const name = weights[0].name;
  const huge = 4 * 1e12;
  const declaredTotal = huge + weights.slice(1).reduce((n, w) => n + 4 * w.values.length, 0);

  const sources: Array<[string, () => string | ModelArtifacts, RegExp[]]> = [
    ['folder', () => dir, [re(join(dir, 'model.json')), re(name), new RegExp(`\\b(${huge}|${declaredTotal})\\b`), /\b8400\b/]],
    ['artifacts', () => ({
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest[0].weights,
      weightData: weightBytes(weights).buffer as ArrayBuffer,
    }), [/loadModel\(artifacts\)/, re(name), new RegExp(`\\b(${huge}|${declaredTotal})\\b`), /\b8400\b/]],
  ];
  const problems: string[] = [];
  for (const [label, source, patterns] of sources) {
    const buffersBefore = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const message = await loadError(source());
    const ms = performance.now() - started;
    const grown = process.memoryUsage().arrayBuffers - buffersBefore;
    if (ms >= 2_000) problems.push(`${label}: took ${ms.toFixed(0)} ms`);
    if (grown > 50e6) problems.push(`${label}: arrayBuffers grew by ${(grown / 1e6).toFixed(0)} MB`);
    const failed = patterns.filter((p) => !p.test(message));
    if (failed.length > 0) problems.push(`${label}: expected ${failed.join(' and ')}; got:\n    ${message}`);
  }
  assert.ok(problems.length === 0, problems.join('\n  '));
});

// ------------------------------------------------------------------- case 3

/**
 * A FileSystem that records every path it is asked to stat or read, to show
 * that nothing outside the model's folder is touched.
 */
function spyingFiles(): { fs: FileSystem; touched: string[] } {
  const touched: string[] = [];
  const fs: FileSystem = {
    ...files!,
    stat: (p) => (touched.push(resolve(p)), files!.stat(p)),
    readFile: (p) => (touched.push(resolve(p)), files!.readFile(p)),
    readText: (p) => (touched.push(resolve(p)), files!.readText(p)),
  };
  return { fs, touched };
}

/** A model folder `root/model` whose manifest points at `path`; `root/outside.bin` holds valid bytes, so a read would succeed. */
function escapingModel(path: (root: string) => string): { root: string; dir: string; path: string } {
  const root = tempDir();
  const dir = join(root, 'model');
  mkdirSync(dir);
  copyFixture('gru', dir);
  const folder = readFolder(dir);
  writeFolder(dir, folder);
  writeFileSync(join(root, 'outside.bin'), weightBytes(folder.weights));
  writeFileSync(join(root, 'x.bin'), weightBytes(folder.weights));
  const p = path(root);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Json;
  json.weightsManifest[0].paths = [p];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return { root, dir, path: p };
}

const ESCAPES: Array<[string, (root: string) => string]> = [
  ['../outside.bin', () => '../outside.bin'],
  ['an absolute path', (root) => join(root, 'outside.bin')],
  ['file:///etc/passwd', () => 'file:///etc/passwd'],
  ['https://example.com/w.bin', () => 'https://example.com/w.bin'],
  ['a Windows path C:\\w.bin', () => 'C:\\w.bin'],
  ['sub/../../x.bin', () => 'sub/../../x.bin'],
  ['..\\outside.bin (backslashes)', () => '..\\outside.bin'],
];

for (const [label, path] of ESCAPES) {
  test(`3: a weight path leaving the model folder is refused without reading it: ${label}`, async () => {
    const { dir, path: p } = escapingModel(path);
    const message = await loadError(dir);
    assertMentions(message, re(join(dir, 'model.json')), re(`'${p}'`), /outside the model's folder/);
    const { fs, touched } = spyingFiles();
    assert.throws(() => readModelFiles(fs, dir), new RegExp(`${lit(`'${p}'`)} is outside the model's folder`));
    const outside = touched.filter((t) => t !== resolve(dir) && !t.startsWith(`${resolve(dir)}/`));
    assert.equal(outside, [], `read or stat'ed outside the model folder: ${outside.join(', ')}`);
  });
}

test('3: a weight path into a sub-folder of the model folder (shards/w.bin) is accepted', async () => {
  const dir = copyFixture('gru');
  const folder = readFolder(dir);
  mkdirSync(join(dir, 'shards'));
  writeFolder(dir, folder, 'shards/w.bin');
  const model = await loadModel(dir);
  assertPredictsReference(model, 'gru');
});

test('3: a weight file that is a link inside the folder pointing outside it is refused', async () => {
  const dir = copyFixture('gru');
  const folder = readFolder(dir);
  const outside = join(tempDir(), 'outside.bin');
  writeFileSync(outside, weightBytes(folder.weights));
  writeFolder(dir, folder, 'link.bin');
  rmSync(join(dir, 'link.bin'));
  symlinkSync(outside, join(dir, 'link.bin'));
  const message = await loadError(dir);
  assertMentions(message, re(join(dir, 'model.json')), /link\.bin/, /outside the model's folder/);
});

// ------------------------------------------------------------------- case 4

test('4: in-memory artifacts whose weightSpecs promise more bytes than weightData holds are refused, naming the numbers', async () => {
  const { json, weights } = readFolder(copyFixture('gru'));
  const bytes = weightBytes(weights);
  const held = bytes.byteLength - 48;
  const artifacts: ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bytes.slice(0, held).buffer as ArrayBuffer,
  };
  const message = await loadError(artifacts);
  assertMentions(message, /loadModel\(artifacts\)/, /truncated/, new RegExp(`\\b${bytes.byteLength}\\b bytes`), new RegExp(`holds ${held}\\b`));
  // The same in pieces (TF.js 4 passes an array of buffers).
  const pieces = await loadError({ ...artifacts, weightData: [bytes.slice(0, 100).buffer as ArrayBuffer, bytes.slice(100, held).buffer as ArrayBuffer] });
  assertMentions(pieces, /truncated/, new RegExp(`\\b${bytes.byteLength}\\b bytes`), new RegExp(`holds ${held}\\b`));
});

test.run();
