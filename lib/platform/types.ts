/**
 * What Unrolled needs of a file system: model and weight files, the CSV and
 * text-directory loaders. Node provides it (platform/node.ts); a browser
 * build has none (platform/browser.ts), and every call that takes a path
 * says so and names what to use instead.
 *
 * The package's `imports` map picks the file for `#platform` by condition
 * (`browser` or not), so a browser bundle never reaches a `node:` module.
 */

export interface FileStat {
  isFile: boolean;
  isDirectory: boolean;
  /** Bytes. */
  size: number;
}

export interface FileSystem {
  readFile(path: string): Uint8Array;
  readText(path: string): string;
  /** null when nothing is at `path`. */
  stat(path: string): FileStat | null;
  /** Names in `dir`, unsorted. */
  readdir(dir: string): string[];
  mkdirp(dir: string): void;
  /** Removes a file or a directory tree; nothing when absent. */
  remove(path: string): void;
  rename(from: string, to: string): void;
  /** A second name for the file at `from` (a hard link, or a copy where links are not possible). */
  link(from: string, to: string): void;
  /** Writes and flushes `data` to `path` (not atomic by itself; see atomic.ts). */
  writeFlushed(path: string, data: Uint8Array | string): void;
  /** Flushes a directory's entries (after renames), where the system allows it. */
  syncDirectory(dir: string): void;
  join(...parts: string[]): string;
  /** The separator of path segments ('/' or '\\'). */
  readonly separator: string;
  dirname(path: string): string;
  basename(path: string): string;
  resolve(...parts: string[]): string;
  isAbsolute(path: string): boolean;
  /** The path with every symbolic link resolved (the path must exist). */
  realpath(path: string): string;
  /** A name unique to this process and moment, for temporary files. */
  uniqueSuffix(): string;
}

/** What a browser can pass instead of a model path. */
const MODEL_INSTEAD = 'pass an IOHandler ({ save(artifacts) } / { load() }) or ModelArtifacts object instead, or the file contents';

/**
 * The file system, or a clear error: `where` names the call (e.g.
 * `loadModel('model/')`) and the message says what works in a browser:
 * `instead` when given, otherwise the in-memory forms of a model.
 */
export function requireFiles(files: FileSystem | null, where: string, instead: string = MODEL_INSTEAD): FileSystem {
  if (files) return files;
  throw new Error(`${where}: file paths need Node.js, and this is the browser build of Unrolled; ${instead}`);
}

/** One object of an HDF5 file to write; parent groups that are not listed are created empty. */
export type Hdf5Node =
  | {
    kind: 'group';
    /** From the root, `/`-separated, without a leading slash (e.g. `layers/lstm/vars`). */
    path: string;
    /** Scalar string attributes (variable-length UTF-8, as h5py writes a Python str). */
    attributes: Readonly<Record<string, string>>;
  }
  | {
    kind: 'dataset';
    path: string;
    /** Outermost first; [] for a scalar. */
    shape: readonly number[];
    dtype: 'float32' | 'int32';
    /** The values, row-major, little-endian in the file. */
    data: Float32Array | Int32Array;
  };

/**
 * Writes HDF5 files in memory (Node: h5wasm, loaded on first use). The
 * browser build has none, and saving a Keras file there says so.
 */
export interface Hdf5Writer {
  /** The bytes of a new HDF5 file holding `nodes`, created in the given order. */
  write(nodes: readonly Hdf5Node[]): Promise<Uint8Array>;
}
