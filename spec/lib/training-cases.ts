/**
 * Gradient checks of what training adds to the loss, in float64 through a
 * Dense (or LSTM) layer: the cross-entropies from logits, label smoothing,
 * sample weights per sample and per timestep, the weight regularizers'
 * penalties (l1 with every weight away from 0, where |w| is smooth) and an
 * activity regularizer's.
 */
import { gradcheck } from '../../autograd/gradcheck.ts';
import { reshape } from '../../autograd/ops.ts';
import { add, randomUniform, setSeed, type Tensor } from '../../autograd/index.ts';
import {
  BinaryCrossentropy, CategoricalCrossentropy, Dense, LSTM, MeanSquaredError, SparseCategoricalCrossentropy, Tensor as T, clearSession, regularizers,
  type Loss,
} from '../../lib/index.ts';
import { collectPenalties, type Layer } from '../../lib/layers/layer.ts';
import { weightPenalty } from '../../lib/regularizers.ts';
import type { GradCase } from '../gradcases.ts';
import { input, ready } from './cases.ts';

type Output = 'linear' | 'sigmoid' | 'softmax' | 'probability';

/** Targets for a loss over 3 units: labels for sparse, rows summing to 1 for categorical, values in [0, 1] otherwise. */
function targets(loss: Loss, rows: number[]): Tensor {
  const n = rows.reduce((a, b) => a * b, 1);
  if (loss instanceof SparseCategoricalCrossentropy) return new T(Float64Array.from({ length: n }, (_, i) => (2 * i + 1) % 3), rows);
  const y = randomUniform([...rows, 3], 0, 1, 'float64');
  if (loss instanceof CategoricalCrossentropy) {
    for (let r = 0; r < n; r++) {
      const s = y.data[3 * r] + y.data[3 * r + 1] + y.data[3 * r + 2];
      for (let c = 0; c < 3; c++) y.data[3 * r + c] /= s;
    }
  }
  return y;
}

/**
 * `loss` on a Dense(3) of `output` over inputs [...rows, 4], with sample
 * weights of shape `rows` when `weights` (a zero among them); 'probability'
 * hides the sigmoid's logits behind a reshape, so the loss takes its
 * clipped-log path.
 */
function lossCase(name: string, loss: Loss, output: Output, rows: number[], weights: boolean): GradCase {
  return {
    name,
    run: () => {
      clearSession();
      setSeed(name);
      const dense = ready(new Dense(3, { dtype: 'float64', activation: output === 'probability' ? 'sigmoid' : output }), [null, ...rows.slice(1), 4]);
      const x = input([...rows, 4]);
      const y = targets(loss, rows);
      const count = rows.reduce((a, b) => a * b, 1);
      const w = weights ? new T(Float64Array.from({ length: count }, (_, i) => [1, 0.5, 2, 0, 3][i % 5]), rows) : undefined;
      const f = (v: Tensor): Tensor => {
        const p = dense.apply(v);
        return loss.call(y, output === 'probability' ? reshape(p, p.shape) : p, w);
      };
      return gradcheck(name, f, [x, ...dense.weights()]);
    },
  };
}

/** Every weight of `layer` moved to at least 0.05 from 0 (keeping its sign), so an l1 penalty is differentiable there. */
function awayFromZero<L extends Layer>(layer: L): L {
  for (const w of layer.weights()) for (let i = 0; i < w.size; i++) if (Math.abs(w.data[i]) < 0.05) w.data[i] = w.data[i] < 0 ? -0.05 : 0.05;
  return layer;
}

