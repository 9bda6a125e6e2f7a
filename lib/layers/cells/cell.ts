/**
 * RNNCell: what `new RNN(cell)` runs at every timestep, as Keras's cell
 * protocol. A cell says how big its states and its output are, creates its
 * weights in `build`, and computes one step in `call` with Unrolled's
 * differentiable ops (`ops` of the main entry); the layer loops over time on
 * the tape, so the backward through time comes from the ops' own gradients.
 *
 *   class MinimalRNNCell extends RNNCell {
 *     readonly stateSize: number;
 *     readonly outputSize: number;
 *     constructor(readonly config: { units: number }) { super(); this.stateSize = this.outputSize = config.units; }
 *     build([, D]: ShapeSpec) { this.addWeight('kernel', [D!, this.outputSize]); this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal'); }
 *     call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] { const y = ops.tanh(ops.add(ops.matmul(x, this.weight('kernel')), ops.matmul(h, this.weight('recurrent_kernel')))); return [y, [y]]; }
 *     getConfig() { return this.config; }
 *   }
 *
 * Letters: B batch, D input features; a state or output of size n is [B, n].
 */
import { Tensor, formatShape, type DType } from '../../../autograd/index.ts';
import { getInitializer, type InitializerSpec } from '../../initializers.ts';
import { uniqueName, type ShapeSpec } from '../layer.ts';

/** A cell's configuration: plain JSON values, enough for the cell's constructor to make the same cell again. */
export type CellConfig = { [key: string]: CellConfigValue };
export type CellConfigValue = null | boolean | number | string | CellConfigValue[] | { [key: string]: CellConfigValue };

/** How a weight starts: an initializer (a name such as 'glorotUniform', an initializer object, { className, config }), or a function making the tensor. */
export type WeightInitializer = InitializerSpec | ((shape: readonly number[], dtype: DType) => Tensor);

/** A cell class as the layers and the files see it: its constructor, and `fromConfig` (default: the constructor with the config). */
export interface CellClass {
  new (...args: never[]): RNNCell;
  readonly name: string;
  fromConfig(config: CellConfig): RNNCell;
}

