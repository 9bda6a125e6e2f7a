/**
 * The walkthrough's temperature forecast with a GRU, on real data.
 *
 * By default: Seattle daily weather (vega-datasets), tomorrow's temp_max from
 * the past 14 days, trained on 2012 – mid-2014, validated on the last six
 * months of 2014 and tested on 2015 (see examples/data/seattle.ts). It prints
 * the persistence and ridge baselines, then trains the seed's two models —
 *
 *   GRU(32, inputShape [null, F]) + Dense(1),                          RMSprop, loss 'mae'
 *   GRU(32, dropout 0.2, recurrentDropout 0.2, inputShape [null, F]) + Dense(1)
 *
 * — from the project's `generator` of shuffled batches, as the seed's
 * fit_generator, and prints every test MAE in normalised units and in °C.
 * Each model gets one figure: its training and validation MAE in °C per
 * epoch, the baselines' MAE on the same validation windows as reference
 * lines, and the epoch where the learning rate drops.
 *
 * With `options.jena` (the path of jena_climate_2009_2016.csv) it runs the
 * seed's own setup instead: lookback 1440, step 6, delay 144, batch 128,
 * training rows 0 … 200000, validation 200001 … 300000, test 300001 … end.
 *
 *   npx tsx examples/weather.ts [--smoke | --full] [--jena path/to/jena_climate_2009_2016.csv]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Dense, GRU, RMSprop, Sequential, Tensor, generator, loadJenaClimate, normalize, setSeed, type Batch, type Callback,
} from '../lib/index.ts';
import { lineChart } from '../lib/plot.ts';
import { meanAbsoluteError, persistenceForecast, ridgePredict, ridgeSelect } from './baselines.ts';
import { seattleTask, windowsOf, type SeattleTask, type Split } from './data/seattle.ts';
import { say } from './terminal.ts';
import type { ExampleFigure, ExampleOptions, ExampleResult } from './types.ts';

/** How long one GRU trains: `epochs`, the last `lateEpochs` of them at a tenth of the learning rate. */
export interface Schedule {
  epochs: number;
  lateEpochs: number;
}

/** How the two GRUs are trained. */
export interface TrainingSetup {
  /** Given to `setSeed` at the start of the run: weights, dropout masks and batch draws follow from it. */
  seed: number;
  /** Windows per batch. */
  batchSize: number;
  /** Batches per epoch, as the seed's steps_per_epoch. */
  stepsPerEpoch: number;
  /** RMSprop's learning rate (Keras default 0.001). */
  learningRate: number;
  /** The plain GRU (the seed: 20 epochs). */
  plain: Schedule;
  /** The GRU with dropout (the seed: 40 epochs). */
  dropout: Schedule;
  /** fit's verbose: 1 a progress bar, 2 one line per epoch, 0 silent. */
  verbose: 0 | 1 | 2;
}

function verbosity(): 1 | 2 {
  return process.stderr.isTTY ? 1 : 2;
}

/** The seed's model: GRU(32) + Dense(1), RMSprop, loss 'mae' (the loss is the metric, so none is added). */
export function buildGru(features: number, optimizer: RMSprop, dropout: number): Sequential {
  const gruOptions = dropout > 0 ? { dropout, recurrentDropout: dropout } : {};
  const model = new Sequential([new GRU(32, { ...gruOptions, inputShape: [null, features] }), new Dense(1)]);
  model.compile({ optimizer, loss: 'mae' });
  return model;
}

