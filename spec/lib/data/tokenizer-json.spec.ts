import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_FILTERS, Tokenizer, tokenizerFromJSON, type TokenizerConfigJSON, type TokenizerJSON,
} from '../../../lib/data/tokenizer.ts';

/** The message `fn` throws, or '(no error)': compared with assert.is, a failure shows both messages. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

/** Compares two tokenizer JSON objects key by key, so that a failure names the key that differs. */
function assertSameJSON(actual: TokenizerJSON, expected: TokenizerJSON, what: string): void {
  assert.is(actual.class_name, expected.class_name, `${what}: class_name`);
  assert.equal(Object.keys(actual.config), Object.keys(expected.config), `${what}: config keys and their order`);
  for (const key of Object.keys(expected.config) as Array<keyof TokenizerConfigJSON>) {
    assert.is(actual.config[key], expected.config[key], `${what}: config.${key}`);
  }
}

const KERAS_CONFIG_KEYS = [
  'num_words', 'filters', 'lower', 'split', 'char_level', 'oov_token', 'document_count',
  'word_counts', 'word_docs', 'index_docs', 'index_word', 'word_index',
];

const CORPUS = ['The cat sat on the mat.', "The café's cat: naïve 😀!"];

/*
 * What Keras writes for Tokenizer(num_words=5, oov_token='<OOV>').fit_on_texts(CORPUS).to_json(),
 * derived by hand from keras_preprocessing/text.py (no Python here):
 * - text_to_word_sequence lower-cases, turns each filter character into ' ', splits on ' ' and
 *   drops empty pieces; "'" is not a filter, ':' '.' '!' are. Text 1 → the cat sat on the mat;
 *   text 2 → the café's cat naïve 😀.
 * - word_counts (an OrderedDict, first appearance): the 3, cat 2, sat 1, on 1, mat 1, café's 1,
 *   naïve 1, 😀 1.
 * - word_index: oov_token first (1), then word_counts sorted by count, descending, with Python's
 *   stable sort: the 2, cat 3, sat 4, on 5, mat 6, café's 7, naïve 8, 😀 9. index_word is its
 *   inverse, its int keys written as strings by json.dumps.
 * - word_docs: +1 for each word of set(seq) of each text: the 2, cat 2, every other word 1.
 *   (Python visits one text's set in hash order, which varies with PYTHONHASHSEED; first
 *   appearance is one of the orders Python can write, with the same keys and counts.)
 *   index_docs: word_docs through word_index, in word_docs' order.
 * - json.dumps defaults: separators ", " and ": ", ensure_ascii: é = U+00E9 → \u00e9,
 *   ï = U+00EF → \u00ef, 😀 = U+1F600 → the surrogate pair D83D DE00 → \ud83d\ude00.
 * - to_json is json.dumps({"class_name": "Tokenizer", "config": get_config()}): the inner strings'
 *   quotes and backslashes are escaped once more, and so are filters' ", \, tab and newline.
 */
const WORD_COUNTS = String.raw`{"the": 3, "cat": 2, "sat": 1, "on": 1, "mat": 1, "caf\u00e9's": 1, "na\u00efve": 1, "\ud83d\ude00": 1}`;
const WORD_DOCS = String.raw`{"the": 2, "cat": 2, "sat": 1, "on": 1, "mat": 1, "caf\u00e9's": 1, "na\u00efve": 1, "\ud83d\ude00": 1}`;
const INDEX_DOCS = String.raw`{"2": 2, "3": 2, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1}`;
const INDEX_WORD = String.raw`{"1": "<OOV>", "2": "the", "3": "cat", "4": "sat", "5": "on", "6": "mat", "7": "caf\u00e9's", "8": "na\u00efve", "9": "\ud83d\ude00"}`;
const WORD_INDEX = String.raw`{"<OOV>": 1, "the": 2, "cat": 3, "sat": 4, "on": 5, "mat": 6, "caf\u00e9's": 7, "na\u00efve": 8, "\ud83d\ude00": 9}`;
/** The whole of Python's to_json() output, bytes as Python writes them (a backtick cannot sit in String.raw). */
const PYTHON_TO_JSON = String.raw`{"class_name": "Tokenizer", "config": {"num_words": 5, "filters": "!\"#$%&()*+,-./:;<=>?@[\\]^_` + '`' +
  String.raw`{|}~\t\n", "lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 2, ` +
  String.raw`"word_counts": "{\"the\": 3, \"cat\": 2, \"sat\": 1, \"on\": 1, \"mat\": 1, \"caf\\u00e9's\": 1, \"na\\u00efve\": 1, \"\\ud83d\\ude00\": 1}", ` +
  String.raw`"word_docs": "{\"the\": 2, \"cat\": 2, \"sat\": 1, \"on\": 1, \"mat\": 1, \"caf\\u00e9's\": 1, \"na\\u00efve\": 1, \"\\ud83d\\ude00\": 1}", ` +
  String.raw`"index_docs": "{\"2\": 2, \"3\": 2, \"4\": 1, \"5\": 1, \"6\": 1, \"7\": 1, \"8\": 1, \"9\": 1}", ` +
  String.raw`"index_word": "{\"1\": \"<OOV>\", \"2\": \"the\", \"3\": \"cat\", \"4\": \"sat\", \"5\": \"on\", \"6\": \"mat\", \"7\": \"caf\\u00e9's\", \"8\": \"na\\u00efve\", \"9\": \"\\ud83d\\ude00\"}", ` +
  String.raw`"word_index": "{\"<OOV>\": 1, \"the\": 2, \"cat\": 3, \"sat\": 4, \"on\": 5, \"mat\": 6, \"caf\\u00e9's\": 7, \"na\\u00efve\": 8, \"\\ud83d\\ude00\": 9}"}}`;

