/**
 * `npm start -- --smoke` in-process: every example on a tiny slice, then the figures and
 * the report. Also the command line of examples/main.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnsOf, outputWidth } from '../../lib/progress.ts';
import { curveCaption } from '../../examples/captions.ts';
import { EXAMPLE_NAMES, USAGE, main, parseArgs, resultsTable, writeReport, type Outcome } from '../../examples/main.ts';
import { weatherFigure } from '../../examples/weather.ts';
import { captured, smokeRun } from './smoke-run.ts';

/** The whole smoke run, within this budget (seconds) inside `npm test`. */
const BUDGET_SECONDS = 30;

/** History keys each example's runs must have (the seed's curves are drawn from them). */
const EXPECTED_KEYS: Record<string, readonly string[]> = {
  text: ['loss', 'val_loss', 'acc', 'val_acc'],
  addition: ['loss', 'val_loss', 'acc', 'val_acc'],
  seq2seq: ['loss', 'val_loss', 'acc', 'val_acc'],
  textgen: ['loss', 'val_loss'],
};

/** The figures each example draws itself. */
const OWN_FIGURES: Record<string, readonly string[]> = {
  summaries: [],
  text: [],
  weather: ['weather-gru.svg', 'weather-gru-dropout.svg'],
  explain: ['explain-curves-T8.svg', 'explain-curves-T12.svg'],
  addition: [],
  seq2seq: [],
  textgen: [],
};

let outDir = '';
let outcomes: Outcome[] = [];
let output = '';
let seconds = 0;
let page = '';

test.before(async () => {
  ({ outDir, outcomes, output, seconds, page } = await smokeRun());
});

test('smoke: every example runs on a tiny slice and returns the contract', () => {
  assert.equal(outcomes.map((o) => o.example), [...EXAMPLE_NAMES]);
  for (const o of outcomes) {
    assert.equal(o.errors, [], `${o.example} failed; its output:\n${output.slice(-3000)}`);
    assert.ok(o.result, `${o.example} returned a result`);
    assert.type(o.result!.name, 'string');
    assert.ok(o.result!.summary.length > 0, `${o.example} has summary lines`);
    assert.ok(o.result!.summary.every((l) => typeof l === 'string'), `${o.example}: summary lines are strings`);
  }
});

test('smoke: the summaries are the seed\'s three models with their parameter counts', () => {
  const summaries = outcomes.find((o) => o.example === 'summaries')!.result!;
  assert.is(summaries.runs.length, 0);
  assert.is(summaries.summary.length, 3);
  assert.match(summaries.summary[0], /322,080 params/);
  assert.match(summaries.summary[1], /322,080 params/);
  assert.match(summaries.summary[2], /328,320 params/);
  assert.match(output, /simple_rnn \(SimpleRNN\)\s+\(None, 32\)\s+2080/);
  assert.match(output, /simple_rnn_3 \(SimpleRNN\)\s+\(None, 32\)\s+2080/);
});

test('smoke: every training run has the Keras History keys, equal lengths and finite values', () => {
  for (const o of outcomes.filter((x) => x.example in EXPECTED_KEYS)) {
    const runs = o.result?.runs ?? [];
    assert.ok(runs.length > 0, `${o.example} trained something`);
    for (const run of runs) {
      for (const key of EXPECTED_KEYS[o.example]) assert.ok(key in run.history, `${run.id}: history has '${key}' (keys: ${Object.keys(run.history).join(', ')})`);
      const lengths = Object.values(run.history).map((v) => v.length);
      assert.ok(lengths[0] >= 1 && lengths.every((n) => n === lengths[0]), `${run.id}: every key has the same number of epochs (${lengths.join(', ')})`);
      for (const [key, values] of Object.entries(run.history)) {
        const bad = values.findIndex((v) => !Number.isFinite(v));
        assert.is(bad, -1, `${run.id}: ${key}[${bad}] = ${values[bad]}`);
      }
      assert.ok(run.title.length > 0, `${run.id} has a title`);
    }
  }
});

