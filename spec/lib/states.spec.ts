/**
 * States that flow between layers: returnState on SimpleRNN, LSTM and GRU
 * (eager and symbolic), initialState (real or symbolic), Bidirectional's
 * states and mergeMode null, masking with states, and the errors for
 * initial states that do not fit. The fused passes are compared with the
 * cells' reference loops in float64.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gruReference } from '../../cells/gru.ts';
import { lstmReference } from '../../cells/lstm.ts';
import { simpleRnnReference } from '../../cells/simple-rnn.ts';
import type { SequenceOptions, SequenceResult } from '../../cells/common.ts';
import {
  Bidirectional, Dense, Embedding, GRU, LSTM, Model, SimpleRNN, Tensor, clearSession, input, padSequences, randomNormal, setSeed, tensor,
  type FusedRNN as RNN,
} from '../../lib/index.ts';
import { maxAbsDiff } from './helpers.ts';

test.before.each(() => clearSession());

/** Fused and reference passes in float64 agree to rounding. */
const SAME_MATH = 1e-12;
/** Two float32 computations of the same thing. */
const FLOAT32 = 1e-6;

/** What a layer whose type does not say it returns a list (returnState as a plain boolean) gave, as a list. */
function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function close(label: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tolerance, `${label}: max |difference| ${d} > ${tolerance}`);
}

type Make = (units: number, options: { returnState?: boolean; returnSequences?: boolean; goBackwards?: boolean; dtype?: 'float64' }) => RNN<boolean>;
const CELLS: Array<{ name: string; states: number; make: Make; reference: (layer: RNN<boolean>, x: Tensor, o: SequenceOptions) => SequenceResult }> = [
  { name: 'SimpleRNN', states: 1, make: (u, o) => new SimpleRNN(u, o), reference: (l, x, o) => simpleRnnReference(x, l.cellWeights!, o) },
  { name: 'LSTM', states: 2, make: (u, o) => new LSTM(u, o), reference: (l, x, o) => lstmReference(x, l.cellWeights!, o) },
  { name: 'GRU', states: 1, make: (u, o) => new GRU(u, o), reference: (l, x, o) => gruReference(x, l.cellWeights!, { ...o, resetAfter: (l as GRU).resetAfter }) },
];

test('computeOutputShape with returnState is the list of shapes (Keras rnn_test: [[3, 8], [3, 8]] for one state)', () => {
  const batch = [3, 4, 5];
  assert.equal(new SimpleRNN(8, { returnState: true }).computeOutputShape(batch), [[3, 8], [3, 8]]);
  assert.equal(new GRU(8, { returnState: true }).computeOutputShape(batch), [[3, 8], [3, 8]]);
  assert.equal(new LSTM(8, { returnState: true }).computeOutputShape(batch), [[3, 8], [3, 8], [3, 8]]);
  assert.equal(new LSTM(8, { returnState: true, returnSequences: true }).computeOutputShape(batch), [[3, 4, 8], [3, 8], [3, 8]]);
  assert.equal(new LSTM(8).computeOutputShape(batch), [3, 8]);
  assert.equal(new Bidirectional(new LSTM(8, { returnState: true })).computeOutputShape(batch), [[3, 16], [3, 8], [3, 8], [3, 8], [3, 8]]);
  assert.equal(new Bidirectional(new GRU(8, { returnSequences: true }), { mergeMode: null }).computeOutputShape(batch), [[3, 4, 8], [3, 4, 8]]);
});