/** RMSprop at `learningRate`, and the callback that divides its rate by 10 for the last `lateEpochs` epochs. */
function optimizerOf(learningRate: number, schedule: Schedule): { optimizer: RMSprop; callbacks: Callback[] } {
  const optimizer = new RMSprop({ learningRate });
  if (schedule.lateEpochs === 0) return { optimizer, callbacks: [] };
  const onEpochBegin = (epoch: number): void => {
    optimizer.learningRate = epoch >= schedule.epochs - schedule.lateEpochs ? learningRate / 10 : learningRate;
  };
  return { optimizer, callbacks: [{ onEpochBegin }] };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describe(schedule: Schedule, setup: TrainingSetup): string {
  const late = schedule.lateEpochs > 0 ? ` (the last ${schedule.lateEpochs} at lr ${setup.learningRate / 10})` : '';
  return `${plural(schedule.epochs, 'epoch')}${late} × ${plural(setup.stepsPerEpoch, 'step')} of ${setup.batchSize}, RMSprop(lr ${setup.learningRate}), loss mae`;
}

/** A baseline's MAE on the validation windows (normalised units), drawn as a reference line. */
export interface Baseline {
  label: string;
  mae: number;
}

const TRAINING_COLOR = '#0072b2';
const VALIDATION_COLOR = '#d55e00';
const BASELINE_STYLES = [{ color: '#555555', dash: '5 3' }, { color: '#009e73', dash: '1.5 2.5' }];

/**
 * One model's figure: training MAE (dots) and validation MAE (line) per epoch in °C,
 * the baselines on the same validation windows, the epoch where the learning
 * rate drops; with a caption read off the curves.
 */
export function weatherFigure(
  id: string, title: string, history: Readonly<Record<string, readonly number[]>>, schedule: Schedule, degrees: number, baselines: readonly Baseline[],
): ExampleFigure {
  const train = history.loss.map((v) => v * degrees);
  const val = (history.val_loss ?? []).map((v) => v * degrees);
  const epochs = train.map((_, i) => i + 1);
  const drop = schedule.lateEpochs > 0 && schedule.lateEpochs < schedule.epochs ? schedule.epochs - schedule.lateEpochs + 1 : null;
  const svg = lineChart({
    title,
    subtitle: "mean absolute error of tomorrow's forecast in °C; baselines on the same validation days",
    xLabel: 'Epochs',
    yLabel: 'MAE (°C)',
    series: [
      { label: 'training', x: epochs, y: train, style: 'dots', color: TRAINING_COLOR },
      ...(val.length > 0 ? [{ label: 'validation', x: epochs, y: val, style: 'line' as const, color: VALIDATION_COLOR, marker: 'square' as const }] : []),
    ],
    references: baselines.map((b, i) => ({ y: b.mae * degrees, label: `${b.label} ${(b.mae * degrees).toFixed(2)} °C`, ...BASELINE_STYLES[i % BASELINE_STYLES.length] })),
    events: drop !== null ? [{ x: drop - 0.5, label: `lr ÷ 10 from epoch ${drop}` }] : [],
    width: 620,
    height: 420,
  });
  return { file: `${id}.svg`, svg, caption: weatherCaption(title, train, val, drop, baselines.map((b) => ({ label: b.label, mae: b.mae * degrees }))) };
}

/** Where the validation MAE ends against the baselines, and what the drop of the learning rate did. */
function weatherCaption(title: string, train: readonly number[], val: readonly number[], drop: number | null, baselines: readonly Baseline[]): string {
  const c = (v: number): string => `${v.toFixed(2)} °C`;
  if (val.length === 0) return `${title}: training MAE ${c(train[0])} → ${c(train[train.length - 1])}.`;
  const last = val[val.length - 1];
  let best = 0;
  for (let i = 1; i < val.length; i++) if (val[i] < val[best]) best = i;
  const below = baselines.filter((b) => last < b.mae).map((b) => b.label);
  const above = baselines.filter((b) => last >= b.mae).map((b) => b.label);
  const against = baselines.length === 0 ? ''
    : above.length === 0 ? `, below ${below.length > 1 ? 'both baselines' : `the ${below[0]} baseline`}`
      : below.length === 0 ? `, not yet below ${above.length > 1 ? 'either baseline' : `the ${above[0]} baseline`}`
        : `, below ${below.join(' and ')} but not ${above.join(' and ')}`;
  let text = `${title}: validation MAE ends at ${c(last)}${against} on the validation days (best ${c(val[best])}, epoch ${best + 1}; the table above scores the test days)`;
  if (drop !== null && drop - 1 >= 3 && val.length >= drop + 2) {
    // How much the validation MAE moved from epoch to epoch before and after the drop.
    const wobble = (from: number, to: number): number => {
      let s = 0;
      for (let i = from + 1; i < to; i++) s += Math.abs(val[i] - val[i - 1]);
      return s / Math.max(1, to - from - 1);
    };
    const before = wobble(Math.max(0, drop - 1 - 5), drop - 1);
    const after = wobble(drop - 1, val.length);
    text += `; after the learning rate drops at epoch ${drop} it moves ${after.toFixed(3)} °C per epoch on average, against ${before.toFixed(3)} °C in the five epochs before`;
  }
  const dropoutNote = title.includes('dropout') && train[train.length - 1] > last
    ? ' The training MAE lies above the validation MAE because it is measured with dropout on.' : '';
  return `${text}.${dropoutNote}`;
}

function historyOf(history: Record<string, number[]>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(history).map(([k, v]) => [k, [...v]]));
}

