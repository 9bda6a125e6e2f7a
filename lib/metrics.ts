/**
 * Metrics, as Keras's metric objects: each keeps a state that `update`
 * accumulates batch by batch (on plain numbers, no tape), `result` reads and
 * `reset` clears — `fit` resets them at the start of every epoch and of
 * every evaluation, so a result is over all the batches seen since.
 *
 * - Mean metrics (accuracies, mse, mae, user functions): the batch's mean,
 *   weighted by the batch size: Σ_b n_b·m_b / Σ_b n_b.
 * - Precision = TP / (TP + FP), Recall = TP / (TP + FN), counted over every
 *   value of every batch with "positive" meaning prediction > threshold and
 *   label ≠ 0 (0 when the denominator is 0).
 * - AUC: the ROC curve from TP, FP, TN, FN counted at `numThresholds`
 *   thresholds (Keras's: −ε, 1/(n−1), …, (n−2)/(n−1), 1 + ε), integrated by
 *   the trapezoid rule: Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2.
 *
 * Metrics are not weighted by sample weights (Keras's `metrics`, not its
 * `weighted_metrics`).
 */
import { Tensor, noGrad, sigmoidOf } from '../autograd/index.ts';
import type { LossName } from './losses.ts';
import { describeValue } from './model/inputs.ts';

/** The metric names `compile` takes: Keras's snake_case names, aliases and class names, and TF.js's camelCase names. */
export type MetricName = 'acc' | 'accuracy'
  | 'binary_accuracy' | 'categorical_accuracy' | 'sparse_categorical_accuracy' | 'top_k_categorical_accuracy'
  | 'binaryAccuracy' | 'categoricalAccuracy' | 'sparseCategoricalAccuracy' | 'topKCategoricalAccuracy'
  | 'BinaryAccuracy' | 'CategoricalAccuracy' | 'SparseCategoricalAccuracy' | 'TopKCategoricalAccuracy'
  | 'mse' | 'mean_squared_error' | 'MSE' | 'meanSquaredError'
  | 'mae' | 'mean_absolute_error' | 'MAE' | 'meanAbsoluteError'
  | 'precision' | 'Precision' | 'recall' | 'Recall' | 'auc' | 'AUC';
/** A user metric: a Tensor of values (per sample, or one number) whose mean is the batch's value. */
export type MetricFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;
/** A metric as `compile` takes it: a name, a metric object or a function. */
export type MetricIdentifier = MetricName | Metric | MetricFunction;

/** A streaming metric: state accumulated by `update`, read by `result`, cleared by `reset`. */
export abstract class Metric {
  /** The key in logs and History. */
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** Adds one batch to the state. */
  abstract update(yTrue: Tensor, yPred: Tensor): void;
  /** The metric over every batch since the last reset (0 before any). */
  abstract result(): number;
  abstract reset(): void;
  /** The options that differ from Keras's defaults, Keras's snake_case keys (empty when the name says all). */
  abstract changedOptions(): Record<string, number | boolean>;
}

