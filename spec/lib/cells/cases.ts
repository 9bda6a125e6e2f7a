/**
 * The gradient checks of cells run by RNN(cell), for `npm run gradcheck`
 * and spec/lib/gradcheck.spec.ts: PeepholeLSTMCell through a whole sequence
 * by central differences (float64), RNN(LSTMCell) by central differences,
 * and RNN(LSTMCell) against the fused LSTM given the same weights — its
 * outputs and every gradient, where "numeric" is the fused pass's value.
 */
import type { GradcheckReport, GradPair } from '../../../autograd/gradcheck.ts';
import { LSTM, LSTMCell, PeepholeLSTMCell, RNN, Tensor, clearSession, gradcheck, ops, randomNormal, setSeed, type Layer } from '../../../lib/index.ts';
import type { GradCase } from '../../gradcases.ts';

/** The tape's loop over the reference step and the fused pass, both float64, agree to rounding. */
const SAME_MATH = 1e-12;

/** Output and gradients of `layer` on x: every output flattened, then ∂L/∂x and ∂L/∂ each weight, L = Σ y ⊙ w. */
function pass(layer: Layer, x: Tensor, initial: Tensor[]): Float64Array[] {
  const xi = new Tensor(x.data.slice(), x.shape, true);
  const init = initial.map((s) => new Tensor(s.data.slice(), s.shape, true));
  for (const w of layer.weights()) w.grad = null;
  const outs = layer.apply(xi, { initialState: init, mask: Float64Array.from([1, 1, 0, 1, 1, 1, /**/ 0, 1, 1, 1, 0, 1]) }) as unknown as Tensor[];
  const all = ops.concat(outs.map((o) => ops.reshape(o, [o.size])), 0);
  all.backward(Float64Array.from({ length: all.size }, (_, i) => Math.cos(1 + 0.7 * i) + 0.1));
  return [all.data, xi.grad, ...init.map((s) => s.grad), ...layer.weights().map((w) => w.grad)].map((a) => Float64Array.from(a ?? []));
}

/** RNN(LSTMCell) vs LSTM: the same weights, returnSequences, returnState, goBackwards, a mask and initial states. */
function equalsFused(): GradcheckReport {
  setSeed('RNN(LSTMCell) = LSTM');
  const options = { returnSequences: true, returnState: true, goBackwards: true, dtype: 'float64' as const };
  const fused = new LSTM(3, options);
  const generic = new RNN(new LSTMCell(3), options);
  fused.build([null, 6, 2]);
  generic.build([null, 6, 2]);
  generic.setWeights(fused.getWeights());
  const x = randomNormal([2, 6, 2], 0, 1, 'float64');
  const initial = [randomNormal([2, 3], 0, 1, 'float64'), randomNormal([2, 3], 0, 1, 'float64')];
  const ours = pass(generic, x, initial);
  const theirs = pass(fused, x, initial);
  let worst: GradPair | null = null;
  let maxAbs = 0;
  let maxRel = 0;
  ours.forEach((a, input) => a.forEach((v, index) => {
    const absError = Math.abs(v - theirs[input][index]);
    const relError = absError / Math.max(Math.abs(v), Math.abs(theirs[input][index]), 1e-3);
    if (!worst || relError > worst.relError) worst = { input, index, analytic: v, numeric: theirs[input][index], absError, relError };
    maxAbs = Math.max(maxAbs, absError);
    maxRel = Math.max(maxRel, relError);
  }));
  return {
    name: 'RNN(LSTMCell) = fused LSTM: outputs, dx, dh0, dc0, dW, dU, db',
    shapes: [x, ...fused.weights()].map((t) => `[${t.shape.join(',')}]`).join(' '),
    maxAbs, maxRel, tolerance: SAME_MATH, pass: maxAbs <= SAME_MATH, worst, pairs: worst ? [worst] : [],
  };
}

function named(name: string, run: () => GradcheckReport): GradCase {
  return { name, run: () => ({ ...run(), name }) };
}

export const rnnCellCases: GradCase[] = [
  named('PeepholeLSTMCell: 8 steps, peepholes ≠ 0, goBackwards', () => {
    clearSession();
    setSeed('peephole gradcheck');
    const layer = new RNN(new PeepholeLSTMCell(3, { peepholeInitializer: 'randomUniform' }), { returnSequences: true, goBackwards: true });
    return gradcheck(layer, randomNormal([2, 8, 2]));
  }),
  named('RNN(LSTMCell): 6 steps, returnState', () => {
    clearSession();
    setSeed('rnn lstm cell gradcheck');
    return gradcheck(new RNN(new LSTMCell(3), { returnState: true }), randomNormal([2, 6, 2]));
  }),
  { name: 'RNN(LSTMCell) = fused LSTM', run: equalsFused },
];
