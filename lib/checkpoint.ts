/**
 * Callbacks that write training to disk (Node): ModelCheckpoint saves the
 * model (or its weights) at the end of epochs, BackupAndRestore keeps one
 * backup of the whole training state so that an interrupted `fit` resumes
 * where it stopped, with the same result bit for bit.
 *
 * A backup folder holds one folder per backup, `backup-<n>`, n counting up;
 * each holds state.json (the epoch, the generator's state, the optimizer's
 * settings, byte ranges) and state.bin (weights and optimizer slots, raw
 * little-endian). The backup with the largest n is the current one.
 *
 * A folder named `backup-<n>` is always complete: a backup is written into
 * a hidden temporary folder (`.backup-<n>.<unique>.tmp`, its files flushed),
 * which is then renamed to its final name in one step; only after that are
 * the older backups removed, each renamed aside before it is deleted. No
 * file is ever replaced in place. A crash at any moment therefore leaves
 * the previous backup or the new one as the current, complete backup, and
 * at worst hidden debris that the next backup clears.
 */
import { files } from '#platform';
import {
  formatShape, getRandomState, setRandomState, type DType, type FloatArray, type RandomState, type Tensor,
} from '../autograd/index.ts';
import type { Optimizer } from '../optim/index.ts';
import { monitorSign, monitoredValue, type Callback, type Logs, type TrainingModel } from './callbacks.ts';
import { describe, isObject, own, parseJson, type JsonValue } from './io/json.ts';
import { kerasFileKind } from './io/keras-paths.ts';
import { checkTrainingSavable } from './io/savable.ts';
import { writeFilesAtomically } from './platform/atomic.ts';
import { requireFiles, type FileSystem } from './platform/types.ts';
import { writeLine } from './progress.ts';
import { fillTemplate, parseTemplate, type Template, type TemplateValue } from './path-template.ts';

const BROWSER = 'write a callback that calls model.save(handler) with an IOHandler instead';

function fileSystem(where: string): FileSystem {
  return requireFiles(files, where, BROWSER);
}

/** A value from the caller's options, for messages (any type, including ones JSON cannot write). */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

function checkOptions(where: string, options: unknown, known: readonly string[], required: readonly string[]): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: expected an options object { ${known.join(', ')} }, got ${shown(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
  }
  for (const key of required) {
    if (o[key] === undefined) throw new Error(`${where}: the option '${key}' is required`);
  }
  return o;
}

function optionalBoolean(where: string, o: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${shown(v)}`);
  return v;
}

function nonEmptyString(where: string, o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${where}: ${key} must be a non-empty string, got ${typeof v === 'string' ? "''" : shown(v)}`);
  return v;
}

// ------------------------------------------------------------ ModelCheckpoint

export interface ModelCheckpointOptions {
  /**
   * Where to save, filled in at the end of each epoch with `{epoch}`
   * (counting from 1) and the log keys, in Python's format language:
   * `ckpt/epoch-{epoch:02d}-{val_loss:.3f}` (see path-template.ts). The
   * whole model goes to a folder (or a path ending in `.json`, or a Keras
   * 3 `.keras` file), as `model.save`, with the optimizer's state; with
   * `saveWeightsOnly` the path must end in `.json` (e.g.
   * `best.weights.json`: the weights manifest, with the values in the
   * `.bin` file beside it) or `.weights.h5` (Keras 3's layout), as
   * `model.saveWeights`.
   */
  filepath: string;
  /** The log key that decides "best" (default 'val_loss'). */
  monitor?: string;
  /** 0 silent (default), 1 a line whenever the callback saves or decides not to. */
  verbose?: 0 | 1;
  /** Save only when `monitor` improves on the best value seen (default false). */
  saveBestOnly?: boolean;
  /** Save the weights alone (`saveWeights`) instead of the whole model (default false). */
  saveWeightsOnly?: boolean;
  /** 'min' for losses, 'max' for accuracies; 'auto' is max for names containing 'acc', else min (default). */
  mode?: 'auto' | 'min' | 'max';
  /** With `saveBestOnly`: a value the monitor must beat before the first save. */
  initialValueThreshold?: number;
}

const CHECKPOINT_KEYS = ['filepath', 'monitor', 'verbose', 'saveBestOnly', 'saveWeightsOnly', 'mode', 'initialValueThreshold'];

