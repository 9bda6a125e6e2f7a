/**
 * Helpers for the specs on hostile and broken model files
 * (bad-files.spec.ts, untrusted.spec.ts): temporary folders, copies of the
 * TF.js-written fixtures, a model.json + weights.bin rewriter that keeps the
 * bytes consistent with the manifest, and assertions on error messages that
 * print the message they got.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { loadModel, tensor, type IOHandler, type Model, type ModelArtifacts, type SymbolicTensor } from '../../../lib/index.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/models/tfjs');

const made: string[] = [];

/** A fresh temporary folder, removed by `removeTempDirs`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-'));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Copies a fixture's model.json and weights.bin into `dir` (a new temp folder by default); returns `dir`. */
export function copyFixture(name: string, dir = tempDir()): string {
  for (const f of ['model.json', 'weights.bin']) cpSync(join(FIXTURES, name, f), join(dir, f));
  return dir;
}

export type Json = any;

export interface Weight {
  name: string;
  shape: number[];
  dtype?: string;
  values: Float32Array;
}

/** A model folder as data: the parsed model.json and its weights in manifest order. */
export interface ModelFolder {
  json: Json;
  weights: Weight[];
}

/** Reads `dir/model.json` and its (single-group) weights. */
export function readFolder(dir: string): ModelFolder {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Json;
  const weights: Weight[] = [];
  for (const group of json.weightsManifest as Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype?: string }> }>) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, d) => a * d, 1);
      const values = new Float32Array(n);
      values.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + 4 * n)));
      weights.push({ name: w.name, shape: [...w.shape], ...(w.dtype ? { dtype: w.dtype } : {}), values });
      at += 4 * n;
    }
  }
  return { json, weights };
}

/** The bytes of `weights`, float32 little-endian, one after another. */
export function weightBytes(weights: readonly Weight[]): Uint8Array {
  const out = new Float32Array(weights.reduce((n, w) => n + w.values.length, 0));
  let at = 0;
  for (const w of weights) {
    out.set(w.values, at);
    at += w.values.length;
  }
  return new Uint8Array(out.buffer);
}

/** Writes `folder` to `dir` as model.json + one shard (`shard`, default weights.bin), manifest and bytes consistent. */
export function writeFolder(dir: string, folder: ModelFolder, shard = 'weights.bin'): void {
  const json = { ...folder.json };
  json.weightsManifest = [{
    paths: [shard],
    weights: folder.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype ?? 'float32' })),
  }];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, shard), weightBytes(folder.weights));
}

/** The layer entries of a Sequential topology (bare list or `{ name, layers }`). */
export function layersOf(json: Json): Json[] {
  const config = json.modelTopology.config;
  return Array.isArray(config) ? config : config.layers;
}

/** A fixture's first reference case: its input ids and the output TF.js computed. */
export function reference(name: string): { input: number[][]; shape: number[]; output: number[] } {
  const ref = JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as Json;
  const c = ref.cases[0];
  return { input: c.input.data, shape: c.input.shape, output: c.output.data };
}

/** Checks that `model` computes the fixture's reference output (within float32 noise). */
export function assertPredictsReference(model: Model<SymbolicTensor>, name: string, tolerance = 1e-5): void {
  const ref = reference(name);
  const out = model.predict(tensor(ref.input.flat(), ref.shape));
  assert.is(out.data.length, ref.output.length, `output length ${out.data.length}, reference ${ref.output.length}`);
  let worst = 0;
  for (let i = 0; i < ref.output.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - ref.output[i]));
  assert.ok(worst <= tolerance, `predictions differ from TF.js's by up to ${worst}`);
}

/**
 * The message of the error `loadModel(source)` rejects with; fails the test
 * if it returns a model instead.
 */
export async function loadError(source: string | IOHandler | ModelArtifacts): Promise<string> {
  let model: Model<SymbolicTensor>;
  try {
    model = await loadModel(source);
  } catch (err) {
    assert.instance(err, Error, `loadModel rejected with a non-Error: ${String(err)}`);
    return (err as Error).message;
  }
  assert.unreachable(`loadModel returned a model (${model.name}, ${model.layers.length} layers) instead of an error`);
  throw new Error('unreachable');
}

/** Asserts that `message` matches every pattern, printing the message when one does not. */
export function assertMentions(message: string, ...patterns: RegExp[]): void {
  for (const p of patterns) assert.match(message, p, `expected the message to match ${p}; the message was:\n  ${message}`);
}

/** A regex source matching `text` literally. */
export function lit(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A regex matching `text` literally. */
export function re(text: string, flags = ''): RegExp {
  return new RegExp(lit(text), flags);
}
