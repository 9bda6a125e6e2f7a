/**
 * What only the GRU has: both variants' step against numbers worked by hand
 * and by an independent implementation, the parameter counts and bias
 * layouts, and the trace following its equations. Everything the cells
 * share is in cells.spec.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad, setSeed, tensor, type FloatArray } from '../../autograd/index.ts';
import type { CellWeights } from '../../cells/common.ts';
import { GRU_GATES, gruCell, gruParamCount, gruSequence, gruStep, initGruWeights } from '../../cells/gru.ts';
import { traceSequence } from '../../cells/sequence.ts';
import { assertClose } from '../autograd/expect.ts';
import { DIMS, GRU_CONFIGS } from './configs.ts';
import { problem, runOn } from './harness.ts';
import { GRU, GRU_RESET_BEFORE } from './under-test.ts';

/** Against numbers computed by hand (float64). */
const BY_HAND = 1e-14;
const { B, T, D, H } = DIMS;
const VARIANTS = [GRU, GRU_RESET_BEFORE];
const resetAfterOf = (cell: typeof GRU): boolean => cell.key === 'gru';

test('gru: one step of each variant against hand-computed numbers (D = 2, H = 2), and an independent implementation', () => {
  const x = [0.5, -1.0];
  const hPrev = [0.3, -0.4];
  // Gate blocks z | r | h, two columns each.
  const W = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [0.7, 0.8, -0.9, 0.2, 0.1, -0.3]]; // [D, 3H]
  const U = [[0.2, -0.1, 0.4, 0.3, 0.5, -0.6], [-0.3, 0.6, 0.1, -0.2, 0.4, 0.2]]; // [H, 3H]
  const bx = [0.1, 0.2, -0.1, 0.05, 0.3, -0.2];
  const bh = [0.2, -0.1, 0.15, 0.1, -0.05, 0.25];
  const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
  const xW = (c: number): number => x[0] * W[0][c] + x[1] * W[1][c];
  const hU = (c: number, h = hPrev): number => h[0] * U[0][c] + h[1] * U[1][c];
  // resetAfter true: ĥ = tanh(x W_h + bx_h + r ⊙ (hPrev U_h + bh_h))
  const after = [0, 1].map((j) => {
    const z = sigmoid(xW(j) + bx[j] + hU(j) + bh[j]);
    const r = sigmoid(xW(2 + j) + bx[2 + j] + hU(2 + j) + bh[2 + j]);
    const hh = Math.tanh(xW(4 + j) + bx[4 + j] + r * (hU(4 + j) + bh[4 + j]));
    return z * hPrev[j] + (1 - z) * hh;
  });
  // resetAfter false (b = bx): ĥ = tanh(x W_h + b_h + (r ⊙ hPrev) U_h), which needs both units' r first
  const r = [0, 1].map((j) => sigmoid(xW(2 + j) + bx[2 + j] + hU(2 + j)));
  const before = [0, 1].map((j) => {
    const z = sigmoid(xW(j) + bx[j] + hU(j));
    const hh = Math.tanh(xW(4 + j) + bx[4 + j] + hU(4 + j, [r[0] * hPrev[0], r[1] * hPrev[1]]));
    return z * hPrev[j] + (1 - z) * hh;
  });
  // What Python's math module computes from the same equations.
  const python = { after: [0.08542521426194923, 0.17704858157655262], before: [0.10587145318961547, 0.04910251834331608] };
  for (const [resetAfter, byHand, independent] of [[true, after, python.after], [false, before, python.before]] as const) {
    const w: CellWeights = {
      kernel: tensor(W, undefined, 'float64'),
      recurrentKernel: tensor(U, undefined, 'float64'),
      bias: tensor(resetAfter ? [bx, bh] : bx, undefined, 'float64'),
    };
    const h0 = tensor([hPrev], undefined, 'float64');
    const step = gruStep(tensor([x], undefined, 'float64'), [h0], w, { resetAfter });
    const fused = gruSequence(tensor([[x]], undefined, 'float64'), w, { resetAfter, initialState: [h0] });
    for (const [what, got] of [['gruStep', step[0].data], ['gruSequence', fused.output.data], ['gruSequence h_T', fused.states[0].data]] as const) {
      assertClose(`resetAfter ${resetAfter} ${what} vs by hand`, got, byHand, BY_HAND);
      assertClose(`resetAfter ${resetAfter} ${what} vs Python`, got, independent, BY_HAND);
    }
  }
});

test('gru: parameter counts for D = H = 32 (Keras: 6336 with resetAfter, 6240 without)', () => {
  assert.is(gruParamCount(32, 32), 6336);
  assert.is(gruParamCount(32, 32, { resetAfter: true }), 6336);
  assert.is(gruParamCount(32, 32, { resetAfter: false }), 6240);
  assert.is(gruParamCount(32, 32, { useBias: false }), 6144);
  for (const resetAfter of [true, false]) {
    const w = initGruWeights(32, 32, { resetAfter });
    const total = w.kernel.size + w.recurrentKernel.size + (w.bias?.size ?? 0);
    assert.is(total, gruParamCount(32, 32, { resetAfter }), `initGruWeights (resetAfter ${resetAfter}) holds as many numbers as counted`);
  }
});

