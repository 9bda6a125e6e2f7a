/**
 * Training callbacks: the hooks `fit` calls, and EarlyStopping. Every hook
 * may be async: `fit` awaits what it returns before it goes on, so a
 * checkpoint written in `onEpochEnd` is complete before the next epoch
 * begins. ModelCheckpoint and BackupAndRestore live in checkpoint.ts.
 */
import type { Tensor } from '../autograd/index.ts';
import type { Optimizer } from '../optim/index.ts';
import type { SaveResult } from './io/artifacts.ts';
import type { SaveOptions } from './io/save.ts';

/** Loss and metric values by Keras name: loss, acc, val_loss, val_acc, mae, val_mae. */
export type Logs = Record<string, number>;

/** What a callback may see and change of the model being trained (Sequential implements it). */
export interface TrainingModel {
  readonly name: string;
  /** Set it in a hook to end training after the current epoch. */
  stopTraining: boolean;
  /**
   * The epoch (0-based) the epoch loop starts at: fit's `initialEpoch`
   * option, set before `onTrainBegin`; a callback may move it there
   * (BackupAndRestore does, to resume after the last backed-up epoch).
   */
  initialEpoch: number;
  readonly built: boolean;
  /** The optimizer given to `compile`. */
  readonly optimizer: Optimizer | null;
  /** Every weight tensor, layer by layer, in the Keras order. */
  weightTensors(): Tensor[];
  /** The weights training updates, in the order the optimizer sees them. */
  trainableWeightTensors(): Tensor[];
  /** Every weight with its full name (`lstm/kernel`). */
  namedWeights(): Array<[string, Tensor]>;
  /** The whole model to a folder (or a path ending in .json), as `model.save`. */
  save(target: string, options?: SaveOptions): Promise<SaveResult>;
  /** The weights alone: a JSON manifest at `path` and a .bin beside it, as `model.saveWeights`. */
  saveWeights(path: string): void | Promise<void>;
}

/** What a hook returns: nothing, or a Promise that `fit` awaits. */
export type HookResult = void | Promise<void>;

/**
 * Hooks `fit` calls, each awaited. `epoch` and `batch` count from 0;
 * `onTrainEnd` runs when the epochs are done or a callback stopped
 * training, not when training failed with an error.
 */
export interface Callback {
  onTrainBegin?(model: TrainingModel): HookResult;
  onEpochBegin?(epoch: number): HookResult;
  onBatchEnd?(batch: number, logs: Logs): HookResult;
  onEpochEnd?(epoch: number, logs: Logs): HookResult;
  onTrainEnd?(logs: Logs): HookResult;
}

/** 1 when smaller is better ('min'), −1 when larger is ('max'); 'auto' is max for names containing 'acc'. */
export function monitorSign(mode: 'min' | 'max' | 'auto', monitor: string): 1 | -1 {
  const maximize = mode === 'max' || (mode === 'auto' && /acc/.test(monitor));
  return maximize ? -1 : 1;
}

/** The value of `monitor` in `logs`, or an error naming the key and the keys there are. */
export function monitoredValue(where: string, monitor: string, logs: Logs): number {
  const value = logs[monitor];
  if (value === undefined) {
    throw new Error(`${where}: monitor '${monitor}' is not in the logs; available: ${Object.keys(logs).join(', ')}`);
  }
  return value;
}

export interface EarlyStoppingOptions {
  /** The log key to watch (default 'val_loss'). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min' for losses, 'max' for accuracies; 'auto' decides from the name (default). */
  mode?: 'min' | 'max' | 'auto';
  /** At the end, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

/** Stops training when `monitor` has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly sign: number;
  private model: TrainingModel | null = null;
  private best = Infinity;
  private wait = 0;
  private bestWeights: Float64Array[] | null = null;
  /** The epoch (0-based) at which training stopped, or -1. */
  stoppedEpoch = -1;
  bestEpoch = -1;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? 'val_loss';
    this.patience = options.patience ?? 0;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.sign = monitorSign(options.mode ?? 'auto', this.monitor);
  }

  onTrainBegin(model: TrainingModel): void {
    this.model = model;
    this.best = Infinity;
    this.wait = 0;
    this.bestWeights = null;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const score = this.sign * monitoredValue('EarlyStopping', this.monitor, logs);
    if (score < this.best - this.minDelta) {
      this.best = score;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.weightTensors().map((w) => Float64Array.from(w.data));
      return;
    }
    this.wait++;
    if (this.wait > this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights && this.stoppedEpoch >= 0) {
      this.model!.weightTensors().forEach((w, i) => w.data.set(this.bestWeights![i]));
    }
  }
}