/**
 * Keras's ModelCheckpoint: at the end of every epoch, saves the model (or
 * its weights) to `filepath` filled with the epoch and the logs; with
 * `saveBestOnly`, only when `monitor` improved. A monitor missing from the
 * logs is an error naming the keys there are (as EarlyStopping). The best
 * value carries over from one `fit` to the next with the same callback, as
 * in Keras.
 */
export class ModelCheckpoint implements Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: 0 | 1;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: 'auto' | 'min' | 'max';
  /** The best value of `monitor` so far (null before the first). */
  best: number | null;
  /** The paths written, in order. */
  readonly saved: string[] = [];
  private readonly template: Template;
  private readonly sign: 1 | -1;
  private model: TrainingModel | null = null;

  constructor(options: ModelCheckpointOptions) {
    const where = 'ModelCheckpoint';
    const o = checkOptions(where, options, CHECKPOINT_KEYS, ['filepath']);
    this.filepath = nonEmptyString(where, o, 'filepath')!;
    this.monitor = nonEmptyString(where, o, 'monitor') ?? 'val_loss';
    const verbose = o.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1) throw new Error(`${where}: verbose must be 0 or 1, got ${shown(verbose)}`);
    this.verbose = verbose;
    this.saveBestOnly = optionalBoolean(where, o, 'saveBestOnly', false);
    this.saveWeightsOnly = optionalBoolean(where, o, 'saveWeightsOnly', false);
    const mode = o.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new Error(`${where}: mode must be 'auto', 'min' or 'max', got ${shown(mode)}`);
    this.mode = mode;
    this.sign = monitorSign(mode, this.monitor);
    const threshold = o.initialValueThreshold;
    if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold))) {
      throw new Error(`${where}: initialValueThreshold must be a finite number, got ${shown(threshold)}`);
    }
    this.best = threshold ?? null;
    this.template = parseTemplate(this.filepath, `${where}: filepath '${this.filepath}'`);
    const kind = kerasFileKind(this.filepath);
    if (kind === 'h5') {
      throw new Error(`${where}: filepath '${this.filepath}': legacy Keras HDF5 (.h5) files are not written; end the path in .keras for the whole model, or in .weights.h5 with saveWeightsOnly`);
    }
    if (kind === 'weights.h5' && !this.saveWeightsOnly) {
      throw new Error(`${where}: filepath '${this.filepath}': a .weights.h5 file holds weights only; set saveWeightsOnly, or end the path in .keras for the whole model`);
    }
    if (this.saveWeightsOnly && kind !== 'weights.h5' && !this.filepath.endsWith('.json')) {
      throw new Error(`${where}: with saveWeightsOnly the filepath must end in '.json' (the weights manifest; the values go to the .bin beside it) or '.weights.h5' (Keras 3's layout), e.g. 'ckpt/epoch-{epoch:02d}.weights.json'; got '${this.filepath}'`);
    }
  }

  /**
   * Refuses, before any training, a model whose loss, metrics or optimizer
   * the file format of `filepath` cannot hold (a loss with options in the
   * TF.js format, Nadam or weight decay there, a metric function in a
   * .keras file), with the reason `save` would give at the end of the epoch.
   */
  onTrainBegin(model: TrainingModel): void {
    try {
      checkTrainingSavable(model, this.filepath, this.saveWeightsOnly);
    } catch (e) {
      throw new Error(`ModelCheckpoint('${this.filepath}'): ${model.name} cannot be saved there with its training settings, so no training is started: ${(e as Error).message}`);
    }
    this.model = model;
  }

  /** The path for the end of `epoch` (0-based) with `logs`. */
  pathFor(epoch: number, logs: Logs): string {
    const values = new Map<string, TemplateValue>([['epoch', { value: epoch + 1, integer: true }]]);
    for (const [k, v] of Object.entries(logs)) if (k !== 'epoch') values.set(k, { value: v, integer: false });
    return fillTemplate(this.template, values, `ModelCheckpoint: filepath '${this.filepath}'`);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const model = this.model;
    if (!model) throw new Error('ModelCheckpoint: onEpochEnd before onTrainBegin; pass the callback to fit');
    const path = this.pathFor(epoch, logs);
    if (this.saveBestOnly) {
      const current = monitoredValue('ModelCheckpoint', this.monitor, logs);
      const previous = this.best;
      const improved = !Number.isNaN(current) && (previous === null || this.sign * current < this.sign * previous);
      const from = previous === null ? 'None' : previous.toFixed(5);
      if (!improved) {
        if (this.verbose) writeLine(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${from}`);
        return;
      }
      if (this.verbose) writeLine(`Epoch ${epoch + 1}: ${this.monitor} improved from ${from} to ${current.toFixed(5)}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose) {
      writeLine(`Epoch ${epoch + 1}: saving model to ${path}`);
    }
    if (this.saveWeightsOnly) {
      const fs = fileSystem(`ModelCheckpoint('${this.filepath}')`);
      const dir = fs.dirname(path);
      if (dir && !fs.stat(dir)) fs.mkdirp(dir);
      await model.saveWeights(path);
    } else {
      await model.save(path, { includeOptimizer: true });
    }
    this.saved.push(path);
  }
}

// ------------------------------------------------------------ the backup format

/** Everything a backup restores. */
export interface TrainingBackup {
  /** Epochs completed: training resumes at this (0-based) epoch. */
  epoch: number;
  random: RandomState;
  weights: Array<{ name: string; shape: number[]; values: FloatArray }>;
  optimizer: { name: string; learningRate: number; iterations: number; slots: Array<{ name: string; values: FloatArray[] }> };
}

interface ArrayEntry {
  dtype: DType;
  size: number;
  byteOffset: number;
  byteLength: number;
}

const STATE_JSON = 'state.json';
const STATE_BIN = 'state.bin';
const BACKUP = /^backup-(\d+)$/;
const DEBRIS = /^\.backup-\d+\..+\.(tmp|deleted)$/;

function bytesOf(a: FloatArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The complete backups in `dir`, by number, ascending. */
function backupsIn(fs: FileSystem, dir: string): Array<{ n: number; name: string }> {
  const st = fs.stat(dir);
  if (!st?.isDirectory) return [];
  return fs.readdir(dir).flatMap((name) => {
    const m = BACKUP.exec(name);
    return m ? [{ n: Number(m[1]), name }] : [];
  }).sort((a, b) => a.n - b.n);
}

/** Renames each backup aside (so no half-deleted folder keeps a backup's name), oldest first, then deletes it; also clears debris. */
function removeBackups(fs: FileSystem, dir: string, backups: ReadonlyArray<{ n: number; name: string }>): void {
  for (const b of backups) {
    const aside = fs.join(dir, `.${b.name}.${fs.uniqueSuffix()}.deleted`);
    fs.rename(fs.join(dir, b.name), aside);
    fs.syncDirectory(dir);
    fs.remove(aside);
  }
  for (const name of fs.readdir(dir)) if (DEBRIS.test(name)) fs.remove(fs.join(dir, name));
}

/**
 * Writes `backup` into `dir` as the file comment describes, then removes
 * the backups it replaces. Every step goes through `fs`.
 */
export function writeBackup(fs: FileSystem, dir: string, backup: TrainingBackup): void {
  const st = fs.stat(dir);
  if (st && !st.isDirectory) throw new Error(`BackupAndRestore: ${dir} exists and is not a folder`);
  if (!st) fs.mkdirp(dir);
  const older = backupsIn(fs, dir);
  const n = (older.at(-1)?.n ?? 0) + 1;
  const name = `backup-${n}`;
  const temporary = fs.join(dir, `.${name}.${fs.uniqueSuffix()}.tmp`);
  fs.mkdirp(temporary);

  const arrays = [...backup.weights.map((w) => w.values), ...backup.optimizer.slots.flatMap((s) => s.values)];
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    entries.push({ dtype: a instanceof Float64Array ? 'float64' : 'float32', size: a.length, byteOffset: offset, byteLength: a.byteLength });
    offset += a.byteLength;
  }
  const bin = new Uint8Array(offset);
  arrays.forEach((a, i) => bin.set(bytesOf(a), entries[i].byteOffset));
  let at = 0;
  const next = (): ArrayEntry => entries[at++];
  const state = {
    format: 'unrolled-backup',
    version: 1,
    epoch: backup.epoch,
    random: backup.random,
    data: STATE_BIN,
    dataBytes: bin.byteLength,
    weights: backup.weights.map((w) => ({ name: w.name, shape: w.shape, ...next() })),
    optimizer: {
      name: backup.optimizer.name,
      learningRate: backup.optimizer.learningRate,
      iterations: backup.optimizer.iterations,
      slots: backup.optimizer.slots.map((s) => ({ name: s.name, arrays: s.values.map(() => next()) })),
    },
  };
  writeFilesAtomically(fs, [
    { path: fs.join(temporary, STATE_BIN), data: bin },
    { path: fs.join(temporary, STATE_JSON), data: `${JSON.stringify(state)}\n` },
  ]);
  // The one step that makes the new backup current.
  fs.rename(temporary, fs.join(dir, name));
  fs.syncDirectory(dir);
  removeBackups(fs, dir, older);
}

function integer(where: string, v: JsonValue | undefined, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`${where}: ${what} must be an integer ≥ ${min}, got ${describe(v)}`);
  return v;
}

