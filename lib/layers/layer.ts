/**
 * The base of every layer: a name in the Keras style, lazily built weights,
 * output shapes with `null` for unknown dimensions, masks passed along, and
 * `getWeights` / `setWeights` in the Keras order and layout.
 *
 * `apply` serves two worlds. On real tensors it computes. On symbolic
 * tensors (from `input()`) it records a Node in the graph a Model is made
 * of, and returns the node's symbolic outputs. A layer may read several
 * tensors (a recurrent layer: its input, then its initial states) and give
 * several (with returnState: the output, then the final states).
 */
import { Tensor, formatShape, mulScalar, type DType, type FloatArray } from '../../autograd/index.ts';
import { describeValue } from '../model/inputs.ts';
import { Node, SymbolicTensor } from '../model/symbolic.ts';
import { getRegularizer, type Regularizer, type RegularizerSpec } from '../regularizers.ts';

/** A shape with the batch dimension first; `null` marks a dimension not known in advance. */
export type ShapeSpec = ReadonlyArray<number | null>;

export interface CallContext {
  /** Training mode: dropout is active. */
  training: boolean;
  /** [B, T] timestep mask from an earlier layer (1 keep, 0 skip), or null. */
  mask: FloatArray | null;
  /**
   * Which application of the layer this is when a model runs its graph: a
   * layer applied twice keeps what each application cached for the
   * backward apart. Absent for a call outside a model.
   */
  slot?: object;
}

export interface ApplyOptions<T extends Tensor | SymbolicTensor = Tensor> {
  /** Training mode: dropout is active (real tensors only; a model passes its own). */
  training?: boolean;
  /** [B, T] timestep mask (1 keep, 0 skip), real tensors only. */
  mask?: FloatArray | null;
  /**
   * The states a recurrent layer starts from instead of zeros: [h] or
   * [h, c] (LSTM), each [B, units]; a Bidirectional layer takes the forward
   * states, then the backward ones. Symbolic with a symbolic input.
   */
  initialState?: readonly T[];
}

const APPLY_KEYS = ['training', 'mask', 'initialState'];

/**
 * What `apply` returns for a layer of type L on inputs of kind T: a list
 * when the layer's type says it gives several tensors (`multipleOutputs`
 * is `true`: `new LSTM(8, { returnState: true })`, a Bidirectional layer
 * with mergeMode null, a model built with a list of outputs), else one
 * tensor. A layer whose type does not say (an RNN whose returnState is a
 * plain boolean) is typed as giving one; at run time it returns what it
 * gives.
 */
export type LayerOutput<L, T> = L extends { readonly multipleOutputs: true } ? T[] : T;

export interface LayerOptions {
  /** A name of your own instead of the generated one. */
  name?: string;
  /** The input shape without the batch dimension; `null` for unknown, e.g. [null, 14]. */
  inputShape?: ReadonlyArray<number | null>;
  /** Storage type of the weights (default: the dtype of the first input, float32 unless it is float64). */
  dtype?: DType;
  /** False freezes the layer: training leaves its weights as they are (default true). */
  trainable?: boolean;
}

/** The penalty lists of the forward passes under way (see collectPenalties); the innermost last. */
const penaltyLists: Tensor[][] = [];

/**
 * Runs `fn` (a forward pass) and returns its value with the activity
 * penalties the layers it ran added (Keras's `add_loss` in `__call__`):
 * one scalar tensor per output of each application of a layer that has an
 * activityRegularizer.
 */
export function collectPenalties<T>(fn: () => T): { value: T; penalties: Tensor[] } {
  const penalties: Tensor[] = [];
  penaltyLists.push(penalties);
  try {
    return { value: fn(), penalties };
  } finally {
    penaltyLists.pop();
  }
}

const nameCounts = new Map<string, number>();

/** A fresh name as Keras makes them: `lstm`, then `lstm_1`, `lstm_2`, … */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Restarts the generated layer names (`keras.backend.clear_session()`). */
export function clearSession(): void {
  nameCounts.clear();
}

export function formatShapeSpec(shape: ShapeSpec): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** One shape, or several (`[(None, 8), (None, 8)]`). */
export function formatShapes(shapes: readonly ShapeSpec[]): string {
  return shapes.length === 1 ? formatShapeSpec(shapes[0]) : `[${shapes.map(formatShapeSpec).join(', ')}]`;
}

