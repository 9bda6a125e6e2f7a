/**
 * The gate lab and the report pages in a real headless Chromium
 * (@sparticuz/chromium's binary, driven by puppeteer-core): the lab is built
 * and served as static files from 127.0.0.1 with no cross-origin-isolation
 * headers; an LSTM learns the adding problem in the page's worker; the
 * heatmaps have one column per timestep; a model saved by Unrolled in Node
 * opens in the page and traces to the same numbers as in Node; nothing is
 * logged as an error. Screenshots go to out/lab-*.png and out/page-*.png.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import type { Browser, Page } from 'puppeteer-core';
import { Adam, Dense, LSTM, Sequential, Tensor, clearSession, loadModel, setSeed, traceLayer, type FusedRNN as RNN } from '../../lib/index.ts';
import { TASKS, addingProblem } from '../../examples/tasks.ts';
import { buildLab, serveDirectory } from '../../lab/build.ts';
import { smokeRun } from '../examples/smoke-run.ts';
import { launchChromium } from './chromium.ts';

/** The whole spec, browser start to last screenshot, within this budget (seconds). */
const BUDGET_SECONDS = 60;
/** The training the lab is asked for. */
const STEPS = 200;
const LENGTH = 10;
/** Traced values from the page against Unrolled in Node. */
const TOLERANCE = 1e-6;

const repo = resolve(import.meta.dirname, '..', '..');
const shots = join(repo, 'out');
const scratch = mkdtempSync(join(tmpdir(), 'unrolled-lab-'));
const timings: Record<string, number> = {};
let started = 0;
let browser: Browser;
let server: Server;
let page: Page;
let base = '';
/** Everything the pages said that counts as an error. */
const problems: string[] = [];

function watch(p: Page, name: string): void {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`${name}: ${e instanceof Error ? e.message : String(e)}`));
  p.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} (${r.failure()?.errorText})`));
  p.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.url()}`);
  });
}

async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = (performance.now() - t) / 1000;
  }
}

/**
 * Code run in the page is given as text: this spec is typechecked with
 * Node's types, not the DOM's, so that nothing of the browser leaks into the
 * typecheck of the library.
 */
function inPage<T>(p: Page, expression: string): Promise<T> {
  return p.evaluate(expression) as Promise<T>;
}

/** The lab's status line, as the page keeps it on its data attributes. */
async function status(): Promise<{ step: number; running: boolean; validation: number; baseline: number; text: string }> {
  return inPage(page, `(() => {
    const e = document.querySelector('#status');
    return { step: Number(e.dataset.step), running: e.dataset.running === 'true', validation: Number(e.dataset.validation), baseline: Number(e.dataset.baseline), text: e.textContent };
  })()`);
}

/** Waits until the status line says the worker is (not) running, and at `step` when given. */
async function waitForStatus(running: boolean, timeout: number, step?: number): Promise<void> {
  const at = step === undefined ? '' : ` && Number(document.querySelector('#status').dataset.step) === ${step}`;
  await page.waitForFunction(`document.querySelector('#status').dataset.running === '${running}'${at}`, { timeout, polling: 100 });
}

async function setField(id: string, value: string): Promise<void> {
  await page.click(`#${id}`, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(`#${id}`, value);
  await page.keyboard.press('Tab'); // a change event, as a reader's would be
}

test.before(async () => {
  started = performance.now();
  mkdirSync(shots, { recursive: true });
  const built = await time('build', () => buildLab(join(scratch, 'lab')));
  server = await serveDirectory(built.dir);
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await time('launch', () => launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  watch(page, 'lab');
  await time('open', async () => {
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('#heatmaps figure.heat', { timeout: 20_000 });
  });
});

test.after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(scratch, { recursive: true, force: true });
  const total = (performance.now() - started) / 1000;
  console.log(`  browser spec: ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}; ${total.toFixed(1)} s in all`);
});

test('lab: the page runs without cross-origin isolation, so on one thread (no SharedArrayBuffer)', async () => {
  const env = await inPage(page, '({ isolated: crossOriginIsolated, sab: typeof SharedArrayBuffer })');
  assert.equal(env, { isolated: false, sab: 'undefined' });
});

