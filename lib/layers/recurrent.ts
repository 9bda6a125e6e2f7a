/**
 * SimpleRNN, LSTM and GRU layers on the fused cells of cells/. Each is an RNN
 * (rnn.ts) whose cell — a SimpleRNNCell, LSTMCell or GRUCell holding the
 * layer's weights in the Keras layout — runs on the fused path instead of
 * step by step on the tape. A layer owns a workspace for the fused passes,
 * the carried states of a stateful layer, and draws the dropout masks of
 * each batch.
 */
import { Tensor, formatShape, type DType } from '../../autograd/index.ts';
import {
  Workspace, drawDropoutMasks,
  canonicalActivation, canonicalActivations, type ActivationSpec, type CellWeights, type SequenceOptions, type SequenceResult,
} from '../../cells/common.ts';
import { CELLS, type CellEntry } from '../../cells/index.ts';
import { getInitializer, type Initializer } from '../initializers.ts';
import { recurrentRegularizers, regularizeWeights, type RecurrentRegularizers, type RegularizerSpec } from '../regularizers.ts';
import { runSequence } from '../../cells/sequence.ts';
import { BuiltinCell, GRUCell, LSTMCell, SimpleRNNCell, cellOptionsOf, type CellWeightOptions } from './cells/builtin.ts';
import { checkOptions, type CallContext, type ShapeSpec } from './layer.ts';
import { RNN, type RNNOptions } from './rnn.ts';

export { RNN, type RNNOptions } from './rnn.ts';

/** S: returnState as a type, so that `apply` is typed as a list ([output, ...states]) when it is true. */
export interface RecurrentOptions<S extends boolean = boolean> extends RNNOptions<S>, CellWeightOptions {
  /** The state's activation (default 'tanh'); TF.js's camelCase names are accepted beside Keras's. */
  activation?: ActivationSpec;
  /** The gates' activation (LSTM, GRU); SimpleRNN has no gates and refuses it. */
  recurrentActivation?: ActivationSpec;
  useBias?: boolean;
  /** Fraction of the input units dropped in training. */
  dropout?: number;
  /** Fraction of the state units dropped in training. */
  recurrentDropout?: number;
  /** A penalty on the layer's outputs (each divided by the batch size) added to the loss. */
  activityRegularizer?: RegularizerSpec;
}

/** SimpleRNN's options: those of every recurrent layer but recurrentActivation (it has no gates). */
export type SimpleRnnOptions<S extends boolean = boolean> = Omit<RecurrentOptions<S>, 'recurrentActivation'>;

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
  'recurrentInitializer', 'biasInitializer', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'activityRegularizer',
];

/** A units count that is not a positive integer: an error naming the layer. */
function checkUnits(layer: string, units: number): void {
  if (!Number.isInteger(units) || units <= 0) throw new Error(`${layer}: units must be a positive integer, got ${units}`);
}

/** What the fused layers have in common: an RNN whose built-in cell runs on the fused path of cells/. */
export abstract class FusedRNN<S extends boolean = boolean> extends RNN<S> {
  readonly units: number;
  declare readonly options: RecurrentOptions;
  declare readonly cell: BuiltinCell;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** The layer's cell in the table of the cells. */
  abstract readonly cellEntry: CellEntry;
  protected readonly workspace = new Workspace();

  constructor(baseName: string, units: number, options: RecurrentOptions<S>, cell: BuiltinCell) {
    super(cell, canonicalActivations(options), baseName);
    for (const arg of ['dropout', 'recurrentDropout'] as const) {
      const rate = options[arg] ?? 0;
      if (!(rate >= 0 && rate < 1)) throw new Error(`${this.name}: ${arg} must be in [0, 1), got ${rate}`);
    }
    this.units = units;
    this.dropout = options.dropout ?? 0;
    this.recurrentDropout = options.recurrentDropout ?? 0;
    // The subclass's className is not set yet here; the cell knows the kind.
    const where = `${this.name} (${cell.kind})`;
    this.initializers = {
      kernel: getInitializer(options.kernelInitializer ?? 'glorotUniform', `${where}: kernelInitializer`),
      recurrent: getInitializer(options.recurrentInitializer ?? 'orthogonal', `${where}: recurrentInitializer`),
      bias: getInitializer(options.biasInitializer ?? 'zeros', `${where}: biasInitializer`),
    };
    this.regularizers = recurrentRegularizers(where, options);
    this.setActivityRegularizer(options.activityRegularizer);
  }

