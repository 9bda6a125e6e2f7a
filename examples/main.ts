/**
 * `npm start`: the walkthrough end to end. Runs the examples in order — the model
 * summaries, text classification, weather forecasting — then draws the seed's two
 * figures for every training run as SVG and updates out/index.html, which keeps
 * the sections of earlier runs (see report.ts).
 *
 *   npm start                      defaults sized for a few minutes
 *   npm start -- --full            the seed's sizes
 *   npm start -- --smoke           a tiny slice of everything, for a quick check
 *   npm start -- --only text --imdb ~/aclImdb/train
 *
 * Exit code 0 when everything ran, 1 when an example or a figure failed, 2 for a bad
 * command line.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { outputWidth, wrapText } from '../lib/progress.ts';
import { trainingCurves, type CurveMetric } from '../lib/plot.ts';
import { curveCaption } from './captions.ts';
import { formatSeconds, updateReport, writeOutput, type ReportFigure, type ReportSection } from './report.ts';
import { say } from './terminal.ts';
import type { ExampleOptions, ExampleResult, TrainingRun } from './types.ts';

export const EXAMPLE_NAMES = ['summaries', 'text', 'weather', 'explain', 'addition', 'seq2seq', 'textgen'] as const;
/** The examples a plain `npm start` runs; `--full` adds the long-range memory experiment, the two sequence-to-sequence models and text generation. */
const DEFAULT_EXAMPLES: readonly ExampleName[] = ['summaries', 'text', 'weather'];
export type ExampleName = (typeof EXAMPLE_NAMES)[number];

export interface ExampleModule {
  run(options: ExampleOptions): Promise<ExampleResult>;
}

/** Each example's file, for the headers and the report. */
const SOURCES: Record<ExampleName, string> = {
  summaries: 'examples/summaries.ts',
  text: 'examples/text.ts',
  weather: 'examples/weather.ts',
  explain: 'examples/explain.ts',
  addition: 'examples/addition.ts',
  seq2seq: 'examples/seq2seq.ts',
  textgen: 'examples/textgen.ts',
};

/** Each example is loaded when it runs, so that `--only summaries` never loads a data set. */
const LOADERS: Record<ExampleName, () => Promise<ExampleModule>> = {
  summaries: () => import('./summaries.ts'),
  text: () => import('./text.ts'),
  weather: () => import('./weather.ts'),
  explain: () => import('./explain.ts'),
  addition: () => import('./addition.ts'),
  seq2seq: () => import('./seq2seq.ts'),
  textgen: () => import('./textgen.ts'),
};

export const USAGE = `Usage: npm start -- [flags]

Runs the walkthrough's examples in order (summaries, text, weather; with --full also
explain, addition, seq2seq and textgen), draws every training run's curves as
SVG, and updates the HTML page of them: out/index.html keeps the sections of
earlier runs, so --only NAME refreshes one section and leaves the others.

  --full         the seed's sizes (maxlen 500; 10, 20 and 40 epochs) and explain; long
  --smoke        a tiny slice of each example: a few batches, one epoch
  --imdb DIR     the text example on a directory in the aclImdb layout (pos/, neg/)
  --jena FILE    the weather example on jena_climate_2009_2016.csv
  --out DIR      where the figures and index.html go (default out/)
  --only NAME    run one example (and refresh its section), one of:
                 ${EXAMPLE_NAMES.join(', ')}
  --help         this text`;

export interface CommandLine {
  options: ExampleOptions;
  /** The examples to run, in order. */
  only: ExampleName[];
  help: boolean;
}

/** A command line that cannot be run; `main` prints it with the usage and exits with code 2. */
export class UsageError extends Error {}

