/**
 * Sequential: a stack of layers with the Keras workflow — summary, compile,
 * fit (on tensors or on a generator of batches), evaluate, predict.
 */
import {
  Tensor, allocate, concat, formatShape, noGrad, permutation, tensor, type FloatArray, type TensorLike,
} from '../../autograd/index.ts';
import { getOptimizer, type Optimizer, type OptimizerName } from '../../optim/index.ts';
import type { Callback, Logs, TrainingModel } from '../callbacks.ts';
import { loadWeightsFrom, saveWeightsTo } from '../io/weights.ts';
import type { IOHandler, SaveResult } from '../io/artifacts.ts';
import { saveModel, type SaveOptions } from '../io/save.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { Layer, formatShapeSpec, uniqueName, type ShapeSpec } from '../layers/layer.ts';
import { getLoss, type LossFunction, type LossName } from '../losses.ts';
import { getMetric, type Metric, type MetricName } from '../metrics.ts';
import { ProgressBar, writeLine } from '../progress.ts';

export interface CompileOptions {
  optimizer: OptimizerName | Optimizer;
  loss: LossName;
  metrics?: MetricName[];
}

/** A pair of inputs and targets. */
export type Batch = readonly [Tensor, Tensor];
/** Where batches come from: the seed's Python generators become JS generators. */
export type BatchSource = Iterator<Batch> | AsyncIterator<Batch> | Iterable<Batch> | AsyncIterable<Batch>;

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Hold out this last fraction of the samples (before shuffling), as Keras does. */
  validationSplit?: number;
  validationData?: readonly [TensorLike, TensorLike];
  shuffle?: boolean;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Hooks called during training, each awaited (see callbacks.ts). */
  callbacks?: Callback[];
  /** The epoch (0-based) to start at, as Keras's `initial_epoch`: epochs `initialEpoch` .. `epochs − 1` run (default 0). */
  initialEpoch?: number;
}

export interface FitGeneratorOptions {
  stepsPerEpoch: number;
  epochs?: number;
  validationData?: BatchSource | readonly [TensorLike, TensorLike];
  validationSteps?: number;
  verbose?: 0 | 1 | 2;
  /** Hooks called during training, each awaited (see callbacks.ts). */
  callbacks?: Callback[];
  /** The epoch (0-based) to start at, as Keras's `initial_epoch` (default 0). */
  initialEpoch?: number;
}

export interface EvaluateOptions {
  batchSize?: number;
  /** For a generator: how many batches to draw. */
  steps?: number;
}

/** What `fit` returns: one value per epoch under each Keras key. */
export class History {
  readonly history: Record<string, number[]> = {};
  readonly epoch: number[] = [];

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'verbose', 'callbacks', 'initialEpoch'];
const FIT_GENERATOR_KEYS = ['stepsPerEpoch', 'epochs', 'validationData', 'validationSteps', 'verbose', 'callbacks', 'initialEpoch'];

function checkKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
  }
}

function checkFinite(where: string, argument: string, t: Tensor): void {
  for (let i = 0; i < t.size; i++) {
    if (!Number.isFinite(t.data[i])) {
      throw new Error(`${where}: ${argument} ${formatShape(t.shape)} holds ${t.data[i]} at flat position ${i}`);
    }
  }
}

/** Rows `indices[start..end)` of `t` (first axis), copied. */
function takeRows(t: Tensor, indices: ArrayLike<number>, start: number, end: number): Tensor {
  const row = t.size / t.shape[0];
  const out = allocate(t.dtype, (end - start) * row);
  for (let i = start; i < end; i++) out.set(t.data.subarray(indices[i] * row, (indices[i] + 1) * row), (i - start) * row);
  return new Tensor(out, [end - start, ...t.shape.slice(1)]);
}

function isBatchSource(x: unknown): x is BatchSource {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return 'next' in x || Symbol.iterator in x || Symbol.asyncIterator in x;
}

type Pull = () => Promise<Batch>;

function puller(source: BatchSource, where: string): Pull {
  let it: Iterator<Batch> | AsyncIterator<Batch>;
  if (Symbol.asyncIterator in source) it = (source as AsyncIterable<Batch>)[Symbol.asyncIterator]();
  else if (Symbol.iterator in source) it = (source as Iterable<Batch>)[Symbol.iterator]();
  else it = source as Iterator<Batch>;
  return async () => {
    const r = await it.next();
    if (r.done) throw new Error(`${where}: the generator ran out of batches`);
    return r.value;
  };
}

