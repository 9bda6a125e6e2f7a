/**
 * The reader of a Keras 3 model's compile_config: the optimizer's config,
 * the loss and metrics (names, or loss and metric objects read into
 * Unrolled's), in the training-config shape load.ts's `compileOptionsOf`
 * reads; what Unrolled cannot honour is refused.
 */
import {
  BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy, lossNameOf, type LossName,
} from '../losses.ts';
import {
  AUC, BinaryAccuracy, CategoricalAccuracy, Precision, Recall, SparseCategoricalAccuracy, TopKCategoricalAccuracy, getMetric, metricNameOf, type Metric,
} from '../metrics.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';
import { objectOf, refuseSet } from './keras3-read.ts';

/** A key of a loss or metric object's config that must be absent or hold one of `allowed`, or the object is refused. */
function onlyDefault(config: JsonObject, key: string, allowed: readonly JsonValue[], at: string, why: string): void {
  const v = own(config, key);
  if (v !== undefined && !allowed.includes(v)) throw new Error(`${at}: config key '${key}' is ${describe(v)}; ${why}`);
}

function optionOf<T extends JsonValue>(config: JsonObject, key: string, kind: 'number' | 'boolean' | 'string', at: string): T | undefined {
  const v = own(config, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== kind) throw new Error(`${at}: config key '${key}' must be a ${kind}, got ${describe(v)}`);
  return v as T;
}

/** Keras 3's loss classes and how each is read into Unrolled's loss object. */
const LOSS_CLASSES: Readonly<Record<string, (c: JsonObject, at: string) => Loss>> = {
  BinaryCrossentropy: (c, at) => new BinaryCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at), labelSmoothing: optionOf(c, 'label_smoothing', 'number', at) }),
  CategoricalCrossentropy: (c, at) => new CategoricalCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at), labelSmoothing: optionOf(c, 'label_smoothing', 'number', at) }),
  SparseCategoricalCrossentropy: (c, at) => {
    onlyDefault(c, 'ignore_class', [null], at, 'Unrolled\'s sparse categorical cross-entropy ignores no class');
    return new SparseCategoricalCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at) });
  },
  MeanSquaredError: () => new MeanSquaredError(),
  MeanAbsoluteError: () => new MeanAbsoluteError(),
};

/**
 * One Keras 3 loss: a name passes as it is; a loss object (Keras 3.12's
 * config: name, reduction, from_logits, label_smoothing, axis,
 * ignore_class) is read into the loss object, its name when its options
 * are the defaults. A reduction other than Keras's default
 * 'sum_over_batch_size' (Unrolled's), an axis other than −1, an ignored
 * class are refused.
 */
function lossOf(value: JsonValue | undefined, at: string): JsonValue | Loss | undefined {
  if (!isObject(value)) return value;
  const cls = own(value, 'class_name');
  const make = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(LOSS_CLASSES, cls) ? LOSS_CLASSES[cls] : undefined;
  if (!make) throw new Error(`${at}: loss ${describe(cls)} is not supported; supported: ${Object.keys(LOSS_CLASSES).join(', ')} (or their names)`);
  const lc = own(value, 'config');
  const config = isObject(lc) ? lc : objectOf([]);
  const where = `${at} (${cls})`;
  onlyDefault(config, 'reduction', [null, 'sum_over_batch_size'], where, "Unrolled reduces a loss as Keras's default 'sum_over_batch_size' does (Σ w·l / N)");
  onlyDefault(config, 'axis', [null, -1], where, 'Unrolled reduces a loss over the last axis');
  onlyDefault(config, 'dtype', [null, 'float32'], where, 'Unrolled computes losses in the dtype of the predictions');
  const loss = make(config, where);
  return loss.isPlain ? loss.kind : loss;
}

