/**
 * InputLayer and `input()`: a model's entry point, with its shape and
 * dtype; it computes nothing. `input({ shape })` makes an InputLayer and
 * returns the symbolic tensor it stands for, the start of a functional
 * model. In a Sequential model an InputLayer stands before the first layer
 * and, as in Keras, is not one of `model.layers` nor a row of `summary()`.
 */
import type { DType, Tensor } from '../../autograd/index.ts';
import { describeValue } from '../model/inputs.ts';
import { Node, type SymbolicTensor } from '../model/symbolic.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export interface InputLayerOptions extends LayerOptions {
  /** The input shape without the batch dimension; `null` for unknown, e.g. [null, 14]. */
  inputShape: ReadonlyArray<number | null>;
  /** A fixed batch size (stateful models), when the batch dimension is known. */
  batchSize?: number;
}

function checkShape(where: string, key: string, shape: unknown): asserts shape is ReadonlyArray<number | null> {
  if (!Array.isArray(shape) || shape.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) {
    throw new Error(`${where}: ${key} must be a list of positive integers or null, got ${Array.isArray(shape) ? JSON.stringify(shape) : describeValue(shape)}`);
  }
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  declare readonly inputShape: ReadonlyArray<number | null>;
  readonly batchSize: number | null;
  /** The symbolic tensor this layer stands for: what `input()` returns. */
  readonly output: SymbolicTensor;

  constructor(options: InputLayerOptions) {
    checkOptions('InputLayer', options, ['name', 'inputShape', 'dtype', 'batchSize']);
    checkShape('InputLayer', 'inputShape', options.inputShape);
    const batch = options.batchSize;
    if (batch !== undefined && !(Number.isInteger(batch) && batch > 0)) throw new Error(`InputLayer: batchSize must be a positive integer, got ${describeValue(batch)}`);
    if (options.dtype !== undefined && options.dtype !== 'float32' && options.dtype !== 'float64') {
      throw new Error(`InputLayer: dtype must be 'float32' or 'float64', got ${describeValue(options.dtype)}`);
    }
    super('input_layer', { ...options, inputShape: [...options.inputShape] });
    this.batchSize = batch ?? null;
    this.built = true;
    this.output = new Node(this, [], [this.batchInputShape], [this.dtype]).outputs[0];
  }

  /** The shape with the batch dimension first. */
  get batchInputShape(): ShapeSpec {
    return [this.batchSize, ...this.inputShape];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return x;
  }
}

export interface InputOptions {
  /** The shape of one sample (without the batch dimension); `null` for a length not known in advance, e.g. [null, 32]. */
  shape?: ReadonlyArray<number | null>;
  /** The shape with the batch dimension first, when the batch size is fixed; instead of `shape`. */
  batchShape?: ReadonlyArray<number | null>;
  /** float32 (default) or float64 (gradient checks). */
  dtype?: DType;
  name?: string;
}

/**
 * A symbolic input of a functional model (TF.js's `tf.input`, Keras's
 * `Input`): `input({ shape: [null, 8] })` is a batch of sequences of any
 * length with 8 features.
 */
export function input(options: InputOptions): SymbolicTensor {
  if (options === null || typeof options !== 'object') throw new Error(`input: expected options { shape, dtype?, name? }, got ${describeValue(options)}`);
  checkOptions('input', options, ['shape', 'batchShape', 'dtype', 'name']);
  const { shape, batchShape } = options;
  if ((shape === undefined) === (batchShape === undefined)) throw new Error('input: give exactly one of shape (without the batch dimension) and batchShape (with it)');
  let inputShape: ReadonlyArray<number | null>;
  let batchSize: number | undefined;
  if (batchShape !== undefined) {
    checkShape('input', 'batchShape', batchShape);
    if (batchShape.length === 0) throw new Error('input: batchShape needs the batch dimension first, got []');
    inputShape = batchShape.slice(1);
    batchSize = batchShape[0] ?? undefined;
  } else {
    checkShape('input', 'shape', shape);
    inputShape = shape!;
  }
  return new InputLayer({
    inputShape,
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    ...(options.name === undefined ? {} : { name: options.name }),
  }).output;
}

/** Keras's spelling of `input`. */
export const Input = input;