export class Sequential implements TrainingModel {
  readonly name: string;
  readonly layers: Layer[] = [];
  stopTraining = false;
  /** The epoch `fit` starts at; see TrainingModel.initialEpoch. */
  initialEpoch = 0;
  private outputShape: ShapeSpec | null = null;
  /** The input shape (batch first), once known. */
  private inputSpec: ShapeSpec | null = null;
  private compiledOptimizer: Optimizer | null = null;
  private lossName: LossName | null = null;
  private lossFn: LossFunction | null = null;
  private metrics: Metric[] = [];
  private metricList: MetricName[] = [];

  constructor(layers: readonly Layer[] = [], options: { name?: string } = {}) {
    this.name = options.name ?? uniqueName('sequential');
    for (const layer of layers) this.add(layer);
  }

  /**
   * Appends a layer; if the shapes are known it is built now, and a mismatch
   * is an error here. An InputLayer, first, only declares the input shape.
   */
  add(layer: Layer): void {
    if (this.layers.includes(layer)) throw new Error(`${this.name}: layer ${layer.name} is already in the model`);
    if (layer instanceof InputLayer) {
      if (this.layers.length > 0 || this.inputSpec) throw new Error(`${this.name}: an InputLayer (${layer.name}) must come first, before any other layer`);
      this.inputSpec = [null, ...layer.inputShape];
      this.outputShape = this.inputSpec;
      return;
    }
    if (this.layers.length === 0 && layer.inputShape && this.inputSpec) {
      const declared = this.inputSpec.slice(1);
      const own = layer.inputShape;
      if (own.length !== declared.length || own.some((d, i) => d !== null && d !== declared[i])) {
        throw new Error(`${this.name}: the InputLayer declares ${formatShapeSpec(this.inputSpec)}, but ${layer.name} has inputShape ${formatShapeSpec([null, ...own])}`);
      }
      this.outputShape = this.buildLayer(layer, this.inputSpec);
    } else if (this.layers.length === 0 && layer.inputShape) {
      this.inputSpec = [null, ...layer.inputShape];
      this.outputShape = this.buildLayer(layer, this.inputSpec);
    } else if (this.layers.length > 0 && layer.inputShape) {
      throw new Error(`${this.name}: inputShape is only for the first layer, but ${layer.name} has one`);
    } else if (this.outputShape) {
      this.outputShape = this.buildLayer(layer, this.outputShape);
    }
    this.layers.push(layer);
  }

  private buildLayer(layer: Layer, input: ShapeSpec): ShapeSpec {
    try {
      layer.build(input);
      return layer.computeOutputShape(input);
    } catch (e) {
      const previous = this.layers[this.layers.length - 1];
      const from = previous ? `the output ${formatShapeSpec(input)} of ${previous.name}` : `the input ${formatShapeSpec(input)}`;
      throw new Error(`${this.name}: ${layer.name} (${layer.className}) does not fit ${from}: ${(e as Error).message}`);
    }
  }

  /** Builds every layer for inputs of `inputShape` (batch first). */
  build(inputShape: ShapeSpec): void {
    this.inputSpec = [...inputShape];
    let shape = inputShape;
    for (const layer of this.layers) shape = this.buildLayer(layer, shape);
    this.outputShape = shape;
  }

  get built(): boolean {
    return this.outputShape !== null && this.layers.length > 0;
  }

  /** The input shape with the batch dimension first (`null` where unknown), once the model is built. */
  get batchInputShape(): ShapeSpec | null {
    return this.built ? this.inputSpec : null;
  }

  /** The optimizer given to `compile`, or null before. */
  get optimizer(): Optimizer | null {
    return this.compiledOptimizer;
  }

  /** The loss given to `compile`, or null before. */
  get loss(): LossName | null {
    return this.lossName;
  }

  /** The metrics given to `compile`. */
  get metricNames(): readonly MetricName[] {
    return this.metricList;
  }

  /** All weight tensors, layer by layer, in the Keras order. */
  weightTensors(): Tensor[] {
    return this.layers.flatMap((l) => l.weights());
  }

