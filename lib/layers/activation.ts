/** Activation: applies a function elementwise, with no weights (`Dense(n)` then `Activation('softmax')`). */
import type { Tensor } from '../../autograd/index.ts';
import { DENSE_ACTIVATIONS, activate, type DenseActivation } from './dense.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: DenseActivation;

  constructor(activation: DenseActivation, options: LayerOptions = {}) {
    checkOptions('Activation', options, ['name', 'inputShape', 'dtype']);
    super('activation', options);
    if (!DENSE_ACTIVATIONS.includes(activation)) {
      throw new Error(`Activation: activation '${String(activation)}' is unknown; known: ${DENSE_ACTIVATIONS.join(', ')}`);
    }
    this.activation = activation;
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return activate(this.activation, x);
  }
}
