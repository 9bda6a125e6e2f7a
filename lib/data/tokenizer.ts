/**
 * Word tokenization with the semantics of Keras's `text_to_word_sequence`
 * and `Tokenizer` (keras_preprocessing/text.py).
 *
 * - A text becomes words by lower-casing it, replacing every filter character
 *   with the split string, splitting on the split string and dropping empty
 *   pieces. With `charLevel`, every character (code point) of the text,
 *   lower-cased if `lower`, is a token instead: filters and split are not used.
 * - The word index is ordered by count, most frequent first; words with equal
 *   counts keep the order in which they first appeared (a stable sort, as
 *   Python's). Indices start at 1: 0 is reserved for padding. An `oovToken`,
 *   when given, takes index 1.
 * - `textsToSequences` keeps only the words whose index is below `numWords`
 *   (the `numWords − 1` most frequent); other words are dropped, or replaced
 *   by the `oovToken`'s index when there is one.
 * - `toJSON` gives the object Keras's `Tokenizer.to_json()` writes (so
 *   `JSON.stringify(tokenizer)` can be read by Keras's `tokenizer_from_json`),
 *   and `tokenizerFromJSON` reads it back, from Keras or from here.
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
  /**
   * Every character (code point) of a text is a token, as Keras's `char_level`:
   * the text is lower-cased if `lower`, and neither `filters` nor `split` is
   * applied (spaces and punctuation are tokens too). Default false.
   */
  charLevel?: boolean;
}

/** The `config` of Keras's `Tokenizer.to_json()`, keys in Keras's order. */
export interface TokenizerConfigJSON {
  num_words: number | null;
  filters: string;
  lower: boolean;
  split: string;
  char_level: boolean;
  oov_token: string | null;
  document_count: number;
  /** `{word: count}` as Python's `json.dumps` writes it, in order of first appearance. */
  word_counts: string;
  /** `{word: number of texts containing it}`, as a JSON string. */
  word_docs: string;
  /** `{"index": number of texts containing its word}`, as a JSON string. */
  index_docs: string;
  /** `{"index": word}`, as a JSON string. */
  index_word: string;
  /** `{word: index}`, as a JSON string. */
  word_index: string;
}

/** What Keras's `Tokenizer.to_json()` writes, as an object. */
export interface TokenizerJSON {
  class_name: 'Tokenizer';
  config: TokenizerConfigJSON;
}

const CONFIG_KEYS = [
  'num_words', 'filters', 'lower', 'split', 'char_level', 'oov_token', 'document_count',
  'word_counts', 'word_docs', 'index_docs', 'index_word', 'word_index',
] as const satisfies ReadonlyArray<keyof TokenizerConfigJSON>;

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

/** A raw JSON value text named in an error message, shortened. */
function rawText(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
}

/** A value named in an error message: short strings quoted, objects by kind. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/**
 * Rejects a string given where an iterable of texts belongs (it would be read
 * character by character) and anything that is not iterable.
 */
