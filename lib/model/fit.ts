/**
 * How a compiled model trains and is evaluated, as plain functions of the
 * model: fit on tensors (batches cut from them, shuffled each epoch, a
 * validation split held out) or on a generator of batches, the epoch loop
 * with its callbacks, one optimisation step, evaluate, and the running sums
 * the logs are made of. Model's fit, fitGenerator, evaluate and trainOnBatch
 * call these; the data checks and the forward pass stay on Model.
 */
import { Tensor, add, noGrad, permutation } from '../../autograd/index.ts';
import type { Optimizer } from '../../optim/index.ts';
import { NonFiniteLossError, checkCallbacks, type Callback, type Logs } from '../callbacks.ts';
import type { Loss } from '../losses.ts';
import type { Metric } from '../metrics.ts';
import { EpochProgress, metricsRepeatingLoss } from '../progress.ts';
import { weightPenalty } from '../regularizers.ts';
import { booleanOption, checkKeys, describeValue, numberOption } from './inputs.ts';
import type { BatchSource, DataBatch, EvaluateOptions, FitGeneratorOptions, FitOptions, Model, ModelData } from './model.ts';
import { takeRows, weightedLosses, type ClassWeight } from './training.ts';

/** What `fit` returns: one value per epoch under each Keras key. */
export class History {
  readonly history: Record<string, number[]> = {};
  readonly epoch: number[] = [];
  /** The run's settings, as Keras's History.params: epochs, steps per epoch, verbose. */
  params: { epochs: number; steps: number; verbose: 0 | 1 | 2 } = { epochs: 0, steps: 0, verbose: 1 };

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/**
 * A model as its training sees it: the model itself (its name, its weights,
 * the flags callbacks set) and the steps of Model that are private to it.
 */
export interface Trainee {
  readonly model: Model;
  /** The settings of compile, or an error naming `where` before compile. */
  requireCompiled(where: string): Compiled;
  /** Inputs, targets and sample weights, checked against each other and against the losses. */
  pair(where: string, x: unknown, y: unknown, w?: unknown): Pair;
  /** `p` with classWeight's sample weights (Keras's rules: one output, not with sampleWeight). */
  withClassWeights(where: string, compiled: Compiled, p: Pair, classWeight: unknown, sampleWeight: unknown): Pair;
  /** Runs the graph on checked inputs; keeps the pass's activity penalties for lossesOf. */
  forward(xs: readonly Tensor[], training: boolean): Tensor[];
  /** The activity penalties of the last forward pass (regularizers.ts). */
  activityPenalties(): Tensor[];
}

/** Inputs, targets and sample weights (null: none) as tensors, one per model input and output. */
export interface Pair {
  xs: Tensor[];
  ys: Tensor[];
  ws: Array<Tensor | null>;
}

/** What compile settles for one output. */
export interface OutputSettings {
  name: string;
  loss: Loss;
  weight: number;
  /** Streaming metrics, reset at each epoch and evaluation. */
  metrics: Metric[];
}

export interface Compiled {
  optimizer: Optimizer;
  outputs: OutputSettings[];
  /** True when one list of metrics served every output. */
  oneMetricList: boolean;
}

/** Sums over the samples seen so far: the total loss and each output's loss (the metrics keep their own state). */
interface Sums {
  loss: number;
  outputLosses: number[];
  count: number;
}

/** Runs the validation of one epoch with fit's callbacks; gives the logs unprefixed. */
type Validate = (callbacks: readonly Callback[]) => Promise<Logs>;

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'verbose', 'callbacks', 'initialEpoch', 'sampleWeight', 'classWeight'];
const FIT_GENERATOR_KEYS = ['stepsPerEpoch', 'epochs', 'validationData', 'validationSteps', 'verbose', 'callbacks', 'initialEpoch'];

function verboseOption(where: string, value: unknown): 0 | 1 | 2 {
  if (value === undefined) return 1;
  if (value !== 0 && value !== 1 && value !== 2) throw new Error(`${where}: verbose must be 0, 1 or 2, got ${describeValue(value)}`);
  return value;
}

function isBatchSource(x: unknown): x is BatchSource {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return 'next' in x || Symbol.iterator in x || Symbol.asyncIterator in x;
}

type Pull = () => Promise<DataBatch>;