test('toJSON: the exact JSON Keras writes for a small corpus (derived by hand from Keras\'s behaviour)', () => {
  const t = new Tokenizer({ numWords: 5, oovToken: '<OOV>' }).fitOnTexts(CORPUS);
  const expected: TokenizerJSON = {
    class_name: 'Tokenizer',
    config: {
      num_words: 5, filters: DEFAULT_FILTERS, lower: true, split: ' ', char_level: false, oov_token: '<OOV>',
      document_count: 2, word_counts: WORD_COUNTS, word_docs: WORD_DOCS, index_docs: INDEX_DOCS,
      index_word: INDEX_WORD, word_index: WORD_INDEX,
    },
  };
  assertSameJSON(t.toJSON(), expected, 'toJSON()');
  assert.equal(Object.keys(t.toJSON().config), KERAS_CONFIG_KEYS, 'exactly Keras\'s keys, in get_config\'s order');
  // The full Python output is the same JSON value; JSON.stringify only leaves out the outer spaces.
  assertSameJSON(JSON.parse(PYTHON_TO_JSON) as TokenizerJSON, expected, 'Python\'s to_json(), parsed');
  assert.is(JSON.stringify(t), JSON.stringify(JSON.parse(PYTHON_TO_JSON)), 'JSON.stringify(tokenizer)');
});

test('toJSON: unset numWords and oovToken are null; an unfitted tokenizer has empty maps', () => {
  const config = new Tokenizer({ lower: false, split: '|', filters: '' }).toJSON().config;
  assert.equal(config, {
    num_words: null, filters: '', lower: false, split: '|', char_level: false, oov_token: null, document_count: 0,
    word_counts: '{}', word_docs: '{}', index_docs: '{}', index_word: '{}', word_index: '{}',
  });
});

test('toJSON: words are escaped as Python\'s json.dumps escapes them (ensure_ascii)', () => {
  // No filters, so quotes, backslashes, slashes and control characters stay inside the words.
  const words = ['a"b', 'c\\d', 'e/f', 'g\u007fh', 'i\u0001j', 'k\tl', 'm\bn\fo\np\rq', 'Ω', '<&>'];
  const t = new Tokenizer({ filters: '', lower: false }).fitOnTexts([words.join(' ')]);
  // json.dumps: \" \\ and \b \f \n \r \t; every other character outside U+0020–U+007E (DEL
  // included) as \u with four lower-case hex digits; '/' and '<&>' as they are.
  assert.is(t.toJSON().config.word_counts,
    String.raw`{"a\"b": 1, "c\\d": 1, "e/f": 1, "g\u007fh": 1, "i\u0001j": 1, "k\tl": 1, "m\bn\fo\np\rq": 1, "\u03a9": 1, "<&>": 1}`);
  assert.equal(Object.keys(JSON.parse(t.toJSON().config.word_counts) as object), words, 'valid JSON naming the same words');
  assert.equal([...tokenizerFromJSON(JSON.stringify(t)).wordCounts], [...t.wordCounts]);
});

