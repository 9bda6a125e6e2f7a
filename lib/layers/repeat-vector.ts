/** RepeatVector: [B, F] → [B, n, F], the same vector at every one of n timesteps (an encoder's summary fed to a decoder). */
import { Tensor, concat, reshape } from '../../autograd/index.ts';
import { Layer, checkOptions, formatShapeSpec, type LayerOptions, type ShapeSpec } from './layer.ts';

export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  readonly n: number;

  constructor(n: number, options: LayerOptions = {}) {
    checkOptions('RepeatVector', options, ['name', 'inputShape', 'dtype']);
    super('repeat_vector', options);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`RepeatVector: n must be a positive integer, got ${n}`);
    this.n = n;
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    if (inputShape.length !== 2) throw new Error(`${this.name} (RepeatVector): expects input [batch, features], got ${formatShapeSpec(inputShape)}`);
    return [inputShape[0], this.n, inputShape[1]];
  }

  call(x: Tensor): Tensor {
    if (x.rank !== 2) throw new Error(`${this.name} (RepeatVector): expects input [batch, features], got shape [${x.shape.join(',')}]`);
    const [B, F] = x.shape;
    const step = reshape(x, [B, 1, F]);
    // The backward of concat sends each copy's gradient back: the sum over the n steps.
    return concat(Array.from({ length: this.n }, () => step), 1);
  }

  override computeMask(): null {
    return null;
  }
}
