/**
 * The long-range memory experiment: the adding problem, solved by the gated
 * cells and not by SimpleRNN, and the gradient flow through time that
 * explains why — `npm run explain`, and part of `npm start -- --full`.
 *
 * The task (Hochreiter & Schmidhuber 1997, §5.4; here with both marks
 * anywhere in the sequence): x [B, T, 2], channel 0 a value uniform in
 * [0, 1) at every step, channel 1 a marker that is 1 at exactly two steps
 * and 0 elsewhere. The target is the sum of the two marked values; the
 * loss is the mean squared error. Predicting the mean (1) for everything
 * scores the variance of the sum of two U(0, 1), 2 · 1/12 = 1/6 ≈ 0.167:
 * the trivial baseline. A model only beats it by finding the marks, holding
 * their values for up to T steps while ignoring every other value, and adding.
 *
 * Each cell (SimpleRNN, LSTM, GRU) with a Dense(1) on top is trained at
 * T = 50 and T = 150 on fresh batches from the same seed, until its
 * validation MSE falls below `stopRatio` of the baseline or the step budget
 * is spent (`explainSettings`), then scored on a held-out test set. Then, for each trained and freshly
 * initialised model, lib/explain.ts reads ‖∂ŷ/∂h_t‖ and ‖∂ŷ/∂x_t‖ from the
 * hand-written BPTT and the gates from the fused forward; the figures and a
 * page (out/explain.html) show them.
 *
 * Run alone: `npm run explain [-- --full | --smoke] [--out DIR]`, which is
 * `npm start -- --only explain`: the page also gets its section in out/index.html.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import {
  Adam, Dense, GRU, LSTM, RMSprop, Sequential, SimpleRNN, Tensor, clearSession, setSeed,
  type Optimizer, type FusedRNN as RNN,
} from '../lib/index.ts';
import { gradientFlow, traceLayer, type GradientFlow } from '../lib/explain.ts';
import { escapeXml, heatmap, lineChart, type MarkerShape, type Series } from '../lib/plot.ts';
import { TASKS, addingProblem, type TaskBatch } from './tasks.ts';
import { writeOutput } from './report.ts';
import { say } from './terminal.ts';
import type { ExampleFigure, ExampleOptions, ExampleResult } from './types.ts';

// ---------------------------------------------------------------- the task

/** The MSE of predicting the mean 1 when y is the sum of two independent U(0, 1): Var = 2/12. */
export const BASELINE_MSE = TASKS.adding.baseline;

/**
 * Pearson's correlation of the predictions with the earlier and with the
 * later marked value of each test sequence. y = v₁ + v₂ with v₁, v₂
 * independent U(0, 1) correlates with each at 1/√2 ≈ 0.71: a model that adds
 * both approaches that twice; one that holds only the most recent mark shows
 * a high `later` and an `earlier` near 0.
 */
function markCorrelations(prediction: Tensor, batch: TaskBatch, T: number): { earlier: number; later: number } {
  const n = batch.y.size;
  const value = (i: number, which: 0 | 1): number => batch.x.data[(i * T + batch.marks[2 * i + which]) * 2];
  const corr = (f: (i: number) => number): number => {
    let mf = 0;
    let mp = 0;
    for (let i = 0; i < n; i++) {
      mf += f(i) / n;
      mp += prediction.data[i] / n;
    }
    let sfp = 0;
    let sff = 0;
    let spp = 0;
    for (let i = 0; i < n; i++) {
      const a = f(i) - mf;
      const b = prediction.data[i] - mp;
      sfp += a * b;
      sff += a * a;
      spp += b * b;
    }
    return sff > 0 && spp > 0 ? sfp / Math.sqrt(sff * spp) : 0;
  };
  return { earlier: corr((i) => value(i, 0)), later: corr((i) => value(i, 1)) };
}

/** The mean squared error of predictions [n, 1] against targets [n, 1]. */
function mse(prediction: Tensor, y: Tensor): number {
  let s = 0;
  for (let i = 0; i < y.size; i++) s += (prediction.data[i] - y.data[i]) ** 2;
  return s / y.size;
}

// ---------------------------------------------------------------- the configuration

