/**
 * Model: a graph of layers from symbolic inputs to symbolic outputs (the
 * functional API), with the Keras workflow — summary, compile, fit (on
 * tensors or on a generator of batches), evaluate, predict — for any number
 * of inputs and outputs. Sequential is a Model whose graph is a chain.
 *
 *   const x = input({ shape: [null, 8] });
 *   const [seq, h, c] = new LSTM(16, { returnState: true, returnSequences: true }).apply(x);
 *   const y = new TimeDistributed(new Dense(4, { activation: 'softmax' })).apply(seq);
 *   const model = new Model({ inputs: x, outputs: [y, h] });
 *
 * A Model is itself a layer: applied to symbolic tensors it becomes one
 * node of a larger graph (its weights shared with every other use of it).
 */
import { files, hdf5Writer } from '#platform';
import {
  Tensor, add, concat, formatShape, noGrad, permutation, type DType, type FloatArray, type TensorLike,
} from '../../autograd/index.ts';
import { getOptimizer, type Optimizer, type OptimizerName } from '../../optim/index.ts';
import { NonFiniteLossError, callPredictHook, checkCallbacks, type Callback, type Logs, type TrainingModel } from '../callbacks.ts';
import type { IOHandler, SaveResult } from '../io/artifacts.ts';
import { kerasFileKind } from '../io/keras-paths.ts';
import { saveModel, type SaveOptions } from '../io/save.ts';
import { loadWeightsFrom, saveWeightsTo } from '../io/weights.ts';
import { Layer, collectPenalties, formatShapeSpec, type CallContext, type ShapeSpec } from '../layers/layer.ts';
import { RNN } from '../layers/recurrent.ts';
import { weightPenalty } from '../regularizers.ts';
import { Loss, resolveLoss, type LossIdentifier, type LossName } from '../losses.ts';
import { MeanMetricWrapper, Metric, getMetric, metricKeyOf, type MetricIdentifier, type MetricName } from '../metrics.ts';
import { EpochProgress, metricsRepeatingLoss } from '../progress.ts';
import { buildGraph, inferShapes, nodeIndexAmong, runGraph, shapeMismatch, type Graph } from './graph.ts';
import { booleanOption, checkFinite, describeValue, isKeyed, numberOption, splitByName, toTensor } from './inputs.ts';
import { SymbolicTensor, type Node } from './symbolic.ts';
import { classWeightsToSampleWeights, sampleWeightsOf, takeRows, weightedLosses, type ClassWeight } from './training.ts';

/** The file system and HDF5 writer of this build (none in a browser). */
const platform = { files, hdf5Writer };

/** Numbers for one input or output: nested lists whose innermost entries are numbers or typed-array rows. */
export type NestedData = number | FloatArray | readonly NestedData[];
/** Data for a model: one array or Tensor, or (several inputs or outputs) a list of them or an object keyed by name. */
export type ModelData = TensorLike | NestedData | ReadonlyArray<TensorLike | NestedData> | Readonly<Record<string, TensorLike | NestedData>>;

/** A pair of inputs and targets as tensors (one input, one output). */
export type Batch = readonly [Tensor, Tensor];
/** Inputs and targets (and sample weights) in any form `fit` takes: for several inputs or outputs, lists or objects keyed by name. */
export type DataBatch = readonly [ModelData, ModelData] | readonly [ModelData, ModelData, ModelData];
/** Where batches come from: the seed's Python generators become JS generators. */
export type BatchSource = Iterator<DataBatch> | AsyncIterator<DataBatch> | Iterable<DataBatch> | AsyncIterable<DataBatch>;

/** A model's outputs: one symbolic tensor, or a list. */
export type ModelOutputs = SymbolicTensor | readonly SymbolicTensor[];

/** What `predict` returns for a model whose outputs are O: one Tensor, or one per output. */
export type Predicted<O> = [O] extends [readonly SymbolicTensor[]] ? Tensor[] : [O] extends [SymbolicTensor] ? Tensor : Tensor | Tensor[];

export interface ModelArgs<O extends ModelOutputs> {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: O;
  name?: string;
}

export interface CompileOptions {
  optimizer: OptimizerName | Optimizer;
  /** One loss (a name or a loss object) for every output, or one per output: a list in output order or an object keyed by output name. */
  loss: LossIdentifier | readonly LossIdentifier[] | Readonly<Record<string, LossIdentifier>>;
  /** Metrics (names, metric objects, functions) for every output, a list per output, or lists keyed by output name. */
  metrics?: readonly MetricIdentifier[] | ReadonlyArray<readonly MetricIdentifier[]> | Readonly<Record<string, readonly MetricIdentifier[]>>;
  /** The weight of each output's loss in the total (default 1 each): a list in output order or an object keyed by output name. */
  lossWeights?: readonly number[] | Readonly<Record<string, number>>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Hold out this last fraction of the samples (before shuffling), as Keras does. */
  validationSplit?: number;
  /** `[x, y]`, or `[x, y, sampleWeight]` as Keras takes it. */
  validationData?: readonly [ModelData, ModelData] | readonly [ModelData, ModelData, ModelData];
  shuffle?: boolean;
  /** A weight per sample ([N]), or per timestep for a sequence output ([N, T]); one per output for several. Scales each loss value (Σ w·l / N). */
  sampleWeight?: ModelData;
  /** `{ class: weight }`: each sample weighted by its class (1 for classes not named); one output only, not with sampleWeight. */
  classWeight?: ClassWeight;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Hooks called during training, each awaited (see callbacks.ts); the test hooks run for the validation too. */
  callbacks?: Callback[];
  /** The epoch (0-based) to start at, as Keras's `initial_epoch`: epochs `initialEpoch` .. `epochs − 1` run (default 0). */
  initialEpoch?: number;
}

export interface FitGeneratorOptions {
  stepsPerEpoch: number;
  epochs?: number;
  /** A generator, or `[x, y]` / `[x, y, sampleWeight]`. */
  validationData?: BatchSource | readonly [ModelData, ModelData] | readonly [ModelData, ModelData, ModelData];
  validationSteps?: number;
  verbose?: 0 | 1 | 2;
  /** Hooks called during training, each awaited (see callbacks.ts). */
  callbacks?: Callback[];
  /** The epoch (0-based) to start at, as Keras's `initial_epoch` (default 0). */
  initialEpoch?: number;
}

