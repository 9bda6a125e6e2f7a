import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSeed, randomInt } from '../../../autograd/random.ts';
import { Tensor, tensor } from '../../../autograd/tensor.ts';
import { generator, timeseriesDatasetFromArray } from '../../../lib/data/timeseries.ts';

/** N rows of F features with data[i][f] = 100·i + f, so every value names its row. */
function ramp(N: number, F: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const rows: number[][] = [];
  for (let i = 0; i < N; i++) rows.push(Array.from({ length: F }, (_, f) => 100 * i + f));
  return tensor(rows, undefined, dtype);
}

/** The expected window: the listed rows of ramp(·, F). */
function rowsOf(indices: number[], F: number): number[][] {
  return indices.map((i) => Array.from({ length: F }, (_, f) => 100 * i + f));
}

// ---------------------------------------------------------------- generator

test('generator: in order, windows and targets match hand-computed rows, and it wraps early', () => {
  // N = 20, F = 3, lookback 4, step 2, delay 2: maxIndex = 20 − 2 − 1 = 17, rows start at 0 + 4.
  const g = generator(ramp(20, 3), { lookback: 4, delay: 2, minIndex: 0, maxIndex: null, step: 2, batchSize: 5 });

  const [s1, t1] = g.next().value; // rows 4..8 (i = 4 → 9)
  assert.equal(s1.shape, [5, 2, 3]);
  assert.equal(s1.toArray(), [
    rowsOf([0, 2], 3), rowsOf([1, 3], 3), rowsOf([2, 4], 3), rowsOf([3, 5], 3), rowsOf([4, 6], 3),
  ]);
  // target = data[row + 2][1]
  assert.equal(t1.toArray(), [601, 701, 801, 901, 1001]);

  const [s2, t2] = g.next().value; // rows 9..13 (i = 9 → 14)
  assert.equal(s2.toArray(), [
    rowsOf([5, 7], 3), rowsOf([6, 8], 3), rowsOf([7, 9], 3), rowsOf([8, 10], 3), rowsOf([9, 11], 3),
  ]);
  assert.equal(t2.toArray(), [1101, 1201, 1301, 1401, 1501]);

  // i = 14: 14 + 5 >= 17, so i goes back to 4 and rows 14..16 are never used.
  const [s3, t3] = g.next().value;
  assert.equal(s3.toArray(), s1.toArray());
  assert.equal(t3.toArray(), [601, 701, 801, 901, 1001]);
});

test('generator: wraps when i + batchSize == maxIndex, skipping a batch that would fit (Python `>=`)', () => {
  // rows start at 4; maxIndex 14; after rows 4..8, i = 9 and 9 + 5 >= 14, so rows 9..13 are never drawn.
  const g = generator(ramp(20, 2), { lookback: 4, delay: 2, maxIndex: 14, step: 2, batchSize: 5 });
  const [, t1] = g.next().value;
  const [s2, t2] = g.next().value;
  assert.equal(t1.toArray(), [601, 701, 801, 901, 1001]);
  assert.equal(t2.toArray(), [601, 701, 801, 901, 1001]);
  assert.equal((s2.toArray() as number[][][])[0], rowsOf([0, 2], 2));
});

test('generator: a range shorter than a batch gives the same smaller batch every time', () => {
  // minIndex 2, maxIndex 10, lookback 4: rows 6..9 — 4 rows for a batch of 5.
  const g = generator(ramp(20, 2), { lookback: 4, delay: 1, minIndex: 2, maxIndex: 10, step: 2, batchSize: 5 });
  for (let k = 0; k < 3; k++) {
    const [s, t] = g.next().value;
    assert.equal(s.shape, [4, 2, 2]);
    assert.equal(s.toArray(), [rowsOf([2, 4], 2), rowsOf([3, 5], 2), rowsOf([4, 6], 2), rowsOf([5, 7], 2)]);
    assert.equal(t.toArray(), [701, 801, 901, 1001]);
  }
});

test('generator: step 1 and targetColumn pick every row and another column', () => {
  const g = generator(ramp(10, 3), { lookback: 3, delay: 0, step: 1, batchSize: 2, targetColumn: 2 });
  const [s, t] = g.next().value; // maxIndex = 9, rows 3, 4
  assert.equal(s.toArray(), [rowsOf([0, 1, 2], 3), rowsOf([1, 2, 3], 3)]);
  assert.equal(t.toArray(), [302, 402]);
});

