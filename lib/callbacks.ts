/**
 * Training callbacks: the hooks `fit`, `evaluate` and `predict` call, and
 * EarlyStopping, TerminateOnNaN and LambdaCallback. Every hook of fit and
 * evaluate may be async: they await what it returns before they go on, so a
 * checkpoint written in `onEpochEnd` is complete before the next epoch
 * begins. `predict` is synchronous, so its hooks must be too: a predict hook
 * that returns a Promise (an async function) is an error naming the
 * callback, since nothing could wait for it.
 * ModelCheckpoint and BackupAndRestore live in checkpoint.ts, the
 * learning-rate callbacks in lr-callbacks.ts, CSVLogger in csv-logger.ts.
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
 * Keras's hooks. `fit` calls the training ones, `evaluate` the test ones
 * and `predict` the predict ones; `fit` calls the test ones too when it
 * evaluates the validation data after each epoch (with the logs unprefixed:
 * `loss`, not `val_loss`), as Keras's fit runs evaluate with its callbacks.
 * A hook of `onEpochEnd` may add entries to the epoch's logs (the
 * learning-rate callbacks add `learning_rate`): the callbacks after it in
 * the list, and the History (recorded after every callback, as Keras's
 * is), see them. `epoch` and `batch` count from 0;
 * `onTrainEnd` runs when the epochs are done or a callback stopped
 * training, not when training failed with an error. A batch whose loss is
 * not finite reaches `onBatchEnd` with that loss (its update is not made):
 * a hook that sets `stopTraining` then ends training quietly
 * (TerminateOnNaN); otherwise `fit` fails with the error.
 */
export interface Callback {
  onTrainBegin?(model: TrainingModel): HookResult;
  onEpochBegin?(epoch: number): HookResult;
  /** Before each training batch is drawn. */
  onBatchBegin?(batch: number): HookResult;
  /** After each training batch: the running logs of the epoch, `loss` being this batch's. */
  onBatchEnd?(batch: number, logs: Logs): HookResult;
  onEpochEnd?(epoch: number, logs: Logs): HookResult;
  onTrainEnd?(logs: Logs): HookResult;
  /** Before `evaluate` (or fit's validation) runs its batches. */
  onTestBegin?(): HookResult;
  /** Before each evaluation batch. */
  onTestBatchBegin?(batch: number): HookResult;
  /** After each evaluation batch: the running logs of the evaluation. */
  onTestBatchEnd?(batch: number, logs: Logs): HookResult;
  /** After `evaluate` (or fit's validation), with its results. */
  onTestEnd?(logs: Logs): HookResult;
  /** Before `predict` runs its batches. Synchronous: returning a Promise is an error. */
  onPredictBegin?(): void;
  /** Before each predict batch (synchronous). */
  onPredictBatchBegin?(batch: number): void;
  /** After each predict batch (synchronous), with its outputs as Keras's `{"outputs": ...}`: one Tensor, or one per output, as `predict` gives them. */
  onPredictBatchEnd?(batch: number, logs: { readonly outputs: Tensor | Tensor[] }): void;
  /** After `predict` (synchronous). */
  onPredictEnd?(): void;
}

/** The names of the hooks, in the order they are called. */
export const HOOKS = [
  'onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd',
  'onTestBegin', 'onTestBatchBegin', 'onTestBatchEnd', 'onTestEnd',
  'onPredictBegin', 'onPredictBatchBegin', 'onPredictBatchEnd', 'onPredictEnd',
] as const;

type PredictHook = 'onPredictBegin' | 'onPredictBatchBegin' | 'onPredictBatchEnd' | 'onPredictEnd';

/**
 * Calls `hook` of each callback for `predict`, which is synchronous: a hook
 * that returns a Promise is an error naming the callback and the hook.
 */
export function callPredictHook<K extends PredictHook>(callbacks: readonly Callback[], hook: K, ...args: Parameters<NonNullable<Callback[K]>>): void {
  callbacks.forEach((cb, i) => {
    const fn = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (fn === undefined) return;
    const result = fn.apply(cb, args);
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      // The error below reports the misuse; the Promise's own outcome is not waited for, so it must not also surface as an unhandled rejection.
      (result as Promise<unknown>).then(undefined, () => {});
      const kind = cb.constructor === Object ? 'object' : cb.constructor.name;
      throw new Error(`predict: callbacks[${i}] (${kind}).${hook} returned a Promise, but predict is synchronous and cannot wait for it; make the hook synchronous, or do the asynchronous work before or after predict (fit and evaluate await their hooks)`);
    }
  });
}

