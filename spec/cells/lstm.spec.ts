/**
 * What only the LSTM has: one step against numbers worked by hand and by an
 * independent implementation, its parameter count and Keras's initial
 * weights (unit forget bias), and its trace following its own equations.
 * Everything the cells share is in cells.spec.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad, setSeed, tensor, type Tensor } from '../../autograd/index.ts';
import { LSTM as LSTM_CELL, LSTM_GATES, initLstmWeights, lstmParamCount, lstmSequence, lstmStep } from '../../cells/lstm.ts';
import { traceSequence } from '../../cells/sequence.ts';
import { assertClose } from '../autograd/expect.ts';
import { DIMS, LSTM_CONFIGS } from './configs.ts';
import { problem, runOn } from './harness.ts';
import { LSTM } from './under-test.ts';

/** Against numbers computed by hand (float64). */
const BY_HAND = 1e-14;
const { B, T, D, H } = DIMS;

test('lstm: one step against hand-computed numbers (D = 2, H = 2), and an independent implementation', () => {
  const xv = [0.5, -1.0];
  const h0v = [0.1, -0.2];
  const c0v = [0.3, 0.4];
  //            i1    i2    f1   f2    c1    c2    o1    o2
  const Wv = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8],
    [0.2, 0.1, -0.1, 0.05, 0.3, -0.3, 0.25, 0.15]];
  const Uv = [[0.5, -0.4, 0.2, 0.1, 0.3, 0.2, -0.6, 0.4],
    [-0.3, 0.2, 0.1, -0.5, 0.4, 0.1, 0.2, -0.2]];
  const bv = [0.1, 0.0, 1.0, 1.0, -0.1, 0.2, 0.0, 0.3];
  // By hand: z_k = x·W[:, k] + h0·U[:, k] + b_k; unit j reads columns j, 2+j, 4+j, 6+j.
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const zk = (k: number): number => xv[0] * Wv[0][k] + xv[1] * Wv[1][k] + h0v[0] * Uv[0][k] + h0v[1] * Uv[1][k] + bv[k];
  const expectH: number[] = [];
  const expectC: number[] = [];
  for (let j = 0; j < 2; j++) {
    const i = sig(zk(j));
    const f = sig(zk(2 + j));
    const g = Math.tanh(zk(4 + j));
    const o = sig(zk(6 + j));
    expectC.push(f * c0v[j] + i * g);
    expectH.push(o * Math.tanh(expectC[j]));
  }
  // What Python's math module computes from the same equations.
  const pythonH = [-0.03894929210465329, 0.24492273058969657];
  const pythonC = [-0.07805672818665416, 0.5974475783169192];
  const w = { kernel: tensor(Wv, undefined, 'float64'), recurrentKernel: tensor(Uv, undefined, 'float64'), bias: tensor(bv, undefined, 'float64') };
  const h0 = tensor([h0v], undefined, 'float64');
  const c0 = tensor([c0v], undefined, 'float64');
  const [h, c] = lstmStep(tensor([xv], undefined, 'float64'), [h0, c0], w);
  const seq = lstmSequence(tensor([[xv]], undefined, 'float64'), w, { initialState: [h0, c0] });
  for (const [what, got, byHand, python] of [
    ['lstmStep h', h.data, expectH, pythonH], ['lstmStep c', c.data, expectC, pythonC],
    ['lstmSequence output', seq.output.data, expectH, pythonH], ['lstmSequence final c', seq.states[1].data, expectC, pythonC],
  ] as const) {
    assertClose(`${what} vs by hand`, got, byHand, BY_HAND);
    assertClose(`${what} vs Python`, got, python, BY_HAND);
  }
});

test('lstm: parameter counts (D = H = 32: 8320, 8192 without bias)', () => {
  assert.is(LSTM_GATES, 4);
  assert.is(lstmParamCount(32, 32), 8320);
  assert.is(lstmParamCount(32, 32, false), 8192);
  const w = initLstmWeights(32, 32);
  assert.is(w.kernel.size + w.recurrentKernel.size + w.bias!.size, 8320);
  assert.equal(w.kernel.shape, [32, 128]);
  assert.equal(w.recurrentKernel.shape, [32, 128]);
  assert.equal(w.bias!.shape, [128]);
  assert.is(initLstmWeights(32, 32, { useBias: false }).bias, null);
});