export type CellName = 'SimpleRNN' | 'LSTM' | 'GRU';
export const CELLS: readonly CellName[] = ['SimpleRNN', 'LSTM', 'GRU'];

/** What one run of the experiment is sized by. */
export interface ExplainSettings {
  lengths: number[];
  units: number;
  batchSize: number;
  /** The most optimisation steps per (cell, T); each step sees a fresh batch. */
  maxSteps: number;
  /** Steps between two validation scores (one point of the training curves). */
  evalEvery: number;
  /** Stop a run once its validation MSE is below this fraction of the baseline. */
  stopRatio: number;
  optimizer: 'adam' | 'rmsprop';
  learningRate: number;
  /** Global gradient-norm clipping (optimizer `globalClipnorm`). */
  clip: number;
  validationSize: number;
  testSize: number;
  /** Samples whose gradients are averaged into the flow figures. */
  flowSize: number;
}

/**
 * - default: T = 50 and 150, 16 units, Adam(0.01) with global clipping at 1,
 *   batches of 32, at most 4000 steps — about a minute of CPU time, a few
 *   minutes on two busy cores (the gated cells stop early; SimpleRNN spends the budget);
 * - `full`: the same with twice the step budget (only SimpleRNN, which never
 *   stops early, uses it);
 * - `smoke`: T = 8 and 12, 40 steps, to check that everything runs.
 */
export function explainSettings(options: Pick<ExampleOptions, 'full' | 'smoke'>): ExplainSettings {
  const base: ExplainSettings = {
    lengths: [50, 150], units: 16, batchSize: 32, maxSteps: 4000, evalEvery: 50, stopRatio: 0.02,
    optimizer: 'adam', learningRate: 0.01, clip: 1, validationSize: 256, testSize: 1000, flowSize: 64,
  };
  if (options.smoke) return { ...base, lengths: [8, 12], maxSteps: 40, evalEvery: 10, validationSize: 64, testSize: 64, flowSize: 8 };
  if (options.full) return { ...base, maxSteps: 2 * base.maxSteps };
  return base;
}

/** One seed for the weights; the data come from their own generators (`adding-<T>-<split>`). */
export const SEED = 7;

function makeLayer(cell: CellName, units: number): RNN {
  const options = { inputShape: [null, 2] };
  if (cell === 'LSTM') return new LSTM(units, options);
  if (cell === 'GRU') return new GRU(units, options);
  return new SimpleRNN(units, options);
}

function makeOptimizer(s: ExplainSettings): Optimizer {
  const o = { learningRate: s.learningRate, globalClipnorm: s.clip };
  return s.optimizer === 'adam' ? new Adam(o) : new RMSprop(o);
}

// ---------------------------------------------------------------- one run

/** The fixed sets of length T, each from its own seeded generator. */
export function addingData(T: number, s: ExplainSettings): AddingData {
  return {
    validation: addingProblem(s.validationSize, T, seedrandom(`adding-${T}-validation`)),
    test: addingProblem(s.testSize, T, seedrandom(`adding-${T}-test`)),
    flow: addingProblem(s.flowSize, T, seedrandom(`adding-${T}-flow`)),
  };
}

export interface RunOutcome {
  cell: CellName;
  T: number;
  /** The trained model: the recurrent layer, then Dense(1). */
  model: Sequential;
  layer: RNN;
  /** The MSE of predicting the mean (1) on the test set: ≈ 1/6. */
  baselineMse: number;
  testMse: number;
  /** testMse / baselineMse. */
  ratio: number;
  /** Correlations of the test predictions with the earlier and the later marked value (see markCorrelations). */
  corrEarlier: number;
  corrLater: number;
  steps: number;
  /** Wall-clock and CPU seconds of the training. */
  seconds: number;
  cpuSeconds: number;
  /** Per evaluation: the step, the mean training loss since the last one, the validation MSE. */
  curve: { step: number[]; loss: number[]; valMse: number[] };
  /** L = Σ ŷ over the flow samples, at initialisation and after training. */
  flowInit: GradientFlow;
  flowTrained: GradientFlow;
  /** The trained gates of one test sample, each [1, T, H]. */
  trace: Record<string, Tensor>;
  /** The traced sample's marked steps. */
  traceMarks: [number, number];
}

