/**
 * Text classification data from a directory with one sub-folder per class,
 * as Keras's `text_dataset_from_directory` reads it:
 *
 * ```
 * aclImdb/train/
 *   neg/  0_3.txt  1_1.txt ...   → label 0
 *   pos/  0_9.txt  1_7.txt ...   → label 1
 * ```
 *
 * Classes are the sub-folders in sorted order (or `classNames`, in the order
 * given); the label of a text is the index of its class. Every file below a
 * class folder (sub-folders included, names starting with "." excepted) is
 * one text, read as UTF-8; files at the top level are ignored, as are
 * sub-folders not named in `classNames` (e.g. aclImdb's `unsup/`).
 *
 * Reading a directory needs Node.js; in a browser, fit a `Tokenizer` on the
 * texts and pad its sequences with `padSequences`.
 */
import { files as platformFiles } from '#platform';
import { requireFiles, type FileStat, type FileSystem } from '../platform/types.ts';
import seedrandom from 'seedrandom';
import { Tensor } from '../../autograd/tensor.ts';
import { random } from '../../autograd/random.ts';
import { padSequences, type PadSide } from './sequences.ts';
import { Tokenizer, type TokenizerOptions } from './tokenizer.ts';

export interface TextDirectory {
  /** One entry per file, classes in order, files sorted by path within a class. */
  texts: string[];
  /** Class index of each text. */
  labels: number[];
  /** Path of each text. */
  files: string[];
  classNames: string[];
}

export interface ReadTextDirectoryOptions {
  /** Which sub-folders are classes, in label order. Default: every sub-folder, sorted. */
  classNames?: readonly string[];
}

export interface TextDatasetOptions extends ReadTextDirectoryOptions {
  /** Length of every padded sequence. Default: the longest text. */
  maxlen?: number;
  /** Keep the `numWords − 1` most frequent words of the training texts. Default: all. */
  numWords?: number;
  /** Fraction of the texts (taken from the end, after shuffling) kept apart for validation, in (0, 1). */
  validationSplit?: number;
  /** Shuffle the texts before splitting. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle; without one, it is drawn from the global seeded generator. */
  seed?: number | string;
  /** Passed to `padSequences`. Default 'pre' for both. */
  padding?: PadSide;
  truncating?: PadSide;
  /** Further tokenizer options (filters, lower, split, oovToken). */
  tokenizer?: Omit<TokenizerOptions, 'numWords'>;
}

export interface TextDataset {
  /** `[n, maxlen]` word ids of the training texts. */
  x: Tensor;
  /** `[n]` class indices of the training texts. */
  y: Tensor;
  /** `[nVal, maxlen]`, only with `validationSplit`. */
  xVal?: Tensor;
  /** `[nVal]`, only with `validationSplit`. */
  yVal?: Tensor;
  classNames: string[];
  /** Fitted on the training texts only. */
  tokenizer: Tokenizer;
  /** Paths of the training texts, in the order of `x`. */
  files: string[];
  /** Paths of the validation texts, in the order of `xVal`. */
  filesVal?: string[];
}

/** What a browser can do instead of reading a directory. */
const TEXTS_INSTEAD = 'fit a Tokenizer on the texts themselves and pad its sequences with padSequences';

function statOrThrow(fs: FileSystem, where: string, path: string, what: string): FileStat {
  const st = fs.stat(path);
  if (!st) throw new Error(`${where}: ${what} not found: ${path}`);
  return st;
}

/** Every file below `dir` (not starting with "."), sorted by path. */
function filesBelow(fs: FileSystem, where: string, dir: string): string[] {
  const out: string[] = [];
  const names = fs.readdir(dir).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const path = fs.join(dir, name);
    const st = statOrThrow(fs, where, path, 'file');
    if (st.isDirectory) out.push(...filesBelow(fs, where, path));
    else if (st.isFile) out.push(path);
  }
  return out;
}