for (const cell of CELLS) {
  test(`${cell.name}: returnState gives [output, ...states] in eager and symbolic use, equal to the reference loop, with and without initialState`, () => {
    setSeed(cell.name);
    const B = 3;
    const T = 5;
    const H = 4;
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        const layer = cell.make(H, { returnState: true, returnSequences, goBackwards, dtype: 'float64' });
        const x = randomNormal([B, T, 2], 0, 1, 'float64');
        const what = `${cell.name} goBackwards ${goBackwards}, returnSequences ${returnSequences}`;
        const [output, ...states] = list(layer.apply(x));
        assert.is(states.length, cell.states, `${what}: ${cell.states} state(s)`);
        const ref = cell.reference(layer, x, { returnSequences, goBackwards });
        close(`${what}: output`, output.data, ref.output.data, SAME_MATH);
        states.forEach((s, i) => close(`${what}: state ${i}`, s.data, ref.states[i].data, SAME_MATH));
        const initial = Array.from({ length: cell.states }, () => randomNormal([B, H], 0, 1, 'float64'));
        const [fromInitial, ...statesFromInitial] = list(layer.apply(x, { initialState: initial }));
        const refInitial = cell.reference(layer, x, { returnSequences, goBackwards, initialState: initial });
        close(`${what}, initialState: output`, fromInitial.data, refInitial.output.data, SAME_MATH);
        statesFromInitial.forEach((s, i) => close(`${what}, initialState: state ${i}`, s.data, refInitial.states[i].data, SAME_MATH));
        assert.ok(maxAbsDiff(fromInitial.data, output.data) > 1e-3, `${what}: the initial state changes the output`);
      }
    }
    // Symbolic: the same layer in a graph, the states as model outputs and as the next layer's initial states.
    const seq = input({ shape: [null, 2], dtype: 'float64' });
    const encoder = cell.make(H, { returnState: true, dtype: 'float64' });
    const [summary, ...finals] = list(encoder.apply(seq));
    assert.equal([summary.shape, ...finals.map((s) => s.shape)], [[null, H], ...finals.map(() => [null, H])]);
    const decoder = cell.make(H, { returnSequences: true, dtype: 'float64' });
    const decoded = decoder.apply(seq, { initialState: finals });
    const m = new Model({ inputs: seq, outputs: [decoded, ...finals] });
    const x = randomNormal([B, 6, 2], 0, 1, 'float64');
    const [ys, ...hs] = m.predict(x);
    const [, ...eagerStates] = list(encoder.apply(x));
    hs.forEach((h, i) => close(`${cell.name} symbolic state ${i}`, h.data, eagerStates[i].data, SAME_MATH));
    close(`${cell.name} decoder from the encoder's states`, ys.data, (decoder.apply(x, { initialState: eagerStates }) as Tensor).data, SAME_MATH);
  });
}

test('initialState from a real tensor; gradients flow back into the initial state (eager)', () => {
  setSeed(11);
  const layer = new LSTM(3, { dtype: 'float64' });
  const x = randomNormal([2, 4, 2], 0, 1, 'float64');
  const h0 = randomNormal([2, 3], 0, 1, 'float64');
  const c0 = randomNormal([2, 3], 0, 1, 'float64');
  h0.requiresGrad = true;
  c0.requiresGrad = true;
  const y = layer.apply(x, { initialState: [h0, c0], training: true });
  y.backward(new Float64Array(y.size).fill(1));
  assert.ok(h0.grad && h0.grad.some((g) => g !== 0), 'h0 has a gradient');
  assert.ok(c0.grad && c0.grad.some((g) => g !== 0), 'c0 has a gradient');
});

test('Bidirectional: returnState gives the output then the forward states then the backward ones; initialState is split the same way', () => {
  setSeed(12);
  const layer = new Bidirectional(new LSTM(3, { returnState: true, returnSequences: true, dtype: 'float64' }));
  const x = randomNormal([2, 5, 2], 0, 1, 'float64');
  const [y, hf, cf, hb, cb] = layer.apply(x);
  assert.equal(y.shape, [2, 5, 6]);
  const [fy, fh, fc] = list(layer.forwardLayer.apply(x));
  const [, bh, bc] = list(layer.backwardLayer.apply(x));
  close('forward h', hf.data, fh.data, SAME_MATH);
  close('forward c', cf.data, fc.data, SAME_MATH);
  close('backward h', hb.data, bh.data, SAME_MATH);
  close('backward c', cb.data, bc.data, SAME_MATH);
  for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) {
    close(`merged [${b}, ${t}] starts with the forward output`, y.data.subarray((b * 5 + t) * 6, (b * 5 + t) * 6 + 3), fy.data.subarray((b * 5 + t) * 3, (b * 5 + t) * 3 + 3), SAME_MATH);
  }
  const init = [hf, cf, hb, cb].map(() => randomNormal([2, 3], 0, 1, 'float64'));
  const [, hf2, , hb2] = layer.apply(x, { initialState: init });
  close('forward from its initial states', hf2.data, list(layer.forwardLayer.apply(x, { initialState: init.slice(0, 2) }))[1].data, SAME_MATH);
  close('backward from its initial states', hb2.data, list(layer.backwardLayer.apply(x, { initialState: init.slice(2) }))[1].data, SAME_MATH);
  assert.throws(() => layer.apply(x, { initialState: init.slice(0, 2) }), /bidirectional \(Bidirectional\): initialState must hold 4 tensors, the forward layer's \[\(None, 3\), \(None, 3\)\] then the backward layer's \[\(None, 3\), \(None, 3\)\]; got 2/);
});