function puller(source: BatchSource, where: string): Pull {
  let it: Iterator<DataBatch> | AsyncIterator<DataBatch>;
  if (Symbol.asyncIterator in source) it = (source as AsyncIterable<DataBatch>)[Symbol.asyncIterator]();
  else if (Symbol.iterator in source) it = (source as Iterable<DataBatch>)[Symbol.iterator]();
  else it = source as Iterator<DataBatch>;
  return async () => {
    const r = await it.next();
    if (r.done) throw new Error(`${where}: the generator ran out of batches`);
    const batch: unknown = r.value;
    if (!Array.isArray(batch) || (batch.length !== 2 && batch.length !== 3)) throw new Error(`${where}: a batch must be [x, y] or [x, y, sampleWeight], got ${describeValue(batch)}`);
    return batch as unknown as DataBatch;
  };
}

/** `logs` with every key prefixed (`val_loss`). */
function prefixed(prefix: string, logs: Logs): Logs {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** The pair's rows `indices[start..end)`. */
function pairRows(p: Pair, indices: ArrayLike<number>, start: number, end: number): Pair {
  return {
    xs: p.xs.map((t) => takeRows(t, indices, start, end)),
    ys: p.ys.map((t) => takeRows(t, indices, start, end)),
    ws: p.ws.map((t) => (t ? takeRows(t, indices, start, end) : null)),
  };
}

/** Model.fit: on tensors, or on a generator (fitModelOnGenerator). */
export async function fitModel(t: Trainee, a: ModelData | BatchSource, b?: ModelData | FitGeneratorOptions, c?: FitOptions): Promise<History> {
  const compiled = t.requireCompiled('fit');
  if (isBatchSource(a)) return t.model.fitGenerator(a, (b ?? {}) as FitGeneratorOptions);
  if (b === undefined) throw new Error(`${t.model.name}: fit(x, y) needs targets y`);
  const options = c ?? {};
  checkKeys('fit', options, FIT_KEYS);
  const epochs = numberOption('fit', 'epochs', options.epochs, 1, 'positive integer');
  const batchSize = numberOption('fit', 'batchSize', options.batchSize, 32, 'positive integer');
  const split = numberOption('fit', 'validationSplit', options.validationSplit, 0, 'fraction in [0, 1)');
  const shuffle = booleanOption('fit', 'shuffle', options.shuffle, true);
  const verbose = verboseOption('fit', options.verbose);
  const initialEpoch = numberOption('fit', 'initialEpoch', options.initialEpoch, 0, 'non-negative integer');
  let all = t.pair('fit', a, b, options.sampleWeight);
  if (options.classWeight !== undefined) all = t.withClassWeights('fit', compiled, all, options.classWeight, options.sampleWeight);
  const n = all.xs[0].shape[0];
  const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (trainCount === 0) throw new Error(`fit: no training samples left after validationSplit ${split} of ${n}`);
  const everyRow = Int32Array.from({ length: n }, (_, i) => i);
  const train = pairRows(all, everyRow, 0, trainCount);
  let validation: Pair | null = null;
  if (options.validationData !== undefined) {
    validation = validationPair(t, 'fit', options.validationData);
  } else if (split > 0) {
    // Keras holds out the last samples; class weights are for training only.
    validation = pairRows(options.classWeight === undefined ? all : { ...all, ws: all.ws.map(() => null) }, everyRow, trainCount, n);
  }
  const steps = Math.ceil(trainCount / batchSize);
  const loop = { epochs, initialEpoch, steps, verbose, callbacks: options.callbacks ?? [], weighted: all.ws.some((w) => w !== null) };
  return trainLoop(t, compiled, loop, async (epoch) => {
    const order = shuffle ? permutation(trainCount) : everyRow.subarray(0, trainCount);
    let batch = 0;
    return {
      next: async () => {
        const start = batch * batchSize;
        const end = Math.min(start + batchSize, trainCount);
        batch++;
        return pairRows(train, order, start, end);
      },
      where: () => `epoch ${epoch + 1}, batch ${batch}`,
    };
  }, validation ? (callbacks) => evaluatePair(t, compiled, validation!, batchSize, callbacks) : null);
}

/** validationData `[x, y]` or `[x, y, sampleWeight]`, checked. */
function validationPair(t: Trainee, where: string, v: unknown): Pair {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw new Error(`${where}: validationData must be [x, y] or [x, y, sampleWeight], got ${describeValue(v)}`);
  return t.pair(`${where} (validationData)`, v[0], v[1], v[2]);
}

/** Model.fitGenerator: `stepsPerEpoch` batches per epoch from `data`. */
export async function fitModelOnGenerator(t: Trainee, data: BatchSource, options: FitGeneratorOptions): Promise<History> {
  const compiled = t.requireCompiled('fitGenerator');
  checkKeys('fit', options, FIT_GENERATOR_KEYS);
  const steps = numberOption('fit', 'stepsPerEpoch', options.stepsPerEpoch, Number.NaN, 'positive integer');
  const epochs = numberOption('fit', 'epochs', options.epochs, 1, 'positive integer');
  const verbose = verboseOption('fit', options.verbose);
  const initialEpoch = numberOption('fit', 'initialEpoch', options.initialEpoch, 0, 'non-negative integer');
  if (Number.isNaN(steps)) throw new Error('fit: stepsPerEpoch must be a positive integer when fitting on a generator');
  const pull = puller(data, 'fit');
  const val = options.validationData;
  let validate: Validate | null = null;
  if (val && isBatchSource(val)) {
    const valSteps = options.validationSteps;
    if (!valSteps || !Number.isInteger(valSteps) || valSteps <= 0) {
      throw new Error(`fit: validationSteps must be a positive integer when validationData is a generator, got ${describeValue(valSteps)}`);
    }
    const pullVal = puller(val, 'fit (validationData)');
    validate = (callbacks) => evaluateBatches(t, compiled, pullVal, valSteps, callbacks);
  } else if (val) {
    const v = validationPair(t, 'fit', val);
    validate = (callbacks) => evaluatePair(t, compiled, v, 32, callbacks);
  }
  const loop = { epochs, initialEpoch, steps, verbose, callbacks: options.callbacks ?? [], weighted: false };
  return trainLoop(t, compiled, loop, async (epoch) => {
    let batch = 0;
    return {
      next: async () => {
        batch++;
        const [bx, by, bw] = await pull();
        return t.pair(`fit (epoch ${epoch + 1}, batch ${batch})`, bx, by, bw);
      },
      where: () => `epoch ${epoch + 1}, batch ${batch}`,
    };
  }, validate);
}

/**
 * The epoch loop shared by both kinds of fit. Every callback hook is
 * awaited in list order; onTrainBegin may move `initialEpoch` (to resume)
 * and any hook may set `stopTraining`. The metrics start afresh each epoch.
 */
async function trainLoop(
  t: Trainee,
  compiled: Compiled,
  loop: { epochs: number; initialEpoch: number; steps: number; verbose: 0 | 1 | 2; callbacks: readonly Callback[]; weighted: boolean },
  batchesOf: (epoch: number) => Promise<{ next: () => Promise<Pair>; where: () => string }>,
  validate: Validate | null,
): Promise<History> {
  const { epochs, steps, verbose } = loop;
  const callbacks = checkCallbacks('fit', loop.callbacks);
  const history = new History();
  history.params = { epochs, steps, verbose };
  t.model.stopTraining = false;
  t.model.initialEpoch = loop.initialEpoch;
  for (const cb of callbacks) await cb.onTrainBegin?.(t.model);
  const first = t.model.initialEpoch;
  if (!Number.isInteger(first) || first < 0) throw new Error(`fit: a callback set initialEpoch to ${first}; it must be a non-negative integer`);
  let logs: Logs = {};
  let weighted = loop.weighted;
  for (let epoch = first; epoch < epochs && !t.model.stopTraining; epoch++) {
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
    const progress = verbose === 0 ? null
      : new EpochProgress({ epoch, epochs, steps, verbose, hide: repeatsOfLoss(compiled, weighted) });
    const batches = await batchesOf(epoch);
    const sums = emptySums(compiled);
    resetMetrics(compiled);
    for (let s = 0; s < steps && !t.model.stopTraining; s++) {
      for (const cb of callbacks) await cb.onBatchBegin?.(s);
      const batch = await batches.next();
      weighted ||= batch.ws.some((w) => w !== null);
      let result: { loss: number; outputLosses: number[] };
      try {
        result = step(t, compiled, batch, batches.where());
      } catch (e) {
        // A batch with a non-finite loss made no update; a hook may end training quietly (TerminateOnNaN).
        if (!(e instanceof NonFiniteLossError)) throw e;
        for (const cb of callbacks) await cb.onBatchEnd?.(s, { ...logsOf(compiled, '', sums), loss: e.loss });
        if (!t.model.stopTraining) throw e;
        break;
      }
      addSums(sums, result, batch.xs[0].shape[0]);
      const running = logsOf(compiled, '', sums);
      for (const cb of callbacks) {
        const pending = cb.onBatchEnd?.(s, { ...running, loss: result.loss });
        if (pending) await pending;
      }
      progress?.update(s + 1, running);
      // Let timers, I/O and the progress bar run between batches.
      if (s % 8 === 7) await new Promise((resolve) => (globalThis.setImmediate ?? setTimeout)(resolve));
    }
    logs = logsOf(compiled, '', sums);
    // As Keras's fit: the validation is an evaluate with the same callbacks (its test hooks), its keys prefixed val_.
    if (validate) logs = { ...logs, ...prefixed('val_', await validate(callbacks)) };
    progress?.end(logs);
    // A hook may add to the logs (learning_rate); the History records them after every callback, as Keras's does.
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
    history.record(epoch, logs);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(logs);
  return history;
}

/** Model.trainOnBatch: one step on one batch; its loss. */
export function trainModelOnBatch(t: Trainee, x: ModelData, y: ModelData, options: { sampleWeight?: ModelData; classWeight?: ClassWeight }): number {
  const compiled = t.requireCompiled('trainOnBatch');
  checkKeys('trainOnBatch', options, ['sampleWeight', 'classWeight']);
  let batch = t.pair('trainOnBatch', x, y, options.sampleWeight);
  if (options.classWeight !== undefined) batch = t.withClassWeights('trainOnBatch', compiled, batch, options.classWeight, options.sampleWeight);
  return step(t, compiled, batch, 'trainOnBatch').loss;
}

/**
 * One optimisation step on one batch; returns the losses and adds the
 * batch to the metrics. A non-finite loss or gradient throws before the
 * update, so the weights stay as they were.
 */
function step(t: Trainee, compiled: Compiled, batch: Pair, where: string): { loss: number; outputLosses: number[] } {
  const params = t.model.trainableWeightTensors();
  for (const p of t.model.weightTensors()) p.zeroGrad();
  const outs = t.forward(batch.xs, true);
  const { total, parts } = lossesOf(t, compiled, outs, batch, where);
  const value = total.item();
  if (!Number.isFinite(value)) {
    throw new NonFiniteLossError(`${t.model.name}: loss is ${value} at ${where}; training stopped and the weights are as they were before this batch`, value);
  }
  total.backward();
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        throw new NonFiniteLossError(`${t.model.name}: a gradient is ${g[i]} at ${where}; training stopped and the weights are as they were before this batch`, value);
      }
    }
  }
  compiled.optimizer.step(params);
  updateMetrics(compiled, outs, batch.ys);
  return { loss: value, outputLosses: parts.map((l) => l.item()) };
}