/** Reads the flags; `--flag value` and `--flag=value` are both accepted. */
export function parseArgs(argv: readonly string[]): CommandLine {
  const options: ExampleOptions = { full: false, smoke: false, outDir: 'out' };
  let only: ExampleName[] | null = null;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=')
      ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)]
      : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const noValue = (): void => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '--full': noValue(); options.full = true; break;
      case '--smoke': noValue(); options.smoke = true; break;
      case '--help': noValue(); help = true; break;
      case '--imdb': options.imdb = value(); break;
      case '--jena': options.jena = value(); break;
      case '--out': options.outDir = value(); break;
      case '--only': {
        const name = value();
        if (!(EXAMPLE_NAMES as readonly string[]).includes(name)) throw new UsageError(`--only ${name}: no such example; known: ${EXAMPLE_NAMES.join(', ')}`);
        only = [name as ExampleName];
        break;
      }
      default:
        throw new UsageError(`unknown flag '${argv[i]}'; known: --full, --smoke, --imdb DIR, --jena FILE, --out DIR, --only NAME, --help`);
    }
  }
  if (options.full && options.smoke) throw new UsageError('--full and --smoke exclude each other');
  if (options.imdb !== undefined && !(existsSync(options.imdb) && statSync(options.imdb).isDirectory())) {
    throw new UsageError(`--imdb ${options.imdb}: no such directory`);
  }
  if (options.jena !== undefined && !(existsSync(options.jena) && statSync(options.jena).isFile())) {
    throw new UsageError(`--jena ${options.jena}: no such file`);
  }
  return { options, only: only ?? (options.full ? [...EXAMPLE_NAMES] : [...DEFAULT_EXAMPLES]), help };
}

/** One example's outcome, with its figures once they are written. */
export interface Outcome {
  example: ExampleName;
  /** Undefined when the example threw. */
  result?: ExampleResult;
  seconds: number;
  figures: ReportFigure[];
  errors: string[];
}

export interface RunHooks {
  /** Where progress lines go (default: stdout, prose folded to the terminal's width). */
  log?: (line: string) => void;
  /** Loads an example's module (default: the files in examples/). */
  load?: (name: ExampleName) => Promise<ExampleModule>;
}