/** Formats a table: the first column left-aligned, the others right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ').trimEnd());
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------- Seattle (the default)

/**
 * The defaults of `run` on the Seattle data. An epoch of 29 steps of 32 is
 * about one pass over the 898 training windows. The epoch counts and the
 * learning-rate drop were chosen on the validation split (3 seeds each),
 * never on the test split. `full` takes the seed's sizes: 500 steps per
 * epoch, 20 and 40 epochs.
 */
export function seattleSetup(options: Pick<ExampleOptions, 'full' | 'smoke'>): TrainingSetup {
  const base = { seed: 1337, batchSize: 32, stepsPerEpoch: 29, learningRate: 0.001, verbose: verbosity() } as const;
  if (options.smoke) return { ...base, stepsPerEpoch: 3, plain: { epochs: 1, lateEpochs: 0 }, dropout: { epochs: 1, lateEpochs: 0 } };
  if (options.full) return { ...base, stepsPerEpoch: 500, plain: { epochs: 20, lateEpochs: 5 }, dropout: { epochs: 40, lateEpochs: 10 } };
  return { ...base, plain: { epochs: 40, lateEpochs: 10 }, dropout: { epochs: 100, lateEpochs: 30 } };
}

/** Trains one GRU on the Seattle training windows, with the validation windows as validation data. */
export async function trainSeattleGru(
  task: SeattleTask, setup: TrainingSetup, dropout: number,
): Promise<{ model: Sequential; history: Record<string, number[]> }> {
  const data = new Tensor(Float32Array.from(task.normalized.data), task.normalized.shape); // [N, F]
  const [, F] = data.shape;
  // The seed's generator: window ends drawn at random in the training split; the
  // target is temp_max of the day right after the window (delay 0, step 1).
  const trainGen = generator(data, {
    lookback: task.lookback, delay: 0, step: 1, targetColumn: task.targetColumn,
    minIndex: task.train.from - task.lookback, maxIndex: task.train.to, shuffle: true, batchSize: setup.batchSize,
  });
  const validationData = windowsOf(data, task.validation, task.lookback, task.targetColumn);
  const schedule = dropout > 0 ? setup.dropout : setup.plain;
  const { optimizer, callbacks } = optimizerOf(setup.learningRate, schedule);
  const model = buildGru(F, optimizer, dropout);
  const history = await model.fit(trainGen, {
    stepsPerEpoch: setup.stepsPerEpoch, epochs: schedule.epochs, validationData, verbose: setup.verbose, callbacks,
  });
  return { model, history: historyOf(history.history) };
}

/** The normalised MAE of a trained model on the windows of a split. */
async function splitMae(model: Sequential, task: SeattleTask, split: Split): Promise<number> {
  const [x, y] = windowsOf(task.normalized, split, task.lookback, task.targetColumn);
  const logs = await model.evaluate(x, y, { batchSize: 512 });
  return logs.loss;
}