/** True when `shape` is a list of shapes rather than one shape. */
export function isShapeList(shape: ShapeSpec | readonly ShapeSpec[]): shape is readonly ShapeSpec[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}

/** A `computeOutputShape` result as a list of shapes. */
export function shapeList(shape: ShapeSpec | readonly ShapeSpec[]): ShapeSpec[] {
  return isShapeList(shape) ? [...shape] : [shape as ShapeSpec];
}

/**
 * Rejects any key of `options` not in `known`. A layer's options (a list
 * with `name`) also take `trainable`, which the base class reads.
 */
export function checkOptions(layer: string, options: object, known: readonly string[]): void {
  const all = known.includes('name') && !known.includes('trainable') ? [...known, 'trainable'] : known;
  for (const key of Object.keys(options)) {
    if (!all.includes(key)) {
      throw new Error(`${layer}: unknown option '${key}'; known: ${all.join(', ')}`);
    }
  }
}

export abstract class Layer {
  readonly name: string;
  /** The input shape without the batch dimension, when given. */
  readonly inputShape: ReadonlyArray<number | null> | undefined;
  /** Whether `dtype` was given; if not, the first input's dtype decides it when the layer is built. */
  readonly dtypeGiven: boolean;
  /** False freezes the layer: `fit` leaves its weights bit for bit, `summary()` counts them as non-trainable. */
  trainable: boolean;
  /** The penalty on each of the layer's outputs, or null (set by the layers that take `activityRegularizer`). */
  protected activityRegularizerValue: Regularizer | null = null;
  built = false;
  /** The graph nodes that apply this layer, in the order they were made (Keras's inbound nodes). */
  readonly inboundNodes: Node[] = [];
  /** The shape (batch first) the layer was built for. */
  protected builtInputShape: ShapeSpec | null = null;
  private ownDtype: DType;
  private readonly slotValues = new WeakMap<object, unknown>();

  /** The Keras class name shown by `summary()`, e.g. `SimpleRNN`. */
  abstract readonly className: string;

  constructor(baseName: string, options: LayerOptions = {}) {
    this.name = options.name ?? uniqueName(baseName);
    this.ownDtype = options.dtype ?? 'float32';
    this.dtypeGiven = options.dtype !== undefined;
    this.inputShape = options.inputShape;
    const trainable: unknown = options.trainable ?? true;
    if (typeof trainable !== 'boolean') throw new Error(`${this.name}: trainable must be true or false, got ${describeValue(trainable)}`);
    this.trainable = trainable;
  }

  /** The regularizer of the layer's outputs (Keras's activity_regularizer), or null. */
  get activityRegularizer(): Regularizer | null {
    return this.activityRegularizerValue;
  }

  /** Resolves the `activityRegularizer` option of a layer that takes it. */
  protected setActivityRegularizer(spec: RegularizerSpec | undefined): void {
    this.activityRegularizerValue = spec === undefined ? null : getRegularizer(spec, `${this.name} (${this.className}): activityRegularizer`);
  }

  /**
   * Adds the activity penalty of each output, divided by its batch size (as
   * Keras does), to the forward pass under way (collectPenalties), if any.
   */
  protected penalizeActivity(outputs: readonly Tensor[]): void {
    const regularizer = this.activityRegularizerValue;
    const list = penaltyLists[penaltyLists.length - 1];
    if (!regularizer || !list) return;
    for (const y of outputs) {
      const p = regularizer.apply(y);
      list.push(y.rank > 0 && y.shape[0] > 0 ? mulScalar(p, 1 / y.shape[0]) : p);
    }
  }

  /** Storage type of the weights. */
  get dtype(): DType {
    return this.ownDtype;
  }

  /** The trainable tensors in the Keras order (none for a layer without weights). */
  weights(): Tensor[] {
    return [];
  }

  /** Creates the weights for inputs of `inputShape` (batch first); a layer without weights has nothing to create. */
  protected buildWeights(_inputShape: ShapeSpec): void {}

  /**
   * The output shape for inputs of `inputShape` (batch first); a list of
   * shapes for a layer that gives several tensors. Throws if the input does
   * not fit.
   */
  abstract computeOutputShape(inputShape: ShapeSpec): ShapeSpec | ShapeSpec[];

