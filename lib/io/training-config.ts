/**
 * The compile settings in a model file (`training_config` / TF.js's
 * `trainingConfig`) and the optimizer's state as TF.js names it
 * (`iter`, then `<weight>/<slot>`, slot by slot over all weights).
 *
 * TF.js and Keras disagree on names: TF.js's RMSprop is `RMSProp` and calls
 * ρ `decay`; Keras's `decay` is a learning-rate decay. TF.js's SGD with
 * momentum is `Momentum` and keeps Σ μᵏg where Keras keeps −η·Σ μᵏg (the
 * same thing for a constant learning rate). TF.js's Adagrad keeps
 * `accumulator`, its Adadelta `accum_grad` and `accum_var` (tfjs-core's
 * `getWeights`); its Adagrad has no ε of its own (it adds the backend's,
 * 1e-7), and its Adadelta divides by the root of the gradient average from
 * before the step where Keras (and Unrolled) take the updated one.
 *
 * What TF.js cannot express is refused before anything is written: a loss
 * or metric with options (TF.js reads names), weight decay, Nadam (TF.js
 * has no such optimizer) — a file TF.js would load as another training.
 */
import type { FloatArray, Tensor } from '../../autograd/index.ts';
import { Adadelta, Adagrad, Adam, Nadam, Optimizer, RMSprop, SGD, type OptimizerSlots } from '../../optim/index.ts';
import { lossNameOf, type Loss, type LossName } from '../losses.ts';
import { metricKeyOf, metricNameOf, type Metric, type MetricName } from '../metrics.ts';
import type { TrainingConfig, WeightSpec } from './artifacts.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

/** The metric names TF.js reads back from a training config (after its snake_case → camelCase), as written. */
const TFJS_METRICS: ReadonlyMap<string, string> = new Map([
  ['acc', 'acc'], ['accuracy', 'accuracy'], ['binary_accuracy', 'binary_accuracy'], ['categorical_accuracy', 'categorical_accuracy'],
  ['precision', 'precision'], ['mse', 'mse'], ['mean_squared_error', 'mse'], ['mae', 'mae'], ['mean_absolute_error', 'mae'],
]);

/** Config keys of a loss object (Keras's get_config) that must keep their defaults for the loss's name to describe it. */
const LOSS_DEFAULTS: Readonly<Record<string, JsonValue>> = { from_logits: false, label_smoothing: 0, axis: -1 };

/** A name with its camelCase humps as snake_case ('binaryCrossentropy' → 'binary_crossentropy'). */
function snake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** TF.js's names for each of our state slots, by optimizer. */
function tfjsSlots(optimizer: Optimizer): string[] {
  if (optimizer instanceof RMSprop) return optimizer.centered ? ['rms', 'momentum', 'mg'] : ['rms', 'momentum'];
  if (optimizer instanceof Adam) return optimizer.amsgrad ? ['m', 'v', 'vhat'] : ['m', 'v'];
  if (optimizer instanceof SGD) return optimizer.momentum > 0 ? ['momentum'] : [];
  if (optimizer instanceof Adagrad) return ['accumulator'];
  if (optimizer instanceof Adadelta) return ['accum_grad', 'accum_var'];
  throw new Error(unwritable(optimizer));
}

const TO_KERAS = 'save to a .keras file, or without includeOptimizer';

/** Why an optimizer has no TF.js form. */
function unwritable(optimizer: Optimizer): string {
  if (optimizer instanceof Nadam) return `${optimizer.name}: TF.js has no Nadam optimizer, so a TF.js model file cannot hold it; ${TO_KERAS}`;
  return `${optimizer.name}: this optimizer cannot be written to a TF.js model file; supported: SGD, RMSprop, Adam, Adagrad, Adadelta`;
}

/** Refuses what a TF.js optimizer config cannot say: weight decay, an Adagrad ε other than TF.js's 1e-7. */
function checkTfjsOptimizer(optimizer: Optimizer): void {
  if (optimizer.weightDecay !== undefined && optimizer.weightDecay !== 0) {
    throw new Error(`${optimizer.name}: weightDecay ${optimizer.weightDecay} cannot be written to a TF.js model file (TF.js's optimizers have no weight decay, so TF.js would train on without it); ${TO_KERAS}`);
  }
  if (optimizer instanceof Adagrad && optimizer.epsilon !== 1e-7) {
    throw new Error(`${optimizer.name}: epsilon ${optimizer.epsilon} cannot be written to a TF.js model file (TF.js's Adagrad always adds 1e-7); ${TO_KERAS}`);
  }
}

