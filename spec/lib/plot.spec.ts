import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeXml, heatmap, lineChart, linearTicks, logTicks, trainingCurves } from '../../lib/plot.ts';

// ---------------------------------------------------------------------------
// Reading the SVG back
// ---------------------------------------------------------------------------

/** Tags balance, the root is <svg>, no stray '<' or '&' in text, every attribute quoted. Returns the problem or ''. */
function wellFormedProblem(svg: string): string {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let sawRoot = false;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    const text = svg.slice(last, m.index);
    if (/[<>]/.test(text)) return `stray '<' or '>' in text before offset ${m.index}: ${JSON.stringify(text.slice(0, 60))}`;
    if (/&(?!(amp|lt|gt|quot|#39);)/.test(text)) return `unescaped '&' in text: ${JSON.stringify(text.slice(0, 60))}`;
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (stack.length === 0 && sawRoot) return `content after the root element: <${closing}${name}>`;
    if (closing) {
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open}>`;
    } else if (!selfClosing) {
      if (stack.length === 0) {
        if (name !== 'svg') return `the root is <${name}>`;
        sawRoot = true;
      }
      stack.push(name);
    }
  }
  if (svg.slice(last).trim() !== '') return `text after the last tag: ${JSON.stringify(svg.slice(last, last + 60))}`;
  if (stack.length > 0) return `unclosed: ${stack.join(' > ')}`;
  if (!sawRoot) return 'no <svg> root';
  return '';
}

/** Every number in a numeric attribute (coordinates, sizes, path data, points) is finite. Returns the problem or ''. */
function numbersProblem(svg: string): string {
  const attr = /\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|points|d|viewBox|data-value|dy|font-size)="([^"]*)"/g;
  for (let m = attr.exec(svg); m; m = attr.exec(svg)) {
    if (/NaN|Infinity|undefined/.test(m[2])) return `${m[1]}="${m[2].slice(0, 40)}"`;
    for (const token of m[2].match(/-?[\d.]+(?:e-?\d+)?/g) ?? []) {
      if (!Number.isFinite(Number(token))) return `${m[1]} has ${token}`;
    }
  }
  return '';
}

function assertValidSvg(svg: string): void {
  const structure = wellFormedProblem(svg);
  assert.is(structure, '', `SVG not well-formed: ${structure}`);
  const numbers = numbersProblem(svg);
  assert.is(numbers, '', `SVG has a non-finite number: ${numbers}`);
}

function ticks(svg: string, axis: 'x' | 'y' | 'scale'): number[] {
  return [...svg.matchAll(new RegExp(`class="tick ${axis}" data-value="([^"]+)"`, 'g'))].map((m) => Number(m[1]));
}

function count(svg: string, pattern: RegExp): number {
  return (svg.match(new RegExp(pattern.source, 'g')) ?? []).length;
}

/** A nice step: 1, 2 or 5 times a power of ten. */
function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9);
}

/** Consecutive ticks are one nice step apart, every tick a multiple of it, and they cover [lo, hi]. Returns the problem or ''. */
function niceCoverProblem(values: readonly number[], lo: number, hi: number): string {
  if (values.length < 2) return `only ${values.length} tick(s): ${values.join(', ')}`;
  const step = values[1] - values[0];
  if (!(step > 0) || !isNiceStep(step)) return `step ${step} is not 1, 2 or 5 × 10^k (ticks ${values.join(', ')})`;
  for (let i = 1; i < values.length; i++) {
    if (Math.abs(values[i] - values[i - 1] - step) > 1e-9 * Math.max(1, Math.abs(step))) return `uneven ticks ${values.join(', ')}`;
  }
  for (const v of values) {
    if (Math.abs(v / step - Math.round(v / step)) > 1e-6) return `tick ${v} is not a multiple of the step ${step}`;
  }
  const slack = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
  if (values[0] > lo + slack || values[values.length - 1] < hi - slack) return `ticks ${values[0]} … ${values.at(-1)} do not cover [${lo}, ${hi}]`;
  return '';
}

