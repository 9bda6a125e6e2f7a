/**
 * Weights alone on disk (`model.saveWeights` / `loadWeights`): a JSON
 * manifest (names, shapes, dtypes, byte ranges) and one binary file beside
 * it holding the raw little-endian values. Loading restores the exact bits,
 * so predictions after a round trip are identical. Both files are written
 * atomically; loading checks every entry against the model and the bytes
 * before it changes a weight.
 */
import { files } from '#platform';
import { formatShape, type DType, type Tensor } from '../../autograd/index.ts';
import { writeFilesAtomically } from '../platform/atomic.ts';
import { requireFiles } from '../platform/types.ts';
import { describe, isObject, own, parseJson } from './json.ts';

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
  const fs = requireFiles(files, `saveWeights('${path}')`);
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    entries.push({ name, shape: [...t.shape], dtype: t.dtype, byteOffset: offset, byteLength: t.data.byteLength });
    offset += t.data.byteLength;
  }
  const bytes = new Uint8Array(offset);
  named.forEach(([, t], i) => bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), entries[i].byteOffset));
  const bin = dataPath(path);
  const manifest: WeightsManifest = { format: 'unrolled-weights', version: 1, data: fs.basename(bin), weights: entries };
  writeFilesAtomically(fs, [{ path: bin, data: bytes }, { path, data: `${JSON.stringify(manifest, null, 2)}\n` }]);
}

export function loadWeightsFrom(path: string, named: ReadonlyArray<[string, Tensor]>): void {
  const fs = requireFiles(files, `loadWeights('${path}')`);
  const st = fs.stat(path);
  if (!st || !st.isFile) throw new Error(`loadWeights: no weights manifest at ${path}`);
  const doc = parseJson(fs.readText(path), path);
  if (!isObject(doc) || own(doc, 'format') !== 'unrolled-weights') throw new Error(`loadWeights: ${path} is not an Unrolled weights manifest`);
  const list = own(doc, 'weights');
  const data = own(doc, 'data');
  if (!Array.isArray(list)) throw new Error(`loadWeights: ${path}: 'weights' must be a list, got ${describe(list)}`);
  if (typeof data !== 'string' || data.includes('/') || data.includes('\\') || data === '..' || data === '.') {
    throw new Error(`loadWeights: ${path}: 'data' must name a file beside the manifest, got ${describe(data)}`);
  }
  if (list.length !== named.length) {
    throw new Error(`loadWeights: ${path} holds ${list.length} weights, the model has ${named.length}`);
  }
  const bin = fs.join(fs.dirname(path), data);
  const binStat = fs.stat(bin);
  if (!binStat || !binStat.isFile) throw new Error(`loadWeights: ${path} names ${data}, which is missing (looked for ${bin})`);
  const entries = list.map((e, i): WeightEntry => {
    const [name, t] = named[i];
    const entry = e as unknown as WeightEntry;
    if (!isObject(e) || !Array.isArray(entry.shape) || formatShape(entry.shape) !== formatShape(t.shape) || entry.dtype !== t.dtype) {
      throw new Error(`loadWeights: weight ${i} (${isObject(e) ? String(entry.name) : describe(e)}) is ${isObject(e) ? `${describe(entry.shape)} ${String(entry.dtype)}` : 'not an entry'} in ${path}, the model's ${name} is ${formatShape(t.shape)} ${t.dtype}`);
    }
    if (!Number.isSafeInteger(entry.byteOffset) || entry.byteLength !== t.data.byteLength || entry.byteOffset < 0 || entry.byteOffset + entry.byteLength > binStat.size) {
      throw new Error(`loadWeights: weight ${i} (${entry.name}) claims bytes ${entry.byteOffset}..${entry.byteOffset + entry.byteLength} of ${data}, which holds ${binStat.size} (the weight needs ${t.data.byteLength})`);
    }
    return entry;
  });
  const bytes = fs.readFile(bin);
  entries.forEach((entry, i) => {
    const t = named[i][1];
    const copy = bytes.slice(entry.byteOffset, entry.byteOffset + entry.byteLength).buffer;
    t.data.set(entry.dtype === 'float64' ? new Float64Array(copy) : new Float32Array(copy));
  });
}