test('generator: shuffled rows come from the global seeded generator, in range, windows matching rows', () => {
  const minIndex = 3;
  const maxIndex = 12;
  const lookback = 4;
  const step = 2;
  const delay = 3;
  const options = { lookback, delay, minIndex, maxIndex, step, batchSize: 8, shuffle: true };
  setSeed(42);
  const g = generator(ramp(20, 3), options);
  const seen = new Set<number>();
  const batches: Array<[Tensor, Tensor]> = [];
  for (let k = 0; k < 20; k++) batches.push(g.next().value);

  // The same draws, made by hand: rows = randint(minIndex + lookback, maxIndex).
  setSeed(42);
  const expectedRows: number[] = [];
  for (let k = 0; k < 20 * 8; k++) expectedRows.push(minIndex + lookback + randomInt(maxIndex - minIndex - lookback));

  batches.forEach(([s, t], k) => {
    assert.equal(s.shape, [8, 2, 3]);
    for (let j = 0; j < 8; j++) {
      const row = expectedRows[k * 8 + j];
      assert.ok(row >= minIndex + lookback && row < maxIndex, `row ${row} out of [${minIndex + lookback}, ${maxIndex})`);
      seen.add(row);
      const window = (s.toArray() as number[][][])[j];
      assert.equal(window, rowsOf([row - 4, row - 2], 3), `batch ${k}, sample ${j}, row ${row}`);
      assert.is(t.data[j], 100 * (row + delay) + 1, `target of row ${row}`);
    }
  });
  assert.equal([...seen].sort((a, b) => a - b), [7, 8, 9, 10, 11], 'every row of the range is drawn, no other');

  // Reproducible bit for bit from the seed.
  setSeed(42);
  const again = generator(ramp(20, 3), options).next().value;
  assert.equal(Array.from(again[0].data), Array.from(batches[0][0].data));
});

test('generator: keeps the dtype of the data', () => {
  const [s, t] = generator(ramp(10, 2, 'float64'), { lookback: 2, delay: 1, step: 1, batchSize: 1 }).next().value;
  assert.is(s.dtype, 'float64');
  assert.is(t.dtype, 'float64');
});