export async function runSeattle(setup: TrainingSetup, log: (line: string) => void = say): Promise<ExampleResult> {
  setSeed(setup.seed);
  const start = performance.now();
  const task = seattleTask();
  const F = task.features.length;
  const std = task.std[task.targetColumn]; // °C per normalised unit
  const d = task.dates;
  const span = (s: Split): string => `${d[s.from]} … ${d[s.to - 1]} (${s.to - s.from} windows)`;
  log(`Seattle weather: forecast tomorrow's temp_max from the past ${task.lookback} days`);
  log(`  features (F = ${F}): ${task.features.join(', ')}`);
  log(`  normalised by the mean and std of the training rows (${d[0]} … ${d[task.validation.from - 1]}); temp_max std ${std.toFixed(3)} °C`);
  log(`  train ${span(task.train)}; validation ${span(task.validation)}; test ${span(task.test)}`);

  const windows = (s: Split): [Tensor, Tensor] => windowsOf(task.normalized, s, task.lookback, task.targetColumn); // float64
  const test = windows(task.test);
  const persistence = meanAbsoluteError(persistenceForecast(test[0], task.targetColumn), test[1].data);
  log(`\nCommon-sense baseline (tomorrow's temp_max = today's): test MAE ${persistence.toFixed(4)} = ${(persistence * std).toFixed(2)} °C`);

  const ridge = ridgeSelect(windows(task.train), windows(task.validation));
  const ridgeMae = meanAbsoluteError(ridgePredict(ridge.model, test[0]), test[1].data);
  log(`Ridge regression on the flattened windows (${task.lookback} × ${F} inputs): λ = ${ridge.lambda.toPrecision(3)} chosen on validation `
    + `(MAE ${(ridge.validationMae * std).toFixed(2)} °C), refitted on train + validation: test MAE ${ridgeMae.toFixed(4)} = ${(ridgeMae * std).toFixed(2)} °C`);

  // The baselines on the validation windows, where the curves of the figures are measured.
  const validation = windows(task.validation);
  const baselines: Baseline[] = [
    { label: 'persistence', mae: meanAbsoluteError(persistenceForecast(validation[0], task.targetColumn), validation[1].data) },
    { label: 'ridge', mae: ridge.validationMae },
  ];

  const figures: ExampleFigure[] = [];
  const rows: string[][] = [
    ['model (2015 test windows)', 'MAE', '°C'],
    ['persistence', persistence.toFixed(4), (persistence * std).toFixed(3)],
    [`ridge (λ ${ridge.lambda.toPrecision(3)})`, ridgeMae.toFixed(4), (ridgeMae * std).toFixed(3)],
  ];
  const models = [
    { id: 'weather-gru', title: 'GRU(32) on Seattle weather', dropout: 0, schedule: setup.plain },
    { id: 'weather-gru-dropout', title: 'GRU(32, dropout 0.2, recurrent dropout 0.2) on Seattle weather', dropout: 0.2, schedule: setup.dropout },
  ];
  for (const m of models) {
    const passes = (m.schedule.epochs * setup.stepsPerEpoch * setup.batchSize) / (task.train.to - task.train.from);
    log(`\n${m.title}: ${describe(m.schedule, setup)}, about ${passes < 1 ? passes.toFixed(1) : Math.round(passes)} passes over the training windows`);
    const t0 = performance.now();
    const { model, history } = await trainSeattleGru(task, setup, m.dropout);
    const mae = await splitMae(model, task, task.test);
    log(`  trained in ${seconds(t0)}; final val_loss (MAE) ${history.val_loss.at(-1)!.toFixed(4)}; test MAE ${mae.toFixed(4)} = ${(mae * std).toFixed(2)} °C`);
    rows.push([m.id, mae.toFixed(4), (mae * std).toFixed(3)]);
    figures.push(weatherFigure(m.id, m.title, history, m.schedule, std, baselines));
  }

  const summary = table(rows);
  log('');
  for (const line of summary) log(line);
  log(`(${seconds(start)} in all)`);
  return { name: 'Weather forecasting', runs: [], figures, summary };
}

// ---------------------------------------------------------------- Jena climate (the seed's setup)

/** The seed's setup on the Jena data; every field can be overridden (the tests use a 30-row file). */
export interface JenaSetup extends TrainingSetup {
  lookback: number;
  step: number;
  delay: number;
  /** Training windows end before this row; the first `trainRows` rows also give the mean and std. */
  trainRows: number;
  /** Validation rows [validationFrom, validationTo). */
  validationFrom: number;
  validationTo: number;
  /** Test rows from here to the end. */
  testFrom: number;
  /** Validation batches per epoch; null: every batch the generator makes before it wraps around. */
  validationSteps: number | null;
  /** Test batches; null: every batch. */
  testSteps: number | null;
}