function checkKnown(where: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

function nameOption(where: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${where}: name must be a non-empty string, got ${describeValue(value)}`);
  return value;
}

function thresholdOption(where: string, key: string, value: unknown): number {
  if (value === undefined) return 0.5;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`${where}: ${key} must be a number in [0, 1], got ${describeValue(value)}`);
  return value;
}

function integerOption(where: string, key: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`${where}: ${key} must be an integer ≥ ${min}, got ${describeValue(value)}`);
  return value;
}

/** A metric whose value is the batch mean, weighted over batches by batch size. */
export abstract class MeanMetric extends Metric {
  private total = 0;
  private count = 0;

  /** The batch's mean value. */
  protected abstract batchMean(yTrue: Tensor, yPred: Tensor): number;

  update(yTrue: Tensor, yPred: Tensor): void {
    const n = yPred.shape[0] ?? 1;
    this.total += this.batchMean(yTrue, yPred) * n;
    this.count += n;
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

function sameSize(where: string, yTrue: Tensor, yPred: Tensor): void {
  if (yTrue.size !== yPred.size) throw new Error(`${where}: targets of ${yTrue.size} values for predictions [${yPred.shape.join(', ')}]`);
}

function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (data[offset + j] > data[offset + best]) best = j;
  return best;
}

/** Share of values where (prediction > threshold) equals the label (Keras compares the label as it is). */
export class BinaryAccuracy extends MeanMetric {
  readonly threshold: number;

  constructor(options?: { threshold?: number; name?: string }) {
    const o = checkKnown('BinaryAccuracy', options, ['threshold', 'name']);
    super(nameOption('BinaryAccuracy', o.name, 'binary_accuracy'));
    this.threshold = thresholdOption('BinaryAccuracy', 'threshold', o.threshold);
  }

  protected batchMean(yTrue: Tensor, yPred: Tensor): number {
    sameSize(this.name, yTrue, yPred);
    let hits = 0;
    for (let i = 0; i < yPred.size; i++) hits += (yPred.data[i] > this.threshold ? 1 : 0) === yTrue.data[i] ? 1 : 0;
    return hits / yPred.size;
  }

  changedOptions(): Record<string, number> {
    return this.threshold === 0.5 ? {} : { threshold: this.threshold };
  }
}

/** Share of rows where the largest prediction is at the target's class (one-hot targets, or integer labels when sparse). */
class ArgmaxAccuracy extends MeanMetric {
  constructor(name: string, private readonly sparse: boolean) {
    super(name);
  }

  protected batchMean(yTrue: Tensor, yPred: Tensor): number {
    const c = yPred.shape[yPred.rank - 1];
    const rows = yPred.size / c;
    if (yTrue.size !== (this.sparse ? rows : yPred.size)) throw new Error(`${this.name}: targets of ${yTrue.size} values for predictions [${yPred.shape.join(', ')}]`);
    let hits = 0;
    for (let r = 0; r < rows; r++) {
      const label = this.sparse ? yTrue.data[r] : argmax(yTrue.data, r * c, c);
      hits += argmax(yPred.data, r * c, c) === label ? 1 : 0;
    }
    return hits / rows;
  }

  changedOptions(): Record<string, number> {
    return {};
  }
}

export class CategoricalAccuracy extends ArgmaxAccuracy {
  constructor(options?: { name?: string }) {
    super(nameOption('CategoricalAccuracy', checkKnown('CategoricalAccuracy', options, ['name']).name, 'categorical_accuracy'), false);
  }
}

export class SparseCategoricalAccuracy extends ArgmaxAccuracy {
  constructor(options?: { name?: string }) {
    super(nameOption('SparseCategoricalAccuracy', checkKnown('SparseCategoricalAccuracy', options, ['name']).name, 'sparse_categorical_accuracy'), true);
  }
}

/** Share of rows whose target class (argmax of the one-hot target) is among the k largest predictions; ties at the k-th value count as in. */
export class TopKCategoricalAccuracy extends MeanMetric {
  readonly k: number;

  constructor(options?: { k?: number; name?: string }) {
    const o = checkKnown('TopKCategoricalAccuracy', options, ['k', 'name']);
    super(nameOption('TopKCategoricalAccuracy', o.name, 'top_k_categorical_accuracy'));
    this.k = integerOption('TopKCategoricalAccuracy', 'k', o.k, 5, 1);
  }

  protected batchMean(yTrue: Tensor, yPred: Tensor): number {
    sameSize(this.name, yTrue, yPred);
    const c = yPred.shape[yPred.rank - 1];
    const rows = yPred.size / c;
    let hits = 0;
    for (let r = 0; r < rows; r++) {
      const target = yPred.data[r * c + argmax(yTrue.data, r * c, c)];
      let above = 0;
      for (let j = 0; j < c; j++) if (yPred.data[r * c + j] > target) above++;
      hits += above < this.k ? 1 : 0;
    }
    return hits / rows;
  }

  changedOptions(): Record<string, number> {
    return this.k === 5 ? {} : { k: this.k };
  }
}

/**
 * A metric from a function `(yTrue, yPred) => Tensor` (Keras's
 * MeanMetricWrapper): the mean of the returned values is the batch's value.
 */
export class MeanMetricWrapper extends MeanMetric {
  constructor(private readonly fn: MetricFunction, name: string) {
    if (typeof fn !== 'function') throw new Error(`MeanMetricWrapper: expected a function (yTrue, yPred) => Tensor, got ${describeValue(fn)}`);
    super(nameOption('MeanMetricWrapper', name, ''));
  }

  protected batchMean(yTrue: Tensor, yPred: Tensor): number {
    const out: unknown = noGrad(() => this.fn(yTrue, yPred));
    if (!(out instanceof Tensor) || out.size === 0) throw new Error(`metric '${this.name}': the function must return a Tensor of values, got ${describeValue(out)}`);
    let s = 0;
    for (let i = 0; i < out.size; i++) s += out.data[i];
    return s / out.size;
  }

  changedOptions(): Record<string, number> {
    return {};
  }
}

function meanSquared(yTrue: Tensor, yPred: Tensor): number {
  sameSize('mse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yPred.size; i++) s += (yPred.data[i] - yTrue.data[i]) ** 2;
  return s / yPred.size;
}

function meanAbsolute(yTrue: Tensor, yPred: Tensor): number {
  sameSize('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yPred.size; i++) s += Math.abs(yPred.data[i] - yTrue.data[i]);
  return s / yPred.size;
}

/** mse and mae as metrics (names only: the classes of those names are the losses). */
class ErrorMetric extends MeanMetric {
  constructor(name: string, private readonly of: (yTrue: Tensor, yPred: Tensor) => number) {
    super(name);
  }

  protected batchMean(yTrue: Tensor, yPred: Tensor): number {
    return this.of(yTrue, yPred);
  }

  changedOptions(): Record<string, number> {
    return {};
  }
}

/** True positives, false positives, true and false negatives at each threshold, over every value seen. */
abstract class ConfusionMetric extends Metric {
  protected tp: Float64Array;
  protected fp: Float64Array;
  protected tn: Float64Array;
  protected fn: Float64Array;

  constructor(name: string, protected readonly thresholds: readonly number[], private readonly logits = false) {
    super(name);
    this.tp = new Float64Array(thresholds.length);
    this.fp = new Float64Array(thresholds.length);
    this.tn = new Float64Array(thresholds.length);
    this.fn = new Float64Array(thresholds.length);
  }

  update(yTrue: Tensor, yPred: Tensor): void {
    sameSize(this.name, yTrue, yPred);
    for (let i = 0; i < yPred.size; i++) {
      const p = this.logits ? sigmoidOf(yPred.data[i]) : yPred.data[i];
      const positive = yTrue.data[i] !== 0;
      for (let t = 0; t < this.thresholds.length; t++) {
        const predicted = p > this.thresholds[t];
        if (positive) (predicted ? this.tp : this.fn)[t] += 1;
        else (predicted ? this.fp : this.tn)[t] += 1;
      }
    }
  }

  reset(): void {
    for (const a of [this.tp, this.fp, this.tn, this.fn]) a.fill(0);
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** TP / (TP + FP) at one threshold. */
export class Precision extends ConfusionMetric {
  constructor(options?: { thresholds?: number; name?: string }) {
    const o = checkKnown('Precision', options, ['thresholds', 'name']);
    super(nameOption('Precision', o.name, 'precision'), [thresholdOption('Precision', 'thresholds', o.thresholds)]);
  }

  result(): number {
    return ratio(this.tp[0], this.tp[0] + this.fp[0]);
  }

  changedOptions(): Record<string, number> {
    return this.thresholds[0] === 0.5 ? {} : { thresholds: this.thresholds[0] };
  }
}

/** TP / (TP + FN) at one threshold. */
export class Recall extends ConfusionMetric {
  constructor(options?: { thresholds?: number; name?: string }) {
    const o = checkKnown('Recall', options, ['thresholds', 'name']);
    super(nameOption('Recall', o.name, 'recall'), [thresholdOption('Recall', 'thresholds', o.thresholds)]);
  }

  result(): number {
    return ratio(this.tp[0], this.tp[0] + this.fn[0]);
  }

  changedOptions(): Record<string, number> {
    return this.thresholds[0] === 0.5 ? {} : { thresholds: this.thresholds[0] };
  }
}

/** Keras's AUC thresholds: −ε, then (i + 1)/(n − 1) for i < n − 2, then 1 + ε. */
function aucThresholds(n: number): number[] {
  const inner = Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1));
  return [-1e-7, ...inner, 1 + 1e-7];
}

/** Area under the ROC curve, trapezoid rule over `numThresholds` thresholds (Keras's default 200). */
export class AUC extends ConfusionMetric {
  readonly numThresholds: number;
  readonly fromLogits: boolean;

  constructor(options?: { numThresholds?: number; fromLogits?: boolean; name?: string }) {
    const o = checkKnown('AUC', options, ['numThresholds', 'fromLogits', 'name']);
    const n = integerOption('AUC', 'numThresholds', o.numThresholds, 200, 2);
    if (o.fromLogits !== undefined && typeof o.fromLogits !== 'boolean') throw new Error(`AUC: fromLogits must be true or false, got ${describeValue(o.fromLogits)}`);
    super(nameOption('AUC', o.name, 'auc'), aucThresholds(n), o.fromLogits === true);
    this.numThresholds = n;
    this.fromLogits = o.fromLogits === true;
  }

  result(): number {
    let area = 0;
    for (let i = 0; i + 1 < this.numThresholds; i++) {
      const fpr = (k: number): number => ratio(this.fp[k], this.fp[k] + this.tn[k]);
      const tpr = (k: number): number => ratio(this.tp[k], this.tp[k] + this.fn[k]);
      area += (fpr(i) - fpr(i + 1)) * (tpr(i) + tpr(i + 1)) / 2;
    }
    return area;
  }

  changedOptions(): Record<string, number | boolean> {
    return { ...(this.numThresholds === 200 ? {} : { num_thresholds: this.numThresholds }), ...(this.fromLogits ? { from_logits: true } : {}) };
  }
}

/** What each metric name means; 'acc' and 'accuracy' depend on the loss. */
const METRIC_SPELLINGS: ReadonlyArray<[key: string, spellings: readonly string[], make: (key: string) => Metric]> = [
  ['binary_accuracy', ['binary_accuracy', 'binaryAccuracy', 'BinaryAccuracy'], (name) => new BinaryAccuracy({ name })],
  ['categorical_accuracy', ['categorical_accuracy', 'categoricalAccuracy', 'CategoricalAccuracy'], (name) => new CategoricalAccuracy({ name })],
  ['sparse_categorical_accuracy', ['sparse_categorical_accuracy', 'sparseCategoricalAccuracy', 'SparseCategoricalAccuracy'], (name) => new SparseCategoricalAccuracy({ name })],
  ['top_k_categorical_accuracy', ['top_k_categorical_accuracy', 'topKCategoricalAccuracy', 'TopKCategoricalAccuracy'], (name) => new TopKCategoricalAccuracy({ name })],
  ['mse', ['mse', 'mean_squared_error', 'MSE', 'meanSquaredError'], (name) => new ErrorMetric(name, meanSquared)],
  ['mae', ['mae', 'mean_absolute_error', 'MAE', 'meanAbsoluteError'], (name) => new ErrorMetric(name, meanAbsolute)],
  ['precision', ['precision', 'Precision'], (name) => new Precision({ name })],
  ['recall', ['recall', 'Recall'], (name) => new Recall({ name })],
  ['auc', ['auc', 'AUC'], (name) => new AUC({ name })],
];

/** Every metric name `compile` knows. */
export const METRIC_NAMES: readonly string[] = ['acc', 'accuracy', ...METRIC_SPELLINGS.flatMap(([, s]) => s)];

/**
 * The log key Keras gives a metric name: the name itself where it is
 * Keras's spelling ('acc', 'mse', 'mean_squared_error'), Keras's
 * snake_case for a TF.js or class spelling ('binaryAccuracy',
 * 'Precision' → 'binary_accuracy', 'precision'); undefined for a name
 * Unrolled does not know.
 */
export function metricKeyOf(name: string): string | undefined {
  if (name === 'acc' || name === 'accuracy') return name;
  const entry = METRIC_SPELLINGS.find(([, spellings]) => spellings.includes(name));
  if (!entry) return undefined;
  const keras = /^[a-z_]+$/.test(name) ? name : entry[0];
  return keras;
}

/**
 * The metric `compile` makes of a name, object or function for an output
 * trained with `loss`: 'acc'/'accuracy' is the accuracy that fits the loss
 * (categorical, sparse categorical, else binary), as Keras 2 does. `key`
 * overrides the log key of a metric made from a name or function.
 */
export function getMetric(identifier: unknown, loss: LossName, key?: string): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === 'function') {
    const name = key ?? (identifier as { name?: string }).name ?? '';
    if (name === '') throw new Error('compile: a metric function needs a name for its log key: declare it as function myMetric(yTrue, yPred) { … }, or wrap it: new MeanMetricWrapper(fn, \'my_metric\')');
    return new MeanMetricWrapper(identifier as MetricFunction, name);
  }
  if (identifier === 'acc' || identifier === 'accuracy') {
    const name = key ?? identifier;
    if (loss === 'categorical_crossentropy') return new CategoricalAccuracy({ name });
    if (loss === 'sparse_categorical_crossentropy') return new SparseCategoricalAccuracy({ name });
    return new BinaryAccuracy({ name });
  }
  const known = typeof identifier === 'string' ? metricKeyOf(identifier) : undefined;
  const entry = typeof identifier === 'string' ? METRIC_SPELLINGS.find(([, spellings]) => spellings.includes(identifier)) : undefined;
  if (known === undefined || !entry) {
    throw new Error(`compile: unknown metric ${typeof identifier === 'string' ? `'${identifier}'` : describeValue(identifier)}; known: ${METRIC_NAMES.join(', ')}, a metric object or a function (yTrue, yPred) => Tensor`);
  }
  return entry[2](key ?? known);
}

/**
 * The name that describes `m` for an output trained with `loss` — its log
 * key is that name, it is the class `getMetric` makes of it, its options
 * are the defaults — or null when no name does (a function, options, a
 * name of its own).
 */
export function metricNameOf(m: Metric, loss: LossName): MetricName | null {
  if (m instanceof MeanMetricWrapper || metricKeyOf(m.name) !== m.name || Object.keys(m.changedOptions()).length > 0) return null;
  return getMetric(m.name, loss).constructor === m.constructor ? (m.name as MetricName) : null;
}