/**
 * ‖∂ŷ/∂h_t‖ and ‖∂ŷ/∂x_t‖ where ŷ = Dense(h_T) is the model's prediction:
 * the output gradient of every sample is the Dense kernel [H].
 */
function predictionFlow(layer: RNN, dense: Dense, x: Tensor): GradientFlow {
  const [B] = x.shape;
  const kernel = dense.weights()[0].data; // [H, 1]
  const H = kernel.length;
  const g = new Tensor(new Float32Array(B * H), [B, H]);
  for (let b = 0; b < B; b++) g.data.set(kernel, b * H);
  return gradientFlow(layer, x, { outputGradient: g });
}

/** The fixed sets of one length: validation (early stopping), test (the table), flow (the gradient figures). */
export interface AddingData {
  validation: TaskBatch;
  test: TaskBatch;
  flow: TaskBatch;
}

/**
 * Trains one cell at one length from the fixed seed on fresh batches until it
 * is below `stopRatio` of the baseline or the budget is spent, then scores,
 * traces and probes it.
 */
export function trainAdding(cell: CellName, T: number, s: ExplainSettings, data: AddingData, log: (line: string) => void): RunOutcome {
  clearSession();
  setSeed(SEED);
  const layer = makeLayer(cell, s.units);
  const dense = new Dense(1);
  const model = new Sequential([layer, dense]);
  model.compile({ optimizer: makeOptimizer(s), loss: 'mse' });
  const flowInit = predictionFlow(layer, dense, data.flow.x);

  const rng = seedrandom(`adding-${T}-train`);
  const curve = { step: [] as number[], loss: [] as number[], valMse: [] as number[] };
  const wall = Date.now();
  const cpu = process.cpuUsage();
  let lossSum = 0;
  let lossCount = 0;
  let steps = 0;
  while (steps < s.maxSteps) {
    const batch = addingProblem(s.batchSize, T, rng);
    lossSum += model.trainOnBatch(batch.x, batch.y);
    lossCount++;
    steps++;
    if (steps % s.evalEvery === 0 || steps === s.maxSteps) {
      const valMse = mse(model.predict(data.validation.x, { batchSize: 256 }), data.validation.y);
      curve.step.push(steps);
      curve.loss.push(lossSum / lossCount);
      curve.valMse.push(valMse);
      lossSum = 0;
      lossCount = 0;
      if (steps % (s.evalEvery * 10) === 0) log(`  ${cell} T=${T} step ${steps}: training loss ${curve.loss.at(-1)!.toFixed(4)}, validation MSE ${valMse.toFixed(4)}`);
      if (valMse < s.stopRatio * BASELINE_MSE) break;
    }
  }
  const seconds = (Date.now() - wall) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;

  const baselineMse = mse(new Tensor(new Float32Array(data.test.y.size).fill(1), data.test.y.shape), data.test.y);
  const prediction = model.predict(data.test.x, { batchSize: 256 });
  const testMse = mse(prediction, data.test.y);
  const correlations = markCorrelations(prediction, data.test, T);
  const flowTrained = predictionFlow(layer, dense, data.flow.x);
  const one = new Tensor(data.test.x.data.slice(0, T * 2), [1, T, 2]);
  const trace = traceLayer(layer, one);
  return {
    cell, T, model, layer, baselineMse, testMse, ratio: testMse / baselineMse, corrEarlier: correlations.earlier, corrLater: correlations.later, steps, seconds, cpuSeconds,
    curve, flowInit, flowTrained, trace, traceMarks: [data.test.marks[0], data.test.marks[1]],
  };
}

// ---------------------------------------------------------------- what the flows say

const REACH_SPAN = 10;

/**
 * How much of the gradient reaches the start of the sequence: the mean of
 * ‖∂ŷ/∂x_t‖ over the `span` earliest steps divided by its mean over the
 * `span` latest. 1 means the first inputs matter as much as the last ones;
 * 1e−12 means they are invisible to the loss.
 */
export function reach(norms: Readonly<Float64Array>, span = REACH_SPAN): number {
  const T = norms.length;
  const k = Math.max(1, Math.min(span, Math.floor(T / 2)));
  let early = 0;
  let late = 0;
  for (let t = 0; t < k; t++) {
    early += norms[t];
    late += norms[T - 1 - t];
  }
  return late > 0 ? early / late : 0;
}

