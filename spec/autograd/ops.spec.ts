/**
 * Values, gradients and error messages of every op in autograd/ops.ts, on
 * small inputs whose results are written out by hand (or computed here with
 * plain arithmetic), never by the code under test.
 *
 * Letters: B batch, T timesteps, H features.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../../autograd/ops.ts';
import { Tensor, tensor, type NestedArray } from '../../autograd/index.ts';

import { TOL, assertClose, expectGrad, expectTensor, flat, literal, mentions } from './expect.ts';

/** What a call did, for a failure message: the result it returned or the message it threw. */
function outcome(f: () => Tensor): string {
  try {
    const t = f();
    return `returned shape ${JSON.stringify(t.shape)} holding [${Array.from(t.data).join(', ')}] instead of throwing`;
  } catch (e) {
    return `threw "${(e as Error).message}"`;
  }
}

/** A float64 constant. */
function f64(values: NestedArray): Tensor {
  return tensor(values, undefined, 'float64');
}

/** A float64 leaf that wants a gradient. */
function leaf(values: NestedArray): Tensor {
  const t = f64(values);
  t.requiresGrad = true;
  return t;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const tanhByExp = (v: number): number => (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1);

// ---------------------------------------------------------------- matmul

// A: [2, 3], B: [3, 4]; A·B written out by hand.
const A = [[1, 2, 3], [4, 5, 6]];
const AT = [[1, 4], [2, 5], [3, 6]]; // Aᵀ: [3, 2]
const B = [[1, 0, 2, -1], [0, 1, 1, 2], [3, -2, 0, 1]];
const BT = [[1, 0, 3], [0, 1, -2], [2, 1, 0], [-1, 2, 1]]; // Bᵀ: [4, 3]
// Row 0: [1+0+9, 0+2−6, 2+2+0, −1+4+3]; row 1: [4+0+18, 0+5−12, 8+5+0, −4+10+6].
const AB = [[10, -4, 4, 6], [22, -7, 13, 12]];

test('matmul with every combination of transposes', () => {
  expectTensor('A·B', ops.matmul(f64(A), f64(B)), [2, 4], AB, TOL.exact);
  expectTensor('(Aᵀ)ᵀ·B', ops.matmul(f64(AT), f64(B), true, false), [2, 4], AB, TOL.exact);
  expectTensor('A·(Bᵀ)ᵀ', ops.matmul(f64(A), f64(BT), false, true), [2, 4], AB, TOL.exact);
  expectTensor('(Aᵀ)ᵀ·(Bᵀ)ᵀ', ops.matmul(f64(AT), f64(BT), true, true), [2, 4], AB, TOL.exact);
  // Bᵀ·Aᵀ = (A·B)ᵀ: [4, 2].
  const ABT = [[10, 22], [-4, -7], [4, 13], [6, 12]];
  expectTensor('Bᵀ·Aᵀ', ops.matmul(f64(BT), f64(AT)), [4, 2], ABT, TOL.exact);
  expectTensor('float32 A·B', ops.matmul(tensor(A), tensor(B)), [2, 4], AB, TOL.exact);
  // A [1, 1] product and a [3, 1]·[1, 2] outer product.
  expectTensor('[1,3]·[3,1]', ops.matmul(f64([[1, 2, 3]]), f64([[4], [5], [6]])), [1, 1], [32], TOL.exact);
  expectTensor('outer product', ops.matmul(f64([[1], [2], [3]]), f64([[4, 5]])), [3, 2], [[4, 5], [8, 10], [12, 15]], TOL.exact);
});

test('matmul backward, for every combination of transposes, stores gradients in each operand\'s layout', () => {
  // C = op(a)·op(b) with op(a) = A, op(b) = B; output gradient G: [2, 4].
  const G = [[1, 0, 0, 2], [0, 1, -1, 0]];
  // dA = G·Bᵀ: row 0 = [1−2, 0+4, 3+2], row 1 = [0−2, 1−1, −2−0].
  const dA = [[-1, 4, 5], [-2, 0, -2]];
  const dAT = [[-1, -2], [4, 0], [5, -2]];
  // dB = Aᵀ·G: row p = A[0,p]·G[0] + A[1,p]·G[1].
  const dB = [[1, 4, -4, 2], [2, 5, -5, 4], [3, 6, -6, 6]];
  const dBT = [[1, 2, 3], [4, 5, 6], [-4, -5, -6], [2, 4, 6]];
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = leaf(transA ? AT : A);
    const b = leaf(transB ? BT : B);
    const c = ops.matmul(a, b, transA, transB);
    c.backward(new Float64Array(flat(G)));
    const name = `transA=${transA} transB=${transB}`;
    expectGrad(`${name}: da`, a, transA ? dAT : dA, TOL.exact);
    expectGrad(`${name}: db`, b, transB ? dBT : dB, TOL.exact);
  }
});

/** op(x) as a plain nested array: x stored [r, c], transposed when `trans`. */
function op2(x: number[][], trans: boolean): number[][] {
  return trans ? x[0].map((_, j) => x.map((row) => row[j])) : x;
}

/** The schoolbook product of two nested arrays. */
function product(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
}

/** A [rows, cols] matrix of small integers, so that every product and sum is exact. */
function intMatrix(rows: number, cols: number, seed: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => ((i * 7 + j * 3 + seed * 5) % 11) - 5));
}

