/**
 * SimpleRNN, LSTM and GRU layers on the fused cells of cells/. A layer owns
 * its weights (Keras layout), a workspace for the fused passes, the carried
 * states of a stateful layer, and draws the dropout masks of each batch.
 */
import { Tensor, allocate, formatShape, type DType, type FloatArray } from '../../autograd/index.ts';
import {
  Workspace, drawDropoutMasks,
  type ActivationName, type CellWeights, type SequenceOptions, type SequenceResult,
} from '../../cells/common.ts';
import { CELLS, type CellEntry } from '../../cells/index.ts';
import type { InitializerName } from '../../cells/init.ts';
import { runSequence } from '../../cells/sequence.ts';
import { Layer, checkOptions, formatShapeSpec, shapeList, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

/** S: returnState as a type, so that `apply` is typed as a list ([output, ...states]) when it is true. */
export interface RecurrentOptions<S extends boolean = boolean> extends LayerOptions {
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  useBias?: boolean;
  /** Return the output of every timestep [B, T, H] instead of the last [B, H]. */
  returnSequences?: boolean;
  /** Also return the final states: `apply` gives [output, h] ([output, h, c] for an LSTM). */
  returnState?: S;
  goBackwards?: boolean;
  /** Carry the final states of one batch into the next (fixed batch size); `resetStates()` clears them. */
  stateful?: boolean;
  /** Fraction of the input units dropped in training. */
  dropout?: number;
  /** Fraction of the state units dropped in training. */
  recurrentDropout?: number;
  kernelInitializer?: InitializerName;
  recurrentInitializer?: InitializerName;
  biasInitializer?: InitializerName;
}

export interface LstmOptions<S extends boolean = boolean> extends RecurrentOptions<S> {
  /** Start the forget-gate bias at 1 (Keras default true). */
  unitForgetBias?: boolean;
}

export interface GruOptions<S extends boolean = boolean> extends RecurrentOptions<S> {
  /** Apply the reset gate after the recurrent matmul (Keras default true; bias [2, 3H]). */
  resetAfter?: boolean;
}

const KNOWN = [
  'name', 'inputShape', 'dtype', 'activation', 'recurrentActivation', 'useBias', 'returnSequences',
  'returnState', 'goBackwards', 'stateful', 'dropout', 'recurrentDropout', 'kernelInitializer',
  'recurrentInitializer', 'biasInitializer',
];

/** What the cells have in common, seen from a layer. */
export abstract class RNN<S extends boolean = boolean> extends Layer {
  readonly units: number;
  readonly options: RecurrentOptions;
  readonly returnSequences: boolean;
  readonly returnState: S;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** The layer's cell in the table of the cells. */
  abstract readonly cellEntry: CellEntry;
  cellWeights: CellWeights | null = null;
  /** The states a stateful layer carries between batches. */
  states: Tensor[] | null = null;
  protected readonly workspace = new Workspace();

  constructor(baseName: string, units: number, options: RecurrentOptions, known: readonly string[]) {
    checkOptions(baseName === 'simple_rnn' ? 'SimpleRNN' : baseName.toUpperCase(), options, known);
    super(baseName, options);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`${this.name}: units must be a positive integer, got ${units}`);
    for (const arg of ['dropout', 'recurrentDropout'] as const) {
      const rate = options[arg] ?? 0;
      if (!(rate >= 0 && rate < 1)) throw new Error(`${this.name}: ${arg} must be in [0, 1), got ${rate}`);
    }
    this.units = units;
    this.options = options;
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = (options.returnState ?? false) as S;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
    this.dropout = options.dropout ?? 0;
    this.recurrentDropout = options.recurrentDropout ?? 0;
  }

  /** The same layer configuration with some options changed (used by Bidirectional). */
  abstract cloneWith(overrides: Partial<RecurrentOptions>): RNN<boolean>;

  protected abstract makeWeights(features: number): CellWeights;

  protected abstract runCell(x: Tensor, weights: CellWeights, options: SequenceOptions): SequenceResult;

  override weights(): Tensor[] {
    const w = this.cellWeights;
    if (!w) return [];
    return w.bias ? [w.kernel, w.recurrentKernel, w.bias] : [w.kernel, w.recurrentKernel];
  }

  override weightLabels(): string[] {
    return ['kernel', 'recurrent_kernel', 'bias'].slice(0, this.weights().length);
  }

  /** The output shape; with returnState the list [output, ...states] (Keras: [[3, 8], [3, 8]] for SimpleRNN(8) on [3, T, D]). */
  computeOutputShape(inputShape: ShapeSpec): ShapeSpec | ShapeSpec[] {
    const features = inputShape[2];
    if (inputShape.length !== 3 || features === null) {
      throw new Error(`${this.name} (${this.className}): expects input [batch, timesteps, features] with known features, got ${formatShapeList(inputShape)}`);
    }
    if (this.cellWeights && this.cellWeights.kernel.shape[0] !== features) {
      throw new Error(`${this.name} (${this.className}): input has ${features} features but the kernel is ${formatShape(this.cellWeights.kernel.shape)}`);
    }
    const output = this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
    return this.returnState ? [output, ...this.stateShapes(inputShape[0])] : output;
  }

  /** True when `apply` gives [output, ...states] (returnState). */
  get multipleOutputs(): S {
    return this.returnState;
  }

  protected override returnsList(): boolean {
    return this.returnState;
  }

  /** The shapes of the states, [h] or [h, c], each [batch, units]. */
  stateShapes(batch: number | null): ShapeSpec[] {
    return Array.from({ length: this.cellEntry.states }, () => [batch, this.units]);
  }

  /** Initial states of the wrong count or shape: an error naming the layer and the shapes it expects. */
  private checkInitialState(shapes: readonly ShapeSpec[], batch: number | null): void {
    const expected = this.stateShapes(batch);
    const fits = shapes.length === expected.length && shapes.every((s) => s.length === 2
      && (s[1] === null || s[1] === this.units) && (s[0] === null || batch === null || s[0] === batch));
    if (!fits) {
      const names = expected.length === 2 ? '[h, c]' : '[h]';
      throw new Error(`${this.name} (${this.className}): initialState must be ${names}, ${expected.length} tensor${expected.length === 1 ? '' : 's'} of shape ${formatShapeSpec(expected[0])}; got ${shapes.length}${shapes.length > 0 ? `: ${shapes.map(formatShapeSpec).join(', ')}` : ''}`);
    }
  }

  /** Shapes of the outputs for the input and, after it, any initial states. */
  override outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    const [x, ...initial] = inputShapes;
    if (initial.length > 0) this.checkInitialState(initial, x[0] ?? null);
    return shapeList(this.computeOutputShape(x));
  }

  /** Runs on the input and, after it, any initial states; gives [output], or [output, ...states] with returnState. */
  override callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    const [x, ...initial] = inputs;
    if (initial.length > 0) this.checkInitialState(initial.map((t) => t.shape), x.shape[0]);
    const { output, states } = this.applyWithStates(x, context, initial.length > 0 ? initial : undefined);
    return this.returnState ? [output, ...states] : [output];
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    this.cellWeights = this.makeWeights(inputShape[2] as number);
  }

  call(x: Tensor, context: CallContext): Tensor {
    return this.applyWithStates(x, context).output;
  }

  /**
   * Runs the layer and returns the output and the final states ([h] or
   * [h, c]) — Keras's `return_state`. `initialState` overrides the zeros
   * (or a stateful layer's carried states).
   */
  applyWithStates(x: Tensor, context: Partial<CallContext> = {}, initialState?: readonly Tensor[]): SequenceResult {
    if (!this.built) this.build([null, ...x.shape.slice(1)], x.dtype);
    if (x.rank !== 3) {
      throw new Error(`${this.name} (${this.className}): expects input [batch, timesteps, features], got shape ${formatShape(x.shape)}`);
    }
    const [B, , D] = x.shape;
    const training = context.training ?? false;
    let initial = initialState;
    if (!initial && this.stateful && this.states) {
      if (this.states[0].shape[0] !== B) {
        throw new Error(`${this.name} (${this.className}): stateful layer holds states for batch ${this.states[0].shape[0]}, got a batch of ${B}; call resetStates() or keep the batch size fixed`);
      }
      initial = this.states;
    }
    const dropoutMasks = training && (this.dropout > 0 || this.recurrentDropout > 0)
      ? drawDropoutMasks(this.name, B, D, this.units, this.cellEntry.gates, this.dropout, this.recurrentDropout, x.dtype)
      : null;
    const result = this.runCell(x, this.cellWeights!, {
      initialState: initial,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      mask: context.mask ?? null,
      dropoutMasks,
      activation: this.options.activation,
      recurrentActivation: this.options.recurrentActivation,
      // One workspace per application in a graph, so that each keeps its caches until the backward.
      workspace: context.slot ? this.perSlot(context.slot, () => new Workspace()) : this.workspace,
    });
    if (this.stateful) this.states = result.states.map((s) => s.detach());
    return result;
  }

  override computeMask(x: Tensor, mask: FloatArray | null): FloatArray | null {
    if (!mask || !this.returnSequences) return null;
    if (!this.goBackwards) return mask;
    // Outputs come in processing order, so the mask is reversed with them.
    const [B, T] = [x.shape[0], x.shape[1]];
    const out = allocate(x.dtype, B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = mask[b * T + T - 1 - t];
    return out;
  }

  override resetStates(): void {
    this.states = null;
  }

  protected initOptions(): { useBias: boolean; dtype: DType; kernelInitializer?: InitializerName; recurrentInitializer?: InitializerName; biasInitializer?: InitializerName } {
    return {
      useBias: this.options.useBias ?? true,
      dtype: this.dtype,
      kernelInitializer: this.options.kernelInitializer,
      recurrentInitializer: this.options.recurrentInitializer,
      biasInitializer: this.options.biasInitializer,
    };
  }
}

