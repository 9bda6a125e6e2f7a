import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FILTERS, Tokenizer, textToWordSequence } from '../../../lib/data/tokenizer.ts';

/** The message `fn` throws, or '(no error)': compared with assert.is, a failure shows both messages. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

test('textToWordSequence: lower-cases, turns punctuation, tabs and newlines into splits, keeps apostrophes', () => {
  const words = textToWordSequence("Hello, WORLD!! hello... it's\tfine\n(really)");
  assert.equal(words, ['hello', 'world', 'hello', "it's", 'fine', 'really']);
});

test('textToWordSequence: the default filters are Keras\'s', () => {
  assert.is(DEFAULT_FILTERS, '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n');
  // Every filter character separates words; nothing else does.
  const text = [...DEFAULT_FILTERS].map((c, i) => `w${i}${c}`).join('');
  assert.equal(textToWordSequence(text), [...DEFAULT_FILTERS].map((_, i) => `w${i}`));
});

test('textToWordSequence: custom filters, split and case', () => {
  assert.equal(textToWordSequence('A-B;c d', { filters: ';', split: '-', lower: false }), ['A', 'B', 'c d']);
  assert.equal(textToWordSequence('x.y', { filters: '' }), ['x.y']);
});

test('Tokenizer: the Keras documentation example', () => {
  const t = new Tokenizer({ numWords: 1000 });
  t.fitOnTexts(['The cat sat on the mat.', 'The dog ate my homework.']);
  assert.equal(Object.fromEntries(t.wordIndex), {
    the: 1, cat: 2, sat: 3, on: 4, mat: 5, dog: 6, ate: 7, my: 8, homework: 9,
  });
  assert.equal(t.textsToSequences(['The cat sat on the mat.', 'The dog ate my homework.']), [
    [1, 2, 3, 4, 1, 5], [1, 6, 7, 8, 9],
  ]);
  assert.is(t.documentCount, 2);
  assert.is(t.indexWord.get(9), 'homework');
});

test('Tokenizer: index ordered by count, ties by first appearance', () => {
  const t = new Tokenizer().fitOnTexts(['b a c', 'c b', 'c', 'x y z y z']);
  // counts: b 2, a 1, c 3, x 1, y 2, z 2 (first seen in that order)
  assert.equal([...t.wordCounts], [['b', 2], ['a', 1], ['c', 3], ['x', 1], ['y', 2], ['z', 2]]);
  assert.equal([...t.wordIndex], [['c', 1], ['b', 2], ['y', 3], ['z', 4], ['a', 5], ['x', 6]]);
});

test('Tokenizer: numWords keeps only ids below numWords; unknown words are dropped', () => {
  const t = new Tokenizer({ numWords: 3 }).fitOnTexts(['b a c', 'c b', 'c']);
  // c = 1, b = 2, a = 3: only ids 1 and 2 survive.
  assert.equal(t.textsToSequences(['b a c', 'a d', 'C, B!']), [[2, 1], [], [1, 2]]);
  assert.is(t.wordIndex.get('a'), 3, 'the word index itself keeps every word');
});

test('Tokenizer: oovToken takes index 1 and stands for unknown and cut-off words', () => {
  const t = new Tokenizer({ numWords: 3, oovToken: '<OOV>' }).fitOnTexts(['b a c', 'c b', 'c']);
  assert.equal([...t.wordIndex], [['<OOV>', 1], ['c', 2], ['b', 3], ['a', 4]]);
  // b = 3 and a = 4 are >= numWords, d is unknown: all become 1.
  assert.equal(t.textsToSequences(['b a c d']), [[1, 1, 2, 1]]);
});

test('Tokenizer: lower false keeps case apart; fitOnTexts accumulates', () => {
  const t = new Tokenizer({ lower: false });
  t.fitOnTexts(['Word word']);
  t.fitOnTexts(['word']);
  assert.equal(Object.fromEntries(t.wordCounts), { Word: 1, word: 2 });
  assert.equal([...t.wordIndex], [['word', 1], ['Word', 2]]);
  assert.is(t.documentCount, 2);
});

test('Tokenizer: bad arguments are named', () => {
  assert.throws(() => new Tokenizer({ numWords: 0 }), /Tokenizer: numWords must be a positive integer, got 0/);
  assert.throws(() => new Tokenizer({ numWords: 1.5 }), /numWords must be a positive integer, got 1\.5/);
  assert.throws(() => new Tokenizer({ split: '' }), /Tokenizer: split must be a non-empty string/);
  assert.throws(() => new Tokenizer({ oovToken: '' }), /oovToken must be a non-empty string/);
  assert.throws(() => new Tokenizer({ filters: 5 as never }), /filters must be a string/);
  assert.throws(() => new Tokenizer().textsToSequences(['a']), /has not been fitted; call fitOnTexts first/);
  assert.throws(() => new Tokenizer().fitOnTexts(['a', 3 as never]), /fitOnTexts: texts\[1\] is number, not a string/);
  const t = new Tokenizer().fitOnTexts(['a']);
  assert.throws(() => t.textsToSequences([null as never]), /textsToSequences: texts\[0\] is object, not a string/);
  assert.throws(() => textToWordSequence(7 as never), /textToWordSequence: text must be a string/);
});

test('Tokenizer: wordDocs counts each word once per text; indexDocs keys the same counts by index', () => {
  const t = new Tokenizer().fitOnTexts(['a b a a', 'b', 'c b']);
  assert.equal([...t.wordCounts], [['a', 3], ['b', 3], ['c', 1]]);
  assert.equal([...t.wordDocs], [['a', 1], ['b', 3], ['c', 1]], '"a" occurs three times but in one text');
  assert.equal([...t.wordIndex], [['a', 1], ['b', 2], ['c', 3]]);
  assert.equal([...t.indexDocs], [[1, 1], [2, 3], [3, 1]]);
});

test('Tokenizer: a second fitOnTexts adds to wordDocs and re-keys indexDocs, entries keeping their place (as Keras\'s defaultdict)', () => {
  const t = new Tokenizer().fitOnTexts(['a b', 'b']);
  // b = 1, a = 2; wordDocs in first-appearance order a, b → indexDocs {2: 1, 1: 2}.
  assert.equal([...t.indexDocs], [[2, 1], [1, 2]]);
  t.fitOnTexts(['a a a']);
  // Now a = 1 (count 4), b = 2; a is in 2 texts, b in 2: keys 2 and 1 keep their positions.
  assert.equal([...t.wordDocs], [['a', 2], ['b', 2]]);
  assert.equal([...t.wordIndex], [['a', 1], ['b', 2]]);
  assert.equal([...t.indexDocs], [[2, 2], [1, 2]]);
});

test('Tokenizer: a string where an array of texts belongs is refused, not read character by character', () => {
  const t = new Tokenizer();
  assert.is(errorOf(() => t.fitOnTexts('the cat' as never)),
    'Tokenizer.fitOnTexts: texts is a string; pass an array of texts, e.g. [text]');
  assert.is(t.documentCount, 0, 'nothing was counted');
  t.fitOnTexts(['the cat']);
  assert.is(errorOf(() => t.textsToSequences('the cat' as never)),
    'Tokenizer.textsToSequences: texts is a string; pass an array of texts, e.g. [text]');
  assert.throws(() => t.fitOnTexts(new String('the cat') as never), /fitOnTexts: texts is a string/);
  assert.is(errorOf(() => t.textsToSequences(5 as never)),
    'Tokenizer.textsToSequences: texts must be an iterable of strings (e.g. an array), got 5');
  assert.throws(() => t.fitOnTexts(null as never), /fitOnTexts: texts must be an iterable of strings \(e\.g\. an array\), got null/);
});

test('Tokenizer: any non-string iterable of texts is accepted', () => {
  function* texts(): Generator<string> {
    yield 'b a';
    yield 'b';
  }
  const t = new Tokenizer().fitOnTexts(texts());
  assert.equal([...t.wordIndex], [['b', 1], ['a', 2]]);
  assert.equal(t.textsToSequences(new Set(['a b', 'b'])), [[2, 1], [1]]);
  assert.equal(t.textsToSequences(texts()), [[1, 2], [1]]);
});

test('Tokenizer: charLevel makes every character a token, lower-cased; filters and split are not applied (as Keras)', () => {
  const t = new Tokenizer({ charLevel: true, filters: 'b' }).fitOnTexts(['Ab, a!', 'é😀']);
  // Keras: seq = text.lower(), and iterating a Python str gives its code points; spaces and punctuation count.
  assert.equal([...t.wordCounts], [['a', 2], ['b', 1], [',', 1], [' ', 1], ['!', 1], ['é', 1], ['😀', 1]]);
  assert.equal([...t.wordDocs], [['a', 1], ['b', 1], [',', 1], [' ', 1], ['!', 1], ['é', 1], ['😀', 1]]);
  assert.equal([...t.wordIndex].map(([w]) => w), ['a', 'b', ',', ' ', '!', 'é', '😀']);
  assert.equal(t.textsToSequences(['BA 😀?', '']), [[2, 1, 4, 7], []], '"?" is unknown and dropped');
  assert.equal(t.words('Ab'), ['a', 'b']);
  const cased = new Tokenizer({ charLevel: true, lower: false, oovToken: '<unk>' }).fitOnTexts(['aA']);
  assert.equal([...cased.wordIndex], [['<unk>', 1], ['a', 2], ['A', 3]]);
  assert.equal(cased.textsToSequences(['Aab']), [[3, 2, 1]]);
  // split is never used at character level, so even '' is accepted there (as Keras accepts it).
  assert.equal(new Tokenizer({ charLevel: true, split: '' }).fitOnTexts(['ab']).textsToSequences(['ba']), [[2, 1]]);
  assert.throws(() => new Tokenizer({ charLevel: 'yes' as never }), /Tokenizer: charLevel must be a boolean, got "yes"/);
  assert.throws(() => new Tokenizer({ split: '' }), /split must be a non-empty string/);
  assert.is(new Tokenizer().charLevel, false, 'charLevel defaults to false');
});

test.run();
