/**
 * What only SimpleRNN has: steps worked by hand (with dropout masks, over two
 * steps both ways, and under a mask), its parameter count and initial
 * weights, and its shape errors. Everything the cells share is in cells.spec.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../../autograd/ops.ts';
import { Tensor, setSeed, tensor } from '../../autograd/index.ts';
import type { CellWeights } from '../../cells/common.ts';
import { SIMPLE_RNN_GATES, initSimpleRnnWeights, simpleRnnParamCount, simpleRnnSequence, simpleRnnStep } from '../../cells/simple-rnn.ts';
import { assertClose } from '../autograd/expect.ts';
import { problem } from './harness.ts';
import { SIMPLE_RNN } from './under-test.ts';

/** Against numbers computed by hand (float64). */
const BY_HAND = 1e-15;

// D = 2, H = 2, B = 1. W [2, 2], U [2, 2], b [2] written out.
const W = [[0.1, -0.2], [0.3, 0.4]];
const U = [[0.5, 0.1], [-0.3, 0.2]];
const b = [0.05, -0.1];
const tinyWeights = (): CellWeights => ({
  kernel: tensor(W, undefined, 'float64'),
  recurrentKernel: tensor(U, undefined, 'float64'),
  bias: tensor(b, undefined, 'float64'),
});

test('simpleRnn: one step by hand: h = tanh(xW + b + hPrev U)', () => {
  const x = tensor([[0.5, -1.0]], undefined, 'float64');
  const hPrev = tensor([[0.2, -0.4]], undefined, 'float64');
  const [h] = simpleRnnStep(x, [hPrev], tinyWeights());
  // z_0 = 0.5·0.1 + (−1)·0.3 + 0.05 + 0.2·0.5 + (−0.4)·(−0.3) = 0.02
  // z_1 = 0.5·(−0.2) + (−1)·0.4 − 0.1 + 0.2·0.1 + (−0.4)·0.2 = −0.66
  assertClose('step h', h.data, [Math.tanh(0.02), Math.tanh(-0.66)], BY_HAND);
  const fused = simpleRnnSequence(tensor([[[0.5, -1.0]]], undefined, 'float64'), tinyWeights(), { initialState: [hPrev] });
  assertClose('fused, T = 1', fused.output.data, [Math.tanh(0.02), Math.tanh(-0.66)], BY_HAND);
});

test('simpleRnn: one step by hand with dropout masks and a sigmoid activation', () => {
  const x = tensor([[0.5, -1.0]], undefined, 'float64');
  const hPrev = tensor([[0.2, -0.4]], undefined, 'float64');
  const masks = { input: [new Float64Array([2, 0])], recurrent: [new Float64Array([0, 1.25])] };
  const [h] = simpleRnnStep(x, [hPrev], tinyWeights(), { activation: 'sigmoid', masks });
  // x ⊙ m_x = [1, 0], hPrev ⊙ m_h = [0, −0.5]
  // z_0 = 1·0.1 + 0.05 + (−0.5)·(−0.3) = 0.3;  z_1 = 1·(−0.2) − 0.1 + (−0.5)·0.2 = −0.4
  const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
  assertClose('step h', h.data, [sigma(0.3), sigma(-0.4)], BY_HAND);
  const fused = simpleRnnSequence(tensor([[[0.5, -1.0]]], undefined, 'float64'), tinyWeights(), {
    initialState: [hPrev], activation: 'sigmoid', dropoutMasks: masks,
  });
  assertClose('fused, T = 1', fused.output.data, [sigma(0.3), sigma(-0.4)], BY_HAND);
});

test('simpleRnn: two steps by hand, forwards and backwards', () => {
  const x = tensor([[[0.5, -1.0], [0.25, 0.75]]], undefined, 'float64');
  // Forwards from h0 = 0: z1 = x1 W + b, h1 = tanh(z1); z2 = x2 W + b + h1 U.
  const h1 = [Math.tanh(0.5 * 0.1 - 1.0 * 0.3 + 0.05), Math.tanh(0.5 * -0.2 - 1.0 * 0.4 - 0.1)];
  const h2 = [
    Math.tanh(0.25 * 0.1 + 0.75 * 0.3 + 0.05 + h1[0] * 0.5 + h1[1] * -0.3),
    Math.tanh(0.25 * -0.2 + 0.75 * 0.4 - 0.1 + h1[0] * 0.1 + h1[1] * 0.2),
  ];
  const forwards = simpleRnnSequence(x, tinyWeights(), { returnSequences: true });
  assertClose('outputs', forwards.output.data, [...h1, ...h2], BY_HAND);
  assertClose('final h', forwards.states[0].data, h2, BY_HAND);
  // Backwards: the second step of x comes first, outputs in processing order.
  const g1 = [Math.tanh(0.25 * 0.1 + 0.75 * 0.3 + 0.05), Math.tanh(0.25 * -0.2 + 0.75 * 0.4 - 0.1)];
  const g2 = [
    Math.tanh(0.5 * 0.1 - 1.0 * 0.3 + 0.05 + g1[0] * 0.5 + g1[1] * -0.3),
    Math.tanh(0.5 * -0.2 - 1.0 * 0.4 - 0.1 + g1[0] * 0.1 + g1[1] * 0.2),
  ];
  const backwards = simpleRnnSequence(x, tinyWeights(), { returnSequences: true, goBackwards: true });
  assertClose('outputs (goBackwards)', backwards.output.data, [...g1, ...g2], BY_HAND);
});

