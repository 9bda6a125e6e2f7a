/**
 * The built-in cells as cell objects, as Keras's SimpleRNNCell, LSTMCell and
 * GRUCell: the weights of cells/ in the Keras layout and names (kernel
 * [D, G·H], recurrent_kernel [H, G·H], bias), made by the same initializers
 * as the layers', and one step that is the cell's reference step of cells/
 * (autograd ops). `new RNN(new LSTMCell(8))` runs it on the tape;
 * `new LSTM(8)` is the same computation on the fused path, and holds one of
 * these as its `cell` (sharing its weights).
 *
 * Letters: B batch, D input features, H units.
 */
import type { Tensor } from '../../../autograd/index.ts';
import { canonicalActivation, canonicalActivations, type ActivationSpec, type CellWeights } from '../../../cells/common.ts';
import { CELLS, type CellClass as FusedClass } from '../../../cells/index.ts';
import { Initializer, getInitializer, type InitializerSpec } from '../../initializers.ts';
import { Regularizer, recurrentRegularizers, regularizeWeights, type RecurrentRegularizers, type RegularizerSpec } from '../../regularizers.ts';
import { checkOptions, type ShapeSpec } from '../layer.ts';
import { RNNCell, type CellConfig } from './cell.ts';

/** How the kernel, the recurrent kernel and the bias start and what penalties they pay: the cells' and the recurrent layers' options alike. */
export interface CellWeightOptions {
  /** How each weight starts (Keras's defaults: 'glorotUniform', 'orthogonal', 'zeros'): a name, an initializer or { className, config }. */
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** Penalties on the weights added to the loss: 'l1', 'l2', 'l1_l2', a regularizer or { className, config }. */
  kernelRegularizer?: RegularizerSpec;
  recurrentRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
}

/** What every built-in cell takes. */
export interface SimpleRnnCellOptions extends CellWeightOptions {
  name?: string;
  activation?: ActivationSpec;
  useBias?: boolean;
}

/** The gated cells' options: their gates' activation too. */
export interface GatedCellOptions extends SimpleRnnCellOptions {
  recurrentActivation?: ActivationSpec;
}

export interface LstmCellOptions extends GatedCellOptions {
  /** Start the forget-gate bias at 1 (Keras default true). */
  unitForgetBias?: boolean;
}

export interface GruCellOptions extends GatedCellOptions {
  /** Apply the reset gate after the recurrent matmul (Keras default true; bias [2, 3H]). */
  resetAfter?: boolean;
}

type AnyCellOptions = LstmCellOptions & GruCellOptions;

const SIMPLE_KEYS = [
  'name', 'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer',
];
const GATED_KEYS = [...SIMPLE_KEYS, 'recurrentActivation'];
const KEYS: Readonly<Record<FusedClass, readonly string[]>> = {
  SimpleRNN: SIMPLE_KEYS, LSTM: [...GATED_KEYS, 'unitForgetBias'], GRU: [...GATED_KEYS, 'resetAfter'],
};

/** The options of `options` that the cell of a `kind` layer takes (what a layer hands its cell). */
export function cellOptionsOf(kind: FusedClass, options: object): AnyCellOptions {
  const keys = KEYS[kind].filter((k) => k !== 'name');
  const source = options as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]])) as AnyCellOptions;
}

/** A cell of cells/ as an RNNCell: its weights, its reference step. */
export abstract class BuiltinCell extends RNNCell {
  readonly units: number;
  readonly stateSize: number | readonly number[];
  readonly outputSize: number;
  readonly options: AnyCellOptions;
  /** The layer class whose fused cell this is ('LSTM'). */
  readonly kind: FusedClass;