test('tokenizerFromJSON: round trip with punctuation, repeats and non-ASCII words; new texts give the same sequences', () => {
  const t = new Tokenizer().fitOnTexts([
    'Café, café — CAFÉ! naïve?', 'The naïve cat 😀 sat; the 😀 cat.', "It's 2024: ünïcödé Ωmega, 日本語 text", 'the the the',
  ]);
  const restored = tokenizerFromJSON(JSON.stringify(t));
  const fresh = ['café naïve 😀', 'THE CAT, the dog!', "it's 日本語 ωmega 2024 — ünïcödé", '', 'unknown words only'];
  assert.equal(restored.textsToSequences(fresh), t.textsToSequences(fresh));
  assert.equal(restored.textsToSequences(fresh)[0], [t.wordIndex.get('café')!, t.wordIndex.get('naïve')!, t.wordIndex.get('😀')!]);
  assert.equal([...restored.wordIndex], [...t.wordIndex], 'wordIndex');
  assert.equal([...restored.indexWord], [...t.indexWord], 'indexWord');
  assert.equal([...restored.wordCounts], [...t.wordCounts], 'wordCounts');
  assert.equal([...restored.wordDocs], [...t.wordDocs], 'wordDocs');
  assert.equal([...restored.indexDocs], [...t.indexDocs], 'indexDocs');
  assert.is(restored.documentCount, 4);
  assertSameJSON(restored.toJSON(), t.toJSON(), 'the restored tokenizer writes the same bytes');
  assertSameJSON(tokenizerFromJSON(t.toJSON()).toJSON(), t.toJSON(), 'from the object rather than the string');
});

test('tokenizerFromJSON: the numWords cut-off and the oovToken survive', () => {
  const t = new Tokenizer({ numWords: 4, oovToken: '[UNK]', lower: false, filters: '.!', split: '/' })
    .fitOnTexts(['a/b/c/d/a/b/a', 'A!b', 'c.d/e']);
  const restored = tokenizerFromJSON(JSON.stringify(t));
  assert.is(restored.numWords, 4);
  assert.is(restored.oovToken, '[UNK]');
  assert.is(restored.lower, false);
  assert.is(restored.filters, '.!');
  assert.is(restored.split, '/');
  const fresh = ['a/b/c/d/e/A/zzz', 'A b', 'd.[UNK]'];
  const expected = t.textsToSequences(fresh);
  // [UNK] 1, a 2, b 3 (counts 3 each, a first), c 4, d 5, …: only 1–3 survive numWords 4.
  assert.equal(expected, [[2, 3, 1, 1, 1, 1, 1], [1], [1, 1]]);
  assert.equal(restored.textsToSequences(fresh), expected);
});

test('tokenizerFromJSON: reads the spaced JSON Python writes', () => {
  const t = tokenizerFromJSON(PYTHON_TO_JSON);
  const original = new Tokenizer({ numWords: 5, oovToken: '<OOV>' }).fitOnTexts(CORPUS);
  assert.is(t.wordIndex.get('café\'s'), 7);
  assert.is(t.indexWord.get(9), '😀');
  const fresh = ['The mat sat on the cat', "café's 😀 naïve dog"];
  assert.equal(t.textsToSequences(fresh), original.textsToSequences(fresh));
  assert.equal(t.textsToSequences(fresh), [[2, 1, 4, 1, 2, 3], [1, 1, 1, 1]], 'ids 5 and above become <OOV>');
});

test('tokenizerFromJSON: "__proto__", "constructor" and integer-like words are ordinary entries, in their order', () => {
  const filters = DEFAULT_FILTERS.replace('_', ''); // keep the underscores of __proto__
  const t = new Tokenizer({ filters }).fitOnTexts([
    '__proto__ constructor toString 2024 10', 'constructor hasOwnProperty 2024 __proto__ __proto__ prototype',
  ]);
  const restored = tokenizerFromJSON(JSON.stringify(t));
  // JSON.parse would list "10" and "2024" first; the order written is kept.
  assert.equal([...restored.wordCounts], [
    ['__proto__', 3], ['constructor', 2], ['tostring', 1], ['2024', 2], ['10', 1], ['hasownproperty', 1], ['prototype', 1],
  ]);
  assert.equal([...restored.wordIndex], [...t.wordIndex]);
  assert.is(restored.wordIndex.get('__proto__'), 1);
  const fresh = ['constructor __proto__ 10 prototype valueOf', '2024 hasOwnProperty'];
  assert.equal(restored.textsToSequences(fresh), t.textsToSequences(fresh));
  assert.equal(restored.textsToSequences(fresh), [[2, 1, 5, 7], [3, 6]]);
  assertSameJSON(restored.toJSON(), t.toJSON(), 'written back byte for byte');
  assert.is(({} as Record<string, unknown>).constructor, Object, 'Object.prototype untouched');
});

