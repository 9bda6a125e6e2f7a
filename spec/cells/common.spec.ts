/**
 * The shared machinery of the cells on its own: the exponential and the
 * activations the gate loops call, the workspace's plan sizes, block views,
 * packed operands and float64 buffers, and the products with dropout masks
 * (projection.ts) against the same sums written element by element. (The
 * cells' specs prove them again inside the fused passes.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blockNorms, expOf, gemmNaive, gemmPacked, randomNormal, setSeed, sigmoidOf, tensor, uniform, type FloatArray } from '../../autograd/index.ts';
import { ACTIVATIONS, Workspace } from '../../cells/common.ts';
import { Projection, maskLayout } from '../../cells/projection.ts';
import { assertClose } from '../autograd/expect.ts';

/** Named tolerance: the same float64 sums in another order. */
const SUMS = 1e-12;

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

test('the hard sigmoids: clip(0.2x + 0.5, 0, 1) (TF.js, Keras ≤ 2) and relu6(x + 3) / 6 (Keras 3), their derivatives from the output, and their ops', () => {
  for (const [name, slope] of [['hard_sigmoid', 0.2], ['hard_sigmoid_keras3', 1 / 6]] as const) {
    const f = ACTIVATIONS[name];
    const at = (x: number): number => Math.min(1, Math.max(0, slope * x + 0.5));
    const xs = [-4, -3, -2.5, -1, 0, 0.75, 2.5, 3, 4];
    assertClose(`${name}`, xs.map(f.apply), xs.map(at), 1e-15);
    assertClose(`${name} op`, f.op(tensor(xs, [xs.length], 'float64')).data, xs.map(at), 1e-15);
    assert.equal([f.derivative(0), f.derivative(0.5), f.derivative(1)], [0, slope, 0], `${name}': the slope inside (0, 1), 0 where clipped`);
  }
  assert.is(ACTIVATIONS.hard_sigmoid.apply(2), 0.9, 'the two differ: 0.2·2 + 0.5');
  assert.is(ACTIVATIONS.hard_sigmoid_keras3.apply(2), 5 / 6, 'and (2 + 3) / 6');
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

test('a product with masks = the sums written out, for no mask, one shared mask and a mask per block; blocks read and written in place', () => {
  setSeed('products');
  // rows = T·B with T = 3, B = 2; W [K, 4H] of which the product takes blocks 1 and 2; out [rows, 3H] from column H; dOut [rows, 5H] from column 2H.
  const [B, rows, K, H] = [2, 6, 3, 2];
  const [colsW, first, count, outCols, outStart, gradCols, gradStart] = [4 * H, 1, 2, 3 * H, H, 5 * H, 2 * H];
  const data = (n: number): FloatArray => randomNormal([n], 0, 1, 'float64').data;
  const a = data(rows * K); // [rows, K]
  const W = data(K * colsW);
  const dOut = data(rows * gradCols);
  const m0 = data(B * K);
  const layouts = { none: null, shared: [m0, m0], perBlock: [m0, data(B * K)] };
  for (const [layout, masks] of Object.entries(layouts)) {
    assert.is(maskLayout(masks), layout);
    const aMasked = (r: number, k: number, g: number): number => a[r * K + k] * (masks ? masks[g][(r % B) * K + k] : 1);
    const w = (k: number, g: number, j: number): number => W[k * colsW + (first + g) * H + j];
    for (const packIn of [null, { workspace: new Workspace(), name: 'u' }]) {
      const what = `${layout}${packIn ? ', packed' : ''}`;
      const p = new Projection({
        W, K, colsW, H, first, count, masks, B, outCols, outStart, gradCols, gradStart,
        scratchK: new Float64Array(rows * K), scratchH: new Float64Array(rows * H), packIn,
      });
      const out = new Float64Array(rows * outCols).fill(9); // products add; the other columns stay untouched
      p.forward(out, a, rows);
      const outWant = new Float64Array(rows * outCols).fill(9);
      for (let g = 0; g < count; g++) {
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < H; j++) {
            let sum = 0;
            for (let k = 0; k < K; k++) sum += aMasked(r, k, g) * w(k, g, j);
            outWant[r * outCols + outStart + g * H + j] += sum;
          }
        }
      }
      assertClose(`${what}: out[:, g] += (a ⊙ m_g) W_g`, out, outWant, SUMS);

      p.packTransposed();
      const dA = new Float64Array(rows * K).fill(1); // gradients add
      p.gradInput(dA, dOut, rows);
      const dAWant = new Float64Array(rows * K).fill(1);
      for (let g = 0; g < count; g++) {
        for (let r = 0; r < rows; r++) {
          for (let k = 0; k < K; k++) {
            let sum = 0;
            for (let j = 0; j < H; j++) sum += dOut[r * gradCols + gradStart + g * H + j] * w(k, g, j);
            dAWant[r * K + k] += sum * (masks ? masks[g][(r % B) * K + k] : 1);
          }
        }
      }
      assertClose(`${what}: dA += Σ_g (dOut_g W_gᵀ) ⊙ m_g`, dA, dAWant, SUMS);

      const dW = new Float64Array(K * colsW).fill(1);
      p.gradWeight(dW, a, dOut, rows);
      const dWWant = new Float64Array(K * colsW).fill(1);
      for (let g = 0; g < count; g++) {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < H; j++) {
            let sum = 0;
            for (let r = 0; r < rows; r++) sum += aMasked(r, k, g) * dOut[r * gradCols + gradStart + g * H + j];
            dWWant[k * colsW + (first + g) * H + j] += sum;
          }
        }
      }
      assertClose(`${what}: dW_g += (a ⊙ m_g)ᵀ dOut_g`, dW, dWWant, SUMS);
    }
  }
});

test('workspace.float64: a float64 buffer per name, reused while large enough', () => {
  const ws = new Workspace();
  const a = ws.float64('d', 6);
  assert.ok(a instanceof Float64Array && a.length === 6);
  assert.is(ws.float64('d', 4).buffer, a.buffer, 'the same storage for a smaller size');
  assert.is.not(ws.float64('e', 4).buffer, a.buffer, 'one storage per name');
  assert.is(ws.allocations, 0, 'not a plan');
});

test('workspace.pack: op(b) packed once for gemmPacked, its storage reused per name', () => {
  setSeed('pack');
  const [m, k, n] = [5, 4, 6];
  const a = randomNormal([m * k], 0, 1, 'float64').data;
  const b = randomNormal([n * k], 0, 1, 'float64').data; // [n, k]: op(b) = bᵀ
  const ws = new Workspace();
  const packed = ws.pack('u', b, k, n, { transB: true });
  const expected = gemmNaive(new Float64Array(m * n), a, b, m, k, n, { transB: true });
  assertClose('gemmPacked(a, pack(bᵀ))', gemmPacked(new Float64Array(m * n), a, packed, m), expected, SUMS);
  assert.is(ws.pack('u', b, k, n, { transB: true }).data, packed.data, 'the same storage on the next call');
  assert.is.not(ws.pack('v', b, k, n, { transB: true }).data, packed.data, 'one storage per name');
});

test('blockNorms: the norm of each block', () => {
  const norms = blockNorms(new Float64Array(2), Float64Array.from([3, 4, 0, 1, 2, 2]), 2, 3);
  assertClose('norms', norms, [5, 3], 0);
});

test.run();
