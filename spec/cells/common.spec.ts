/**
 * The shared machinery of the cells on its own: the exponential and the
 * activations the gate loops call, the workspace's plan sizes, block views
 * and packed operands, and the gate-block products of per-gate dropout
 * against the same sums written element by element. (The cells' specs prove
 * them again inside the fused passes.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Tensor, addBlockProduct, blockNorms, expOf, gemmNaive, gemmPacked, noGrad, randomNormal, setSeed, sigmoidOf, uniform, type FloatArray,
} from '../../autograd/index.ts';
import {
  ACTIVATIONS, INFER_CHUNK, Workspace, drawDropoutMasks, type CellWeights, type SequenceOptions, type SequenceResult, addMaskedGateGradients, addMaskedGateWeightGradients, gateBlocks, addMaskedGateProducts,
} from '../../cells/common.ts';
import { initGruWeights, gruSequence } from '../../cells/gru.ts';
import { initLstmWeights, lstmSequence } from '../../cells/lstm.ts';
import { initSimpleRnnWeights, simpleRnnSequence } from '../../cells/simple-rnn.ts';

/** Named tolerance: the same float64 sums in another order. */
const SUMS = 1e-12;

function assertClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  assert.is(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let i = 1; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= Math.abs(actual[worst] - expected[worst]))) worst = i;
  }
  const d = Math.abs(actual[worst] - expected[worst]);
  assert.ok(d <= tolerance, `${what}: worst [${worst}] ${actual[worst]} vs ${expected[worst]} (|diff| ${d.toExponential(2)} > ${tolerance})`);
}

/** Named tolerances of expOf and of the activations built on it, in units of 2⁻⁵² (one ulp of 1). */
const EXP_ULPS = 2; //     expOf against Math.exp, relative, over the normal range
const SIGMOID_ULPS = 4; // σ against ops.sigmoidOf, relative, for v ≥ −708 (below, σ < 10⁻³⁰⁸)
const TANH_ULPS = 2; //    tanh against Math.tanh, absolute
const ULP = 2 ** -52;

/** Random points over [−w, w] for each width, then the given edges. */
function samples(widths: readonly number[], perWidth: number, edges: readonly number[]): number[] {
  const xs = widths.flatMap((w) => Array.from({ length: perWidth }, () => uniform(-w, w)));
  return xs.concat(edges);
}

test('expOf is within 2 ulp of Math.exp, with its limits (0, ∞, NaN) and denormals within one step', () => {
  setSeed('expOf');
  const edges = [0, -0, 1e-300, -1e-300, 1, -1, 88.7, -87.3, 709.78, 709.79, -708.4, -708.3, -745, -745.2, -746, -1e4, 1e4];
  let worst = 0;
  let worstAt = NaN;
  for (const x of samples([1, 30, 750], 40000, edges)) {
    const expected = Math.exp(x);
    const got = expOf(x);
    if (expected === Infinity || expected < 2 ** -1022) {
      // Beyond the largest float64 both are ∞; below the smallest normal, one denormal step (2⁻¹⁰⁷⁴) apart at most.
      const ok = expected === Infinity ? got === Infinity : Math.abs(got - expected) <= 2 ** -1074;
      assert.ok(ok, `expOf(${x}) = ${got}, Math.exp gives ${expected}`);
      continue;
    }
    const err = Math.abs(got - expected) / (expected * ULP);
    if (!(err <= worst)) [worst, worstAt] = [err, x];
  }
  assert.ok(worst <= EXP_ULPS, `expOf: worst at x = ${worstAt}: ${expOf(worstAt)} vs Math.exp ${Math.exp(worstAt)} (${worst.toFixed(2)} ulp > ${EXP_ULPS})`);
  assert.is(expOf(Infinity), Infinity);
  assert.is(expOf(-Infinity), 0);
  assert.ok(Number.isNaN(expOf(NaN)));
});

