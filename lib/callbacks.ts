/** Training callbacks: hooks called by `fit`, and EarlyStopping. */
import type { Tensor } from '../autograd/index.ts';

/** Loss and metric values by Keras name: loss, acc, val_loss, val_acc, mae, val_mae. */
export type Logs = Record<string, number>;

/** What a callback may see and change of the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  weightTensors(): Tensor[];
}

export interface Callback {
  onTrainBegin?(model: TrainingModel): void;
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(batch: number, logs: Logs): void;
  onEpochEnd?(epoch: number, logs: Logs): void;
  onTrainEnd?(logs: Logs): void;
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
    const mode = options.mode ?? 'auto';
    const maximize = mode === 'max' || (mode === 'auto' && /acc/.test(this.monitor));
    this.sign = maximize ? -1 : 1;
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
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`EarlyStopping: monitor '${this.monitor}' is not in the logs; available: ${Object.keys(logs).join(', ')}`);
    }
    const score = this.sign * value;
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
