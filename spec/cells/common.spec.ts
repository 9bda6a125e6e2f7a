/**
 * The shared machinery of the cells on its own: the workspace's plan sizes
 * and block views, and the gate-block products of per-gate dropout against
 * the same sums written element by element. (The cells' specs prove them
 * again inside the fused passes.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addBlockProduct, blockNorms, randomNormal, setSeed, type FloatArray } from '../../autograd/index.ts';
import {
  Workspace, addMaskedGateGradients, addMaskedGateWeightGradients, gateBlocks, maskedGateProducts,
} from '../../cells/common.ts';

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

  const out = new Float64Array(rows * cols).fill(9); // the third block must stay untouched
  maskedGateProducts(out, new Float64Array(rows * K), new Float64Array(rows * H), a, masks, wBlocks, rows, B, K, H, cols, gates);
  const expected = new Float64Array(rows * cols).fill(9);
  for (let g = 0; g < gates; g++) {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += aMasked(r, k, g) * w[k * cols + g * H + j];
        expected[r * cols + g * H + j] = sum;
      }
    }
  }
  assertClose('out[:, g] = (a ⊙ m_g) W_g', out, expected, SUMS);

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

test('blockNorms: the norm of each block', () => {
  const norms = blockNorms(new Float64Array(2), Float64Array.from([3, 4, 0, 1, 2, 2]), 2, 3);
  assertClose('norms', norms, [5, 3], 0);
});

test.run();
