/**
 * Tasks with a known answer that need memory: what `npm run explain` and the
 * gate lab (lab/) train recurrent cells on. Pure data, no Node: the lab
 * bundles this file for the browser.
 *
 * Every task draws n sequences of length T from a uniform generator `rng`
 * (values in [0, 1)) and says which steps matter (`marks`), the loss it is
 * trained with, and its trivial baseline: the loss of the best answer that
 * ignores the input.
 *
 * - adding (Hochreiter & Schmidhuber 1997, §5.4, with both marks anywhere):
 *   x [n, T, 2], channel 0 a value in [0, 1) at every step, channel 1 a marker
 *   that is 1 at exactly two steps; y the sum of the two marked values; MSE.
 *   Predicting the mean 1 scores Var(U₁ + U₂) = 2/12 = 1/6.
 * - sign: x [n, T, 1] uniform in [−1, 1); y = 1 when the first value is
 *   positive; binary cross-entropy. Every later value is a distractor that
 *   must not overwrite the first. Predicting 1/2 scores ln 2.
 * - copy after delay: x [n, T, K + 1], step 0 shows one of K = 4 symbols
 *   (one-hot), the steps after it are blank, the last step carries a cue in
 *   channel K; y the symbol; sparse categorical cross-entropy. Nothing
 *   distracts, the symbol only has to be held for T − 1 steps. Guessing
 *   scores ln K.
 */
import { Tensor, type LossName } from '../lib/index.ts';

export type TaskName = 'adding' | 'sign' | 'copy';

export interface TaskBatch {
  /** [n, T, features]. */
  x: Tensor;
  /** [n, 1]: the sum (adding), 0 or 1 (sign), the symbol 0 … K − 1 (copy). */
  y: Tensor;
  /** [n, marksPerSequence]: the steps each sequence's answer depends on, in increasing order. */
  marks: Int32Array;
}

export interface MemoryTask {
  name: TaskName;
  title: string;
  /** One sentence: what the model sees and what it must answer. */
  description: string;
  /** Input features per step. */
  features: number;
  /** Units of the Dense output layer and their activation. */
  outputs: number;
  activation: 'linear' | 'sigmoid' | 'softmax';
  loss: LossName;
  /** The loss of the best answer that ignores the input. */
  baseline: number;
  /** How the baseline is got, e.g. `predict the mean 1: 1/6`. */
  baselineText: string;
  /** Steps per sequence listed in `marks`. */
  marksPerSequence: number;
  /** The shortest T the task is defined for. */
  minLength: number;
  sample(n: number, T: number, rng: () => number): TaskBatch;
}

/** Symbols of the copy task. */
export const COPY_SYMBOLS = 4;

function checkLength(task: string, T: number, min: number): void {
  if (!(Number.isInteger(T) && T >= min)) throw new Error(`${task}: the sequence length T must be an integer ≥ ${min}, got ${T}`);
}

/** n samples of the adding problem of length T. */
export function addingProblem(n: number, T: number, rng: () => number): TaskBatch {
  checkLength('addingProblem', T, 2);
  const x = new Tensor(new Float32Array(n * T * 2), [n, T, 2]);
  const y = new Tensor(new Float32Array(n), [n, 1]);
  const marks = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) x.data[(i * T + t) * 2] = rng();
    const a = Math.floor(rng() * T);
    let b = Math.floor(rng() * (T - 1)); // a second, different step
    if (b >= a) b++;
    x.data[(i * T + a) * 2 + 1] = 1;
    x.data[(i * T + b) * 2 + 1] = 1;
    y.data[i] = x.data[(i * T + a) * 2] + x.data[(i * T + b) * 2];
    marks[2 * i] = Math.min(a, b);
    marks[2 * i + 1] = Math.max(a, b);
  }
  return { x, y, marks };
}

/** n samples of the sign task of length T. */
export function signTask(n: number, T: number, rng: () => number): TaskBatch {
  checkLength('signTask', T, 1);
  const x = new Tensor(new Float32Array(n * T), [n, T, 1]);
  const y = new Tensor(new Float32Array(n), [n, 1]);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) x.data[i * T + t] = 2 * rng() - 1;
    y.data[i] = x.data[i * T] > 0 ? 1 : 0;
  }
  return { x, y, marks: new Int32Array(n) };
}

/** n samples of the copy-after-delay task of length T. */
export function copyTask(n: number, T: number, rng: () => number): TaskBatch {
  checkLength('copyTask', T, 2);
  const F = COPY_SYMBOLS + 1;
  const x = new Tensor(new Float32Array(n * T * F), [n, T, F]);
  const y = new Tensor(new Float32Array(n), [n, 1]);
  const marks = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const symbol = Math.min(COPY_SYMBOLS - 1, Math.floor(rng() * COPY_SYMBOLS));
    x.data[i * T * F + symbol] = 1; // step 0
    x.data[(i * T + T - 1) * F + COPY_SYMBOLS] = 1; // the cue at the last step
    y.data[i] = symbol;
    marks[2 * i] = 0;
    marks[2 * i + 1] = T - 1;
  }
  return { x, y, marks };
}

export const TASKS: Readonly<Record<TaskName, MemoryTask>> = {
  adding: {
    name: 'adding',
    title: 'The adding problem',
    description: 'Two of the T values are marked; answer their sum.',
    features: 2, outputs: 1, activation: 'linear', loss: 'mse',
    baseline: 1 / 6, baselineText: 'predict the mean 1: MSE 1/6',
    marksPerSequence: 2, minLength: 2, sample: addingProblem,
  },
  sign: {
    name: 'sign',
    title: 'The sign task',
    description: 'T values in [−1, 1); answer whether the first one is positive.',
    features: 1, outputs: 1, activation: 'sigmoid', loss: 'binary_crossentropy',
    baseline: Math.LN2, baselineText: 'answer ½: cross-entropy ln 2',
    marksPerSequence: 1, minLength: 1, sample: signTask,
  },
  copy: {
    name: 'copy',
    title: 'Copy after a delay',
    description: `A symbol (one of ${COPY_SYMBOLS}) at the first step, blanks, a cue at the last step; answer the symbol.`,
    features: COPY_SYMBOLS + 1, outputs: COPY_SYMBOLS, activation: 'softmax', loss: 'sparse_categorical_crossentropy',
    baseline: Math.log(COPY_SYMBOLS), baselineText: `guess: cross-entropy ln ${COPY_SYMBOLS}`,
    marksPerSequence: 2, minLength: 2, sample: copyTask,
  },
};