/** Our slot for a TF.js slot name (null: TF.js keeps it, this configuration does not). */
function ourSlot(optimizer: Optimizer, tfjs: string): string | null {
  const table: Record<string, string> = optimizer instanceof RMSprop ? { rms: 'velocity', mg: 'averageGrad', momentum: 'momentum' }
    : optimizer instanceof Adam ? { m: 'momentum', v: 'velocity', vhat: 'velocityHat' }
      : optimizer instanceof Adagrad ? { accumulator: 'accumulator' }
        : optimizer instanceof Adadelta ? { accum_grad: 'accumulatedGrad', accum_var: 'accumulatedDelta' }
          : { momentum: 'velocity' };
  const slot = table[tfjs];
  return slot !== undefined && optimizer.slotNames.includes(slot) ? slot : null;
}

function optimizerConfig(optimizer: Optimizer): { class_name: string; config: JsonObject } {
  checkTfjsOptimizer(optimizer);
  const clip: JsonObject = {};
  if (optimizer.clipnorm !== undefined) clip.clipnorm = optimizer.clipnorm;
  if (optimizer.globalClipnorm !== undefined) clip.global_clipnorm = optimizer.globalClipnorm;
  if (optimizer.clipvalue !== undefined) clip.clipvalue = optimizer.clipvalue;
  const learningRate = optimizer.learningRate;
  if (optimizer instanceof RMSprop) {
    const { rho, momentum, epsilon, centered } = optimizer;
    return { class_name: 'RMSProp', config: { learningRate, decay: rho, momentum, epsilon, centered, ...clip } };
  }
  if (optimizer instanceof Adam) {
    const { beta1, beta2, epsilon, amsgrad } = optimizer;
    return { class_name: 'Adam', config: { learningRate, beta1, beta2, epsilon, ...(amsgrad ? { amsgrad } : {}), ...clip } };
  }
  if (optimizer instanceof SGD) {
    if (optimizer.momentum === 0) return { class_name: 'SGD', config: { learningRate, ...clip } };
    return { class_name: 'Momentum', config: { learningRate, momentum: optimizer.momentum, useNesterov: optimizer.nesterov, ...clip } };
  }
  if (optimizer instanceof Adagrad) return { class_name: 'Adagrad', config: { learningRate, initialAccumulatorValue: optimizer.initialAccumulatorValue, ...clip } };
  if (optimizer instanceof Adadelta) return { class_name: 'Adadelta', config: { learningRate, rho: optimizer.rho, epsilon: optimizer.epsilon, ...clip } };
  throw new Error(unwritable(optimizer));
}

/** Loss names as TF.js and Keras both read them back. */
const WRITTEN_LOSS: Readonly<Record<LossName, string>> = {
  binary_crossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  mse: 'mean_squared_error',
  mae: 'mean_absolute_error',
};

/** One output's loss as a TF.js training config names it; a loss with options (which TF.js cannot read) is refused. */
export function tfjsLossName(loss: Loss, output: string): string {
  if (!loss.isPlain) {
    throw new Error(`save: output '${output}' has loss ${loss}, which no loss name describes: a TF.js model file holds loss names only (TF.js has no loss options); ${TO_KERAS}`);
  }
  return WRITTEN_LOSS[loss.kind];
}

/** One output's metrics as TF.js reads them back; a metric with options, a function or a name TF.js does not read is refused. */
export function tfjsMetricNames(metrics: readonly Metric[], loss: LossName, output: string): string[] {
  return metrics.map((m) => {
    const named = metricNameOf(m, loss);
    if (named === null) {
      throw new Error(`save: metric '${m.name}' of output '${output}' is not described by a name alone (a metric function, or options other than Keras's defaults): a TF.js model file holds metric names only; ${TO_KERAS}`);
    }
    const name = TFJS_METRICS.get(named);
    if (name === undefined) {
      throw new Error(`save: metric '${named}' cannot be written to a TF.js model file, which TF.js reads with the metrics ${[...new Set(TFJS_METRICS.values())].join(', ')} only; ${TO_KERAS}`);
    }
    return name;
  });
}

