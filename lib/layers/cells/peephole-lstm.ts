/**
 * PeepholeLSTMCell: the LSTM whose gates also look at the cell state
 * (Gers & Schmidhuber 2000, "Recurrent nets that time and count"), the
 * walkthrough's carry track. Written as a cell of your own would be: its
 * weights made with addWeight, one step with Unrolled's ops.
 *
 *   i     = σ(x W_i + hPrev U_i + cPrev ⊙ p_i + b_i)     input gate
 *   f     = σ(x W_f + hPrev U_f + cPrev ⊙ p_f + b_f)     forget gate
 *   g     = tanh(x W_c + hPrev U_c + b_c)                candidate cell values
 *   c     = f ⊙ cPrev + i ⊙ g                            new cell state (c_new)
 *   o     = σ(x W_o + hPrev U_o + c ⊙ p_o + b_o)         output gate, looking at the NEW cell state
 *   h     = o ⊙ tanh(c)                                  new hidden state, also the output
 *
 * Shapes: B batch, D input features, H units. σ is the recurrent activation
 * (default sigmoid), tanh the activation (default tanh). Weights, in LSTM's
 * gate order i, f, c, o along the last axis:
 *   kernel W [D, 4H], recurrent_kernel U [H, 4H], bias b [4H] (or none),
 *   peepholes [3, H]: rows p_i, p_f, p_o (⊙ is elementwise, each row over the units).
 * States: [h, c], each [B, H]. With zero peepholes the cell is exactly LSTMCell.
 */
import { Tensor, allocate, type DType } from '../../../autograd/index.ts';
import * as ops from '../../../autograd/ops.ts';
import { activation, canonicalActivations, type ActivationSpec } from '../../../cells/common.ts';
import { Initializer, getInitializer, type InitializerSpec } from '../../initializers.ts';
import { checkOptions, type ShapeSpec } from '../layer.ts';
import { RNNCell, type CellConfig } from './cell.ts';

export interface PeepholeLstmCellOptions {
  name?: string;
  activation?: ActivationSpec;
  recurrentActivation?: ActivationSpec;
  useBias?: boolean;
  /** Start the forget-gate bias at 1 (default true, as LSTM). */
  unitForgetBias?: boolean;
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** How p_i, p_f, p_o start (default zeros: a fresh cell starts as the LSTM). */
  peepholeInitializer?: InitializerSpec;
}

const KEYS = ['name', 'activation', 'recurrentActivation', 'useBias', 'unitForgetBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'peepholeInitializer'];

export class PeepholeLSTMCell extends RNNCell {
  static readonly className = 'PeepholeLSTMCell';
  readonly units: number;
  readonly stateSize: readonly number[];
  readonly outputSize: number;
  readonly options: PeepholeLstmCellOptions;

  constructor(units: number, options: PeepholeLstmCellOptions = {}) {
    super();
    checkOptions('PeepholeLSTMCell', options, KEYS);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`PeepholeLSTMCell: units must be a positive integer, got ${units}`);
    activation('PeepholeLSTMCell', 'activation', options.activation, 'tanh');
    activation('PeepholeLSTMCell', 'recurrentActivation', options.recurrentActivation, 'sigmoid');
    this.units = units;
    this.options = canonicalActivations(options);
    this.setName(options.name);
    this.stateSize = [units, units]; // h, c
    this.outputSize = units;
  }

  override get stateNames(): string[] {
    return ['h', 'c'];
  }

  /** W, U and b as LSTM makes them (the same random draws, in the same order), then the peepholes. */
  override build([, D]: ShapeSpec): void {
    const H = this.units;
    const o = this.options;
    this.addWeight('kernel', [D!, 4 * H], o.kernelInitializer ?? 'glorotUniform');
    this.addWeight('recurrent_kernel', [H, 4 * H], o.recurrentInitializer ?? 'orthogonal');
    if (o.useBias ?? true) {
      const init = getInitializer(o.biasInitializer ?? 'zeros', 'PeepholeLSTMCell: biasInitializer');
      this.addWeight('bias', [4 * H], (_, dtype: DType) => {
        if (!(o.unitForgetBias ?? true)) return init.apply([4 * H], dtype);
        const b = allocate(dtype, 4 * H); // [b_i | 1 | b_c | b_o], as LSTM's unit_forget_bias
        b.set(init.apply([H], dtype).data, 0);
        b.fill(1, H, 2 * H);
        b.set(init.apply([2 * H], dtype).data, 2 * H);
        return new Tensor(b, [4 * H]);
      });
    }
    this.addWeight('peepholes', [3, H], o.peepholeInitializer ?? 'zeros');
  }

  call(x: Tensor, [hPrev, cPrev]: Tensor[]): [Tensor, Tensor[]] {
    const sigma = activation('PeepholeLSTMCell', 'recurrentActivation', this.options.recurrentActivation, 'sigmoid').op;
    const tanh = activation('PeepholeLSTMCell', 'activation', this.options.activation, 'tanh').op;
    const H = this.units;
    const xw = ops.matmul(x, this.weight('kernel')); //                          [B, 4H]
    const hu = ops.matmul(hPrev, this.weight('recurrent_kernel')); //            [B, 4H]
    const sum = ops.add(xw, hu);
    const z = this.options.useBias ?? true ? ops.add(sum, this.weight('bias')) : sum; // z = x W + hPrev U + b
    const block = (k: number): Tensor => ops.slice(z, 1, k * H, (k + 1) * H); // gate k of z, [B, H]
    const p = this.weight('peepholes'); //                                       [3, H]
    const peep = (row: number): Tensor => ops.reshape(ops.slice(p, 0, row, row + 1), [H]); // p_i, p_f, p_o [H]
    const i = sigma(ops.add(block(0), ops.mul(cPrev, peep(0)))); //  i = σ(z_i + cPrev ⊙ p_i)
    const f = sigma(ops.add(block(1), ops.mul(cPrev, peep(1)))); //  f = σ(z_f + cPrev ⊙ p_f)
    const g = tanh(block(2)); //                                     g = tanh(z_c)
    const c = ops.add(ops.mul(f, cPrev), ops.mul(i, g)); //          c = f ⊙ cPrev + i ⊙ g
    const o = sigma(ops.add(block(3), ops.mul(c, peep(2)))); //      o = σ(z_o + c ⊙ p_o)
    const h = ops.mul(o, tanh(c)); //                                h = o ⊙ tanh(c)
    return [h, [h, c]];
  }

  /** units and the options, an initializer object as { className, config }. */
  override getConfig(): CellConfig {
    const config: CellConfig = { units: this.units, name: this.name };
    for (const [k, v] of Object.entries(this.options)) {
      if (v instanceof Initializer) config[k] = { className: v.className, config: v.getConfig() };
      else if (v !== undefined && k !== 'name') config[k] = v as CellConfig[string];
    }
    return config;
  }

  static override fromConfig(config: CellConfig): PeepholeLSTMCell {
    const { units, ...options } = config;
    return new PeepholeLSTMCell(units as number, options as PeepholeLstmCellOptions);
  }
}
