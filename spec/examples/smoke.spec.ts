/**
 * `npm start -- --smoke` in-process: every example on a tiny slice, then the figures and
 * the report. Also the command line of examples/main.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_NAMES, USAGE, main, parseArgs, resultsTable, runExamples, writeReport, type Outcome } from '../../examples/main.ts';

/** The whole smoke run, within this budget (seconds) inside `npm test`. */
const BUDGET_SECONDS = 30;

/** History keys each example's runs must have. */
const EXPECTED_KEYS: Record<string, readonly string[]> = {
  summaries: [],
  text: ['loss', 'val_loss', 'acc', 'val_acc'],
  weather: ['loss', 'val_loss'],
  explain: ['loss', 'val_loss'],
};

/** Runs `fn` with console.log and stderr captured; the capture is returned so that a failure can show it. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  console.error = console.log;
  process.stderr.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    return { value: await fn(), output: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

const outDir = mkdtempSync(join(tmpdir(), 'unrolled-smoke-'));
let outcomes: Outcome[] = [];
let output = '';
let seconds = 0;
let page = '';

test.before(async () => {
  const start = performance.now();
  ({ value: outcomes, output } = await captured(async () => {
    const ran = await runExamples(EXAMPLE_NAMES, { smoke: true, full: false, outDir }, { log: console.log });
    page = writeReport(ran, outDir, 'npm start -- --smoke', new Date(0));
    return ran;
  }));
  seconds = (performance.now() - start) / 1000;
});

test.after(() => rmSync(outDir, { recursive: true, force: true }));

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
  for (const o of outcomes.filter((x) => x.example !== 'summaries')) {
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

test('smoke: the figures and index.html are written, and the page shows them all', () => {
  assert.ok(existsSync(page), `${page} exists`);
  const html = readFileSync(page, 'utf8');
  for (const o of outcomes) {
    assert.ok(html.includes(o.result!.name.replace(/&/g, '&amp;')), `the page names ${o.result!.name}`);
    const expected = o.result!.runs.flatMap((run) => [
      ...('acc' in run.history ? [`${run.id}-acc.svg`] : []),
      `${run.id}-loss.svg`,
      ...('mae' in run.history ? [`${run.id}-mae.svg`] : []),
    ]);
    assert.equal(o.figures.map((f) => f.file), expected, `${o.example}: the figures of its runs`);
    for (const file of expected) {
      const svg = readFileSync(join(outDir, file), 'utf8');
      assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), `${file} is an SVG document`);
      assert.ok(svg.includes('>Training and validation'), `${file} has the seed's title`);
      assert.ok(html.includes(`src="${file}"`), `the page shows ${file}`);
    }
  }
  const table = resultsTable(outcomes);
  for (const o of outcomes) assert.ok(table.includes(o.result!.name), `the closing table names ${o.result!.name}`);
});

test(`smoke: the whole run takes less than ${BUDGET_SECONDS} s`, () => {
  assert.ok(seconds < BUDGET_SECONDS, `took ${seconds.toFixed(1)} s`);
});

test('command line: flags, values in both spellings, defaults', () => {
  assert.equal(parseArgs([]), { options: { full: false, smoke: false, outDir: 'out' }, only: ['summaries', 'text', 'weather'], help: false });
  assert.equal(parseArgs(['--full']).only, ['summaries', 'text', 'weather', 'explain']);
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

test.run();