test('lstm: initial weights follow Keras (unit forget bias, requiresGrad, orthogonal U rows)', () => {
  setSeed(7);
  const w = initLstmWeights(4, 3);
  assert.equal(Array.from(w.bias!.data), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.ok(w.kernel.requiresGrad && w.recurrentKernel.requiresGrad && w.bias!.requiresGrad);
  assert.equal(Array.from(initLstmWeights(4, 3, { unitForgetBias: false }).bias!.data), new Array(12).fill(0));
  assert.equal(Array.from(initLstmWeights(4, 3, { biasInitializer: 'ones' }).bias!.data), new Array(12).fill(1));
  // U [H, 4H] has orthonormal rows.
  const U = w.recurrentKernel.data;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 12; k++) dot += U[a * 12 + k] * U[b * 12 + k];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-6, `U rows ${a}, ${b}: dot ${dot}`);
    }
  }
  const limit = Math.sqrt(6 / (4 + 12));
  assert.ok(w.kernel.data.every((v) => Math.abs(v) <= limit), 'glorot-uniform limit');
});

test('lstm: the traced gates follow the equations: c = f ⊙ cPrev + i ⊙ g and h = o ⊙ tanh(c) at every unmasked step', () => {
  for (const name of ['returnSequences', 'mask', 'goBackwards', 'mask + initial states + goBackwards']) {
    const p = problem(LSTM, LSTM_CONFIGS.find((c) => c.name === name)!);
    const trace = traceSequence(LSTM_CELL, p.x, p.w, p.options);
    const c0 = p.options.initialState?.[1];
    const mask = p.options.mask;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (mask && mask[b * T + (p.options.goBackwards ? T - 1 - t : t)] === 0) continue;
        for (let j = 0; j < H; j++) {
          const at = (b * T + t) * H + j;
          const cPrev = t > 0 ? trace.c.data[at - H] : c0 ? c0.data[b * H + j] : 0;
          const c = trace.f.data[at] * cPrev + trace.i.data[at] * trace.g.data[at];
          assert.ok(Math.abs(c - trace.c.data[at]) < BY_HAND, `${name}: c at [${b},${t},${j}]`);
          assert.ok(Math.abs(trace.o.data[at] * Math.tanh(c) - trace.h.data[at]) < BY_HAND, `${name}: h at [${b},${t},${j}]`);
        }
      }
    }
  }
});

test('lstm: at a masked step the traced gates are what lstmStep computes from the carried states', () => {
  const p = problem(LSTM, LSTM_CONFIGS.find((c) => c.name === 'mask + initial states + goBackwards')!);
  const [h0, c0] = p.options.initialState!;
  const trace = traceSequence(LSTM_CELL, p.x, p.w, p.options);
  let masked = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (p.options.mask![b * T + (T - 1 - t)] !== 0) continue;
      const row = (s: Tensor, prev: Tensor): Tensor => tensor([Array.from({ length: H }, (_, j) => (t === 0 ? prev.data[b * H + j] : s.data[(b * T + t - 1) * H + j]))], undefined, 'float64');
      const xt = tensor([Array.from(p.x.data.subarray((b * T + T - 1 - t) * D, (b * T + T - t) * D))], undefined, 'float64');
      const cPrev = row(trace.c, c0);
      const [hStep, cStep] = noGrad(() => lstmStep(xt, [row(trace.h, h0), cPrev], p.w));
      for (let j = 0; j < H; j++) {
        const at = (b * T + t) * H + j;
        const c = trace.f.data[at] * cPrev.data[j] + trace.i.data[at] * trace.g.data[at];
        assert.ok(Math.abs(c - cStep.data[j]) < BY_HAND, `c from the traced gates at masked [${b},${t},${j}]: ${c} vs ${cStep.data[j]}`);
        assert.ok(Math.abs(trace.o.data[at] * Math.tanh(c) - hStep.data[j]) < BY_HAND, `h from the traced gates at masked [${b},${t},${j}]`);
      }
      masked++;
    }
  }
  assert.ok(masked > 0, 'the configuration has masked steps');
});

test('lstm: a bias of another shape is refused, naming it', () => {
  const p = problem(LSTM, { name: 'errors' });
  assert.throws(() => runOn(p, LSTM.fused, [p.x, p.w.kernel, p.w.recurrentKernel, tensor(new Float64Array(4 * H + 1), undefined, 'float64')]), /lstm: bias must be \[12\], got \[13\]/);
});

test.run();
