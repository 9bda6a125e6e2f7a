/**
 * The compile settings in a model file (`training_config` / TF.js's
 * `trainingConfig`) and the optimizer's state as TF.js names it
 * (`iter`, then `<weight>/<slot>`, slot by slot over all weights).
 *
 * TF.js and Keras disagree on names: TF.js's RMSprop is `RMSProp` and calls
 * ρ `decay`; Keras's `decay` is a learning-rate decay. TF.js's SGD with
 * momentum is `Momentum` and keeps Σ μᵏg where Keras keeps −η·Σ μᵏg (the
 * same thing for a constant learning rate).
 */
import type { FloatArray, Tensor } from '../../autograd/index.ts';
import { Adam, Optimizer, RMSprop, SGD, type OptimizerSlots } from '../../optim/index.ts';
import { lossNameOf, type LossName } from '../losses.ts';
import { metricKeyOf, type MetricName } from '../metrics.ts';
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
  throw new Error(`${optimizer.name}: this optimizer cannot be written to a model file; supported: SGD, RMSprop, Adam`);
}

/** Our slot for a TF.js slot name (null: TF.js keeps it, this configuration does not). */
function ourSlot(optimizer: Optimizer, tfjs: string): string | null {
  const table: Record<string, string> = optimizer instanceof RMSprop ? { rms: 'velocity', mg: 'averageGrad', momentum: 'momentum' }
    : optimizer instanceof Adam ? { m: 'momentum', v: 'velocity', vhat: 'velocityHat' }
      : { momentum: 'velocity' };
  const slot = table[tfjs];
  return slot !== undefined && optimizer.slotNames.includes(slot) ? slot : null;
}

function optimizerConfig(optimizer: Optimizer): { class_name: string; config: JsonObject } {
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
  throw new Error(`${optimizer.name}: this optimizer cannot be written to a model file; supported: SGD, RMSprop, Adam`);
}

/** Loss names as TF.js and Keras both read them back. */
const WRITTEN_LOSS: Readonly<Record<LossName, string>> = {
  binary_crossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  mse: 'mean_squared_error',
  mae: 'mean_absolute_error',
};

/**
 * The training config TF.js writes (`loss`, `metrics`, `optimizer_config`).
 * A metric TF.js cannot read back (it knows acc, accuracy, binary_accuracy,
 * categorical_accuracy, precision, mse, mae) is an error, not a file that
 * TF.js then refuses.
 */
export function trainingConfigOf(optimizer: Optimizer, loss: LossName, metrics: readonly MetricName[]): TrainingConfig {
  const written = metrics.map((m) => {
    const name = TFJS_METRICS.get(m);
    if (name === undefined) {
      throw new Error(`save: metric '${m}' cannot be written to a TF.js model file, which TF.js reads with the metrics ${[...new Set(TFJS_METRICS.values())].join(', ')} only; save to a .keras file, or without includeOptimizer`);
    }
    return name;
  });
  return { loss: WRITTEN_LOSS[loss], metrics: written, optimizer_config: optimizerConfig(optimizer) };
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

/** The optimizer a training config describes, in Keras's or TF.js's spelling. */
export function optimizerFromConfig(value: JsonValue | undefined, where: string): Optimizer {
  if (!isObject(value)) throw new Error(`${where}: optimizer_config must be an object { class_name, config }, got ${describe(value)}`);
  const cls = own(value, 'class_name');
  const c = own(value, 'config');
  const config = isObject(c) ? c : ({} as JsonObject);
  const learningRate = (fallback: number): number => num(config, ['learningRate', 'learning_rate', 'lr'], fallback, where);
  const clip = {
    ...(own(config, 'clipnorm') != null ? { clipnorm: num(config, ['clipnorm'], 0, where) } : {}),
    ...(own(config, 'global_clipnorm') != null ? { globalClipnorm: num(config, ['global_clipnorm'], 0, where) } : {}),
    ...(own(config, 'clipvalue') != null ? { clipvalue: num(config, ['clipvalue'], 0, where) } : {}),
  };
  const keras = own(config, 'rho') !== undefined || own(config, 'beta_1') !== undefined || own(config, 'nesterov') !== undefined;
  if (keras && num(config, ['decay'], 0, where) !== 0) {
    throw new Error(`${where}: the optimizer has a learning-rate decay of ${String(own(config, 'decay'))}; Unrolled has no such schedule`);
  }
  switch (typeof cls === 'string' ? cls.toLowerCase() : cls) {
    case 'rmsprop':
      return new RMSprop({
        learningRate: learningRate(0.001),
        // Keras names ρ `rho`; TF.js names it `decay`.
        rho: num(config, keras ? ['rho'] : ['decay'], 0.9, where),
        momentum: num(config, ['momentum'], 0, where),
        epsilon: num(config, ['epsilon'], 1e-7, where),
        centered: bool(config, ['centered'], false, where),
        ...clip,
      });
    case 'adam':
      return new Adam({
        learningRate: learningRate(0.001),
        beta1: num(config, ['beta1', 'beta_1'], 0.9, where),
        beta2: num(config, ['beta2', 'beta_2'], 0.999, where),
        epsilon: num(config, ['epsilon'], 1e-7, where),
        amsgrad: bool(config, ['amsgrad'], false, where),
        ...clip,
      });
    case 'sgd':
      return new SGD({
        learningRate: learningRate(0.01),
        momentum: num(config, ['momentum'], 0, where),
        nesterov: bool(config, ['nesterov'], false, where),
        ...clip,
      });
    case 'momentum':
      return new SGD({
        learningRate: learningRate(0.01),
        momentum: num(config, ['momentum'], 0, where),
        nesterov: bool(config, ['useNesterov', 'use_nesterov'], false, where),
        ...clip,
      });
    default:
      throw new Error(`${where}: optimizer '${String(cls)}' is not supported; supported: SGD, Momentum, RMSprop, Adam`);
  }
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
