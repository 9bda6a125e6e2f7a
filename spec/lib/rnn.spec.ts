/**
 * RNN(cell), Keras's generic recurrent layer: with the built-in cells it
 * computes what the fused layers compute (forward and every gradient, in
 * float64, given the same weights) under every option the layers share —
 * returnSequences, returnState, goBackwards, initialState, masks — and it
 * carries states (stateful), stacks cells, works inside Bidirectional and in
 * the functional API. The fused layers are checked against Keras and TF.js
 * elsewhere (spec/cells, spec/lib/io), so agreeing with them to rounding is
 * agreeing with Keras.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Bidirectional, Dense, GRU, GRUCell, LSTM, LSTMCell, Model, RNN, SimpleRNN, SimpleRNNCell, StackedRNNCells, Tensor,
  clearSession, input, ops, randomNormal, setSeed, type FusedRNN, type Layer, type RNNCell,
} from '../../lib/index.ts';

const { concat, reshape } = ops;
import { maxAbsDiff } from './helpers.ts';

test.before.each(() => clearSession());

/** The loop of ops and the fused pass, both in float64, agree to rounding. */
const SAME_MATH = 1e-12;

function close(label: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance = SAME_MATH): void {
  assert.is(a.length, b.length, `${label}: lengths`);
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tolerance, `${label}: max |difference| ${d} > ${tolerance}`);
}

function list(value: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(value) ? value : [value];
}

/** Copies of t that require a gradient: one for each pass, so that the two passes' gradients stay apart. */
function leaf(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape, true);
}

interface Pair {
  name: string;
  fused: (o: object) => FusedRNN;
  cell: () => RNNCell;
}

const PAIRS: Pair[] = [
  { name: 'SimpleRNN', fused: (o) => new SimpleRNN(4, o), cell: () => new SimpleRNNCell(4) },
  { name: 'LSTM', fused: (o) => new LSTM(4, o), cell: () => new LSTMCell(4) },
  { name: 'GRU (resetAfter)', fused: (o) => new GRU(4, o), cell: () => new GRUCell(4) },
  { name: 'GRU (resetAfter false)', fused: (o) => new GRU(4, { ...o, resetAfter: false }), cell: () => new GRUCell(4, { resetAfter: false }) },
  { name: 'LSTM (relu, hard_sigmoid, no bias)', fused: (o) => new LSTM(4, { ...o, activation: 'relu', recurrentActivation: 'hard_sigmoid', useBias: false }), cell: () => new LSTMCell(4, { activation: 'relu', recurrentActivation: 'hard_sigmoid', useBias: false }) },
];

const VARIANTS: Array<{ label: string; options: { returnSequences?: boolean; goBackwards?: boolean; returnState?: boolean }; mask: boolean; initial: boolean }> = [
  { label: 'last output', options: {}, mask: false, initial: false },
  { label: 'returnSequences, goBackwards, returnState', options: { returnSequences: true, goBackwards: true, returnState: true }, mask: false, initial: false },
  { label: 'mask, returnSequences', options: { returnSequences: true, returnState: true }, mask: true, initial: false },
  { label: 'mask, goBackwards, initialState', options: { goBackwards: true, returnState: true }, mask: true, initial: true },
];

/** [B, T] with a sample masked from its start, one masked in the middle and at its end, one unmasked. */
const MASK = Float64Array.from([0, 0, 1, 1, 1, /**/ 1, 0, 1, 1, 0, /**/ 1, 1, 1, 1, 1]);