/** Runs the examples in order, each between a header and its time; an example that throws is recorded and the next one runs. */
export async function runExamples(names: readonly ExampleName[], options: ExampleOptions, hooks: RunHooks = {}): Promise<Outcome[]> {
  const log = hooks.log ?? say;
  const load = hooks.load ?? ((name: ExampleName) => LOADERS[name]());
  const outcomes: Outcome[] = [];
  for (const [k, name] of names.entries()) {
    const header = `── ${k + 1}/${names.length} ${name} (${SOURCES[name]}) `;
    log(`\n${header}${'─'.repeat(Math.max(4, 72 - header.length))}`);
    const start = performance.now();
    const outcome: Outcome = { example: name, seconds: 0, figures: [], errors: [] };
    try {
      const module = await load(name);
      outcome.result = checkResult(await module.run(options), SOURCES[name]);
    } catch (e) {
      const error = e as Error;
      outcome.errors.push(`${SOURCES[name]} failed: ${error.message}`);
      log(`\n${error.stack ?? error.message}`);
    }
    outcome.seconds = (performance.now() - start) / 1000;
    log(`\n${name}: ${outcome.result ? 'done' : 'FAILED'} in ${formatSeconds(outcome.seconds)}`);
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * The seed's figures for one run, as files in `outDir`: `<id>-acc.svg` when the history
 * has `acc`, `<id>-loss.svg`, `<id>-mae.svg` when it has `mae`; each with a caption read
 * off its curves.
 */
export function writeFigures(run: TrainingRun, outDir: string): { figures: ReportFigure[]; errors: string[] } {
  const figures: ReportFigure[] = [];
  const errors: string[] = [];
  const metrics: CurveMetric[] = ['acc', 'loss', 'mae'];
  if (!('loss' in run.history)) errors.push(`run '${run.id}': the history has no 'loss' (its keys: ${Object.keys(run.history).join(', ') || 'none'})`);
  const unit = run.xLabel && /step/i.test(run.xLabel) ? 'step' : 'epoch';
  for (const metric of metrics.filter((m) => m in run.history)) {
    const file = `${run.id}-${metric}.svg`;
    try {
      writeOutput(join(outDir, file), trainingCurves(run.history, { metric, title: run.title, x: run.x, xLabel: run.xLabel }));
      figures.push({ file, caption: `${run.title}: ${curveCaption(run.history, metric, run.x, unit)}` });
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message}`);
    }
  }
  return { figures, errors };
}

/** Writes every run's figures and the figures the examples drew, then updates index.html; returns the page's path. */
export function writeReport(outcomes: Outcome[], outDir: string, command: string, date = new Date()): string {
  mkdirSync(outDir, { recursive: true });
  const files = new Set<string>();
  const claim = (outcome: Outcome, file: string): boolean => {
    if (!files.has(file)) {
      files.add(file);
      return true;
    }
    outcome.errors.push(`${file} is drawn by an earlier run too; this one is left out`);
    return false;
  };
  for (const outcome of outcomes) {
    for (const run of outcome.result?.runs ?? []) {
      const { figures, errors } = writeFigures(run, outDir);
      outcome.figures.push(...figures.filter((f) => claim(outcome, f.file)));
      outcome.errors.push(...errors);
    }
    for (const figure of outcome.result?.figures ?? []) {
      if (!claim(outcome, figure.file)) continue;
      writeOutput(join(outDir, figure.file), figure.svg);
      outcome.figures.push({ file: figure.file, caption: figure.caption });
    }
  }
  const sections: ReportSection[] = outcomes.map((o) => ({
    key: o.example,
    name: o.result?.name ?? o.example,
    source: SOURCES[o.example],
    summary: o.result?.summary ?? [],
    seconds: o.seconds,
    figures: o.figures,
    errors: o.errors,
    command,
    date: date.toISOString(),
  }));
  updateReport(outDir, sections, EXAMPLE_NAMES, date);
  return resolve(join(outDir, 'index.html'));
}

/**
 * The closing summary: each example's name and time, then its summary lines
 * indented below, folded to `width` columns.
 */
export function resultsTable(outcomes: readonly Outcome[], width = outputWidth(process.stdout)): string {
  const out: string[] = [];
  for (const o of outcomes) {
    out.push(`${o.result?.name ?? o.example} (${formatSeconds(o.seconds)})${o.result ? '' : ': FAILED'}`);
    const lines = [...(o.result?.summary ?? []), ...o.errors.map((e) => `ERROR ${e}`)];
    for (const line of lines.length > 0 ? lines : ['(no summary)']) out.push(wrapText(`  ${line}`, width));
  }
  return out.join('\n');
}

/** The whole `npm start`; returns the exit code. */
export async function main(argv: readonly string[], hooks: RunHooks = {}): Promise<number> {
  const log = hooks.log ?? say;
  let command: CommandLine;
  try {
    command = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`npm start: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.help) {
    log(USAGE);
    return 0;
  }
  const { options, only } = command;
  mkdirSync(options.outDir, { recursive: true });
  const mode = options.full ? 'full' : options.smoke ? 'smoke' : 'default';
  log(`Unrolled: the recurrent walkthrough (${mode} sizes), writing to ${resolve(options.outDir)}`);
  const started = performance.now();
  const outcomes = await runExamples(only, options, hooks);
  const page = writeReport(outcomes, options.outDir, ['npm start', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '));
  const failed = outcomes.some((o) => o.errors.length > 0);
  log(`\n${resultsTable(outcomes)}\n`);
  log(`Total ${formatSeconds((performance.now() - started) / 1000)}. Figures and report:\n  ${page}`);
  return failed ? 1 : 0;
}

/** Checks what an example returned against the contract in types.ts, naming the first thing wrong. */
function checkResult(result: ExampleResult, source: string): ExampleResult {
  if (!result || typeof result.name !== 'string' || !Array.isArray(result.runs) || !Array.isArray(result.summary)) {
    throw new Error(`${source}: run() must return { name, runs, summary }`);
  }
  const ids = new Set<string>();
  for (const run of result.runs) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(run.id)) throw new Error(`${source}: run id '${run.id}' is not usable as a file name (letters, digits, . _ -)`);
    if (ids.has(run.id)) throw new Error(`${source}: two runs have the id '${run.id}'`);
    ids.add(run.id);
  }
  for (const figure of result.figures ?? []) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.svg$/.test(figure.file)) throw new Error(`${source}: figure file '${figure.file}' is not a plain .svg file name (letters, digits, . _ -)`);
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