const walkthroughHistory = {
  loss: [0.64, 0.42, 0.33, 0.27, 0.22, 0.18, 0.14, 0.11, 0.08, 0.06],
  acc: [0.62, 0.81, 0.86, 0.89, 0.91, 0.93, 0.95, 0.96, 0.97, 0.98],
  val_loss: [0.5, 0.41, 0.37, 0.36, 0.38, 0.4, 0.45, 0.47, 0.52, 0.56],
  val_acc: [0.77, 0.82, 0.85, 0.85, 0.86, 0.85, 0.85, 0.84, 0.84, 0.83],
};

// ---------------------------------------------------------------------------
// trainingCurves: the seed's two figures
// ---------------------------------------------------------------------------

test('trainingCurves acc: the seed\'s figure — title, blue dots per epoch, blue validation line, legend, axis labels', () => {
  const svg = trainingCurves(walkthroughHistory, { metric: 'acc', title: 'SimpleRNN(32) on IMDB' });
  assertValidSvg(svg);
  assert.ok(svg.includes('>Training and validation accuracy</text>'), 'the seed\'s title');
  assert.ok(svg.includes('>SimpleRNN(32) on IMDB</text>'), 'the run\'s title');
  assert.is(count(svg, /<circle class="dot"/), 10, 'one training dot per epoch');
  const line = svg.match(/<polyline class="series line" points="([^"]+)"[^>]*stroke="([^"]+)"/);
  assert.ok(line, 'a validation line');
  assert.is(line![1].trim().split(/\s+/).length, 10, 'the validation line has a point per epoch');
  assert.is(line![2], '#0000ff', 'matplotlib\'s \'b\'');
  assert.ok(svg.includes('<g class="series dots" fill="#0000ff" stroke="#0000ff">'), 'blue dots');
  for (const text of ['>Training acc</text>', '>Validation acc</text>', '>Epochs</text>', '>Accuracy</text>']) {
    assert.ok(svg.includes(text), `has ${text}`);
  }
});

test('trainingCurves loss and mae: titles, legends, ticks that cover both series', () => {
  const loss = trainingCurves(walkthroughHistory, { metric: 'loss' });
  assertValidSvg(loss);
  for (const text of ['>Training and validation loss</text>', '>Training loss</text>', '>Validation loss</text>', '>Loss</text>']) {
    assert.ok(loss.includes(text), `has ${text}`);
  }
  const all = [...walkthroughHistory.loss, ...walkthroughHistory.val_loss];
  const y = ticks(loss, 'y');
  const problem = niceCoverProblem(y, Math.min(...all), Math.max(...all));
  assert.is(problem, '', `loss y ticks: ${problem}`);

  const mae = trainingCurves({ loss: [0.4, 0.3], mae: [0.4, 0.3], val_mae: [0.35, 0.32] }, { metric: 'mae' });
  assertValidSvg(mae);
  for (const text of ['>Training mae</text>', '>Validation mae</text>', '>Training and validation MAE</text>']) {
    assert.ok(mae.includes(text), `has ${text}`);
  }
});

test('trainingCurves: epoch ticks are whole numbers covering 1 … epochs', () => {
  for (const epochs of [1, 2, 3, 7, 10, 20, 40, 137]) {
    const history = { loss: Array.from({ length: epochs }, (_, i) => 1 / (i + 1)), val_loss: Array.from({ length: epochs }, (_, i) => 1.2 / (i + 1)) };
    const svg = trainingCurves(history, { metric: 'loss' });
    assertValidSvg(svg);
    const x = ticks(svg, 'x');
    assert.ok(x.every(Number.isInteger), `${epochs} epochs: ticks ${x.join(', ')} are whole numbers`);
    const problem = niceCoverProblem(x, 1, epochs);
    assert.is(problem, '', `${epochs} epochs: ${problem}`);
    assert.ok(x.length <= 11, `${epochs} epochs: ${x.length} x ticks is too many to read`);
    assert.is(count(svg, /<circle class="dot"/), epochs);
  }
});

test('trainingCurves: a one-epoch history draws one dot, a visible validation mark and finite ticks', () => {
  const svg = trainingCurves({ loss: [0.69], val_loss: [0.7], acc: [0.5], val_acc: [0.52] }, { metric: 'acc' });
  assertValidSvg(svg);
  assert.is(count(svg, /<circle class="dot"/), 1);
  assert.match(svg, /<line class="series line"/);
  const y = ticks(svg, 'y');
  assert.is(niceCoverProblem(y, 0.5, 0.52), '');
});