export function jenaSetup(options: Pick<ExampleOptions, 'full' | 'smoke'>): JenaSetup {
  const seed = {
    seed: 1337, lookback: 1440, step: 6, delay: 144, batchSize: 128,
    trainRows: 200000, validationFrom: 200001, validationTo: 300000, testFrom: 300001,
    learningRate: 0.001, verbose: verbosity(),
  } as const;
  const epochs = (plain: number, dropout: number): Pick<JenaSetup, 'plain' | 'dropout'> => ({
    plain: { epochs: plain, lateEpochs: 0 }, dropout: { epochs: dropout, lateEpochs: 0 },
  });
  if (options.smoke) return { ...seed, ...epochs(1, 1), stepsPerEpoch: 2, validationSteps: 2, testSteps: 2 };
  if (options.full) return { ...seed, ...epochs(20, 40), stepsPerEpoch: 500, validationSteps: null, testSteps: null };
  return { ...seed, ...epochs(2, 4), stepsPerEpoch: 50, validationSteps: 50, testSteps: 100 };
}

/**
 * How many full batches the (unshuffled) seed generator yields over
 * [minIndex, maxIndex) before it starts over: batch k covers window ends
 * first + kB … first + kB + B − 1 and is made only while first + (k + 1)B < maxIndex.
 */
export function generatorBatches(minIndex: number, maxIndex: number, lookback: number, batchSize: number): number {
  return Math.floor((maxIndex - (minIndex + lookback) - 1) / batchSize);
}

