/** Gradient checks of the layers and losses of lib/, in float64, end to end through the fused cells. */
import { gradcheck } from '../../autograd/gradcheck.ts';
import { reshape } from '../../autograd/ops.ts';
import { randomNormal, randomUniform, setSeed, type Tensor } from '../../autograd/index.ts';
import {
  Activation, Bidirectional, Dense, Embedding, GRU, LSTM, Masking, RepeatVector, SimpleRNN, Tensor as T, TimeDistributed, clearSession,
} from '../../lib/index.ts';
import { LOSSES, type LossName } from '../../lib/losses.ts';
import type { Layer } from '../../lib/layers/layer.ts';
import type { GradCase } from '../gradcases.ts';

/** Built float64 layer with every weight (biases included) nudged away from its initial value. */
export function ready<L extends Layer>(layer: L, inputShape: ReadonlyArray<number | null>): L {
  layer.build(inputShape);
  for (const w of layer.weights()) for (let i = 0; i < w.size; i++) w.data[i] += 0.1 * Math.sin(3 * i + 1);
  return layer;
}

/** A float64 input of N(0, 1) values that gradcheck checks. */
export function input(shape: number[]): Tensor {
  const x = randomNormal(shape, 0, 1, 'float64');
  x.requiresGrad = true;
  return x;
}

function layerCase(name: string, make: () => { layer: Layer; x: Tensor; mask?: Float64Array }): GradCase {
  return {
    name,
    run: () => {
      clearSession();
      setSeed(name);
      const { layer, x, mask } = make();
      return gradcheck(name, (v) => layer.apply(v, { mask: mask ?? null }), [x, ...layer.weights()]);
    },
  };
}

const mask = new Float64Array([1, 1, 1, 0, 0, 1, 1, 1]);

function lossCase(loss: LossName, output: 'sigmoid' | 'softmax' | 'linear' | 'probability'): GradCase {
  const name = `loss ${loss} (${output})`;
  return {
    name,
    run: () => {
      clearSession();
      setSeed(name);
      const dense = ready(new Dense(3, { dtype: 'float64', activation: output === 'probability' ? 'sigmoid' : output }), [null, 4]);
      const x = input([5, 4]);
      const y = loss === 'sparse_categorical_crossentropy'
        ? new T(new Float64Array([0, 2, 1, 1, 0]), [5])
        : randomUniform([5, 3], 0, 1, 'float64');
      if (loss === 'categorical_crossentropy') {
        for (let r = 0; r < 5; r++) {
          const s = y.data[3 * r] + y.data[3 * r + 1] + y.data[3 * r + 2];
          for (let c = 0; c < 3; c++) y.data[3 * r + c] /= s;
        }
      }
      // 'probability': a reshape hides the logits, so the loss takes the clipped-log path on σ(z).
      const f = (v: Tensor): Tensor => {
        const p = dense.apply(v);
        return LOSSES[loss](output === 'probability' ? reshape(p, p.shape) : p, y);
      };
      return gradcheck(name, f, [x, ...dense.weights()]);
    },
  };
}

export const libCases: GradCase[] = [
  layerCase('Bidirectional(LSTM), concat, returnSequences, mask', () => ({
    layer: ready(new Bidirectional(new LSTM(3, { returnSequences: true, dtype: 'float64' })), [null, 4, 5]),
    x: input([2, 4, 5]), mask,
  })),
  layerCase('Bidirectional(GRU), sum, last output', () => ({
    layer: ready(new Bidirectional(new GRU(3, { dtype: 'float64' }), { mergeMode: 'sum' }), [null, 4, 5]),
    x: input([2, 4, 5]),
  })),
  layerCase('Bidirectional(SimpleRNN), mul', () => ({
    layer: ready(new Bidirectional(new SimpleRNN(3, { dtype: 'float64', returnSequences: true }), { mergeMode: 'mul' }), [null, 4, 5]),
    x: input([2, 4, 5]),
  })),
  layerCase('Dense over [B, T, H], tanh', () => ({ layer: ready(new Dense(3, { dtype: 'float64', activation: 'tanh' }), [null, 4, 5]), x: input([2, 4, 5]) })),
  layerCase('Dense, softmax', () => ({ layer: ready(new Dense(4, { dtype: 'float64', activation: 'softmax' }), [null, 5]), x: input([3, 5]) })),
  {
    name: 'Embedding (repeated ids)',
    run: () => {
      clearSession();
      setSeed('embedding');
      const layer = ready(new Embedding(7, 3, { dtype: 'float64' }), [null, 4]);
      const ids = new T(new Float64Array([1, 5, 1, 0, 6, 6, 2, 1]), [2, 4]);
      return gradcheck('Embedding (repeated ids)', () => layer.apply(ids), layer.weights());
    },
  },
  layerCase('TimeDistributed(Dense, relu)', () => ({
    layer: ready(new TimeDistributed(new Dense(3, { dtype: 'float64', activation: 'relu' })), [null, 4, 5]), x: input([2, 4, 5]),
  })),
  layerCase('Activation, softmax over [B, T, F]', () => ({ layer: ready(new Activation('softmax', { dtype: 'float64' }), [null, 4, 5]), x: input([2, 4, 5]) })),
  layerCase('RepeatVector(3)', () => ({ layer: ready(new RepeatVector(3, { dtype: 'float64' }), [null, 5]), x: input([2, 5]) })),
  {
    name: 'Masking (steps of zeros) into an LSTM',
    run: () => {
      clearSession();
      setSeed('masking');
      const masking = new Masking({ dtype: 'float64' });
      const lstm = ready(new LSTM(3, { dtype: 'float64' }), [null, 4, 5]);
      const x = input([2, 4, 5]);
      for (const step of [0, 1, 6]) x.data.fill(0, step * 5, step * 5 + 5);
      // Nudging a padded zero would unmask its step, so the input stays fixed and the weights are checked.
      x.requiresGrad = false;
      const f = (): Tensor => lstm.apply(masking.apply(x), { mask: masking.computeMask(x) });
      return gradcheck('Masking (steps of zeros) into an LSTM', f, lstm.weights());
    },
  },
  lossCase('binary_crossentropy', 'sigmoid'),
  lossCase('binary_crossentropy', 'probability'),
  lossCase('categorical_crossentropy', 'softmax'),
  lossCase('sparse_categorical_crossentropy', 'softmax'),
  lossCase('mse', 'linear'),
  lossCase('mae', 'linear'),
];