test(`lab: an LSTM trained on the adding problem for ${STEPS} steps ends below half of the baseline`, async () => {
  await page.select('#task', 'adding');
  await page.select('#cell', 'LSTM');
  await setField('seed', '1');
  await setField('length', String(LENGTH));
  await setField('stop', String(STEPS));
  await page.waitForFunction(`document.querySelector('#heatmaps figure.heat')?.dataset.cols === '${LENGTH}'`, { timeout: 10_000 });
  const before = await status();
  assert.is(before.step, 0, before.text);
  await time('train', async () => {
    await page.click('#train');
    await waitForStatus(false, 40_000, STEPS);
  });
  const after = await status();
  assert.is(after.step, STEPS, after.text);
  assert.ok(Math.abs(after.baseline - TASKS.adding.baseline) < 1e-12, `baseline ${after.baseline}`);
  assert.ok(after.validation < after.baseline / 2, `validation loss ${after.validation} after ${STEPS} steps; half the baseline is ${after.baseline / 2} (${after.text})`);
  await page.screenshot({ path: join(shots, 'lab-train.png') });
});

test('lab: one heatmap per LSTM gate and state, one column per timestep, the gates in [0, 1]', async () => {
  const heats = await inPage<Array<Record<string, string> & { cells: number }>>(page,
    `[...document.querySelectorAll('#heatmaps figure.heat')].map((f) => ({ ...f.dataset, cells: f.querySelectorAll('svg .cells path').length }))`);
  assert.equal(heats.map((h) => h.name), ['i', 'f', 'g', 'o', 'c', 'h']);
  for (const h of heats) {
    assert.is(Number(h.cols), LENGTH, `${h.name}: ${h.cols} columns for T = ${LENGTH}`);
    assert.is(Number(h.rows), 16, `${h.name}: one row per unit`);
    assert.ok(h.cells > 0, `${h.name}: the heatmap draws cells`);
  }
  for (const h of heats.filter((x) => ['i', 'f', 'o'].includes(x.name!))) {
    assert.ok(Number(h.min) >= 0 && Number(h.max) <= 1, `${h.name} ranges over [${h.min}, ${h.max}]`);
  }
  const marks = await inPage<number[]>(page, `[...document.querySelectorAll('#heatmaps figure.heat[data-name="i"] svg .mark')].map((e) => Number(e.dataset.value))`);
  assert.is(marks.length, 2, 'the two marked steps are flagged above the heatmap');
  assert.ok(marks.every((t) => t >= 0 && t < LENGTH));
});

test('lab: the page stays responsive while the worker trains (Pause answers at once)', async () => {
  await setField('stop', '100000');
  await page.click('#train');
  await waitForStatus(true, 5_000);
  await new Promise((r) => setTimeout(r, 300));
  // Frames keep coming while the worker trains: the page's own thread is free.
  const frame = await inPage<number>(page, 'new Promise((done) => { const start = performance.now(); requestAnimationFrame(() => done(performance.now() - start)); })');
  assert.ok(frame < 500, `a frame took ${frame.toFixed(0)} ms while training`);
  const t = performance.now();
  await page.click('#train');
  await waitForStatus(false, 5_000);
  const paused = performance.now() - t;
  assert.ok(paused < 2_000, `Pause took ${paused.toFixed(0)} ms`);
});

