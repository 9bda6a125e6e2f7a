import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { padSequences } from '../../../lib/data/sequences.ts';

const seqs = [[1, 2, 3, 4], [5, 6], []];

test('padSequences: default maxlen is the longest, padding and truncating pre', () => {
  const x = padSequences(seqs);
  assert.equal(x.shape, [3, 4]);
  assert.equal(x.dtype, 'float32');
  assert.equal(x.toArray(), [[1, 2, 3, 4], [0, 0, 5, 6], [0, 0, 0, 0]]);
});

test('padSequences: padding pre, truncating pre keeps the last maxlen ids', () => {
  const x = padSequences(seqs, { maxlen: 3 });
  assert.equal(x.toArray(), [[2, 3, 4], [0, 5, 6], [0, 0, 0]]);
});

test('padSequences: padding post, truncating pre', () => {
  const x = padSequences(seqs, { maxlen: 3, padding: 'post' });
  assert.equal(x.toArray(), [[2, 3, 4], [5, 6, 0], [0, 0, 0]]);
});

test('padSequences: padding pre, truncating post keeps the first maxlen ids', () => {
  const x = padSequences(seqs, { maxlen: 3, truncating: 'post' });
  assert.equal(x.toArray(), [[1, 2, 3], [0, 5, 6], [0, 0, 0]]);
});

test('padSequences: padding post, truncating post', () => {
  const x = padSequences(seqs, { maxlen: 3, padding: 'post', truncating: 'post' });
  assert.equal(x.toArray(), [[1, 2, 3], [5, 6, 0], [0, 0, 0]]);
});

test('padSequences: maxlen longer than every sequence pads all of them', () => {
  const x = padSequences([[7], [8, 9]], { maxlen: 4, padding: 'post' });
  assert.equal(x.toArray(), [[7, 0, 0, 0], [8, 9, 0, 0]]);
});

test('padSequences: a sequence of exactly maxlen is untouched by every mode', () => {
  for (const padding of ['pre', 'post'] as const) {
    for (const truncating of ['pre', 'post'] as const) {
      const x = padSequences([[4, 5, 6]], { maxlen: 3, padding, truncating });
      assert.equal(x.toArray(), [[4, 5, 6]], `${padding}/${truncating}`);
    }
  }
});

test('padSequences: a custom padding value', () => {
  const x = padSequences([[1], [2, 3]], { value: -1 });
  assert.equal(x.toArray(), [[-1, 1], [2, 3]]);
});

test('padSequences: float64 on request keeps large ids exactly', () => {
  const big = 2 ** 24 + 1;
  const x = padSequences([[big]], { dtype: 'float64' });
  assert.ok(x.data instanceof Float64Array);
  assert.is(x.data[0], big);
});

test('padSequences: typed arrays are sequences too', () => {
  const x = padSequences([Int32Array.of(3, 4, 5)], { maxlen: 2 });
  assert.equal(x.toArray(), [[4, 5]]);
});

test('padSequences: no sequences gives [0, 0], or [0, maxlen]', () => {
  assert.equal(padSequences([]).shape, [0, 0]);
  assert.equal(padSequences([], { maxlen: 5 }).shape, [0, 5]);
});

test('padSequences: bad arguments are named', () => {
  assert.throws(() => padSequences(seqs, { maxlen: 0 }), /maxlen must be a positive integer, got 0/);
  assert.throws(() => padSequences(seqs, { maxlen: 2.5 }), /maxlen must be a positive integer, got 2\.5/);
  assert.throws(() => padSequences(seqs, { padding: 'middle' as never }), /padding must be 'pre' or 'post', got "middle"/);
  assert.throws(() => padSequences(seqs, { truncating: 'both' as never }), /truncating must be 'pre' or 'post', got "both"/);
  assert.throws(() => padSequences(seqs, { value: NaN }), /value must be a finite number/);
  assert.throws(() => padSequences(seqs, { dtype: 'int32' as never }), /dtype must be 'float32' or 'float64'/);
  assert.throws(() => padSequences('abc' as never), /seqs must be an array of sequences/);
  assert.throws(() => padSequences([[1], 5 as never]), /seqs\[1\] is not a sequence of numbers/);
  assert.throws(() => padSequences([[1], [2, NaN]]), /seqs\[1\]\[1\] is NaN, not a finite number/);
  assert.throws(() => padSequences([[2 ** 24 + 1]]), /seqs\[0\]\[0\] = 16777217 is not exact in float32; pass dtype: 'float64'/);
});

test.run();
