/**
 * The IMDB reviews of the seed, from a directory in the `aclImdb` layout
 * (Maas et al. 2011, https://ai.stanford.edu/~amaas/data/sentiment/):
 *
 * ```
 * aclImdb/
 *   train/  neg/ pos/ (unsup/ is ignored)   → the training texts
 *   test/   neg/ pos/                        → the test texts
 * ```
 *
 * `dir` may be `aclImdb/` itself, its `train/` (a sibling `test/` is then
 * used), or any folder holding `neg/` and `pos/` directly. Without a `test/`
 * folder the texts are split as the spam corpus is: a seeded shuffle, the
 * last `testSplit` kept apart for testing.
 *
 * Labels: neg 0, pos 1.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import seedrandom from 'seedrandom';
import { readTextDirectory } from '../../lib/index.ts';
import {
  checkSplitOptions, seededSplit, shuffledIndices, vectorizeSplit,
  type LabelledTexts, type TextSplit, type TextSplitOptions,
} from './spam.ts';

const CLASSES = ['neg', 'pos'] as const;

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A folder with both `neg/` and `pos/` sub-folders. */
function hasClasses(dir: string): boolean {
  return CLASSES.every((c) => isDir(join(dir, c)));
}

/** Where the training and (if any) test texts are, for any of the accepted layouts. */
export function findImdbFolders(dir: string): { train: string; test: string | null } {
  const root = resolve(dir);
  if (hasClasses(join(root, 'train'))) {
    return { train: join(root, 'train'), test: hasClasses(join(root, 'test')) ? join(root, 'test') : null };
  }
  if (hasClasses(root)) {
    const sibling = join(dirname(root), 'test');
    return { train: root, test: basename(root) === 'train' && hasClasses(sibling) ? sibling : null };
  }
  throw new Error(`loadImdb: ${dir} has neither neg/ and pos/ sub-folders nor a train/ folder holding them (the aclImdb layout)`);
}

function readClasses(dir: string): LabelledTexts {
  const { texts, labels } = readTextDirectory(dir, { classNames: CLASSES });
  return { texts, labels };
}

/** The first `n` texts of `part` after a seeded shuffle. */
function shuffledHead(part: LabelledTexts, n: number, seed: string): LabelledTexts {
  const order = shuffledIndices(part.texts.length, seedrandom(seed)).slice(0, n);
  return { texts: order.map((i) => part.texts[i]), labels: order.map((i) => part.labels[i]) };
}

/**
 * IMDB reviews as a train/test split, tokenized (on the training texts only)
 * and padded, with the same options as `loadSpam`. With a `test/` folder,
 * `testSplit` only sizes the test part of a `limit`ed (smoke) run.
 */
export function loadImdb(dir: string, options: TextSplitOptions): TextSplit {
  checkSplitOptions('loadImdb', options);
  const folders = findImdbFolders(dir);
  const all = readClasses(folders.train);
  let split: { train: LabelledTexts; test: LabelledTexts };
  if (folders.test === null) {
    split = seededSplit(all, options);
  } else {
    const { seed = 42, limit, testSplit = 0.2 } = options;
    const test = readClasses(folders.test);
    const nTest = limit === undefined ? test.texts.length : Math.max(1, Math.floor(testSplit * limit));
    const nTrain = limit === undefined ? all.texts.length : limit - nTest;
    // Shuffled: the files come sorted by class, and fit's validationSplit takes the last fifth.
    split = { train: shuffledHead(all, nTrain, `${seed}`), test: shuffledHead(test, nTest, `${seed}/test`) };
  }
  return vectorizeSplit(split.train, split.test, options, ['neg', 'pos'], 'IMDB');
}