  protected constructor(kind: FusedClass, units: number, options: AnyCellOptions) {
    super();
    const title = `${kind}Cell`;
    checkOptions(title, options, KEYS[kind]);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`${title}: units must be a positive integer, got ${units}`);
    this.kind = kind;
    this.units = units;
    this.options = canonicalActivations(options);
    this.setName(options.name);
    this.stateSize = CELLS[kind].states === 1 ? units : Array.from({ length: CELLS[kind].states }, () => units);
    this.outputSize = units;
  }

  /**
   * The initializers and regularizers of the kernel, the recurrent kernel and
   * the bias, resolved when the cell builds its weights (a fused layer makes
   * its weights itself, and resolves them under its own name).
   */
  private settings(): { init: Record<'kernel' | 'recurrent' | 'bias', Initializer>; regularizers: RecurrentRegularizers } {
    const o = this.options;
    const title = this.className;
    return {
      init: {
        kernel: getInitializer(o.kernelInitializer ?? 'glorotUniform', `${title}: kernelInitializer`),
        recurrent: getInitializer(o.recurrentInitializer ?? 'orthogonal', `${title}: recurrentInitializer`),
        bias: getInitializer(o.biasInitializer ?? 'zeros', `${title}: biasInitializer`),
      },
      regularizers: recurrentRegularizers(title, o),
    };
  }

  override get stateNames(): string[] {
    return CELLS[this.kind].states === 2 ? ['h', 'c'] : ['h'];
  }

  override build(inputShape: ShapeSpec): void {
    const D = inputShape[inputShape.length - 1];
    if (D === null || D === undefined) throw new Error(`${this.className}: needs the number of input features, got input shape ${String(inputShape)}`);
    const o = this.options;
    const { init, regularizers } = this.settings();
    const w = CELLS[this.kind].init(D, this.units, {
      useBias: o.useBias ?? true, dtype: this.dtype,
      kernelInitializer: init.kernel, recurrentInitializer: init.recurrent, biasInitializer: init.bias,
      unitForgetBias: o.unitForgetBias ?? true, resetAfter: o.resetAfter ?? true,
    });
    regularizeWeights(w, regularizers);
    this.useWeights(w);
  }

  /** Takes `w` as the cell's weights (a fused layer hands its cell the weights it made); the cell is then built. */
  useWeights(w: CellWeights): void {
    if (this.namedWeights().length > 0) throw new Error(`${this.className}: the cell already has its weights`);
    this.adopt('kernel', w.kernel);
    this.adopt('recurrent_kernel', w.recurrentKernel);
    if (w.bias) this.adopt('bias', w.bias);
    this.built = true;
  }

  /** The weights in the layout cells/ reads. */
  cellWeights(): CellWeights {
    const w = this.weights();
    return { kernel: w[0], recurrentKernel: w[1], bias: w[2] ?? null };
  }

  call(input: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    const step = CELLS[this.kind].cell({ resetAfter: this.options.resetAfter ?? true }).step;
    const next = step(input, states, this.cellWeights(), {
      activation: canonicalActivation(this.options.activation), recurrentActivation: canonicalActivation(this.options.recurrentActivation),
    });
    return [next[0], next];
  }

  /** units and the options, initializers and regularizers as { className, config }. */
  override getConfig(): CellConfig {
    const config: CellConfig = { units: this.units, name: this.name };
    for (const [k, v] of Object.entries(this.options)) {
      if (v instanceof Initializer || v instanceof Regularizer) config[k] = { className: v.className, config: v.getConfig() };
      else if (v !== undefined) config[k] = v as CellConfig[string];
    }
    return config;
  }

  /** The cell's own keys of a config (units apart). */
  protected static split(config: CellConfig): [number, AnyCellOptions] {
    const { units, ...rest } = config;
    return [units as number, rest as AnyCellOptions];
  }
}

/** h = tanh(x W + h U + b), Keras's SimpleRNNCell. State [h]. */
export class SimpleRNNCell extends BuiltinCell {
  static readonly className = 'SimpleRNNCell';

  constructor(units: number, options: SimpleRnnCellOptions = {}) {
    if ((options as GatedCellOptions).recurrentActivation !== undefined) {
      throw new Error(`SimpleRNNCell: option 'recurrentActivation' does not exist: the cell has no gates, only its activation`);
    }
    super('SimpleRNN', units, options);
  }

  static override fromConfig(config: CellConfig): SimpleRNNCell {
    return new SimpleRNNCell(...BuiltinCell.split(config));
  }
}

/** Keras's LSTMCell: gates i, f, c, o; states [h, c]. */
export class LSTMCell extends BuiltinCell {
  static readonly className = 'LSTMCell';

  constructor(units: number, options: LstmCellOptions = {}) {
    super('LSTM', units, options);
  }

  static override fromConfig(config: CellConfig): LSTMCell {
    return new LSTMCell(...BuiltinCell.split(config));
  }
}

/** Keras's GRUCell, either variant (resetAfter, default true); state [h]. */
export class GRUCell extends BuiltinCell {
  static readonly className = 'GRUCell';

  constructor(units: number, options: GruCellOptions = {}) {
    super('GRU', units, options);
  }

  get resetAfter(): boolean {
    return this.options.resetAfter ?? true;
  }

  static override fromConfig(config: CellConfig): GRUCell {
    return new GRUCell(...BuiltinCell.split(config));
  }
}