test('gru: initGruWeights: Keras shapes and defaults, every weight requires a gradient', () => {
  setSeed(7);
  const after = initGruWeights(D, H);
  assert.equal(after.kernel.shape, [D, GRU_GATES * H]);
  assert.equal(after.recurrentKernel.shape, [H, GRU_GATES * H]);
  assert.equal(after.bias?.shape, [2, GRU_GATES * H]);
  assert.is(after.kernel.dtype, 'float32');
  assert.ok([after.kernel, after.recurrentKernel, after.bias].every((t) => t?.requiresGrad === true));
  assert.ok(after.bias?.data.every((v) => v === 0), 'bias initializer defaults to zeros');
  // Orthogonal recurrent kernel: its H rows are orthonormal.
  const U = after.recurrentKernel.data;
  for (let i = 0; i < H; i++) {
    for (let k = 0; k < H; k++) {
      let dot = 0;
      for (let c = 0; c < GRU_GATES * H; c++) dot += U[i * GRU_GATES * H + c] * U[k * GRU_GATES * H + c];
      assert.ok(Math.abs(dot - (i === k ? 1 : 0)) < 1e-5, `U rows ${i}, ${k}: dot ${dot}`);
    }
  }
  const before = initGruWeights(D, H, { resetAfter: false, dtype: 'float64', biasInitializer: 'ones' });
  assert.equal(before.bias?.shape, [GRU_GATES * H]);
  assert.is(before.kernel.dtype, 'float64');
  assert.ok(before.bias?.data.every((v) => v === 1));
  assert.is(initGruWeights(D, H, { useBias: false }).bias, null);
});

test('gru: the traced gates follow the equations: z, r in (0, 1) and h = z ⊙ hPrev + (1 − z) ⊙ ĥ at every unmasked step', () => {
  for (const cell of VARIANTS) {
    for (const name of ['returnSequences', 'goBackwards', 'everything']) {
      const p = problem(cell, GRU_CONFIGS.find((c) => c.name === name)!);
      const trace = traceSequence(gruCell(resetAfterOf(cell)), p.x, p.w, p.options);
      const h0 = p.options.initialState?.[0];
      const { mask, goBackwards } = p.options;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const m = mask ? mask[b * T + (goBackwards ? T - 1 - t : t)] : 1;
          for (let j = 0; j < H; j++) {
            const i = (b * T + t) * H + j;
            const hPrev = t > 0 ? trace.h.data[i - H] : h0 ? h0.data[b * H + j] : 0;
            const z = trace.z.data[i];
            if (m === 1) assert.ok(Math.abs(trace.h.data[i] - (z * hPrev + (1 - z) * trace.hh.data[i])) < BY_HAND, `${cell.key} ${name}: h at [${b},${t},${j}] from z, ĥ`);
            for (const g of ['z', 'r'] as const) assert.ok(trace[g].data[i] > 0 && trace[g].data[i] < 1, `${g} is a sigmoid`);
          }
        }
      }
    }
  }
});

test('gru: at a masked step the traced z, r, ĥ are what gruStep computes from the carried state', () => {
  for (const cell of VARIANTS) {
    const resetAfter = resetAfterOf(cell);
    const p = problem(cell, GRU_CONFIGS.find((c) => c.name === 'mask')!);
    const trace = traceSequence(gruCell(resetAfter), p.x, p.w, p.options);
    let masked = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (p.options.mask![b * T + t] !== 0) continue;
        const hPrev = tensor([Array.from({ length: H }, (_, j) => (t === 0 ? 0 : trace.h.data[(b * T + t - 1) * H + j]))], undefined, 'float64');
        const xt = tensor([Array.from(p.x.data.subarray((b * T + t) * D, (b * T + t + 1) * D))], undefined, 'float64');
        const [hStep] = noGrad(() => gruStep(xt, [hPrev], p.w, { resetAfter }));
        const fresh: FloatArray = new Float64Array(H).map((_, j) => {
          const i = (b * T + t) * H + j;
          return trace.z.data[i] * hPrev.data[j] + (1 - trace.z.data[i]) * trace.hh.data[i];
        });
        assertClose(`resetAfter ${resetAfter}: h from the traced gates at masked [${b},${t}]`, fresh, hStep.data, BY_HAND);
        masked++;
      }
    }
    assert.ok(masked > 0);
  }
});

test('gru: a bias of the other variant\'s layout is refused, naming both', () => {
  for (const cell of VARIANTS) {
    const resetAfter = resetAfterOf(cell);
    const p = problem(cell, { name: 'errors' });
    const other = initGruWeights(D, H, { resetAfter: !resetAfter, dtype: 'float64' }).bias!;
    for (const run of [cell.fused, cell.reference]) {
      assert.throws(() => runOn(p, run, [p.x, p.w.kernel, p.w.recurrentKernel, other]), resetAfter
        ? /gru: bias must be \[2, 3H\] = \[2,9\] when resetAfter is true, got \[9\] \(the layout of resetAfter false\)/
        : /gru: bias must be \[3H\] = \[9\] when resetAfter is false, got \[2,9\] \(the layout of resetAfter true\)/);
    }
  }
});

test.run();
