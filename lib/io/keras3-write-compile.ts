/**
 * The writer of a Keras 3 model's compile_config, as
 * `Trainer.get_compile_config()` gives it: the optimizer as its class's
 * `get_config()`, the loss and metrics by name where the names say all, else
 * loss and metric objects with options as their classes' `get_config()`.
 */
import type { Optimizer } from '../../optim/index.ts';
import { Adadelta, Adagrad, Adam, Nadam, RMSprop, SGD } from '../../optim/index.ts';
import { SparseCategoricalCrossentropy, type Loss, type LossName } from '../losses.ts';
import {
  AUC, BinaryAccuracy, CategoricalAccuracy, Precision, Recall, SparseCategoricalAccuracy, TopKCategoricalAccuracy, getMetric, metricKeyOf, metricNameOf, type Metric,
} from '../metrics.ts';
import { Serializer, float, pythonJson, type PyDict, type PyValue } from './keras3-serializer.ts';
import type { ConfigSource } from './keras3-write.ts';

/** Keras's optimizer class, its name and config as `optimizer.get_config()` gives them. */
function optimizerConfig(optimizer: Optimizer): { className: string; config: PyDict } {
  const orNull = (v: number | undefined): PyValue => (v === undefined ? null : float(v));
  const base = (name: string): PyDict => ({
    name,
    learning_rate: float(optimizer.learningRate),
    weight_decay: orNull(optimizer.weightDecay),
    clipnorm: orNull(optimizer.clipnorm),
    global_clipnorm: orNull(optimizer.globalClipnorm),
    clipvalue: orNull(optimizer.clipvalue),
    use_ema: false,
    ema_momentum: float(0.99),
    ema_overwrite_frequency: null,
    loss_scale_factor: null,
    gradient_accumulation_steps: null,
  });
  if (optimizer instanceof RMSprop) {
    return {
      className: 'RMSprop',
      config: { ...base('rmsprop'), rho: float(optimizer.rho), momentum: float(optimizer.momentum), epsilon: float(optimizer.epsilon), centered: optimizer.centered },
    };
  }
  if (optimizer instanceof Adam) {
    return {
      className: 'Adam',
      config: { ...base('adam'), beta_1: float(optimizer.beta1), beta_2: float(optimizer.beta2), epsilon: float(optimizer.epsilon), amsgrad: optimizer.amsgrad },
    };
  }
  if (optimizer instanceof SGD) {
    return { className: 'SGD', config: { ...base('sgd'), momentum: float(optimizer.momentum), nesterov: optimizer.nesterov } };
  }
  if (optimizer instanceof Adagrad) {
    return { className: 'Adagrad', config: { ...base('adagrad'), initial_accumulator_value: float(optimizer.initialAccumulatorValue), epsilon: float(optimizer.epsilon) } };
  }
  if (optimizer instanceof Adadelta) {
    return { className: 'Adadelta', config: { ...base('adadelta'), rho: float(optimizer.rho), epsilon: float(optimizer.epsilon) } };
  }
  if (optimizer instanceof Nadam) {
    return { className: 'Nadam', config: { ...base('nadam'), beta_1: float(optimizer.beta1), beta_2: float(optimizer.beta2), epsilon: float(optimizer.epsilon) } };
  }
  throw new Error(`${optimizer.name}: this optimizer cannot be written to a .keras file; supported: SGD, RMSprop, Adam, Adagrad, Adadelta, Nadam`);
}

/** The name Keras gives a fresh optimizer of this class (`rmsprop`), which names its `vars` group. */
export function optimizerName(optimizer: Optimizer): string {
  return String(optimizerConfig(optimizer).config.name);
}

/** The compile settings written to compile_config. */
export interface CompiledSettings {
  optimizer: Optimizer;
  /** Each output's loss and metrics, in output order. */
  outputs: ReadonlyArray<{ readonly name: string; readonly loss: Loss; readonly metrics: readonly Metric[] }>;
  /** One weight per output, or null when all are 1 (Keras's `loss_weights=None`). */
  lossWeights: readonly number[] | null;
}

/**
 * A loss as compile_config holds it: its name when the name says all, else
 * the loss object as Keras 3.12's `get_config` gives it (`Loss`'s name and
 * reduction, then the class's own keys).
 */