function formatReachTable(outcomes: readonly RunOutcome[]): string[] {
  const header = ['cell', 'T', 'reach at init', 'reach trained', 'corr earlier', 'corr later'];
  const rows = outcomes.map((o) => [
    o.cell, String(o.T), reach(o.flowInit.xGradNorm).toExponential(1), reach(o.flowTrained.xGradNorm).toExponential(1),
    o.corrEarlier.toFixed(2), o.corrLater.toFixed(2),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]): string => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** The fraction of values with |v| > 0.9: saturated tanh units. */
function saturated(t: Tensor): number {
  let n = 0;
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) > 0.9) n++;
  return n / t.size;
}

/**
 * One sentence on the most telling unit of a traced activation: for a gate
 * or the candidate, the unit whose value differs most between the two marked
 * steps and the rest; for a state (c, h, and SimpleRNN's h), the unit whose
 * step-to-step change differs most, since a state that remembers changes at
 * the marks and holds in between.
 */
function markedUnit(o: RunOutcome, name: string): string {
  const t = o.trace[name]; // [1, T, H]
  const [, T, H] = t.shape;
  const [a, b] = o.traceMarks;
  const state = name === 'c' || name === 'h';
  const value = (s: number, j: number): number => (state ? Math.abs(t.data[s * H + j] - (s > 0 ? t.data[(s - 1) * H + j] : 0)) : t.data[s * H + j]);
  let best = 0;
  let bestGap = -1;
  let atMarks = 0;
  let elsewhere = 0;
  for (let j = 0; j < H; j++) {
    let m = 0;
    let e = 0;
    for (let s = 0; s < T; s++) {
      if (s === a || s === b) m += value(s, j) / 2;
      else e += value(s, j) / (T - 2);
    }
    if (Math.abs(m - e) > bestGap) [best, bestGap, atMarks, elsewhere] = [j, Math.abs(m - e), m, e];
  }
  const f = (v: number): string => v.toFixed(2).replace('-', '−');
  return state
    ? `unit ${best} changes by ${f(atMarks)} at the two marks and by ${f(elsewhere)} per step elsewhere`
    : `unit ${best} is ${f(atMarks)} at the two marks and ${f(elsewhere)} on average elsewhere`;
}

// ---------------------------------------------------------------- figures and the page

/** Each cell's colour, dash pattern and marker, the same in every figure. */
const LOOK: Record<CellName, { color: string; dash?: string; marker: MarkerShape }> = {
  SimpleRNN: { color: '#d62728', marker: 'circle' },
  LSTM: { color: '#1f77b4', dash: '7 3', marker: 'square' },
  GRU: { color: '#2ca02c', dash: '2 2', marker: 'triangle' },
};
/** Norms below this (including exact zeros) are drawn at it, so that the log axis can show them. */
const FLOOR = 1e-30;

/** The norms against the distance from the last step, one series per cell. */
function flowChart(outcomes: readonly RunOutcome[], which: 'flowInit' | 'flowTrained', norm: 'hGradNorm' | 'xGradNorm', T: number): string {
  const series: Series[] = outcomes.map((o) => {
    const values = o[which][norm];
    const x = Array.from(values, (_, k) => k); // distance from the end
    const y = Array.from(values, (_, k) => Math.max(FLOOR, values[T - 1 - k]));
    return { label: o.cell, x, y, style: 'line', ...LOOK[o.cell] };
  });
  const quantity = norm === 'hGradNorm' ? '‖∂ŷ/∂h_t‖' : '‖∂ŷ/∂x_t‖';
  return lineChart({
    series,
    title: `${quantity} ${which === 'flowInit' ? 'at initialisation' : 'after training'}, T = ${T}`,
    subtitle: `ŷ: the prediction, summed over the samples; log scale, values below ${FLOOR} drawn at ${FLOOR}`,
    xLabel: 'distance from the last step (T − 1 − t)',
    yLabel: `${quantity} (norm over samples${norm === 'hGradNorm' ? ' and units' : ' and features'})`,
    logY: true,
    width: 620,
    height: 420,
  });
}

