/**
 * Nadam (Adam with Nesterov momentum, Dozat 2015), as Keras 3 writes it
 * (`keras/src/optimizers/nadam.py`). At step t (counting from 1), with
 * θ the parameter, g its gradient, η the learning rate and m, v zero at first:
 *
 *   μ_t = β₁·(1 − ½·0.96ᵗ)                 the momentum schedule
 *   Π_t = μ_1·μ_2·…·μ_t                    (Π_0 = 1)
 *   m ← m + (1 − β₁)·(g − m)
 *   v ← v + (1 − β₂)·(g² − v)
 *   m̂ = μ_{t+1}·m / (1 − Π_t·μ_{t+1}) + (1 − μ_t)·g / (1 − Π_t)
 *   v̂ = v / (1 − β₂ᵗ)
 *   θ ← θ − η·m̂ / (√v̂ + ε)
 *
 * Defaults as Keras 3: η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-7. Π_t
 * depends only on t, so it is no state of its own: it follows the step
 * count (also after `setSlots`).
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface NadamOptions extends OptimizerOptions {
  /** η, default 0.001. */
  learningRate?: number;
  /** β₁ in [0, 1), default 0.9. */
  beta1?: number;
  /** β₂ in [0, 1), default 0.999. */
  beta2?: number;
  /** ε ≥ 0, added to √v̂; default 1e-7. */
  epsilon?: number;
}

export interface NadamConfig extends OptimizerConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface NadamState {
  /** m [size]: moving average of g. */
  readonly momentum: FloatArray;
  /** v [size]: moving average of g². */
  readonly velocity: FloatArray;
}

export class Nadam extends Optimizer<NadamState> {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Π_t for the step `productStep`. */
  private product = 1;
  private productStep = 0;

  constructor(options: NadamOptions = {}) {
    super('Nadam', options, ['beta1', 'beta2', 'epsilon'], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    checkRange(this.name, 'beta1', beta1, 0, 1, true);
    checkRange(this.name, 'beta2', beta2, 0, 1, true);
    checkRange(this.name, 'epsilon', epsilon, 0, Infinity);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  override getConfig(): NadamConfig {
    return { ...this.baseConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  override get slotNames(): readonly string[] {
    return ['momentum', 'velocity'];
  }

  protected override slotArrays(state: NadamState): FloatArray[] {
    return [state.momentum, state.velocity];
  }

  protected override createState(param: Tensor): NadamState {
    return { momentum: allocate(param.dtype, param.size), velocity: allocate(param.dtype, param.size) };
  }

  /** μ_t. */
  private mu(t: number): number {
    return this.beta1 * (1 - 0.5 * 0.96 ** t);
  }

  /** Brings Π up to step t: one factor after the step before, else the whole product again (after setSlots). */
  protected override beforeUpdate(t: number): void {
    if (this.productStep !== t - 1) {
      this.product = 1;
      this.productStep = 0;
    }
    while (this.productStep < t) this.product *= this.mu(++this.productStep);
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: NadamState, lr: number, t: number): void {
    const { beta1, beta2, epsilon } = this;
    const muT = this.mu(t);
    const muNext = this.mu(t + 1);
    const productT = this.product;
    const productNext = productT * muNext;
    const beta2Power = beta2 ** t;
    const m = state.momentum;
    const v = state.velocity;
    for (let i = 0; i < theta.length; i++) {
      m[i] += (1 - beta1) * (g[i] - m[i]);
      v[i] += (1 - beta2) * (g[i] * g[i] - v[i]);
      const mHat = (muNext * m[i]) / (1 - productNext) + ((1 - muT) * g[i]) / (1 - productT);
      const vHat = v[i] / (1 - beta2Power);
      theta[i] -= (mHat * lr) / (Math.sqrt(vHat) + epsilon);
    }
  }
}