/** Keras 3's metric classes and how each is read into Unrolled's metric object (Keras 3.12's config keys). */
const METRIC_CLASSES: Readonly<Record<string, (c: JsonObject, name: string | undefined, at: string) => Metric>> = {
  BinaryAccuracy: (c, name, at) => new BinaryAccuracy({ name, threshold: optionOf(c, 'threshold', 'number', at) }),
  CategoricalAccuracy: (_c, name) => new CategoricalAccuracy({ name }),
  SparseCategoricalAccuracy: (_c, name) => new SparseCategoricalAccuracy({ name }),
  TopKCategoricalAccuracy: (c, name, at) => new TopKCategoricalAccuracy({ name, k: optionOf(c, 'k', 'number', at) }),
  Precision: (c, name, at) => new Precision({ name, thresholds: confusionThreshold(c, at) }),
  Recall: (c, name, at) => new Recall({ name, thresholds: confusionThreshold(c, at) }),
  AUC: (c, name, at) => {
    onlyDefault(c, 'curve', ['ROC'], at, 'Unrolled computes the area under the ROC curve');
    onlyDefault(c, 'summation_method', ['interpolation'], at, "Unrolled sums by the trapezoid rule (Keras's 'interpolation')");
    onlyDefault(c, 'multi_label', [false, null], at, 'Unrolled computes one curve over every label');
    for (const key of ['num_labels', 'label_weights', 'thresholds']) onlyDefault(c, key, [null], at, `Unrolled's AUC takes num_thresholds evenly spaced thresholds, without ${key}`);
    return new AUC({ name, numThresholds: optionOf(c, 'num_thresholds', 'number', at), fromLogits: optionOf(c, 'from_logits', 'boolean', at) });
  },
  MeanSquaredError: (_c, name) => getMetric('mse', 'mse', name ?? 'mean_squared_error'),
  MeanAbsoluteError: (_c, name) => getMetric('mae', 'mse', name ?? 'mean_absolute_error'),
};

/** Precision's or Recall's one threshold (a list of thresholds, top_k and class_id are refused). */
function confusionThreshold(c: JsonObject, at: string): number | undefined {
  onlyDefault(c, 'top_k', [null], at, 'Unrolled counts every prediction, not the top k');
  onlyDefault(c, 'class_id', [null], at, 'Unrolled counts over every class');
  const t = own(c, 'thresholds');
  if (Array.isArray(t)) throw new Error(`${at}: config key 'thresholds' is ${describe(t)}; Unrolled's ${String(own(c, 'name') ?? 'metric')} takes one threshold`);
  return optionOf<number>(c, 'thresholds', 'number', at);
}

/**
 * A list of Keras 3 metrics (names, or metric objects read into Unrolled's:
 * a name when the object's name and options are that name's defaults for
 * the output's loss, else the object under its own name as log key).
 */
function metricsOf(list: JsonValue, loss: JsonValue | Loss | undefined, at: string): Array<JsonValue | Metric> {
  if (!Array.isArray(list)) throw new Error(`${at}: metrics must be a list, got ${describe(list)}`);
  const kind: LossName = loss instanceof Loss ? loss.kind : (typeof loss === 'string' ? lossNameOf(loss) : undefined) ?? 'mse';
  return list.map((m, i) => {
    if (!isObject(m)) return m;
    const cls = own(m, 'class_name');
    const make = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(METRIC_CLASSES, cls) ? METRIC_CLASSES[cls] : undefined;
    if (!make) throw new Error(`${at}[${i}]: metric ${describe(cls)} is not supported; supported: ${Object.keys(METRIC_CLASSES).join(', ')} (or their names)`);
    const mc = own(m, 'config');
    const config = isObject(mc) ? mc : objectOf([]);
    const where = `${at}[${i}] (${cls})`;
    onlyDefault(config, 'dtype', [null, 'float32'], where, 'Unrolled computes metrics in float64');
    const metric = make(config, optionOf<string>(config, 'name', 'string', where), where);
    return metricNameOf(metric, kind) ?? metric;
  });
}

/** A loss of compile_config as read: a name (or null), or a loss object with options. */
type LossValue = JsonValue | Loss;
/** A metric of compile_config as read: a name, or a metric object that no name describes. */
type MetricValue = JsonValue | Metric;

/** compile_config's settings, in the training-config shape load.ts's `compileOptionsOf` reads. */
export interface KerasCompileSettings {
  [key: string]: JsonValue | Loss | Metric | LossValue[] | MetricValue[] | Record<string, LossValue> | Record<string, MetricValue[]> | undefined;
  optimizer_config: JsonObject;
  loss: LossValue | LossValue[] | Record<string, LossValue>;
  metrics: MetricValue[] | Record<string, MetricValue[]>;
  loss_weights: JsonValue;
}