test('trainingCurves: a constant series gets distinct ticks around its value', () => {
  const svg = trainingCurves({ acc: [0.5, 0.5, 0.5], val_acc: [0.5, 0.5, 0.5] }, { metric: 'acc' });
  assertValidSvg(svg);
  const y = ticks(svg, 'y');
  assert.ok(new Set(y).size === y.length && y.length >= 2, `distinct ticks: ${y.join(', ')}`);
  assert.is(niceCoverProblem(y, 0.5, 0.5), '');
  const zero = trainingCurves({ loss: [0, 0] }, { metric: 'loss' });
  assertValidSvg(zero);
  assert.is(niceCoverProblem(ticks(zero, 'y'), 0, 0), '');
});

test('trainingCurves: without validation values only the training dots and their legend entry', () => {
  const svg = trainingCurves({ loss: [0.9, 0.5, 0.4] }, { metric: 'loss' });
  assertValidSvg(svg);
  assert.ok(svg.includes('>Training loss</text>'));
  assert.not.ok(svg.includes('Validation'));
  assert.not.match(svg, /class="series line"/);
});

test('trainingCurves: a NaN or an infinity names the History key and the index', () => {
  assert.throws(() => trainingCurves({ loss: [0.5, 0.4], val_loss: [0.5, NaN] }, { metric: 'loss' }), /history 'val_loss' has NaN at index 1/);
  assert.throws(() => trainingCurves({ acc: [Infinity], val_acc: [0.5] }, { metric: 'acc' }), /history 'acc' has Infinity at index 0/);
});

test('trainingCurves: a missing metric lists the keys the history has', () => {
  assert.throws(() => trainingCurves({ loss: [1], val_loss: [1] }, { metric: 'acc' }), /history has no 'acc' \(its keys: loss, val_loss\)/);
});

/** The plot frame's box [x, y, width, height]. */
function frameOf(svg: string): [number, number, number, number] {
  const m = svg.match(/<rect class="frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/);
  assert.ok(m, 'a plot frame');
  return m!.slice(1).map(Number) as [number, number, number, number];
}

/** The y of every legend sample and label. */
function legendYs(svg: string): number[] {
  const start = svg.indexOf('<g class="legend">');
  const legend = svg.slice(start, svg.indexOf('\n</g>\n', start)); // its entries' own groups close on their lines
  return [...legend.matchAll(/\b(?:y|y1|y2|cy)="([\d.]+)"/g)].map((m) => Number(m[1]));
}

test('trainingCurves: the legend sits outside the data, between the title and the plot', () => {
  for (const metric of ['acc', 'loss'] as const) {
    const svg = trainingCurves(walkthroughHistory, { metric, title: 'SimpleRNN(32) on IMDB' });
    const [, top] = frameOf(svg);
    const ys = legendYs(svg);
    assert.ok(ys.length >= 4, `${metric}: legend entries`);
    assert.ok(ys.every((y) => y < top), `${metric}: legend at y ${ys.join(', ')}, the plot starts at ${top}`);
    const subtitle = Number(svg.match(/<text class="subtitle" x="[\d.]+" y="([\d.]+)"/)![1]);
    assert.ok(ys.every((y) => y > subtitle), `${metric}: the legend is below the subtitle (${subtitle})`);
  }
});

// ---------------------------------------------------------------------------
// lineChart
// ---------------------------------------------------------------------------

test('lineChart: text is escaped in titles, labels, legends and colours', () => {
  const svg = lineChart({
    title: 'a < b & "c"',
    subtitle: "it's <mine>",
    xLabel: 'x & y',
    yLabel: '<y>',
    series: [{ label: 'h</text><script>', x: [0, 1], y: [1, 2], style: 'line', color: 'red"/><script' }],
  });
  assertValidSvg(svg);
  assert.ok(svg.includes('a &lt; b &amp; &quot;c&quot;'));
  assert.ok(svg.includes('it&#39;s &lt;mine&gt;'));
  assert.ok(svg.includes('h&lt;/text&gt;&lt;script&gt;'));
  assert.not.ok(svg.includes('<script'));
});

test('lineChart: linear ticks are nice numbers covering the data, for ranges small and large, signed and not', () => {
  const ranges: Array<[number, number]> = [[0, 1], [0.2, 0.3], [-3.7, 12.1], [1e-5, 3e-5], [-2e6, 1.5e6], [100, 100.5], [0.6931, 0.6932], [-1, -0.999]];
  for (const [lo, hi] of ranges) {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 's', x: [0.5, 1.5, 2.5], y: [lo, (lo + hi) / 2, hi], style: 'dots', color: 'black' }] });
    assertValidSvg(svg);
    const y = ticks(svg, 'y');
    const problem = niceCoverProblem(y, lo, hi);
    assert.is(problem, '', `[${lo}, ${hi}]: ${problem}`);
    assert.ok(y.length >= 2 && y.length <= 12, `[${lo}, ${hi}]: ${y.length} ticks`);
    const x = ticks(svg, 'x');
    assert.is(niceCoverProblem(x, 0.5, 2.5), '', `x ticks ${x.join(', ')}`);
  }
});

