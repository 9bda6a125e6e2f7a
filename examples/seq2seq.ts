/**
 * An encoder-decoder built with the functional API, as Keras's
 * lstm_seq2seq example builds it, on a task whose answers are known: dates
 * written the ways people write them ("tuesday 5 march 1985", "5/3/85",
 * "march 5, 1985") translated into ISO 8601 ("1985-03-05").
 *
 * ```python
 * encoder_outputs, state_h, state_c = LSTM(latent_dim, return_state=True)(encoder_inputs)
 * decoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
 * decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
 * decoder_outputs = Dense(num_decoder_tokens, activation='softmax')(decoder_outputs)
 * model = Model([encoder_inputs, decoder_inputs], decoder_outputs)
 * ```
 *
 * In training the decoder reads the true previous character (teacher
 * forcing). At inference it reads its own: the encoder gives the states,
 * then a decoder model steps one character at a time, feeding back the
 * likeliest character and its states. The inference models are made from
 * the trained model's layers, so they share its weights. The score is exact
 * match on held-out dates. The trained model is saved, loaded in a fresh
 * process, and must decode the same answers there.
 *
 * Run alone: `npx tsx examples/seq2seq.ts [--full] [--smoke]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import {
  Adam, Dense, Embedding, LSTM, Model, Tensor, clearSession, input, loadModel, setSeed, tensor, type SymbolicTensor,
} from '../lib/index.ts';
import { say } from './terminal.ts';
import type { ExampleOptions, ExampleResult } from './types.ts';

export const SEED = 42;
/** Question characters, ids 1 to 40; id 0 pads (and is masked). */
export const IN_CHARS = ' ,./0123456789abcdefghijklmnopqrstuvwxyz';
/** Answer characters; id 0 starts the answer. */
export const OUT_CHARS = '^-0123456789';
/** "yyyy-mm-dd". */
export const ANSWER_LENGTH = 10;
/** Questions longer than this are not drawn. */
export const QUESTION_LENGTH = 28;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export interface Seq2seqSettings {
  train: number;
  test: number;
  units: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/**
 * - default and `full`: 12,000 dates to train on, 2,000 held out, LSTM(64), 15 epochs;
 * - `smoke`: a few hundred dates, one epoch.
 */
export function seq2seqSettings(options: Pick<ExampleOptions, 'full' | 'smoke'>): Seq2seqSettings {
  if (options.smoke) return { train: 300, test: 50, units: 16, epochs: 1, batchSize: 50, learningRate: 0.01 };
  return { train: 12000, test: 2000, units: 64, epochs: 15, batchSize: 64, learningRate: 0.005 };
}

export interface DatePair {
  question: string;
  answer: string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** One date between 1950 and 2049, written one of eight ways, and its ISO form. */
function datePair(random: () => number): DatePair {
  const day0 = Date.UTC(1950, 0, 1) / 86400000;
  const span = Date.UTC(2050, 0, 1) / 86400000 - day0;
  const date = new Date((day0 + Math.floor(random() * span)) * 86400000);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const month = MONTHS[m];
  const weekday = DAYS[(date.getUTCDay() + 6) % 7];
  const yy = pad2(y % 100);
  const forms = [
    `${d} ${month} ${y}`,
    `${month} ${d}, ${y}`,
    `${weekday} ${d} ${month} ${y}`,
    `${d} ${month.slice(0, 3)} ${y}`,
    `${d}/${m + 1}/${yy}`,
    `${pad2(d)}/${pad2(m + 1)}/${y}`,
    `${y}.${pad2(m + 1)}.${pad2(d)}`,
    `${weekday.slice(0, 3)}, ${month.slice(0, 3)} ${d} ${yy}`,
  ];
  return { question: forms[Math.floor(random() * forms.length)], answer: `${y}-${pad2(m + 1)}-${pad2(d)}` };
}

/** `count` distinct questions from a generator seeded with `seed`. */
export function datePairs(count: number, seed: number | string = SEED): DatePair[] {
  const random = seedrandom(`dates-${seed}`);
  const seen = new Set<string>();
  const out: DatePair[] = [];
  while (out.length < count) {
    const p = datePair(random);
    if (p.question.length > QUESTION_LENGTH || seen.has(p.question)) continue;
    seen.add(p.question);
    out.push(p);
  }
  return out;
}

/** Question ids [N, QUESTION_LENGTH], padded with 0 after the text. */
export function encodeQuestions(questions: readonly string[]): Tensor {
  const data = new Float32Array(questions.length * QUESTION_LENGTH);
  questions.forEach((q, n) => [...q].forEach((ch, t) => {
    const id = IN_CHARS.indexOf(ch);
    if (id < 0 || t >= QUESTION_LENGTH) throw new Error(`seq2seq: cannot encode ${JSON.stringify(q)}`);
    data[n * QUESTION_LENGTH + t] = id + 1;
  }));
  return new Tensor(data, [questions.length, QUESTION_LENGTH]);
}

/** Teacher forcing: the decoder reads "^" then the answer shifted by one, and must give the answer. */
export function encodeAnswers(answers: readonly string[]): { decoderInput: Tensor; target: Tensor } {
  const N = answers.length;
  const input = new Float32Array(N * ANSWER_LENGTH);
  const target = new Float32Array(N * ANSWER_LENGTH);
  answers.forEach((a, n) => [...a].forEach((ch, t) => {
    const id = OUT_CHARS.indexOf(ch);
    target[n * ANSWER_LENGTH + t] = id;
    if (t + 1 < ANSWER_LENGTH) input[n * ANSWER_LENGTH + t + 1] = id;
  }));
  return { decoderInput: new Tensor(input, [N, ANSWER_LENGTH]), target: new Tensor(target, [N, ANSWER_LENGTH]) };
}

/** The training model: question → encoder states → decoder (teacher forced) → the next character's probabilities. */
export function seq2seqModel(s: Seq2seqSettings): Model<SymbolicTensor> {
  const question = input({ shape: [null], name: 'question' });
  const questionChars = new Embedding(IN_CHARS.length + 1, 16, { maskZero: true, name: 'question_chars' }).apply(question);
  const [, h, c] = new LSTM(s.units, { returnState: true, name: 'encoder' }).apply(questionChars);
  const previous = input({ shape: [null], name: 'previous' });
  const previousChars = new Embedding(OUT_CHARS.length, 8, { name: 'answer_chars' }).apply(previous);
  const [decoded] = new LSTM(s.units, { returnSequences: true, returnState: true, name: 'decoder' }).apply(previousChars, { initialState: [h, c] });
  const next = new Dense(OUT_CHARS.length, { activation: 'softmax', name: 'next_char' }).apply(decoded);
  const model = new Model({ inputs: [question, previous], outputs: next, name: 'dates' });
  model.compile({ optimizer: new Adam({ learningRate: s.learningRate }), loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
  return model;
}

/**
 * The inference models, made from a trained model's layers (shared
 * weights): the encoder (question → [h, c]) and one decoder step
 * ([previous character, h, c] → [probabilities, h, c]).
 */
export function inferenceModels(trained: Model): { encoder: Model<SymbolicTensor[]>; step: Model<SymbolicTensor[]> } {
  const [question] = trained.inputs;
  const [, h, c] = trained.getLayer('encoder').inboundNodes[0].outputs;
  const encoder = new Model({ inputs: question, outputs: [h, c], name: 'date_encoder' });
  const units = h.shape[1] as number;
  const previous = input({ shape: [1], name: 'step_previous' });
  const hIn = input({ shape: [units], name: 'step_h' });
  const cIn = input({ shape: [units], name: 'step_c' });
  const chars = trained.getLayer('answer_chars').apply(previous);
  const decoder = trained.getLayer('decoder') as LSTM<true>;
  const [decoded, hOut, cOut] = decoder.apply(chars, { initialState: [hIn, cIn] });
  const next = trained.getLayer('next_char').apply(decoded);
  const step = new Model({ inputs: [previous, hIn, cIn], outputs: [next, hOut, cOut], name: 'date_decoder_step' });
  return { encoder, step };
}

/** Greedy decoding, one character at a time, each fed back with the decoder's states. */
export function decodeDates(trained: Model, questions: readonly string[]): string[] {
  const { encoder, step } = inferenceModels(trained);
  let [h, c] = encoder.predict(encodeQuestions(questions), { batchSize: 256 });
  const N = questions.length;
  let previous = tensor(new Float32Array(N), [N, 1]);
  const answers = Array.from({ length: N }, () => '');
  for (let t = 0; t < ANSWER_LENGTH; t++) {
    const [probs, hNext, cNext] = step.predict([previous, h, c], { batchSize: 256 });
    const V = OUT_CHARS.length;
    const chosen = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      let best = 0;
      for (let k = 1; k < V; k++) if (probs.data[n * V + k] > probs.data[n * V + best]) best = k;
      chosen[n] = best;
      answers[n] += OUT_CHARS[best];
    }
    previous = new Tensor(chosen, [N, 1]);
    [h, c] = [hNext, cNext];
  }
  return answers;
}

/** Decodes `questions` with the model saved in `dir`, in a new Node process; returns its answers. */
function decodeInFreshProcess(dir: string, questions: readonly string[]): string[] {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--decode', dir], {
    input: JSON.stringify(questions), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

export async function run(options: ExampleOptions): Promise<ExampleResult> {
  clearSession();
  setSeed(SEED);
  const s = seq2seqSettings(options);
  const pairs = datePairs(s.train + s.test);
  const train = pairs.slice(0, s.train);
  const test = pairs.slice(s.train);
  const x = encodeQuestions(train.map((p) => p.question));
  const { decoderInput, target } = encodeAnswers(train.map((p) => p.answer));
  const xTest = encodeQuestions(test.map((p) => p.question));
  const testAnswers = encodeAnswers(test.map((p) => p.answer));
  say(`${s.train} dates to train on, ${s.test} held out, e.g. "${train[0].question}" → "${train[0].answer}", "${train[1].question}" → "${train[1].answer}"; `
    + `LSTM(${s.units}) encoder and decoder, ${s.epochs} epochs of batches of ${s.batchSize}, Adam(${s.learningRate})`);
  const model = seq2seqModel(s);
  model.summary();
  const started = performance.now();
  const history = await model.fit([x, decoderInput], target, {
    epochs: s.epochs, batchSize: s.batchSize, validationData: [[xTest, testAnswers.decoderInput], testAnswers.target], verbose: options.smoke ? 0 : 2,
  });
  const seconds = (performance.now() - started) / 1000;

  const questions = test.map((p) => p.question);
  const answers = decodeDates(model, questions);
  const right = answers.filter((a, i) => a === test[i].answer).length;
  for (let i = 0; i < 6; i++) console.log(`  ${test[i].question.padEnd(QUESTION_LENGTH)} → ${answers[i]} ${answers[i] === test[i].answer ? 'ok' : `(should be ${test[i].answer})`}`);

  const dir = mkdtempSync(join(tmpdir(), 'unrolled-seq2seq-'));
  let same: number;
  try {
    await model.save(dir);
    const again = decodeInFreshProcess(dir, questions);
    same = again.filter((a, i) => a === answers[i]).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = [
    `Exact match on ${s.test} held-out dates, decoded step by step: ${(100 * right / s.test).toFixed(2)}% (${s.epochs} epochs, ${seconds.toFixed(0)} s of training)`,
    `Saved, loaded in a fresh process and decoded again: ${same} of ${s.test} answers the same`,
  ];
  say(`\n${summary.join('\n')}`);
  if (same !== s.test) throw new Error(`seq2seq: the model loaded in a fresh process decoded ${s.test - same} of ${s.test} dates differently`);
  return {
    name: 'Sequence to sequence: dates',
    runs: [{ id: 'seq2seq', title: `Dates to ISO 8601, LSTM(${s.units}) encoder-decoder (teacher forcing)`, history: history.history }],
    summary,
  };
}

/** `--decode DIR`: reads questions (JSON) from stdin, prints the answers of the model saved in DIR (JSON). */
async function decodeCommand(dir: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const questions = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
  const model = await loadModel(dir);
  console.log(JSON.stringify(decodeDates(model, questions)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--decode');
  if (at >= 0) await decodeCommand(args[at + 1]);
  else await run({ full: args.includes('--full'), smoke: args.includes('--smoke'), outDir: 'out' });
}
