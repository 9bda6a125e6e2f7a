/**
 * The text generation example (examples/textgen.ts): its windows, one-hot
 * batches and temperature sampling against hand-computed values, the stateful
 * decoding loop against the same model run on the whole prefix, the loader of
 * the State of the Union addresses, and what its smoke run writes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { Dense, LSTM, Sequential, Tensor, setSeed } from '../../lib/index.ts';
import { loadAddresses } from '../../examples/data/sotu.ts';
import {
  CharVocabulary, MAXLEN, SAMPLES_FILE, TEMPERATURES, generate, oneHotWindows, reweight, sampleIndex, statefulCopy,
  textgenModel, trainingBatches, unigramLoss, windowStarts,
} from '../../examples/textgen.ts';
import { smokeRun } from './smoke-run.ts';

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < expected.length; k++) {
    const d = Math.abs(actual[k] - expected[k]);
    if (d > worst) [worst, at] = [d, k];
  }
  assert.ok(worst <= tol, `${what}: worst element ${at}: ${actual[at]} vs ${expected[at]} (|Δ| ${worst} > ${tol})`);
}

/** A generator that returns the given values in turn. */
function values(...us: number[]): () => number {
  let i = 0;
  return () => us[i++];
}

test('CharVocabulary: sorted characters as ids, round trip, and an unknown character named', () => {
  const v = new CharVocabulary('banana bread');
  assert.equal(v.chars, [' ', 'a', 'b', 'd', 'e', 'n', 'r']);
  assert.equal([...v.encode('bad end')], [2, 1, 3, 0, 4, 5, 3]);
  assert.is(v.decode(v.encode('a brand')), 'a brand');
  assert.throws(() => v.encode('bax'), /character "x" at 2 is not in the vocabulary of 7/);
  assert.throws(() => new CharVocabulary('aaa'), /at least 2 distinct characters, got 1/);
});

test('windowStarts: every step characters while a window and its next character fit', () => {
  assert.equal([...windowStarts(10, 3, 3)], [0, 3, 6]); // windows 0–2 → 3, 3–5 → 6, 6–8 → 9
  assert.equal([...windowStarts(11, 3, 3)], [0, 3, 6]); // 9–11 would need a 12th character
  assert.equal([...windowStarts(4, 3, 1)], [0]);
  assert.equal([...windowStarts(8, 3, 2)], [0, 2, 4]);
  assert.throws(() => windowStarts(3, 3, 1), /a text of 3 characters has no window of 3 followed by a next character/);
  assert.throws(() => windowStarts(10, 3, 0), /step must be a positive integer, got 0/);
});

test('oneHotWindows: x [n, maxlen, V] and the next character y [n, V], by hand', () => {
  // ids of "abcab" with a=0, b=1, c=2; windows of 2 starting at 0 and 2: "ab"→c, "ca"→b.
  const ids = Int32Array.from([0, 1, 2, 0, 1]);
  const [x, y] = oneHotWindows(ids, [0, 2], 2, 3);
  assert.equal(x.shape, [2, 2, 3]);
  assert.equal(y.shape, [2, 3]);
  assert.equal([...x.data], [1, 0, 0, 0, 1, 0, /* */ 0, 0, 1, 1, 0, 0]);
  assert.equal([...y.data], [0, 0, 1, /* */ 0, 1, 0]);
  assert.throws(() => oneHotWindows(ids, [3], 2, 3), /window 0 starts at 3; with its next character it must end before 5/);
});

test('trainingBatches: full batches, each pass a permutation of every window', () => {
  const ids = Int32Array.from({ length: MAXLEN + 10 }, (_, i) => i % 3);
  const starts = windowStarts(ids.length, MAXLEN, 1); // 10 windows
  const batches = trainingBatches(ids, starts, 5, 3, seedrandom('batches'));
  const seen: number[] = [];
  for (let b = 0; b < 2; b++) {
    const [x, y] = batches.next().value as [Tensor, Tensor];
    assert.equal(x.shape, [5, MAXLEN, 3]);
    for (let n = 0; n < 5; n++) {
      const first = [0, 1, 2].find((k) => x.data[n * MAXLEN * 3 + k] === 1)!;
      const next = [0, 1, 2].find((k) => y.data[n * 3 + k] === 1)!;
      assert.is(next, (first + MAXLEN) % 3, 'the target is the character after the window');
      seen.push(first);
    }
  }
  assert.is(seen.length, 10);
  assert.equal(seen.filter((f) => f === 0).length, 4, 'starts 0, 3, 6, 9 begin with id 0: each window once per pass');
});