/**
 * The training config TF.js writes (`loss`, `metrics`, `optimizer_config`)
 * for one output's loss and metrics. What TF.js cannot read back or would
 * train differently from (see the file comment) is an error, not a file.
 */
export function trainingConfigOf(optimizer: Optimizer, loss: Loss, metrics: readonly Metric[], output: string): TrainingConfig {
  const written = tfjsMetricNames(metrics, loss.kind, output);
  tfjsSlots(optimizer);
  return { loss: tfjsLossName(loss, output), metrics: written, optimizer_config: optimizerConfig(optimizer) };
}

/** The optimizer's state as TF.js's optimizer weights: specs (group 'optimizer') and values. */
export function optimizerWeights(
  optimizer: Optimizer, params: ReadonlyArray<[string, Tensor]>,
): { specs: WeightSpec[]; values: Array<ArrayLike<number>> } {
  const saved = optimizer.getSlots(params.map(([, t]) => t));
  const specs: WeightSpec[] = [{ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }];
  const values: Array<ArrayLike<number>> = [Int32Array.of(saved.iterations)];
  for (const tfjs of tfjsSlots(optimizer)) {
    const slot = ourSlot(optimizer, tfjs);
    const arrays = slot === null ? null : saved.slots.find((s) => s.name === slot)!.values;
    params.forEach(([name, t], i) => {
      specs.push({ name: `${name}/${tfjs}`, shape: [...t.shape], dtype: 'float32', group: 'optimizer' });
      let v: ArrayLike<number> = arrays ? arrays[i] : new Float32Array(t.size);
      if (optimizer instanceof SGD && arrays) v = velocityToAccumulator(arrays[i], optimizer.learningRate);
      values.push(v);
    });
  }
  return { specs, values };
}

function velocityToAccumulator(v: FloatArray, lr: number): Float64Array {
  return Float64Array.from(v, (x) => (lr > 0 ? -x / lr : 0));
}

/** Restores the optimizer's state from TF.js's optimizer weights, checking every name and size first. */
export function restoreOptimizerWeights(
  optimizer: Optimizer, params: ReadonlyArray<[string, Tensor]>, weights: ReadonlyMap<string, ArrayLike<number>>, where: string,
): void {
  const iter = weights.get('iter');
  if (!iter || iter.length !== 1) throw new Error(`${where}: the optimizer weights lack 'iter' (the step count)`);
  const saved: OptimizerSlots = { iterations: iter[0], slots: optimizer.slotNames.map((name) => ({ name, values: [] })) };
  const used = new Set(['iter']);
  for (const tfjs of tfjsSlots(optimizer)) {
    const slot = ourSlot(optimizer, tfjs);
    for (const [name, t] of params) {
      const key = `${name}/${tfjs}`;
      const values = weights.get(key);
      if (!values) throw new Error(`${where}: the optimizer weights lack '${key}'`);
      if (values.length !== t.size) throw new Error(`${where}: optimizer weight '${key}' has ${values.length} values, the weight ${t.size}`);
      used.add(key);
      if (slot === null) continue;
      let v: ArrayLike<number> = values;
      if (optimizer instanceof SGD) v = Float64Array.from(values, (x) => -x * optimizer.learningRate);
      saved.slots.find((s) => s.name === slot)!.values.push(Float64Array.from(v) as FloatArray);
    }
  }
  const extra = [...weights.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) throw new Error(`${where}: optimizer weights with no place in ${optimizer.name}: ${extra.slice(0, 5).join(', ')}`);
  optimizer.setSlots(params.map(([, t]) => t), saved);
}

// ---------------------------------------------------------------- reading

