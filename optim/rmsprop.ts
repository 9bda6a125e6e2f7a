/**
 * RMSprop, as Keras 3 writes it (`keras/src/optimizers/rmsprop.py`). Per
 * element, with θ the parameter, g its gradient, η the learning rate, ρ the
 * decay, ε the fuzz term, and every accumulator zero at first:
 *
 *   v ← ρ·v + (1 − ρ)·g²                        mean square
 *   Δ = η·g / √(v + ε)                          ε inside the root
 *   centered:  m ← ρ·m + (1 − ρ)·g;  Δ = η·g / √(v − m² + ε)
 *   θ ← θ − Δ
 *   momentum > 0:  μ ← momentum·μ + Δ;  θ ← θ − μ   (instead of θ ← θ − Δ)
 *
 * The standalone Keras 2 of the seed's era put ε outside the root,
 * η·g / (√v + ε); Keras 3 and TensorFlow's own kernel put it inside, as here.
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkBoolean, checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface RMSpropOptions extends OptimizerOptions {
  /** η, default 0.001. */
  learningRate?: number;
  /** ρ in [0, 1), the decay of the moving averages; default 0.9. */
  rho?: number;
  /** Heavy-ball momentum in [0, 1]; default 0 (none). */
  momentum?: number;
  /** ε ≥ 0, added to the mean square inside the root; default 1e-7. */
  epsilon?: number;
  /** Divide by the estimated standard deviation instead of the root mean square; default false. */
  centered?: boolean;
}

export interface RMSpropConfig extends OptimizerConfig {
  rho: number;
  momentum: number;
  epsilon: number;
  centered: boolean;
}

export interface RMSpropState {
  /** v [size]: moving average of g². */
  readonly velocity: FloatArray;
  /** m [size]: moving average of g; null unless centered. */
  readonly averageGrad: FloatArray | null;
  /** μ [size]: the momentum buffer; null unless momentum > 0. */
  readonly momentum: FloatArray | null;
}

export class RMSprop extends Optimizer<RMSpropState> {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super('RMSprop', options, ['rho', 'momentum', 'epsilon', 'centered'], 0.001);
    const { rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    checkRange(this.name, 'rho', rho, 0, 1, true);
    checkRange(this.name, 'momentum', momentum, 0, 1);
    checkRange(this.name, 'epsilon', epsilon, 0, Infinity);
    checkBoolean(this.name, 'centered', centered);
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = centered;
  }

  override getConfig(): RMSpropConfig {
    return { ...this.baseConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  override get slotNames(): readonly string[] {
    return ['velocity', ...(this.centered ? ['averageGrad'] : []), ...(this.momentum > 0 ? ['momentum'] : [])];
  }

  protected override slotArrays(state: RMSpropState): FloatArray[] {
    return [state.velocity, state.averageGrad, state.momentum].filter((a): a is FloatArray => a !== null);
  }

  protected override createState(param: Tensor): RMSpropState {
    return {
      velocity: allocate(param.dtype, param.size),
      averageGrad: this.centered ? allocate(param.dtype, param.size) : null,
      momentum: this.momentum > 0 ? allocate(param.dtype, param.size) : null,
    };
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: RMSpropState, lr: number): void {
    const { rho, epsilon } = this;
    const mom = this.momentum;
    const v = state.velocity;
    const m = state.averageGrad;
    const mu = state.momentum;
    for (let i = 0; i < theta.length; i++) {
      v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
      let denominator = v[i] + epsilon;
      if (m !== null) {
        m[i] = rho * m[i] + (1 - rho) * g[i];
        denominator = v[i] - m[i] * m[i] + epsilon;
      }
      const delta = (lr * g[i]) / Math.sqrt(denominator);
      if (mu !== null) {
        mu[i] = mom * mu[i] + delta;
        theta[i] -= mu[i];
      } else {
        theta[i] -= delta;
      }
    }
  }
}