function curveChart(outcomes: readonly RunOutcome[], T: number, s: ExplainSettings): string {
  const series: Series[] = outcomes.map((o) => ({
    label: o.cell, x: o.curve.step, y: o.curve.valMse.map((v) => Math.max(FLOOR, v)), style: 'line', ...LOOK[o.cell],
  }));
  return lineChart({
    series, title: `Validation MSE while training, T = ${T}`, subtitle: `a run stops once below ${percent(s.stopRatio)} of the baseline`,
    xLabel: 'optimisation step', yLabel: 'validation MSE', logY: true, width: 620, height: 420,
    references: [
      { y: BASELINE_MSE, label: 'baseline 1/6 (predict the mean)', color: '#777777', dash: '4 3' },
      { y: s.stopRatio * BASELINE_MSE, label: `stop at ${percent(s.stopRatio)} of the baseline`, color: '#999999', dash: '1 3' },
    ],
  });
}

function percent(f: number): string {
  return `${Number((100 * f).toPrecision(3))}%`;
}

/** What a flow figure shows: how much of the gradient at the last step is left at the first, per cell. */
function flowCaption(outcomes: readonly RunOutcome[], which: 'flowInit' | 'flowTrained', norm: 'hGradNorm' | 'xGradNorm', T: number): string {
  const left = outcomes.map((o) => {
    const v = o[which][norm];
    const ratio = v[T - 1] > 0 ? v[0] / v[T - 1] : 0;
    return `${o.cell} ${ratio > 0 ? ratio.toExponential(0).replace('e-', 'e−') : '0'}`;
  });
  const quantity = norm === 'hGradNorm' ? '‖∂ŷ/∂h_t‖' : '‖∂ŷ/∂x_t‖';
  return `${which === 'flowInit' ? 'At initialisation' : 'After training'}, ${T - 1} steps back ${quantity} is this fraction of its value at the last step: ${left.join(', ')}.`;
}

/** What the flow figures of one length show, read off them: how much gradient reaches the first step, cell by cell, beside how well each cell did. */
function flowFindings(outcomes: readonly RunOutcome[], T: number): string {
  const kept = (o: RunOutcome, which: 'flowInit' | 'flowTrained'): number => reach(o[which].xGradNorm);
  const e = (v: number): string => (v > 0 ? v.toExponential(0).replace('e-', 'e−') : '0');
  const init = outcomes.map((o) => `${o.cell} ${e(kept(o, 'flowInit'))}`).join(', ');
  const trained = outcomes.map((o) => `${o.cell} ${e(kept(o, 'flowTrained'))} (test MSE ${percent(o.ratio)} of the baseline)`).join(', ');
  let text = `Here, the reach (‖∂ŷ/∂x_t‖ over the first steps against the last ones) is ${init} at initialisation, and after training ${trained}.`;
  const simple = outcomes.find((o) => o.cell === 'SimpleRNN');
  if (simple) {
    text += kept(simple, 'flowTrained') < 1e-6
      ? ` SimpleRNN's gradient from the first steps has vanished, and its predictions hardly follow the earlier mark (correlation ${simple.corrEarlier.toFixed(2)}, against ${simple.corrLater.toFixed(2)} for the later one).`
      : ` At this length SimpleRNN still gets gradient from the first steps and partly learns the task (correlation ${simple.corrEarlier.toFixed(2)} with the earlier mark, ${simple.corrLater.toFixed(2)} with the later one).`;
  }
  const lstm = outcomes.find((o) => o.cell === 'LSTM');
  if (lstm && T >= 2) {
    const h = lstm.flowTrained.hGradNorm;
    if (h[T - 2] < 0.5 * h[T - 1]) text += ' For the LSTM, ‖∂ŷ/∂h_t‖ drops at the first step back: h_{T−1} feeds ŷ directly, earlier states only through the gates; its memory is the cell c.';
  }
  return text;
}

