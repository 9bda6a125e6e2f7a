/**
 * The fast gemm, and gemmPacked with a right operand packed once, against the
 * reference gemmNaive: odd sizes that leave partial 3×4 tiles on every edge,
 * all four transpose cases, overwrite and accumulate, float32 and float64. A
 * failure names the worst element and the first pairs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemm, gemmNaive, gemmPacked, packRight, type PackedRight } from '../../autograd/gemm.ts';
import type { DType, FloatArray } from '../../autograd/tensor.ts';
import { setSeed, uniform } from '../../autograd/random.ts';

/** Allowed |got − expected| ≤ TOL · max(1, |expected|): sums are reordered, so not bit-equal. */
const TOL: Record<DType, number> = { float32: 1e-4, float64: 1e-12 };
const SIZES = [1, 3, 7, 33, 65];
const TRANSPOSES: Array<[transA: boolean, transB: boolean]> = [[false, false], [true, false], [false, true], [true, true]];

function randomArray(length: number, dtype: DType): FloatArray {
  const x = dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) x[i] = uniform(-1, 1);
  return x;
}

/** Empty string when every element is within TOL, else the worst element and the first pairs. */
function compare(got: FloatArray, expected: FloatArray, n: number, dtype: DType): string {
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(got[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worstErr)) { // also catches NaN
      worst = i;
      worstErr = err;
    }
  }
  if (worst < 0 || worstErr <= TOL[dtype]) return '';
  const at = (i: number): string => `[${Math.floor(i / n)}, ${i % n}]`;
  const pairs = Array.from({ length: Math.min(4, expected.length) }, (_, i) => `${at(i)} ${expected[i]} / ${got[i]}`);
  return `worst ${at(worst)} (index ${worst}): expected ${expected[worst]}, got ${got[worst]}, ` +
    `rel err ${worstErr.toExponential(2)} > ${TOL[dtype]}; first (expected / got): ${pairs.join(', ')}`;
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
        const failures: string[] = [];
        let packed: PackedRight | null = null;
        for (const m of SIZES) {
          for (const k of SIZES) {
            for (const n of SIZES) {
              const a = poolA.subarray(0, m * k); // [m, k], or [k, m] when transA
              const b = poolB.subarray(0, k * n); // [k, n], or [n, k] when transB
              // Garbage in `out` must be overwritten, or kept and added to when accumulating.
              const start = poolOut.subarray(0, m * n); // [m, n]
              const expected = gemmNaive(start.slice(), a, b, m, k, n, transA, transB, accumulate);
              const got = gemm(start.slice(), a, b, m, k, n, transA, transB, accumulate);
              const message = compare(got, expected, n, dtype);
              if (message) failures.push(`m=${m} k=${k} n=${n}: ${message}`);
              // The same product with op(b) packed once (reusing the storage of the previous packing).
              packed = packRight(b, k, n, transB, packed);
              const gotPacked = gemmPacked(start.slice(), a, packed, m, transA, accumulate);
              const messagePacked = compare(gotPacked, expected, n, dtype);
              if (messagePacked) failures.push(`gemmPacked m=${m} k=${k} n=${n}: ${messagePacked}`);
            }
          }
        }
        assert.ok(failures.length === 0, `${failures.length} shapes failed\n${failures.slice(0, 5).join('\n')}`);
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
      const expected = gemmNaive(start.slice(), a, b, m, k, n, transA, transB, true);
      const got = gemm(start.slice(), a, b, m, k, n, transA, transB, true);
      const message = compare(got, expected, n, dtype);
      assert.ok(message === '', `${dtype} transA=${transA} transB=${transB}: ${message}`);
      const gotPacked = gemmPacked(start.slice(), a, packRight(b, k, n, transB), m, transA, true);
      const messagePacked = compare(gotPacked, expected, n, dtype);
      assert.ok(messagePacked === '', `gemmPacked ${dtype} transA=${transA} transB=${transB}: ${messagePacked}`);
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
  assert.is(compare(out.subarray(0, m * n), expected, n, 'float64'), '');
});

test('gemm with k = 0 gives zeros, or leaves out alone when accumulating', () => {
  const out = new Float64Array([1, 2, 3, 4]);
  gemm(out, new Float64Array(0), new Float64Array(0), 2, 0, 2, false, false, true);
  assert.equal(Array.from(out), [1, 2, 3, 4]);
  gemm(out, new Float64Array(0), new Float64Array(0), 2, 0, 2);
  assert.equal(Array.from(out), [0, 0, 0, 0]);
  out.set([1, 2, 3, 4]);
  const empty = packRight(new Float64Array(0), 0, 2);
  gemmPacked(out, new Float64Array(0), empty, 2, false, true);
  assert.equal(Array.from(out), [1, 2, 3, 4]);
  gemmPacked(out, new Float64Array(0), empty, 2);
  assert.equal(Array.from(out), [0, 0, 0, 0]);
});

test('the check reports the worst element', () => {
  const expected = new Float64Array([1, 2, 3, 4, 5, 6]);
  const got = expected.slice();
  got[4] = 5.5;
  assert.match(compare(got, expected, 3, 'float64'), /worst \[1, 1\] \(index 4\): expected 5, got 5.5/);
  assert.is(compare(expected.slice(), expected, 3, 'float64'), '');
});

test.run();