test('tokenizerFromJSON: charLevel round trip', () => {
  const t = new Tokenizer({ charLevel: true, oovToken: '?' }).fitOnTexts(['Hello, wörld 😀', 'ab ba']);
  const json = JSON.stringify(t);
  assert.is(t.toJSON().config.char_level, true);
  const restored = tokenizerFromJSON(json);
  assert.is(restored.charLevel, true);
  const fresh = ['HELLO 😀!', 'zö'];
  assert.equal(restored.textsToSequences(fresh), t.textsToSequences(fresh));
  assert.equal(restored.textsToSequences(['l 😀'])[0], [t.wordIndex.get('l')!, t.wordIndex.get(' ')!, t.wordIndex.get('😀')!]);
});

test('tokenizerFromJSON: the word index restored is the one in the file', () => {
  // Keras's word_index may name words its word_counts lacks; they are kept, not re-derived.
  const json = JSON.stringify({
    class_name: 'Tokenizer',
    config: {
      num_words: null, filters: DEFAULT_FILTERS, lower: true, split: ' ', char_level: false, oov_token: null,
      document_count: 0, word_counts: '{"a": 1}', word_docs: '{"a": 1}', index_docs: '{"1": 1}',
      index_word: '{"1": "a", "2": "zebra"}', word_index: '{"a": 1, "zebra": 2}',
    },
  });
  const t = tokenizerFromJSON(json);
  assert.equal(t.textsToSequences(['Zebra a horse']), [[2, 1]], 'a word index counts as fitted even with document_count 0');
  t.fitOnTexts(['a']); // as in Keras, fitting again rebuilds the index from the counts
  assert.equal([...t.wordIndex], [['a', 1]]);
  assert.equal([...t.indexDocs], [[1, 2]]);
});

test('tokenizerFromJSON: an unfitted tokenizer round-trips and is still unfitted', () => {
  const t = tokenizerFromJSON(JSON.stringify(new Tokenizer({ oovToken: '<unk>', numWords: 10 })));
  assert.is(t.oovToken, '<unk>');
  assert.is(t.numWords, 10);
  assert.is(errorOf(() => t.textsToSequences(['a'])),
    'Tokenizer.textsToSequences: the tokenizer has not been fitted; call fitOnTexts first');
});

