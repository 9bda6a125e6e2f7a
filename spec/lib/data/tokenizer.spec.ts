import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FILTERS, Tokenizer, textToWordSequence } from '../../../lib/data/tokenizer.ts';

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

test.run();