function readEntry(where: string, v: JsonValue, dataBytes: number): ArrayEntry {
  if (!isObject(v)) throw new Error(`${where}: an array entry must be an object, got ${describe(v)}`);
  const dtype = own(v, 'dtype');
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${where}: dtype must be float32 or float64, got ${describe(dtype)}`);
  const size = integer(where, own(v, 'size'), 'size');
  const byteOffset = integer(where, own(v, 'byteOffset'), 'byteOffset');
  const byteLength = integer(where, own(v, 'byteLength'), 'byteLength');
  if (byteLength !== size * (dtype === 'float64' ? 8 : 4) || byteOffset + byteLength > dataBytes) {
    throw new Error(`${where}: bytes ${byteOffset}..${byteOffset + byteLength} do not hold ${size} ${dtype} values within the ${dataBytes} bytes of ${STATE_BIN}`);
  }
  return { dtype, size, byteOffset, byteLength };
}

function arrayOf(bytes: Uint8Array, e: ArrayEntry): FloatArray {
  const copy = bytes.slice(e.byteOffset, e.byteOffset + e.byteLength).buffer;
  return e.dtype === 'float64' ? new Float64Array(copy) : new Float32Array(copy);
}

/** The current backup in `dir` (the complete one with the largest number), or null when there is none. Everything is checked. */
export function readBackup(fs: FileSystem, dir: string): TrainingBackup | null {
  const current = backupsIn(fs, dir).at(-1);
  if (!current) return null;
  const statePath = fs.join(dir, current.name, STATE_JSON);
  const binPath = fs.join(dir, current.name, STATE_BIN);
  const sst = fs.stat(statePath);
  const bst = fs.stat(binPath);
  if (!sst?.isFile || !bst?.isFile) throw new Error(`BackupAndRestore: the backup ${fs.join(dir, current.name)} lacks ${!sst?.isFile ? STATE_JSON : STATE_BIN}; it was not written by BackupAndRestore`);
  const where = `BackupAndRestore: ${statePath}`;
  const doc = parseJson(fs.readText(statePath), statePath);
  if (!isObject(doc) || own(doc, 'format') !== 'unrolled-backup' || own(doc, 'version') !== 1) throw new Error(`${where} is not a version 1 Unrolled backup`);
  const dataBytes = integer(where, own(doc, 'dataBytes'), 'dataBytes');
  if (dataBytes !== bst.size) throw new Error(`${where}: ${STATE_BIN} holds ${bst.size} bytes, the backup declares ${dataBytes}`);
  const epoch = integer(where, own(doc, 'epoch'), 'epoch', 1);
  const random = own(doc, 'random');
  const S = isObject(random) ? own(random, 'S') : undefined;
  if (!isObject(random) || !Array.isArray(S)) throw new Error(`${where}: 'random' must be the generator's state { i, j, S }, got ${describe(random)}`);
  const weightList = own(doc, 'weights');
  const opt = own(doc, 'optimizer');
  if (!Array.isArray(weightList)) throw new Error(`${where}: 'weights' must be a list, got ${describe(weightList)}`);
  if (!isObject(opt)) throw new Error(`${where}: 'optimizer' must be an object, got ${describe(opt)}`);
  const slotList = own(opt, 'slots');
  const optName = own(opt, 'name');
  const learningRate = own(opt, 'learningRate');
  if (!Array.isArray(slotList) || typeof optName !== 'string' || typeof learningRate !== 'number') {
    throw new Error(`${where}: 'optimizer' must hold name, learningRate, iterations and slots`);
  }
  const weightEntries = weightList.map((w, i) => {
    const at = `${where}, weight ${i}`;
    if (!isObject(w)) throw new Error(`${at}: must be an object, got ${describe(w)}`);
    const name = own(w, 'name');
    const shape = own(w, 'shape');
    if (typeof name !== 'string' || !Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${at}: needs a name and a shape of non-negative integers`);
    }
    const entry = readEntry(at, w, dataBytes);
    const dims = shape as number[];
    if (dims.reduce((n, d) => n * d, 1) !== entry.size) throw new Error(`${at}: shape ${formatShape(dims)} does not hold ${entry.size} values`);
    return { name, shape: dims, entry };
  });
  const slotEntries = slotList.map((s, k) => {
    const at = `${where}, optimizer slot ${k}`;
    const name = isObject(s) ? own(s, 'name') : undefined;
    const arrays = isObject(s) ? own(s, 'arrays') : undefined;
    if (typeof name !== 'string' || !Array.isArray(arrays)) throw new Error(`${at}: must be { name, arrays }`);
    return { name, arrays: arrays.map((a, i) => readEntry(`${at}, array ${i}`, a, dataBytes)) };
  });
  const bytes = fs.readFile(binPath);
  if (bytes.byteLength !== dataBytes) throw new Error(`${where}: ${STATE_BIN} changed while it was read`);
  return {
    epoch,
    random: { i: own(random, 'i'), j: own(random, 'j'), S: [...S] } as RandomState,
    weights: weightEntries.map((w) => ({ name: w.name, shape: w.shape, values: arrayOf(bytes, w.entry) })),
    optimizer: {
      name: optName,
      learningRate,
      iterations: integer(where, own(opt, 'iterations'), 'optimizer iterations'),
      slots: slotEntries.map((s) => ({ name: s.name, values: s.arrays.map((e) => arrayOf(bytes, e)) })),
    },
  };
}

/** Removes every backup in `dir`, oldest first (so a crash midway leaves the newest current), then `dir` itself if nothing else is in it. */
export function deleteBackup(fs: FileSystem, dir: string): void {
  const st = fs.stat(dir);
  if (!st?.isDirectory) return;
  removeBackups(fs, dir, backupsIn(fs, dir));
  if (fs.readdir(dir).length === 0) fs.remove(dir);
}

// ------------------------------------------------------------ BackupAndRestore

export interface BackupAndRestoreOptions {
  /** The folder for the backup; keep it for this one training run (nothing else should write there). */
  backupDir: string;
  /** Remove the backup when `fit` completes (default true); it stays when training fails. */
  deleteCheckpoint?: boolean;
}

function describeModelMismatch(model: TrainingModel, backup: TrainingBackup): string | null {
  const weights = model.namedWeights();
  if (weights.length !== backup.weights.length) return `the backup holds ${backup.weights.length} weights, the model has ${weights.length}`;
  for (let i = 0; i < weights.length; i++) {
    const [name, t] = weights[i];
    const b = backup.weights[i];
    if (formatShape(t.shape) !== formatShape(b.shape) || t.data.length !== b.values.length) {
      return `weight ${i} is ${b.name} ${formatShape(b.shape)} in the backup, the model's ${name} is ${formatShape(t.shape)}`;
    }
    const dtype = b.values instanceof Float64Array ? 'float64' : 'float32';
    if (t.dtype !== dtype) return `weight ${i} (${name}) is ${dtype} in the backup, ${t.dtype} in the model`;
  }
  const optimizer = model.optimizer;
  if (!optimizer) return 'the model has no optimizer; compile it first';
  if (optimizer.name !== backup.optimizer.name) return `the backup was made with ${backup.optimizer.name}, the model is compiled with ${optimizer.name}`;
  const names = backup.optimizer.slots.map((s) => s.name);
  if (names.join(',') !== optimizer.slotNames.join(',')) {
    return `the backup's ${backup.optimizer.name} keeps [${names.join(', ')}] per weight, this one [${optimizer.slotNames.join(', ')}]`;
  }
  const trainable = model.trainableWeightTensors();
  for (const slot of backup.optimizer.slots) {
    if (slot.values.length !== trainable.length) return `optimizer slot '${slot.name}' has ${slot.values.length} arrays, the model ${trainable.length} trainable weights`;
    const bad = slot.values.findIndex((v, i) => v.length !== trainable[i].size);
    if (bad >= 0) return `optimizer slot '${slot.name}' of trainable weight ${bad} has ${slot.values[bad].length} values, the weight ${trainable[bad].size}`;
  }
  return null;
}

/**
 * Keras's BackupAndRestore: at the end of every epoch it backs up, in
 * `backupDir`, the weights, the optimizer's state (slots, step count,
 * learning rate), the random generator's state and the number of epochs
 * done (see the file comment for the format and why a crash cannot leave a
 * broken backup). When `fit` starts and a backup is there, all of that is
 * put back and the epochs continue after the last one backed up, so the
 * result is the one an uninterrupted run gives, bit for bit, when the data
 * and arguments are the same (the History holds the resumed epochs only).
 * A generator passed to fit is not rewound: its batches are the caller's.
 * The generator state is taken when this callback's onEpochEnd runs, so
 * list it after callbacks that draw random numbers there.
 */
export class BackupAndRestore implements Callback {
  readonly backupDir: string;
  readonly deleteCheckpoint: boolean;
  /** The epoch (0-based) the last `fit` resumed at, or null when it started afresh. */
  resumedAt: number | null = null;
  private model: TrainingModel | null = null;

  constructor(options: BackupAndRestoreOptions) {
    const where = 'BackupAndRestore';
    const o = checkOptions(where, options, ['backupDir', 'deleteCheckpoint'], ['backupDir']);
    this.backupDir = nonEmptyString(where, o, 'backupDir')!;
    this.deleteCheckpoint = optionalBoolean(where, o, 'deleteCheckpoint', true);
  }

  private fs(): FileSystem {
    return fileSystem(`BackupAndRestore('${this.backupDir}')`);
  }

  onTrainBegin(model: TrainingModel): void {
    this.model = model;
    this.resumedAt = null;
    const fs = this.fs();
    const st = fs.stat(this.backupDir);
    if (st && !st.isDirectory) throw new Error(`BackupAndRestore: backupDir ${this.backupDir} exists and is not a folder`);
    const backup = st ? readBackup(fs, this.backupDir) : null;
    if (!backup) return;
    if (!model.built) {
      throw new Error(`BackupAndRestore: ${model.name} must be built before fit() to restore the backup in ${this.backupDir}: give the first layer an inputShape, or call build()`);
    }
    const mismatch = describeModelMismatch(model, backup);
    if (mismatch) {
      throw new Error(`BackupAndRestore: the backup in ${this.backupDir} does not fit ${model.name}: ${mismatch}; it must be restored into the model it was made from (delete the folder to start over)`);
    }
    const optimizer = model.optimizer as Optimizer;
    // The generator first: it is the one step here that can still refuse, and nothing has changed yet.
    setRandomState(backup.random);
    optimizer.setSlots(model.trainableWeightTensors(), { iterations: backup.optimizer.iterations, slots: backup.optimizer.slots });
    optimizer.learningRate = backup.optimizer.learningRate;
    model.weightTensors().forEach((t, i) => t.data.set(backup.weights[i].values));
    model.initialEpoch = backup.epoch;
    this.resumedAt = backup.epoch;
  }

  onEpochEnd(epoch: number): void {
    const model = this.model;
    if (!model) throw new Error('BackupAndRestore: onEpochEnd before onTrainBegin; pass the callback to fit');
    const optimizer = model.optimizer;
    if (!optimizer) throw new Error(`BackupAndRestore: ${model.name} has no optimizer; compile it first`);
    const trainable: Tensor[] = model.trainableWeightTensors();
    const slots = optimizer.getSlots(trainable);
    writeBackup(this.fs(), this.backupDir, {
      epoch: epoch + 1,
      random: getRandomState(),
      weights: model.namedWeights().map(([name, t]) => ({ name, shape: [...t.shape], values: t.data })),
      optimizer: { name: optimizer.name, learningRate: optimizer.learningRate, iterations: slots.iterations, slots: slots.slots },
    });
  }

  onTrainEnd(): void {
    if (this.deleteCheckpoint) deleteBackup(this.fs(), this.backupDir);
  }
}
