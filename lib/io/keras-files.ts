/**
 * Keras files by their names: what `loadModel`, `model.save`,
 * `saveWeights` and `loadWeights` do with a path ending in `.keras`
 * (Keras 3's zip), `.weights.h5` (Keras 3's weights alone) or `.h5` /
 * `.hdf5` (legacy Keras HDF5, read only), and with the bytes of such a
 * file. Every function takes the platform (file system and HDF5 writer)
 * it is to use, so that the browser build's answers can be checked under
 * Node; the callers pass `#platform`'s.
 *
 * Files are written atomically (platform/atomic.ts): a failed save leaves
 * the previous file as it was.
 */
import type { Model } from '../model/model.ts';
import { writeFilesAtomically } from '../platform/atomic.ts';
import { requireFiles, type FileSystem, type Hdf5Writer } from '../platform/types.ts';
import type { SaveResult } from './artifacts.ts';
import { isHdf5 } from './hdf5.ts';
import { kerasFileKind } from './keras-paths.ts';
import { readKerasH5 } from './keras-h5.ts';
import { readKeras, readKerasWeights, writeKeras, writeKerasWeights } from './keras3.ts';
import type { SaveOptions } from './save.ts';
import { isZip } from './zip.ts';

/** What reading and writing Keras files needs of the platform: Node has both, a browser neither. */
export interface KerasPlatform {
  readonly files: FileSystem | null;
  readonly hdf5Writer: Hdf5Writer | null;
}

const BYTES_INSTEAD = "pass the file's bytes (a Uint8Array or ArrayBuffer) instead: Keras files are read in memory anywhere";
const SAVE_INSTEAD = 'writing Keras files needs Node.js (a file system and an HDF5 writer), and this is the browser build of Unrolled; save in the TF.js format to an IOHandler ({ save(artifacts) }) instead';

function readExisting(fs: FileSystem, path: string, call: string): Uint8Array {
  const st = fs.stat(path);
  if (!st || !st.isFile) throw new Error(`${call}: no file at ${path}`);
  return fs.readFile(path);
}

/** The model in the bytes of a Keras file: HDF5 (legacy .h5) or zip (.keras); `where` names them in errors. */
export async function readKerasBytes(bytes: Uint8Array, where: string): Promise<Model> {
  if (isHdf5(bytes)) return readKerasH5(bytes, where);
  if (isZip(bytes)) return readKeras(bytes, where);
  throw new Error(`${where}: ${bytes.byteLength} bytes with neither the HDF5 signature (a legacy Keras .h5 file) nor the zip signature PK\\x03\\x04 (a Keras 3 .keras file); other formats are passed as a path, an IOHandler or ModelArtifacts`);
}

/** `loadModel(path)` for a path ending in .keras, .h5 or .hdf5. */
export async function loadKerasFile(path: string, source: string, platform: KerasPlatform): Promise<Model> {
  const call = `loadModel('${source}')`;
  const fs = requireFiles(platform.files, call, BYTES_INSTEAD);
  const bytes = readExisting(fs, path, call);
  if (kerasFileKind(path) === 'keras') {
    if (!isZip(bytes)) throw new Error(`${path}: not a .keras file (a zip archive starts with PK\\x03\\x04; this file starts with ${describeStart(bytes)})`);
    return readKeras(bytes, path);
  }
  return readKerasH5(bytes, path);
}

function describeStart(bytes: Uint8Array): string {
  if (bytes.byteLength === 0) return 'nothing: it is empty';
  return Array.from(bytes.subarray(0, 4), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** Writes one file atomically, making its folder first when it is missing (as a save to a folder does). */
function writeBeside(fs: FileSystem, path: string, bytes: Uint8Array): void {
  const dir = fs.dirname(path);
  const st = fs.stat(dir);
  if (st && !st.isDirectory) throw new Error(`${path}: ${dir} exists and is not a folder`);
  if (!st) fs.mkdirp(dir);
  writeFilesAtomically(fs, [{ path, data: bytes }]);
}

/** `model.save(path)` for a path ending in .keras (a legacy .h5 is refused: Keras 3 reads .keras). */
export async function saveKerasFile(model: Model, path: string, target: string, options: SaveOptions, platform: KerasPlatform): Promise<SaveResult> {
  const call = `${model.name}: save('${target}')`;
  if (kerasFileKind(path) !== 'keras') {
    throw new Error(`${call}: Unrolled writes Keras 3's .keras files, not legacy HDF5 (.h5) models; save to 'model.keras' (Keras 3 and tf.keras ≥ 2.13 read it), or to a folder for the TF.js format`);
  }
  if (!platform.files || !platform.hdf5Writer) throw new Error(`${call}: ${SAVE_INSTEAD}`);
  const bytes = await writeKeras(model, options, platform.hdf5Writer);
  writeBeside(platform.files, path, bytes);
  return {
    modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength },
  };
}

/** `saveWeights(path)` for a path ending in .weights.h5: Keras 3's `save_weights` layout. */
export async function saveKerasWeightsFile(model: Model, path: string, platform: KerasPlatform): Promise<void> {
  const call = `${model.name}: saveWeights('${path}')`;
  if (!platform.files || !platform.hdf5Writer) throw new Error(`${call}: ${SAVE_INSTEAD}`);
  const bytes = await writeKerasWeights(model, platform.hdf5Writer);
  writeBeside(platform.files, path, bytes);
}

/**
 * Refuses one shard of sharded weights: Keras 3's `save_weights('x.weights.json',
 * max_shard_size=…)` writes an index `x.weights.json` and the shards
 * `x_00000.weights.h5`, `x_00001.weights.h5`, … beside it, each holding
 * some of the variable groups. Unrolled reads the unsharded layout only.
 */
function refuseShard(fs: FileSystem, path: string, call: string): void {
  const shard = /^(.*)_(\d{5})\.weights\.h5$/i.exec(fs.basename(path));
  if (!shard) return;
  const index = fs.join(fs.dirname(path), `${shard[1]}.weights.json`);
  if (!fs.stat(index)?.isFile) return;
  throw new Error(`${call}: ${path} is shard ${Number(shard[2])} of sharded weights (${index} lists the shards); Unrolled reads unsharded .weights.h5 files: in Keras, save_weights('model.weights.h5') without max_shard_size`);
}

/** `loadWeights(path)` for a path ending in .weights.h5. */
export async function loadKerasWeightsFile(model: Model, path: string, platform: KerasPlatform): Promise<void> {
  const call = `${model.name}: loadWeights('${path}')`;
  const fs = requireFiles(platform.files, call, "in a browser, load the whole model from a .keras file's bytes with loadModel(bytes)");
  refuseShard(fs, path, call);
  await readKerasWeights(model, readExisting(fs, path, call), path);
}