function num(config: JsonObject, keys: readonly string[], fallback: number, where: string): number {
  for (const key of keys) {
    const v = own(config, key);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: optimizer config key '${key}' must be a number, got ${describe(v)}`);
    return v;
  }
  return fallback;
}

function bool(config: JsonObject, keys: readonly string[], fallback: boolean, where: string): boolean {
  for (const key of keys) {
    const v = own(config, key);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new Error(`${where}: optimizer config key '${key}' must be true or false, got ${describe(v)}`);
    return v;
  }
  return fallback;
}

/** The options every optimizer takes, from a Keras or TF.js config: clipping and (Keras 3, tf.keras ≥ 2.11) weight decay. */
function commonOptions(config: JsonObject, where: string): { clipnorm?: number; globalClipnorm?: number; clipvalue?: number; weightDecay?: number } {
  const given = (key: string): boolean => own(config, key) !== undefined && own(config, key) !== null;
  return {
    ...(given('clipnorm') ? { clipnorm: num(config, ['clipnorm'], 0, where) } : {}),
    ...(given('global_clipnorm') ? { globalClipnorm: num(config, ['global_clipnorm'], 0, where) } : {}),
    ...(given('clipvalue') ? { clipvalue: num(config, ['clipvalue'], 0, where) } : {}),
    ...(given('weight_decay') ? { weightDecay: num(config, ['weight_decay'], 0, where) } : {}),
  };
}

type OptimizerMaker = (config: JsonObject, keras: boolean, where: string) => Optimizer;

/** Each optimizer class a training config may name (lower case), with Keras's defaults where the config is silent. */
const OPTIMIZER_MAKERS: Readonly<Record<string, OptimizerMaker>> = {
  rmsprop: (c, keras, where) => new RMSprop({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.001, where),
    // Keras names ρ `rho`; TF.js names it `decay`.
    rho: num(c, keras ? ['rho'] : ['decay'], 0.9, where),
    momentum: num(c, ['momentum'], 0, where),
    epsilon: num(c, ['epsilon'], 1e-7, where),
    centered: bool(c, ['centered'], false, where),
    ...commonOptions(c, where),
  }),
  adam: (c, _keras, where) => new Adam({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.001, where),
    beta1: num(c, ['beta1', 'beta_1'], 0.9, where),
    beta2: num(c, ['beta2', 'beta_2'], 0.999, where),
    epsilon: num(c, ['epsilon'], 1e-7, where),
    amsgrad: bool(c, ['amsgrad'], false, where),
    ...commonOptions(c, where),
  }),
  sgd: (c, _keras, where) => new SGD({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.01, where),
    momentum: num(c, ['momentum'], 0, where),
    nesterov: bool(c, ['nesterov'], false, where),
    ...commonOptions(c, where),
  }),
  momentum: (c, _keras, where) => new SGD({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.01, where),
    momentum: num(c, ['momentum'], 0, where),
    nesterov: bool(c, ['useNesterov', 'use_nesterov'], false, where),
    ...commonOptions(c, where),
  }),
  adagrad: (c, _keras, where) => new Adagrad({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.001, where),
    initialAccumulatorValue: num(c, ['initialAccumulatorValue', 'initial_accumulator_value'], 0.1, where),
    epsilon: num(c, ['epsilon'], 1e-7, where),
    ...commonOptions(c, where),
  }),
  adadelta: (c, _keras, where) => new Adadelta({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.001, where),
    rho: num(c, ['rho'], 0.95, where),
    epsilon: num(c, ['epsilon'], 1e-7, where),
    ...commonOptions(c, where),
  }),
  nadam: (c, _keras, where) => new Nadam({
    learningRate: num(c, ['learningRate', 'learning_rate', 'lr'], 0.001, where),
    beta1: num(c, ['beta1', 'beta_1'], 0.9, where),
    beta2: num(c, ['beta2', 'beta_2'], 0.999, where),
    epsilon: num(c, ['epsilon'], 1e-7, where),
    ...commonOptions(c, where),
  }),
};

/**
 * The optimizers whose update rule changed between Keras 2's optimizers and
 * Keras 3's (which Unrolled's follow): Keras 2's and tf.keras 2's Adagrad
 * add ε outside the root, Keras 2's Nadam decays its momentum schedule by
 * `schedule_decay`. tf.keras ≥ 2.11's optimizers (`is_legacy_optimizer:
 * false`) are the ones Keras 3 took over.
 */
const CHANGED_SINCE_KERAS_2 = ['adagrad', 'nadam'];

/**
 * The optimizer a training config describes, in Keras's or TF.js's
 * spelling. `legacy` marks a legacy Keras HDF5 file's config: an optimizer
 * that Keras 2 updated by another rule is refused there.
 */
export function optimizerFromConfig(value: JsonValue | undefined, where: string, legacy = false): Optimizer {
  if (!isObject(value)) throw new Error(`${where}: optimizer_config must be an object { class_name, config }, got ${describe(value)}`);
  const cls = own(value, 'class_name');
  const c = own(value, 'config');
  const config = isObject(c) ? c : ({} as JsonObject);
  const keras = own(config, 'rho') !== undefined || own(config, 'beta_1') !== undefined || own(config, 'nesterov') !== undefined
    || own(config, 'learning_rate') !== undefined;
  if (keras && num(config, ['decay'], 0, where) !== 0) {
    throw new Error(`${where}: the optimizer has a learning-rate decay of ${String(own(config, 'decay'))}; Unrolled has no such schedule`);
  }
  const key = typeof cls === 'string' ? cls.toLowerCase() : '';
  if (legacy && CHANGED_SINCE_KERAS_2.includes(key) && own(config, 'is_legacy_optimizer') !== false) {
    throw new Error(`${where}: a Keras 2 ${String(cls)} updates the weights by another rule than Keras 3's, which Unrolled's ${String(cls)} follows`);
  }
  const make = Object.prototype.hasOwnProperty.call(OPTIMIZER_MAKERS, key) ? OPTIMIZER_MAKERS[key] : undefined;
  if (!make) throw new Error(`${where}: optimizer '${String(cls)}' is not supported; supported: SGD, Momentum, RMSprop, Adam, Adagrad, Adadelta, Nadam`);
  return make(config, keras, where);
}

/**
 * One loss of a training config as Unrolled names it: a name in Keras's or
 * TF.js's spelling, or a serialized loss object (`{ class_name, config }`,
 * as tf.keras writes one) whose options are the defaults. A loss object
 * with other options (from_logits, label_smoothing) is an error naming
 * them: the reader compiles by name.
 */
function lossOfConfig(loss: JsonValue | undefined, where: string): LossName {
  let spelling = loss;
  if (isObject(loss)) {
    spelling = own(loss, 'class_name');
    const config = own(loss, 'config');
    for (const [key, fallback] of Object.entries(LOSS_DEFAULTS)) {
      const v = isObject(config) ? own(config, key) : undefined;
      if (v !== undefined && v !== null && v !== fallback) {
        throw new Error(`${where}: loss ${String(spelling)} has ${key} ${describe(v)}; a training config is read by loss names, which mean ${key} ${describe(fallback)}`);
      }
    }
  }
  if (typeof spelling !== 'string') throw new Error(`${where}: training config loss must be one loss name, got ${describe(loss)}`);
  const name = lossNameOf(spelling) ?? lossNameOf(snake(spelling));
  if (!name) throw new Error(`${where}: loss '${spelling}' is not supported; supported: binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mse, mae (Keras's and TF.js's spellings)`);
  return name;
}

/** The loss and metrics of a training config, as Unrolled names them. */
export function compileSettingsOf(config: JsonObject, where: string): { loss: LossName; metrics: MetricName[] } {
  const lossName = lossOfConfig(own(config, 'loss'), where);
  let m = own(config, 'metrics') ?? [];
  // TF.js writes {} for a model compiled without metrics.
  if (isObject(m) && Object.keys(m).length === 0) m = [];
  if (!Array.isArray(m)) throw new Error(`${where}: training config metrics must be a list of names, got ${describe(m)}`);
  const metrics = m.map((name) => {
    const metric = typeof name === 'string' ? metricKeyOf(name) ?? metricKeyOf(snake(name)) : undefined;
    if (!metric) throw new Error(`${where}: metric ${describe(name)} is not supported; supported: acc, accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy, mse, mae, precision, recall, auc (Keras's and TF.js's spellings)`);
    return metric as MetricName;
  });
  return { loss: lossName, metrics };
}