test(`lab: a model saved by Unrolled in Node opens from its files and traces to Unrolled's numbers in Node (within ${TOLERANCE})`, async () => {
  // A small LSTM taught the adding problem in Node, saved as model.json + weights.bin.
  clearSession();
  setSeed(3);
  const model = new Sequential([new LSTM(8, { inputShape: [null, 2] }), new Dense(1)]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01, globalClipnorm: 1 }), loss: 'mse' });
  const rng = seedrandom('lab-spec');
  for (let s = 0; s < 60; s++) {
    const b = addingProblem(32, LENGTH, rng);
    model.trainOnBatch(b.x, b.y);
  }
  const dir = join(scratch, 'model');
  await model.save(dir);

  const sample = addingProblem(1, 12, seedrandom('lab-spec-input'));
  const rows = Array.from({ length: 12 }, (_, t) => [sample.x.data[2 * t], sample.x.data[2 * t + 1]]);
  const text = rows.map((r) => `${r[0]}, ${r[1]}`).join('\n');

  const input = await page.$('#files');
  await input!.uploadFile(join(dir, 'model.json'), join(dir, 'weights.bin'));
  await page.waitForFunction(`document.querySelector('#model-info').textContent.includes('tracing')`, { timeout: 10_000 });
  await inPage(page, `document.querySelector('#input').value = ${JSON.stringify(text)}`);
  await page.click('#trace');
  await page.waitForFunction(`document.querySelector('#trace-json').textContent !== ''`, { timeout: 10_000 });
  const traced = JSON.parse(await inPage<string>(page, `document.querySelector('#trace-json').textContent`)) as {
    input: number[][]; prediction: number[]; trace: Record<string, { rows: number; cols: number; values: number[] }>;
  };

  const loaded = await loadModel(dir);
  const layer = loaded.layers[0] as RNN;
  const x = new Tensor(Float32Array.from(rows.flat()), [1, 12, 2]);
  const expected = traceLayer(layer, x);
  assert.equal(Object.keys(traced.trace).sort(), Object.keys(expected).sort(), 'the same activations');
  let worst = { name: '', at: -1, page: 0, node: 0, diff: 0 };
  for (const [name, t] of Object.entries(expected)) {
    const [, T, H] = t.shape;
    const got = traced.trace[name];
    assert.equal([got.rows, got.cols], [H, T], `${name}: units × steps`);
    for (let j = 0; j < H; j++) {
      for (let s = 0; s < T; s++) {
        const diff = Math.abs(got.values[j * T + s] - t.data[s * H + j]);
        if (diff > worst.diff) worst = { name, at: j * T + s, page: got.values[j * T + s], node: t.data[s * H + j], diff };
      }
    }
  }
  assert.ok(worst.diff <= TOLERANCE, `worst traced value: ${worst.name}[${worst.at}] page ${worst.page}, Node ${worst.node}`);
  const prediction = loaded.predict(x).data[0];
  assert.ok(Math.abs(traced.prediction[0] - prediction) <= TOLERANCE, `prediction: page ${traced.prediction[0]}, Node ${prediction}`);
  assert.ok(Math.abs(model.predict(x).data[0] - prediction) <= TOLERANCE, 'the loaded model predicts as the saved one');

  await inPage(page, `document.querySelector('#open').scrollIntoView()`);
  await page.screenshot({ path: join(shots, 'lab-model.png') });
});

test('lab: opened straight from its files (file://), it starts its worker and draws', async () => {
  const p = await browser.newPage();
  watch(p, 'lab from file://');
  await p.goto(pathToFileURL(join(scratch, 'lab', 'index.html')).href, { waitUntil: 'load' });
  await p.waitForSelector('#heatmaps figure.heat', { timeout: 10_000 });
  assert.ok(await inPage<boolean>(p, `document.querySelector('#status').dataset.step === '0'`));
  await p.close();
});

test('lab: nothing on the page went wrong', async () => {
  const shown = await inPage<string>(page, `(() => { const e = document.querySelector('#error'); return e.hidden ? '' : e.textContent; })()`);
  assert.is(shown, '', 'the page shows no error');
  assert.equal(problems, [], 'errors the page logged');
});

/** Opens a report page from its folder: no console error, every image loaded; then a screenshot. */
async function checkPage(file: string, shot: string): Promise<void> {
  const p = await browser.newPage();
  await p.setViewport({ width: 1280, height: 800 });
  const before = problems.length;
  watch(p, file);
  await p.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const images = await inPage<number>(p, `document.images.length`);
  const broken = await inPage<string[]>(p, `[...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.getAttribute('src'))`);
  assert.ok(images > 0, `${file} shows figures`);
  assert.equal(broken, [], `${file}: images that did not load`);
  const wide = await inPage<number>(p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`);
  assert.ok(wide <= 0, `${file} scrolls sideways by ${wide} px at 1280 px`);
  await p.screenshot({ path: join(shots, shot) });
  assert.equal(problems.slice(before), [], `${file}: errors`);
  await p.close();
}

test('pages: index.html and explain.html load every figure, fit 1280 px, log no error', async () => {
  const smoke = await time('smoke pages', () => smokeRun());
  await time('pages', async () => {
    await checkPage(join(smoke.outDir, 'index.html'), 'page-index.png');
    await checkPage(join(smoke.outDir, 'explain.html'), 'page-explain.png');
  });
});

test(`browser spec: within ${BUDGET_SECONDS} s`, () => {
  const total = (performance.now() - started) / 1000 - (timings['smoke pages'] ?? 0);
  assert.ok(total < BUDGET_SECONDS, `took ${total.toFixed(1)} s: ${JSON.stringify(timings)}`);
});

test.run();
