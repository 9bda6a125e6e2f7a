/**
 * Which HDF5 reader Unrolled reads Keras files with, measured.
 *
 * h5wasm (the HDF5 C library in WebAssembly, through its in-memory file
 * system) writes a file in the layout of a Keras 3 `model.weights.h5`:
 * an Embedding(20000, 128) table at `layers/embedding/vars/0` (10 MB of
 * float32), an LSTM(64) under `layers/lstm/cell/vars/` and a Dense(1). Then
 * each reader opens the file from an in-memory ArrayBuffer, as a browser
 * would hold it, and reads every dataset into a Float32Array:
 *
 *   jsfive            jsfive's own `File`, `get`, `.value` (a JS array, then Float32Array)
 *   Unrolled's facade lib/io/hdf5.ts: jsfive for the structure, sizes checked, contiguous data copied from the bytes
 *   h5wasm            `FS.writeFile` of the bytes, `new File(…, 'r')`, `.value`, `close`, `FS.unlink`
 *
 * Every reader's values are first checked against the written ones, bit for
 * bit. The reads are timed interleaved (A B C A B C …) after a warm-up;
 * medians of the per-call CPU and wall time. h5wasm's one-time start (the
 * import, which decodes and compiles its 4 MB of inlined WebAssembly, and
 * `ready`) and jsfive's import are timed in fresh Node processes, one at a
 * time in turn, wall time inside the child. The bundle cost is what
 * esbuild makes of each for a browser (minified ESM), raw and gzipped.
 *
 * Run: npx tsx bench/hdf5.ts [--runs N]
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import h5wasm, { Dataset as H5Dataset, File as H5File, type Group as H5Group } from 'h5wasm';
// @ts-expect-error jsfive ships no type declarations; the part used here is typed below.
import * as jsfiveModule from 'jsfive';
import { Hdf5Dataset, openHdf5, type Hdf5Group } from '../lib/io/hdf5.ts';
import { fmt, formatBytes, formatLoad, interleaved, machine, markdownTable, median } from './timing.ts';
import { say } from './text.ts';

interface JsNode {
  readonly keys?: string[];
  get(name: string): JsNode;
  readonly value: number[];
}
const jsfive = jsfiveModule as { File: new (buffer: ArrayBuffer, name: string) => JsNode; Dataset: abstract new () => JsNode };

const ROOT = resolve(import.meta.dirname, '..');
const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Math.max(7, Number(process.argv[argRuns + 1])) : 9;
const INIT_RUNS = Math.max(7, RUNS);

// ---------------------------------------------------------------- the file

/** [path, shape] of every dataset, Keras 3's layout: Embedding(20000, 128), LSTM(64), Dense(1). */
const DATASETS: Array<[string, number[]]> = [
  ['layers/embedding/vars/0', [20000, 128]],
  ['layers/lstm/cell/vars/0', [128, 256]],
  ['layers/lstm/cell/vars/1', [64, 256]],
  ['layers/lstm/cell/vars/2', [256]],
  ['layers/dense/vars/0', [64, 1]],
  ['layers/dense/vars/1', [1]],
];

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const { FS } = await h5wasm.ready;
if (!FS) throw new Error('h5wasm: no file system');

/** The file's bytes, and what each dataset holds. */
function writeFile(): { bytes: Uint8Array; expected: Map<string, Float32Array> } {
  const expected = new Map<string, Float32Array>();
  const file = new H5File('/bench-write.h5', 'w');
  file.create_attribute('keras_version', '3.5.0');
  for (const [path, shape] of DATASETS) {
    const parts = path.split('/');
    let group: H5Group = file;
    for (const name of parts.slice(0, -1)) {
      // create_group makes one level: parents first.
      group = (group.keys().includes(name) ? group.get(name) : group.create_group(name)) as H5Group;
    }
    const data = values(shape.reduce((a, d) => a * d, 1), expected.size + 1);
    group.create_dataset({ name: parts.at(-1)!, data, shape, dtype: '<f4' });
    expected.set(`/${path}`, data);
  }
  file.close();
  const bytes = FS!.readFile('/bench-write.h5');
  FS!.unlink('/bench-write.h5');
  return { bytes, expected };
}

// ---------------------------------------------------------------- the readers

type Reader = (buffer: ArrayBuffer) => Map<string, Float32Array>;

const readJsfive: Reader = (buffer) => {
  const out = new Map<string, Float32Array>();
  const walk = (node: JsNode, path: string): void => {
    for (const name of node.keys!) {
      const child = node.get(name);
      const childPath = `${path}/${name}`;
      if (child instanceof jsfive.Dataset) out.set(childPath, Float32Array.from(child.value));
      else walk(child, childPath);
    }
  };
  walk(new jsfive.File(buffer, 'bench.h5'), '');
  return out;
};

const readFacade: Reader = (buffer) => {
  const out = new Map<string, Float32Array>();
  const walk = (group: Hdf5Group): void => {
    for (const name of group.children()) {
      const child = group.get(name)!;
      if (child instanceof Hdf5Dataset) out.set(child.path, child.float32());
      else walk(child);
    }
  };
  walk(openHdf5(new Uint8Array(buffer), 'bench.h5'));
  return out;
};