/** What a training-curve figure shows: when each cell got below the stopping line, or where it ended. */
function curveCaption(outcomes: readonly RunOutcome[], s: ExplainSettings): string {
  const parts = outcomes.map((o) => {
    const last = o.curve.valMse[o.curve.valMse.length - 1];
    return last < s.stopRatio * BASELINE_MSE
      ? `${o.cell} gets below ${percent(s.stopRatio)} of the baseline after ${o.steps} steps`
      : `${o.cell} ends at ${percent(last / BASELINE_MSE)} of the baseline after all ${o.steps} steps`;
  });
  return `${parts.join('; ')}.`;
}

/** One traced activation of one sample as units × time. */
function gateHeatmap(o: RunOutcome, name: string, label: string): string {
  const t = o.trace[name]; // [1, T, H]
  const [, T, H] = t.shape;
  const values = new Float32Array(H * T);
  for (let j = 0; j < H; j++) for (let s = 0; s < T; s++) values[j * T + s] = t.data[s * H + j];
  const bounded = ['i', 'f', 'o', 'z', 'r'].includes(name);
  return heatmap({
    values, rows: H, cols: T,
    title: `${o.cell} ${label}, T = ${T}`,
    xLabel: 'timestep t', yLabel: 'unit',
    domain: bounded ? [0, 1] : undefined,
    marks: { cols: o.traceMarks, label: `the marked steps, t = ${o.traceMarks[0]} and ${o.traceMarks[1]}` },
    width: 620, height: 300,
  });
}

const GATES: Record<CellName, Array<[string, string]>> = {
  SimpleRNN: [['h', 'state h']],
  LSTM: [['i', 'input gate i'], ['f', 'forget gate f'], ['o', 'output gate o'], ['g', 'candidate g'], ['c', 'cell state c'], ['h', 'state h']],
  GRU: [['z', 'update gate z'], ['r', 'reset gate r'], ['hh', 'candidate ĥ'], ['h', 'state h']],
};

function formatTable(outcomes: readonly RunOutcome[]): string[] {
  const header = ['cell', 'T', 'baseline MSE', 'test MSE', 'ratio', 'steps', 'time'];
  const rows = outcomes.map((o) => [
    o.cell, String(o.T), o.baselineMse.toFixed(4), o.testMse.toFixed(4), `${(100 * o.ratio).toFixed(1)}%`, String(o.steps),
    `${o.seconds.toFixed(0)} s (CPU ${o.cpuSeconds.toFixed(0)} s)`,
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]): string => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  return [line(header), ...rows.map(line)];
}

interface Figure {
  file: string;
  svg: string;
  caption: string;
}

