/**
 * Callbacks that set the optimizer's learning rate during `fit`, as Keras's:
 *
 * - LearningRateScheduler(fn): at the start of each epoch,
 *   lr ← fn(epoch, lr) (epoch from 0, lr the current rate);
 * - ReduceLROnPlateau: at the end of each epoch, when `monitor` has not
 *   improved by more than `minDelta` for `patience` epochs,
 *   lr ← max(lr · factor, minLr), then `cooldown` epochs pass before the
 *   count starts again.
 *
 * Both put the rate the epoch ran with into its logs as `learning_rate`, as
 * Keras 3's do in on_epoch_end (ReduceLROnPlateau before it lowers the
 * rate), so the History has a `learning_rate` entry per epoch, after the
 * loss and metric keys. Callbacks listed after them see it too: list a
 * CSVLogger after the learning-rate callback for the column, as in Keras.
 */
import { monitorSign, monitoredValue, type Callback, type Logs, type TrainingModel } from './callbacks.ts';

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function checkKnown(where: string, options: object, known: readonly string[]): void {
  const o: unknown = options;
  if (o === null || typeof o !== 'object') throw new Error(`${where}: options must be an object { ${known.join(', ')} }, got ${describe(o)}`);
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
}

function numberIn(where: string, key: string, v: unknown, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${where}: ${key} must be ${what}, got ${describe(v)}`);
  return v;
}

/** The optimizer of the model being trained, or an error naming the callback. */
function optimizerOf(where: string, model: TrainingModel | null): NonNullable<TrainingModel['optimizer']> {
  const optimizer = model?.optimizer;
  if (!optimizer) throw new Error(`${where}: the model has no optimizer; compile() it before fit()`);
  return optimizer;
}

/** fn(epoch, lr) → the learning rate for `epoch` (from 0), given the current one. */
export type Schedule = (epoch: number, lr: number) => number;

/** Keras's LearningRateScheduler: the learning rate of each epoch is `schedule(epoch, lr)`. */
export class LearningRateScheduler implements Callback {
  readonly schedule: Schedule;
  readonly verbose: 0 | 1;
  private model: TrainingModel | null = null;

  /** `verbose: 1` prints each change. */
  constructor(schedule: Schedule, options: { verbose?: 0 | 1 } = {}) {
    if (typeof schedule !== 'function') throw new Error(`LearningRateScheduler: schedule must be a function (epoch, lr) => lr, got ${describe(schedule)}`);
    checkKnown('LearningRateScheduler', options, ['verbose']);
    const verbose: unknown = options.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1) throw new Error(`LearningRateScheduler: verbose must be 0 or 1, got ${describe(verbose)}`);
    this.schedule = schedule;
    this.verbose = verbose;
  }

  onTrainBegin(model: TrainingModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    const optimizer = optimizerOf('LearningRateScheduler', this.model);
    const lr: unknown = this.schedule(epoch, optimizer.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`LearningRateScheduler: the schedule returned ${describe(lr)} for epoch ${epoch}; a learning rate must be a finite number ≥ 0`);
    }
    if (this.verbose === 1 && lr !== optimizer.learningRate) console.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
    optimizer.learningRate = lr;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = optimizerOf('LearningRateScheduler', this.model).learningRate;
  }
}

export interface ReduceLROnPlateauOptions {
  /** The log key to watch (default 'val_loss'). */
  monitor?: string;
  /** The rate is multiplied by this, in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before the rate drops (default 10). */
  patience?: number;
  /** An improvement must exceed this (default 1e-4). */
  minDelta?: number;
  /** Epochs after a drop before the count starts again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
  /** 'min' for losses, 'max' for accuracies; 'auto' decides from the name (default). */
  mode?: 'min' | 'max' | 'auto';
  /** 1 prints each drop (default 0). */
  verbose?: 0 | 1;
}

/** Keras's ReduceLROnPlateau; see the file comment. */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: 0 | 1;
  private readonly sign: 1 | -1;
  private model: TrainingModel | null = null;
  private best = Infinity;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    checkKnown(where, options, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'mode', 'verbose']);
    const monitor: unknown = options.monitor ?? 'val_loss';
    if (typeof monitor !== 'string' || monitor === '') throw new Error(`${where}: monitor must be a log key such as 'val_loss', got ${describe(monitor)}`);
    this.monitor = monitor;
    this.factor = numberIn(where, 'factor', options.factor ?? 0.1, (x) => x > 0 && x < 1, 'a number in (0, 1)');
    this.patience = numberIn(where, 'patience', options.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.minDelta = numberIn(where, 'minDelta', options.minDelta ?? 1e-4, (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0');
    this.cooldown = numberIn(where, 'cooldown', options.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.minLr = numberIn(where, 'minLr', options.minLr ?? 0, (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0');
    const mode: unknown = options.mode ?? 'auto';
    if (mode !== 'min' && mode !== 'max' && mode !== 'auto') throw new Error(`${where}: mode must be 'min', 'max' or 'auto', got ${describe(mode)}`);
    const verbose: unknown = options.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1) throw new Error(`${where}: verbose must be 0 or 1, got ${describe(verbose)}`);
    this.verbose = verbose;
    this.sign = monitorSign(mode, monitor);
  }

  onTrainBegin(model: TrainingModel): void {
    this.model = model;
    this.best = Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const optimizer = optimizerOf('ReduceLROnPlateau', this.model);
    logs.learning_rate = optimizer.learningRate;
    // Scores are signed so that smaller is better in both modes.
    const score = this.sign * monitoredValue('ReduceLROnPlateau', this.monitor, logs);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (score < this.best - this.minDelta) {
      this.best = score;
      this.wait = 0;
      return;
    }
    // As Keras: the epoch that ends a cooldown already counts.
    if (this.cooldownCounter > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const old = optimizer.learningRate;
    if (old > Math.fround(this.minLr)) {
      const lr = Math.max(old * this.factor, this.minLr);
      optimizer.learningRate = lr;
      if (this.verbose === 1) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
      this.cooldownCounter = this.cooldown;
      this.wait = 0;
    }
  }
}
