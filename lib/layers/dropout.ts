/** Dropout: in training, zeroes each element with probability `rate` and scales the rest by 1/(1 − rate). */
import { Tensor, allocate, mulMask, random } from '../../autograd/index.ts';
import { Layer, checkOptions, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;

  constructor(rate: number, options: LayerOptions = {}) {
    checkOptions('Dropout', options, ['name', 'inputShape', 'dtype']);
    super('dropout', options);
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
    this.rate = rate;
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    return inputShape;
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.rate === 0) return x;
    const keep = 1 / (1 - this.rate);
    const mask = allocate(x.dtype, x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = random() < this.rate ? 0 : keep;
    return mulMask(x, mask);
  }
}
