/**
 * Word tokenization with the semantics of Keras's `text_to_word_sequence`
 * and `Tokenizer` (keras_preprocessing/text.py).
 *
 * - A text becomes words by lower-casing it, replacing every filter character
 *   with the split string, splitting on the split string and dropping empty
 *   pieces.
 * - The word index is ordered by count, most frequent first; words with equal
 *   counts keep the order in which they first appeared (a stable sort, as
 *   Python's). Indices start at 1: 0 is reserved for padding. An `oovToken`,
 *   when given, takes index 1.
 * - `textsToSequences` keeps only the words whose index is below `numWords`
 *   (the `numWords − 1` most frequent); other words are dropped, or replaced
 *   by the `oovToken`'s index when there is one.
 */

/** Keras's default filters: punctuation (except `'`), tab and newline. */
export const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

export interface TextToWordOptions {
  /** Characters replaced by `split` before splitting. Default: `DEFAULT_FILTERS`. */
  filters?: string;
  /** Lower-case the text first. Default true. */
  lower?: boolean;
  /** The separator. Default ' '. */
  split?: string;
}

export interface TokenizerOptions extends TextToWordOptions {
  /** Keep only ids below `numWords` in `textsToSequences`. Default: no limit. */
  numWords?: number;
  /** Word that stands for every unknown or cut-off word; gets index 1. */
  oovToken?: string;
}

/** One regular expression matching any character of `filters` (compiled once per filter string). */
function filterPattern(filters: string): RegExp | null {
  const chars = [...new Set(filters)];
  if (chars.length === 0) return null;
  const escaped = chars.map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
  return new RegExp(`[${escaped}]`, 'gu');
}

function checkSplit(where: string, split: unknown): string {
  if (typeof split !== 'string' || split.length === 0) {
    throw new Error(`${where}: split must be a non-empty string, got ${JSON.stringify(split)}`);
  }
  return split;
}

function wordsOf(text: string, pattern: RegExp | null, lower: boolean, split: string): string[] {
  let s = lower ? text.toLowerCase() : text;
  if (pattern) s = s.replace(pattern, split);
  return s.split(split).filter((w) => w.length > 0);
}

/** Splits one text into words, as Keras's `text_to_word_sequence`. */
export function textToWordSequence(text: string, options: TextToWordOptions = {}): string[] {
  const { filters = DEFAULT_FILTERS, lower = true } = options;
  const split = checkSplit('textToWordSequence', options.split ?? ' ');
  if (typeof text !== 'string') {
    throw new Error(`textToWordSequence: text must be a string, got ${typeof text}`);
  }
  return wordsOf(text, filterPattern(filters), lower, split);
}

export class Tokenizer {
  readonly numWords: number | undefined;
  readonly filters: string;
  readonly lower: boolean;
  readonly split: string;
  readonly oovToken: string | undefined;
  /** How often each word occurred, in order of first appearance. */
  readonly wordCounts = new Map<string, number>();
  /** Word → index (1 = most frequent, or the oovToken). Rebuilt by every `fitOnTexts`. */
  wordIndex = new Map<string, number>();
  /** Index → word, the inverse of `wordIndex`. */
  indexWord = new Map<number, string>();
  /** Number of texts seen by `fitOnTexts`. */
  documentCount = 0;
  readonly #pattern: RegExp | null;

  constructor(options: TokenizerOptions = {}) {
    const { numWords, filters = DEFAULT_FILTERS, lower = true, oovToken } = options;
    if (numWords !== undefined && (!Number.isInteger(numWords) || numWords < 1)) {
      throw new Error(`Tokenizer: numWords must be a positive integer, got ${numWords}`);
    }
    if (typeof filters !== 'string') {
      throw new Error(`Tokenizer: filters must be a string, got ${typeof filters}`);
    }
    if (oovToken !== undefined && (typeof oovToken !== 'string' || oovToken.length === 0)) {
      throw new Error(`Tokenizer: oovToken must be a non-empty string, got ${JSON.stringify(oovToken)}`);
    }
    this.numWords = numWords;
    this.filters = filters;
    this.lower = lower;
    this.split = checkSplit('Tokenizer', options.split ?? ' ');
    this.oovToken = oovToken;
    this.#pattern = filterPattern(filters);
  }

  /** The words of one text, with this tokenizer's filters, case and separator. */
  words(text: string): string[] {
    return wordsOf(text, this.#pattern, this.lower, this.split);
  }

  /** Counts the words of `texts` (adding to earlier calls) and rebuilds the word index. */
  fitOnTexts(texts: Iterable<string>): this {
    let n = 0;
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new Error(`Tokenizer.fitOnTexts: texts[${n}] is ${typeof text}, not a string`);
      }
      for (const w of this.words(text)) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
      this.documentCount++;
      n++;
    }
    // Array.prototype.sort is stable: equal counts stay in order of first appearance.
    const byCount = [...this.wordCounts].sort((a, b) => b[1] - a[1]);
    const vocabulary = this.oovToken === undefined ? [] : [this.oovToken];
    for (const [w] of byCount) vocabulary.push(w);
    this.wordIndex = new Map();
    vocabulary.forEach((w, i) => this.wordIndex.set(w, i + 1));
    this.indexWord = new Map();
    for (const [w, i] of this.wordIndex) this.indexWord.set(i, w);
    return this;
  }

  /** Each text as a list of word ids (see the file comment for which words are kept). */
  textsToSequences(texts: Iterable<string>): number[][] {
    if (this.documentCount === 0) {
      throw new Error('Tokenizer.textsToSequences: the tokenizer has not been fitted; call fitOnTexts first');
    }
    const oovIndex = this.oovToken === undefined ? undefined : this.wordIndex.get(this.oovToken);
    const out: number[][] = [];
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new Error(`Tokenizer.textsToSequences: texts[${out.length}] is ${typeof text}, not a string`);
      }
      const seq: number[] = [];
      for (const w of this.words(text)) {
        const i = this.wordIndex.get(w);
        if (i !== undefined && (this.numWords === undefined || i < this.numWords)) seq.push(i);
        else if (oovIndex !== undefined) seq.push(oovIndex);
      }
      out.push(seq);
    }
    return out;
  }
}