export async function runJena(path: string, setup: JenaSetup, log: (line: string) => void = say): Promise<ExampleResult> {
  setSeed(setup.seed);
  const start = performance.now();
  const jena = loadJenaClimate(path);
  const [N, F] = jena.floatData.shape;
  const { lookback, step, delay, batchSize } = setup;
  if (!(setup.trainRows <= setup.validationFrom && setup.validationTo <= setup.testFrom && setup.testFrom < N)) {
    throw new Error(`runJena: ${path} has ${N} rows, too few for the splits: training rows 0 … ${setup.trainRows}, validation ${setup.validationFrom} … ${setup.validationTo}, `
      + `test ${setup.testFrom} … end, one after the other (a small file needs a JenaSetup of its own: runJena(path, { ...jenaSetup(options), ... }))`);
  }
  const { data, std } = normalize(jena.floatData, { trainRows: setup.trainRows });
  const temperature = 1; // the column of T (degC)
  const degrees = std[temperature];
  log(`Jena climate: ${N} rows × ${F} features, normalised by the first ${setup.trainRows} rows; T (degC) std ${degrees.toFixed(3)} °C`);
  log(`  lookback ${lookback}, step ${step}, delay ${delay}, batch ${batchSize}`);

  const gen = (minIndex: number, maxIndex: number | null, shuffle: boolean): Generator<Batch, never, undefined> =>
    generator(data, { lookback, delay, step, minIndex, maxIndex, shuffle, batchSize, targetColumn: temperature });
  const testMax = N - delay - 1; // the seed's max_index=None
  const allValSteps = generatorBatches(setup.validationFrom, setup.validationTo, lookback, batchSize);
  const allTestSteps = generatorBatches(setup.testFrom, testMax, lookback, batchSize);
  if (allValSteps < 1 || allTestSteps < 1) {
    throw new Error(`runJena: with lookback ${lookback}, delay ${delay} and batch ${batchSize}, the validation rows make ${allValSteps} batches and the test rows ${allTestSteps}; each needs at least one`);
  }
  const valSteps = Math.min(setup.validationSteps ?? allValSteps, allValSteps);
  const testSteps = Math.min(setup.testSteps ?? allTestSteps, allTestSteps);
  const windowsOver = (from: number, to: number): number => to - from - lookback;
  log(`  val_steps: the seed prints ${setup.validationTo} − ${setup.validationFrom} − ${lookback} = ${windowsOver(setup.validationFrom, setup.validationTo)}, `
    + `which counts windows, not batches; fit needs batches: (${setup.validationTo} − ${setup.validationFrom} − ${lookback}) // ${batchSize} = `
    + `${Math.floor(windowsOver(setup.validationFrom, setup.validationTo) / batchSize)} (the generator yields ${allValSteps} full batches before it starts over) — `
    + `using ${valSteps}${valSteps === allValSteps ? '' : ' (a reduced run)'}`);
  log(`  test_steps likewise: ${allTestSteps} batches, not the seed's ${N} − ${setup.testFrom} − ${lookback} = ${windowsOver(setup.testFrom, N)} — using ${testSteps}`);

  // The common-sense baseline: the temperature 24 hours later equals the last one seen.
  const persistenceOver = (minIndex: number, maxIndex: number | null, steps: number): number => {
    const it = gen(minIndex, maxIndex, false);
    let sum = 0;
    let count = 0;
    for (let s = 0; s < steps; s++) {
      const [x, y] = it.next().value;
      sum += meanAbsoluteError(persistenceForecast(x, temperature), y.data) * y.size;
      count += y.size;
    }
    return sum / count;
  };
  const naive = persistenceOver(setup.testFrom, null, testSteps);
  const baselines: Baseline[] = [{ label: 'persistence', mae: persistenceOver(setup.validationFrom, setup.validationTo, valSteps) }];
  log(`\nCommon-sense baseline (T in 24 h = T now): test MAE ${naive.toFixed(4)} = ${(naive * degrees).toFixed(2)} °C`);

  const figures: ExampleFigure[] = [];
  const rows: string[][] = [['model (Jena test windows)', 'MAE', '°C'], ['persistence', naive.toFixed(4), (naive * degrees).toFixed(3)]];
  const models = [
    { id: 'weather-gru', title: 'GRU(32) on Jena climate', dropout: 0, schedule: setup.plain },
    { id: 'weather-gru-dropout', title: 'GRU(32, dropout 0.2, recurrent dropout 0.2) on Jena climate', dropout: 0.2, schedule: setup.dropout },
  ];
  for (const m of models) {
    log(`\n${m.title}: ${describe(m.schedule, setup)}; validation ${valSteps} steps`);
    const t0 = performance.now();
    const { optimizer, callbacks } = optimizerOf(setup.learningRate, m.schedule);
    const model = buildGru(F, optimizer, m.dropout);
    const history = await model.fit(gen(0, setup.trainRows, true), {
      stepsPerEpoch: setup.stepsPerEpoch, epochs: m.schedule.epochs, callbacks,
      validationData: gen(setup.validationFrom, setup.validationTo, false), validationSteps: valSteps, verbose: setup.verbose,
    });
    const { loss } = await model.evaluate(gen(setup.testFrom, null, false), { steps: testSteps });
    log(`  trained in ${seconds(t0)}; final val_loss (MAE) ${history.history.val_loss.at(-1)!.toFixed(4)}; test MAE ${loss.toFixed(4)} = ${(loss * degrees).toFixed(2)} °C`);
    rows.push([m.id, loss.toFixed(4), (loss * degrees).toFixed(3)]);
    figures.push(weatherFigure(m.id, m.title, historyOf(history.history), m.schedule, degrees, baselines));
  }
  const summary = table(rows);
  log('');
  for (const line of summary) log(line);
  log(`(${seconds(start)} in all)`);
  return { name: 'Weather forecasting (Jena climate)', runs: [], figures, summary };
}

// ---------------------------------------------------------------- entry

export async function run(options: ExampleOptions): Promise<ExampleResult> {
  if (options.jena) return runJena(options.jena, jenaSetup(options));
  return runSeattle(seattleSetup(options));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const jenaAt = args.indexOf('--jena');
  await run({
    full: args.includes('--full'), smoke: args.includes('--smoke'), outDir: 'out',
    jena: jenaAt >= 0 ? args[jenaAt + 1] : undefined,
  });
}
