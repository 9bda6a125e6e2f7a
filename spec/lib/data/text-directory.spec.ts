import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readTextDirectory, textDatasetFromDirectory } from '../../../lib/data/text-directory.ts';
import { padSequences } from '../../../lib/data/sequences.ts';

const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'text');

/** Builds a directory tree from { 'relative/path': 'content' } (a trailing '/' makes an empty folder). */
function withTree(tree: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-text-'));
  try {
    for (const [path, text] of Object.entries(tree)) {
      if (path.endsWith('/')) {
        mkdirSync(join(dir, path), { recursive: true });
      } else {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
    }
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const short = (files: string[]) => files.map((f) => `${basename(dirname(f))}/${basename(f)}`);

test('readTextDirectory: classes by sorted folder name, files sorted within each', () => {
  const { texts, labels, files, classNames } = readTextDirectory(fixture);
  assert.equal(classNames, ['neg', 'pos']);
  assert.equal(labels, [0, 0, 0, 1, 1, 1]);
  assert.equal(short(files), ['neg/0_2.txt', 'neg/1_3.txt', 'neg/2_1.txt', 'pos/0_9.txt', 'pos/1_8.txt', 'pos/2_10.txt']);
  assert.is(texts[0], 'This movie was bad. Really bad!\n');
  assert.is(texts[5], 'I loved this movie.\n');
});

test('readTextDirectory: classNames sets the label order', () => {
  const { labels, files, classNames } = readTextDirectory(fixture, { classNames: ['pos', 'neg'] });
  assert.equal(classNames, ['pos', 'neg']);
  assert.equal(labels, [0, 0, 0, 1, 1, 1]);
  assert.equal(short(files).slice(0, 3), ['pos/0_9.txt', 'pos/1_8.txt', 'pos/2_10.txt']);
});

test('readTextDirectory: skips top-level files, dot-files and folders not in classNames; reads nested files', () => {
  withTree({
    'README.txt': 'not a review',
    'neg/a.txt': 'bad', 'neg/.DS_Store': 'x', 'neg/more/b.txt': 'worse',
    'pos/c.txt': 'good',
    'unsup/d.txt': 'unlabelled',
  }, (dir) => {
    const all = readTextDirectory(dir);
    assert.equal(all.classNames, ['neg', 'pos', 'unsup']);
    const two = readTextDirectory(dir, { classNames: ['neg', 'pos'] });
    assert.equal(two.texts, ['bad', 'worse', 'good']);
    assert.equal(two.labels, [0, 0, 1]);
  });
});

test('textDatasetFromDirectory: hand-computed ids without shuffling', () => {
  const ds = textDatasetFromDirectory(fixture, { maxlen: 4, numWords: 4, shuffle: false });
  // Counts over all six texts: movie 3, bad 3, great 3 (first seen in that order), then this, really, acting, i ...
  assert.equal([...ds.tokenizer.wordIndex].slice(0, 7), [['movie', 1], ['bad', 2], ['great', 3], ['this', 4], ['really', 5], ['acting', 6], ['i', 7]]);
  assert.equal(ds.x.shape, [6, 4]);
  assert.equal(ds.x.toArray(), [
    [0, 1, 2, 2], //   this movie was bad really bad → movie bad bad
    [0, 0, 0, 2], //   boring plot bad acting → bad
    [0, 0, 0, 0], //   i fell asleep → nothing below id 4
    [0, 3, 1, 3], //   a great movie great acting → great movie great
    [0, 0, 0, 3], //   really great fun → great
    [0, 0, 0, 1], //   i loved this movie → movie
  ]);
  assert.equal(ds.y.toArray(), [0, 0, 0, 1, 1, 1]);
  assert.equal(ds.classNames, ['neg', 'pos']);
  assert.is(ds.xVal, undefined);
});

test('textDatasetFromDirectory: validation part taken from the end; tokenizer fitted on the training part only', () => {
  const ds = textDatasetFromDirectory(fixture, { maxlen: 3, validationSplit: 0.5, shuffle: false });
  assert.equal(short(ds.files), ['neg/0_2.txt', 'neg/1_3.txt', 'neg/2_1.txt']);
  assert.equal(short(ds.filesVal!), ['pos/0_9.txt', 'pos/1_8.txt', 'pos/2_10.txt']);
  assert.is(ds.tokenizer.documentCount, 3);
  assert.is(ds.tokenizer.wordIndex.get('great'), undefined, '"great" occurs only in validation texts');
  // Training counts: bad 3, then this, movie, was, really, boring, plot, acting, i, fell, asleep once each.
  assert.equal(ds.xVal!.toArray(), [
    [0, 3, 8], // a great movie great acting → movie acting
    [0, 0, 5], // really great fun → really
    [9, 2, 3], // i loved this movie → i this movie
  ]);
  assert.equal(ds.y.toArray(), [0, 0, 0]);
  assert.equal(ds.yVal!.toArray(), [1, 1, 1]);
});

test('textDatasetFromDirectory: seeded shuffle is a reproducible permutation, rows matching their files', () => {
  const options = { maxlen: 6, seed: 3, validationSplit: 0.34 };
  const ds = textDatasetFromDirectory(fixture, options);
  assert.equal(ds.x.shape, [4, 6]);
  assert.equal(ds.xVal!.shape, [2, 6]);
  const all = [...ds.files, ...ds.filesVal!];
  assert.equal([...short(all)].sort(), ['neg/0_2.txt', 'neg/1_3.txt', 'neg/2_1.txt', 'pos/0_9.txt', 'pos/1_8.txt', 'pos/2_10.txt']);
  assert.not.equal(short(all), [...short(all)].sort(), 'seed 3 changes the order');
  const check = (files: string[], x: number[][], y: ArrayLike<number>) => files.forEach((file, k) => {
    const ids = ds.tokenizer.textsToSequences([readFileSync(file, 'utf8')]);
    assert.equal(x[k], (padSequences(ids, { maxlen: 6 }).toArray() as number[][])[0], `row ${k} is ${file}`);
    assert.is(y[k], basename(dirname(file)) === 'pos' ? 1 : 0, `label of ${file}`);
  });
  check(ds.files, ds.x.toArray() as number[][], ds.y.data);
  check(ds.filesVal!, ds.xVal!.toArray() as number[][], ds.yVal!.data);
  const again = textDatasetFromDirectory(fixture, options);
  assert.equal(again.files, ds.files);
  assert.equal(Array.from(again.x.data), Array.from(ds.x.data));
});

test('textDatasetFromDirectory: maxlen defaults to the longest training text', () => {
  const ds = textDatasetFromDirectory(fixture, { shuffle: false });
  assert.equal(ds.x.shape, [6, 6]); // "this movie was bad really bad"
});

test('readTextDirectory / textDatasetFromDirectory: bad directories are named', () => {
  assert.throws(() => readTextDirectory('/no/such/dir'), /readTextDirectory: directory not found: \/no\/such\/dir/);
  assert.throws(() => readTextDirectory(join(fixture, 'neg', '0_2.txt')), /not a directory: .*0_2\.txt/);
  assert.throws(() => readTextDirectory(''), /dir must be a path/);
  withTree({ 'loose.txt': 'x' }, (dir) => {
    assert.throws(() => readTextDirectory(dir), new RegExp(`no class sub-folders in ${dir}`));
  });
  withTree({ 'neg/a.txt': 'bad', 'pos/': '' }, (dir) => {
    assert.throws(() => readTextDirectory(dir), new RegExp(`class folder has no files: ${join(dir, 'pos')}`));
  });
  withTree({ 'neg/a.txt': 'bad', 'pos/.hidden': 'x' }, (dir) => {
    assert.throws(() => readTextDirectory(dir), /class folder has no files: .*pos/);
  });
  assert.throws(() => readTextDirectory(fixture, { classNames: ['neg', 'neutral'] }), /class folder not found: .*neutral \(sub-folders: \["neg","pos"\]\)/);
  assert.throws(() => readTextDirectory(fixture, { classNames: [] }), /classNames is empty/);
  assert.throws(() => readTextDirectory(fixture, { classNames: ['neg', 'neg'] }), /classNames has duplicates/);
  assert.throws(() => textDatasetFromDirectory('/no/such/dir'), /directory not found: \/no\/such\/dir/);
  assert.throws(() => textDatasetFromDirectory(fixture, { validationSplit: 1.5 }), /validationSplit must be a number in \(0, 1\), got 1\.5/);
  assert.throws(() => textDatasetFromDirectory(fixture, { validationSplit: 0 }), /validationSplit must be a number in \(0, 1\), got 0/);
  assert.throws(() => textDatasetFromDirectory(fixture, { validationSplit: 0.1 }), /validationSplit 0\.1 of 6 texts leaves 0 for validation and 6 for training/);
  assert.throws(() => textDatasetFromDirectory(fixture, { maxlen: 0 }), /maxlen must be a positive integer, got 0/);
  assert.throws(() => textDatasetFromDirectory(fixture, { numWords: -3 }), /numWords must be a positive integer, got -3/);
  withTree({ 'neg/a.txt': '...', 'pos/b.txt': '!!' }, (dir) => {
    assert.throws(() => textDatasetFromDirectory(dir), /the training texts in .* contain no words/);
  });
});

test.run();