test('smoke: the figures and index.html are written, and the page shows them all with captions that are not their titles', () => {
  assert.ok(existsSync(page), `${page} exists`);
  const html = readFileSync(page, 'utf8');
  for (const o of outcomes) {
    assert.ok(html.includes(o.result!.name.replace(/&/g, '&amp;')), `the page names ${o.result!.name}`);
    assert.ok(html.includes(`<section id="${o.example}">`) && html.includes(`href="#${o.example}"`), `the page has and links a section for ${o.example}`);
    const seed = o.result!.runs.flatMap((run) => [
      ...('acc' in run.history ? [`${run.id}-acc.svg`] : []),
      `${run.id}-loss.svg`,
      ...('mae' in run.history ? [`${run.id}-mae.svg`] : []),
    ]);
    assert.equal(o.figures.map((f) => f.file), [...seed, ...OWN_FIGURES[o.example]], `${o.example}: its figures`);
    for (const file of seed) assert.ok(readFileSync(join(outDir, file), 'utf8').includes('>Training and validation'), `${file} has the seed's title`);
    for (const figure of o.figures) {
      const svg = readFileSync(join(outDir, figure.file), 'utf8');
      assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), `${figure.file} is an SVG document`);
      assert.ok(html.includes(`src="${figure.file}"`), `the page shows ${figure.file}`);
      const title = /<title>([^<]*)<\/title>/.exec(svg)![1];
      assert.ok(figure.caption.length > title.length && figure.caption !== title, `${figure.file}: the caption says more than the title '${title}': ${figure.caption}`);
      assert.ok(html.includes(`<figcaption>${figure.caption.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</figcaption>`), `${figure.file}: its caption is on the page`);
    }
  }
  assert.ok(html.includes('href="explain.html"'), 'the page links explain.html');
  const table = resultsTable(outcomes);
  for (const o of outcomes) assert.ok(table.includes(o.result!.name), `the closing table names ${o.result!.name}`);
});