for (const pair of PAIRS) {
  for (const v of VARIANTS) {
    test(`RNN(${pair.name} cell) equals the fused layer, forward and gradients (float64): ${v.label}`, () => {
      setSeed(`${pair.name} ${v.label}`);
      const [B, T, D] = [3, 5, 2];
      const fused = pair.fused({ ...v.options, dtype: 'float64' });
      const generic = new RNN(pair.cell(), { ...v.options, dtype: 'float64' });
      const x = randomNormal([B, T, D], 0, 1, 'float64');
      fused.build([null, T, D]);
      generic.build([null, T, D]);
      generic.setWeights(fused.getWeights());
      assert.equal(generic.weightLabels(), fused.weightLabels(), 'weight names');
      const states = fused.cell.stateSizes.map((n) => randomNormal([B, n], 0, 1, 'float64'));
      const run = (layer: Layer): { outs: Tensor[]; x: Tensor; init: Tensor[] } => {
        const xi = leaf(x);
        const init = v.initial ? states.map(leaf) : [];
        const outs = list(layer.apply(xi, { mask: v.mask ? MASK : null, ...(v.initial ? { initialState: init } : {}) }));
        // L = Σ_k Σ (out_k ⊙ w_k): an uneven projection of every output, one backward.
        const all = concat(outs.map((o) => reshape(o, [o.size])), 0);
        all.backward(Float64Array.from({ length: all.size }, (_, i) => Math.cos(1 + 0.37 * i)));
        return { outs, x: xi, init };
      };
      for (const w of [...fused.weights(), ...generic.weights()]) w.grad = null;
      const a = run(fused);
      const b = run(generic);
      assert.is(a.outs.length, b.outs.length, 'as many outputs');
      a.outs.forEach((o, k) => {
        assert.equal(b.outs[k].shape, o.shape, `output ${k} shape`);
        close(`output ${k}`, b.outs[k].data, o.data);
      });
      close('∂L/∂x', b.x.grad!, a.x.grad!);
      fused.weights().forEach((w, i) => close(`∂L/∂${fused.weightLabels()[i]}`, generic.weights()[i].grad!, w.grad!));
      a.init.forEach((s, i) => close(`∂L/∂initialState[${i}]`, b.init[i].grad!, s.grad!));
    });
  }
}

test('a masked step keeps the states and repeats the previous output; zeros before the first unmasked step', () => {
  setSeed(3);
  const layer = new RNN(new LSTMCell(3), { returnSequences: true, returnState: true, dtype: 'float64' });
  const x = randomNormal([2, 4, 2], 0, 1, 'float64');
  const mask = Float64Array.from([0, 1, 0, 1, /**/ 1, 1, 1, 1]);
  const [y, h, c] = layer.apply(x, { mask }) as Tensor[];
  const at = (t: Tensor, b: number, s: number): number[] => Array.from(t.data.slice((b * 4 + s) * 3, (b * 4 + s + 1) * 3));
  assert.equal(at(y, 0, 0), [0, 0, 0], 'before the first unmasked step the output is zero');
  assert.equal(at(y, 0, 2), at(y, 0, 1), 'a masked step repeats the previous output');
  // Sample 0 without its masked steps is the sequence of steps 1 and 3 alone.
  const alone = new RNN(layer.cell, { returnState: true, dtype: 'float64' });
  const x0 = new Tensor(Float64Array.from([...x.data.slice(2, 4), ...x.data.slice(6, 8)]), [1, 2, 2]);
  const [yAlone, hAlone, cAlone] = alone.apply(x0) as Tensor[];
  close('the last output is that of the unmasked steps alone', at(y, 0, 3), yAlone.data);
  close('h', h.data.slice(0, 3), hAlone.data);
  close('c', c.data.slice(0, 3), cAlone.data);
});

test('stateful: two batches carry the states as one long sequence does; resetStates starts again from zeros', () => {
  setSeed(4);
  const cell = new GRUCell(3);
  const stateful = new RNN(cell, { stateful: true, dtype: 'float64' });
  const whole = new RNN(cell, { dtype: 'float64' });
  const x = randomNormal([2, 6, 2], 0, 1, 'float64');
  const half = (from: number): Tensor => {
    const d = new Float64Array(2 * 3 * 2);
    for (let b = 0; b < 2; b++) d.set(x.data.slice((b * 6 + from) * 2, (b * 6 + from + 3) * 2), b * 6);
    return new Tensor(d, [2, 3, 2]);
  };
  stateful.apply(half(0));
  const second = stateful.apply(half(3)) as Tensor;
  close('the second half after the first = the whole sequence', second.data, (whole.apply(x) as Tensor).data);
  assert.throws(() => stateful.apply(randomNormal([3, 3, 2], 0, 1, 'float64')), /rnn \(RNN\): stateful layer holds states for batch 2, got a batch of 3/);
  stateful.resetStates();
  close('after resetStates, as a fresh layer', (stateful.apply(half(3)) as Tensor).data, (whole.apply(half(3)) as Tensor).data);
});