test('the gate activations: σ and tanh from expOf agree with ops.sigmoidOf and Math.tanh', () => {
  setSeed('activations');
  const sigmoid = ACTIVATIONS.sigmoid.apply;
  const tanh = ACTIVATIONS.tanh.apply;
  const edges = [0, 1e-12, -1e-12, 20, -20, 40, -40, 354, -354, 700, -700, 800, -800];
  let worstS = 0;
  let worstSAt = NaN;
  let worstT = 0;
  let worstTAt = NaN;
  for (const v of samples([1, 10, 100, 1000], 20000, edges)) {
    if (v >= -708) {
      const err = Math.abs(sigmoid(v) - sigmoidOf(v)) / (sigmoidOf(v) * ULP);
      if (!(err <= worstS)) [worstS, worstSAt] = [err, v];
    } else {
      assert.ok(sigmoid(v) >= 0 && sigmoid(v) < 1e-307, `σ(${v}) = ${sigmoid(v)}`);
    }
    const err = Math.abs(tanh(v) - Math.tanh(v)) / ULP;
    if (!(err <= worstT)) [worstT, worstTAt] = [err, v];
  }
  assert.ok(worstS <= SIGMOID_ULPS, `σ: worst at v = ${worstSAt}: ${sigmoid(worstSAt)} vs ${sigmoidOf(worstSAt)} (${worstS.toFixed(2)} ulp relative > ${SIGMOID_ULPS})`);
  assert.ok(worstT <= TANH_ULPS, `tanh: worst at v = ${worstTAt}: ${tanh(worstTAt)} vs ${Math.tanh(worstTAt)} (${worstT.toFixed(2)} ulp of 1 > ${TANH_ULPS})`);
  assert.equal([sigmoid(800), sigmoid(-800), tanh(800), tanh(-800)], [1, 0, 1, -1]);
  assert.ok(Number.isNaN(sigmoid(NaN)) && Number.isNaN(tanh(NaN)));
});

test('workspace: sizesOf shows the plan a name holds now; blocks are cut once per buffer and layout', () => {
  const ws = new Workspace();
  assert.is(ws.sizesOf('cell:train', 'float64'), null);
  const plan = ws.plan('cell:train', 'float64', { a: 6, b: 4 });
  assert.equal(ws.sizesOf('cell:train', 'float64'), { a: 6, b: 4 });
  assert.is(ws.sizesOf('cell:train', 'float32'), null, 'one plan per dtype');
  const steps = ws.blocks(plan.a, 3, 2);
  assert.is(ws.blocks(plan.a, 3, 2), steps, 'the same views on the next call');
  steps[1][0] = 7;
  assert.is(plan.a[2], 7, 'views alias the plan buffer');
  const shifted = ws.blocks(plan.a, 2, 2, 2, 2); // blocks 1 and 2
  assert.is(shifted[0][0], 7);
  const same = ws.blocks(plan.b, 3, 4, 0); // stride 0: one block seen three times
  same[0][3] = 5;
  assert.is(same[2][3], 5);
  ws.plan('cell:train', 'float64', { a: 8, b: 4 });
  assert.equal(ws.sizesOf('cell:train', 'float64'), { a: 8, b: 4 }, 'a new shape replaces the plan');
  assert.is(ws.allocations, 2);
});

test('gate-block products with a mask per gate = the sums written out (G = 2 of 3 blocks, as GRU resetAfter false)', () => {
  setSeed('gate blocks');
  const [B, rows, K, H, gates, cols] = [2, 6, 3, 2, 2, 3 * 2]; // rows = T·B with T = 3
  const data = (n: number): FloatArray => randomNormal([n], 0, 1, 'float64').data;
  const a = data(rows * K); // [rows, K]
  const masks = [data(B * K), data(B * K)]; // [B, K] each
  const w = data(K * cols); // [K, cols]: the blocks side by side
  const dOut = data(rows * cols); // [rows, cols]
  const wBlocks = gateBlocks([0, 1, 2].map(() => new Float64Array(K * H)), w, K, H, 3); // all three blocks; the products use two
  const aMasked = (r: number, k: number, g: number): number => a[r * K + k] * masks[g][(r % B) * K + k];

  const out = new Float64Array(rows * cols).fill(9); // products add; the third block must stay untouched
  addMaskedGateProducts(out, new Float64Array(rows * K), new Float64Array(rows * H), a, masks, wBlocks, rows, B, K, H, cols, gates);
  const expected = new Float64Array(rows * cols).fill(9);
  for (let g = 0; g < gates; g++) {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += aMasked(r, k, g) * w[k * cols + g * H + j];
        expected[r * cols + g * H + j] += sum;
      }
    }
  }
  assertClose('out[:, g] += (a ⊙ m_g) W_g', out, expected, SUMS);

  const dA = new Float64Array(rows * K).fill(1); // gradients add
  addMaskedGateGradients(dA, new Float64Array(rows * H), new Float64Array(rows * K), dOut, masks, wBlocks, rows, B, K, H, cols, gates);
  const dAExpected = new Float64Array(rows * K).fill(1);
  for (let g = 0; g < gates; g++) {
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < K; k++) {
        let sum = 0;
        for (let j = 0; j < H; j++) sum += dOut[r * cols + g * H + j] * w[k * cols + g * H + j];
        dAExpected[r * K + k] += sum * masks[g][(r % B) * K + k];
      }
    }
  }
  assertClose('dA += Σ_g (dOut_g W_gᵀ) ⊙ m_g', dA, dAExpected, SUMS);

  const dW = new Float64Array(K * cols).fill(1);
  addMaskedGateWeightGradients(dW, new Float64Array(rows * K), new Float64Array(rows * H), new Float64Array(K * H), a, masks, dOut, rows, B, K, H, cols, gates);
  const dWExpected = new Float64Array(K * cols).fill(1);
  for (let g = 0; g < gates; g++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum += aMasked(r, k, g) * dOut[r * cols + g * H + j];
        dWExpected[k * cols + g * H + j] += sum;
      }
    }
  }
  assertClose('dW_g += (a ⊙ m_g)ᵀ dOut_g', dW, dWExpected, SUMS);

  // The whole width is one gemm, without the scratch.
  const whole = new Float64Array(K * cols);
  addBlockProduct(whole, new Float64Array(0), new Float64Array(0), a, dOut, rows, K, cols, 0, cols);
  const wholeExpected = new Float64Array(K * cols);
  for (let k = 0; k < K; k++) for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) wholeExpected[k * cols + c] += a[r * K + k] * dOut[r * cols + c];
  assertClose('aᵀ dOut over the whole width', whole, wholeExpected, SUMS);
});