test('smoke: every line printed fits the width (100 columns when piped)', () => {
  const width = Math.max(outputWidth(process.stdout), outputWidth(process.stderr));
  const long = output.split(/\r|\n/).filter((line) => columnsOf(line.replace(/\x1b\[K/g, '')) > width);
  assert.equal(long, [], `lines wider than ${width} columns`);
  assert.ok(resultsTable(outcomes, 60).split('\n').every((line) => columnsOf(line) <= 60), 'the closing summary folds to 60 columns');
});

test('smoke: the weather figures are in °C with the baselines as reference lines, and no metric repeats the loss', () => {
  const weather = outcomes.find((o) => o.example === 'weather')!;
  for (const file of OWN_FIGURES.weather) {
    const svg = readFileSync(join(outDir, file), 'utf8');
    assert.ok(svg.includes('>MAE (°C)</text>'), `${file}: the y axis is in °C`);
    assert.is(count(svg, /<line class="reference"/), 2, `${file}: persistence and ridge`);
    assert.match(svg, />persistence \d\.\d\d °C<\/text>/);
    assert.match(svg, />ridge \d\.\d\d °C<\/text>/);
  }
  assert.ok(weather.result!.figures!.every((f) => /validation MAE ends at \d+\.\d\d °C/.test(f.caption)), 'the captions read the validation MAE in °C');
  assert.not.match(output, /loss: (\d\.\d+) - mae: \1/, 'the weather models print their loss once');
});

test('weatherFigure: the epoch where the learning rate drops is marked, and the caption says what it did', () => {
  const epochs = 40;
  const history = { loss: Array.from({ length: epochs }, (_, i) => 0.5 + 0.3 / (i + 1)), val_loss: Array.from({ length: epochs }, (_, i) => 0.33 + 0.1 / (i + 1) + (i < 30 ? 0.01 * (i % 2) : 0)) };
  const figure = weatherFigure('w', 'GRU(32) on Seattle weather', history, { epochs, lateEpochs: 10 }, 7, [{ label: 'persistence', mae: 0.3164 }, { label: 'ridge', mae: 0.3085 }]);
  assert.is(figure.file, 'w.svg');
  assert.is(count(figure.svg, /<line class="event" data-value="30.5"/), 1, 'a line between epochs 30 and 31');
  assert.match(figure.svg, />lr ÷ 10 from epoch 31<\/text>/);
  assert.match(figure.caption, /validation MAE ends at 2\.\d\d °C, not yet below either baseline/);
  assert.match(figure.caption, /after the learning rate drops at epoch 31 it moves 0\.\d{3} °C per epoch on average, against 0\.\d{3} °C in the five epochs before/);
});

test('curveCaption: says where validation is best, whether the model overfits, or that more epochs would help', () => {
  const overfit = { loss: [0.6, 0.4, 0.3, 0.2, 0.15, 0.1], val_loss: [0.5, 0.4, 0.36, 0.38, 0.42, 0.5] };
  assert.match(curveCaption(overfit, 'loss'), /best at epoch 3 \(0\.360\) and worse by the end \(0\.500\).*overfits after epoch 3/);
  const improving = { acc: [0.6, 0.7, 0.8], val_acc: [0.62, 0.71, 0.79] };
  assert.match(curveCaption(improving, 'acc'), /still improve at the last epoch \(0\.800 and 0\.790\): more epochs would help/);
  const peaked = { acc: [0.8, 0.95, 0.97, 0.983, 0.981], val_acc: [0.93, 0.965, 0.956, 0.967, 0.926] };
  assert.match(curveCaption(peaked, 'acc'), /^Validation accuracy is best at epoch 4 \(0\.967\) and worse by the end \(0\.926\)\.$/);
  assert.match(curveCaption({ loss: [0.7], val_loss: [0.69] }, 'loss'), /One epoch only/);
  assert.match(curveCaption({ loss: [0.3, 0.2], val_loss: [0.3, 0.2] }, 'loss', [50, 100], 'step'), /last step/);
});

/** A section as `npm start -- --only NAME` would leave it, with one figure. */
function outcomeOf(example: (typeof EXAMPLE_NAMES)[number], name: string, figureFile?: string): Outcome {
  return {
    example, seconds: 1, figures: [], errors: [],
    result: {
      name, summary: [`${name} summary`], runs: [],
      figures: figureFile ? [{ file: figureFile, svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n', caption: `what to see in ${figureFile}` }] : [],
    },
  };
}

test('report: --only X refreshes X\'s section and keeps every other one; a stored figure whose file is gone is dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-report-'));
  try {
    writeReport([outcomeOf('summaries', 'Model summaries'), outcomeOf('text', 'Text classification', 'text-a.svg'), outcomeOf('weather', 'Weather forecasting', 'weather-a.svg')], dir, 'npm start', new Date(0));
    writeReport([outcomeOf('text', 'Text classification, again', 'text-b.svg')], dir, 'npm start -- --only text', new Date(1000));
    let html = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const text of ['Model summaries', 'Text classification, again', 'Weather forecasting', 'src="text-b.svg"', 'src="weather-a.svg"', 'npm start -- --only text']) {
      assert.ok(html.includes(text), `the page still has ${text}`);
    }
    assert.ok(!html.includes('src="text-a.svg"'), 'the refreshed section replaced its old figures');
    assert.ok(html.indexOf('id="summaries"') < html.indexOf('id="text"') && html.indexOf('id="text"') < html.indexOf('id="weather"'), 'sections keep the examples\' order');
    assert.ok(!html.includes('explain.html'), 'no link to a page that is not there');

    unlinkSync(join(dir, 'weather-a.svg'));
    writeFileSync(join(dir, 'explain.html'), '<!doctype html>');
    writeReport([outcomeOf('summaries', 'Model summaries')], dir, 'npm start -- --only summaries', new Date(2000));
    html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.ok(html.includes('id="weather"') && !html.includes('src="weather-a.svg"'), 'the weather section stays, without its missing figure');
    assert.ok(html.includes('href="explain.html"'), 'the page links explain.html once it exists');

    writeFileSync(join(dir, 'report.json'), '{ not json');
    writeReport([outcomeOf('text', 'Text classification')], dir, 'npm start -- --only text', new Date(3000));
    html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.ok(html.includes('id="text"') && !html.includes('id="weather"'), 'an unreadable store is replaced');
    assert.ok(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).sections.length === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`smoke: the whole run takes less than ${BUDGET_SECONDS} s`, () => {
  assert.ok(seconds < BUDGET_SECONDS, `took ${seconds.toFixed(1)} s`);
});

test('command line: flags, values in both spellings, defaults', () => {
  assert.equal(parseArgs([]), { options: { full: false, smoke: false, outDir: 'out' }, only: ['summaries', 'text', 'weather'], help: false });
  assert.equal(parseArgs(['--full']).only, ['summaries', 'text', 'weather', 'explain', 'addition', 'seq2seq', 'textgen']);
  const c = parseArgs(['--smoke', '--out', 'elsewhere', '--only=weather']);
  assert.equal(c.options, { full: false, smoke: true, outDir: 'elsewhere' });
  assert.equal(c.only, ['weather']);
  assert.is(parseArgs(['--full']).options.full, true);
  assert.is(parseArgs(['--help']).help, true);
  assert.is(parseArgs(['--imdb', outDir]).options.imdb, outDir);
});

test('command line: a bad flag prints the flags and exits with 2; --help exits with 0', async () => {
  for (const argv of [['--bogus'], ['--only', 'vision'], ['--out'], ['--imdb', join(outDir, 'missing')], ['--jena', outDir], ['--full', '--smoke'], ['--smoke=yes']]) {
    const { value: code, output: printed } = await captured(() => main(argv));
    assert.is(code, 2, `${argv.join(' ')} exits with 2`);
    assert.ok(printed.includes('--only NAME') && printed.includes('--jena FILE'), `${argv.join(' ')} prints the flags`);
  }
  const { output: unknown } = await captured(() => main(['--bogus']));
  assert.match(unknown, /unknown flag '--bogus'; known: --full, --smoke, --imdb DIR, --jena FILE, --out DIR, --only NAME, --help/);
  const { value: code, output: help } = await captured(() => main(['--help']));
  assert.is(code, 0);
  assert.ok(help.includes(USAGE));
});

function count(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern.source, 'g')) ?? []).length;
}

test.run();