/**
 * The compile settings of a compile_config, in the training-config shape
 * `optimizerFromConfig` and load.ts's `compileOptionsOf` read:
 * `{ optimizer_config, loss, metrics, loss_weights }`. The loss is one
 * loss, a list of one per output, or an object keyed by output name; a
 * loss object is read into Unrolled's (its name when its options are the
 * defaults), and so is a metric object. Metrics are one list for every
 * output, a list of lists (one per output, given here as an object keyed by
 * `outputNames`), or an object keyed by output name. `loss_weights`
 * (a list or an object) passes as it is. What Unrolled cannot honour
 * (weighted metrics, EMA, gradient accumulation, a learning-rate
 * schedule, a loss or metric option it does not have) throws; the reader then leaves the
 * model uncompiled.
 */
export function compileSettingsFromKeras(compile: JsonObject, where: string, outputNames: readonly string[] = []): KerasCompileSettings {
  const at = `${where}: config.json → compile_config`;
  const weighted = own(compile, 'weighted_metrics');
  if (weighted !== undefined && weighted !== null && !(Array.isArray(weighted) && weighted.length === 0)) {
    throw new Error(`${at}: weighted_metrics is ${describe(weighted)}; Unrolled weights the losses by sample weights but has no weighted metrics (its metrics are Keras's unweighted \`metrics\`)`);
  }
  let optimizer = own(compile, 'optimizer');
  if (typeof optimizer === 'string') optimizer = { class_name: optimizer, config: {} };
  if (!isObject(optimizer)) throw new Error(`${at}: optimizer must be a name or { class_name, config }, got ${describe(optimizer)}`);
  const oc = own(optimizer, 'config');
  if (isObject(oc)) {
    const lr = own(oc, 'learning_rate');
    if (isObject(lr)) throw new Error(`${at}.optimizer: the learning rate is a schedule (${describe(own(lr, 'class_name'))}); Unrolled has constant learning rates`);
    refuseSet(oc, ['use_ema'], `${at}.optimizer`, 'Unrolled keeps no moving average of the weights');
    for (const key of ['gradient_accumulation_steps', 'loss_scale_factor']) {
      const v = own(oc, key);
      if (v !== undefined && v !== null && v !== 0) throw new Error(`${at}.optimizer: config key '${key}' is ${describe(v)}; Unrolled's optimizers have no such option`);
    }
  }
  const rawLoss = own(compile, 'loss');
  let loss: LossValue | LossValue[] | Record<string, LossValue>;
  let keyed: Record<string, LossValue> | null = null;
  if (Array.isArray(rawLoss)) loss = rawLoss.map((l, i) => lossOf(l, `${at}: loss[${i}]`) ?? null);
  else if (isObject(rawLoss) && own(rawLoss, 'class_name') === undefined) {
    keyed = Object.fromEntries(Object.keys(rawLoss).map((k) => [k, lossOf(rawLoss[k], `${at}: loss['${k}']`) ?? null]));
    loss = keyed;
  } else loss = lossOf(rawLoss, `${at}: loss`) ?? null;
  const one = loss as LossValue;
  // The loss of output i (or the one loss), for the metrics' names.
  const lossAt = (i: number, name?: string): LossValue | undefined => {
    if (Array.isArray(loss)) return loss[i];
    if (keyed) return name === undefined ? undefined : keyed[name];
    return one;
  };
  const m = own(compile, 'metrics') ?? [];
  let metrics: MetricValue[] | Record<string, MetricValue[]>;
  if (Array.isArray(m) && m.length > 0 && m.every((x) => Array.isArray(x) || x === null)) {
    if (m.length === 1 && outputNames.length <= 1) metrics = metricsOf(m[0] ?? [], lossAt(0, outputNames[0]), `${at}: metrics[0]`);
    else {
      if (m.length !== outputNames.length) throw new Error(`${at}: metrics has ${m.length} lists for ${outputNames.length} outputs`);
      metrics = Object.fromEntries(m.map((list, i) => [outputNames[i], metricsOf(list ?? [], lossAt(i, outputNames[i]), `${at}: metrics[${i}]`)]));
    }
  } else if (isObject(m)) {
    metrics = Object.fromEntries(Object.keys(m).map((k) => {
      const v = m[k];
      return [k, metricsOf(Array.isArray(v) ? v : [v ?? null], lossAt(outputNames.indexOf(k), k), `${at}: metrics['${k}']`)];
    }));
  } else {
    metrics = metricsOf(m, lossAt(0, outputNames[0]), `${at}: metrics`);
  }
  return { optimizer_config: optimizer, loss, metrics, loss_weights: own(compile, 'loss_weights') ?? null };
}