/** Each output's loss (Σ w·l / N with the batch's sample weights) and the total weighted by lossWeights. */
function lossesOf(t: Trainee, compiled: Compiled, outs: readonly Tensor[], batch: Pair, where: string): { total: Tensor; parts: Tensor[] } {
  const { total, parts } = weightedLosses(where, compiled.outputs, outs, batch.ys, batch.ws);
  // The regularizers' penalties are part of the total, as in Keras (not of the per-output losses).
  const penalties = [...t.activityPenalties(), ...[weightPenalty(t.model.trainableWeights())].filter((p): p is Tensor => p !== null)];
  return { total: penalties.reduce((sum, p) => add(sum, p), total), parts };
}

/** Model.evaluate: on tensors, or on `steps` batches of a generator. */
export async function evaluateModel(t: Trainee, a: ModelData | BatchSource, b?: ModelData | EvaluateOptions, c?: EvaluateOptions): Promise<Logs> {
  const compiled = t.requireCompiled('evaluate');
  if (isBatchSource(a)) {
    const options = (b ?? {}) as EvaluateOptions;
    checkKeys('evaluate', options, ['batchSize', 'steps', 'callbacks']);
    const steps = numberOption('evaluate', 'steps', options.steps, Number.NaN, 'positive integer');
    if (Number.isNaN(steps)) throw new Error('evaluate: a generator needs a positive integer steps');
    return evaluateBatches(t, compiled, puller(a, 'evaluate'), steps, checkCallbacks('evaluate', options.callbacks ?? []));
  }
  const options = c ?? {};
  checkKeys('evaluate', options, ['batchSize', 'steps', 'sampleWeight', 'callbacks']);
  const batchSize = numberOption('evaluate', 'batchSize', options.batchSize, 32, 'positive integer');
  const callbacks = checkCallbacks('evaluate', options.callbacks ?? []);
  const pair = t.pair('evaluate', a, b, options.sampleWeight);
  return evaluatePair(t, compiled, pair, batchSize, callbacks);
}

