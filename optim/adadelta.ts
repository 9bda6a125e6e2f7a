/**
 * Adadelta, as Keras 3 writes it (`keras/src/optimizers/adadelta.py`). Per
 * element, with θ the parameter, g its gradient, η the learning rate, ρ the
 * decay, and both accumulators zero at first:
 *
 *   a ← ρ·a + (1 − ρ)·g²                     mean square of the gradients
 *   Δ = −√(d + ε) · g / √(a + ε)              d from the steps before
 *   d ← ρ·d + (1 − ρ)·Δ²                     mean square of the updates
 *   θ ← θ + η·Δ
 *
 * Defaults as Keras 3: η = 0.001, ρ = 0.95, ε = 1e-7 (Zeiler's paper has
 * no η, i.e. η = 1).
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface AdadeltaOptions extends OptimizerOptions {
  /** η, default 0.001. */
  learningRate?: number;
  /** ρ in [0, 1), the decay of both accumulators; default 0.95. */
  rho?: number;
  /** ε ≥ 0, inside both roots; default 1e-7. */
  epsilon?: number;
}

export interface AdadeltaConfig extends OptimizerConfig {
  rho: number;
  epsilon: number;
}

export interface AdadeltaState {
  /** a [size]: moving average of g². */
  readonly accumulatedGrad: FloatArray;
  /** d [size]: moving average of Δ². */
  readonly accumulatedDelta: FloatArray;
}

export class Adadelta extends Optimizer<AdadeltaState> {
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: AdadeltaOptions = {}) {
    super('Adadelta', options, ['rho', 'epsilon'], 0.001);
    const { rho = 0.95, epsilon = 1e-7 } = options;
    checkRange(this.name, 'rho', rho, 0, 1, true);
    checkRange(this.name, 'epsilon', epsilon, 0, Infinity);
    this.rho = rho;
    this.epsilon = epsilon;
  }

  override getConfig(): AdadeltaConfig {
    return { ...this.baseConfig(), rho: this.rho, epsilon: this.epsilon };
  }

  override get slotNames(): readonly string[] {
    return ['accumulatedGrad', 'accumulatedDelta'];
  }

  protected override slotArrays(state: AdadeltaState): FloatArray[] {
    return [state.accumulatedGrad, state.accumulatedDelta];
  }

  protected override createState(param: Tensor): AdadeltaState {
    return { accumulatedGrad: allocate(param.dtype, param.size), accumulatedDelta: allocate(param.dtype, param.size) };
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: AdadeltaState, lr: number): void {
    const { rho, epsilon } = this;
    const a = state.accumulatedGrad;
    const d = state.accumulatedDelta;
    for (let i = 0; i < theta.length; i++) {
      a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
      const delta = -(Math.sqrt(d[i] + epsilon) * g[i]) / Math.sqrt(a[i] + epsilon);
      d[i] = rho * d[i] + (1 - rho) * delta * delta;
      theta[i] += lr * delta;
    }
  }
}
