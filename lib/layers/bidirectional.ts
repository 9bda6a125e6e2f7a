/**
 * Bidirectional: runs a recurrent layer forwards and a copy of it backwards
 * over the same input and merges the two outputs. With returnSequences the
 * backward outputs are put back in input order before merging, so step t of
 * the result sees the whole sequence on both sides.
 *
 * With mergeMode null the two outputs come back as a list, forward first.
 * With returnState the final states follow the output(s): the forward
 * layer's, then the backward layer's (LSTM: [y, h_f, c_f, h_b, c_b]), and
 * `initialState` is split the same way, forward states first.
 */
import { Tensor, add, concat, mulScalar, mul, reverse, type FloatArray } from '../../autograd/index.ts';
import { describeValue } from '../model/inputs.ts';
import { Layer, checkOptions, formatShapeSpec, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';
import { RNN } from './recurrent.ts';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalOptions<M extends MergeMode | null = MergeMode | null> extends LayerOptions {
  /** How the two directions are joined (default 'concat'); null gives both outputs, as a list. */
  mergeMode?: M;
}

const MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

/** The returnState of a wrapped layer of type L, as a type. */
type StateOf<L> = L extends RNN<infer S> ? S : boolean;

/** Whether a Bidirectional layer gives a list: with returnState, or with mergeMode null. */
type ListOf<S, M extends MergeMode | null> =
  [S] extends [true] ? true : [M] extends [null] ? true : [S] extends [false] ? ([M] extends [MergeMode] ? false : boolean) : boolean;

/**
 * L: the wrapped layer's type (an RNN: SimpleRNN, LSTM, GRU, or RNN of a
 * cell, whose backward copy is made from the cell's getConfig() by its
 * class's fromConfig, as Keras does), M: the merge mode's, so that `apply` is typed as a list when it gives one. */
export class Bidirectional<L extends Layer = Layer, M extends MergeMode | null = MergeMode> extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RNN<boolean>;
  readonly backwardLayer: RNN<boolean>;
  readonly mergeMode: MergeMode | null;
  /** The wrapped layer's returnState: the final states of both directions follow the output. */
  readonly returnState: StateOf<L>;
  /** The name of the wrapped layer; the copies are `forward_<name>` and `backward_<name>`. */
  readonly innerName: string;

  constructor(layer: L, options: BidirectionalOptions<M> = {}) {
    checkOptions('Bidirectional', options, ['name', 'inputShape', 'dtype', 'mergeMode']);
    if (!(layer instanceof RNN)) throw new Error(`Bidirectional: wraps a recurrent layer (RNN, SimpleRNN, LSTM or GRU), got ${describeValue(layer)}`);
    const dtype = options.dtype ?? (layer.dtypeGiven ? layer.dtype : undefined);
    super(`bidirectional`, { ...options, inputShape: options.inputShape ?? layer.inputShape, ...(dtype ? { dtype } : {}) });
    const mode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (mode !== null && !MODES.includes(mode)) throw new Error(`Bidirectional: mergeMode '${String(mode)}' is unknown; known: ${MODES.join(', ')}, or null for both outputs`);
    if (layer.stateful) throw new Error(`Bidirectional: wrapping the stateful layer ${layer.name} is not supported`);
    this.mergeMode = mode;
    this.returnState = layer.returnState as StateOf<L>;
    this.innerName = layer.name;
    this.forwardLayer = layer.cloneWith({ name: `forward_${layer.name}` });
    this.backwardLayer = layer.cloneWith({ name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
    // As Keras: the copies are frozen when the wrapped layer is, and setting the wrapper's trainable (to a new value) sets both.
    this.forwardLayer.trainable = layer.trainable;
    this.backwardLayer.trainable = layer.trainable;
    let own = this.trainable;
    Object.defineProperty(this, 'trainable', {
      enumerable: true,
      configurable: true,
      get: () => own,
      set: (value: boolean) => {
        if (value === own) return;
        own = value;
        this.forwardLayer.trainable = value;
        this.backwardLayer.trainable = value;
      },
    });
  }

  /** True when `apply` gives a list: with returnState, or with mergeMode null. */
  get multipleOutputs(): ListOf<StateOf<L>, M> {
    return this.returnsList() as ListOf<StateOf<L>, M>;
  }

  protected override returnsList(): boolean {
    return this.returnState || this.mergeMode === null;
  }

  override weights(): Tensor[] {
    return [...this.forwardLayer.weights(), ...this.backwardLayer.weights()];
  }

  /** As Keras: the trainable weights of the forward and the backward layer (none when the wrapper is frozen). */
  override trainableWeights(): Tensor[] {
    return this.trainable ? [...this.forwardLayer.trainableWeights(), ...this.backwardLayer.trainableWeights()] : [];
  }

  override namedWeights(): Array<[string, Tensor]> {
    return [...this.forwardLayer.namedWeights(), ...this.backwardLayer.namedWeights()].map(([n, w]) => [`${this.name}/${n}`, w]);
  }

  /** The number of states of one direction: 2 for an LSTM (h, c), 1 for SimpleRNN and GRU, the cell's count for an RNN. */
  private get stateCount(): number {
    return this.forwardLayer.cell.stateSizes.length;
  }

  /** The initial states of both directions, checked: none, or the forward layer's then the backward layer's. */
  private splitStates<T>(states: readonly T[], shapes: readonly ShapeSpec[] | null): [T[], T[]] {
    const n = this.stateCount;
    if (states.length !== 0 && states.length !== 2 * n) {
      const one = this.forwardLayer.stateShapes(shapes?.[0]?.[0] ?? null).map(formatShapeSpec).join(', ');
      const got = shapes ? `: ${shapes.slice(1).map(formatShapeSpec).join(', ')}` : '';
      throw new Error(`${this.name} (Bidirectional): initialState must hold ${2 * n} tensors, the forward layer's [${one}] then the backward layer's [${one}]; got ${states.length}${got}`);
    }
    return [states.slice(0, n), states.slice(n)];
  }

  /** The merged output's shape from one direction's. */
  private mergedShape(shape: ShapeSpec): ShapeSpec {
    if (this.mergeMode !== 'concat') return shape;
    const last = shape[shape.length - 1] as number;
    return [...shape.slice(0, -1), 2 * last];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec | ShapeSpec[] {
    const shapes = this.outputShapes([inputShape]);
    return this.returnsList() ? shapes : shapes[0];
  }

  override outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    const [x, ...init] = inputShapes;
    const [forwardInit, backwardInit] = this.splitStates(init, inputShapes);
    const [y, ...states] = this.forwardLayer.outputShapes([x, ...forwardInit]);
    this.backwardLayer.outputShapes([x, ...backwardInit]);
    const outputs = this.mergeMode === null ? [y, y] : [this.mergedShape(y)];
    return this.returnState ? [...outputs, ...states, ...states] : outputs;
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    this.forwardLayer.build(inputShape, this.dtype);
    this.backwardLayer.build(inputShape, this.dtype);
  }

  call(x: Tensor, context: CallContext): Tensor {
    return this.callAll([x], context)[0];
  }

  override callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    const [x, ...init] = inputs;
    const [forwardInit, backwardInit] = this.splitStates(init, null);
    const [forward, ...forwardStates] = this.forwardLayer.callAll([x, ...forwardInit], context);
    let [backward, ...backwardStates] = this.backwardLayer.callAll([x, ...backwardInit], context);
    if (this.forwardLayer.returnSequences) backward = reverse(backward, 1);
    const outputs = this.mergeMode === null ? [forward, backward] : [this.merge(forward, backward)];
    return this.returnState ? [...outputs, ...forwardStates, ...backwardStates] : outputs;
  }

  private merge(forward: Tensor, backward: Tensor): Tensor {
    switch (this.mergeMode) {
      case 'sum': return add(forward, backward);
      case 'mul': return mul(forward, backward);
      case 'ave': return mulScalar(add(forward, backward), 0.5);
      default: return concat([forward, backward], -1);
    }
  }

  override computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return this.forwardLayer.returnSequences ? mask : null;
  }

  override computeMasks(inputs: readonly Tensor[], masks: ReadonlyArray<FloatArray | null>, outputs: readonly Tensor[]): Array<FloatArray | null> {
    const mask = this.computeMask(inputs[0], masks[0] ?? null);
    const merged = this.mergeMode === null ? 2 : 1;
    return outputs.map((_, i) => (i < merged ? mask : null));
  }
}
