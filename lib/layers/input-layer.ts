/**
 * InputLayer: declares a model's input shape and dtype, and computes
 * nothing. In a Sequential model it stands before the first layer and, as in
 * Keras, is not one of `model.layers` nor a row of `summary()`.
 */
import type { Tensor } from '../../autograd/index.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export interface InputLayerOptions extends LayerOptions {
  /** The input shape without the batch dimension; `null` for unknown, e.g. [null, 14]. */
  inputShape: ReadonlyArray<number | null>;
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  declare readonly inputShape: ReadonlyArray<number | null>;

  constructor(options: InputLayerOptions) {
    checkOptions('InputLayer', options, ['name', 'inputShape', 'dtype']);
    if (!Array.isArray(options.inputShape) || options.inputShape.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) {
      throw new Error(`InputLayer: inputShape must be an array of positive integers or null, got ${JSON.stringify(options.inputShape)}`);
    }
    super('input_layer', options);
  }

  weights(): Tensor[] {
    return [];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    return inputShape;
  }

  protected buildWeights(): void {}

  call(x: Tensor): Tensor {
    return x;
  }
}