function figures(outcomes: readonly RunOutcome[], s: ExplainSettings): Array<{ heading: string; text: string; figures: Figure[] }> {
  const sections: Array<{ heading: string; text: string; figures: Figure[] }> = [];
  for (const [k, T] of s.lengths.entries()) {
    const atT = outcomes.filter((o) => o.T === T);
    const intro = k > 0 ? `The same four figures at T = ${T}: distances up to ${T - 1} steps. ` : `How strongly the prediction ŷ at the last step depends on the state h_t and on the input x_t, for t from the last step (distance 0) back to the first (distance T − 1): ‖∂ŷ/∂h_t‖ and ‖∂ŷ/∂x_t‖ as the hand-written BPTT computes them (gradientFlow, lib/explain.ts), over ${s.flowSize} test sequences. `
      + 'At initialisation each step back multiplies the gradient by a Jacobian of norm below one (SimpleRNN: diag(1 − h²)·Uᵀ; LSTM: f ≈ σ(1) ≈ 0.73 on the cell path; GRU: z ≈ 0.5 on the state path), so a mark far from the end hardly moves ŷ and sends back hardly any gradient. '
      + 'Training has to grow the memory from the end backwards, from the marks that happen to fall near the last step. The gated cells can: raising f (LSTM) or z (GRU) towards 1 lengthens the memory and changes nothing else, until a mark at any distance reaches the loss. '
      + 'SimpleRNN has only the path diag(f′)·Uᵀ: to carry one number unchanged it would need U ≈ I with tanh in its linear range, and then every unmarked value would be added in too; a state stored robustly, in saturated units where tanh′ ≈ 0, is exactly one whose gradient vanishes (Bengio, Simard and Frasconi 1994). ';
    sections.push({
      heading: `Gradient flow through time, T = ${T}`,
      text: intro + flowFindings(atT, T),
      figures: [
        { file: `explain-flow-h-init-T${T}.svg`, svg: flowChart(atT, 'flowInit', 'hGradNorm', T), caption: flowCaption(atT, 'flowInit', 'hGradNorm', T) },
        { file: `explain-flow-h-trained-T${T}.svg`, svg: flowChart(atT, 'flowTrained', 'hGradNorm', T), caption: flowCaption(atT, 'flowTrained', 'hGradNorm', T) },
        { file: `explain-flow-x-init-T${T}.svg`, svg: flowChart(atT, 'flowInit', 'xGradNorm', T), caption: flowCaption(atT, 'flowInit', 'xGradNorm', T) },
        { file: `explain-flow-x-trained-T${T}.svg`, svg: flowChart(atT, 'flowTrained', 'xGradNorm', T), caption: flowCaption(atT, 'flowTrained', 'xGradNorm', T) },
      ],
    });
  }
  sections.push({
    heading: 'Training curves',
    text: `Validation MSE (${s.validationSize} sequences) every ${s.evalEvery} steps, each step a fresh batch of ${s.batchSize}. The dashed grey line is the baseline of predicting the mean; a run stops once it is below the dotted line, ${percent(s.stopRatio)} of the baseline, or when its ${s.maxSteps} steps are spent.`,
    figures: s.lengths.map((T) => {
      const atT = outcomes.filter((o) => o.T === T);
      return { file: `explain-curves-T${T}.svg`, svg: curveChart(atT, T, s), caption: `T = ${T}: ${curveCaption(atT, s)}` };
    }),
  });
  const shortest = s.lengths[0];
  for (const o of outcomes.filter((x) => x.T === shortest)) {
    sections.push({
      heading: `Inside the trained ${o.cell}, one test sequence (T = ${shortest})`,
      text: o.cell === 'LSTM'
        ? `Each heatmap is one traced activation (traceLayer, from the fused forward's own caches): units top to bottom, timesteps left to right. The input gate should open only at the two marks and the forget gate stay near 1 between them, so that the cell state steps at each mark and then holds. In this sequence, of the input gates ${markedUnit(o, 'i')}; of the forget gates ${markedUnit(o, 'f')}.`
        : o.cell === 'GRU'
          ? `The GRU keeps its state where z ≈ 1 (h_t ≈ h_{t−1}) and writes the candidate where z drops: the update gate should dip at the two marks and stay near 1 elsewhere. In this sequence, of the update gates ${markedUnit(o, 'z')}.`
          : `SimpleRNN has no gate to show, only its state. Where it holds anything, it does so by latching: units saturate near ±1, where tanh′ ≈ 0 and hardly any gradient passes, and flip when a mark arrives, so the later mark overwrites what the earlier one wrote. Here ${(100 * saturated(o.trace.h)).toFixed(0)}% of the traced values have |h| > 0.9.`,
      figures: GATES[o.cell].map(([name, label]) => ({
        file: `explain-${o.cell.toLowerCase()}-${name}-T${shortest}.svg`, svg: gateHeatmap(o, name, label), caption: `${label}: ${markedUnit(o, name)}.`,
      })),
    });
  }
  return sections;
}