/** Reads every text of every class folder of `dir`. */
export function readTextDirectory(dir: string, options: ReadTextDirectoryOptions = {}): TextDirectory {
  const where = 'readTextDirectory';
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new Error(`${where}: dir must be a path, got ${JSON.stringify(dir)}`);
  }
  const fs = requireFiles(platformFiles, `${where}(${JSON.stringify(dir)})`, TEXTS_INSTEAD);
  if (!statOrThrow(fs, where, dir, 'directory').isDirectory) {
    throw new Error(`${where}: not a directory: ${dir}`);
  }
  const folders = fs.readdir(dir)
    .filter((n) => !n.startsWith('.') && fs.stat(fs.join(dir, n))?.isDirectory === true)
    .sort();
  let classNames: string[];
  if (options.classNames !== undefined) {
    classNames = [...options.classNames];
    if (classNames.length === 0) throw new Error(`${where}: classNames is empty`);
    if (new Set(classNames).size !== classNames.length) {
      throw new Error(`${where}: classNames has duplicates: ${JSON.stringify(classNames)}`);
    }
    for (const name of classNames) {
      if (!folders.includes(name)) {
        throw new Error(`${where}: class folder not found: ${fs.join(dir, name)} (sub-folders: ${JSON.stringify(folders)})`);
      }
    }
  } else {
    classNames = folders;
    if (classNames.length === 0) throw new Error(`${where}: no class sub-folders in ${dir}`);
  }

  const texts: string[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  classNames.forEach((name, label) => {
    const folder = fs.join(dir, name);
    const paths = filesBelow(fs, where, folder);
    if (paths.length === 0) throw new Error(`${where}: class folder has no files: ${folder}`);
    for (const path of paths) {
      texts.push(fs.readText(path));
      labels.push(label);
      files.push(path);
    }
  });
  return { texts, labels, files, classNames };
}

/**
 * Texts of a class-per-folder directory as padded word-id tensors: read,
 * shuffle, split off the validation part, fit a tokenizer on the training
 * part, turn both parts into ids and pad them to `maxlen`.
 */
export function textDatasetFromDirectory(dir: string, options: TextDatasetOptions = {}): TextDataset {
  const where = 'textDatasetFromDirectory';
  const { validationSplit, shuffle = true } = options;
  if (validationSplit !== undefined && !(validationSplit > 0 && validationSplit < 1)) {
    throw new Error(`${where}: validationSplit must be a number in (0, 1), got ${validationSplit}`);
  }
  requireFiles(platformFiles, `${where}(${JSON.stringify(dir)})`, TEXTS_INSTEAD);
  const tokenizer = new Tokenizer({ ...options.tokenizer, numWords: options.numWords });
  const pad = { maxlen: options.maxlen, padding: options.padding, truncating: options.truncating };
  if (pad.maxlen !== undefined && (!Number.isInteger(pad.maxlen) || pad.maxlen < 1)) {
    throw new Error(`${where}: maxlen must be a positive integer, got ${pad.maxlen}`);
  }

  const all = readTextDirectory(dir, { classNames: options.classNames });
  const n = all.texts.length;
  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) {
    const rng = seedrandom(String(options.seed ?? random()));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const nVal = validationSplit === undefined ? 0 : Math.floor(validationSplit * n);
  if (validationSplit !== undefined && (nVal === 0 || nVal === n)) {
    throw new Error(`${where}: validationSplit ${validationSplit} of ${n} texts leaves ${nVal} for validation and ${n - nVal} for training; both need at least one`);
  }
  const trainOrder = order.slice(0, n - nVal);
  const valOrder = order.slice(n - nVal);

  const part = (idx: number[]) => ({
    texts: idx.map((i) => all.texts[i]),
    y: new Tensor(Float32Array.from(idx, (i) => all.labels[i]), [idx.length]),
    files: idx.map((i) => all.files[i]),
  });
  const train = part(trainOrder);
  tokenizer.fitOnTexts(train.texts);
  const x = padSequences(tokenizer.textsToSequences(train.texts), pad);
  if (x.shape[1] === 0) throw new Error(`${where}: the training texts in ${dir} contain no words`);
  const result: TextDataset = { x, y: train.y, classNames: all.classNames, tokenizer, files: train.files };
  if (nVal > 0) {
    const val = part(valOrder);
    // Validation texts are padded to the training length, so both fit one model.
    result.xVal = padSequences(tokenizer.textsToSequences(val.texts), { ...pad, maxlen: x.shape[1] });
    result.yVal = val.y;
    result.filesVal = val.files;
  }
  return result;
}
