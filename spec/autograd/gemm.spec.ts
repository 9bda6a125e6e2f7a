/**
 * The fast gemm, and gemmPacked with a right operand packed once, against the
 * reference gemmNaive: odd sizes that leave partial 2×4 tiles on every edge
 * (and a last odd row), all four transpose cases, overwrite and accumulate,
 * float32 and float64, and blocks of wider matrices read and written in
 * place. A failure names the worst element and the first pairs. Then the
 * fast gemm's own promise: every row bit for bit the same whatever the
 * number of rows of the call, and gemmPacked the same as gemm.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemm, gemmNaive, gemmPacked, gemmSharedRight, packRight, type PackedRight } from '../../autograd/gemm.ts';
import type { DType, FloatArray } from '../../autograd/tensor.ts';
import { setSeed, uniform } from '../../autograd/random.ts';
import { assertClose } from './expect.ts';

/** Allowed |got − expected| ≤ TOL · max(1, |expected|): sums are reordered, so not bit-equal. */
const TOL: Record<DType, number> = { float32: 1e-4, float64: 1e-12 };
const SIZES = [1, 3, 7, 33, 65];
const TRANSPOSES: Array<[transA: boolean, transB: boolean]> = [[false, false], [true, false], [false, true], [true, true]];

function randomArray(length: number, dtype: DType): FloatArray {
  const x = dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) x[i] = uniform(-1, 1);
  return x;
}

for (const dtype of ['float32', 'float64'] as const) {
  for (const [transA, transB] of TRANSPOSES) {
    for (const accumulate of [false, true]) {
      const op = `${transA ? 'aᵀ' : 'a'}·${transB ? 'bᵀ' : 'b'}`;
      test(`gemm ${dtype} ${op}${accumulate ? ' accumulate' : ''} matches gemmNaive`, () => {
        setSeed(`${dtype} ${op} ${accumulate}`);
        // Operands are cut from three random pools (drawing afresh per shape is the slow part).
        const big = SIZES[SIZES.length - 1] ** 2;
        const [poolA, poolB, poolOut] = [0, 1, 2].map(() => randomArray(big, dtype));
        let packed: PackedRight | null = null;
        const options = { transA, transB, accumulate };
        for (const m of SIZES) {
          for (const k of SIZES) {
            for (const n of SIZES) {
              const a = poolA.subarray(0, m * k); // [m, k], or [k, m] when transA
              const b = poolB.subarray(0, k * n); // [k, n], or [n, k] when transB
              // Garbage in `out` must be overwritten, or kept and added to when accumulating.
              const start = poolOut.subarray(0, m * n); // [m, n]
              const expected = gemmNaive(start.slice(), a, b, m, k, n, options);
              assertClose(`m=${m} k=${k} n=${n}`, gemm(start.slice(), a, b, m, k, n, options), expected, TOL[dtype]);
              // The same product with op(b) packed once (reusing the storage of the previous packing).
              packed = packRight(b, k, n, { transB }, packed);
              assertClose(`gemmPacked m=${m} k=${k} n=${n}`, gemmPacked(start.slice(), a, packed, m, options), expected, TOL[dtype]);
            }
          }
        }
      });
    }
  }
}

test('gemm and gemmPacked match gemmNaive when k spans several packed blocks', () => {
  setSeed('long k');
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      const m = 6, k = 600, n = 9;
      const a = randomArray(m * k, dtype);
      const b = randomArray(k * n, dtype);
      const start = randomArray(m * n, dtype);
      const options = { transA, transB, accumulate: true };
      const expected = gemmNaive(start.slice(), a, b, m, k, n, options);
      assertClose(`${dtype} transA=${transA} transB=${transB}`, gemm(start.slice(), a, b, m, k, n, options), expected, TOL[dtype]);
      const gotPacked = gemmPacked(start.slice(), a, packRight(b, k, n, { transB }), m, options);
      assertClose(`gemmPacked ${dtype} transA=${transA} transB=${transB}`, gotPacked, expected, TOL[dtype]);
    }
  }
});

