/**
 * TimeDistributed: applies one layer to every timestep, with the same
 * weights: [B, T, ...] is seen by the inner layer as [B·T, ...]. Its weights
 * are named after the wrapper (`time_distributed/kernel`), as in Keras and
 * TensorFlow.js.
 */
import { Tensor, reshape, type FloatArray } from '../../autograd/index.ts';
import { Layer, checkOptions, formatShapeSpec, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(layer: Layer, options: LayerOptions = {}) {
    checkOptions('TimeDistributed', options, ['name', 'inputShape', 'dtype']);
    super('time_distributed', { ...options, inputShape: options.inputShape ?? layer.inputShape, dtype: options.dtype ?? layer.dtype });
    this.layer = layer;
  }

  weights(): Tensor[] {
    return this.layer.weights();
  }

  override weightLabels(): string[] {
    return this.layer.weightLabels();
  }

  /** The inner layer's input shape: one timestep, with the batch in front. */
  private stepShape(inputShape: ShapeSpec): ShapeSpec {
    if (inputShape.length < 3) {
      throw new Error(`${this.name} (TimeDistributed): expects input [batch, timesteps, ...] of rank 3 or more, got ${formatShapeSpec(inputShape)}`);
    }
    return [null, ...inputShape.slice(2)];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    const inner = this.layer.computeOutputShape(this.stepShape(inputShape));
    return [inputShape[0], inputShape[1], ...inner.slice(1)];
  }

  protected buildWeights(inputShape: ShapeSpec): void {
    this.layer.build(this.stepShape(inputShape));
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (x.rank < 3) {
      throw new Error(`${this.name} (TimeDistributed): expects input [batch, timesteps, ...], got shape [${x.shape.join(',')}]`);
    }
    const [B, T] = x.shape;
    const steps = reshape(x, [B * T, ...x.shape.slice(2)]);
    const y = this.layer.call(steps, { training: context.training, mask: null });
    return reshape(y, [B, T, ...y.shape.slice(1)]);
  }

  override computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return mask;
  }

  override resetStates(): void {
    this.layer.resetStates();
  }
}