test('generator: bad arguments fail at the call, naming the argument', () => {
  const data = ramp(20, 3);
  const base = { lookback: 4, delay: 2, step: 2 };
  assert.throws(() => generator(tensor([1, 2, 3]), base), /generator: data must be a 2-D tensor \[N, F\], got \[3\]/);
  assert.throws(() => generator([[1]] as never, base), /data must be a 2-D tensor/);
  assert.throws(() => generator(data, { ...base, lookback: 0 }), /lookback must be a positive integer, got 0/);
  assert.throws(() => generator(data, { ...base, lookback: 30 }), /lookback 30 is longer than the data \(20 rows\)/);
  assert.throws(() => generator(data, { ...base, lookback: 5 }), /step 2 does not divide lookback 5/);
  assert.throws(() => generator(data, { ...base, step: 0 }), /step must be a positive integer, got 0/);
  assert.throws(() => generator(data, { ...base, delay: -1 }), /delay must be a non-negative integer, got -1/);
  assert.throws(() => generator(data, { ...base, batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => generator(data, { ...base, minIndex: -1 }), /minIndex must be a non-negative integer, got -1/);
  assert.throws(() => generator(data, { ...base, minIndex: 10, maxIndex: 10 }), /minIndex 10 must be less than maxIndex 10/);
  assert.throws(() => generator(data, { ...base, minIndex: 8, maxIndex: 12 }), /no window fits: minIndex \+ lookback = 12 must be less than maxIndex 12/);
  assert.throws(() => generator(data, { ...base, maxIndex: 19 }), /maxIndex 19 is out of range: the target of the last window \(row maxIndex − 1 \+ delay = 20\)/);
  assert.throws(() => generator(data, { ...base, maxIndex: 12.5 }), /maxIndex 12\.5 is out of range/);
  assert.throws(() => generator(data, { ...base, targetColumn: 3 }), /targetColumn 3 is out of range for data with 3 columns/);
});

// ---------------------------------------------------------------- timeseriesDatasetFromArray

test('timeseriesDatasetFromArray: Keras example 1 (indices 0..98, length 10, rate 2, stride 3)', () => {
  const data = Float32Array.from({ length: 99 }, (_, i) => i);
  const ds = timeseriesDatasetFromArray(data, null, { sequenceLength: 10, samplingRate: 2, sequenceStride: 3 });
  assert.is(ds.numSamples, 27);
  assert.is(ds.numBatches, 1);
  const batches = [...ds];
  assert.is(batches.length, 1);
  const x = batches[0];
  assert.equal(x.shape, [27, 10]);
  const seqs = x.toArray() as number[][];
  assert.equal(seqs[0], [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.equal(seqs[1], [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]);
  assert.equal(seqs[2], [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
  assert.equal(seqs[26], [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]);
});

test('timeseriesDatasetFromArray: Keras example 2 (targets shifted by the caller)', () => {
  const data = Float32Array.from({ length: 20 }, (_, i) => i);
  const ds = timeseriesDatasetFromArray(data.subarray(0, 10), data.subarray(10), { sequenceLength: 10 });
  const [[x, y], ...rest] = [...ds];
  assert.is(rest.length, 0);
  assert.equal(x.toArray(), [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  assert.equal(y.toArray(), [10]);
});

test('timeseriesDatasetFromArray: 2-D data with startIndex, endIndex, stride and batches', () => {
  const data = ramp(8, 2);
  const targets = Float32Array.from({ length: 8 }, (_, i) => 10 * i);
  // Rows [1, 7), windows of 3: positions p < 7 − 1 − 2 = 4, stride 2 → p = 0, 2 → rows 1..3 and 3..5.
  const ds = timeseriesDatasetFromArray(data, targets, { sequenceLength: 3, sequenceStride: 2, startIndex: 1, endIndex: 7, batchSize: 1 });
  assert.is(ds.numSamples, 2);
  const batches = [...ds];
  assert.is(batches.length, 2);
  assert.equal(batches[0][0].shape, [1, 3, 2]);
  assert.equal(batches[0][0].toArray(), [rowsOf([1, 2, 3], 2)]);
  assert.equal(batches[0][1].toArray(), [10]);
  assert.equal(batches[1][0].toArray(), [rowsOf([3, 4, 5], 2)]);
  assert.equal(batches[1][1].toArray(), [30]);
});

test('timeseriesDatasetFromArray: batches of batchSize, the last one smaller; iterable again', () => {
  const data = ramp(10, 1);
  const targets = tensor(Array.from({ length: 10 }, (_, i) => [i, -i])); // [10, 2]
  const ds = timeseriesDatasetFromArray(data, targets, { sequenceLength: 2, batchSize: 4 });
  const pass = (): number[] => [...ds].map(([x]) => x.shape[0]);
  assert.equal(pass(), [4, 4, 1]);
  assert.equal(pass(), [4, 4, 1]);
  const [x, y] = [...ds][2];
  assert.equal(x.toArray(), [rowsOf([8, 9], 1)]);
  assert.equal(y.shape, [1, 2]);
  assert.equal(y.toArray(), [[8, -8]]);
});

test('timeseriesDatasetFromArray: shuffle with a seed visits every window once, reproducibly, anew on each pass', () => {
  const data = ramp(30, 2);
  const targets = Float32Array.from({ length: 30 }, (_, i) => i);
  const options = { sequenceLength: 3, samplingRate: 2, batchSize: 5, shuffle: true, seed: 7 };
  const ds = timeseriesDatasetFromArray(data, targets, options);
  const startsOf = (d: typeof ds): number[] => [...d].flatMap(([x, y]) => {
    const windows = x.toArray() as number[][][];
    return windows.map((w, b) => {
      const first = w[0][0] / 100;
      assert.equal(w, rowsOf([first, first + 2, first + 4], 2), `window starting at ${first}`);
      assert.is(y.data[b], first, `target of the window starting at ${first}`);
      return first;
    });
  });
  const pass1 = startsOf(ds);
  const pass2 = startsOf(ds);
  const inOrder = Array.from({ length: 26 }, (_, i) => i); // 30 − 2·2 = 26 windows
  assert.equal([...pass1].sort((a, b) => a - b), inOrder);
  assert.equal([...pass2].sort((a, b) => a - b), inOrder);
  assert.not.equal(pass1, inOrder, 'the order is shuffled');
  assert.not.equal(pass2, pass1, 'each pass draws a new order');
  assert.equal(startsOf(timeseriesDatasetFromArray(data, targets, options)), pass1, 'same seed, same order');
});

test('timeseriesDatasetFromArray: bad arguments are named', () => {
  const data = ramp(10, 2);
  const targets = new Float32Array(10);
  const o = { sequenceLength: 3 };
  const f = 'timeseriesDatasetFromArray';
  assert.throws(() => timeseriesDatasetFromArray([1, 2] as never, null, o), new RegExp(`${f}: data must be a tensor of rank >= 1`));
  assert.throws(() => timeseriesDatasetFromArray(data, [1] as never, o), /targets must be a tensor of rank >= 1/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { sequenceLength: 0 }), /sequenceLength must be a positive integer, got 0/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, sequenceStride: 0 }), /sequenceStride must be a positive integer, got 0/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, sequenceStride: 10 }), /sequenceStride 10 must be lower than the length of the data \(10\)/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, samplingRate: 0 }), /samplingRate must be a positive integer, got 0/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, samplingRate: 12 }), /samplingRate 12 must be lower than the length of the data/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, startIndex: -1 }), /startIndex must be a non-negative integer, got -1/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, startIndex: 10 }), /startIndex 10 must be lower than the length of the data \(10\)/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, startIndex: 5, endIndex: 5 }), /endIndex 5 must be higher than startIndex 5/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { ...o, endIndex: 10 }), /endIndex 10 must be lower than the length of the data \(10\); leave it out/);
  assert.throws(() => timeseriesDatasetFromArray(data, targets, { sequenceLength: 5, samplingRate: 3 }), /no window fits: a window spans \(sequenceLength − 1\)·samplingRate \+ 1 = 13 rows, but rows \[0, 10\) hold 10/);
  assert.throws(() => timeseriesDatasetFromArray(data, new Float32Array(3), { ...o, startIndex: 5 }), /targets has 3 rows, but the window starting at data row 7 needs targets\[7\]/);
  assert.throws(() => timeseriesDatasetFromArray(new Float32Array(0), null, o), /data has no rows/);
});

test.run();
