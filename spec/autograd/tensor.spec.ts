/**
 * Tensor creation, conversion, bad input and the tape (autograd/tensor.ts).
 * Expected values are written out by hand or computed with plain arithmetic
 * in the test, never by the code under test.
 */
import ndarray from 'ndarray';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../../autograd/ops.ts';
import {
  Tensor, fromNdarray, full, isGradEnabled, noGrad, ones, randomNormal, randomUniform, setSeed, tensor, zeros,
  type NestedArray,
} from '../../autograd/index.ts';

import { TOL, assertClose, expectGrad, expectTensor as expectValues, mentions } from './expect.ts';

/** Tensor values here are small integers and halves: exact unless a tolerance is given. */
function expectTensor(what: string, t: Tensor, shape: number[], want: NestedArray, tol: number = TOL.exact): void {
  expectValues(what, t, shape, want, tol);
}

function leaf(values: NestedArray): Tensor {
  const t = tensor(values, undefined, 'float64');
  t.requiresGrad = true;
  return t;
}

// ---------------------------------------------------------------- creation

test('tensor from nested arrays infers the shape and defaults to float32', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.ok(t.data instanceof Float32Array, 'default dtype is float32');
  assert.is(t.dtype, 'float32');
  assert.is(t.rank, 2);
  assert.is(t.size, 6);
  expectTensor('nested [2,3]', t, [2, 3], [1, 2, 3, 4, 5, 6]);
  expectTensor('nested [2,1,2]', tensor([[[1, 2]], [[3, 4]]]), [2, 1, 2], [1, 2, 3, 4]);
  expectTensor('a plain number is rank 0', tensor(2.5), [], [2.5]);
  expectTensor('empty rows', tensor([[], []]), [2, 0], []);
});

test('tensor from a flat array with a shape takes values in row-major order', () => {
  expectTensor('flat → [3,2]', tensor([1, 2, 3, 4, 5, 6], [3, 2]), [3, 2], [1, 2, 3, 4, 5, 6]);
  const t = tensor([[1, 2, 3], [4, 5, 6]], [6]);
  expectTensor('nested values with an explicit shape', t, [6], [1, 2, 3, 4, 5, 6]);
  assert.equal(tensor([1, 2, 3, 4, 5, 6], [3, 2]).toArray(), [[1, 2], [3, 4], [5, 6]]);
});

test('typed arrays of the requested dtype are used without a copy', () => {
  const f32 = new Float32Array([1, 2, 3, 4, 5, 6]);
  const a = tensor(f32, [2, 3]);
  assert.ok(a.data === f32, 'float32 data into a float32 tensor keeps the buffer');
  assert.equal(a.shape, [2, 3]);
  f32[4] = 50;
  assert.is(a.data[4], 50, 'a write to the source array is visible in the tensor');

  const f64 = new Float64Array([0.1, 0.2, 0.3]);
  const b = tensor(f64, [3, 1], 'float64');
  assert.ok(b.data === f64, 'float64 data into a float64 tensor keeps the buffer');
  assert.is(b.dtype, 'float64');
  assert.equal(b.shape, [3, 1]);

  const c = tensor(f64, undefined, 'float64');
  assert.ok(c.data === f64, 'no shape: a 1-D tensor over the same buffer');
  assert.equal(c.shape, [3]);
});

test('typed arrays of another dtype are copied and converted', () => {
  const f64 = new Float64Array([0.1, 0.25, 3]);
  const t = tensor(f64, [3]); // float32 requested by default
  assert.ok(t.data !== f64, 'a float64 source becomes a new float32 buffer');
  assert.ok(t.data instanceof Float32Array);
  assertClose('float64 → float32', t.data, [Math.fround(0.1), 0.25, 3], TOL.exact);
  f64[2] = 7;
  assert.is(t.data[2], 3, 'the copy does not follow the source');

  const f32 = new Float32Array([1.5, -2]);
  const u = tensor(f32, [2], 'float64');
  assert.ok(u.data !== f32, 'a float32 source becomes a new float64 buffer');
  assert.ok(u.data instanceof Float64Array);
  assertClose('float32 → float64', u.data, [1.5, -2], TOL.exact);
});