const readH5wasm: Reader = (buffer) => {
  const out = new Map<string, Float32Array>();
  FS!.writeFile('/bench-read.h5', new Uint8Array(buffer));
  const file = new H5File('/bench-read.h5', 'r');
  const walk = (group: H5Group, path: string): void => {
    for (const name of group.keys()) {
      const child = group.get(name);
      const childPath = `${path}/${name}`;
      if (child instanceof H5Dataset) out.set(childPath, child.value as Float32Array);
      else walk(child as H5Group, childPath);
    }
  };
  walk(file, '');
  file.close();
  FS!.unlink('/bench-read.h5');
  return out;
};

const READERS: Array<[string, Reader]> = [['jsfive', readJsfive], ["Unrolled's facade (jsfive)", readFacade], ['h5wasm', readH5wasm]];

function check(label: string, got: Map<string, Float32Array>, expected: Map<string, Float32Array>): void {
  for (const [path, want] of expected) {
    const v = got.get(path);
    if (!v) throw new Error(`${label}: no dataset ${path}; read ${[...got.keys()].join(', ')}`);
    if (v.length !== want.length) throw new Error(`${label}: ${path} has ${v.length} values, ${want.length} were written`);
    for (let i = 0; i < v.length; i++) {
      if (!Object.is(v[i], want[i])) throw new Error(`${label}: ${path}[${i}] is ${v[i]}, ${want[i]} was written`);
    }
  }
  if (got.size !== expected.size) throw new Error(`${label}: read ${got.size} datasets, ${expected.size} were written`);
}

// ---------------------------------------------------------------- one-time costs

/** Wall ms, measured inside a fresh Node process, of importing `specifier` (and awaiting `ready` when asked). */
function startInChild(specifier: string, ready: boolean): number {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(specifier)});`
    + `${ready ? ' await m.default.ready;' : ''} process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

async function bundleSize(contents: string): Promise<{ raw: number; gzip: number }> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
    // h5wasm's Emscripten glue names Node modules it only loads under Node.
    external: ['module', 'fs', 'path', 'url', 'crypto', 'worker_threads'],
  });
  const bytes = result.outputFiles[0].contents;
  return { raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
}

// ---------------------------------------------------------------- run

const { bytes, expected } = writeFile();
const buffer = bytes.slice().buffer;
for (const [label, read] of READERS) check(label, read(buffer), expected);
say(`file: ${formatBytes(bytes.byteLength)}, ${DATASETS.length} datasets, checked bit for bit with every reader`);

const load0 = machine().load;
const timed = await interleaved(READERS.map(([, read]) => () => read(buffer)), { runs: RUNS, warmup: 2, runMs: 200 });

const init: Record<string, number[]> = { h5wasm: [], jsfive: [] };
for (let r = 0; r < INIT_RUNS; r++) {
  init.h5wasm.push(startInChild('h5wasm', true));
  init.jsfive.push(startInChild('jsfive', false));
}
const bundles = {
  jsfive: await bundleSize(`import * as m from 'jsfive'; (globalThis as any).m = m;`),
  facade: await bundleSize(`import { openHdf5 } from './lib/io/hdf5.ts'; (globalThis as any).m = openHdf5;`),
  h5wasm: await bundleSize(`import h5wasm, { Dataset as H5Dataset, File as H5File, type Group as H5Group } from 'h5wasm'; (globalThis as any).m = h5wasm;`),
};
const load1 = machine().load;

const m = machine();
say(`\n${m.cpu}, ${m.cores} cores, Node ${m.node}; load average ${formatLoad(load0)} before, ${formatLoad(load1)} after\n`);
say(`Open the ${formatBytes(bytes.byteLength)} file from an ArrayBuffer and read every dataset (median of ${RUNS} interleaved runs):\n`);
console.log(markdownTable(
  ['reader', 'CPU ms', 'wall ms', 'fastest run, wall ms'],
  READERS.map(([label], i) => [label, fmt(timed[i].cpuMs), fmt(timed[i].wallMs), fmt(Math.min(...timed[i].runs.map((t) => t.wallMs)))]),
  [false, true, true, true],
));
say(`\nOne-time start in a fresh process (median of ${INIT_RUNS}, wall ms) and browser bundle (esbuild, minified ESM):\n`);
console.log(markdownTable(
  ['library', 'import + ready, ms', 'bundle', 'gzipped'],
  [
    ['jsfive 0.4.2 (with pako)', fmt(median(init.jsfive)), formatBytes(bundles.jsfive.raw), formatBytes(bundles.jsfive.gzip)],
    ["Unrolled's facade + jsfive", '—', formatBytes(bundles.facade.raw), formatBytes(bundles.facade.gzip)],
    ['h5wasm 0.10.3', fmt(median(init.h5wasm)), formatBytes(bundles.h5wasm.raw), formatBytes(bundles.h5wasm.gzip)],
  ],
  [false, true, true, true],
));