test('linearTicks: nice, covering, about the asked number, whole steps when asked', () => {
  for (const [lo, hi, target] of [[0, 1, 5], [0.13, 0.87, 4], [-7, 7, 6], [3, 3, 5], [1, 10, 6], [1, 1, 5]] as const) {
    const t = linearTicks(lo, hi, target);
    assert.is(niceCoverProblem(t, lo, hi), '', `[${lo}, ${hi}] → ${t.join(', ')}`);
    assert.ok(t.length <= 2 * target + 2, `[${lo}, ${hi}]: ${t.length} ticks for about ${target}`);
  }
  assert.equal(linearTicks(1, 3, 10, true), [1, 2, 3]);
  assert.equal(linearTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3], "no 0.30000000000000004");
  assert.equal(linearTicks(0.13, 0.87, 2), [0, 0.5, 1]);
});

test('lineChart: log-scale y ticks are powers of ten covering the data, with the values positioned logarithmically', () => {
  const x = Array.from({ length: 40 }, (_, i) => i);
  const norms = x.map((i) => 3 * 10 ** (-i / 6));
  const svg = lineChart({
    title: 'Gradient norms', xLabel: 'Step', yLabel: 'Norm', logY: true,
    series: [{ label: 'SimpleRNN', x, y: norms, style: 'line', color: 'red' }, { label: 'LSTM', x, y: x.map(() => 0.5), style: 'dots', color: 'blue' }],
  });
  assertValidSvg(svg);
  const y = ticks(svg, 'y');
  for (const t of y) assert.ok(Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-12, `${t} is a power of ten`);
  assert.ok(y[0] <= Math.min(...norms) && y.at(-1)! >= 3, `ticks ${y.join(', ')} cover the data`);
  assert.match(svg, /10<tspan[^>]*>−\d+<\/tspan>/, 'labels read 10 with a superscript exponent');
  // Equal ratios are equal distances: the pixel gap between decades is constant.
  const pixel = [...svg.matchAll(/class="tick y" data-value="[^"]+" x1="[\d.]+" y1="([\d.]+)"/g)].map((m) => Number(m[1]));
  const gaps = pixel.slice(1).map((p, i) => p - pixel[i]);
  assert.ok(gaps.every((g) => Math.abs(g - gaps[0]) < 0.05), `decade gaps ${gaps.join(', ')}`);
});

test('logTicks: powers of ten around the data; a single value or a single power gets its neighbours', () => {
  assert.equal(logTicks(0.002, 0.5, 10), [1e-3, 1e-2, 1e-1, 1]);
  assert.equal(logTicks(0.01, 0.01, 10), [1e-3, 1e-2, 1e-1]);
  assert.equal(logTicks(5, 5, 10), [1, 10]);
  const wide = logTicks(1e-12, 1e3, 5);
  assert.ok(wide.length <= 7, `15 decades in ${wide.length} ticks`);
  assert.ok(wide[0] <= 1e-12 && wide.at(-1)! >= 1e3);
});

test('lineChart: a log-scale axis refuses a value ≤ 0, naming the series and index', () => {
  assert.throws(
    () => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', logY: true, series: [{ label: 'norm', x: [0, 1, 2], y: [1, 0.1, 0], style: 'line', color: 'red' }] }),
    /series 'norm' has y = 0 at index 2, but a log-scale axis needs values > 0/,
  );
});

test('lineChart: NaN input is an error naming the series, the axis and the index', () => {
  const base = { title: 't', xLabel: 'x', yLabel: 'y' };
  assert.throws(() => lineChart({ ...base, series: [{ label: 'ok', x: [0], y: [1], style: 'dots', color: 'red' }, { label: 'bad', x: [0, 1, 2], y: [1, 2, NaN], style: 'line', color: 'red' }] }), /series 'bad' y has NaN at index 2/);
  assert.throws(() => lineChart({ ...base, series: [{ label: 'bad x', x: [0, NaN], y: [1, 2], style: 'line', color: 'red' }] }), /series 'bad x' x has NaN at index 1/);
  assert.throws(() => lineChart({ ...base, series: [{ label: 'short', x: [0, 1], y: [1], style: 'line', color: 'red' }] }), /'short' has 2 x values but 1 y values/);
  assert.throws(() => lineChart({ ...base, series: [] }), /no series/);
});

test('lineChart: series stay apart — dash patterns, marker shapes, and markers shifted between lines on top of each other', () => {
  const x = Array.from({ length: 50 }, (_, i) => i);
  const same = x.map(() => 0.5);
  const svg = lineChart({
    title: 'flow', xLabel: 'distance', yLabel: 'norm', logY: true,
    series: [
      { label: 'SimpleRNN', x, y: x.map((i) => 10 ** (-i / 5)), style: 'line', color: '#d62728', marker: 'circle' },
      { label: 'LSTM', x, y: same, style: 'line', color: '#1f77b4', dash: '7 3', marker: 'square' },
      { label: 'GRU', x, y: same, style: 'line', color: '#2ca02c', dash: '2 2', marker: 'triangle' },
    ],
  });
  assertValidSvg(svg);
  const lines = [...svg.matchAll(/<polyline class="series line"[^>]*?(?: stroke-dasharray="([^"]+)")?\/>/g)].map((m) => m[1] ?? 'solid');
  assert.equal(lines, ['solid', '7 3', '2 2']);
  const groups = [...svg.matchAll(/<g class="series markers"[^>]*>\n([\s\S]*?)\n<\/g>/g)].map((m) => m[1].split('\n'));
  assert.is(groups.length, 3, 'each line has markers');
  assert.ok(groups[0][0].startsWith('<circle') && groups[1][0].startsWith('<rect') && groups[2][0].startsWith('<path'), 'circle, square, triangle');
  assert.ok(groups.every((g) => g.length >= 8 && g.length <= 12), `about ten markers a line: ${groups.map((g) => g.length).join(', ')}`);
  const xOf = (m: string): number => Number(/(?:cx|x)="([\d.]+)"|M([\d.]+)/.exec(m)!.slice(1).find((v) => v !== undefined));
  assert.not.equal(xOf(groups[1][0]), xOf(groups[2][0]), 'the markers of two coinciding lines sit at different points');
  assert.throws(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 's', x: [0], y: [1], style: 'line', color: 'red', marker: 'star' as 'circle' }] }), /marker 'star'; known: circle, square, triangle, diamond, cross/);
});