/** The name a cell class goes by in model files: its own static `className`, else its name. */
export function classNameOf(ctor: { readonly name: string }): string {
  const c = ctor as { name: string; className?: unknown };
  return Object.prototype.hasOwnProperty.call(c, 'className') && typeof c.className === 'string' ? c.className : c.name;
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

export abstract class RNNCell {
  /** The size of each state, [B, n] each; one number for a cell with one state. */
  abstract readonly stateSize: number | readonly number[];
  /** The size of the output of one step, [B, outputSize]. */
  abstract readonly outputSize: number;
  built = false;
  private ownDtype: DType = 'float32';
  private ownName: string | undefined;
  private readonly named: Array<[string, Tensor]> = [];

  /**
   * One timestep: x [B, D] and the states before it (always a list, in the
   * order of stateSize) give the output [B, outputSize] and the new states.
   */
  abstract call(input: Tensor, states: Tensor[]): [Tensor, Tensor[]];

  /** Creates the weights (with `addWeight`) for inputs of `inputShape` = [batch, D]; the batch may be null. */
  build(_inputShape: ShapeSpec): void {}

  /** The class name written to model files: a static `className` of the class, else the class's name. */
  get className(): string {
    return classNameOf(this.constructor);
  }

  /** A Keras-style name, e.g. `lstm_cell` (given with `setName`, else made from the class name on first use). */
  get name(): string {
    this.ownName ??= uniqueName(snakeCase(this.className));
    return this.ownName;
  }

  protected setName(name: string | undefined): void {
    if (name !== undefined) this.ownName = name;
  }

  /** The dtype of the weights: the layer's, set before `build`. */
  get dtype(): DType {
    return this.ownDtype;
  }

  /** The states' names in error messages (`[h, c]` for an LSTM). */
  get stateNames(): string[] {
    return this.stateSizes.map((_, i) => `state ${i}`);
  }

  /** The states' sizes as a list. */
  get stateSizes(): number[] {
    return typeof this.stateSize === 'number' ? [this.stateSize] : [...this.stateSize];
  }

  /**
   * A trainable weight of this cell (Keras's `add_weight`), created in the
   * layer's dtype and kept in the order of creation: that is the order of
   * `getWeights()`, and the name is the one in model files (`rnn/kernel`).
   */
  addWeight(name: string, shape: readonly number[], initializer: WeightInitializer = 'glorotUniform'): Tensor {
    const where = `${this.className}.addWeight('${name}')`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${where}: a weight name is letters, digits and _, got '${name}'`);
    if (this.named.some(([n]) => n === name)) throw new Error(`${where}: the cell already has a weight named '${name}'`);
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`${where}: shape must be a list of positive integers, got ${formatShape(shape)}`);
    }
    const t = typeof initializer === 'function' ? initializer(shape, this.dtype) : getInitializer(initializer, where).apply(shape, this.dtype);
    if (!(t instanceof Tensor) || formatShape(t.shape) !== formatShape(shape) || t.dtype !== this.dtype) {
      const got = t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
      throw new Error(`${where}: the initializer must give a ${this.dtype} tensor of shape ${formatShape(shape)}, got ${got}`);
    }
    return this.adopt(name, t);
  }

  /** Keeps `t` as the weight `name` (the built-in cells take their weights from the cells' own initializers). */
  protected adopt(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.named.push([name, t]);
    return t;
  }

  /** The weight made by `addWeight(name, …)`. */
  weight(name: string): Tensor {
    const found = this.named.find(([n]) => n === name);
    if (!found) {
      const known = this.named.map(([n]) => n).join(', ') || 'none (is the cell built?)';
      throw new Error(`${this.className}: no weight named '${name}'; its weights: ${known}`);
    }
    return found[1];
  }

  /** The weights in the order they were made, with their names (`kernel`, `recurrent_kernel`, …). */
  namedWeights(): Array<[string, Tensor]> {
    return [...this.named];
  }

  weights(): Tensor[] {
    return this.named.map(([, t]) => t);
  }

  /** Builds the cell in `dtype` for inputs [batch, D] (what RNN does before the first step). */
  buildFor(inputShape: ShapeSpec, dtype: DType): void {
    if (this.built) return;
    this.ownDtype = dtype;
    this.build(inputShape);
    this.built = true;
  }

  /**
   * What makes the same cell again: the constructor gets this object back
   * (`fromConfig`). Bidirectional makes its backward copy this way, and model
   * files hold it. Plain JSON values only.
   */
  getConfig(): CellConfig {
    return {};
  }

  /** The cell `config` describes: `new this(config)`. A class whose constructor takes something else overrides it. */
  static fromConfig(config: CellConfig): RNNCell {
    return new (this as unknown as new (config: CellConfig) => RNNCell)(config);
  }

  /** A fresh, unbuilt cell of the same class and config (Keras: `cell.__class__.from_config(cell.get_config())`). */
  clone(): RNNCell {
    const ctor = this.constructor as unknown as CellClass;
    const copy = ctor.fromConfig(this.getConfig());
    if (!(copy instanceof RNNCell) || copy.constructor !== this.constructor) {
      throw new Error(`${this.className}: ${this.className}.fromConfig(getConfig()) must give a ${this.className}, got ${copy instanceof RNNCell ? copy.className : String(copy)}`);
    }
    return copy;
  }
}

/**
 * `cell.call(x, states)` with its result checked: the output [B, outputSize]
 * and one state [B, n] per stateSize, each of the input's dtype. `where` names
 * the layer in the errors.
 */
export function callCell(where: string, cell: RNNCell, x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
  const result: unknown = cell.call(x, states);
  const B = x.shape[0];
  const title = `${where}: ${cell.className}.call`;
  if (!Array.isArray(result) || result.length !== 2 || !(result[0] instanceof Tensor) || !Array.isArray(result[1])) {
    throw new Error(`${title} must return [output, newStates] (a Tensor and a list of Tensors), got ${String(result)}`);
  }
  const [output, next] = result as [Tensor, unknown[]];
  const check = (t: unknown, what: string, n: number): void => {
    if (!(t instanceof Tensor) || t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== n || t.dtype !== x.dtype) {
      const got = t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t);
      throw new Error(`${title} returned ${what} ${got}; expected ${x.dtype} [${B},${n}]`);
    }
  };
  check(output, 'the output', cell.outputSize);
  const sizes = cell.stateSizes;
  if (next.length !== sizes.length) throw new Error(`${title} returned ${next.length} states; its stateSize says ${sizes.length} (${sizes.join(', ')})`);
  next.forEach((s, i) => check(s, `state ${i}`, sizes[i]));
  return [output, next as Tensor[]];
}
