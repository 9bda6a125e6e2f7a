import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { tensor } from '../../../autograd/tensor.ts';
import { loadJenaClimate } from '../../../lib/data/csv.ts';
import { normalize } from '../../../lib/data/normalize.ts';

/** Element-wise closeness with a named tolerance; names the worst element on failure. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= worstErr)) {
      worst = i;
      worstErr = err;
    }
  }
  assert.ok(worstErr <= tol, `${what}: worst [${worst}] ${actual[worst]} vs ${expected[worst]} (|diff| ${worstErr} > ${tol})`);
}

const TOL_F32 = 1e-6; // relative to values of order 1
const TOL_F64 = 1e-12;

test('normalize: mean and population std of the training rows only', () => {
  const data = tensor([[1, 10], [3, 30], [5, 50], [100, 1000]]);
  const { data: out, mean, std } = normalize(data, { trainRows: 3 });
  const s = Math.sqrt(8 / 3); // deviations −2, 0, 2 → variance 8/3 (ddof 0)
  assertClose(mean, [3, 30], TOL_F64, 'mean');
  assertClose(std, [s, 10 * s], TOL_F64, 'std');
  assertClose(out.data, [-2 / s, -2 / s, 0, 0, 2 / s, 2 / s, 97 / s, 97 / s], TOL_F32 * 100, 'normalised data');
  assert.is(out.dtype, 'float32');
  assert.equal(data.toArray(), [[1, 10], [3, 30], [5, 50], [100, 1000]], 'the input is left unchanged');
  assert.ok(out.data !== data.data, 'a new tensor');
});

test('normalize: without trainRows every row counts; the training part then has mean 0 and std 1', () => {
  const data = tensor([[2, -1], [4, 0], [9, 7], [1, 2]], undefined, 'float64');
  const { data: out } = normalize(data);
  assert.is(out.dtype, 'float64');
  const F = 2;
  for (let f = 0; f < F; f++) {
    const col = [0, 1, 2, 3].map((n) => out.data[n * F + f]);
    const m = col.reduce((a, b) => a + b, 0) / 4;
    const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / 4;
    assertClose([m, v], [0, 1], TOL_F64, `column ${f} mean and variance`);
  }
});

test('normalize: the Jena fixture, checked against a direct float64 computation', () => {
  const { floatData } = loadJenaClimate(join(import.meta.dirname, '..', '..', 'fixtures', 'jena_climate_small.csv'));
  const trainRows = 20;
  const { data: out, mean, std } = normalize(floatData, { trainRows });
  const [N, F] = floatData.shape;
  for (let f = 0; f < F; f++) {
    let m = 0;
    for (let n = 0; n < trainRows; n++) m += floatData.data[n * F + f];
    m /= trainRows;
    let v = 0;
    for (let n = 0; n < trainRows; n++) v += (floatData.data[n * F + f] - m) ** 2;
    const sd = Math.sqrt(v / trainRows);
    assertClose([mean[f], std[f]], [m, sd], 1e-9 * Math.max(1, Math.abs(m)), `column ${f} statistics`);
    const expected = Array.from({ length: N }, (_, n) => (floatData.data[n * F + f] - m) / sd);
    const got = Array.from({ length: N }, (_, n) => out.data[n * F + f]);
    assertClose(got, expected, 1e-3, `column ${f} values`); // float32 storage of values up to ~10
  }
});

test('normalize: bad arguments are named', () => {
  const data = tensor([[1, 5], [2, 5], [3, 6]]);
  assert.throws(() => normalize(tensor([1, 2, 3])), /normalize: data must be a 2-D tensor \[N, F\], got \[3\]/);
  assert.throws(() => normalize(data, { trainRows: 0 }), /trainRows must be an integer in \[1, 3\] \(the data has 3 rows\), got 0/);
  assert.throws(() => normalize(data, { trainRows: 4 }), /trainRows must be an integer in \[1, 3\]/);
  assert.throws(() => normalize(data, { trainRows: 1.5 }), /trainRows must be an integer in \[1, 3\].*got 1\.5/);
  assert.throws(() => normalize(data, { trainRows: 2 }), /column 1 has standard deviation 0 over the first 2 rows/);
  assert.throws(() => normalize(tensor([[1], [NaN]])), /column 0 has standard deviation NaN/);
});

test.run();