  /** The forward pass. */
  abstract call(x: Tensor, context: CallContext): Tensor;

  /** The mask for the next layer (default: passed on unchanged). */
  computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return mask;
  }

  /**
   * Builds the weights for inputs of `inputShape` (batch first). A layer
   * whose dtype was not given takes `dtype` (the input's), so that a float64
   * input makes float64 weights.
   */
  build(inputShape: ShapeSpec, dtype?: DType): void {
    if (this.built) {
      this.computeOutputShape(inputShape);
      return;
    }
    if (dtype !== undefined && !this.dtypeGiven) this.ownDtype = dtype;
    this.computeOutputShape(inputShape);
    this.buildWeights(inputShape);
    this.builtInputShape = [...inputShape];
    this.built = true;
  }

  /**
   * Runs the layer. On real tensors it computes (building the weights on
   * the first call); on symbolic tensors from `input()` it adds a node to
   * the graph and returns its symbolic outputs. Several inputs are given as
   * a list; a recurrent layer's initial states as `initialState`. A layer
   * that gives several tensors returns a list (see LayerOutput).
   */
  apply<L extends Layer>(this: L, inputs: SymbolicTensor | readonly SymbolicTensor[], options?: ApplyOptions<SymbolicTensor>): LayerOutput<L, SymbolicTensor>;
  apply<L extends Layer>(this: L, inputs: Tensor | readonly Tensor[], options?: ApplyOptions<Tensor>): LayerOutput<L, Tensor>;
  apply(
    inputs: Tensor | SymbolicTensor | ReadonlyArray<Tensor | SymbolicTensor>,
    options: ApplyOptions<Tensor | SymbolicTensor> = {},
  ): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const where = `${this.name} (${this.className})`;
    if (options === null || typeof options !== 'object') throw new Error(`${where}: apply() options must be an object, got ${describeValue(options)}`);
    checkOptions(`${where}: apply()`, options, APPLY_KEYS);
    const list: unknown[] = Array.isArray(inputs) ? [...(inputs as unknown[])] : [inputs];
    const initial: unknown = options.initialState;
    if (initial !== undefined && !Array.isArray(initial)) {
      throw new Error(`${where}: initialState must be a list of tensors ([h], or [h, c] for an LSTM), got ${describeValue(initial)}`);
    }
    const all = [...list, ...((initial as unknown[] | undefined) ?? [])];
    if (list.length === 0) throw new Error(`${where}: apply() needs an input, got an empty list`);
    const symbolic = all.filter((t) => t instanceof SymbolicTensor).length;
    if (symbolic === all.length) return this.applySymbolic(all as SymbolicTensor[]);
    if (symbolic > 0) {
      const kinds = all.map((t) => (t instanceof SymbolicTensor ? `symbolic ${t.name}` : describeValue(t))).join(', ');
      throw new Error(`${where}: apply() got symbolic and real tensors together (${kinds}); pass symbolic tensors to build a model, real ones to compute`);
    }
    all.forEach((t, i) => {
      if (!(t instanceof Tensor)) {
        const at = i < list.length ? (list.length === 1 ? 'the input' : `input ${i}`) : `initialState[${i - list.length}]`;
        throw new Error(`${where}: apply() takes Tensors (or symbolic tensors from input()); ${at} is ${describeValue(t)}`);
      }
    });
    const tensors = all as Tensor[];
    if (!this.built) this.build([null, ...tensors[0].shape.slice(1)], tensors[0].dtype);
    const outputs = this.callAll(tensors, { training: options.training ?? false, mask: options.mask ?? null });
    return this.returnsList() ? outputs : outputs[0];
  }

  /** Adds a node for this layer on `inputs` and returns its symbolic outputs. */
  private applySymbolic(inputs: SymbolicTensor[]): SymbolicTensor | SymbolicTensor[] {
    let shapes: ShapeSpec[];
    try {
      if (!this.built) this.build(inputs[0].shape, inputs[0].dtype);
      shapes = this.outputShapes(inputs.map((t) => t.shape));
    } catch (e) {
      const given = inputs.map((t) => `${t.name} ${formatShapeSpec(t.shape)}`).join(', ');
      throw new Error(`${this.name} (${this.className}) cannot be applied to ${given}: ${(e as Error).message}`);
    }
    const node = new Node(this, inputs, shapes, this.outputDtypes(inputs.map((t) => t.dtype), shapes.length));
    return this.returnsList() ? [...node.outputs] : node.outputs[0];
  }

  /** True when `apply` returns a list (several outputs); see LayerOutput. */
  protected returnsList(): boolean {
    return false;
  }

  /**
   * The shapes of every output for inputs of these shapes (batch first):
   * the layer's input, then any extra inputs (initial states). The base
   * takes one input.
   */
  outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    if (inputShapes.length !== 1) {
      throw new Error(`${this.name} (${this.className}) takes one input, got ${inputShapes.length}: ${inputShapes.map(formatShapeSpec).join(', ')}`);
    }
    return shapeList(this.computeOutputShape(inputShapes[0]));
  }

  /** The dtypes of the outputs: the weights' for a layer that has weights, else the input's. */
  protected outputDtypes(inputDtypes: readonly DType[], count: number): DType[] {
    const dtype = this.weights().length > 0 ? this.dtype : inputDtypes[0];
    return Array.from({ length: count }, () => dtype);
  }

  /** The forward pass on every input (the input, then any initial states); returns every output. */
  callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    if (inputs.length !== 1) throw new Error(`${this.name} (${this.className}) takes one input, got ${inputs.length}`);
    return [this.call(inputs[0], context)];
  }

  /** The masks of every output: the first from computeMask, none for the others (states). */
  computeMasks(inputs: readonly Tensor[], masks: ReadonlyArray<FloatArray | null>, outputs: readonly Tensor[]): Array<FloatArray | null> {
    return outputs.map((_, i) => (i === 0 ? this.computeMask(inputs[0], masks[0] ?? null) : null));
  }

  /** One node's work when a model runs its graph: the outputs and their masks. */
  invoke(inputs: readonly Tensor[], masks: ReadonlyArray<FloatArray | null>, context: CallContext): { outputs: Tensor[]; masks: Array<FloatArray | null> } {
    const outputs = this.callAll(inputs, { ...context, mask: masks[0] ?? null });
    return { outputs, masks: this.computeMasks(inputs, masks, outputs) };
  }

  /**
   * What the layer keeps for one application of it (CallContext.slot),
   * made by `make` on first use: a recurrent layer's workspace, so that a
   * layer applied twice in one forward pass keeps both passes' caches.
   */
  protected perSlot<T>(slot: object, make: () => T): T {
    if (!this.slotValues.has(slot)) this.slotValues.set(slot, make());
    return this.slotValues.get(slot) as T;
  }

  /** Keras names of the weights, e.g. `kernel`, `recurrent_kernel`, `bias`. */
  weightLabels(): string[] {
    return this.weights().map((_, i) => `w${i}`);
  }

  /** The weights with their full names, e.g. `lstm/kernel`. */
  namedWeights(): Array<[string, Tensor]> {
    const labels = this.weightLabels();
    return this.weights().map((w, i) => [`${this.name}/${labels[i]}`, w]);
  }

  /** The weights training updates: all of them when the layer is trainable, else none. */
  trainableWeights(): Tensor[] {
    return this.trainable ? this.weights() : [];
  }

  countParams(): number {
    return this.weights().reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the weights, in the Keras order and layout. */
  getWeights(): Tensor[] {
    return this.weights().map((w) => w.detach());
  }

  /** Replaces the weights' values; the count and every shape must match. */
  setWeights(values: readonly Tensor[]): void {
    const own = this.weights();
    if (values.length !== own.length) {
      throw new Error(`${this.name}: setWeights expects ${own.length} tensors (${own.map((w) => formatShape(w.shape)).join(', ')}), got ${values.length}`);
    }
    own.forEach((w, i) => {
      const v = values[i];
      if (formatShape(v.shape) !== formatShape(w.shape)) {
        throw new Error(`${this.name}: setWeights: weight ${i} must be ${formatShape(w.shape)}, got ${formatShape(v.shape)}`);
      }
    });
    own.forEach((w, i) => w.data.set(values[i].data));
  }

  /** Clears stateful layers' carried states (no-op for others). */
  resetStates(): void {}
}