test('matmul on uneven and deep shapes matches the schoolbook product, forward and backward', () => {
  // m, k, n chosen to leave partial tiles and, for k = 300, more than one block of the inner dimension.
  for (const [m, k, n] of [[5, 7, 6], [1, 1, 1], [9, 3, 2], [3, 300, 5]]) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const opA = intMatrix(m, k, 1); // op(a): [m, k]
      const opB = intMatrix(k, n, 2); // op(b): [k, n]
      const G = intMatrix(m, n, 3); // output gradient: [m, n]
      const name = `[${m},${k}]·[${k},${n}] transA=${transA} transB=${transB}`;
      for (const dtype of ['float32', 'float64'] as const) {
        const a = tensor(op2(opA, transA), undefined, dtype);
        const b = tensor(op2(opB, transB), undefined, dtype);
        a.requiresGrad = true;
        b.requiresGrad = true;
        const c = ops.matmul(a, b, transA, transB);
        expectTensor(`${name} ${dtype}`, c, [m, n], product(opA, opB), TOL.exact);
        c.backward(new Float64Array(flat(G)));
        // d op(a) = G · op(b)ᵀ, d op(b) = op(a)ᵀ · G, each stored in its operand's layout.
        expectGrad(`${name} ${dtype}: da`, a, op2(product(G, op2(opB, true)), transA), TOL.exact);
        expectGrad(`${name} ${dtype}: db`, b, op2(product(op2(opA, true), G), transB), TOL.exact);
      }
    }
  }
});

// ---------------------------------------------------------------- broadcasting binary ops

const X23 = [[1, 2, 3], [4, 5, 6]]; // [B, H] = [2, 3]
const V3 = [10, 20, 30]; // [H] = [3]

test('add, sub, mul, div on equal shapes', () => {
  const a = f64([[1, 2], [3, 4]]);
  const b = f64([[0.5, -1], [2, 8]]);
  expectTensor('add', ops.add(a, b), [2, 2], [1.5, 1, 5, 12]);
  expectTensor('sub', ops.sub(a, b), [2, 2], [0.5, 3, 1, -4]);
  expectTensor('mul', ops.mul(a, b), [2, 2], [0.5, -2, 6, 32]);
  expectTensor('div', ops.div(a, b), [2, 2], [2, -2, 1.5, 0.5]);
});