function checkTexts(where: string, texts: unknown): void {
  if (typeof texts === 'string' || texts instanceof String) {
    throw new Error(`${where}: texts is a string; pass an array of texts, e.g. [text]`);
  }
  const iterator = texts !== null && typeof texts === 'object' ? (texts as { [Symbol.iterator]?: unknown })[Symbol.iterator] : undefined;
  if (typeof iterator !== 'function') {
    throw new Error(`${where}: texts must be an iterable of strings (e.g. an array), got ${describe(texts)}`);
  }
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

/** The escapes of Python's `json` module other than `\uXXXX`. */
const PY_SHORT_ESCAPES = new Map([
  ['"', '\\"'], ['\\', '\\\\'], ['\b', '\\b'], ['\f', '\\f'], ['\n', '\\n'], ['\r', '\\r'], ['\t', '\\t'],
]);

/**
 * A string as Python's `json.dumps` writes it by default (`ensure_ascii=True`):
 * everything outside printable ASCII (U+0020–U+007E), and `"` and `\`, is
 * escaped; `\uXXXX` in lower-case hex, characters above U+FFFF as their
 * surrogate pair — which is what escaping each UTF-16 code unit gives.
 */
function pythonJSONString(s: string): string {
  const escaped = s.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, (c) =>
    PY_SHORT_ESCAPES.get(c) ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

/** A flat map as Python's `json.dumps` writes a dict: `{"k": v, "k2": v2}`, integer keys as strings. */
function pythonJSONObject(entries: Iterable<readonly [string | number, string | number]>): string {
  const members: string[] = [];
  for (const [key, value] of entries) {
    members.push(`${pythonJSONString(String(key))}: ${typeof value === 'string' ? pythonJSONString(value) : String(value)}`);
  }
  return `{${members.join(', ')}}`;
}

export class Tokenizer {
  readonly numWords: number | undefined;
  readonly filters: string;
  readonly lower: boolean;
  readonly split: string;
  readonly charLevel: boolean;
  readonly oovToken: string | undefined;
  /** How often each word occurred, in order of first appearance. */
  readonly wordCounts = new Map<string, number>();
  /** In how many texts each word occurred (once per text however often it is repeated), in order of first appearance. */
  readonly wordDocs = new Map<string, number>();
  /**
   * `wordDocs` keyed by word index, as Keras's `index_docs`: updated by every
   * `fitOnTexts` from the new word index (entries keep their first position).
   */
  readonly indexDocs = new Map<number, number>();
  /** Word → index (1 = most frequent, or the oovToken). Rebuilt by every `fitOnTexts`. */
  wordIndex = new Map<string, number>();
  /** Index → word, the inverse of `wordIndex`. */
  indexWord = new Map<number, string>();
  /** Number of texts seen by `fitOnTexts`. */
  documentCount = 0;
  readonly #pattern: RegExp | null;

  constructor(options: TokenizerOptions = {}) {
    const { numWords, filters = DEFAULT_FILTERS, lower = true, oovToken, charLevel = false } = options;
    if (numWords !== undefined && (!Number.isInteger(numWords) || numWords < 1)) {
      throw new Error(`Tokenizer: numWords must be a positive integer, got ${numWords}`);
    }
    if (typeof filters !== 'string') {
      throw new Error(`Tokenizer: filters must be a string, got ${typeof filters}`);
    }
    if (oovToken !== undefined && (typeof oovToken !== 'string' || oovToken.length === 0)) {
      throw new Error(`Tokenizer: oovToken must be a non-empty string, got ${JSON.stringify(oovToken)}`);
    }
    if (typeof charLevel !== 'boolean') {
      throw new Error(`Tokenizer: charLevel must be a boolean, got ${describe(charLevel)}`);
    }
    const split = options.split ?? ' ';
    // Character-level tokens never split, so (as in Keras) any split string will do there.
    if (charLevel && typeof split !== 'string') {
      throw new Error(`Tokenizer: split must be a string, got ${describe(split)}`);
    }
    this.numWords = numWords;
    this.filters = filters;
    this.lower = lower;
    this.split = charLevel ? split : checkSplit('Tokenizer', split);
    this.charLevel = charLevel;
    this.oovToken = oovToken;
    this.#pattern = filterPattern(filters);
  }

  /**
   * The tokens of one text: its words, with this tokenizer's filters, case and
   * separator, or with `charLevel` its characters (lower-cased if `lower`).
   */
  words(text: string): string[] {
    if (this.charLevel) return [...(this.lower ? text.toLowerCase() : text)];
    return wordsOf(text, this.#pattern, this.lower, this.split);
  }

  /** Counts the words of `texts` (adding to earlier calls) and rebuilds the word index. */
  fitOnTexts(texts: Iterable<string>): this {
    checkTexts('Tokenizer.fitOnTexts', texts);
    let n = 0;
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new Error(`Tokenizer.fitOnTexts: texts[${n}] is ${typeof text}, not a string`);
      }
      const words = this.words(text);
      for (const w of words) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
      for (const w of new Set(words)) this.wordDocs.set(w, (this.wordDocs.get(w) ?? 0) + 1);
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
    for (const [w, c] of this.wordDocs) {
      const i = this.wordIndex.get(w);
      if (i === undefined) {
        // Only possible after tokenizerFromJSON read a word_docs with words its word_counts lacks.
        throw new Error(`Tokenizer.fitOnTexts: wordDocs has ${describe(w)}, which wordCounts lacks; cannot rebuild indexDocs`);
      }
      this.indexDocs.set(i, c);
    }
    return this;
  }

  /** Each text as a list of word ids (see the file comment for which words are kept). */
  textsToSequences(texts: Iterable<string>): number[][] {
    checkTexts('Tokenizer.textsToSequences', texts);
    if (this.documentCount === 0 && this.wordIndex.size === 0) {
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

  /**
   * The object Keras's `Tokenizer.to_json()` writes, so that
   * `JSON.stringify(tokenizer)` can be read by Keras's `tokenizer_from_json`
   * (and by `tokenizerFromJSON`). As in Keras, the five maps are JSON strings;
   * they are written byte for byte as Python's `json.dumps` writes them
   * (`", "` and `": "` separators, non-ASCII as `\uXXXX`), each in its Map's
   * order, which is the order of Keras's dict: first appearance for
   * word_counts, word_docs and index_docs, index order for index_word and
   * word_index (a tokenizer from `tokenizerFromJSON` keeps the file's order).
   * Python visits the words of one text for word_docs in set order, which
   * varies from run to run; the keys and counts are the same. Only the outer
   * object differs from Python's bytes: `JSON.stringify` writes it without
   * spaces.
   */
  toJSON(): TokenizerJSON {
    return {
      class_name: 'Tokenizer',
      config: {
        num_words: this.numWords ?? null,
        filters: this.filters,
        lower: this.lower,
        split: this.split,
        char_level: this.charLevel,
        oov_token: this.oovToken ?? null,
        document_count: this.documentCount,
        word_counts: pythonJSONObject(this.wordCounts),
        word_docs: pythonJSONObject(this.wordDocs),
        index_docs: pythonJSONObject(this.indexDocs),
        index_word: pythonJSONObject(this.indexWord),
        word_index: pythonJSONObject(this.wordIndex),
      },
    };
  }
}

/**
 * The members of a JSON object text as [key, raw value text] pairs, in the
 * order written — `JSON.parse` would move integer-like keys such as "2024"
 * to the front, and the order of word_counts matters. `text` must already be
 * known to be a valid JSON object (`JSON.parse` accepted it).
 */
function jsonObjectMembers(text: string): Array<[key: string, raw: string]> {
  const token = /[ \t\n\r]*("(?:[^"\\]|\\.)*"|[{}[\]:,]|[^ \t\n\r{}[\]:,"]+)/y;
  let pos = 0;
  let start = 0;
  const next = (): string => {
    token.lastIndex = pos;
    const m = token.exec(text);
    if (m === null) throw new Error(`tokenizerFromJSON: cannot scan the JSON object at offset ${pos}`);
    pos = token.lastIndex;
    start = pos - m[1].length;
    return m[1];
  };
  const members: Array<[string, string]> = [];
  next(); // '{'
  let t = next();
  if (t === '}') return members;
  for (;;) {
    const key = JSON.parse(t) as string;
    next(); // ':'
    t = next();
    const from = start;
    if (t === '{' || t === '[') {
      for (let depth = 1; depth > 0;) {
        t = next();
        if (t === '{' || t === '[') depth++;
        else if (t === '}' || t === ']') depth--;
      }
    }
    members.push([key, text.slice(from, pos)]);
    if (next() === '}') return members; // else ','
    t = next();
  }
}

/** An integer written in decimal, as Python's `json.dumps` writes an int. */
const JSON_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
/** A key of index_docs / index_word: a positive integer as Python's `str(int)` writes it. */
const INDEX_KEY = /^[1-9][0-9]*$/;

type MapKey = 'word_counts' | 'word_docs' | 'index_docs' | 'index_word' | 'word_index';

/** The members of one of the five map strings, checked to be a JSON object without repeated keys. */
function mapMembers(name: MapKey, text: string): Array<[string, string]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`tokenizerFromJSON: config.${name} is not JSON (${(e as Error).message}): ${describe(text)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`tokenizerFromJSON: config.${name} must be a JSON object, got ${describe(parsed)}`);
  }
  const members = jsonObjectMembers(text);
  const seen = new Set<string>();
  for (const [key] of members) {
    if (seen.has(key)) throw new Error(`tokenizerFromJSON: config.${name} has the key ${describe(key)} twice`);
    seen.add(key);
  }
  return members;
}

function integerValue(name: MapKey, key: string, raw: string, min: number): number {
  const value = JSON_INTEGER.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new Error(`tokenizerFromJSON: config.${name}[${describe(key)}] must be ${what}, got ${rawText(raw)}`);
  }
  return value;
}

function indexKey(name: MapKey, key: string): number {
  const value = INDEX_KEY.test(key) ? Number(key) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(`tokenizerFromJSON: config.${name} keys must be positive integers in decimal, got ${describe(key)}`);
  }
  return value;
}

/** `{word: integer}` → Map, in the order written. */
function wordIntegerMap(name: MapKey, text: string, min: number): Map<string, number> {
  const map = new Map<string, number>();
  for (const [key, raw] of mapMembers(name, text)) map.set(key, integerValue(name, key, raw, min));
  return map;
}

/**
 * Rebuilds a `Tokenizer` from what Keras's `Tokenizer.to_json()` writes (or
 * `JSON.stringify(tokenizer)`, or `tokenizer.toJSON()`): its options, counts
 * and word index, so that `textsToSequences` gives the same sequences as the
 * tokenizer that was saved. The word index restored is the one in the file
 * (Keras's may name words that word_counts lacks); a later `fitOnTexts`
 * rebuilds it from the counts, as in Keras.
 *
 * The input is untrusted and checked strictly: every config key of Keras and
 * no other, each of its type; the five maps JSON objects with integer values
 * (strings for index_word) and integer keys for index_docs and index_word;
 * word_index and index_word each other's inverse; an oov_token in the word
 * index of a fitted tokenizer. Words such as "__proto__" are ordinary keys.
 */
export function tokenizerFromJSON(json: string | TokenizerJSON): Tokenizer {
  let top: unknown = json;
  if (typeof json === 'string') {
    try {
      top = JSON.parse(json);
    } catch (e) {
      throw new Error(`tokenizerFromJSON: the input is not JSON (${(e as Error).message})`);
    }
  }
  if (top === null || typeof top !== 'object' || Array.isArray(top)) {
    throw new Error(`tokenizerFromJSON: expected a JSON object {"class_name": "Tokenizer", "config": {...}}, got ${describe(top)}`);
  }
  const outer = top as Record<string, unknown>;
  const className = Object.hasOwn(outer, 'class_name') ? outer.class_name : undefined;
  if (className !== 'Tokenizer') {
    throw new Error(`tokenizerFromJSON: class_name must be "Tokenizer", got ${Object.hasOwn(outer, 'class_name') ? describe(className) : 'no class_name'}`);
  }
  const config = Object.hasOwn(outer, 'config') ? outer.config : undefined;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`tokenizerFromJSON: config must be an object, got ${Object.hasOwn(outer, 'config') ? describe(config) : 'no config'}`);
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new Error(`tokenizerFromJSON: config has the unknown key ${describe(key)}; Keras's Tokenizer config has ${CONFIG_KEYS.join(', ')}`);
    }
  }
  const field = (key: (typeof CONFIG_KEYS)[number], what: string, ok: (v: unknown) => boolean): unknown => {
    if (!Object.hasOwn(c, key)) throw new Error(`tokenizerFromJSON: config.${key} is missing`);
    const v = c[key];
    if (!ok(v)) throw new Error(`tokenizerFromJSON: config.${key} must be ${what}, got ${describe(v)}`);
    return v;
  };
  const isString = (v: unknown): boolean => typeof v === 'string';
  const isBoolean = (v: unknown): boolean => typeof v === 'boolean';

  const numWords = field('num_words', 'null or a positive integer', (v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 1)) as number | null;
  const filters = field('filters', 'a string', isString) as string;
  const lower = field('lower', 'a boolean', isBoolean) as boolean;
  const charLevel = field('char_level', 'a boolean', isBoolean) as boolean;
  const split = field('split', charLevel ? 'a string' : 'a non-empty string', (v) => typeof v === 'string' && (charLevel || v.length > 0)) as string;
  const oovToken = field('oov_token', 'null or a non-empty string', (v) => v === null || (typeof v === 'string' && v.length > 0)) as string | null;
  const documentCount = field('document_count', 'a non-negative integer', (v) => Number.isSafeInteger(v) && (v as number) >= 0) as number;
  const text = (key: MapKey): string => field(key, 'a JSON string (Keras writes the maps with json.dumps)', isString) as string;
  const wordCountsText = text('word_counts');
  const wordDocsText = text('word_docs');
  const indexDocsText = text('index_docs');
  const indexWordText = text('index_word');
  const wordIndexText = text('word_index');

  const wordCounts = wordIntegerMap('word_counts', wordCountsText, 0);
  const wordDocs = wordIntegerMap('word_docs', wordDocsText, 0);
  const wordIndex = wordIntegerMap('word_index', wordIndexText, 1);
  const indexDocs = new Map<number, number>();
  for (const [key, raw] of mapMembers('index_docs', indexDocsText)) {
    indexDocs.set(indexKey('index_docs', key), integerValue('index_docs', key, raw, 0));
  }
  const indexWord = new Map<number, string>();
  for (const [key, raw] of mapMembers('index_word', indexWordText)) {
    const index = indexKey('index_word', key);
    const word: unknown = JSON.parse(raw);
    if (typeof word !== 'string') {
      throw new Error(`tokenizerFromJSON: config.index_word[${describe(key)}] must be a string, got ${rawText(raw)}`);
    }
    indexWord.set(index, word);
  }

  // word_index and index_word must be each other's inverse: same size, and every word's index names that word.
  for (const [word, index] of wordIndex) {
    const back = indexWord.get(index);
    if (back !== word) {
      throw new Error(`tokenizerFromJSON: word_index and index_word disagree: word_index[${describe(word)}] is ${index} but index_word["${index}"] is ${back === undefined ? 'missing' : describe(back)}`);
    }
  }
  if (indexWord.size !== wordIndex.size) {
    const extra = [...indexWord].find(([index, word]) => wordIndex.get(word) !== index)!;
    throw new Error(`tokenizerFromJSON: word_index and index_word disagree: index_word["${extra[0]}"] is ${describe(extra[1])}, which word_index lacks (${wordIndex.size} words in word_index, ${indexWord.size} in index_word)`);
  }
  const fitted = documentCount > 0 || wordIndex.size > 0;
  if (oovToken !== null && fitted && !wordIndex.has(oovToken)) {
    throw new Error(`tokenizerFromJSON: config.oov_token ${describe(oovToken)} is not in word_index`);
  }

  const tokenizer = new Tokenizer({
    numWords: numWords ?? undefined, filters, lower, split, charLevel, oovToken: oovToken ?? undefined,
  });
  for (const [w, n] of wordCounts) tokenizer.wordCounts.set(w, n);
  for (const [w, n] of wordDocs) tokenizer.wordDocs.set(w, n);
  for (const [i, n] of indexDocs) tokenizer.indexDocs.set(i, n);
  tokenizer.wordIndex = wordIndex;
  tokenizer.indexWord = indexWord;
  tokenizer.documentCount = documentCount;
  return tokenizer;
}