export interface EvaluateOptions {
  batchSize?: number;
  /** Hooks called by evaluate: onTestBegin, onTestBatchBegin/End, onTestEnd (each awaited). */
  callbacks?: Callback[];
  /** A weight per sample ([N]) or per timestep ([N, T]), as in fit (tensors only). */
  sampleWeight?: ModelData;
  /** For a generator: how many batches to draw. */
  steps?: number;
}

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

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'verbose', 'callbacks', 'initialEpoch', 'sampleWeight', 'classWeight'];
const FIT_GENERATOR_KEYS = ['stepsPerEpoch', 'epochs', 'validationData', 'validationSteps', 'verbose', 'callbacks', 'initialEpoch'];
const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights'];

function checkKeys(where: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
  }
}

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

/** Inputs, targets and sample weights (null: none) as tensors, one per model input and output. */
interface Pair {
  xs: Tensor[];
  ys: Tensor[];
  ws: Array<Tensor | null>;
}

/** What compile settles for one output. */
interface OutputSettings {
  name: string;
  loss: Loss;
  weight: number;
  /** Streaming metrics, reset at each epoch and evaluation. */
  metrics: Metric[];
}

interface Compiled {
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

/** A metric's name for a file, where that name alone describes it (Keras's class for the name, default options), else null. */
function describedName(m: Metric, loss: LossName): MetricName | null {
  if (m instanceof MeanMetricWrapper || metricKeyOf(m.name) !== m.name || Object.keys(m.changedOptions()).length > 0) return null;
  return getMetric(m.name, loss).constructor === m.constructor ? (m.name as MetricName) : null;
}

/**
 * One row of Keras's summary table: field i starts at stops[i − 1] and is cut
 * to end one space before stops[i].
 */
export function tableRow(fields: readonly string[], stops: readonly number[]): string {
  let line = '';
  fields.forEach((f, i) => {
    if (i > 0) line = `${line.slice(0, -1)} `;
    line = (line + f).slice(0, stops[i]);
    line += ' '.repeat(stops[i] - line.length);
  });
  return line;
}

/** In the arguments a subclass passes to Model's constructor before it has a graph (Sequential): the base of its generated name. */
export const GRAPH_LATER: unique symbol = Symbol('graph later');

export class Model<O extends ModelOutputs = ModelOutputs> extends Layer implements TrainingModel {
  readonly className: string = 'Model';
  stopTraining = false;
  /** The epoch `fit` starts at; see TrainingModel.initialEpoch. */
  initialEpoch = 0;
  private graphValue: Graph | null = null;
  private outputsListed = false;
  private compiled: Compiled | null = null;

  constructor(args: ModelArgs<O>) {
    const given = args as unknown;
    if (given === null || typeof given !== 'object') throw new Error(`Model: expected { inputs, outputs, name? }, got ${describeValue(given)}`);
    const later = (given as { [GRAPH_LATER]?: string })[GRAPH_LATER];
    const name = (given as { name?: unknown }).name;
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw new Error(`Model: name must be a non-empty string, got ${describeValue(name)}`);
    super(later ?? 'model', name === undefined ? {} : { name });
    if (later !== undefined) return;
    for (const key of Object.keys(given)) {
      if (!['inputs', 'outputs', 'name'].includes(key)) throw new Error(`${this.name}: unknown option '${key}'; known: inputs, outputs, name`);
    }
    const { inputs, outputs } = args;
    if (inputs === undefined) throw new Error(`${this.name}: new Model({ inputs, outputs }) needs inputs (symbolic tensors from input())`);
    if (outputs === undefined) throw new Error(`${this.name}: new Model({ inputs, outputs }) needs outputs (symbolic tensors made by layer.apply())`);
    this.setGraph(Array.isArray(inputs) ? inputs : [inputs], Array.isArray(outputs) ? outputs : [outputs], Array.isArray(outputs));
  }

  /** Installs the graph from `inputs` to `outputs` (checked); `listed` when the outputs were given as a list. */
  protected setGraph(inputs: readonly unknown[], outputs: readonly unknown[], listed: boolean): void {
    this.graphValue = buildGraph(this.name, inputs, outputs);
    this.outputsListed = listed;
    this.built = true;
  }

  /** The graph, once the model has one. */
  protected get graph(): Graph | null {
    return this.graphValue;
  }