test('add, sub, mul, div broadcast [B,H] with [H] and [H] with [B,H]', () => {
  const x = f64(X23);
  const v = f64(V3);
  expectTensor('[B,H] + [H]', ops.add(x, v), [2, 3], [[11, 22, 33], [14, 25, 36]]);
  expectTensor('[H] + [B,H]', ops.add(v, x), [2, 3], [[11, 22, 33], [14, 25, 36]]);
  expectTensor('[B,H] − [H]', ops.sub(x, v), [2, 3], [[-9, -18, -27], [-6, -15, -24]]);
  expectTensor('[H] − [B,H]', ops.sub(v, x), [2, 3], [[9, 18, 27], [6, 15, 24]]);
  expectTensor('[B,H] · [H]', ops.mul(x, v), [2, 3], [[10, 40, 90], [40, 100, 180]]);
  expectTensor('[H] · [B,H]', ops.mul(v, x), [2, 3], [[10, 40, 90], [40, 100, 180]]);
  expectTensor('[B,H] / [H]', ops.div(x, v), [2, 3], [[0.1, 0.1, 0.1], [0.4, 0.25, 0.2]]);
  expectTensor('[H] / [B,H]', ops.div(v, x), [2, 3], [[10, 10, 10], [2.5, 4, 5]]);
  // [B, T, H] with [T, H].
  const xyz = f64([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  const th = f64([[10, 20], [30, 40]]);
  expectTensor('[B,T,H] + [T,H]', ops.add(xyz, th), [2, 2, 2], [11, 22, 33, 44, 15, 26, 37, 48]);
  expectTensor('[T,H] − [B,T,H]', ops.sub(th, xyz), [2, 2, 2], [9, 18, 27, 36, 5, 14, 23, 32]);
});

test('add, sub, mul, div broadcast a []-shaped operand', () => {
  const x = f64(X23);
  const s = f64(2);
  assert.equal(s.shape, []);
  expectTensor('[B,H] + []', ops.add(x, s), [2, 3], [3, 4, 5, 6, 7, 8]);
  expectTensor('[] − [B,H]', ops.sub(s, x), [2, 3], [1, 0, -1, -2, -3, -4]);
  expectTensor('[] · [B,H]', ops.mul(s, x), [2, 3], [2, 4, 6, 8, 10, 12]);
  expectTensor('[B,H] / []', ops.div(x, s), [2, 3], [0.5, 1, 1.5, 2, 2.5, 3]);
  expectTensor('[] / [B,H]', ops.div(s, x), [2, 3], [2, 1, 2 / 3, 0.5, 0.4, 1 / 3]);
  expectTensor('[] + []', ops.add(s, f64(3)), [], [5]);
});

test('broadcast backward sums the gradient of the shorter operand over the leading dimensions', () => {
  // Output gradient G: [2, 3]; column sums [1, 3, 3].
  const G = new Float64Array([1, 0, 2, 0, 3, 1]);
  const pair = (): [Tensor, Tensor] => [leaf(X23), leaf(V3)];

  let [x, v] = pair();
  ops.add(x, v).backward(G);
  expectGrad('add: dx = G', x, [1, 0, 2, 0, 3, 1]);
  expectGrad('add: dv = column sums of G', v, [1, 3, 3]);

  [x, v] = pair();
  ops.add(v, x).backward(G);
  expectGrad('add ([H] first): dv', v, [1, 3, 3]);
  expectGrad('add ([H] first): dx', x, [1, 0, 2, 0, 3, 1]);

  [x, v] = pair();
  ops.sub(x, v).backward(G);
  expectGrad('sub: dx = G', x, [1, 0, 2, 0, 3, 1]);
  expectGrad('sub: dv = −column sums', v, [-1, -3, -3]);

  [x, v] = pair();
  ops.sub(v, x).backward(G);
  expectGrad('sub ([H] first): dv', v, [1, 3, 3]);
  expectGrad('sub ([H] first): dx = −G', x, [-1, 0, -2, 0, -3, -1]);

  [x, v] = pair();
  ops.mul(x, v).backward(G);
  expectGrad('mul: dx = G ⊙ v', x, [10, 0, 60, 0, 60, 30]);
  // dv_j = Σ_b G[b,j]·x[b,j] = [1·1 + 0·4, 0·2 + 3·5, 2·3 + 1·6]
  expectGrad('mul: dv = Σ_b G ⊙ x', v, [1, 15, 12]);

  [x, v] = pair();
  ops.div(x, v).backward(G);
  expectGrad('div: dx = G / v', x, [0.1, 0, 2 / 30, 0, 3 / 20, 1 / 30]);
  // dv_j = −Σ_b G[b,j]·x[b,j] / v_j² = −[1/100, 15/400, 12/900]
  expectGrad('div: dv = −Σ_b G ⊙ x / v²', v, [-0.01, -0.0375, -12 / 900]);

  [x, v] = pair();
  ops.div(v, x).backward(G);
  // d(v/x)/dv = 1/x summed over b: [1/1 + 0, 0 + 3/5, 2/3 + 1/6]
  expectGrad('div ([H] first): dv', v, [1, 0.6, 5 / 6]);
  // d(v/x)/dx = −v/x²: [−10, 0, −2·30/9, 0, −3·20/25, −30/36]
  expectGrad('div ([H] first): dx', x, [-10, 0, -60 / 9, 0, -60 / 25, -30 / 36]);

  // A []-shaped operand receives the sum over every element.
  const s = leaf(2);
  x = leaf(X23);
  ops.mul(x, s).backward(G);
  expectGrad('mul by []: dx = 2G', x, [2, 0, 4, 0, 6, 2]);
  expectGrad('mul by []: ds = Σ G ⊙ x', s, [28]); // 1 + 6 + 15 + 6
  const s2 = leaf(2);
  x = leaf(X23);
  ops.div(x, s2).backward(G);
  expectGrad('div by []: dx = G/2', x, [0.5, 0, 1, 0, 1.5, 0.5]);
  expectGrad('div by []: ds = −Σ G ⊙ x / 4', s2, [-7]);

  // [B, T, H] + [T, H]: the [T, H] gradient sums over B.
  const xyz = leaf([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  const th = leaf([[10, 20], [30, 40]]);
  ops.add(xyz, th).backward(new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]));
  expectGrad('add [T,H] into [B,T,H]: d[T,H]', th, [6, 8, 10, 12]);

  // The same tensor on both sides: d(x·x)/dx = 2x.
  const y = leaf([1, -2, 3]);
  ops.mul(y, y).backward(new Float64Array([1, 1, 2]));
  expectGrad('mul(x, x)', y, [2, -4, 12]);
});

test('mulMask multiplies by a repeating constant mask', () => {
  const x = f64(X23);
  expectTensor('mask [H] over [B,H]', ops.mulMask(x, new Float64Array([0, 2, 0.5])), [2, 3], [[0, 4, 1.5], [0, 10, 3]]);
  expectTensor('mask of the full size', ops.mulMask(x, new Float64Array([1, 0, 1, 0, 1, 0])), [2, 3], [[1, 0, 3], [0, 5, 0]]);
  const x32 = tensor(X23);
  const y32 = ops.mulMask(x32, new Float32Array([2, 0, -1]));
  assert.is(y32.dtype, 'float32');
  expectTensor('float32', y32, [2, 3], [[2, 0, -3], [8, 0, -6]], TOL.exact);

  // Backward: dx = G ⊙ mask; the mask gets nothing.
  const xl = leaf(X23);
  const mask = new Float64Array([0, 2, 0.5]);
  ops.mulMask(xl, mask).backward(new Float64Array([1, 1, 1, 2, 2, 2]));
  expectGrad('mulMask: dx = G ⊙ mask', xl, [[0, 2, 0.5], [0, 4, 1]]);
  assertClose('mask is unchanged', mask, [0, 2, 0.5], TOL.exact);
});

// ---------------------------------------------------------------- elementwise unary ops

const XS = [-2, -0.5, 0, 1.5, 3];

test('neg, addScalar, mulScalar', () => {
  const x = f64(XS);
  expectTensor('neg', ops.neg(x), [5], [2, 0.5, 0, -1.5, -3]);
  expectTensor('addScalar 2.5', ops.addScalar(x, 2.5), [5], [0.5, 2, 2.5, 4, 5.5]);
  expectTensor('mulScalar −2', ops.mulScalar(x, -2), [5], [4, 1, 0, -3, -6]);
  expectTensor('mulScalar 0', ops.mulScalar(x, 0), [5], [0, 0, 0, 0, 0]);
});

test('sigmoid, tanh, relu, exp, log, abs', () => {
  const x = f64(XS);
  expectTensor('sigmoid', ops.sigmoid(x), [5], XS.map(sig));
  assert.is(ops.sigmoid(f64([0])).data[0], 0.5, 'σ(0) = 1/2');
  expectTensor('tanh', ops.tanh(x), [5], XS.map(tanhByExp));
  assertClose('tanh(1) by hand', ops.tanh(f64([1])).data, [0.7615941559557649], TOL.float64);
  expectTensor('relu', ops.relu(x), [5], [0, 0, 0, 1.5, 3]);
  expectTensor('exp', ops.exp(x), [5], [1 / (Math.E * Math.E), 1 / Math.sqrt(Math.E), 1, Math.E * Math.sqrt(Math.E), Math.E ** 3]);
  expectTensor('log', ops.log(f64([0.5, 1, Math.E, 10, 1e-10])), [5], [-Math.LN2, 0, 1, Math.LN10, -10 * Math.LN10]);
  expectTensor('abs', ops.abs(x), [5], [2, 0.5, 0, 1.5, 3]);
  const x32 = tensor(XS);
  const y32 = ops.sigmoid(x32);
  assert.ok(y32.data instanceof Float32Array, 'unary ops keep float32');
  expectTensor('sigmoid float32', y32, [5], XS.map(sig), TOL.float32);
});

test('softplus and logSigmoid', () => {
  const x = f64(XS);
  expectTensor('softplus', ops.softplus(x), [5], XS.map((v) => Math.log(1 + Math.exp(v))));
  assert.is(ops.softplus(f64([0])).data[0], Math.LN2, 'softplus(0) = log 2');
  expectTensor('logSigmoid', ops.logSigmoid(x), [5], XS.map((v) => -Math.log(1 + Math.exp(-v))));
  // log σ(1) = −log(1 + e⁻¹), by hand.
  assertClose('logSigmoid(1)', ops.logSigmoid(f64([1])).data, [-0.31326168751822286], TOL.float64);
});

test('clip limits to [lo, hi]', () => {
  expectTensor('clip to [−1, 2]', ops.clip(f64(XS), -1, 2), [5], [-1, -0.5, 0, 1.5, 2], TOL.exact);
  expectTensor('clip float32', ops.clip(tensor([-5, 0.25, 5]), 0, 1), [3], [0, 0.25, 1], TOL.exact);
});

test('sigmoidOf and softplusOf on plain numbers', () => {
  assert.is(ops.sigmoidOf(0), 0.5);
  assert.is(ops.softplusOf(0), Math.LN2);
  assertClose('sigmoidOf', [ops.sigmoidOf(2), ops.sigmoidOf(-2)], [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))], TOL.float64);
  assertClose('softplusOf', [ops.softplusOf(2), ops.softplusOf(-2)], [Math.log(1 + Math.exp(2)), Math.log(1 + Math.exp(-2))], TOL.float64);
  const e50 = Math.exp(-50);
  assertClose('sigmoidOf(±50)', [ops.sigmoidOf(-50), ops.sigmoidOf(50)], [e50 / (1 + e50), 1 / (1 + e50)], TOL.float64, 0);
  assertClose('softplusOf(±800)', [ops.softplusOf(-800), ops.softplusOf(800)], [0, 800], TOL.float64, 0);
});