function evaluatePair(t: Trainee, compiled: Compiled, p: Pair, batchSize: number, callbacks: readonly Callback[]): Promise<Logs> {
  const n = p.xs[0].shape[0];
  const all = Int32Array.from({ length: n }, (_, i) => i);
  let start = 0;
  return evaluateChecked(t, compiled, async () => {
    const end = Math.min(start + batchSize, n);
    const batch = pairRows(p, all, start, end);
    start = end;
    return batch;
  }, Math.ceil(n / batchSize), callbacks);
}

function evaluateBatches(t: Trainee, compiled: Compiled, pull: Pull, steps: number, callbacks: readonly Callback[]): Promise<Logs> {
  return evaluateChecked(t, compiled, async () => {
    const [bx, by, bw] = await pull();
    return t.pair('evaluate', bx, by, bw);
  }, steps, callbacks);
}

/**
 * Loss and metrics over `steps` batches, the metrics started afresh, with
 * the callbacks' test hooks (each awaited) around the run and each batch.
 */
async function evaluateChecked(t: Trainee, compiled: Compiled, next: () => Promise<Pair>, steps: number, callbacks: readonly Callback[]): Promise<Logs> {
  for (const cb of callbacks) await cb.onTestBegin?.();
  const sums = emptySums(compiled);
  resetMetrics(compiled);
  for (let s = 0; s < steps; s++) {
    for (const cb of callbacks) await cb.onTestBatchBegin?.(s);
    const batch = await next();
    noGrad(() => {
      const outs = t.forward(batch.xs, false);
      const { total, parts } = lossesOf(t, compiled, outs, batch, 'evaluate');
      updateMetrics(compiled, outs, batch.ys);
      addSums(sums, { loss: total.item(), outputLosses: parts.map((l) => l.item()) }, batch.xs[0].shape[0]);
    });
    const running = logsOf(compiled, '', sums);
    for (const cb of callbacks) await cb.onTestBatchEnd?.(s, running);
  }
  const logs = logsOf(compiled, '', sums);
  for (const cb of callbacks) await cb.onTestEnd?.(logs);
  return logs;
}

