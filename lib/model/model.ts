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
 * The training and evaluation loops are in fit.ts.
 */
import { files, hdf5Writer } from '#platform';
import {
  Tensor, concat, formatShape, noGrad, type DType, type FloatArray, type TensorLike,
} from '../../autograd/index.ts';
import { getOptimizer, type Optimizer, type OptimizerName } from '../../optim/index.ts';
import { callPredictHook, checkCallbacks, type Callback, type Logs, type TrainingModel } from '../callbacks.ts';
import type { IOHandler, SaveResult } from '../io/artifacts.ts';
import { kerasFileKind } from '../io/keras-paths.ts';
import { saveModel, type SaveOptions } from '../io/save.ts';
import { loadWeightsFrom, saveWeightsTo } from '../io/weights.ts';
import { Layer, collectPenalties, formatShapeSpec, type CallContext, type ShapeSpec } from '../layers/layer.ts';
import { RNN } from '../layers/recurrent.ts';
import { Loss, resolveLoss, type LossIdentifier, type LossName } from '../losses.ts';
import { Metric, getMetric, metricNameOf, type MetricIdentifier, type MetricName } from '../metrics.ts';
import {
  evaluateModel, fitModel, fitModelOnGenerator, trainModelOnBatch,
  type Compiled, type History, type OutputSettings, type Pair, type Trainee,
} from './fit.ts';
import { buildGraph, inferShapes, nodeIndexAmong, runGraph, shapeMismatch, type Graph } from './graph.ts';
import { checkFinite, checkKeys, describeValue, isKeyed, numberOption, splitByName, toTensor } from './inputs.ts';
import { SymbolicTensor, type Node } from './symbolic.ts';
import { classWeightsToSampleWeights, sampleWeightsOf, takeRows, type ClassWeight } from './training.ts';

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

export { History } from './fit.ts';

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights'];

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
      const name = metricNameOf(m, o.loss.kind);
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

  /** The activity penalties of the last forward pass (regularizers.ts), for lossesOf (fit.ts). */
  private activityPenalties: Tensor[] = [];

  /** Runs the graph on checked inputs; keeps the pass's activity penalties for lossesOf (fit.ts). */
  private forward(xs: readonly Tensor[], training: boolean): Tensor[] {
    this.ensureBuilt(xs);
    const graph = this.requireGraph('running');
    checkStatefulBatch(this.name, graph, this.layers, xs);
    const { value, penalties } = collectPenalties(() => runGraph(graph, xs, { training }).outputs);
    this.activityPenalties = penalties;
    return value;
  }

  /** This model as the training functions of fit.ts see it. */
  private trainee(): Trainee {
    return {
      model: this,
      requireCompiled: (where) => this.requireCompiled(where),
      pair: (where, x, y, w) => this.pair(where, x, y, w),
      withClassWeights: (where, compiled, p, classWeight, sampleWeight) => this.withClassWeights(where, compiled, p, classWeight, sampleWeight),
      forward: (xs, training) => this.forward(xs, training),
      activityPenalties: () => this.activityPenalties,
    };
  }

  /** Trains on one batch and returns its loss (the weighted total, computed before the update); `sampleWeight` and `classWeight` as in fit. */
  trainOnBatch(x: ModelData, y: ModelData, options: { sampleWeight?: ModelData; classWeight?: ClassWeight } = {}): number {
    return trainModelOnBatch(this.trainee(), x, y, options);
  }

  /** Trains on tensors, or (with a generator) as Keras's fit_generator. */
  fit(x: ModelData, y: ModelData, options?: FitOptions): Promise<History>;
  fit(data: BatchSource, options: FitGeneratorOptions): Promise<History>;
  fit(a: ModelData | BatchSource, b?: ModelData | FitGeneratorOptions, c?: FitOptions): Promise<History> {
    return fitModel(this.trainee(), a, b, c);
  }

  /** Keras's fit_generator: `stepsPerEpoch` batches per epoch from `data`. */
  fitGenerator(data: BatchSource, options: FitGeneratorOptions): Promise<History> {
    return fitModelOnGenerator(this.trainee(), data, options);
  }

  /** Loss and metrics over `x`, `y` (or `steps` batches of a generator), e.g. `{ loss, acc }`; `sampleWeight` weighs the loss as in fit. */
  evaluate(x: ModelData, y: ModelData, options?: EvaluateOptions): Promise<Logs>;
  evaluate(data: BatchSource, options: EvaluateOptions): Promise<Logs>;
  evaluate(a: ModelData | BatchSource, b?: ModelData | EvaluateOptions, c?: EvaluateOptions): Promise<Logs> {
    return evaluateModel(this.trainee(), a, b, c);
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