test('sigmoid, softplus and logSigmoid stay finite and accurate at large |x|', () => {
  const e50 = Math.exp(-50); // 1.9287498479639178e-22: log(1 + e⁻⁵⁰) = e⁻⁵⁰ to far below double precision
  const big = f64([-800, -50, 50, 800]);
  const check = (what: string, t: Tensor, want: number[], tol: number): void => {
    for (const v of t.data) assert.ok(Number.isFinite(v), `${what}: ${v} is not finite`);
    assertClose(what, t.data, want, tol, 0); // purely relative: e⁻⁵⁰ must not pass as 0
  };
  // log σ(−50) = −50 − log(1 + e⁻⁵⁰); log σ(50) = −log(1 + e⁻⁵⁰) ≈ −e⁻⁵⁰ (not 0).
  check('logSigmoid', ops.logSigmoid(big), [-800, -50 - e50, -e50, -0], TOL.float64);
  check('softplus', ops.softplus(big), [0, e50, 50 + e50, 800], TOL.float64);
  check('sigmoid', ops.sigmoid(big), [0, e50 / (1 + e50), 1 / (1 + e50), 1], TOL.float64);
  check('logSigmoid float32', ops.logSigmoid(tensor([-50, 50])), [-50, Math.fround(-e50)], TOL.float32);
  check('softplus float32', ops.softplus(tensor([-50, 50])), [Math.fround(e50), 50], TOL.float32);

  // Their gradients at large |x| are finite too: σ'(±50) ≈ e⁻⁵⁰, d logσ/dx(−50) = σ(50) ≈ 1.
  const xl = leaf([-50, 50]);
  ops.logSigmoid(xl).backward(new Float64Array([1, 1]));
  assertClose('d logSigmoid/dx at ∓50', xl.grad!, [1 / (1 + e50), e50 / (1 + e50)], TOL.float64, 0);
  const xs = leaf([-50, 50]);
  ops.softplus(xs).backward(new Float64Array([1, 1]));
  assertClose('d softplus/dx at ∓50', xs.grad!, [e50 / (1 + e50), 1 / (1 + e50)], TOL.float64, 0);
});

test('unary backward: dx = G ⊙ f\'(x) for every elementwise op', () => {
  const xs = [-2, -0.5, 0.25, 1.5, 3];
  const g = [1, -1, 2, 0.5, 3];
  const G = new Float64Array(g);
  const cases: Array<[string, (x: Tensor) => Tensor, (v: number) => number]> = [
    ['neg', ops.neg, () => -1],
    ['addScalar', (x) => ops.addScalar(x, 7), () => 1],
    ['mulScalar', (x) => ops.mulScalar(x, -1.5), () => -1.5],
    ['sigmoid', ops.sigmoid, (v) => sig(v) * (1 - sig(v))],
    ['tanh', ops.tanh, (v) => 1 - tanhByExp(v) ** 2],
    ['relu', ops.relu, (v) => (v > 0 ? 1 : 0)],
    ['exp', ops.exp, (v) => Math.exp(v)],
    ['abs', ops.abs, (v) => Math.sign(v)],
    ['softplus', ops.softplus, (v) => sig(v)],
    ['logSigmoid', ops.logSigmoid, (v) => 1 - sig(v)],
    ['clip', (x) => ops.clip(x, -1, 2), (v) => (v > -1 && v < 2 ? 1 : 0)],
  ];
  for (const [name, f, dfdx] of cases) {
    const x = leaf(xs);
    f(x).backward(G);
    expectGrad(name, x, xs.map((v, i) => g[i] * dfdx(v)));
  }
  const xlog = leaf([0.5, 2, 4]);
  ops.log(xlog).backward(new Float64Array([1, -1, 2]));
  expectGrad('log: G / x', xlog, [2, -0.5, 0.5]);
  // At exactly 0, relu and abs pass no gradient (the subgradient 0).
  const z = leaf([0, 0]);
  ops.relu(z).backward(new Float64Array([1, 1]));
  ops.abs(z).backward(new Float64Array([1, 1]));
  expectGrad('relu and abs at 0', z, [0, 0], TOL.exact);
  // clip passes no gradient at the bounds themselves.
  const edge = leaf([-1, 2]);
  ops.clip(edge, -1, 2).backward(new Float64Array([1, 1]));
  expectGrad('clip at lo and hi', edge, [0, 0], TOL.exact);
});

// ---------------------------------------------------------------- logSoftmax and softmax

/** log Σ exp(row), written out for the test rows. */
const lse = (row: number[]): number => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));