test('lineChart: reference and event lines are drawn across the plot, covered by the axes, and named in the legend or above the plot', () => {
  const svg = lineChart({
    title: 'GRU(32) on Seattle weather', xLabel: 'Epochs', yLabel: 'MAE (°C)',
    series: [{ label: 'validation', x: [1, 2, 3, 4], y: [2.6, 2.4, 2.3, 2.25], style: 'line', color: '#d55e00' }],
    references: [{ y: 2.0, label: 'ridge 2.00 °C' }, { y: 3.1, label: 'persistence 3.10 °C', color: '#555555', dash: '5 3' }],
    events: [{ x: 3.5, label: 'lr ÷ 10 from epoch 4' }],
  });
  assertValidSvg(svg);
  const y = ticks(svg, 'y');
  assert.ok(y[0] <= 2.0 && y.at(-1)! >= 3.1, `the y axis covers the reference lines: ${y.join(', ')}`);
  assert.equal([...svg.matchAll(/<line class="reference" data-value="([\d.]+)"/g)].map((m) => Number(m[1])), [2, 3.1]);
  assert.match(svg, /<line class="event" data-value="3.5"/);
  for (const text of ['>ridge 2.00 °C</text>', '>persistence 3.10 °C</text>', '>lr ÷ 10 from epoch 4</text>']) assert.ok(svg.includes(text), text);
  const [, top] = frameOf(svg);
  const eventY = Number(svg.match(/<text class="event-label" x="[\d.]+" y="([\d.]+)"/)![1]);
  assert.ok(eventY < top, 'the event is labelled above the plot, not over the data');
  assert.ok(ticks(svg, 'x').every(Number.isInteger), 'an event between epochs keeps the epoch ticks whole');
  assert.throws(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', logY: true, series: [{ label: 's', x: [0], y: [1], style: 'dots', color: 'red' }], references: [{ y: 0, label: 'zero' }] }), /reference line 'zero' \(0\) has y = 0, but a log-scale axis needs values > 0/);
});

test('lineChart: a log-scale x axis has power-of-ten ticks labelled like the y axis, and refuses x ≤ 0', () => {
  const svg = lineChart({
    title: 'time', xLabel: 'T (timesteps)', yLabel: 'ms', logX: true, logY: true,
    series: [{ label: 'LSTM', x: [10, 100, 500, 1000], y: [1.2, 11, 52, 104], style: 'line', color: 'blue', marker: 'circle' }],
  });
  assertValidSvg(svg);
  const x = ticks(svg, 'x');
  assert.equal(x, [10, 100, 1000]);
  const labels = [...svg.matchAll(/>10<tspan[^>]*>(−?\d+)<\/tspan>/g)].map((m) => m[1]);
  assert.ok(['1', '2', '3'].every((e) => labels.includes(e)), `x labels 10¹, 10², 10³ (labels ${labels.join(', ')})`);
  assert.ok(svg.includes('class="minor"'), 'minor ticks between the decades');
  assert.throws(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', logX: true, series: [{ label: 'T', x: [0, 1], y: [1, 2], style: 'line', color: 'red' }] }), /series 'T' has x = 0 at index 0, but a log-scale axis needs values > 0/);
});

test('lineChart: a long legend flows into rows above the plot, never over it', () => {
  const series = ['SimpleRNN train', 'LSTM train', 'GRU train', 'GRU resetAfter=false train', 'SimpleRNN infer', 'LSTM infer', 'GRU infer'].map((label, i) => ({
    label, x: [1, 2, 3], y: [i + 1, i + 2, i + 3], style: (i < 4 ? 'line' : 'dots') as 'line' | 'dots', color: '#333333',
  }));
  const svg = lineChart({ title: 'memory', xLabel: 'T', yLabel: 'bytes', series, width: 620, height: 420 });
  assertValidSvg(svg);
  const [, top] = frameOf(svg);
  const ys = legendYs(svg);
  assert.ok(new Set(ys.map((y) => Math.round(y / 10))).size >= 2, 'more than one row');
  assert.ok(ys.every((y) => y < top), 'every row above the plot');
});

// ---------------------------------------------------------------------------
// heatmap
// ---------------------------------------------------------------------------

test('heatmap: cells cover the grid, index ticks stay inside it, the colour scale has ticks within the data', () => {
  const rows = 8;
  const cols = 50;
  const values = new Float32Array(rows * cols).map((_, k) => Math.sin(k / 7)); // both signs: a diverging map
  const svg = heatmap({ values, rows, cols, title: 'Gate <i> over time', xLabel: 'Timestep', yLabel: 'Unit' });
  assertValidSvg(svg);
  assert.ok(svg.includes('Gate &lt;i&gt; over time'));
  for (const text of ['>Timestep</text>', '>Unit</text>']) assert.ok(svg.includes(text));
  const x = ticks(svg, 'x');
  const y = ticks(svg, 'y');
  assert.ok(x.length >= 2 && x.every((t) => Number.isInteger(t) && t >= 0 && t < cols), `column ticks ${x.join(', ')}`);
  assert.ok(y.length >= 2 && y.every((t) => Number.isInteger(t) && t >= 0 && t < rows), `row ticks ${y.join(', ')}`);
  const scale = ticks(svg, 'scale');
  assert.ok(scale.length >= 3 && scale.includes(0), `colour scale ticks ${scale.join(', ')} include 0 for signed data`);
  // Each row's runs of cells add up to the plot width: sum the widths of all 'h' moves.
  const widths = [...svg.matchAll(/M[\d.]+ [\d.]+h([\d.]+)v/g)].reduce((s, m) => s + Number(m[1]), 0);
  const frame = svg.match(/<\/g>\n<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="([\d.]+)" fill="none"/);
  assert.ok(frame, 'a frame around the cells');
  assert.ok(Math.abs(widths - rows * Number(frame![1])) < rows * 0.1, `cells span ${widths} px, ${rows} rows × ${frame![1]} px`);
});

test('heatmap: one-signed data and a given domain; a constant grid; a 1 × 1 grid', () => {
  const sigmoid = heatmap({ values: [0.1, 0.5, 0.9, 0.3, 0.7, 0.2], rows: 2, cols: 3, title: 'f', xLabel: 't', yLabel: 'u', domain: [0, 1] });
  assertValidSvg(sigmoid);
  const scale = ticks(sigmoid, 'scale');
  assert.is(scale[0], 0);
  assert.is(scale.at(-1), 1);
  assertValidSvg(heatmap({ values: [0.5, 0.5, 0.5, 0.5], rows: 2, cols: 2, title: 'c', xLabel: 't', yLabel: 'u' }));
  assertValidSvg(heatmap({ values: [3], rows: 1, cols: 1, title: 'one', xLabel: 't', yLabel: 'u' }));
});

test('heatmap: a narrow one still labels at least two timesteps', () => {
  for (const cols of [2, 7, 10, 49, 50, 51, 99, 200]) {
    const svg = heatmap({ values: new Float32Array(16 * cols), rows: 16, cols, title: 'i', xLabel: 't', yLabel: 'unit', width: 318, height: 190 });
    const x = ticks(svg, 'x');
    assert.ok(x.length >= 2 && x.every((t) => t >= 0 && t < cols), `${cols} columns: ticks ${x.join(', ')}`);
  }
});

test('heatmap: marked columns get a triangle each, and a bad column is refused', () => {
  const svg = heatmap({ values: new Float32Array(2 * 10), rows: 2, cols: 10, title: 'i', xLabel: 't', yLabel: 'u', marks: { cols: [0, 7], label: 'the marked steps' } });
  assertValidSvg(svg);
  assert.equal([...svg.matchAll(/class="mark" data-value="(\d+)"/g)].map((m) => Number(m[1])), [0, 7]);
  assert.ok(svg.includes('>▼ the marked steps</text>'));
  assert.throws(() => heatmap({ values: [1, 2], rows: 1, cols: 2, title: 't', xLabel: 'x', yLabel: 'y', marks: { cols: [2], label: 'm' } }), /marked column 2 is not a column of 0 … 1/);
});

test('heatmap: bad input names what is wrong', () => {
  const base = { title: 't', xLabel: 'x', yLabel: 'y' };
  assert.throws(() => heatmap({ ...base, values: [1, 2, 3], rows: 2, cols: 2 }), /2 × 2 needs 4 values, got 3/);
  assert.throws(() => heatmap({ ...base, values: [1, 2, NaN, 4], rows: 2, cols: 2 }), /values has NaN at index 2 \(row 1, col 0\)/);
  assert.throws(() => heatmap({ ...base, values: [], rows: 0, cols: 2 }), /positive integers/);
  assert.throws(() => heatmap({ ...base, values: [1, 2], rows: 1, cols: 2, domain: [1, 1] }), /low < high/);
});

test('escapeXml: the five specials, and characters XML forbids are dropped', () => {
  assert.is(escapeXml(`<a href="x">Tom & Jerry's</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  assert.is(escapeXml('bell\u0007 tab\t'), 'bell tab\t');
});

test.run();