test('gemm writes only out[0 .. m·n] and returns out', () => {
  const m = 5, k = 6, n = 7;
  const a = randomArray(m * k, 'float32');
  const b = randomArray(k * n, 'float32');
  const out = new Float32Array(m * n + 3).fill(42);
  assert.is(gemm(out, a, b, m, k, n), out);
  assert.equal(Array.from(out.subarray(m * n)), [42, 42, 42]);
});

test('gemmPacked writes only out[0 .. m·n], and a packed operand does not follow later changes to b', () => {
  const m = 5, k = 6, n = 7;
  const a = randomArray(m * k, 'float64');
  const b = randomArray(k * n, 'float64');
  const packed = packRight(b, k, n);
  const expected = gemmNaive(new Float64Array(m * n), a, b, m, k, n);
  b.fill(0); // the packed copy keeps the values it was packed with
  const out = new Float64Array(m * n + 3).fill(42);
  assert.is(gemmPacked(out, a, packed, m), out);
  assert.equal(Array.from(out.subarray(m * n)), [42, 42, 42]);
  assertClose('gemmPacked', out.subarray(0, m * n), expected, TOL.float64);
});

test('gemm with k = 0 gives zeros, or leaves out alone when accumulating', () => {
  const out = new Float64Array([1, 2, 3, 4]);
  gemm(out, new Float64Array(0), new Float64Array(0), 2, 0, 2, { accumulate: true });
  assert.equal(Array.from(out), [1, 2, 3, 4]);
  gemm(out, new Float64Array(0), new Float64Array(0), 2, 0, 2);
  assert.equal(Array.from(out), [0, 0, 0, 0]);
  out.set([1, 2, 3, 4]);
  const empty = packRight(new Float64Array(0), 0, 2);
  gemmPacked(out, new Float64Array(0), empty, 2, { accumulate: true });
  assert.equal(Array.from(out), [1, 2, 3, 4]);
  gemmPacked(out, new Float64Array(0), empty, 2);
  assert.equal(Array.from(out), [0, 0, 0, 0]);
});

test('blocks of wider matrices in place (strides and offsets), every transpose, plain and packed: the same as on contiguous copies', () => {
  setSeed('strides');
  const [m, k, n] = [5, 7, 6];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      for (const accumulate of [false, true]) {
        // Each operand is the block at row 1, column 2 of a matrix 4 columns wider than it is stored.
        const [ra, ca] = transA ? [k, m] : [m, k];
        const [rb, cb] = transB ? [n, k] : [k, n];
        const wide = (rows: number, cols: number): FloatArray => randomArray((rows + 1) * (cols + 4), dtype);
        const [A, Bm, Out] = [wide(ra, ca), wide(rb, cb), wide(m, n)];
        const block = (X: FloatArray, rows: number, cols: number): FloatArray => {
          const c = X instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
          for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) c[r * cols + j] = X[(r + 1) * (cols + 4) + 2 + j];
          return c;
        };
        const options = {
          transA, transB, accumulate, lda: ca + 4, ldb: cb + 4, ldc: n + 4,
          offsetA: ca + 4 + 2, offsetB: cb + 4 + 2, offsetC: n + 4 + 2,
        };
        const want = gemm(block(Out, m, n), block(A, ra, ca), block(Bm, rb, cb), m, k, n, { transA, transB, accumulate });
        const what = `${dtype} transA=${transA} transB=${transB}${accumulate ? ' accumulate' : ''}`;
        for (const [how, got] of [
          ['gemm', gemm(Out.slice(), A, Bm, m, k, n, options)],
          ['gemmNaive', gemmNaive(Out.slice(), A, Bm, m, k, n, options)],
          ['gemmPacked', gemmPacked(Out.slice(), A, packRight(Bm, k, n, options), m, options)],
        ] as const) {
          assertClose(`${how} ${what}: the block`, block(got, m, n), want, TOL[dtype]);
          const outside = Array.from(got).filter((_, i) => { const r = Math.floor(i / (n + 4)), c = i % (n + 4); return r < 1 || c < 2 || c >= n + 2; });
          const before = Array.from(Out).filter((_, i) => { const r = Math.floor(i / (n + 4)), c = i % (n + 4); return r < 1 || c < 2 || c >= n + 2; });
          assert.equal(outside, before, `${how} ${what}: nothing outside the block is written`);
        }
      }
    }
  }
});