test('logSoftmax and softmax over the last axis', () => {
  // Rows [1, 2, 3] and [0, 0, 0].
  const l0 = lse([1, 2, 3]);
  const x = f64([[1, 2, 3], [0, 0, 0]]);
  expectTensor('logSoftmax', ops.logSoftmax(x), [2, 3], [[1 - l0, 2 - l0, 3 - l0], [-Math.log(3), -Math.log(3), -Math.log(3)]]);
  const p0 = [Math.exp(1), Math.exp(2), Math.exp(3)].map((e) => e / Math.exp(l0));
  expectTensor('softmax', ops.softmax(x), [2, 3], [...p0, 1 / 3, 1 / 3, 1 / 3]);
  // The same rows from an independent implementation (Python's math module: log Σ eˣ = 3.40760596444438).
  expectTensor('logSoftmax vs Python', ops.logSoftmax(f64([1, 2, 3])), [3], [-2.40760596444438, -1.4076059644443801, -0.40760596444438013]);
  expectTensor('softmax vs Python', ops.softmax(f64([1, 2, 3])), [3], [0.09003057317038048, 0.2447284710547977, 0.665240955774822]);
  // A 1-D input is a single row; a [2,1,2] input has rows of 2.
  expectTensor('logSoftmax 1-D', ops.logSoftmax(f64([0, 0])), [2], [-Math.LN2, -Math.LN2]);
  const s3 = ops.softmax(f64([[[0, Math.log(3)]], [[5, 5]]]));
  expectTensor('softmax [2,1,2]', s3, [2, 1, 2], [0.25, 0.75, 0.5, 0.5]);
});

test('logSoftmax and softmax are stable for large inputs', () => {
  // Row [1000, 999, 1000]: log-sum-exp = 1000 + log(2 + e⁻¹).
  const c = Math.log(2 + Math.exp(-1));
  const x = f64([[1000, 999, 1000], [-1000, -1000, -1000]]);
  const y = ops.logSoftmax(x);
  for (const v of y.data) assert.ok(Number.isFinite(v), `logSoftmax gave ${v}`);
  expectTensor('logSoftmax, large', y, [2, 3], [[-c, -1 - c, -c], [-Math.log(3), -Math.log(3), -Math.log(3)]]);
  const p = ops.softmax(x);
  const q = 1 / (2 + Math.exp(-1));
  expectTensor('softmax, large', p, [2, 3], [[q, Math.exp(-1) * q, q], [1 / 3, 1 / 3, 1 / 3]]);
  const p32 = ops.softmax(tensor([[100, 0]]));
  expectTensor('softmax float32', p32, [1, 2], [1, Math.exp(-100)], TOL.float32);
});

test('logSoftmax and softmax backward', () => {
  const p = [Math.exp(1), Math.exp(2), Math.exp(3)].map((e) => e / Math.exp(lse([1, 2, 3])));
  // Row 0 with G [1, 0, 0]; row 1 ([0, 0, 0], p = 1/3) with G [0, 1, 1].
  const G = new Float64Array([1, 0, 0, 0, 1, 1]);
  const x = leaf([[1, 2, 3], [0, 0, 0]]);
  ops.logSoftmax(x).backward(G);
  // dx_j = G_j − p_j Σ_k G_k
  expectGrad('logSoftmax', x, [1 - p[0], -p[1], -p[2], -2 / 3, 1 / 3, 1 / 3]);
  const x2 = leaf([[1, 2, 3], [0, 0, 0]]);
  ops.softmax(x2).backward(G);
  // dx_j = p_j (G_j − Σ_k G_k p_k)
  expectGrad('softmax', x2, [p[0] * (1 - p[0]), -p[1] * p[0], -p[2] * p[0], -2 / 9, 1 / 9, 1 / 9]);
});

// ---------------------------------------------------------------- reductions