/** mse of `layer` on x plus its weight penalties and its activity penalty, as the model's loss has them; `kind` must reach the loss. */
function penaltyCase(name: string, kind: 'weight' | 'activity', make: () => { layer: Layer; x: Tensor; units: number }): GradCase {
  return {
    name,
    run: () => {
      clearSession();
      setSeed(name);
      const { layer, x, units } = make();
      const y = randomUniform([x.shape[0], units], -1, 1, 'float64');
      const f = (v: Tensor): Tensor => {
        const { value, penalties } = collectPenalties(() => layer.apply(v));
        const weight = weightPenalty(layer.trainableWeights());
        if (kind === 'weight' ? weight === null : penalties.length === 0) throw new Error(`${name}: no ${kind} penalty reached the loss`);
        return [...penalties, ...(weight ? [weight] : [])].reduce((sum, p) => add(sum, p), new MeanSquaredError().call(y, value));
      };
      return gradcheck(name, f, [x, ...layer.weights()]);
    },
  };
}

export const trainingCases: GradCase[] = [
  lossCase('loss BinaryCrossentropy fromLogits', new BinaryCrossentropy({ fromLogits: true }), 'linear', [5], false),
  lossCase('loss CategoricalCrossentropy fromLogits', new CategoricalCrossentropy({ fromLogits: true }), 'linear', [5], false),
  lossCase('loss SparseCategoricalCrossentropy fromLogits', new SparseCategoricalCrossentropy({ fromLogits: true }), 'linear', [5], false),
  lossCase('loss BinaryCrossentropy labelSmoothing 0.1 (sigmoid)', new BinaryCrossentropy({ labelSmoothing: 0.1 }), 'sigmoid', [5], false),
  lossCase('loss BinaryCrossentropy labelSmoothing 0.1 (probability)', new BinaryCrossentropy({ labelSmoothing: 0.1 }), 'probability', [5], false),
  lossCase('loss CategoricalCrossentropy labelSmoothing 0.2 (softmax)', new CategoricalCrossentropy({ labelSmoothing: 0.2 }), 'softmax', [5], false),
  lossCase('loss BinaryCrossentropy fromLogits, labelSmoothing 0.1, sampleWeight [B]', new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }), 'linear', [5], true),
  lossCase('loss CategoricalCrossentropy fromLogits, labelSmoothing 0.2, sampleWeight [B]', new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }), 'linear', [5], true),
  lossCase('loss SparseCategoricalCrossentropy fromLogits, sampleWeight [B]', new SparseCategoricalCrossentropy({ fromLogits: true }), 'linear', [5], true),
  lossCase('loss mse, sampleWeight per timestep [B, T]', new MeanSquaredError(), 'linear', [2, 3], true),
  lossCase('loss SparseCategoricalCrossentropy fromLogits, sampleWeight per timestep [B, T]', new SparseCategoricalCrossentropy({ fromLogits: true }), 'linear', [2, 3], true),
  penaltyCase('regularizer l1 kernel (weights away from 0), l2 bias', 'weight', () => ({
    layer: awayFromZero(ready(new Dense(3, { dtype: 'float64', kernelRegularizer: regularizers.l1(0.05), biasRegularizer: regularizers.l2(0.1) }), [null, 4])),
    x: input([5, 4]), units: 3,
  })),
  penaltyCase('regularizer l1l2 kernel, recurrent kernel and bias of an LSTM', 'weight', () => ({
    layer: awayFromZero(ready(new LSTM(3, {
      dtype: 'float64', kernelRegularizer: regularizers.l1l2({ l1: 0.02, l2: 0.03 }),
      recurrentRegularizer: regularizers.l1l2({ l1: 0.01, l2: 0.05 }), biasRegularizer: regularizers.l1l2({ l1: 0.04, l2: 0.02 }),
    }), [null, 4, 2])),
    x: input([2, 4, 2]), units: 3,
  })),
  penaltyCase('activity regularizer l1l2 on sigmoid outputs (over the batch size)', 'activity', () => ({
    layer: ready(new Dense(3, { dtype: 'float64', activation: 'sigmoid', activityRegularizer: regularizers.l1l2({ l1: 0.1, l2: 0.2 }) }), [null, 4]),
    x: input([5, 4]), units: 3,
  })),
];
