/**
 * Adagrad, as Keras 3 writes it (`keras/src/optimizers/adagrad.py`). Per
 * element, with θ the parameter, g its gradient, η the learning rate and the
 * accumulator a starting at `initialAccumulatorValue`:
 *
 *   a ← a + g²
 *   θ ← θ − η·g / √(a + ε)        ε inside the root
 *
 * Defaults as Keras 3: η = 0.001, initialAccumulatorValue = 0.1, ε = 1e-7.
 */
import { allocate, type FloatArray, type Tensor } from '../autograd/index.ts';
import { checkRange } from './check.ts';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer.ts';

export interface AdagradOptions extends OptimizerOptions {
  /** η, default 0.001. */
  learningRate?: number;
  /** Where every accumulator starts, ≥ 0; default 0.1. */
  initialAccumulatorValue?: number;
  /** ε ≥ 0, added to the accumulator inside the root; default 1e-7. */
  epsilon?: number;
}

export interface AdagradConfig extends OptimizerConfig {
  initialAccumulatorValue: number;
  epsilon: number;
}

export interface AdagradState {
  /** a [size]: the sum of g² so far, plus its starting value. */
  readonly accumulator: FloatArray;
}

export class Adagrad extends Optimizer<AdagradState> {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super('Adagrad', options, ['initialAccumulatorValue', 'epsilon'], 0.001);
    const { initialAccumulatorValue = 0.1, epsilon = 1e-7 } = options;
    checkRange(this.name, 'initialAccumulatorValue', initialAccumulatorValue, 0, Infinity);
    checkRange(this.name, 'epsilon', epsilon, 0, Infinity);
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.epsilon = epsilon;
  }

  override getConfig(): AdagradConfig {
    return { ...this.baseConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }

  override get slotNames(): readonly string[] {
    return ['accumulator'];
  }

  protected override slotArrays(state: AdagradState): FloatArray[] {
    return [state.accumulator];
  }

  protected override createState(param: Tensor): AdagradState {
    return { accumulator: allocate(param.dtype, param.size).fill(this.initialAccumulatorValue) };
  }

  protected override updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: AdagradState, lr: number): void {
    const a = state.accumulator;
    for (let i = 0; i < theta.length; i++) {
      a[i] += g[i] * g[i];
      theta[i] -= (lr * g[i]) / Math.sqrt(a[i] + this.epsilon);
    }
  }
}