test('simpleRnn: masking by hand: masked first steps output zeros while the state carries h0; masked later steps repeat', () => {
  const x = tensor([[[0.5, -1.0], [0.25, 0.75], [-0.6, 0.1]]], undefined, 'float64');
  const h0 = tensor([[0.2, -0.4]], undefined, 'float64');
  const r = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 1, 0]), returnSequences: true });
  // Step 1 masked: output 0, state h0. Step 2 runs from h0. Step 3 masked: repeats step 2.
  const z = [0.25 * 0.1 + 0.75 * 0.3 + 0.05 + 0.2 * 0.5 + -0.4 * -0.3, 0.25 * -0.2 + 0.75 * 0.4 - 0.1 + 0.2 * 0.1 + -0.4 * 0.2];
  const h2 = z.map(Math.tanh);
  assertClose('outputs', r.output.data, [0, 0, ...h2, ...h2], BY_HAND);
  assertClose('final h', r.states[0].data, h2, BY_HAND);
  const last = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 1, 0]) });
  assertClose('last output = last unmasked output', last.output.data, h2, BY_HAND);
  const none = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 0, 0]) });
  assertClose('fully masked: output', none.output.data, [0, 0], 0);
  assertClose('fully masked: state = h0', none.states[0].data, h0.data, 0);
});

test('simpleRnn: parameter counts: D = H = 32 gives 2080 (Keras), 2048 without bias', () => {
  assert.is(simpleRnnParamCount(32, 32), 2080);
  assert.is(simpleRnnParamCount(32, 32, false), 2048);
  assert.is(32 * 10000 + simpleRnnParamCount(32, 32), 322080); // Embedding(10000, 32) + SimpleRNN(32)
  assert.is(SIMPLE_RNN_GATES, 1);
});

test('simpleRnn: initSimpleRnnWeights: Keras shapes and defaults, all requiring gradients', () => {
  setSeed(7);
  const w = initSimpleRnnWeights(5, 3);
  assert.equal(w.kernel.shape, [5, 3]);
  assert.equal(w.recurrentKernel.shape, [3, 3]);
  assert.equal(w.bias?.shape, [3]);
  assert.is(w.kernel.dtype, 'float32');
  assert.ok(w.kernel.requiresGrad && w.recurrentKernel.requiresGrad && w.bias?.requiresGrad);
  assert.ok(w.bias!.data.every((v) => v === 0), 'bias starts at zero');
  const limit = Math.sqrt(6 / (5 + 3));
  assert.ok(w.kernel.data.every((v) => Math.abs(v) <= limit), 'glorot-uniform kernel within its limit');
  // Orthogonal U: U Uᵀ = I.
  const uut = ops.matmul(w.recurrentKernel, w.recurrentKernel, false, true);
  assertClose('U Uᵀ', uut.data, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-6);
  const plain = initSimpleRnnWeights(4, 2, { useBias: false, dtype: 'float64', kernelInitializer: 'zeros' });
  assert.is(plain.bias, null);
  assert.is(plain.kernel.dtype, 'float64');
  assert.ok(plain.kernel.data.every((v) => v === 0));
});

test('simpleRnn: weights of other shapes are refused, naming the shapes', () => {
  const { x, w } = problem(SIMPLE_RNN, { name: 'errors' });
  for (const run of [SIMPLE_RNN.fused, SIMPLE_RNN.reference]) {
    assert.throws(() => run(x, { ...w, bias: new Tensor(new Float64Array(4), [4]) }, {}), /simpleRnn: bias must be \[3\], got \[4\]/);
    assert.throws(() => run(x, { ...w, recurrentKernel: new Tensor(new Float64Array(6), [3, 2]) }, {}), /simpleRnn: recurrentKernel must be \[H, H\], got \[3,2\]/);
  }
});

test.run();
