/**
 * Adam, as Keras 3 writes it (`keras/src/optimizers/adam.py`). Per element,
 * at step t (counting from 1), with θ the parameter, g its gradient, η the
 * learning rate and m, v zero at first:
 *
 *   α = η·√(1 − β₂ᵗ) / (1 − β₁ᵗ)        bias correction folded into the step size
 *   m ← m + (1 − β₁)·(g − m)
 *   v ← v + (1 − β₂)·(g² − v)
 *   amsgrad:  v̂ ← max(v̂, v), and v̂ stands for v below
 *   θ ← θ − α·m / (√v + ε)
 *
 * ε is the paper's "epsilon hat": it is added to √v, not to the bias-corrected
 * √v̂ of the paper's Algorithm 1. t is the optimizer's step count, shared by
 * all parameters, even one that had no gradient at some earlier step.
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkBoolean, checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface AdamOptions extends OptimizerOptions {
  /** η, default 0.001. */
  learningRate?: number;
  /** β₁ in [0, 1), decay of the first moment; default 0.9. */
  beta1?: number;
  /** β₂ in [0, 1), decay of the second moment; default 0.999. */
  beta2?: number;
  /** ε ≥ 0, added to √v; default 1e-7. */
  epsilon?: number;
  /** Use the running maximum of v (AMSGrad); default false. */
  amsgrad?: boolean;
}

export interface AdamConfig extends OptimizerConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  amsgrad: boolean;
}

export interface AdamState {
  /** m [size]: moving average of g. */
  readonly momentum: FloatArray;
  /** v [size]: moving average of g². */
  readonly velocity: FloatArray;
  /** v̂ [size]: running maximum of v; null unless amsgrad. */
  readonly velocityHat: FloatArray | null;
}

export class Adam extends Optimizer<AdamState> {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(options: AdamOptions = {}) {
    super('Adam', options, ['beta1', 'beta2', 'epsilon', 'amsgrad'], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false } = options;
    checkRange(this.name, 'beta1', beta1, 0, 1, true);
    checkRange(this.name, 'beta2', beta2, 0, 1, true);
    checkRange(this.name, 'epsilon', epsilon, 0, Infinity);
    checkBoolean(this.name, 'amsgrad', amsgrad);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.amsgrad = amsgrad;
  }

  override getConfig(): AdamConfig {
    return { ...this.baseConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }

  override get slotNames(): readonly string[] {
    return this.amsgrad ? ['momentum', 'velocity', 'velocityHat'] : ['momentum', 'velocity'];
  }

  protected override slotArrays(state: AdamState): FloatArray[] {
    return [state.momentum, state.velocity, state.velocityHat].filter((a): a is FloatArray => a !== null);
  }

  protected override createState(param: Tensor): AdamState {
    return {
      momentum: allocate(param.dtype, param.size),
      velocity: allocate(param.dtype, param.size),
      velocityHat: this.amsgrad ? allocate(param.dtype, param.size) : null,
    };
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: AdamState, lr: number, t: number): void {
    const { beta1, beta2, epsilon } = this;
    const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const m = state.momentum;
    const v = state.velocity;
    const vHat = state.velocityHat;
    for (let i = 0; i < theta.length; i++) {
      m[i] += (1 - beta1) * (g[i] - m[i]);
      v[i] += (1 - beta2) * (g[i] * g[i] - v[i]);
      let vUsed = v[i];
      if (vHat !== null) {
        vHat[i] = Math.max(vHat[i], v[i]);
        vUsed = vHat[i];
      }
      theta[i] -= (alpha * m[i]) / (Math.sqrt(vUsed) + epsilon);
    }
  }
}