test('workspace.pack: op(b) packed once for gemmPacked, its storage reused per name', () => {
  setSeed('pack');
  const [m, k, n] = [5, 4, 6];
  const a = randomNormal([m * k], 0, 1, 'float64').data;
  const b = randomNormal([n * k], 0, 1, 'float64').data; // [n, k]: op(b) = bᵀ
  const ws = new Workspace();
  const packed = ws.pack('u', b, k, n, true);
  const expected = gemmNaive(new Float64Array(m * n), a, b, m, k, n, false, true);
  assertClose('gemmPacked(a, pack(bᵀ))', gemmPacked(new Float64Array(m * n), a, packed, m), expected, SUMS);
  assert.is(ws.pack('u', b, k, n, true).data, packed.data, 'the same storage on the next call');
  assert.is.not(ws.pack('v', b, k, n, true).data, packed.data, 'one storage per name');
});

test('blockNorms: the norm of each block', () => {
  const norms = blockNorms(new Float64Array(2), Float64Array.from([3, 4, 0, 1, 2, 2]), 2, 3);
  assertClose('norms', norms, [5, 3], 0);
});

test.run();

test('chunked inference (T = 2·INFER_CHUNK + 5, several chunks, the last partial) matches the training forward bit for bit', () => {
  const [B, D, H] = [3, 4, 5];
  const T = 2 * INFER_CHUNK + 5;
  const cells: [string, number, (D: number, H: number) => CellWeights, (x: Tensor, w: CellWeights, o: SequenceOptions) => SequenceResult][] = [
    ['simpleRnn', 1, (d, h) => initSimpleRnnWeights(d, h, { dtype: 'float64' }), simpleRnnSequence],
    ['lstm', 4, (d, h) => initLstmWeights(d, h, { dtype: 'float64' }), lstmSequence],
    ['gru', 3, (d, h) => initGruWeights(d, h, { dtype: 'float64' }), gruSequence],
    ['gru', 3, (d, h) => initGruWeights(d, h, { dtype: 'float64', resetAfter: false }), (x, w, o) => gruSequence(x, w, { ...o, resetAfter: false })],
  ];
  for (const [name, gates, init, run] of cells) {
    for (const dropout of ['none', 'shared', 'perGate'] as const) {
      if (name === 'simpleRnn' && dropout === 'perGate') continue;
      setSeed(`chunks ${name} ${dropout}`);
      const w = init(D, H);
      const x = randomNormal([B, T, D], 0, 1, 'float64');
      const mask = new Float64Array(B * T).map((_, k) => (k % 7 === 3 ? 0 : 1));
      const options: SequenceOptions = { goBackwards: true, returnSequences: true, mask, initialState: undefined };
      if (dropout !== 'none') options.dropoutMasks = drawDropoutMasks(name, B, D, H, gates, 0.3, dropout === 'perGate' ? 0.2 : 0, 'float64');
      const inferred = noGrad(() => run(x, w, { ...options, workspace: new Workspace() }));
      x.requiresGrad = true;
      const trained = run(x, w, { ...options, workspace: new Workspace() });
      assert.ok(trained.output.node !== null, 'the training plan ran');
      const label = `${name} (${dropout} input masks)`;
      assertClose(`${label} output`, inferred.output.data, trained.output.data, 0);
      for (let s = 0; s < trained.states.length; s++) assertClose(`${label} state ${s}`, inferred.states[s].data, trained.states[s].data, 0);
    }
  }
});