/** Checks a `callbacks` option: a list of objects whose hooks are functions. `where` names the call ('fit'). */
export function checkCallbacks(where: string, callbacks: unknown): Callback[] {
  if (!Array.isArray(callbacks)) throw new Error(`${where}: callbacks must be a list of callbacks, got ${callbacks === null ? 'null' : typeof callbacks}`);
  callbacks.forEach((cb: unknown, i) => {
    if (cb === null || typeof cb !== 'object') throw new Error(`${where}: callbacks[${i}] must be an object with hooks (${HOOKS.join(', ')}), got ${cb === null ? 'null' : typeof cb}`);
    for (const hook of HOOKS) {
      const fn: unknown = (cb as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function') throw new Error(`${where}: callbacks[${i}].${hook} must be a function, got ${fn === null ? 'null' : typeof fn}`);
    }
  });
  return callbacks as Callback[];
}

/**
 * What a training step throws when the loss (or a gradient) is not a finite
 * number: the weights are as they were before the batch.
 */
export class NonFiniteLossError extends Error {
  /** The loss of the batch (finite when a gradient was the problem). */
  readonly loss: number;
  constructor(message: string, loss: number) {
    super(message);
    this.name = 'NonFiniteLossError';
    this.loss = loss;
  }
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

/**
 * Keras's TerminateOnNaN: ends training after the first batch whose loss is
 * NaN or infinite. Unrolled makes no update from such a batch, so the
 * weights stay those of the batch before; `fit` returns the History of the
 * epochs that ended instead of failing.
 */
export class TerminateOnNaN implements Callback {
  private model: TrainingModel | null = null;
  /** The batch (within its epoch, from 0) whose loss ended training, or -1. */
  stoppedBatch = -1;

  onTrainBegin(model: TrainingModel): void {
    this.model = model;
    this.stoppedBatch = -1;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss) && this.model) {
      this.stoppedBatch = batch;
      this.model.stopTraining = true;
    }
  }
}

/** The hooks of a LambdaCallback: any of Callback's, as plain functions. */
export type LambdaHooks = { [K in (typeof HOOKS)[number]]?: NonNullable<Callback[K]> };

/**
 * Keras's LambdaCallback: a callback made of functions, e.g.
 * `new LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) })`.
 */
export class LambdaCallback implements Callback {
  onTrainBegin?: NonNullable<Callback['onTrainBegin']>;
  onEpochBegin?: NonNullable<Callback['onEpochBegin']>;
  onBatchBegin?: NonNullable<Callback['onBatchBegin']>;
  onBatchEnd?: NonNullable<Callback['onBatchEnd']>;
  onEpochEnd?: NonNullable<Callback['onEpochEnd']>;
  onTrainEnd?: NonNullable<Callback['onTrainEnd']>;
  onTestBegin?: NonNullable<Callback['onTestBegin']>;
  onTestBatchBegin?: NonNullable<Callback['onTestBatchBegin']>;
  onTestBatchEnd?: NonNullable<Callback['onTestBatchEnd']>;
  onTestEnd?: NonNullable<Callback['onTestEnd']>;
  onPredictBegin?: NonNullable<Callback['onPredictBegin']>;
  onPredictBatchBegin?: NonNullable<Callback['onPredictBatchBegin']>;
  onPredictBatchEnd?: NonNullable<Callback['onPredictBatchEnd']>;
  onPredictEnd?: NonNullable<Callback['onPredictEnd']>;

  constructor(hooks: LambdaHooks) {
    const given: unknown = hooks;
    if (given === null || typeof given !== 'object') throw new Error(`LambdaCallback: expected an object of hooks (${HOOKS.join(', ')}), got ${given === null ? 'null' : typeof given}`);
    for (const [key, fn] of Object.entries(given)) {
      if (!(HOOKS as readonly string[]).includes(key)) throw new Error(`LambdaCallback: unknown hook '${key}'; known: ${HOOKS.join(', ')}`);
      if (typeof fn !== 'function') throw new Error(`LambdaCallback: ${key} must be a function, got ${fn === null ? 'null' : typeof fn}`);
    }
    Object.assign(this, hooks);
  }
}