  /** The initializers of the kernel, the recurrent kernel and the bias. */
  readonly initializers: { kernel: Initializer; recurrent: Initializer; bias: Initializer };
  /** The regularizers of the kernel, the recurrent kernel and the bias (null for none). */
  readonly regularizers: RecurrentRegularizers;

  /** Every output (with returnState the states too) pays the activity penalty, as in Keras. */
  override callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    const outputs = super.callAll(inputs, context);
    this.penalizeActivity(outputs);
    return outputs;
  }

  /** The weights in the layout of cells/ (those of the layer's cell), null before the layer is built. */
  get cellWeights(): CellWeights | null {
    return this.cell.built ? this.cell.cellWeights() : null;
  }

  /** The same layer configuration with some options changed (used by Bidirectional). */
  abstract override cloneWith(overrides: Partial<RecurrentOptions>): FusedRNN<boolean>;

  protected abstract makeWeights(features: number): CellWeights;

  protected abstract runCell(x: Tensor, weights: CellWeights, options: SequenceOptions): SequenceResult;

  protected override builtFor(features: number): string | null {
    const w = this.cellWeights;
    return w && w.kernel.shape[0] !== features ? `the kernel is ${formatShape(w.kernel.shape)}` : null;
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    const w = this.makeWeights(inputShape[2] as number);
    regularizeWeights(w, this.regularizers);
    this.cell.useWeights(w);
  }

  /** The fused pass, with the batch's dropout masks in training. */
  protected override runSteps(x: Tensor, context: Partial<CallContext>, initial: readonly Tensor[] | undefined): SequenceResult {
    const [B, , D] = x.shape;
    const training = context.training ?? false;
    const dropoutMasks = training && (this.dropout > 0 || this.recurrentDropout > 0)
      ? drawDropoutMasks(this.name, B, D, this.units, this.cellEntry.gates, this.dropout, this.recurrentDropout, x.dtype)
      : null;
    return this.runCell(x, this.cellWeights!, {
      initialState: initial,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      mask: context.mask ?? null,
      dropoutMasks,
      activation: canonicalActivation(this.options.activation),
      recurrentActivation: canonicalActivation(this.options.recurrentActivation),
      layer: this.name,
      // One workspace per application in a graph, so that each keeps its caches until the backward.
      workspace: context.slot ? this.perSlot(context.slot, () => new Workspace()) : this.workspace,
    });
  }

  protected initOptions(): { useBias: boolean; dtype: DType; kernelInitializer: Initializer; recurrentInitializer: Initializer; biasInitializer: Initializer } {
    return {
      useBias: this.options.useBias ?? true,
      dtype: this.dtype,
      kernelInitializer: this.initializers.kernel,
      recurrentInitializer: this.initializers.recurrent,
      biasInitializer: this.initializers.bias,
    };
  }
}

export class SimpleRNN<S extends boolean = false> extends FusedRNN<S> {
  override readonly className = 'SimpleRNN';
  readonly cellEntry = CELLS.SimpleRNN;

  constructor(units: number, options: SimpleRnnOptions<S> = {}) {
    if ((options as RecurrentOptions).recurrentActivation !== undefined) {
      throw new Error(`SimpleRNN: option 'recurrentActivation' does not exist for SimpleRNN: it has no gates, only its activation (${String((options as RecurrentOptions).recurrentActivation)} was given)`);
    }
    checkOptions('SimpleRNN', options, KNOWN.filter((k) => k !== 'recurrentActivation'));
    checkUnits('SimpleRNN', units);
    super('simple_rnn', units, options, new SimpleRNNCell(units, cellOptionsOf('SimpleRNN', options)));
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

export class LSTM<S extends boolean = false> extends FusedRNN<S> {
  override readonly className = 'LSTM';
  readonly cellEntry = CELLS.LSTM;
  declare readonly options: LstmOptions;

  constructor(units: number, options: LstmOptions<S> = {}) {
    checkOptions('LSTM', options, [...KNOWN, 'unitForgetBias']);
    checkUnits('LSTM', units);
    super('lstm', units, options, new LSTMCell(units, cellOptionsOf('LSTM', options)));
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

export class GRU<S extends boolean = false> extends FusedRNN<S> {
  override readonly className = 'GRU';
  readonly cellEntry = CELLS.GRU;
  declare readonly options: GruOptions;

  constructor(units: number, options: GruOptions<S> = {}) {
    checkOptions('GRU', options, [...KNOWN, 'resetAfter']);
    checkUnits('GRU', units);
    super('gru', units, options, new GRUCell(units, cellOptionsOf('GRU', options)));
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