test('Bidirectional mergeMode null returns both outputs (the backward one in input order); concat is their join', () => {
  setSeed(13);
  const wrapped = new GRU(3, { returnSequences: true });
  const split = new Bidirectional(wrapped, { mergeMode: null });
  const joined = new Bidirectional(wrapped);
  const x = randomNormal([2, 4, 2]);
  const [forward, backward] = split.apply(x);
  joined.build([null, 4, 2]);
  joined.setWeights(split.getWeights());
  const both = joined.apply(x);
  for (let r = 0; r < 8; r++) {
    close(`row ${r} forward`, both.data.subarray(r * 6, r * 6 + 3), forward.data.subarray(r * 3, r * 3 + 3), FLOAT32);
    close(`row ${r} backward`, both.data.subarray(r * 6 + 3, r * 6 + 6), backward.data.subarray(r * 3, r * 3 + 3), FLOAT32);
  }
  const sym = split.apply(input({ shape: [4, 2] }));
  assert.equal(sym.map((t) => t.shape), [[null, 4, 3], [null, 4, 3]]);
});

test('masking still works with states: a padded, masked batch gives each sequence\'s own outputs and states', () => {
  setSeed(14);
  const seqs = [[4, 2, 7], [5, 1, 3, 8, 2], [9, 6]];
  const ids = input({ shape: [null] });
  const embedded = new Embedding(10, 3, { maskZero: true }).apply(ids);
  const [out, h, c] = new LSTM(4, { returnState: true }).apply(embedded);
  const [bi, ...biStates] = new Bidirectional(new GRU(3, { returnState: true })).apply(embedded);
  const m = new Model({ inputs: ids, outputs: [new Dense(2).apply(out), h, c, bi, ...biStates] });
  for (const padding of ['pre', 'post'] as const) {
    const batch = m.predict(padSequences(seqs, { maxlen: 6, padding }));
    seqs.forEach((s, i) => {
      const alone = m.predict(tensor([s]));
      alone.forEach((t, k) => {
        const width = t.shape[1];
        close(`${padding} padding, sequence ${i}, output ${k}`, batch[k].data.subarray(i * width, (i + 1) * width), t.data, FLOAT32);
      });
    });
  }
});

test('initialState of the wrong count or shape names the layer and the shapes it expects (symbolic and eager)', () => {
  const x = input({ shape: [5, 2] });
  const h = input({ shape: [4] });
  const wide = input({ shape: [6] });
  const lstm = new LSTM(4, { name: 'decoder' });
  assert.throws(() => lstm.apply(x, { initialState: [h] }),
    /decoder \(LSTM\) cannot be applied to .*: decoder \(LSTM\): initialState must be \[h, c\], 2 tensors of shape \(None, 4\); got 1: \(None, 4\)/);
  assert.throws(() => new GRU(4, { name: 'g' }).apply(x, { initialState: [wide] }),
    /g \(GRU\): initialState must be \[h\], 1 tensor of shape \(None, 4\); got 1: \(None, 6\)/);
  const eager = new SimpleRNN(3, { name: 's' });
  const data = randomNormal([2, 5, 2]);
  assert.throws(() => eager.apply(data, { initialState: [randomNormal([2, 3]), randomNormal([2, 3])] }),
    /s \(SimpleRNN\): initialState must be \[h\], 1 tensor of shape \(2, 3\); got 2: \(2, 3\), \(2, 3\)/);
  assert.throws(() => eager.apply(data, { initialState: [randomNormal([3, 3])] }), /s \(SimpleRNN\): initialState must be \[h\], 1 tensor of shape \(2, 3\); got 1: \(3, 3\)/);
  assert.throws(() => eager.apply(data, { initialState: randomNormal([2, 3]) as unknown as Tensor[] }), /s \(SimpleRNN\): initialState must be a list of tensors/);
  assert.throws(() => eager.apply(data, { initialState: [h] as unknown as Tensor[] }), /got symbolic and real tensors together/);
});

test.run();