  /** The weights training updates: those of the layers whose `trainable` is true. */
  trainableWeightTensors(): Tensor[] {
    return this.layers.filter((l) => l.trainable).flatMap((l) => l.weights());
  }

  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(values: readonly Tensor[]): void {
    let at = 0;
    for (const layer of this.layers) {
      const n = layer.weights().length;
      layer.setWeights(values.slice(at, at + n));
      at += n;
    }
    if (at !== values.length) throw new Error(`${this.name}: setWeights got ${values.length} tensors, the model has ${at}`);
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Prints the Keras table and returns it. */
  summary(print: (line: string) => void = console.log): string {
    if (!this.built) {
      throw new Error(`${this.name}: summary() needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
    }
    const width = 65;
    const stops = [29, 55, 65];
    const row = (fields: string[]): string => {
      let line = '';
      fields.forEach((f, i) => {
        if (i > 0) line = `${line.slice(0, -1)} `;
        line = (line + f).slice(0, stops[i]);
        line += ' '.repeat(stops[i] - line.length);
      });
      return line;
    };
    const lines = [`Model: "${this.name}"`, '_'.repeat(width), row(['Layer (type)', 'Output Shape', 'Param #']), '='.repeat(width)];
    let shape: ShapeSpec = this.inputSpec!;
    this.layers.forEach((layer, i) => {
      shape = layer.computeOutputShape(shape);
      lines.push(row([`${layer.name} (${layer.className})`, formatShapeSpec(shape), String(layer.countParams())]));
      lines.push(i === this.layers.length - 1 ? '='.repeat(width) : '_'.repeat(width));
    });
    const total = this.countParams();
    const trainable = this.layers.filter((l) => l.trainable).reduce((n, l) => n + l.countParams(), 0);
    const fmt = (n: number): string => n.toLocaleString('en-US');
    lines.push(`Total params: ${fmt(total)}`, `Trainable params: ${fmt(trainable)}`, `Non-trainable params: ${fmt(total - trainable)}`, '_'.repeat(width));
    const text = lines.join('\n');
    print(text);
    return text;
  }

  compile(options: CompileOptions): void {
    checkKeys('compile', options, ['optimizer', 'loss', 'metrics']);
    this.compiledOptimizer = getOptimizer(options.optimizer);
    this.lossFn = getLoss(options.loss);
    this.lossName = options.loss;
    this.metrics = (options.metrics ?? []).map((m) => getMetric(m, options.loss));
    this.metricList = [...(options.metrics ?? [])];
  }

  private requireCompiled(where: string): void {
    if (!this.compiledOptimizer || !this.lossFn) throw new Error(`${this.name}: ${where}() before compile(); call model.compile({ optimizer, loss }) first`);
  }

  /** The input as a tensor of the first layer's dtype. */
  private asInput(where: string, x: TensorLike): Tensor {
    const t = x instanceof Tensor ? x : tensor(x);
    if (this.layers.length === 0) throw new Error(`${this.name}: ${where}() on a model with no layers`);
    const dtype = this.layers[0].dtype;
    return t.dtype === dtype ? t : tensor(t.data, t.shape, dtype);
  }

  private forward(x: Tensor, training: boolean): Tensor {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    let h = x;
    let mask: FloatArray | null = null;
    for (const layer of this.layers) {
      const out = layer.apply(h, { training, mask });
      mask = layer.computeMask(h, mask);
      h = out;
    }
    return h;
  }

  private metricSums(yPred: Tensor, yTrue: Tensor): number[] {
    return this.metrics.map((m) => m.batchSum(yPred, yTrue));
  }

  /**
   * One optimisation step on one batch; returns the loss and metric sums.
   * A non-finite loss or gradient throws before the update, so the weights
   * stay as they were.
   */
  private step(x: Tensor, y: Tensor, where: string): { loss: number; sums: number[] } {
    const params = this.trainableWeightTensors();
    for (const p of this.weightTensors()) p.zeroGrad();
    const out = this.forward(x, true);
    const loss = this.lossFn!(out, y);
    const value = loss.item();
    if (!Number.isFinite(value)) {
      throw new Error(`${this.name}: loss is ${value} at ${where}; training stopped and the weights are as they were before this batch`);
    }
    loss.backward();
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      for (let i = 0; i < g.length; i++) {
        if (!Number.isFinite(g[i])) {
          throw new Error(`${this.name}: a gradient is ${g[i]} at ${where}; training stopped and the weights are as they were before this batch`);
        }
      }
    }
    this.compiledOptimizer!.step(params);
    return { loss: value, sums: this.metricSums(out, y) };
  }

  /** Trains on one batch and returns its loss (computed before the update). */
  trainOnBatch(x: TensorLike, y: TensorLike): number {
    this.requireCompiled('trainOnBatch');
    const [xt, yt] = this.checkPair('trainOnBatch', x, y);
    return this.step(xt, yt, 'trainOnBatch').loss;
  }

  private checkPair(where: string, x: TensorLike, y: TensorLike): [Tensor, Tensor] {
    const xt = this.asInput(where, x);
    const yt = y instanceof Tensor ? y : tensor(y);
    if (xt.shape[0] !== yt.shape[0]) {
      throw new Error(`${where}: x ${formatShape(xt.shape)} and y ${formatShape(yt.shape)} have different batch sizes (${xt.shape[0]} and ${yt.shape[0]})`);
    }
    checkFinite(where, 'x', xt);
    checkFinite(where, 'y', yt);
    if (this.lossName === 'binary_crossentropy') {
      for (let i = 0; i < yt.size; i++) {
        const v = yt.data[i];
        if (!(v >= 0 && v <= 1)) throw new Error(`${where}: y holds ${v} at position ${i}; binary_crossentropy needs labels in [0, 1]`);
      }
    }
    return [xt, yt];
  }

  private logsOf(prefix: string, loss: number, sums: number[], count: number): Logs {
    const logs: Logs = { [`${prefix}loss`]: loss / count };
    this.metrics.forEach((m, i) => { logs[`${prefix}${m.name}`] = sums[i] / count; });
    return logs;
  }

  /** Trains on tensors, or (with a generator) as Keras's fit_generator. */
  fit(x: TensorLike, y: TensorLike, options?: FitOptions): Promise<History>;
  fit(data: BatchSource, options: FitGeneratorOptions): Promise<History>;
  async fit(a: TensorLike | BatchSource, b?: TensorLike | FitGeneratorOptions, c?: FitOptions): Promise<History> {
    this.requireCompiled('fit');
    if (isBatchSource(a)) return this.fitGenerator(a, (b ?? {}) as FitGeneratorOptions);
    if (b === undefined) throw new Error(`${this.name}: fit(x, y) needs targets y`);
    const options = c ?? {};
    checkKeys('fit', options, FIT_KEYS);
    const [xAll, yAll] = this.checkPair('fit', a, b as TensorLike);
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    const split = options.validationSplit ?? 0;
    if (!(split >= 0 && split < 1)) throw new Error(`fit: validationSplit must be in [0, 1), got ${split}`);
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
    const n = xAll.shape[0];
    const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
    if (trainCount === 0) throw new Error(`fit: no training samples left after validationSplit ${split} of ${n}`);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const x = takeRows(xAll, all, 0, trainCount);
    const y = takeRows(yAll, all, 0, trainCount);
    let validation: [Tensor, Tensor] | null = null;
    if (options.validationData) validation = this.checkPair('fit (validationData)', options.validationData[0], options.validationData[1]);
    else if (split > 0) validation = [takeRows(xAll, all, trainCount, n), takeRows(yAll, all, trainCount, n)];

    const steps = Math.ceil(trainCount / batchSize);
    return this.trainLoop({ epochs, initialEpoch: options.initialEpoch ?? 0, steps, verbose: options.verbose ?? 1, callbacks: options.callbacks ?? [] }, async (epoch) => {
      const order = (options.shuffle ?? true) ? permutation(trainCount) : all.subarray(0, trainCount);
      let batch = 0;
      return {
        next: async () => {
          const start = batch * batchSize;
          const end = Math.min(start + batchSize, trainCount);
          batch++;
          return [takeRows(x, order, start, end), takeRows(y, order, start, end)] as const;
        },
        where: () => `epoch ${epoch + 1}, batch ${batch}`,
      };
    }, validation ? () => this.evaluateTensors(validation![0], validation![1], batchSize) : null);
  }

  /** Keras's fit_generator: `stepsPerEpoch` batches per epoch from `data`. */
  async fitGenerator(data: BatchSource, options: FitGeneratorOptions): Promise<History> {
    this.requireCompiled('fitGenerator');
    checkKeys('fit', options, FIT_GENERATOR_KEYS);
    const steps = options.stepsPerEpoch;
    if (!Number.isInteger(steps) || steps <= 0) throw new Error(`fit: stepsPerEpoch must be a positive integer, got ${steps}`);
    const pull = puller(data, 'fit');
    const val = options.validationData;
    let validate: (() => Promise<Logs>) | null = null;
    if (val && isBatchSource(val)) {
      const valSteps = options.validationSteps;
      if (!valSteps || !Number.isInteger(valSteps) || valSteps <= 0) {
        throw new Error(`fit: validationSteps must be a positive integer when validationData is a generator, got ${valSteps}`);
      }
      const pullVal = puller(val, 'fit (validationData)');
      validate = () => this.evaluateBatches(pullVal, valSteps);
    } else if (val) {
      const [vx, vy] = this.checkPair('fit (validationData)', val[0] as TensorLike, val[1] as TensorLike);
      validate = () => this.evaluateTensors(vx, vy, 32);
    }
    const loop = { epochs: options.epochs ?? 1, initialEpoch: options.initialEpoch ?? 0, steps, verbose: options.verbose ?? 1, callbacks: options.callbacks ?? [] };
    return this.trainLoop(loop, async (epoch) => {
      let batch = 0;
      return {
        next: async () => {
          batch++;
          const [bx, by] = await pull();
          return this.checkPair(`fit (epoch ${epoch + 1}, batch ${batch})`, bx, by);
        },
        where: () => `epoch ${epoch + 1}, batch ${batch}`,
      };
    }, validate);
  }

  /**
   * The epoch loop shared by both kinds of fit. Every callback hook is
   * awaited in list order; onTrainBegin may move `initialEpoch` (to resume)
   * and any hook may set `stopTraining`.
   */
  private async trainLoop(
    loop: { epochs: number; initialEpoch: number; steps: number; verbose: 0 | 1 | 2; callbacks: readonly Callback[] },
    batchesOf: (epoch: number) => Promise<{ next: () => Promise<Batch>; where: () => string }>,
    validate: (() => Promise<Logs>) | null,
  ): Promise<History> {
    const { epochs, steps, verbose, callbacks } = loop;
    if (!Number.isInteger(epochs) || epochs <= 0) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
    if (!Number.isInteger(loop.initialEpoch) || loop.initialEpoch < 0) {
      throw new Error(`fit: initialEpoch must be a non-negative integer, got ${loop.initialEpoch}`);
    }
    if (!Array.isArray(callbacks)) throw new Error(`fit: callbacks must be a list of callbacks, got ${typeof callbacks}`);
    callbacks.forEach((cb, i) => {
      if (cb === null || typeof cb !== 'object') throw new Error(`fit: callbacks[${i}] must be an object with hooks (onEpochEnd, …), got ${cb === null ? 'null' : typeof cb}`);
    });
    const history = new History();
    this.stopTraining = false;
    this.initialEpoch = loop.initialEpoch;
    for (const cb of callbacks) await cb.onTrainBegin?.(this);
    const first = this.initialEpoch;
    if (!Number.isInteger(first) || first < 0) throw new Error(`fit: a callback set initialEpoch to ${first}; it must be a non-negative integer`);
    let logs: Logs = {};
    for (let epoch = first; epoch < epochs && !this.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
      if (verbose === 1) writeLine(`Epoch ${epoch + 1}/${epochs}`);
      const bar = verbose === 1 ? new ProgressBar(steps) : null;
      const batches = await batchesOf(epoch);
      let lossSum = 0;
      let sums = this.metrics.map(() => 0);
      let count = 0;
      for (let s = 0; s < steps; s++) {
        const [bx, by] = await batches.next();
        const { loss, sums: batchSums } = this.step(bx, by, batches.where());
        const rows = bx.shape[0];
        lossSum += loss * rows;
        sums = sums.map((v, i) => v + batchSums[i]);
        count += rows;
        const running = this.logsOf('', lossSum, sums, count);
        for (const cb of callbacks) {
          const pending = cb.onBatchEnd?.(s, { loss, ...running });
          if (pending) await pending;
        }
        bar?.update(s + 1, running, false);
        // Let timers, I/O and the progress bar run between batches.
        if (s % 8 === 7) await new Promise((resolve) => (globalThis.setImmediate ?? setTimeout)(resolve));
      }
      logs = this.logsOf('', lossSum, sums, count);
      if (validate) logs = { ...logs, ...(await validate()) };
      bar?.update(steps, logs, true);
      if (verbose === 2) {
        writeLine(`Epoch ${epoch + 1}/${epochs} - ${Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ')}`);
      }
      history.record(epoch, logs);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(logs);
    return history;
  }

  private evaluateTensors(x: Tensor, y: Tensor, batchSize: number, prefix = 'val_'): Promise<Logs> {
    const n = x.shape[0];
    const all = Int32Array.from({ length: n }, (_, i) => i);
    let start = 0;
    return this.evaluateBatches(async () => {
      const end = Math.min(start + batchSize, n);
      const batch = [takeRows(x, all, start, end), takeRows(y, all, start, end)] as const;
      start = end;
      return batch;
    }, Math.ceil(n / batchSize), prefix);
  }

  private async evaluateBatches(pull: Pull, steps: number, prefix = 'val_'): Promise<Logs> {
    let lossSum = 0;
    let sums = this.metrics.map(() => 0);
    let count = 0;
    for (let s = 0; s < steps; s++) {
      const [bx, by] = await pull();
      const [x, y] = this.checkPair('evaluate', bx, by);
      noGrad(() => {
        const out = this.forward(x, false);
        lossSum += this.lossFn!(out, y).item() * x.shape[0];
        const batchSums = this.metricSums(out, y);
        sums = sums.map((v, i) => v + batchSums[i]);
      });
      count += x.shape[0];
    }
    return this.logsOf(prefix, lossSum, sums, count);
  }

  /** Loss and metrics over `x`, `y` (or `steps` batches of a generator), e.g. `{ loss, acc }`. */
  evaluate(x: TensorLike, y: TensorLike, options?: EvaluateOptions): Promise<Logs>;
  evaluate(data: BatchSource, options: EvaluateOptions): Promise<Logs>;
  async evaluate(a: TensorLike | BatchSource, b?: TensorLike | EvaluateOptions, c?: EvaluateOptions): Promise<Logs> {
    this.requireCompiled('evaluate');
    if (isBatchSource(a)) {
      const options = (b ?? {}) as EvaluateOptions;
      checkKeys('evaluate', options, ['batchSize', 'steps']);
      if (!options.steps || !Number.isInteger(options.steps)) throw new Error('evaluate: a generator needs a positive integer steps');
      return this.evaluateBatches(puller(a, 'evaluate'), options.steps, '');
    }
    const options = c ?? {};
    checkKeys('evaluate', options, ['batchSize', 'steps']);
    const [x, y] = this.checkPair('evaluate', a, b as TensorLike);
    return this.evaluateTensors(x, y, options.batchSize ?? 32, '');
  }

  /** The model's outputs for `x`, in batches, without recording gradients. */
  predict(x: TensorLike, options: { batchSize?: number } = {}): Tensor {
    checkKeys('predict', options, ['batchSize']);
    const input = this.asInput('predict', x);
    checkFinite('predict', 'x', input);
    const batchSize = options.batchSize ?? 32;
    const n = input.shape[0];
    const all = Int32Array.from({ length: n }, (_, i) => i);
    return noGrad(() => {
      const outs: Tensor[] = [];
      for (let start = 0; start < n; start += batchSize) {
        outs.push(this.forward(takeRows(input, all, start, Math.min(start + batchSize, n)), false));
      }
      return outs.length === 1 ? outs[0] : concat(outs, 0);
    });
  }

  /** Clears the carried states of every stateful layer. */
  resetStates(): void {
    for (const layer of this.layers) layer.resetStates();
  }

  /** Every weight with its full name (`lstm/kernel`), layer by layer: the names of a model file. */
  namedWeights(): Array<[string, Tensor]> {
    return this.layers.flatMap((l) => l.namedWeights());
  }

  /** The named weights of the trainable layers, in the order the optimizer sees them. */
  trainableNamedWeights(): Array<[string, Tensor]> {
    return this.layers.filter((l) => l.trainable).flatMap((l) => l.namedWeights());
  }

  /**
   * Saves the whole model — topology and weights, and with
   * `{ includeOptimizer: true }` the compile settings and the optimizer's
   * state — in the TensorFlow.js LayersModel format: to a folder
   * (`model.json` + `weights.bin`, written atomically; Node only) or to an
   * IOHandler (`{ save(artifacts) }`, anywhere). `loadModel` reads it back;
   * so does TF.js's `tf.loadLayersModel`.
   */
  save(target: string | IOHandler, options: SaveOptions = {}): Promise<SaveResult> {
    return saveModel(this, target, options);
  }

  /** Writes a JSON manifest at `path` and the raw values beside it (`.bin`). */
  saveWeights(path: string): void {
    if (!this.built) throw new Error(`${this.name}: saveWeights() needs a built model`);
    saveWeightsTo(path, this.namedWeights());
  }

  /** Reads weights written by `saveWeights` into this (built) model, bit for bit. */
  loadWeights(path: string): void {
    if (!this.built) throw new Error(`${this.name}: loadWeights() needs a built model: build() it first`);
    loadWeightsFrom(path, this.namedWeights());
  }
}