function page(table: string[], reachTable: string[], sections: ReturnType<typeof figures>, s: ExplainSettings, totalSeconds: number): string {
  const e = escapeXml;
  const body: string[] = [];
  body.push('<h1>Seeing inside the cells: the adding problem</h1>');
  body.push(`<p>Each cell with ${s.units} units and a Dense(1) on top, trained with ${s.optimizer === 'adam' ? 'Adam' : 'RMSprop'}(learning rate ${s.learningRate}, globalClipnorm ${s.clip}) on fresh batches of ${s.batchSize} sequences of the adding problem: two marked values among T uniform ones, the target their sum. Predicting the mean scores the baseline MSE 1/6 ≈ 0.167. A run stops once its validation MSE is below ${percent(s.stopRatio)} of the baseline, where the task counts as solved, or after ${s.maxSteps} steps; the ratio column is the test MSE against the baseline. ${totalSeconds.toFixed(0)} s in all. <a href="index.html">All sections of the walkthrough</a>.</p>`);
  body.push(`<pre>${e(table.join('\n'))}</pre>`);
  body.push(`<p>Why: the <em>reach</em> of each model, the mean ‖∂ŷ/∂x_t‖ over the ${REACH_SPAN} earliest steps divided by that over the ${REACH_SPAN} latest (1: the first inputs matter as much as the last; 1e−12: the loss cannot see them, so neither can the training); and the correlation of the test predictions with the earlier and with the later marked value (the target correlates with each at 1/√2 ≈ 0.71: a model that adds both shows about 0.71 twice; one that holds only the most recent mark shows a high later and an earlier near 0).</p>`);
  body.push(`<pre>${e(reachTable.join('\n'))}</pre>`);
  for (const section of sections) {
    body.push(`<h2>${e(section.heading)}</h2>`, `<p>${e(section.text)}</p>`, '<div class="grid">');
    for (const f of section.figures) body.push(`<figure><img src="${e(f.file)}" alt="${e(f.caption)}"><figcaption>${e(f.caption)}</figcaption></figure>`);
    body.push('</div>');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Unrolled: seeing inside the cells</title>
<style>
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; max-width: 1320px; margin: 24px auto; padding: 0 16px; color: #222; }
p { max-width: 60em; line-height: 1.45; }
pre { background: #f6f6f6; padding: 10px; display: inline-block; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: 610px; }
figure img { display: block; width: 610px; height: auto; }
figcaption { font-size: 13px; color: #444; padding: 2px 4px 8px; }
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

// ---------------------------------------------------------------- the example

export async function run(options: ExampleOptions, log: (line: string) => void = say): Promise<ExampleResult> {
  const s = explainSettings(options);
  const started = Date.now();
  log(`The adding problem: T = ${s.lengths.join(' and ')}, ${s.units} units, ${s.optimizer}(${s.learningRate}), globalClipnorm ${s.clip}, batch ${s.batchSize}, at most ${s.maxSteps} steps (stop below ${percent(s.stopRatio)} of the baseline)`);
  const outcomes: RunOutcome[] = [];
  for (const T of s.lengths) {
    const data = addingData(T, s);
    for (const cell of CELLS) {
      const o = trainAdding(cell, T, s, data, log);
      log(`${cell} T=${T}: test MSE ${o.testMse.toFixed(4)} (${(100 * o.ratio).toFixed(1)}% of the baseline ${o.baselineMse.toFixed(4)}) after ${o.steps} steps, ${o.seconds.toFixed(0)} s`);
      outcomes.push(o);
    }
  }
  const totalSeconds = (Date.now() - started) / 1000;
  const table = formatTable(outcomes);
  const reachTable = formatReachTable(outcomes);
  const summary = [
    `The adding problem (${s.testSize} test sequences; solved = validation MSE below ${percent(s.stopRatio)} of the baseline; ${totalSeconds.toFixed(0)} s in all)`,
    ...table,
    `Reach: mean ‖∂ŷ/∂x_t‖ over the ${REACH_SPAN} earliest steps ÷ over the ${REACH_SPAN} latest (${s.flowSize} test sequences); correlation of the test predictions with the earlier and the later marked value (adding both: 0.71 each)`,
    ...reachTable,
  ];
  log(`\n${summary.join('\n')}`);

  mkdirSync(options.outDir, { recursive: true });
  const sections = figures(outcomes, s);
  for (const section of sections) for (const f of section.figures) writeOutput(join(options.outDir, f.file), f.svg);
  const html = join(options.outDir, 'explain.html');
  writeOutput(html, page(table, reachTable, sections, s, totalSeconds));
  log(`Figures and ${html} written.`);

  // The report page shows the training curves; explain.html has every figure.
  const shown: ExampleFigure[] = sections.filter((x) => x.heading === 'Training curves').flatMap((x) => x.figures);
  return { name: 'The adding problem: long-range memory', runs: [], figures: shown, summary };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Not awaited at the top level: main loads this module again, which must have finished evaluating first.
  void import('./main.ts').then(async ({ main }) => {
    process.exitCode = await main(['--only', 'explain', ...process.argv.slice(2)]);
  });
}
