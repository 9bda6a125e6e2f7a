/**
 * TimeDistributed: applies one layer to every timestep, with the same
 * weights: [B, T, ...] is seen by the inner layer as [B·T, ...]. Any layer
 * that gives one tensor can be wrapped (Dense, Embedding, a recurrent layer
 * over [B, T, T2, F], a model). Its weights are named after the wrapper
 * (`time_distributed/kernel`), as in Keras and TensorFlow.js.
 */
import { Tensor, reshape, type FloatArray } from '../../autograd/index.ts';
import { describeValue } from '../model/inputs.ts';
import { logitsOf } from './dense.ts';
import { Layer, checkOptions, formatShapeSpec, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(layer: Layer, options: LayerOptions = {}) {
    checkOptions('TimeDistributed', options, ['name', 'inputShape', 'dtype']);
    if (!(layer instanceof Layer)) throw new Error(`TimeDistributed: wraps a layer, got ${describeValue(layer)}`);
    const dtype = options.dtype ?? (layer.dtypeGiven ? layer.dtype : undefined);
    super('time_distributed', { ...options, inputShape: options.inputShape ?? layer.inputShape, ...(dtype ? { dtype } : {}) });
    this.layer = layer;
  }

  override weights(): Tensor[] {
    return this.layer.weights();
  }

  override weightLabels(): string[] {
    return this.layer.weightLabels();
  }

  override trainableWeights(): Tensor[] {
    return this.trainable ? this.layer.trainableWeights() : [];
  }

  /** The inner layer's input shape: one timestep, with the batch in front. */
  private stepShape(inputShape: ShapeSpec): ShapeSpec {
    if (inputShape.length < 3) {
      throw new Error(`${this.name} (TimeDistributed): expects input [batch, timesteps, ...] of rank 3 or more, got ${formatShapeSpec(inputShape)}`);
    }
    return [null, ...inputShape.slice(2)];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    const inner = this.layer.outputShapes([this.stepShape(inputShape)]);
    if (inner.length !== 1) {
      throw new Error(`${this.name} (TimeDistributed): the wrapped ${this.layer.name} (${this.layer.className}) gives ${inner.length} tensors; TimeDistributed wraps a layer that gives one`);
    }
    return [inputShape[0], inputShape[1], ...inner[0].slice(1)];
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    this.layer.build(this.stepShape(inputShape), this.dtype);
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (x.rank < 3) {
      throw new Error(`${this.name} (TimeDistributed): expects input [batch, timesteps, ...], got shape [${x.shape.join(',')}]`);
    }
    const [B, T] = x.shape;
    const steps = reshape(x, [B * T, ...x.shape.slice(2)]);
    const y = this.layer.callAll([steps], { training: context.training, mask: null, ...(context.slot ? { slot: context.slot } : {}) })[0];
    const out = reshape(y, [B, T, ...y.shape.slice(1)]);
    // Keep the logits behind a softmax or sigmoid visible to the cross-entropy losses.
    const behind = logitsOf.get(y);
    if (behind) logitsOf.set(out, { kind: behind.kind, logits: reshape(behind.logits, [B, T, ...behind.logits.shape.slice(1)]) });
    return out;
  }

  override computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return mask;
  }

  override resetStates(): void {
    this.layer.resetStates();
  }
}