function formatShapeList(shape: ShapeSpec): string {
  return `[${shape.map((d) => (d === null ? 'None' : d)).join(',')}]`;
}

export class SimpleRNN<S extends boolean = false> extends RNN<S> {
  readonly className = 'SimpleRNN';
  readonly cellEntry = CELLS.SimpleRNN;

  constructor(units: number, options: RecurrentOptions<S> = {}) {
    super('simple_rnn', units, options, KNOWN);
  }

  cloneWith(overrides: Partial<RecurrentOptions>): SimpleRNN<boolean> {
    return new SimpleRNN(this.units, { ...this.options, ...overrides });
  }

  protected makeWeights(features: number): CellWeights {
    return this.cellEntry.init(features, this.units, this.initOptions());
  }

  protected runCell(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceResult {
    return runSequence(this.cellEntry.cell(), x, w, options);
  }
}

export class LSTM<S extends boolean = false> extends RNN<S> {
  readonly className = 'LSTM';
  readonly cellEntry = CELLS.LSTM;
  declare readonly options: LstmOptions;

  constructor(units: number, options: LstmOptions<S> = {}) {
    super('lstm', units, options, [...KNOWN, 'unitForgetBias']);
  }

  cloneWith(overrides: Partial<LstmOptions>): LSTM<boolean> {
    return new LSTM(this.units, { ...this.options, ...overrides });
  }

  protected makeWeights(features: number): CellWeights {
    return this.cellEntry.init(features, this.units, { ...this.initOptions(), unitForgetBias: this.options.unitForgetBias ?? true });
  }

  protected runCell(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceResult {
    return runSequence(this.cellEntry.cell(), x, w, options);
  }
}

export class GRU<S extends boolean = false> extends RNN<S> {
  readonly className = 'GRU';
  readonly cellEntry = CELLS.GRU;
  declare readonly options: GruOptions;

  constructor(units: number, options: GruOptions<S> = {}) {
    super('gru', units, options, [...KNOWN, 'resetAfter']);
  }

  get resetAfter(): boolean {
    return this.options.resetAfter ?? true;
  }

  cloneWith(overrides: Partial<GruOptions>): GRU<boolean> {
    return new GRU(this.units, { ...this.options, ...overrides });
  }

  protected makeWeights(features: number): CellWeights {
    return this.cellEntry.init(features, this.units, { ...this.initOptions(), resetAfter: this.resetAfter });
  }

  protected runCell(x: Tensor, w: CellWeights, options: SequenceOptions): SequenceResult {
    return runSequence(this.cellEntry.cell({ resetAfter: this.resetAfter }), x, w, options);
  }
}
