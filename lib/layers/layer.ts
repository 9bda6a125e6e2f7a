/**
 * The base of every layer: a name in the Keras style, lazily built weights,
 * output shapes with `null` for unknown dimensions, masks passed along, and
 * `getWeights` / `setWeights` in the Keras order and layout.
 */
import { Tensor, formatShape, type DType, type FloatArray } from '../../autograd/index.ts';

/** A shape with the batch dimension first; `null` marks a dimension not known in advance. */
export type ShapeSpec = ReadonlyArray<number | null>;

export interface CallContext {
  /** Training mode: dropout is active. */
  training: boolean;
  /** [B, T] timestep mask from an earlier layer (1 keep, 0 skip), or null. */
  mask: FloatArray | null;
}

export interface LayerOptions {
  /** A name of your own instead of the generated one. */
  name?: string;
  /** The input shape without the batch dimension; `null` for unknown, e.g. [null, 14]. */
  inputShape?: ReadonlyArray<number | null>;
  /** Storage type of the weights (default float32; the gradient checks use float64). */
  dtype?: DType;
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

export function checkOptions(layer: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${layer}: unknown option '${key}'; known: ${known.join(', ')}`);
    }
  }
}

export abstract class Layer {
  readonly name: string;
  readonly dtype: DType;
  /** The input shape without the batch dimension, when given. */
  readonly inputShape: ReadonlyArray<number | null> | undefined;
  trainable = true;
  built = false;
  /** The shape (batch first) the layer was built for. */
  protected builtInputShape: ShapeSpec | null = null;

  /** The Keras class name shown by `summary()`, e.g. `SimpleRNN`. */
  abstract readonly className: string;

  constructor(baseName: string, options: LayerOptions = {}) {
    this.name = options.name ?? uniqueName(baseName);
    this.dtype = options.dtype ?? 'float32';
    this.inputShape = options.inputShape;
  }

  /** The trainable tensors in the Keras order. */
  abstract weights(): Tensor[];

  /** Creates the weights for inputs of `inputShape` (batch first). */
  protected abstract buildWeights(inputShape: ShapeSpec): void;

  /** The output shape for inputs of `inputShape`; throws if the input does not fit. */
  abstract computeOutputShape(inputShape: ShapeSpec): ShapeSpec;

  /** The forward pass. */
  abstract call(x: Tensor, context: CallContext): Tensor;

  /** The mask for the next layer (default: passed on unchanged). */
  computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return mask;
  }

  build(inputShape: ShapeSpec): void {
    if (this.built) {
      this.computeOutputShape(inputShape);
      return;
    }
    this.computeOutputShape(inputShape);
    this.buildWeights(inputShape);
    this.builtInputShape = [...inputShape];
    this.built = true;
  }

  /** Builds if needed, then runs the layer on `x`. */
  apply(x: Tensor, context: Partial<CallContext> = {}): Tensor {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this.call(x, { training: context.training ?? false, mask: context.mask ?? null });
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