test('float64 on request keeps values that float32 would round', () => {
  const t = tensor([0.1, 1 / 3], undefined, 'float64');
  assert.ok(t.data instanceof Float64Array);
  assert.is(t.dtype, 'float64');
  assert.is(t.data[0], 0.1);
  assert.is(t.data[1], 1 / 3);
  const s = tensor([0.1, 1 / 3]);
  assert.is(s.data[0], Math.fround(0.1));
  assert.is.not(s.data[0], 0.1, 'float32 rounds 0.1');
});

test('zeros, ones and full fill the shape in the requested dtype', () => {
  const z = zeros([2, 3]);
  assert.ok(z.data instanceof Float32Array);
  expectTensor('zeros', z, [2, 3], [0, 0, 0, 0, 0, 0]);
  const o = ones([3], 'float64');
  assert.ok(o.data instanceof Float64Array);
  expectTensor('ones float64', o, [3], [1, 1, 1]);
  const f = full([2, 2], -0.5, 'float64');
  expectTensor('full -0.5', f, [2, 2], [-0.5, -0.5, -0.5, -0.5]);
  expectTensor('full of shape [] holds one element', full([], 7), [], [7]);
  expectTensor('zeros with a zero dimension is empty', zeros([3, 0]), [3, 0], []);
});

// ---------------------------------------------------------------- random

test('randomUniform and randomNormal are reproducible after setSeed', () => {
  setSeed(42);
  const u1 = randomUniform([50]);
  const n1 = randomNormal([50], 0, 1, 'float64');
  setSeed(42);
  const u2 = randomUniform([50]);
  const n2 = randomNormal([50], 0, 1, 'float64');
  assert.equal(Array.from(u2.data), Array.from(u1.data), 'same seed, same uniform draws');
  assert.equal(Array.from(n2.data), Array.from(n1.data), 'same seed, same normal draws');

  setSeed(43);
  const u3 = randomUniform([50]);
  let differing = 0;
  for (let i = 0; i < 50; i++) if (u3.data[i] !== u1.data[i]) differing++;
  assert.ok(differing >= 45, `a different seed changes the draws: only ${differing} of 50 differ`);

  setSeed('a string seed');
  const s1 = randomUniform([5]);
  setSeed('a string seed');
  assert.equal(Array.from(randomUniform([5]).data), Array.from(s1.data), 'string seeds are reproducible too');
});

