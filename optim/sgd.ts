/**
 * SGD: gradient descent, with optional momentum and Nesterov momentum,
 * as Keras 3 writes it (`keras/src/optimizers/sgd.py`). Per element, with
 * θ the parameter, g its gradient, η the learning rate, μ the momentum and
 * v the velocity (zero at first):
 *
 *   plain (μ = 0):  θ ← θ − η·g
 *   momentum:       v ← μ·v − η·g;   θ ← θ + v
 *   Nesterov:       v ← μ·v − η·g;   θ ← θ + μ·v − η·g   (with the new v)
 *
 * The velocity is only kept when μ > 0; with μ = 0, `nesterov` changes nothing.
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkBoolean, checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface SGDOptions extends OptimizerOptions {
  /** η, default 0.01. */
  learningRate?: number;
  /** μ in [0, 1], default 0 (plain gradient descent). */
  momentum?: number;
  /** Use Nesterov momentum; default false. */
  nesterov?: boolean;
}

export interface SGDConfig extends OptimizerConfig {
  momentum: number;
  nesterov: boolean;
}

export interface SGDState {
  /** v [size], or null when momentum is 0. */
  readonly velocity: FloatArray | null;
}

export class SGD extends Optimizer<SGDState> {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super('SGD', options, ['momentum', 'nesterov'], 0.01);
    const { momentum = 0, nesterov = false } = options;
    checkRange(this.name, 'momentum', momentum, 0, 1);
    checkBoolean(this.name, 'nesterov', nesterov);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  override getConfig(): SGDConfig {
    return { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }

  override get slotNames(): readonly string[] {
    return this.momentum > 0 ? ['velocity'] : [];
  }

  protected override slotArrays(state: SGDState): FloatArray[] {
    return state.velocity ? [state.velocity] : [];
  }

  protected override createState(param: Tensor): SGDState {
    return { velocity: this.momentum > 0 ? allocate(param.dtype, param.size) : null };
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: SGDState, lr: number): void {
    const v = state.velocity;
    const mu = this.momentum;
    if (v === null) {
      for (let i = 0; i < theta.length; i++) theta[i] -= lr * g[i];
    } else if (this.nesterov) {
      for (let i = 0; i < theta.length; i++) {
        v[i] = mu * v[i] - lr * g[i];
        theta[i] += mu * v[i] - lr * g[i];
      }
    } else {
      for (let i = 0; i < theta.length; i++) {
        v[i] = mu * v[i] - lr * g[i];
        theta[i] += v[i];
      }
    }
  }
}
