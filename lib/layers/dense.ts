/** Dense: y = activation(x K + b) over the last axis, on [B, F] or [B, T, F]. */
import {
  Tensor, add, matmul, relu, reshape, sigmoid, softmax, tanh,
} from '../../autograd/index.ts';
import { getInitializer, type Initializer, type InitializerSpec } from '../initializers.ts';
import { getRegularizer, weightRegularizers, type Regularizer, type RegularizerSpec } from '../regularizers.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export type DenseActivation = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax';

export interface DenseOptions extends LayerOptions {
  activation?: DenseActivation;
  useBias?: boolean;
  /** How the kernel starts (default 'glorotUniform'): a name, an initializer or { className, config }. */
  kernelInitializer?: InitializerSpec;
  /** How the bias starts (default 'zeros'). */
  biasInitializer?: InitializerSpec;
  /** A penalty on the kernel added to the loss: 'l1', 'l2', 'l1_l2' or a regularizer. */
  kernelRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
  /** A penalty on the layer's output (divided by the batch size) added to the loss. */
  activityRegularizer?: RegularizerSpec;
}

const KNOWN = [
  'name', 'inputShape', 'dtype', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer',
  'kernelRegularizer', 'biasRegularizer', 'activityRegularizer',
];
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'sigmoid', 'tanh', 'relu', 'softmax'];

/**
 * For outputs of a sigmoid or softmax Dense layer, the pre-activations. The
 * cross-entropy losses use them to compute log σ(z) and log softmax(z) stably
 * (as Keras does when it finds the logits behind a probability).
 */
export const logitsOf = new WeakMap<Tensor, { kind: 'sigmoid' | 'softmax'; logits: Tensor }>();

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  /** [in, units]. */
  kernel: Tensor | null = null;
  /** [units]. */
  bias: Tensor | null = null;

  constructor(units: number, options: DenseOptions = {}) {
    checkOptions('Dense', options, KNOWN);
    super('dense', options);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`Dense: units must be a positive integer, got ${units}`);
    const activation = options.activation ?? 'linear';
    if (!DENSE_ACTIVATIONS.includes(activation)) {
      throw new Error(`Dense: activation '${String(activation)}' is unknown; known: ${DENSE_ACTIVATIONS.join(', ')}`);
    }
    this.units = units;
    this.activation = activation;
    this.useBias = options.useBias ?? true;
    const where = `${this.name} (Dense)`;
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? 'glorotUniform', `${where}: kernelInitializer`);
    this.biasInitializer = getInitializer(options.biasInitializer ?? 'zeros', `${where}: biasInitializer`);
    this.kernelRegularizer = options.kernelRegularizer === undefined ? null : getRegularizer(options.kernelRegularizer, `${where}: kernelRegularizer`);
    this.biasRegularizer = options.biasRegularizer === undefined ? null : getRegularizer(options.biasRegularizer, `${where}: biasRegularizer`);
    this.setActivityRegularizer(options.activityRegularizer);
  }

  override weights(): Tensor[] {
    return [this.kernel, this.bias].filter((w): w is Tensor => w !== null);
  }

  override weightLabels(): string[] {
    return this.bias ? ['kernel', 'bias'] : ['kernel'];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    const last = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || last === null) {
      throw new Error(`${this.name} (Dense): needs a known last dimension, got input shape ${JSON.stringify(inputShape)}`);
    }
    if (this.kernel && this.kernel.shape[0] !== last) {
      throw new Error(`${this.name} (Dense): input has ${last} features but the kernel is [${this.kernel.shape.join(',')}]`);
    }
    return [...inputShape.slice(0, -1), this.units];
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    const features = inputShape[inputShape.length - 1] as number;
    this.kernel = this.kernelInitializer.apply([features, this.units], this.dtype);
    this.kernel.requiresGrad = true;
    if (this.kernelRegularizer) weightRegularizers.set(this.kernel, this.kernelRegularizer);
    if (this.useBias) {
      this.bias = this.biasInitializer.apply([this.units], this.dtype);
      this.bias.requiresGrad = true;
      if (this.biasRegularizer) weightRegularizers.set(this.bias, this.biasRegularizer);
    }
  }

  call(x: Tensor): Tensor {
    const features = this.kernel!.shape[0];
    if (x.shape[x.rank - 1] !== features) {
      throw new Error(`${this.name} (Dense): input [${x.shape.join(',')}] has ${x.shape[x.rank - 1]} features, the kernel expects ${features}`);
    }
    const flat = x.rank === 2 ? x : reshape(x, [-1, features]);
    let z = matmul(flat, this.kernel!);
    if (this.bias) z = add(z, this.bias);
    if (x.rank !== 2) z = reshape(z, [...x.shape.slice(0, -1), this.units]);
    const y = activate(this.activation, z);
    this.penalizeActivity([y]);
    return y;
  }
}

/**
 * `activation(z)`; for sigmoid and softmax the pre-activations are kept in
 * `logitsOf`, so the cross-entropy losses can use them.
 */
export function activate(activation: DenseActivation, z: Tensor): Tensor {
  switch (activation) {
    case 'linear': return z;
    case 'tanh': return tanh(z);
    case 'relu': return relu(z);
    case 'sigmoid': {
      const y = sigmoid(z);
      logitsOf.set(y, { kind: 'sigmoid', logits: z });
      return y;
    }
    case 'softmax': {
      const y = softmax(z);
      logitsOf.set(y, { kind: 'softmax', logits: z });
      return y;
    }
  }
}

