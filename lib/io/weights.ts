/**
 * Weights on disk: a JSON manifest (names, shapes, dtypes, byte ranges) and
 * one binary file beside it holding the raw little-endian values. Loading
 * restores the exact bits, so predictions after a round trip are identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatShape, type DType, type Tensor } from '../autograd/index.ts';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: DType;
  byteOffset: number;
  byteLength: number;
}

export interface WeightsManifest {
  format: 'unrolled-weights';
  version: 1;
  /** The binary file, relative to the manifest. */
  data: string;
  weights: WeightEntry[];
}

function dataPath(manifestPath: string): string {
  return manifestPath.replace(/(\.json)?$/, '.bin');
}

export function saveWeightsTo(path: string, named: ReadonlyArray<[string, Tensor]>): void {
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    entries.push({ name, shape: [...t.shape], dtype: t.dtype, byteOffset: offset, byteLength: t.data.byteLength });
    offset += t.data.byteLength;
  }
  const bytes = new Uint8Array(offset);
  named.forEach(([, t], i) => bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), entries[i].byteOffset));
  const bin = dataPath(path);
  const manifest: WeightsManifest = { format: 'unrolled-weights', version: 1, data: basename(bin), weights: entries };
  writeFileSync(bin, bytes);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function loadWeightsFrom(path: string, named: ReadonlyArray<[string, Tensor]>): void {
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as WeightsManifest;
  if (manifest.format !== 'unrolled-weights') throw new Error(`loadWeights: ${path} is not an Unrolled weights manifest`);
  if (manifest.weights.length !== named.length) {
    throw new Error(`loadWeights: ${path} holds ${manifest.weights.length} weights, the model has ${named.length}`);
  }
  const bytes = readFileSync(join(dirname(path), manifest.data));
  manifest.weights.forEach((entry, i) => {
    const [name, t] = named[i];
    if (formatShape(entry.shape) !== formatShape(t.shape) || entry.dtype !== t.dtype) {
      throw new Error(`loadWeights: weight ${i} (${entry.name}) is ${formatShape(entry.shape)} ${entry.dtype} in ${path}, the model's ${name} is ${formatShape(t.shape)} ${t.dtype}`);
    }
    const raw = bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength);
    const copy = new Uint8Array(raw).buffer;
    t.data.set(entry.dtype === 'float64' ? new Float64Array(copy) : new Float32Array(copy));
  });
}