test('randomUniform stays in [lo, hi) with the moments of a uniform', () => {
  setSeed(7);
  const n = 20000;
  const lo = -2;
  const hi = 3;
  const t = randomUniform([100, 200], lo, hi, 'float64');
  assert.equal(t.shape, [100, 200]);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of t.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const mean = sum / n;
  let sq = 0;
  for (const v of t.data) sq += (v - mean) ** 2;
  const variance = sq / n;
  assert.ok(min >= lo && max < hi, `range [${min}, ${max}] is outside [${lo}, ${hi})`);
  assert.ok(min < lo + 0.01 && max > hi - 0.01, `range [${min}, ${max}] does not cover [${lo}, ${hi})`);
  // Mean (lo + hi) / 2 = 0.5; variance (hi − lo)² / 12 = 25 / 12. Standard errors ≈ 0.01 and 0.01.
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}, expected about 0.5`);
  assert.ok(Math.abs(variance - 25 / 12) < 0.1, `variance ${variance}, expected about ${25 / 12}`);
});

test('randomNormal has the requested mean and standard deviation', () => {
  setSeed(11);
  const n = 20000;
  const mu = 1.5;
  const sigma = 2;
  const t = randomNormal([n], mu, sigma, 'float64');
  let sum = 0;
  for (const v of t.data) sum += v;
  const mean = sum / n;
  let sq = 0;
  let withinOne = 0;
  for (const v of t.data) {
    sq += (v - mean) ** 2;
    if (Math.abs(v - mu) < sigma) withinOne++;
  }
  const std = Math.sqrt(sq / n);
  assert.ok(Number.isFinite(mean) && Number.isFinite(std), 'moments are finite');
  // Standard errors: mean 2/√20000 ≈ 0.014; std ≈ 0.01; the one-sigma fraction (0.6827) ≈ 0.003.
  assert.ok(Math.abs(mean - mu) < 0.07, `mean ${mean}, expected about ${mu}`);
  assert.ok(Math.abs(std - sigma) < 0.05, `std ${std}, expected about ${sigma}`);
  assert.ok(Math.abs(withinOne / n - 0.6827) < 0.015, `${withinOne / n} within one sigma, expected about 0.6827`);
  const f = randomNormal([4]);
  assert.ok(f.data instanceof Float32Array, 'randomNormal defaults to float32');
});

// ---------------------------------------------------------------- conversion

test('toArray returns the nested values and round-trips through tensor()', () => {
  const nested = [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]];
  const t = tensor(nested);
  assert.equal(t.shape, [3, 2, 2]);
  assert.equal(t.toArray(), nested);
  assert.equal(tensor(t.toArray()).toArray(), nested);
  const precise = [[0.1, -1 / 3], [1e-300, 2 ** 60]];
  assert.equal(tensor(precise, undefined, 'float64').toArray(), precise, 'float64 keeps every value exactly');
  assert.is(tensor(4.25).toArray(), 4.25, 'a rank-0 tensor gives a number');
  assert.equal(tensor([[], []]).toArray(), [[], []]);
});

test('item returns the one value and refuses a larger tensor', () => {
  assert.is(tensor(3.5).item(), 3.5);
  assert.is(tensor([[-2]]).item(), -2);
  assert.throws(() => tensor([1, 2, 3]).item(), mentions('item', '[3]', 3));
  assert.throws(() => zeros([2, 2]).item(), mentions('item', '[2,2]', 4));
});

test('toNdarray is a zero-copy view', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]], undefined, 'float64');
  const view = t.toNdarray();
  assert.equal(view.shape, [2, 3]);
  assert.ok(view.data === t.data, 'the view wraps the tensor buffer');
  assert.is(view.get(1, 2), 6);
  assert.is(view.get(0, 1), 2);
  view.set(0, 1, 42);
  view.set(1, 0, -7);
  expectTensor('written through the view', t, [2, 3], [1, 42, 3, -7, 5, 6]);
});

test('fromNdarray of a contiguous ndarray shares its buffer', () => {
  const data = new Float64Array([1, 2, 3, 4, 5, 6]);
  const t = fromNdarray(ndarray(data, [2, 3]));
  assert.ok(t.data === data, 'contiguous row-major data is used without a copy');
  assert.is(t.dtype, 'float64');
  expectTensor('contiguous float64', t, [2, 3], [1, 2, 3, 4, 5, 6]);

  const f32 = new Float32Array([1, 2, 3, 4]);
  const u = fromNdarray(ndarray(f32, [2, 2]));
  assert.ok(u.data === f32);
  assert.is(u.dtype, 'float32');

  const fromPlain = fromNdarray(ndarray([1, 2, 3, 4, 5, 6], [3, 2]));
  assert.is(fromPlain.dtype, 'float32', 'plain-array data becomes float32');
  expectTensor('plain array data', fromPlain, [3, 2], [1, 2, 3, 4, 5, 6]);
});

test('fromNdarray of a transposed or strided ndarray copies in logical order', () => {
  // a: [2, 3] = [[1, 2, 3], [4, 5, 6]]
  const data = new Float64Array([1, 2, 3, 4, 5, 6]);
  const a = ndarray(data, [2, 3]);
  const aT = fromNdarray(a.transpose(1, 0));
  assert.ok(aT.data !== data, 'a transposed view is copied');
  expectTensor('transposed [3,2]', aT, [3, 2], [1, 4, 2, 5, 3, 6]);
  assert.is(aT.dtype, 'float64');

  // b: [3, 4] = 0..11; rows 1..2 and columns 1..2 → [[5, 6], [9, 10]] (offset view).
  const b = ndarray(new Float32Array(Array.from({ length: 12 }, (_, i) => i)), [3, 4]);
  expectTensor('window [1:3, 1:3]', fromNdarray(b.hi(3, 3).lo(1, 1)), [2, 2], [5, 6, 9, 10]);
  // Every other column → [[0, 2], [4, 6], [8, 10]] (stride 2 in the last axis).
  expectTensor('step 2 in columns', fromNdarray(b.step(1, 2)), [3, 2], [0, 2, 4, 6, 8, 10]);
  // Rows reversed (negative stride) → [[8..11], [4..7], [0..3]].
  expectTensor('rows reversed', fromNdarray(b.step(-1, 1)), [3, 4], [8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]);
  // The first two rows only (offset 0, but the buffer is longer than the view).
  const top = fromNdarray(b.hi(2, 4));
  assert.ok(top.data !== b.data, 'a view over part of a buffer is copied');
  expectTensor('first two rows', top, [2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);
});

// ---------------------------------------------------------------- bad input

test('data length that does not fit the shape names the length and the shape', () => {
  assert.throws(() => tensor([1, 2, 3, 4, 5], [2, 3]), mentions('tensor', '[2,3]', 5));
  assert.throws(() => tensor([[1, 2], [3, 4]], [3, 3]), mentions('tensor', '[3,3]', 4));
  assert.throws(() => tensor(new Float32Array(7), [2, 4]), mentions('tensor', '[2,4]', 7));
  assert.throws(() => tensor(new Float64Array(5), [3, 2], 'float64'), mentions('tensor', '[3,2]', 5));
  assert.throws(() => new Tensor(new Float32Array(5), [2, 2]), mentions('Tensor', '[2,2]', 5));
});

test('negative, non-integer and NaN dimensions are refused, naming the shape and the bad dimension', () => {
  assert.throws(() => tensor([1, 2, 3, 4], [-2, -2]), mentions('tensor', '[-2,-2]', '-2'));
  assert.throws(() => tensor([1, 2, 3], [1.5, 2]), mentions('tensor', '[1.5,2]', '1.5'));
  assert.throws(() => tensor([1, 2], [NaN, 2]), mentions('tensor', '[NaN,2]', 'NaN'));
  assert.throws(() => tensor(new Float32Array(4), [4, -1]), mentions('tensor', '[4,-1]', '-1'));
  assert.throws(() => new Tensor(new Float32Array(0), [NaN]), mentions('Tensor', '[NaN]'));
  assert.throws(() => zeros([2, -3]), mentions('[2,-3]', '-3'));
  assert.throws(() => ones([Infinity]), mentions('[Infinity]'));
  assert.throws(() => randomUniform([0.5]), mentions('randomUniform', '[0.5]'));
  assert.throws(() => randomNormal([NaN, 1]), mentions('randomNormal', '[NaN,1]'));
});

test('ragged nested arrays are refused, naming the entry, its length and the expected shape', () => {
  // Row 1 is shorter than row 0.
  assert.throws(() => tensor([[1, 2, 3], [4, 5]]), mentions('tensor', 'ragged', '[1]', 2, '[2,3]'));
  // A number where a row of 2 was expected.
  assert.throws(() => tensor([[1, 2], 3] as NestedArray), mentions('tensor', 'ragged', '[1]', '[2,2]'));
  // An array where a number was expected.
  assert.throws(() => tensor([1, [2, 3]] as NestedArray), mentions('tensor', 'ragged', '[1]', '[2]'));
  // A deeper mismatch: entry [1,0] has 3 values, not 2.
  assert.throws(() => tensor([[[1, 2]], [[3, 4, 5]]]), mentions('tensor', 'ragged', '[1,0]', 3, '[2,1,2]'));
});

// ---------------------------------------------------------------- the tape

test('backward from a scalar gives the gradient of every leaf', () => {
  // L = Σ x² + Σ x ⊙ w  →  dL/dx = 2x + w, dL/dw = x
  const x = leaf([1, -2, 3]);
  const w = leaf([0.5, 4, -1]);
  const loss = ops.add(ops.sum(ops.mul(x, x)), ops.sum(ops.mul(x, w)));
  assert.equal(loss.shape, []);
  assertClose('L', loss.data, [1 + 4 + 9 + 0.5 - 8 - 3], TOL.float64);
  loss.backward();
  expectGrad('dL/dx', x, [2 + 0.5, -4 + 4, 6 - 1]);
  expectGrad('dL/dw', w, [1, -2, 3]);
  expectGrad('dL/dL', loss, [1]);
});

test('backward with a given output gradient', () => {
  // y = 3x + x² (elementwise), dy/dx = 3 + 2x; the output gradient g scales it.
  const x = leaf([[1, 2], [-1, 0.5]]);
  const y = ops.add(ops.mulScalar(x, 3), ops.mul(x, x));
  y.backward(new Float64Array([1, 10, 100, -2]));
  expectGrad('dy/dx · g', x, [[1 * 5, 10 * 7], [100 * 1, -2 * 4]]);
});

test('gradients accumulate on leaves over two backward calls', () => {
  // L = Σ x² → dL/dx = 2x per call.
  const x = leaf([1, -2, 3]);
  const loss = ops.sum(ops.mul(x, x));
  loss.backward();
  expectGrad('after one backward', x, [2, -4, 6]);
  const first = x.grad;
  loss.backward();
  expectGrad('after two backward calls', x, [4, -8, 12]);
  assert.ok(x.grad === first, 'the leaf keeps one gradient buffer');

  // A second forward pass over the same leaf also accumulates.
  ops.sum(ops.mul(x, x)).backward();
  expectGrad('after a third pass through a new graph', x, [6, -12, 18]);
});

test('intermediate gradients do not double count over repeated backward calls', () => {
  // h = 2x, L = Σ h²: dL/dh = 2h = 4x, dL/dx = 8x.
  const x = leaf([1, 2]);
  const h = ops.mulScalar(x, 2);
  const sq = ops.mul(h, h);
  const loss = ops.sum(sq);
  loss.backward();
  loss.backward();
  expectGrad('dL/dh is the single-pass value', h, [4, 8]);
  expectGrad('dL/d(h²) is the single-pass value', sq, [1, 1]);
  expectGrad('dL/dL is 1', loss, [1]);
  expectGrad('dL/dx is accumulated twice', x, [16, 32]);
});

test('a shared intermediate receives gradient from every use (diamond)', () => {
  // y = 2x; L = Σ (y·y + y) → dL/dy = 2y + 1, dL/dx = 2(2y + 1) = 8x + 2.
  const x = leaf([0.5, -1, 3]);
  const y = ops.mulScalar(x, 2);
  const loss = ops.sum(ops.add(ops.mul(y, y), y));
  loss.backward();
  expectGrad('dL/dy', y, [3, -3, 13]);
  expectGrad('dL/dx', x, [6, -6, 26]);
});

test('zeroGrad clears the gradient in place', () => {
  const x = leaf([1, 2, 3]);
  const untouched = leaf([4]);
  untouched.zeroGrad();
  assert.is(untouched.grad, null, 'zeroGrad before any backward leaves no buffer');
  const loss = ops.sum(ops.mulScalar(x, 5));
  loss.backward();
  const buffer = x.grad;
  x.zeroGrad();
  assert.ok(x.grad === buffer, 'the buffer is kept');
  expectGrad('after zeroGrad', x, [0, 0, 0]);
  loss.backward();
  expectGrad('one backward after zeroGrad', x, [5, 5, 5]);
  expectTensor('gradTensor', x.gradTensor(), [3], [5, 5, 5]);
  expectTensor('gradTensor of a tensor without gradient is zeros', tensor([[1, 2]]).gradTensor(), [1, 2], [0, 0]);
});

test('noGrad records nothing', () => {
  const x = leaf([1, 2]);
  assert.ok(isGradEnabled());
  const y = noGrad(() => {
    assert.not.ok(isGradEnabled(), 'recording is off inside noGrad');
    return ops.tanh(ops.mul(x, x));
  });
  assert.ok(isGradEnabled(), 'recording is back on after noGrad');
  assert.is(y.node, null);
  assert.is(y.requiresGrad, false);
  assertClose('values are still computed', y.data, [Math.tanh(1), Math.tanh(4)], TOL.float64);
  y.backward(new Float64Array([1, 1]));
  assert.is(x.grad, null, 'no gradient reaches the leaf');

  assert.throws(() => noGrad(() => { throw new Error('inside'); }), /inside/);
  assert.ok(isGradEnabled(), 'recording is back on after a throw inside noGrad');

  // Constants (no requiresGrad) are not recorded either.
  const c = ops.add(tensor([1]), tensor([2]));
  assert.is(c.node, null);
  assert.is(c.requiresGrad, false);
  // And an op on a leaf that wants a gradient is.
  const r = ops.mulScalar(x, 2);
  assert.ok(r.node !== null && r.node.op === 'mulScalar' && r.requiresGrad);
});

test('detach copies the values off the tape', () => {
  const x = leaf([1, 2]);
  const y = ops.mulScalar(x, 3);
  const d = y.detach();
  assert.is(d.node, null);
  assert.is(d.requiresGrad, false);
  assert.ok(d.data !== y.data);
  expectTensor('detached values', d, [2], [3, 6]);
});

test('backward from a non-scalar needs the output gradient', () => {
  const x = leaf([[1, 2, 3], [4, 5, 6]]);
  const y = ops.mulScalar(x, 2);
  assert.throws(() => y.backward(), mentions('backward', '[2,3]', 'scalar'));
  assert.throws(() => y.backward(new Float64Array(5)), mentions('backward', '[2,3]', 5));
});

test.run();