test('sum and mean over all elements and per axis', () => {
  const x = f64(X23);
  expectTensor('sum all', ops.sum(x), [], [21], TOL.exact);
  expectTensor('sum axis 0', ops.sum(x, 0), [3], [5, 7, 9], TOL.exact);
  expectTensor('sum axis 1', ops.sum(x, 1), [2], [6, 15], TOL.exact);
  expectTensor('sum axis −1', ops.sum(x, -1), [2], [6, 15], TOL.exact);
  expectTensor('sum axis −2', ops.sum(x, -2), [3], [5, 7, 9], TOL.exact);
  expectTensor('mean all', ops.mean(x), [], [3.5]);
  expectTensor('mean axis 0', ops.mean(x, 0), [3], [2.5, 3.5, 4.5]);
  expectTensor('mean axis 1', ops.mean(x, 1), [2], [2, 5]);
  expectTensor('mean axis −1', ops.mean(x, -1), [2], [2, 5]);
  // [2, 3, 2] holding 0..11: element (o, l, i) = 6o + 2l + i.
  const cube = f64([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  expectTensor('sum middle axis', ops.sum(cube, 1), [2, 2], [[6, 9], [24, 27]], TOL.exact);
  expectTensor('mean middle axis', ops.mean(cube, 1), [2, 2], [[2, 3], [8, 9]]);
  expectTensor('sum last axis', ops.sum(cube, 2), [2, 3], [[1, 5, 9], [13, 17, 21]], TOL.exact);
  expectTensor('sum of a [] tensor', ops.sum(f64(4)), [], [4], TOL.exact);
  expectTensor('mean float32', ops.mean(tensor(X23)), [], [3.5], TOL.float32);
});

test('sum and mean backward spread the gradient over the reduced elements', () => {
  let x = leaf(X23);
  ops.sum(x).backward();
  expectGrad('sum all', x, [1, 1, 1, 1, 1, 1]);
  x = leaf(X23);
  ops.mean(x).backward();
  expectGrad('mean all', x, [1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]);
  x = leaf(X23);
  ops.sum(x, 0).backward(new Float64Array([1, 2, 3]));
  expectGrad('sum axis 0', x, [[1, 2, 3], [1, 2, 3]]);
  x = leaf(X23);
  ops.mean(x, 1).backward(new Float64Array([3, 6]));
  expectGrad('mean axis 1', x, [[1, 1, 1], [2, 2, 2]]);
  const cube = leaf([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  ops.sum(cube, 1).backward(new Float64Array([1, 2, 3, 4]));
  expectGrad('sum middle axis', cube, [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
});

// ---------------------------------------------------------------- shape ops

test('reshape, including a -1 dimension, keeps the row-major order', () => {
  const x = f64(X23);
  const r = ops.reshape(x, [3, 2]);
  assert.equal(r.toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.ok(r.data === x.data, 'reshape shares storage');
  assert.equal(ops.reshape(x, [-1]).shape, [6]);
  assert.equal(ops.reshape(x, [3, -1]).shape, [3, 2]);
  assert.equal(ops.reshape(x, [-1, 1, 2]).shape, [3, 1, 2]);
  assert.equal(ops.reshape(x, [6, 1, -1]).shape, [6, 1, 1]);
  assert.equal(ops.reshape(f64([5]), []).shape, []);

  // Backward: L = Σ reshape(x, [3, 2]) ⊙ [1, 10] → dL/dx in x's order = [1, 10, 1, 10, 1, 10].
  const xl = leaf(X23);
  ops.sum(ops.mul(ops.reshape(xl, [3, -1]), f64([1, 10]))).backward();
  expectGrad('reshape', xl, [[1, 10, 1], [10, 1, 10]]);
});

test('transpose swaps the two axes', () => {
  expectTensor('transpose [2,3]', ops.transpose(f64(X23)), [3, 2], [[1, 4], [2, 5], [3, 6]], TOL.exact);
  expectTensor('transpose [1,3]', ops.transpose(f64([[7, 8, 9]])), [3, 1], [7, 8, 9], TOL.exact);
  const x = leaf(X23);
  ops.transpose(x).backward(new Float64Array([1, 2, 3, 4, 5, 6]));
  expectGrad('transpose', x, [[1, 3, 5], [2, 4, 6]]);
});

test('concat along each axis', () => {
  const a = f64([[1, 2], [3, 4]]);
  const b = f64([[5], [6]]);
  const c = f64([[7, 8]]);
  expectTensor('axis 1', ops.concat([a, b], 1), [2, 3], [[1, 2, 5], [3, 4, 6]], TOL.exact);
  expectTensor('axis −1', ops.concat([a, b], -1), [2, 3], [[1, 2, 5], [3, 4, 6]], TOL.exact);
  expectTensor('axis 0', ops.concat([a, c], 0), [3, 2], [[1, 2], [3, 4], [7, 8]], TOL.exact);
  expectTensor('three inputs', ops.concat([b, a, b], 1), [2, 4], [[5, 1, 2, 5], [6, 3, 4, 6]], TOL.exact);
  expectTensor('one input', ops.concat([a], 0), [2, 2], [1, 2, 3, 4], TOL.exact);
  const p = f64([[[1, 2]], [[3, 4]]]); // [2, 1, 2]
  const q = f64([[[5, 6], [7, 8]], [[9, 10], [11, 12]]]); // [2, 2, 2]
  expectTensor('middle axis of rank 3', ops.concat([p, q], 1), [2, 3, 2], [[[1, 2], [5, 6], [7, 8]], [[3, 4], [9, 10], [11, 12]]], TOL.exact);

  // Backward hands each input its columns of G.
  const al = leaf([[1, 2], [3, 4]]);
  const bl = leaf([[5], [6]]);
  ops.concat([al, bl], 1).backward(new Float64Array([1, 2, 3, 4, 5, 6]));
  expectGrad('concat: da', al, [[1, 2], [4, 5]]);
  expectGrad('concat: db', bl, [[3], [6]]);
  // The same tensor twice receives both parts.
  const tw = leaf([[1], [2]]);
  ops.concat([tw, tw], 1).backward(new Float64Array([1, 10, 2, 20]));
  expectGrad('concat of a tensor with itself', tw, [[11], [22]]);
});

test('slice takes a range along an axis', () => {
  const x = f64([[1, 2, 3, 4], [5, 6, 7, 8]]);
  expectTensor('columns 1..3', ops.slice(x, 1, 1, 3), [2, 2], [[2, 3], [6, 7]], TOL.exact);
  expectTensor('row 1', ops.slice(x, 0, 1, 2), [1, 4], [[5, 6, 7, 8]], TOL.exact);
  expectTensor('axis −1, first column', ops.slice(x, -1, 0, 1), [2, 1], [[1], [5]], TOL.exact);
  expectTensor('the whole axis', ops.slice(x, 1, 0, 4), [2, 4], [1, 2, 3, 4, 5, 6, 7, 8], TOL.exact);
  expectTensor('empty range', ops.slice(x, 1, 2, 2), [2, 0], [], TOL.exact);
  const cube = f64([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  expectTensor('middle axis of rank 3', ops.slice(cube, 1, 1, 3), [2, 2, 2], [2, 3, 4, 5, 8, 9, 10, 11], TOL.exact);

  const xl = leaf([[1, 2, 3, 4], [5, 6, 7, 8]]);
  ops.slice(xl, 1, 1, 3).backward(new Float64Array([1, 2, 3, 4]));
  expectGrad('slice', xl, [[0, 1, 2, 0], [0, 3, 4, 0]]);
});

test('reverse flips one axis, and its backward flips the gradient back', () => {
  const x = f64(X23);
  expectTensor('axis 1', ops.reverse(x, 1), [2, 3], [[3, 2, 1], [6, 5, 4]], TOL.exact);
  expectTensor('axis −1', ops.reverse(x, -1), [2, 3], [[3, 2, 1], [6, 5, 4]], TOL.exact);
  expectTensor('axis 0', ops.reverse(x, 0), [2, 3], [[4, 5, 6], [1, 2, 3]], TOL.exact);
  const cube = f64([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]); // [B, T, H] = [2, 3, 2]
  expectTensor('time axis of [B,T,H]', ops.reverse(cube, 1), [2, 3, 2], [[[4, 5], [2, 3], [0, 1]], [[10, 11], [8, 9], [6, 7]]], TOL.exact);
  expectTensor('axis of length 1', ops.reverse(f64([[7, 8]]), 0), [1, 2], [7, 8], TOL.exact);
  expectTensor('float32', ops.reverse(tensor([1, 2, 3]), 0), [3], [3, 2, 1], TOL.exact);

  const xl = leaf(X23);
  const y = ops.reverse(xl, 1);
  y.backward(new Float64Array([1, 2, 3, 4, 5, 6]));
  expectGrad('reverse', xl, [[3, 2, 1], [6, 5, 4]], TOL.exact);
  y.backward(new Float64Array([1, 2, 3, 4, 5, 6]));
  expectGrad('reverse, accumulated over two backward calls', xl, [[6, 4, 2], [12, 10, 8]], TOL.exact);
  // Reversing twice is the identity, for the values and for the gradient.
  const x2 = leaf(X23);
  const twice = ops.reverse(ops.reverse(x2, 0), 0);
  expectTensor('reversed twice', twice, [2, 3], X23, TOL.exact);
  twice.backward(new Float64Array([1, 0, 2, 0, 3, 1]));
  expectGrad('reversed twice', x2, [1, 0, 2, 0, 3, 1], TOL.exact);
});

test('gather picks rows, with repeated indices and an index shape', () => {
  const table = f64([[0, 1], [10, 11], [20, 21], [30, 31]]); // [N, E] = [4, 2]
  expectTensor('rows 2,0,2,3,2', ops.gather(table, [2, 0, 2, 3, 2]), [5, 2], [[20, 21], [0, 1], [20, 21], [30, 31], [20, 21]], TOL.exact);
  expectTensor('index shape [2,2]', ops.gather(table, new Int32Array([3, 3, 1, 0]), [2, 2]), [2, 2, 2], [[[30, 31], [30, 31]], [[10, 11], [0, 1]]], TOL.exact);
  expectTensor('no indices', ops.gather(table, []), [0, 2], [], TOL.exact);
});

test('gather backward scatter-adds, summing rows picked more than once', () => {
  const table = leaf([[0, 1], [10, 11], [20, 21], [30, 31]]);
  const out = ops.gather(table, [2, 0, 2, 3, 2]);
  out.backward(new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  // Row 2 is picked at positions 0, 2, 4: [1 + 5 + 9, 2 + 6 + 10]. Row 1 is never picked.
  expectGrad('gather', table, [[3, 4], [0, 0], [15, 18], [7, 8]], TOL.exact);
  // A second lookup accumulates on top.
  ops.gather(table, [1, 1], [1, 2]).backward(new Float64Array([1, 1, 2, 2]));
  expectGrad('gather, accumulated', table, [[3, 4], [3, 3], [15, 18], [7, 8]], TOL.exact);
});

test('ops keep the dtype of their inputs', () => {
  const a = tensor(X23);
  const b = tensor(V3);
  const results: Array<[string, Tensor]> = [
    ['matmul', ops.matmul(a, tensor(B))], ['add', ops.add(a, b)], ['div', ops.div(a, b)],
    ['exp', ops.exp(a)], ['logSoftmax', ops.logSoftmax(a)], ['sum', ops.sum(a, 0)], ['mean', ops.mean(a)],
    ['reshape', ops.reshape(a, [-1])], ['transpose', ops.transpose(a)], ['concat', ops.concat([a, a], 0)],
    ['slice', ops.slice(a, 0, 0, 1)], ['gather', ops.gather(a, [1])], ['mulMask', ops.mulMask(a, new Float32Array([1]))],
    ['reverse', ops.reverse(a, 0)], ['clip', ops.clip(a, 0, 1)],
  ];
  for (const [name, t] of results) assert.ok(t.data instanceof Float32Array, `${name} returned ${t.dtype}`);
  assert.ok(ops.add(f64(X23), f64(V3)).data instanceof Float64Array, 'float64 in, float64 out');
});

// ---------------------------------------------------------------- errors

test('matmul errors name the op, both shapes and the inner dimensions', () => {
  const a = tensor(new Float32Array(12), [4, 3]);
  const b = tensor(new Float32Array(10), [5, 2]);
  assert.throws(() => ops.matmul(a, b), literal('matmul: [4,3] x [5,2]: inner dimensions 3 and 5 differ'));
  assert.throws(() => ops.matmul(tensor(new Float32Array(12), [3, 4]), b, true, false), mentions('matmul', '[3,4]', '[5,2]', 3, 5));
  assert.throws(() => ops.matmul(a, tensor(new Float32Array(10), [2, 5]), false, true), mentions('matmul', '[4,3]', '[2,5]', 3, 5));
  assert.throws(() => ops.matmul(tensor([1, 2, 3]), tensor(new Float32Array(6), [3, 2])), mentions('matmul', '[3]', '[3,2]', '2-D'));
  assert.throws(() => ops.matmul(a, tensor(new Float32Array(6), [3, 2, 1])), mentions('matmul', '[4,3]', '[3,2,1]', '2-D'));
});

test('broadcasting mismatches name the op and both shapes', () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  assert.throws(() => ops.add(x, tensor([1, 2])), mentions('add', '[2,3]', '[2]', 'broadcast'));
  assert.throws(() => ops.sub(tensor([1, 2]), x), mentions('sub', '[2]', '[2,3]', 'broadcast'));
  assert.throws(() => ops.mul(x, tensor(new Float32Array(6), [3, 2])), mentions('mul', '[2,3]', '[3,2]', 'broadcast'));
  assert.throws(() => ops.div(tensor(new Float32Array(24), [2, 3, 4]), tensor(new Float32Array(8), [2, 4])), mentions('div', '[2,3,4]', '[2,4]', 'broadcast'));
  // No numpy-style size-1 stretching: [1, 3] is not a suffix of [2, 3].
  assert.throws(() => ops.add(x, tensor([[1, 2, 3]])), mentions('add', '[2,3]', '[1,3]'));
});

test('dtype mismatches name the op, both shapes and both dtypes', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = f64([[1, 2], [3, 4]]);
  assert.throws(() => ops.add(a, b), mentions('add', '[2,2]', 'float32', 'float64'));
  assert.throws(() => ops.mul(f64([1, 2]), a), mentions('mul', '[2]', '[2,2]', 'float32', 'float64'));
  assert.throws(() => ops.matmul(a, b), mentions('matmul', '[2,2]', 'float32', 'float64'));
  assert.throws(() => ops.concat([a, b], 0), mentions('concat', '[2,2]', 'float32', 'float64'));
});

test('reduction, reshape, transpose and mulMask errors name the op and the shapes', () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  assert.throws(() => ops.sum(x, 2), mentions('sum', 'axis 2', '[2,3]'));
  assert.throws(() => ops.mean(x, -3), mentions('mean', 'axis -3', '[2,3]'));
  assert.throws(() => ops.sum(x, 0.5), mentions('sum', '0.5', '[2,3]'));
  assert.throws(() => ops.reshape(x, [4, 2]), mentions('reshape', '[2,3]', '[4,2]'));
  assert.throws(() => ops.reshape(x, [4, -1]), mentions('reshape', '[2,3]', '[4,-1]'));
  assert.throws(() => ops.reshape(x, [-1, -1]), mentions('reshape', '[2,3]', '[-1,-1]'));
  assert.throws(() => ops.reshape(x, [-2, -3]), mentions('reshape', '[2,3]', '[-2,-3]'));
  assert.throws(() => ops.reshape(x, [6.5]), mentions('reshape', '[2,3]', '[6.5]'));
  assert.throws(() => ops.transpose(tensor(new Float32Array(8), [2, 2, 2])), mentions('transpose', '[2,2,2]'));
  assert.throws(() => ops.mulMask(x, new Float32Array(4)), mentions('mulMask', '[2,3]', 4));
  assert.throws(() => ops.mulMask(x, new Float32Array(0)), mentions('mulMask', '[2,3]', 0));
  assert.throws(() => ops.logSoftmax(tensor(1)), mentions('logSoftmax', '[]'));
});

test('concat errors: axis out of range, shapes that differ, no inputs', () => {
  const a = tensor(new Float32Array(4), [2, 2]);
  assert.throws(() => ops.concat([a, a], 2), mentions('concat', 'axis 2', '[2,2]'));
  assert.throws(() => ops.concat([a, a], -3), mentions('concat', 'axis -3', '[2,2]'));
  assert.throws(() => ops.concat([a, tensor(new Float32Array(3), [1, 3])], 1), mentions('concat', '[2,2]', '[1,3]', 'axis 1'));
  assert.throws(() => ops.concat([a, tensor(new Float32Array(4), [2, 2, 1])], 0), mentions('concat', '[2,2]', '[2,2,1]'));
  assert.throws(() => ops.concat([], 0), /concat/);
});

test('concat refuses a non-integer axis', () => {
  const a = tensor([[1, 2], [3, 4]]);
  for (const axis of [0.5, NaN]) {
    assert.throws(() => ops.concat([a, a], axis), mentions('concat', `axis ${axis}`, '[2,2]'), `concat([a, a], ${axis}): ${outcome(() => ops.concat([a, a], axis))}`);
  }
});

test('slice errors: range or axis out of range', () => {
  const x = tensor(new Float32Array(8), [2, 4]);
  assert.throws(() => ops.slice(x, 1, 2, 5), mentions('slice', '[2, 5)', 'axis 1', '[2,4]'));
  assert.throws(() => ops.slice(x, 1, -1, 2), mentions('slice', '[-1, 2)', '[2,4]'));
  assert.throws(() => ops.slice(x, 0, 2, 1), mentions('slice', '[2, 1)', '[2,4]'));
  assert.throws(() => ops.slice(x, 0, 0, 1.5), mentions('slice', '1.5', '[2,4]'));
  assert.throws(() => ops.slice(x, 2, 0, 1), mentions('slice', 'axis 2', '[2,4]'));
  assert.throws(() => ops.slice(x, -3, 0, 1), mentions('slice', 'axis -3', '[2,4]'));
});

test('slice refuses a non-integer axis', () => {
  const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
  for (const axis of [0.5, NaN]) {
    assert.throws(() => ops.slice(x, axis, 0, 1), mentions('slice', `axis ${axis}`, '[2,4]'), `slice(x, ${axis}, 0, 1): ${outcome(() => ops.slice(x, axis, 0, 1))}`);
  }
});

test('reverse errors: axis out of range', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.throws(() => ops.reverse(x, 2), mentions('reverse', 'axis 2', '[2,3]'));
  assert.throws(() => ops.reverse(x, -3), mentions('reverse', 'axis -3', '[2,3]'));
});

test('reverse refuses a non-integer axis', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  for (const axis of [0.5, NaN]) {
    assert.throws(() => ops.reverse(x, axis), mentions('reverse', `axis ${axis}`, '[2,3]'), `reverse(x, ${axis}): ${outcome(() => ops.reverse(x, axis))}`);
  }
});

test('gather errors name the bad index and its position', () => {
  const table = tensor(new Float32Array(8), [4, 2]);
  assert.throws(() => ops.gather(table, [0, 4, 1]), mentions('gather', 'index 4', 'position 1', '[0, 4)'));
  assert.throws(() => ops.gather(table, [1, 2, -1]), mentions('gather', 'index -1', 'position 2'));
  assert.throws(() => ops.gather(table, [2.5]), mentions('gather', 'index 2.5', 'position 0'));
  assert.throws(() => ops.gather(table, [0, 1, 2, 7], [2, 2]), mentions('gather', 'index 7', 'position 3', '[2,2]'));
  assert.throws(() => ops.gather(table, [0, 1, 2], [2, 2]), mentions('gather', '[2,2]', 3));
  assert.throws(() => ops.gather(tensor([1, 2, 3]), [0]), mentions('gather', '[3]', '2-D'));
  assert.throws(() => ops.gather(table, [9], [1], 'embedding'), /^embedding: .*index 9/);
});

test.run();