test('StackedRNNCells (or a list of cells) equals the layers stacked, and its states are every cell\'s, in the order of the cells', () => {
  setSeed(5);
  const x = randomNormal([2, 4, 3], 0, 1, 'float64');
  const first = new LSTM(4, { returnSequences: true, returnState: true, dtype: 'float64' });
  const second = new GRU(2, { returnState: true, resetAfter: false, dtype: 'float64' });
  const [seq, h1, c1] = first.apply(x) as Tensor[];
  const [y, h2] = second.apply(seq) as Tensor[];
  const stacked = new RNN([new LSTMCell(4), new GRUCell(2, { resetAfter: false })], { returnState: true, dtype: 'float64' });
  assert.ok(stacked.cell instanceof StackedRNNCells);
  stacked.build([null, 4, 3]);
  stacked.setWeights([...first.getWeights(), ...second.getWeights()]);
  assert.equal(stacked.weightLabels(), ['RNNCell_0/kernel', 'RNNCell_0/recurrent_kernel', 'RNNCell_0/bias', 'RNNCell_1/kernel', 'RNNCell_1/recurrent_kernel', 'RNNCell_1/bias']);
  const outs = stacked.apply(x) as Tensor[];
  assert.equal(outs.map((t) => t.shape), [[2, 2], [2, 4], [2, 4], [2, 2]]);
  [y, h1, c1, h2].forEach((t, i) => close(`output ${i}`, outs[i].data, t.data));
  assert.equal(stacked.computeOutputShape([null, 4, 3]), [[null, 2], [null, 4], [null, 4], [null, 2]]);
});

test('Bidirectional(RNN(cell)): the backward copy is a fresh cell of the same config (its own weights); merged as forward ⊕ reversed backward', () => {
  setSeed(6);
  const bi = new Bidirectional(new RNN(new LSTMCell(3, { recurrentActivation: 'hard_sigmoid' }), { returnSequences: true, dtype: 'float64' }));
  const x = randomNormal([2, 4, 2], 0, 1, 'float64');
  const y = bi.apply(x) as Tensor;
  assert.equal(y.shape, [2, 4, 6]);
  const f = bi.forwardLayer;
  const b = bi.backwardLayer;
  assert.ok(b.cell !== f.cell && b.cell instanceof LSTMCell, 'a new LSTMCell');
  assert.is((b.cell as LSTMCell).options.recurrentActivation, 'hard_sigmoid', 'with the same config');
  assert.ok(b.goBackwards && !f.goBackwards);
  assert.ok(maxAbsDiff(f.weights()[0].data, b.weights()[0].data) > 0, 'its own weights');
  const yf = f.apply(x) as Tensor;
  const yb = b.apply(x) as Tensor;
  const expected = new Float64Array(2 * 4 * 6);
  for (let s = 0; s < 2; s++) {
    for (let t = 0; t < 4; t++) {
      expected.set(yf.data.slice((s * 4 + t) * 3, (s * 4 + t + 1) * 3), (s * 4 + t) * 6);
      expected.set(yb.data.slice((s * 4 + 3 - t) * 3, (s * 4 + 4 - t) * 3), (s * 4 + t) * 6 + 3);
    }
  }
  close('concat(forward, reversed backward)', y.data, expected);
  assert.equal(bi.namedWeights().map(([n]) => n).slice(0, 3), ['bidirectional/forward_rnn/kernel', 'bidirectional/forward_rnn/recurrent_kernel', 'bidirectional/forward_rnn/bias']);
});