function lossValue(s: Serializer, loss: Loss): PyValue {
  if (loss.isPlain) return loss.kind;
  const config: PyDict = { name: loss.name, reduction: 'sum_over_batch_size', from_logits: loss.fromLogits };
  if (loss instanceof SparseCategoricalCrossentropy) config.ignore_class = null;
  else Object.assign(config, { label_smoothing: float(loss.labelSmoothing), axis: -1 });
  return s.object(loss, 'keras.losses', loss.className, () => config);
}

/** The Keras metric class of an mse or mae metric (named 'mse', or 'mse_1' when the name was taken), or undefined. */
function errorMetricClass(m: Metric): string | undefined {
  const key = metricKeyOf(m.name.replace(/_\d+$/, ''));
  if (key === undefined || m.constructor !== getMetric(key, 'mse').constructor) return undefined;
  if (key === 'mse' || key === 'mean_squared_error') return 'MeanSquaredError';
  return key === 'mae' || key === 'mean_absolute_error' ? 'MeanAbsoluteError' : undefined;
}

/** `{ class_name, config }` of a metric object as Keras 3.12's `get_config` gives it (name, dtype, then its own keys). */
function metricObject(m: Metric, output: string): { className: string; config: PyDict } {
  const base: PyDict = { name: m.name, dtype: 'float32' };
  if (m instanceof BinaryAccuracy) return { className: 'BinaryAccuracy', config: { ...base, threshold: float(m.threshold) } };
  if (m instanceof CategoricalAccuracy) return { className: 'CategoricalAccuracy', config: base };
  if (m instanceof SparseCategoricalAccuracy) return { className: 'SparseCategoricalAccuracy', config: base };
  if (m instanceof TopKCategoricalAccuracy) return { className: 'TopKCategoricalAccuracy', config: { ...base, k: m.k } };
  if (m instanceof Precision || m instanceof Recall) {
    const thresholds = float(Number(m.changedOptions().thresholds ?? 0.5));
    return { className: m instanceof Precision ? 'Precision' : 'Recall', config: { ...base, thresholds, top_k: null, class_id: null } };
  }
  if (m instanceof AUC) {
    return {
      className: 'AUC',
      config: {
        ...base, num_thresholds: m.numThresholds, curve: 'ROC', summation_method: 'interpolation',
        multi_label: false, num_labels: null, label_weights: null, from_logits: m.fromLogits,
      },
    };
  }
  const error = errorMetricClass(m);
  if (error) return { className: error, config: base };
  throw new Error(`metric '${m.name}' of output '${output}' is a function or a metric class of its own, whose code a .keras file cannot hold; save without includeOptimizer, or compile with Keras's metrics`);
}

/** A metric as compile_config holds it: its name when the name says all, else the metric object. */
function metricValue(m: Metric, loss: LossName, output: string): PyValue {
  const name = metricNameOf(m, loss);
  if (name !== null) return name;
  const { className, config } = metricObject(m, output);
  return { module: 'keras.metrics', class_name: className, config, registered_name: null };
}

/**
 * `{ compile_config }` as `Trainer.get_compile_config()` gives it, or
 * nothing for a model saved without its compile settings: one loss when
 * every output has the same, else a list; one list of metrics when every
 * output has the same, else a list per output.
 */
export function compileConfig(s: Serializer, compiled: ConfigSource['compiled']): PyDict {
  if (!compiled) return {};
  const { optimizer, outputs, lossWeights } = compiled;
  const { className, config } = optimizerConfig(optimizer);
  const optimizerObject = s.object(optimizer, 'keras.optimizers', className, () => config);
  const losses = outputs.map((o) => o.loss);
  const oneLoss = losses.every((l) => l === losses[0] || (l.isPlain && losses[0].isPlain && l.kind === losses[0].kind));
  const lists = outputs.map((o) => o.metrics.map((m) => metricValue(m, o.loss.kind, o.name)));
  const oneList = lists.every((l) => pythonJson(l) === pythonJson(lists[0]));
  return {
    compile_config: {
      optimizer: optimizerObject,
      loss: oneLoss ? lossValue(s, losses[0]) : losses.map((l) => lossValue(s, l)),
      loss_weights: lossWeights ? lossWeights.map(float) : null,
      metrics: oneList ? (lists[0].length === 0 ? null : lists[0]) : lists,
      weighted_metrics: null,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: true,
    },
  };
}

/** compile_config's text alone, for a check before saving (it throws what writing the whole config would throw about it). */
export function compileConfigText(compiled: CompiledSettings): string {
  return pythonJson(compileConfig(new Serializer(), compiled));
}