test('reweight: p^(1/T) renormalised (Keras\'s sample), by hand', () => {
  const p = [0.5, 0.25, 0.25];
  close(reweight(p, 1), p, 1e-15, 'T = 1 keeps the probabilities');
  close(reweight(p, 0.5), [2 / 3, 1 / 6, 1 / 6], 1e-15, 'T = 0.5 squares them: 0.25, 0.0625, 0.0625 over 0.375');
  const r = Math.SQRT1_2 + 1; // √0.5 + 2·√0.25
  close(reweight(p, 2), [Math.SQRT1_2 / r, 0.5 / r, 0.5 / r], 1e-15, 'T = 2 takes square roots');
  close(reweight([0.6, 0.4], 0.01), [1, (0.4 / 0.6) ** 100], 1e-30, 'T = 0.01 does not underflow to NaN');
  close(reweight([0.5, 0, 0.5], 0.2), [0.5, 0, 0.5], 1e-15, 'a probability of 0 stays 0');
  assert.throws(() => reweight(p, 0), /temperature must be a positive number, got 0/);
  assert.throws(() => reweight([0.5, Number.NaN], 1), /probability 1 is NaN/);
  assert.throws(() => reweight([0, 0], 1), /every probability is 0/);
});

test('sampleIndex: the first class whose cumulative probability passes u', () => {
  const p = [0.5, 0.25, 0.25];
  assert.equal([0.49, 0.5, 0.74, 0.76, 0.9999999].map((u) => sampleIndex(p, 1, values(u))), [0, 1, 1, 2, 2]);
  // T = 0.5: cumulative 2/3, 5/6, 1.
  assert.equal([0.66, 0.67, 0.83, 0.84].map((u) => sampleIndex(p, 0.5, values(u))), [0, 1, 1, 2]);
  assert.is(sampleIndex([0.5, 0.5, 0], 1, values(0.9999999999999999)), 1, 'never a class of probability 0');
  const random = seedrandom('frequencies');
  const counts = [0, 0, 0];
  const n = 30000;
  for (let i = 0; i < n; i++) counts[sampleIndex(p, 0.5, random)]++;
  close(counts.map((c) => c / n), [2 / 3, 1 / 6, 1 / 6], 0.01, 'frequencies of 30,000 draws at T = 0.5');
});

test('unigramLoss: the cross-entropy of the training frequencies, by hand', () => {
  assert.ok(Math.abs(unigramLoss(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0]), 2) - Math.LN2) < 1e-15);
  const expected = -(Math.log(3 / 4) + Math.log(1 / 4)) / 2;
  assert.ok(Math.abs(unigramLoss(Int32Array.from([0, 0, 0, 1]), Int32Array.from([0, 1]), 2) - expected) < 1e-15);
});

/** The trained layers without state, on sequences of any length: the reference the stateful loop must match. */
function wholePrefixModel(trained: Sequential, V: number, units: number): Sequential {
  const m = new Sequential([new LSTM(units, { inputShape: [null, V] }), new Dense(V, { activation: 'softmax' })]);
  m.setWeights(trained.getWeights());
  return m;
}

function oneHot(ids: ArrayLike<number>, V: number): Tensor {
  const x = new Float32Array(ids.length * V);
  for (let t = 0; t < ids.length; t++) x[t * V + ids[t]] = 1;
  return new Tensor(x, [1, ids.length, V]);
}