test('functional API: RNN(cell) with returnState and initialState in a model, trained by fit', async () => {
  setSeed(7);
  const x = input({ shape: [5, 2], name: 'x' });
  const [, h, c] = new RNN(new LSTMCell(4), { returnState: true }).apply(x);
  const decoder = new RNN(new LSTMCell(4), { returnSequences: true });
  const seq = decoder.apply(x, { initialState: [h, c] });
  const out = new Dense(1).apply(seq);
  const m = new Model({ inputs: x, outputs: out });
  m.compile({ optimizer: 'adam', loss: 'mse' });
  const xs = randomNormal([8, 5, 2]);
  const ys = randomNormal([8, 5, 1]);
  const before = (await m.evaluate(xs, ys)).loss as number;
  const history = await m.fit(xs, ys, { epochs: 20, batchSize: 8, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses[losses.length - 1] < before, `the loss falls: ${before} → ${losses[losses.length - 1]}`);
  assert.is(m.countParams(), 2 * 4 * 4 * (2 + 4 + 1) + 5);
});

test('initialState of the wrong shape, a cell that is not an RNNCell, options RNN does not have: errors naming the layer', () => {
  const layer = new RNN(new LSTMCell(3), { name: 'r' });
  const x = randomNormal([2, 4, 2]);
  assert.throws(() => layer.apply(x, { initialState: [randomNormal([2, 3])] }), /r \(RNN\): initialState must be \[h, c\], 2 tensors of shape \(2, 3\); got 1: \(2, 3\)/);
  assert.throws(() => new RNN({ stateSize: 3, outputSize: 3 } as unknown as RNNCell), /rnn(_\d+)? \(RNN\): cell must be an RNNCell/);
  assert.throws(() => new RNN(new LSTMCell(3), { dropout: 0.5 } as object), /RNN: unknown option 'dropout'/);
  assert.throws(() => layer.apply(randomNormal([2, 4, 5])), /r \(RNN\): input has 5 features but the layer was built for 2/);
});

test('SimpleRNN and SimpleRNNCell refuse recurrentActivation, naming the layer and the option', () => {
  assert.throws(() => new SimpleRNN(3, { recurrentActivation: 'sigmoid' } as object), /SimpleRNN: option 'recurrentActivation' does not exist for SimpleRNN/);
  assert.throws(() => new SimpleRNNCell(3, { recurrentActivation: 'sigmoid' } as object), /SimpleRNNCell: option 'recurrentActivation' does not exist/);
  assert.throws(() => new LSTMCell(0), /LSTMCell: units must be a positive integer, got 0/);
  assert.throws(() => new GRUCell(3, { unitForgetBias: true } as object), /GRUCell: unknown option 'unitForgetBias'/);
});

test('the built-in layers are RNNs whose cell holds their weights in the Keras layout and names', () => {
  const lstm = new LSTM(3);
  assert.ok(lstm instanceof RNN && lstm.cell instanceof LSTMCell);
  lstm.build([null, 4, 2]);
  assert.ok(lstm.cell.weights()[0] === lstm.weights()[0], 'one kernel, shared');
  assert.equal(lstm.cell.namedWeights().map(([n, t]) => [n, t.shape]), [['kernel', [2, 12]], ['recurrent_kernel', [3, 12]], ['bias', [12]]]);
  const gru = new RNN(new GRUCell(3));
  gru.build([null, 4, 2]);
  assert.equal(gru.cell.namedWeights().map(([n, t]) => [n, t.shape]), [['kernel', [2, 9]], ['recurrent_kernel', [3, 9]], ['bias', [2, 9]]]);
  const before = new RNN(new GRUCell(3, { resetAfter: false }));
  before.build([null, 4, 2]);
  assert.equal(before.weights()[2].shape, [9]);
  // The same seed draws the same weights for the fused layer and the cell (W, U, then b; unit forget bias).
  setSeed(8);
  const a = new LSTM(3);
  a.build([null, 4, 2]);
  setSeed(8);
  const b = new RNN(new LSTMCell(3));
  b.build([null, 4, 2]);
  a.weights().forEach((w, i) => assert.ok(maxAbsDiff(w.data, b.weights()[i].data) === 0, `weight ${i}`));
  assert.equal(Array.from(b.weights()[2].data.slice(3, 6)), [1, 1, 1], 'the forget block starts at ones');
});

test.run();