test('tokenizerFromJSON: every malformed input is refused with the key and what was found', () => {
  const base = new Tokenizer().fitOnTexts(['a b b']).toJSON(); // b 1, a 2
  const withConfig = (changes: Record<string, unknown>): string => JSON.stringify({ ...base, config: { ...base.config, ...changes } });
  const without = (key: string): string => {
    const config: Record<string, unknown> = { ...base.config };
    delete config[key];
    return JSON.stringify({ ...base, config });
  };
  const P = 'tokenizerFromJSON: ';
  const cases: Array<[input: string | TokenizerJSON, message: string]> = [
    ['[1]', `${P}expected a JSON object {"class_name": "Tokenizer", "config": {...}}, got an array`],
    ['"a text"', `${P}expected a JSON object {"class_name": "Tokenizer", "config": {...}}, got "a text"`],
    [42 as never, `${P}expected a JSON object {"class_name": "Tokenizer", "config": {...}}, got 42`],
    [JSON.stringify({ ...base, class_name: 'TextVectorization' }), `${P}class_name must be "Tokenizer", got "TextVectorization"`],
    [JSON.stringify({ config: base.config }), `${P}class_name must be "Tokenizer", got no class_name`],
    [JSON.stringify({ class_name: 'Tokenizer' }), `${P}config must be an object, got no config`],
    [JSON.stringify({ class_name: 'Tokenizer', config: [] }), `${P}config must be an object, got an array`],
    [withConfig({ analyzer: null }), `${P}config has the unknown key "analyzer"; Keras's Tokenizer config has ${KERAS_CONFIG_KEYS.join(', ')}`],
    [JSON.stringify(base).replace('{"num_words"', '{"__proto__": {"polluted": 1}, "num_words"'),
      `${P}config has the unknown key "__proto__"; Keras's Tokenizer config has ${KERAS_CONFIG_KEYS.join(', ')}`],
    [without('lower'), `${P}config.lower is missing`],
    [without('word_index'), `${P}config.word_index is missing`],
    [withConfig({ lower: 'yes' }), `${P}config.lower must be a boolean, got "yes"`],
    [withConfig({ char_level: 1 }), `${P}config.char_level must be a boolean, got 1`],
    [withConfig({ num_words: 0 }), `${P}config.num_words must be null or a positive integer, got 0`],
    [withConfig({ num_words: 2.5 }), `${P}config.num_words must be null or a positive integer, got 2.5`],
    [withConfig({ filters: null }), `${P}config.filters must be a string, got null`],
    [withConfig({ split: '' }), `${P}config.split must be a non-empty string, got ""`],
    [withConfig({ oov_token: 7 }), `${P}config.oov_token must be null or a non-empty string, got 7`],
    [withConfig({ document_count: -1 }), `${P}config.document_count must be a non-negative integer, got -1`],
    [withConfig({ word_counts: { a: 1 } }), `${P}config.word_counts must be a JSON string (Keras writes the maps with json.dumps), got an object`],
    [withConfig({ word_docs: '[1, 2]' }), `${P}config.word_docs must be a JSON object, got an array`],
    [withConfig({ word_counts: '{"a": 1.5}' }), `${P}config.word_counts["a"] must be a non-negative integer, got 1.5`],
    [withConfig({ word_counts: '{"a": 1e2}' }), `${P}config.word_counts["a"] must be a non-negative integer, got 1e2`],
    [withConfig({ word_docs: '{"a": -1}' }), `${P}config.word_docs["a"] must be a non-negative integer, got -1`],
    [withConfig({ word_index: '{"b": "1", "a": 2}' }), `${P}config.word_index["b"] must be a positive integer, got "1"`],
    [withConfig({ word_index: '{"b": 0, "a": 2}' }), `${P}config.word_index["b"] must be a positive integer, got 0`],
    [withConfig({ word_counts: '{"a": 1, "a": 2}' }), `${P}config.word_counts has the key "a" twice`],
    [withConfig({ index_docs: '{"one": 1}' }), `${P}config.index_docs keys must be positive integers in decimal, got "one"`],
    [withConfig({ index_word: '{"01": "b", "2": "a"}' }), `${P}config.index_word keys must be positive integers in decimal, got "01"`],
    [withConfig({ index_docs: '{"1": {"n": 1}}' }), `${P}config.index_docs["1"] must be a non-negative integer, got {"n": 1}`],
    [withConfig({ index_word: '{"1": 5, "2": "a"}' }), `${P}config.index_word["1"] must be a string, got 5`],
    [withConfig({ index_word: '{"1": "b", "2": "c"}' }),
      `${P}word_index and index_word disagree: word_index["a"] is 2 but index_word["2"] is "c"`],
    [withConfig({ index_word: '{"1": "b"}' }),
      `${P}word_index and index_word disagree: word_index["a"] is 2 but index_word["2"] is missing`],
    [withConfig({ index_word: '{"1": "b", "2": "a", "3": "c"}' }),
      `${P}word_index and index_word disagree: index_word["3"] is "c", which word_index lacks (2 words in word_index, 3 in index_word)`],
    [withConfig({ oov_token: '<OOV>' }), `${P}config.oov_token "<OOV>" is not in word_index`],
  ];
  for (const [input, message] of cases) {
    assert.is(errorOf(() => tokenizerFromJSON(input)), message, `input: ${typeof input === 'string' ? input : String(input)}`);
  }
  // Not JSON at all, outside or inside: the parser's own words follow.
  assert.match(errorOf(() => tokenizerFromJSON('{"class_name": ')), /^tokenizerFromJSON: the input is not JSON \(.+\)$/);
  assert.match(errorOf(() => tokenizerFromJSON(withConfig({ word_index: '{"b": 1, "a": ' }))),
    /^tokenizerFromJSON: config\.word_index is not JSON \(.+\): "\{\\"b\\": 1, \\"a\\": "$/);
  assert.is(errorOf(() => tokenizerFromJSON(JSON.stringify(base))), '(no error)', 'the base itself is valid');
});

test.run();