  private requireGraph(where: string): Graph {
    if (!this.graphValue) throw new Error(`${this.name}: ${where} needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
    return this.graphValue;
  }

  /** True when the outputs were given as a list: `apply` and `predict` then return lists. */
  get multipleOutputs(): [O] extends [readonly SymbolicTensor[]] ? true : [O] extends [SymbolicTensor] ? false : boolean {
    return this.outputsListed as [O] extends [readonly SymbolicTensor[]] ? true : [O] extends [SymbolicTensor] ? false : boolean;
  }

  protected override returnsList(): boolean {
    return this.outputsListed;
  }

  /** The symbolic inputs, in order. */
  get inputs(): SymbolicTensor[] {
    return [...(this.graphValue?.inputs ?? [])];
  }

  /** The symbolic outputs, in order. */
  get outputs(): SymbolicTensor[] {
    return [...(this.graphValue?.outputs ?? [])];
  }

  /** Every layer once, inputs first (as Keras's `model.layers`, InputLayers included). */
  get layers(): Layer[] {
    return [...(this.graphValue?.layers ?? [])];
  }

  /** The nodes of the graph, each after the nodes it reads from (the inputs' first). */
  get nodes(): Node[] {
    return [...(this.graphValue?.nodes ?? [])];
  }

  /** The names inputs are keyed by in `fit`, `predict`, …: their InputLayers' names. */
  get inputNames(): string[] {
    return this.inputs.map((x) => x.node.layer.name);
  }

  /** The names outputs are keyed by (losses, targets, History): the names of the layers that make them, numbered where one layer makes several. */
  get outputNames(): string[] {
    const names: string[] = [];
    for (const y of this.outputs) {
      const base = y.node.layer.name;
      let name = base;
      for (let k = 1; names.includes(name); k++) name = `${base}_${k}`;
      names.push(name);
    }
    return names;
  }

  /** The layer called `name`, or the one at `index` in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= layers.length) {
        throw new Error(`${this.name}: getLayer(${nameOrIndex}): the model has ${layers.length} layers (indices 0 to ${layers.length - 1})`);
      }
      return layers[nameOrIndex];
    }
    const found = layers.find((l) => l.name === nameOrIndex);
    if (!found) throw new Error(`${this.name}: no layer is named ${describeValue(nameOrIndex)}; its layers are ${layers.map((l) => l.name).join(', ') || 'none'}`);
    return found;
  }

  // ---------------------------------------------------------------- as a layer

  /** Every weight once (a shared layer's weights are one set), layer by layer. */
  override weights(): Tensor[] {
    return [...new Set(this.layers.flatMap((l) => l.weights()))];
  }

  /** The weights training updates: none when the model is not trainable, else those of its trainable layers. */
  override trainableWeights(): Tensor[] {
    if (!this.trainable) return [];
    return [...new Set(this.layers.flatMap((l) => l.trainableWeights()))];
  }

  override namedWeights(): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    return this.layers.flatMap((l) => l.namedWeights()).filter(([, t]) => (seen.has(t) ? false : (seen.add(t), true)));
  }

  /** A model with a graph is built: its layers were built when they were applied. */
  override build(inputShape: ShapeSpec, dtype?: DType): void {
    if (!this.graphValue) super.build(inputShape, dtype);
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec | ShapeSpec[] {
    const shapes = this.outputShapes([inputShape]);
    return this.outputsListed ? shapes : shapes[0];
  }

  override outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    const graph = this.requireGraph('computing output shapes');
    this.checkInputCount(inputShapes.length);
    graph.inputs.forEach((x, i) => {
      const shape = inputShapes[i];
      const bad = shape.length !== x.rank || x.shape.some((d, k) => k > 0 && d !== null && shape[k] !== null && shape[k] !== d);
      if (bad) throw new Error(`input '${x.node.layer.name}' expects ${formatShapeSpec(x.shape)}, got ${formatShapeSpec(shape)}`);
    });
    return inferShapes(graph, inputShapes);
  }

  protected override outputDtypes(): DType[] {
    return this.outputs.map((y) => y.dtype);
  }

  private checkInputCount(n: number): void {
    const inputs = this.inputs;
    if (n !== inputs.length) {
      throw new Error(`${this.name} takes ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${this.inputNames.join(', ')}), got ${n}`);
    }
  }

  call(x: Tensor, context: CallContext): Tensor {
    return this.callAll([x], context)[0];
  }

  override callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    return this.invoke(inputs, [context.mask], context).outputs;
  }

  override invoke(inputs: readonly Tensor[], masks: ReadonlyArray<FloatArray | null>, context: CallContext): { outputs: Tensor[]; masks: Array<FloatArray | null> } {
    const graph = this.requireGraph('running');
    this.checkInputCount(inputs.length);
    inputs.forEach((t, i) => this.checkFeed(`${this.name}`, `input ${i}`, t, i));
    return runGraph(graph, inputs, { training: context.training, ...(context.slot ? { slot: context.slot } : {}) }, masks);
  }

  override resetStates(): void {
    for (const layer of this.layers) layer.resetStates();
  }

  // ---------------------------------------------------------------- weights

  /** The shape of the single input, batch first (null for a model with several inputs, or before it is built). */
  get batchInputShape(): ShapeSpec | null {
    const inputs = this.inputs;
    return inputs.length === 1 ? inputs[0].shape : null;
  }

  /** All weight tensors, layer by layer, in the Keras order (each once). */
  weightTensors(): Tensor[] {
    return this.weights();
  }

  /** The weights training updates: those of the trainable layers. */
  trainableWeightTensors(): Tensor[] {
    return this.trainableWeights();
  }

  /** The named weights of the trainable layers, in the order the optimizer sees them. */
  trainableNamedWeights(): Array<[string, Tensor]> {
    const trainable = new Set(this.trainableWeights());
    return this.namedWeights().filter(([, t]) => trainable.has(t));
  }

  // ---------------------------------------------------------------- summary

  /** Prints Keras's table of the model — with "Connected to" for a functional model — and returns it. */
  summary(print: (line: string) => void = console.log): string {
    const graph = this.requireGraph('summary()');
    const width = 98;
    const stops = [32, 53, 65, 98];
    const row = (fields: string[]): string => tableRow(fields, stops);
    const lines = [`Model: "${this.name}"`, '_'.repeat(width), row(['Layer (type)', 'Output Shape', 'Param #', 'Connected to']), '='.repeat(width)];
    graph.layers.forEach((layer, k) => {
      const nodes = graph.nodes.filter((n) => n.layer === layer);
      const shapes = nodes.map((n) => n.outputs.map((y) => y.shape));
      const same = shapes.every((s) => formatShapes(s) === formatShapes(shapes[0]));
      const shapeLines = same ? shapeLinesOf(shapes[0]) : ['multiple'];
      const connections = nodes.flatMap((n) => n.inputs.map((x) => `${x.node.layer.name}[${nodeIndexAmong(graph.nodes, x.node)}][${x.outputIndex}]`));
      const count = Math.max(shapeLines.length, connections.length, 1);
      for (let i = 0; i < count; i++) {
        lines.push(row([
          i === 0 ? `${layer.name} (${layer.className})` : '',
          shapeLines[i] ?? '',
          i === 0 ? String(layer.countParams()) : '',
          connections[i] ?? '',
        ]));
      }
      lines.push(k === graph.layers.length - 1 ? '='.repeat(width) : '_'.repeat(width));
    });
    lines.push(...this.paramLines(), '_'.repeat(width));
    const text = lines.join('\n');
    print(text);
    return text;
  }

  /** Total, trainable and non-trainable parameter counts, each weight counted once. */
  protected paramLines(): string[] {
    const total = this.countParams();
    const trainable = this.trainableWeights().reduce((n, w) => n + w.size, 0);
    const fmt = (n: number): string => n.toLocaleString('en-US');
    return [`Total params: ${fmt(total)}`, `Trainable params: ${fmt(trainable)}`, `Non-trainable params: ${fmt(total - trainable)}`];
  }

  // ---------------------------------------------------------------- compile

  /** The optimizer given to `compile`, or null before. */
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /**
   * The loss given to `compile` when one loss serves every output, by name,
   * or null (before compile, or with one loss per output). A loss object
   * whose name does not say all of it (fromLogits, labelSmoothing) has no
   * name: then this throws, and `lossObjects` has it.
   */
  get loss(): LossName | null {
    const names = this.losses;
    return names.length > 0 && names.every((n) => n === names[0]) ? names[0] : null;
  }

  /** Each output's loss by name, in output order (empty before compile); throws as `loss` does. */
  get losses(): LossName[] {
    return (this.compiled?.outputs ?? []).map((o) => {
      if (!o.loss.isPlain) throw new Error(`${this.name}: output '${o.name}' has loss ${o.loss}, which no loss name describes; read model.lossObjects`);
      return o.loss.kind;
    });
  }

  /** Each output's loss object, in output order (empty before compile). */
  get lossObjects(): Loss[] {
    return (this.compiled?.outputs ?? []).map((o) => o.loss);
  }

  /** Each output's loss weight, in output order (empty before compile). */
  get lossWeights(): number[] {
    return (this.compiled?.outputs ?? []).map((o) => o.weight);
  }

  /**
   * The metrics given to `compile` by name, when one list serves every
   * output. A metric no name describes (a function, an object with options
   * other than Keras's defaults) makes this throw; `outputMetrics` has it.
   */
  get metricNames(): readonly MetricName[] {
    const compiled = this.compiled;
    return compiled?.oneMetricList ? this.outputMetricNames[0] ?? [] : [];
  }

  /** Each output's metrics by name, in output order (empty before compile); throws as `metricNames` does. */
  get outputMetricNames(): MetricName[][] {
    return (this.compiled?.outputs ?? []).map((o) => o.metrics.map((m) => {
      const name = describedName(m, o.loss.kind);
      if (name === null) throw new Error(`${this.name}: metric '${m.name}' of output '${o.name}' is not described by a name alone; read model.outputMetrics`);
      return name;
    }));
  }

  /** Each output's metric objects (their state is the last epoch's or evaluation's), in output order. */
  get outputMetrics(): Metric[][] {
    return (this.compiled?.outputs ?? []).map((o) => [...o.metrics]);
  }

  compile(options: CompileOptions): void {
    checkKeys('compile', options, COMPILE_KEYS);
    if (options.optimizer === undefined) throw new Error('compile: an optimizer is required (a name such as \'rmsprop\', or an optimizer object)');
    if (options.loss === undefined) throw new Error('compile: a loss is required (a name such as \'mse\', or one per output)');
    const names = this.feedOutputNames();
    const perOutput = <T>(what: string, value: unknown, fallback: T | undefined): T[] => {
      if (isKeyed(value)) {
        const unknown = Object.keys(value).filter((k) => !names.includes(k));
        if (unknown.length > 0) throw new Error(`compile: ${what} names ${unknown.map((k) => `'${k}'`).join(', ')}, not an output of ${this.name}; its outputs are ${names.map((n) => `'${n}'`).join(', ')}`);
        return names.map((n) => {
          if (!(n in value)) {
            if (fallback === undefined) throw new Error(`compile: ${what} has no entry for output '${n}'; give one for each of ${names.map((k) => `'${k}'`).join(', ')}`);
            return fallback;
          }
          return value[n] as T;
        });
      }
      if (Array.isArray(value)) {
        if (value.length !== names.length) {
          throw new Error(`compile: ${what} is a list of ${value.length}, but ${this.name} has ${names.length} output${names.length === 1 ? '' : 's'} (${names.join(', ')}); give one per output, or an object keyed by output name`);
        }
        return value as T[];
      }
      throw new Error(`compile: ${what} must be a list or an object keyed by output name, got ${describeValue(value)}`);
    };
    const one = typeof options.loss === 'string' || options.loss instanceof Loss;
    const losses = (one ? names.map(() => options.loss) : perOutput<unknown>('loss', options.loss, undefined)).map((l) => resolveLoss(l));
    const weights = options.lossWeights === undefined ? names.map(() => 1) : perOutput<unknown>('lossWeights', options.lossWeights, 1);
    weights.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new Error(`compile: lossWeights for output '${names[i]}' must be a non-negative number, got ${describeValue(w)}`);
    });
    const given = options.metrics ?? [];
    const oneMetricList = Array.isArray(given) && given.every((m) => !Array.isArray(m));
    const metricLists = oneMetricList ? names.map(() => given) : perOutput<unknown>('metrics', given, []);
    this.compiled = {
      optimizer: getOptimizer(options.optimizer),
      outputs: names.map((name, i) => ({ name, loss: losses[i], weight: weights[i] as number, metrics: [] })),
      oneMetricList,
    };
    settleMetrics(this.compiled.outputs, metricLists);
  }

  private requireCompiled(where: string): Compiled {
    const compiled = this.compiled;
    if (!compiled) throw new Error(`${this.name}: ${where}() before compile(); call model.compile({ optimizer, loss }) first`);
    if (this.graphValue && compiled.outputs.length !== this.outputs.length) {
      throw new Error(`${this.name}: compiled for ${compiled.outputs.length} outputs, the model has ${this.outputs.length}; compile again`);
    }
    return compiled;
  }

  // ---------------------------------------------------------------- data

  /** Builds the model from the first batch when it has no graph yet (Sequential); a functional model has one from the start. */
  protected ensureBuilt(_xs: readonly Tensor[]): void {}

  /** The dtype data for input `i` is converted to. */
  protected feedDtype(i: number): DType {
    return this.graphValue?.inputs[i]?.dtype ?? 'float32';
  }

  /** How many inputs the data must have, and their names. */
  protected feedNames(): string[] {
    return this.inputNames;
  }

  /** The names targets are keyed by (a Sequential model not yet built has one output). */
  protected feedOutputNames(): string[] {
    return this.graph ? this.outputNames : ['output'];
  }

  /** Whether every known dimension of input `i` is checked against the data (Sequential: only when the shape was declared). */
  protected checksInputShape(_i: number): boolean {
    return true;
  }

  /** Checks one input's data against the input it is fed to. */
  protected checkFeed(where: string, label: string, t: Tensor, i: number): void {
    const x = this.graphValue?.inputs[i];
    if (!x) return;
    const bad = shapeMismatch(t, x, this.checksInputShape(i));
    if (bad) throw new Error(this.feedMismatch(where, label, t, x, bad));
  }

  /** The message for data that does not fit an input. */
  protected feedMismatch(where: string, label: string, t: Tensor, x: SymbolicTensor, detail: string): string {
    return `${where}: input '${x.node.layer.name}' expects shape ${formatShapeSpec(x.shape)}, but ${label} is ${formatShape(t.shape)} (${detail})`;
  }

  /** The inputs as tensors, checked: one per input, of its dtype and shape, all with the same number of samples. */
  private feeds(where: string, x: unknown): Array<[string, Tensor]> {
    const names = this.feedNames();
    if (names.length === 0) throw new Error(`${this.name}: ${where}() on a model with no layers`);
    const parts = splitByName(where, 'x', x, names, 'input');
    const tensors = parts.map(({ label, value }, i) => {
      const t = toTensor(value, where, label, this.feedDtype(i));
      if (t.rank === 0 || t.shape[0] === 0) throw new Error(`${where}: ${label} has no samples (shape ${formatShape(t.shape)})`);
      checkFinite(`${where}: ${label}`, t);
      return t;
    });
    if (this.built) tensors.forEach((t, i) => this.checkFeed(where, parts[i].label, t, i));
    const labelled = parts.map((p, i): [string, Tensor] => [p.label, tensors[i]]);
    sameBatch(where, labelled);
    return labelled;
  }

  /** Inputs, targets and sample weights, checked against each other and against the losses. */
  private pair(where: string, x: unknown, y: unknown, w?: unknown): Pair {
    const compiled = this.requireCompiled(where);
    const xs = this.feeds(where, x);
    if (y === undefined) throw new Error(`${where}: targets y are missing`);
    const parts = splitByName(where, 'y', y, this.feedOutputNames(), 'output');
    const ys = parts.map(({ label, value }, i): [string, Tensor] => {
      const t = toTensor(value, where, label, this.graph?.outputs[i].dtype ?? this.feedDtype(0));
      if (t.rank === 0 || t.shape[0] === 0) throw new Error(`${where}: ${label} has no samples (shape ${formatShape(t.shape)})`);
      checkFinite(`${where}: ${label}`, t);
      return [label, t];
    });
    sameBatch(where, [...xs, ...ys]);
    ys.forEach(([label, t], i) => {
      if (compiled.outputs[i].loss.kind !== 'binary_crossentropy') return;
      for (let k = 0; k < t.size; k++) {
        const v = t.data[k];
        if (!(v >= 0 && v <= 1)) throw new Error(`${where}: ${label} holds ${v} at position ${k}; binary_crossentropy needs labels in [0, 1]`);
      }
    });
    const targets = ys.map(([, t]) => t);
    return { xs: xs.map(([, t]) => t), ys: targets, ws: sampleWeightsOf(where, w, compiled.outputs, targets) };
  }

  /** `p` with classWeight's sample weights (Keras's rules: one output, not with sampleWeight). */
  private withClassWeights(where: string, compiled: Compiled, p: Pair, classWeight: unknown, sampleWeight: unknown): Pair {
    if (sampleWeight !== undefined) throw new Error(`${where}: classWeight and sampleWeight cannot be given together (as in Keras); fold the class weights into sampleWeight`);
    if (compiled.outputs.length !== 1) throw new Error(`${where}: classWeight serves a model with one output; ${this.name} has ${compiled.outputs.length}: give sampleWeight per output instead`);
    this.ensureBuilt(p.xs);
    const units = this.requireGraph('classWeight').outputs[0].shape.at(-1) ?? 1;
    return { ...p, ws: [classWeightsToSampleWeights(where, classWeight, compiled.outputs[0], p.ys[0], units)] };
  }

  // ---------------------------------------------------------------- training

  /** The activity penalties of the last forward pass (regularizers.ts), for lossesOf. */
  private activityPenalties: Tensor[] = [];

  /** Runs the graph on checked inputs; keeps the pass's activity penalties for lossesOf. */
  private forward(xs: readonly Tensor[], training: boolean): Tensor[] {
    this.ensureBuilt(xs);
    const graph = this.requireGraph('running');
    checkStatefulBatch(this.name, graph, this.layers, xs);
    const { value, penalties } = collectPenalties(() => runGraph(graph, xs, { training }).outputs);
    this.activityPenalties = penalties;
    return value;
  }

  /** Each output's loss (Σ w·l / N with the batch's sample weights) and the total weighted by lossWeights. */
  private lossesOf(compiled: Compiled, outs: readonly Tensor[], batch: Pair, where: string): { total: Tensor; parts: Tensor[] } {
    const { total, parts } = weightedLosses(where, compiled.outputs, outs, batch.ys, batch.ws);
    // The regularizers' penalties are part of the total, as in Keras (not of the per-output losses).
    const penalties = [...this.activityPenalties, ...[weightPenalty(this.trainableWeights())].filter((p): p is Tensor => p !== null)];
    return { total: penalties.reduce((sum, p) => add(sum, p), total), parts };
  }

  /** Adds the batch to every metric's state. */
  private updateMetrics(compiled: Compiled, outs: readonly Tensor[], ys: readonly Tensor[]): void {
    compiled.outputs.forEach((o, i) => o.metrics.forEach((m) => m.update(ys[i], outs[i])));
  }

  private resetMetrics(compiled: Compiled): void {
    for (const o of compiled.outputs) for (const m of o.metrics) m.reset();
  }

  /**
   * One optimisation step on one batch; returns the losses and adds the
   * batch to the metrics. A non-finite loss or gradient throws before the
   * update, so the weights stay as they were.
   */
  private step(compiled: Compiled, batch: Pair, where: string): { loss: number; outputLosses: number[] } {
    const params = this.trainableWeightTensors();
    for (const p of this.weightTensors()) p.zeroGrad();
    const outs = this.forward(batch.xs, true);
    const { total, parts } = this.lossesOf(compiled, outs, batch, where);
    const value = total.item();
    if (!Number.isFinite(value)) {
      throw new NonFiniteLossError(`${this.name}: loss is ${value} at ${where}; training stopped and the weights are as they were before this batch`, value);
    }
    total.backward();
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      for (let i = 0; i < g.length; i++) {
        if (!Number.isFinite(g[i])) {
          throw new NonFiniteLossError(`${this.name}: a gradient is ${g[i]} at ${where}; training stopped and the weights are as they were before this batch`, value);
        }
      }
    }
    compiled.optimizer.step(params);
    this.updateMetrics(compiled, outs, batch.ys);
    return { loss: value, outputLosses: parts.map((l) => l.item()) };
  }

  /** Trains on one batch and returns its loss (the weighted total, computed before the update); `sampleWeight` and `classWeight` as in fit. */
  trainOnBatch(x: ModelData, y: ModelData, options: { sampleWeight?: ModelData; classWeight?: ClassWeight } = {}): number {
    const compiled = this.requireCompiled('trainOnBatch');
    checkKeys('trainOnBatch', options, ['sampleWeight', 'classWeight']);
    let batch = this.pair('trainOnBatch', x, y, options.sampleWeight);
    if (options.classWeight !== undefined) batch = this.withClassWeights('trainOnBatch', compiled, batch, options.classWeight, options.sampleWeight);
    return this.step(compiled, batch, 'trainOnBatch').loss;
  }

  private emptySums(compiled: Compiled): Sums {
    return { loss: 0, outputLosses: compiled.outputs.map(() => 0), count: 0 };
  }

  private addSums(sums: Sums, batch: { loss: number; outputLosses: number[] }, rows: number): void {
    sums.loss += batch.loss * rows;
    batch.outputLosses.forEach((l, i) => { sums.outputLosses[i] += l * rows; });
    sums.count += rows;
  }

  /** Keras's log keys: `loss` and the metrics for one output; with several, also `<output>_loss` and `<output>_<metric>`. */
  private logsOf(compiled: Compiled, prefix: string, sums: Sums): Logs {
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
  private repeatsOfLoss(compiled: Compiled, weighted: boolean): string[] {
    const [o, ...rest] = compiled.outputs;
    if (weighted || rest.length > 0 || !o.loss.isPlain) return [];
    return metricsRepeatingLoss(o.loss.kind, o.metrics.map((m) => m.name));
  }

  /** Trains on tensors, or (with a generator) as Keras's fit_generator. */
  fit(x: ModelData, y: ModelData, options?: FitOptions): Promise<History>;
  fit(data: BatchSource, options: FitGeneratorOptions): Promise<History>;
  async fit(a: ModelData | BatchSource, b?: ModelData | FitGeneratorOptions, c?: FitOptions): Promise<History> {
    const compiled = this.requireCompiled('fit');
    if (isBatchSource(a)) return this.fitGenerator(a, (b ?? {}) as FitGeneratorOptions);
    if (b === undefined) throw new Error(`${this.name}: fit(x, y) needs targets y`);
    const options = c ?? {};
    checkKeys('fit', options, FIT_KEYS);
    const epochs = numberOption('fit', 'epochs', options.epochs, 1, 'positive integer');
    const batchSize = numberOption('fit', 'batchSize', options.batchSize, 32, 'positive integer');
    const split = numberOption('fit', 'validationSplit', options.validationSplit, 0, 'fraction in [0, 1)');
    const shuffle = booleanOption('fit', 'shuffle', options.shuffle, true);
    const verbose = verboseOption('fit', options.verbose);
    const initialEpoch = numberOption('fit', 'initialEpoch', options.initialEpoch, 0, 'non-negative integer');
    let all = this.pair('fit', a, b, options.sampleWeight);
    if (options.classWeight !== undefined) all = this.withClassWeights('fit', compiled, all, options.classWeight, options.sampleWeight);
    const n = all.xs[0].shape[0];
    const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
    if (trainCount === 0) throw new Error(`fit: no training samples left after validationSplit ${split} of ${n}`);
    const everyRow = Int32Array.from({ length: n }, (_, i) => i);
    const train = pairRows(all, everyRow, 0, trainCount);
    let validation: Pair | null = null;
    if (options.validationData !== undefined) {
      validation = this.validationPair('fit', options.validationData);
    } else if (split > 0) {
      // Keras holds out the last samples; class weights are for training only.
      validation = pairRows(options.classWeight === undefined ? all : { ...all, ws: all.ws.map(() => null) }, everyRow, trainCount, n);
    }
    const steps = Math.ceil(trainCount / batchSize);
    const loop = { epochs, initialEpoch, steps, verbose, callbacks: options.callbacks ?? [], weighted: all.ws.some((w) => w !== null) };
    return this.trainLoop(compiled, loop, async (epoch) => {
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
    }, validation ? (callbacks) => this.evaluatePair(compiled, validation!, batchSize, callbacks) : null);
  }

  /** validationData `[x, y]` or `[x, y, sampleWeight]`, checked. */
  private validationPair(where: string, v: unknown): Pair {
    if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw new Error(`${where}: validationData must be [x, y] or [x, y, sampleWeight], got ${describeValue(v)}`);
    return this.pair(`${where} (validationData)`, v[0], v[1], v[2]);
  }

  /** Keras's fit_generator: `stepsPerEpoch` batches per epoch from `data`. */
  async fitGenerator(data: BatchSource, options: FitGeneratorOptions): Promise<History> {
    const compiled = this.requireCompiled('fitGenerator');
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
      validate = (callbacks) => this.evaluateBatches(compiled, pullVal, valSteps, callbacks);
    } else if (val) {
      const v = this.validationPair('fit', val);
      validate = (callbacks) => this.evaluatePair(compiled, v, 32, callbacks);
    }
    const loop = { epochs, initialEpoch, steps, verbose, callbacks: options.callbacks ?? [], weighted: false };
    return this.trainLoop(compiled, loop, async (epoch) => {
      let batch = 0;
      return {
        next: async () => {
          batch++;
          const [bx, by, bw] = await pull();
          return this.pair(`fit (epoch ${epoch + 1}, batch ${batch})`, bx, by, bw);
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
  private async trainLoop(
    compiled: Compiled,
    loop: { epochs: number; initialEpoch: number; steps: number; verbose: 0 | 1 | 2; callbacks: readonly Callback[]; weighted: boolean },
    batchesOf: (epoch: number) => Promise<{ next: () => Promise<Pair>; where: () => string }>,
    validate: Validate | null,
  ): Promise<History> {
    const { epochs, steps, verbose } = loop;
    const callbacks = checkCallbacks('fit', loop.callbacks);
    const history = new History();
    history.params = { epochs, steps, verbose };
    this.stopTraining = false;
    this.initialEpoch = loop.initialEpoch;
    for (const cb of callbacks) await cb.onTrainBegin?.(this);
    const first = this.initialEpoch;
    if (!Number.isInteger(first) || first < 0) throw new Error(`fit: a callback set initialEpoch to ${first}; it must be a non-negative integer`);
    let logs: Logs = {};
    let weighted = loop.weighted;
    for (let epoch = first; epoch < epochs && !this.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
      const progress = verbose === 0 ? null
        : new EpochProgress({ epoch, epochs, steps, verbose, hide: this.repeatsOfLoss(compiled, weighted) });
      const batches = await batchesOf(epoch);
      const sums = this.emptySums(compiled);
      this.resetMetrics(compiled);
      for (let s = 0; s < steps && !this.stopTraining; s++) {
        for (const cb of callbacks) await cb.onBatchBegin?.(s);
        const batch = await batches.next();
        weighted ||= batch.ws.some((w) => w !== null);
        let result: { loss: number; outputLosses: number[] };
        try {
          result = this.step(compiled, batch, batches.where());
        } catch (e) {
          // A batch with a non-finite loss made no update; a hook may end training quietly (TerminateOnNaN).
          if (!(e instanceof NonFiniteLossError)) throw e;
          for (const cb of callbacks) await cb.onBatchEnd?.(s, { ...this.logsOf(compiled, '', sums), loss: e.loss });
          if (!this.stopTraining) throw e;
          break;
        }
        this.addSums(sums, result, batch.xs[0].shape[0]);
        const running = this.logsOf(compiled, '', sums);
        for (const cb of callbacks) {
          const pending = cb.onBatchEnd?.(s, { ...running, loss: result.loss });
          if (pending) await pending;
        }
        progress?.update(s + 1, running);
        // Let timers, I/O and the progress bar run between batches.
        if (s % 8 === 7) await new Promise((resolve) => (globalThis.setImmediate ?? setTimeout)(resolve));
      }
      logs = this.logsOf(compiled, '', sums);
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

  private evaluatePair(compiled: Compiled, p: Pair, batchSize: number, callbacks: readonly Callback[]): Promise<Logs> {
    const n = p.xs[0].shape[0];
    const all = Int32Array.from({ length: n }, (_, i) => i);
    let start = 0;
    return this.evaluateChecked(compiled, async () => {
      const end = Math.min(start + batchSize, n);
      const batch = pairRows(p, all, start, end);
      start = end;
      return batch;
    }, Math.ceil(n / batchSize), callbacks);
  }

  private evaluateBatches(compiled: Compiled, pull: Pull, steps: number, callbacks: readonly Callback[]): Promise<Logs> {
    return this.evaluateChecked(compiled, async () => {
      const [bx, by, bw] = await pull();
      return this.pair('evaluate', bx, by, bw);
    }, steps, callbacks);
  }

  /**
   * Loss and metrics over `steps` batches, the metrics started afresh, with
   * the callbacks' test hooks (each awaited) around the run and each batch.
   */
  private async evaluateChecked(compiled: Compiled, next: () => Promise<Pair>, steps: number, callbacks: readonly Callback[]): Promise<Logs> {
    for (const cb of callbacks) await cb.onTestBegin?.();
    const sums = this.emptySums(compiled);
    this.resetMetrics(compiled);
    for (let s = 0; s < steps; s++) {
      for (const cb of callbacks) await cb.onTestBatchBegin?.(s);
      const batch = await next();
      noGrad(() => {
        const outs = this.forward(batch.xs, false);
        const { total, parts } = this.lossesOf(compiled, outs, batch, 'evaluate');
        this.updateMetrics(compiled, outs, batch.ys);
        this.addSums(sums, { loss: total.item(), outputLosses: parts.map((l) => l.item()) }, batch.xs[0].shape[0]);
      });
      const running = this.logsOf(compiled, '', sums);
      for (const cb of callbacks) await cb.onTestBatchEnd?.(s, running);
    }
    const logs = this.logsOf(compiled, '', sums);
    for (const cb of callbacks) await cb.onTestEnd?.(logs);
    return logs;
  }

  /** Loss and metrics over `x`, `y` (or `steps` batches of a generator), e.g. `{ loss, acc }`; `sampleWeight` weighs the loss as in fit. */
  evaluate(x: ModelData, y: ModelData, options?: EvaluateOptions): Promise<Logs>;
  evaluate(data: BatchSource, options: EvaluateOptions): Promise<Logs>;
  async evaluate(a: ModelData | BatchSource, b?: ModelData | EvaluateOptions, c?: EvaluateOptions): Promise<Logs> {
    const compiled = this.requireCompiled('evaluate');
    if (isBatchSource(a)) {
      const options = (b ?? {}) as EvaluateOptions;
      checkKeys('evaluate', options, ['batchSize', 'steps', 'callbacks']);
      const steps = numberOption('evaluate', 'steps', options.steps, Number.NaN, 'positive integer');
      if (Number.isNaN(steps)) throw new Error('evaluate: a generator needs a positive integer steps');
      return this.evaluateBatches(compiled, puller(a, 'evaluate'), steps, checkCallbacks('evaluate', options.callbacks ?? []));
    }
    const options = c ?? {};
    checkKeys('evaluate', options, ['batchSize', 'steps', 'sampleWeight', 'callbacks']);
    const batchSize = numberOption('evaluate', 'batchSize', options.batchSize, 32, 'positive integer');
    const callbacks = checkCallbacks('evaluate', options.callbacks ?? []);
    const pair = this.pair('evaluate', a, b, options.sampleWeight);
    return this.evaluatePair(compiled, pair, batchSize, callbacks);
  }

  /**
   * The model's outputs for `x`, in batches, without recording gradients:
   * one Tensor, or one per output. Synchronous, and so are the predict hooks
   * of `callbacks` it calls: a hook that returns a Promise is an error.
   */
  predict(x: ModelData, options: { batchSize?: number; callbacks?: Callback[] } = {}): Predicted<O> {
    checkKeys('predict', options, ['batchSize', 'callbacks']);
    const batchSize = numberOption('predict', 'batchSize', options.batchSize, 32, 'positive integer');
    const callbacks = checkCallbacks('predict', options.callbacks ?? []);
    callPredictHook(callbacks, 'onPredictBegin');
    const xs = this.feeds('predict', x).map(([, t]) => t);
    const n = xs[0].shape[0];
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const parts: Tensor[][] = [];
    for (let start = 0, batch = 0; start < n; start += batchSize, batch++) {
      callPredictHook(callbacks, 'onPredictBatchBegin', batch);
      const outs = noGrad(() => this.forward(xs.map((t) => takeRows(t, all, start, Math.min(start + batchSize, n))), false));
      parts.push(outs);
      callPredictHook(callbacks, 'onPredictBatchEnd', batch, { outputs: this.outputsListed ? [...outs] : outs[0] });
    }
    const outputs = noGrad(() => parts[0].map((_, k) => (parts.length === 1 ? parts[0][k] : concat(parts.map((p) => p[k]), 0))));
    callPredictHook(callbacks, 'onPredictEnd');
    return (this.outputsListed ? outputs : outputs[0]) as Predicted<O>;
  }

  // ---------------------------------------------------------------- files

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

  /**
   * Writes the weights alone (Node only): to a path ending in `.weights.h5`
   * in Keras 3's `save_weights` layout (with the optimizer's state when the
   * model is compiled), else a JSON manifest at `path` and the raw values
   * beside it (`.bin`). Atomic either way.
   */
  async saveWeights(path: string): Promise<void> {
    if (!this.built) throw new Error(`${this.name}: saveWeights() needs a built model`);
    const kind = kerasFileKind(path);
    if (kind === 'weights.h5') {
      const { saveKerasWeightsFile } = await import('../io/keras-files.ts');
      return saveKerasWeightsFile(this, path, platform);
    }
    if (kind !== null) throw new Error(`${this.name}: saveWeights('${path}'): Keras weights files end in .weights.h5 (Keras 3's save_weights layout); whole models go to .keras with save()`);
    saveWeightsTo(path, this.namedWeights());
  }

  /** Reads weights written by `saveWeights` (or Keras 3's `save_weights`, a `.weights.h5` file) into this built model, bit for bit. */
  async loadWeights(path: string): Promise<void> {
    if (!this.built) throw new Error(`${this.name}: loadWeights() needs a built model: build() it first`);
    const kind = kerasFileKind(path);
    if (kind === 'weights.h5') {
      const { loadKerasWeightsFile } = await import('../io/keras-files.ts');
      return loadKerasWeightsFile(this, path, platform);
    }
    if (kind !== null) throw new Error(`${this.name}: loadWeights('${path}'): Keras weights files end in .weights.h5 (Keras 3's save_weights layout); a whole model (.keras, .h5) is read with loadModel()`);
    loadWeightsFrom(path, this.namedWeights());
  }
}

/**
 * Each output's metrics from its list (names, metric objects, functions),
 * with Keras's log keys: a name repeated within an output gets `_1`, `_2`.
 * A metric object serves one output only.
 */
function settleMetrics(outputs: OutputSettings[], lists: readonly unknown[]): void {
  const used = new Set<Metric>();
  outputs.forEach((o, i) => {
    const list = lists[i];
    if (!Array.isArray(list)) throw new Error(`compile: the metrics of output '${o.name}' must be a list, got ${describeValue(list)}`);
    const keys = new Set<string>(['loss']);
    o.metrics = list.map((m: unknown) => {
      let metric = getMetric(m, o.loss.kind);
      if (used.has(metric)) throw new Error(`compile: metric object '${metric.name}' is given twice (for two outputs, or twice in one list); give each its own object, or a name`);
      let key = metric.name;
      for (let k = 1; keys.has(key); k++) key = `${metric.name}_${k}`;
      if (key !== metric.name) {
        if (m instanceof Metric) throw new Error(`compile: two metrics of output '${o.name}' are named '${metric.name}'; give this object another name (new ${m.constructor.name}({ name: '${key}' }))`);
        metric = getMetric(m, o.loss.kind, key);
      }
      used.add(metric);
      keys.add(key);
      return metric;
    });
  });
}

/** The first stateful recurrent layer among `layers` (nested models searched too), or null. */
function statefulLayerOf(layers: readonly Layer[]): Layer | null {
  for (const layer of layers) {
    if (layer instanceof RNN && layer.stateful) return layer;
    const inner = layer instanceof Model ? statefulLayerOf(layer.layers) : null;
    if (inner) return inner;
  }
  return null;
}

/**
 * A stateful layer keeps its states per sample, so a model whose input fixes
 * the batch size takes batches of that size only when it holds one, as in
 * Keras; any other model takes any batch size, the data being cut into
 * batches (the feed checks leave the batch axis free).
 */
function checkStatefulBatch(name: string, graph: Graph, layers: readonly Layer[], xs: readonly Tensor[]): void {
  const k = graph.inputs.findIndex((x) => x.shape[0] !== null);
  if (k < 0 || xs[k].shape[0] === graph.inputs[k].shape[0]) return;
  const stateful = statefulLayerOf(layers);
  if (!stateful) return;
  const batch = graph.inputs[k].shape[0] as number;
  throw new Error(`${name}: ${stateful.name} (${stateful.className}) is stateful and the model's batch size is fixed at ${batch} (input batch shape ${formatShapeSpec(graph.inputs[k].shape)}), but a batch has ${xs[k].shape[0]} samples: pass batchSize: ${batch} and a number of samples that is a multiple of ${batch}`);
}

/** Every labelled tensor has the same number of samples, or an error names two that differ. */
function sameBatch(where: string, labelled: ReadonlyArray<readonly [string, Tensor]>): void {
  const [firstLabel, first] = labelled[0];
  for (const [label, t] of labelled.slice(1)) {
    if (t.shape[0] !== first.shape[0]) {
      throw new Error(`${where}: ${firstLabel} ${formatShape(first.shape)} and ${label} ${formatShape(t.shape)} have different batch sizes (${first.shape[0]} and ${t.shape[0]})`);
    }
  }
}

function formatShapes(shapes: readonly ShapeSpec[]): string {
  return shapes.map(formatShapeSpec).join(', ');
}

/** A node's output shapes for the summary: one line, or `[(…),` … `(…)]` over several lines. */
function shapeLinesOf(shapes: readonly ShapeSpec[]): string[] {
  if (shapes.length === 1) return [formatShapeSpec(shapes[0])];
  return shapes.map((s, i) => `${i === 0 ? '[' : ' '}${formatShapeSpec(s)}${i === shapes.length - 1 ? ']' : ','}`);
}

/** TF.js's `tf.model({ inputs, outputs })`. */
export function model<O extends ModelOutputs>(args: ModelArgs<O>): Model<O> {
  return new Model(args);
}
