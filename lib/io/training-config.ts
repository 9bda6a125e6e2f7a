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
import type { LossName } from '../losses.ts';
import type { MetricName } from '../metrics.ts';
import type { TrainingConfig, WeightSpec } from './artifacts.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

const LOSS_NAMES: ReadonlyMap<string, LossName> = new Map(Object.entries({
  binary_crossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  mse: 'mse', mean_squared_error: 'mse',
  mae: 'mae', mean_absolute_error: 'mae',
} satisfies Record<string, LossName>));
const METRIC_NAMES: ReadonlyMap<string, MetricName> = new Map(Object.entries({
  acc: 'acc', accuracy: 'accuracy', mae: 'mae', mean_absolute_error: 'mae',
} satisfies Record<string, MetricName>));

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

/** The training config TF.js writes (`loss`, `metrics`, `optimizer_config`). */
export function trainingConfigOf(optimizer: Optimizer, loss: LossName, metrics: readonly MetricName[]): TrainingConfig {
  return { loss: WRITTEN_LOSS[loss], metrics: [...metrics], optimizer_config: optimizerConfig(optimizer) };
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

/** The loss and metrics of a training config, as Unrolled names them. */
export function compileSettingsOf(config: JsonObject, where: string): { loss: LossName; metrics: MetricName[] } {
  const loss = own(config, 'loss');
  if (typeof loss !== 'string') {
    throw new Error(`${where}: training config loss must be one loss name, got ${describe(loss)}`);
  }
  const lossName = LOSS_NAMES.get(loss.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
  if (!lossName) throw new Error(`${where}: loss '${loss}' is not supported; supported: ${[...LOSS_NAMES.keys()].join(', ')}`);
  let m = own(config, 'metrics') ?? [];
  // TF.js writes {} for a model compiled without metrics.
  if (isObject(m) && Object.keys(m).length === 0) m = [];
  if (!Array.isArray(m)) throw new Error(`${where}: training config metrics must be a list of names, got ${describe(m)}`);
  const metrics = m.map((name) => {
    const metric = typeof name === 'string' ? METRIC_NAMES.get(name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()) : undefined;
    if (!metric) throw new Error(`${where}: metric ${describe(name)} is not supported; supported: ${[...METRIC_NAMES.keys()].join(', ')}`);
    return metric;
  });
  return { loss: lossName, metrics };
}