test('statefulCopy: one character per call with the states carried gives what the model gives on the whole prefix', () => {
  setSeed(7);
  const vocab = new CharVocabulary('abcde ');
  const V = vocab.size;
  const trained = textgenModel(V, { units: 8, learningRate: 0.01 });
  const step = statefulCopy(trained, V);
  const whole = wholePrefixModel(trained, V, 8);
  const ids = vocab.encode('abc de aab');
  step.resetStates();
  let worst = 0;
  for (let t = 0; t < ids.length; t++) {
    const carried = step.predict(oneHot(ids.subarray(t, t + 1), V)) as Tensor;
    const reference = whole.predict(oneHot(ids.subarray(0, t + 1), V)) as Tensor;
    for (let k = 0; k < V; k++) worst = Math.max(worst, Math.abs(carried.data[k] - reference.data[k]));
  }
  assert.ok(worst < 1e-6, `largest difference ${worst}`);
  step.resetStates();
  const fresh = step.predict(oneHot(ids.subarray(0, 1), V)) as Tensor;
  close(fresh.data, [...(whole.predict(oneHot(ids.subarray(0, 1), V)) as Tensor).data], 1e-6, 'resetStates starts again from zero states');
});

test('generate: the stateful loop draws what resampling from the whole prefix draws, and repeats itself with the same seed', () => {
  setSeed(11);
  const vocab = new CharVocabulary('the cat sat on a mat');
  const V = vocab.size;
  const trained = textgenModel(V, { units: 8, learningRate: 0.01 });
  const step = statefulCopy(trained, V);
  const whole = wholePrefixModel(trained, V, 8);
  const seed = 'the cat';
  for (const temperature of TEMPERATURES) {
    const generated = generate(step, vocab, seed, 25, temperature, seedrandom(`draws-${temperature}`));
    const random = seedrandom(`draws-${temperature}`);
    let text = seed;
    for (let i = 0; i < 25; i++) {
      const probs = whole.predict(oneHot(vocab.encode(text), V)) as Tensor;
      text += vocab.chars[sampleIndex(probs.data, temperature, random)];
    }
    assert.is(generated, text.slice(seed.length), `T = ${temperature}`);
    assert.is(generate(step, vocab, seed, 25, temperature, seedrandom(`draws-${temperature}`)), generated, `T = ${temperature}: same seed, same text`);
  }
  assert.throws(() => generate(step, vocab, 'the dog', 5, 1, seedrandom('x')), /generate \(seed\): character "d" at 4 is not in the vocabulary/);
});

test('loadAddresses: Lincoln\'s four annual messages from the package, and a filter that matches nothing named', () => {
  const lincoln = loadAddresses({ president: 'Abraham Lincoln' });
  assert.equal(lincoln.map((a) => a.year), [1861, 1862, 1863, 1864]);
  for (const a of lincoln) {
    assert.is(a.party, 'Republican');
    assert.ok(a.text.startsWith('Fellow-Citizens of the Senate and House of Representatives'), `${a.year}: ${a.text.slice(0, 60)}`);
    assert.ok(a.text.length > 30000, `${a.year}: ${a.text.length} characters`);
  }
  assert.equal(loadAddresses({ from: 1790, to: 1791 }).map((a) => a.president), ['George Washington', 'George Washington']);
  assert.throws(() => loadAddresses({ president: 'Abraham Lincoln', from: 1866 }), /no address in .* matches \{"president":"Abraham Lincoln","from":1866\}/);
  assert.throws(() => loadAddresses({ from: 1861.5 }), /from must be an integer year, got 1861.5/);
});

test('smoke run: textgen writes its three samples, each the seed and the characters generated after it', async () => {
  const { outDir, outcomes } = await smokeRun();
  const outcome = outcomes.find((o) => o.example === 'textgen');
  assert.ok(outcome?.result, 'textgen ran in the smoke run');
  const text = readFileSync(join(outDir, SAMPLES_FILE), 'utf8');
  const seed = /^Seed: "(.*)"$/m.exec(text)![1];
  assert.is(seed.length, MAXLEN);
  for (const t of TEMPERATURES) {
    const sample = new RegExp(`^Temperature ${t.toFixed(1)}:\\n(.*)$`, 'm').exec(text);
    assert.ok(sample, `a sample at T = ${t}`);
    assert.ok(sample![1].startsWith(seed) && sample![1].length === MAXLEN + 60, `T = ${t}: the seed and 60 characters`);
  }
  assert.match(outcome!.result!.summary[0], /^Validation loss per epoch \(nats per character; 1864 message\): 1: \d\.\d{3}; /);
});

test.run();