test('rows are bit-identical whatever m and k: a product cut into row blocks (1, 2 and 3 rows, read in place), plain and packed, equals the whole', () => {
  setSeed('row blocks');
  const [m, n] = [13, 9]; // n leaves a partial tile
  const blocks: Array<[number, number]> = [[0, 1], [1, 3], [3, 6], [6, 7], [7, 13]];
  // k = 300 spans two packed blocks; k = 1, 2, 3 are read in place by gemm at any m, and packed by gemmPacked.
  for (const [dtype, k] of [['float32', 300], ['float64', 300], ['float32', 1], ['float64', 2], ['float64', 3]] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      const a = randomArray(m * k, dtype); // [m, k], or [k, m] when transA
      const b = randomArray(k * n, dtype);
      const start = randomArray(m * n, dtype);
      const options = { transA, transB, accumulate: true };
      const whole = gemm(start.slice(), a, b, m, k, n, options);
      const packed = packRight(b, k, n, { transB });
      const wholePacked = gemmPacked(start.slice(), a, packed, m, options);
      const what = `${dtype} k=${k} transA=${transA} transB=${transB}`;
      assert.ok(whole.every((v, i) => Object.is(v, wholePacked[i])), `${what}: gemmPacked differs from gemm`);
      for (const [r0, r1] of blocks) {
        // Rows r0 … r1 of op(a): rows of a, or columns of a when transA.
        const rows = { ...options, lda: transA ? m : k, offsetA: transA ? r0 : r0 * k, offsetC: r0 * n };
        const got = gemm(start.slice(), a, b, r1 - r0, k, n, rows);
        const gotPacked = gemmPacked(start.slice(), a, packed, r1 - r0, rows);
        for (let i = r0 * n; i < r1 * n; i++) {
          assert.ok(Object.is(got[i], whole[i]), `${what}: rows ${r0}…${r1 - 1} alone: [${i}] ${got[i]} vs ${whole[i]} in the whole product`);
          assert.ok(Object.is(gotPacked[i], whole[i]), `${what}: packed rows ${r0}…${r1 - 1}: [${i}] ${gotPacked[i]} vs ${whole[i]}`);
        }
      }
    }
  }
});

test('gemmSharedRight: products of one right operand, each the same bits as its own gemm', () => {
  setSeed('shared right');
  const [k, n] = [300, 9]; // k spans two packed blocks
  for (const dtype of ['float32', 'float64'] as const) {
    for (const transB of [false, true]) {
      const b = randomArray(k * n, dtype);
      const parts = [[5, true, true], [4, false, false], [1, true, true]] as const; // m, transA, accumulate
      const as = parts.map(([m]) => randomArray(m * k, dtype));
      const outs = parts.map(([m]) => randomArray(m * n, dtype));
      const want = parts.map(([m, transA, accumulate], i) => gemm(outs[i].slice(), as[i], b, m, k, n, { transA, transB, accumulate }));
      const got = outs.map((o) => o.slice());
      gemmSharedRight(parts.map(([m, transA, accumulate], i) => ({ out: got[i], a: as[i], m, options: { transA, accumulate } })), b, k, n, { transB });
      parts.forEach(([m], i) => {
        const j = want[i].findIndex((v, e) => !Object.is(v, got[i][e]));
        assert.is(j, -1, `${dtype} transB=${transB} product ${i} (m=${m}) at [${j}]: ${got[i][j]} vs ${want[i][j]}`);
      });
    }
  }
});

test('assertClose reports the worst element and the first pairs', () => {
  const failure = (f: () => unknown): string => {
    try {
      f();
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const expected = [1, 2, 3, 4, 5, 6];
  const got = expected.slice();
  got[4] = 5.5;
  assert.match(failure(() => assertClose('six', got, expected, 1e-12)), /six: worst element \[4\] is 5.5, expected 5 \(error 1.00e-1 > tolerance 1e-12\); first pairs: \[0\] 1 vs 1/);
  assert.is(failure(() => assertClose('six', expected.slice(), expected, 0)), '');
  assert.match(failure(() => assertClose('nan', [NaN], [1], 1)), /nan: worst element \[0\] is NaN/);
});

test.run();