/** Adds the batch to every metric's state. */
function updateMetrics(compiled: Compiled, outs: readonly Tensor[], ys: readonly Tensor[]): void {
  compiled.outputs.forEach((o, i) => o.metrics.forEach((m) => m.update(ys[i], outs[i])));
}

function resetMetrics(compiled: Compiled): void {
  for (const o of compiled.outputs) for (const m of o.metrics) m.reset();
}

function emptySums(compiled: Compiled): Sums {
  return { loss: 0, outputLosses: compiled.outputs.map(() => 0), count: 0 };
}

function addSums(sums: Sums, batch: { loss: number; outputLosses: number[] }, rows: number): void {
  sums.loss += batch.loss * rows;
  batch.outputLosses.forEach((l, i) => { sums.outputLosses[i] += l * rows; });
  sums.count += rows;
}

/** Keras's log keys: `loss` and the metrics for one output; with several, also `<output>_loss` and `<output>_<metric>`. */
function logsOf(compiled: Compiled, prefix: string, sums: Sums): Logs {
  const n = sums.count;
  const logs: Logs = { [`${prefix}loss`]: sums.loss / n };
  const several = compiled.outputs.length > 1;
  if (several) compiled.outputs.forEach((o, i) => { logs[`${prefix}${o.name}_loss`] = sums.outputLosses[i] / n; });
  compiled.outputs.forEach((o) => o.metrics.forEach((m) => {
    logs[`${prefix}${several ? `${o.name}_` : ''}${m.name}`] = m.result();
  }));
  return logs;
}

/** The metric keys the progress line leaves out because they repeat the loss (not when samples are weighted). */
function repeatsOfLoss(compiled: Compiled, weighted: boolean): string[] {
  const [o, ...rest] = compiled.outputs;
  if (weighted || rest.length > 0 || !o.loss.isPlain) return [];
  return metricsRepeatingLoss(o.loss.kind, o.metrics.map((m) => m.name));
}
