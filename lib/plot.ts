/**
 * Plots as standalone SVG text, with no dependencies.
 *
 * - `trainingCurves` draws the walkthrough's figures: training values as blue dots
 *   (matplotlib's 'bo'), validation values as a blue line ('b'), titled
 *   'Training and validation accuracy' / '… loss', with a legend.
 * - `lineChart` is the general chart behind it: any number of dot or line series,
 *   each with its colour, dash pattern and marker shape, so that series stay apart
 *   in grey print and where they lie on top of each other; horizontal reference
 *   lines (a baseline) and vertical event lines (a change of learning rate);
 *   linear or log-scale axes, both log axes labelled 10ⁿ.
 * - `heatmap` shows a [rows, cols] grid of values, e.g. gate activations with
 *   rows = units and cols = timesteps, with a colour scale.
 *
 * The legend sits outside the data, in rows between the title and the plot.
 * Every function returns a complete SVG document (write it to a `.svg` file or put it
 * in HTML). Text is escaped; every input number must be finite, and a NaN or an
 * infinity is an Error naming the series and the index.
 *
 * Pixel geometry: the figure is W × H pixels (default 640 × 480, matplotlib's size at
 * 100 dpi); the plot area sits inside margins sized from the text that surrounds it.
 */

export type SeriesStyle = 'dots' | 'line';

/** The shape drawn at the points of a series. */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';

export interface Series {
  /** The legend text. */
  label: string;
  x: readonly number[];
  y: readonly number[];
  /** 'dots': a marker at every point; 'line': a polyline, with a marker at every few points when `marker` is set. */
  style: SeriesStyle;
  /** Any CSS colour: `blue`, `#1f77b4`. */
  color: string;
  /** A line's dash pattern as SVG's stroke-dasharray, e.g. `'6 3'`; solid when absent. */
  dash?: string;
  /** Default: circles for dots, none on a line. */
  marker?: MarkerShape;
}

/** A horizontal line across the plot at `y`, e.g. a baseline, with its legend entry. */
export interface ReferenceLine {
  y: number;
  label: string;
  /** Default grey. */
  color?: string;
  /** Default `'4 3'`. */
  dash?: string;
}

/** A vertical line at `x`, e.g. where the learning rate changed, labelled above the plot. */
export interface EventLine {
  x: number;
  label: string;
}

export interface LineChartOptions {
  series: readonly Series[];
  title: string;
  /** A smaller second line under the title. */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** A log-scale x axis: ticks at powers of ten; every x must be > 0. */
  logX?: boolean;
  /** A log-scale y axis: ticks at powers of ten; every y must be > 0. */
  logY?: boolean;
  references?: readonly ReferenceLine[];
  events?: readonly EventLine[];
  /** Figure size in pixels (default 640 × 480). */
  width?: number;
  height?: number;
}

export type CurveMetric = 'acc' | 'loss' | 'mae';

export interface TrainingCurvesOptions {
  /** Which pair of History keys to draw: `acc` and `val_acc`, `loss` and `val_loss`, `mae` and `val_mae`. */
  metric: CurveMetric;
  /** The run's title (e.g. `LSTM(32) on SpamAssassin`), shown under the seed's figure title. */
  title?: string;
  /** Where each recorded value was taken (default epochs 1, 2, …) and the axis name (default `Epochs`). */
  x?: readonly number[];
  xLabel?: string;
  width?: number;
  height?: number;
}

export interface HeatmapOptions {
  /** Row-major [rows, cols]: value (r, c) is at r·cols + c. */
  values: Float32Array | Float64Array | readonly number[];
  /** Drawn top to bottom, e.g. the units. */
  rows: number;
  /** Drawn left to right, e.g. the timesteps. */
  cols: number;
  title: string;
  xLabel: string;
  yLabel: string;
  /** The values at the two ends of the colour scale (default: the data's range, made symmetric around 0 when the data has both signs). */
  domain?: readonly [number, number];
  /** Columns flagged with a triangle above the grid (e.g. the marked timesteps), named in a note above it. */
  marks?: { cols: readonly number[]; label: string };
  width?: number;
  height?: number;
}

/** matplotlib's 'b'. */
const BLUE = '#0000ff';
const GREY = '#777777';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const TITLE_SIZE = 16;
const SUBTITLE_SIZE = 12;
const LABEL_SIZE = 13;
const TICK_SIZE = 11;
const LEGEND_SIZE = 12;
const TICK_LENGTH = 5;
/** Pixels between the frame and the first/last tick, so that dots at the ends are not cut by the frame. */
const INSET = 8;
const DOT_RADIUS = 3.5;
/** About this many markers on a line that has them. */
const LINE_MARKERS = 10;
/** Height of a legend row, and the width of its sample of line and marker. */
const LEGEND_ROW = LEGEND_SIZE + 8;
const LEGEND_SAMPLE = 30;
/** Steps of a heatmap's colour map. */
const LEVELS = 128;
const MARKERS: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross'];

const METRIC_NAMES: Record<CurveMetric, { title: string; axis: string }> = {
  acc: { title: 'Training and validation accuracy', axis: 'Accuracy' },
  loss: { title: 'Training and validation loss', axis: 'Loss' },
  mae: { title: 'Training and validation MAE', axis: 'Mean absolute error' },
};

// ---------------------------------------------------------------------------
// The walkthrough's figures
// ---------------------------------------------------------------------------

/**
 * One of the walkthrough's two figures for a Keras History: `history[metric]` as blue
 * dots ('Training acc'), `history['val_' + metric]` as a blue line ('Validation acc'),
 * against epochs 1, 2, …. The validation series is left out when the history has none.
 */
export function trainingCurves(history: Readonly<Record<string, readonly number[]>>, options: TrainingCurvesOptions): string {
  const { metric } = options;
  if (!(metric in METRIC_NAMES)) throw new Error(`trainingCurves: unknown metric '${String(metric)}'; known: ${Object.keys(METRIC_NAMES).join(', ')}`);
  const training = history[metric];
  if (!training) {
    throw new Error(`trainingCurves: the history has no '${metric}' (its keys: ${Object.keys(history).join(', ') || 'none'})`);
  }
  const series: Series[] = [];
  for (const [key, label, style] of [[metric, 'Training', 'dots'], [`val_${metric}`, 'Validation', 'line']] as const) {
    const values = history[key];
    if (!values) continue;
    checkFinite(values, `trainingCurves: history '${key}'`);
    const x = options.x ?? values.map((_, i) => i + 1);
    if (x.length !== values.length) throw new Error(`trainingCurves: ${x.length} x values for ${values.length} values of '${key}'`);
    series.push({ label: `${label} ${metric}`, x, y: values, style, color: BLUE });
  }
  return lineChart({
    series,
    title: METRIC_NAMES[metric].title,
    subtitle: options.title,
    xLabel: options.xLabel ?? 'Epochs',
    yLabel: METRIC_NAMES[metric].axis,
    width: options.width,
    height: options.height,
  });
}

// ---------------------------------------------------------------------------
// Line and dot charts
// ---------------------------------------------------------------------------

/** Dots and lines on shared axes, with reference and event lines, ticks, axis labels, a legend above the plot, and a title. */
export function lineChart(options: LineChartOptions): string {
  const { series, logX = false, logY = false } = options;
  const references = options.references ?? [];
  const events = options.events ?? [];
  const W = options.width ?? 640;
  const H = options.height ?? 480;
  checkSize('lineChart', W, H);
  if (series.length === 0) throw new Error('lineChart: no series to draw');
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`lineChart: series '${s.label}' has ${s.x.length} x values but ${s.y.length} y values`);
    if (s.x.length === 0) throw new Error(`lineChart: series '${s.label}' has no points`);
    if (s.style !== 'dots' && s.style !== 'line') throw new Error(`lineChart: series '${s.label}' has style '${String(s.style)}'; known: dots, line`);
    if (s.marker !== undefined && !MARKERS.includes(s.marker)) throw new Error(`lineChart: series '${s.label}' has marker '${String(s.marker)}'; known: ${MARKERS.join(', ')}`);
    checkFinite(s.x, `lineChart: series '${s.label}' x`);
    checkFinite(s.y, `lineChart: series '${s.label}' y`);
    for (const [axis, values, log] of [['x', s.x, logX], ['y', s.y, logY]] as const) {
      const i = log ? values.findIndex((v) => v <= 0) : -1;
      if (i >= 0) throw new Error(`lineChart: series '${s.label}' has ${axis} = ${values[i]} at index ${i}, but a log-scale axis needs values > 0`);
    }
  }
  references.forEach((r, i) => {
    if (!Number.isFinite(r.y) || (logY && r.y <= 0)) throw new Error(`lineChart: reference line '${r.label}' (${i}) has y = ${r.y}${logY ? ', but a log-scale axis needs values > 0' : ''}`);
  });
  events.forEach((e, i) => {
    if (!Number.isFinite(e.x) || (logX && e.x <= 0)) throw new Error(`lineChart: event line '${e.label}' (${i}) has x = ${e.x}${logX ? ', but a log-scale axis needs values > 0' : ''}`);
  });

  // The legend's rows decide where the plot starts.
  const items = legendItems(series, references);
  const rows = legendRows(items, W - 2 * 14);
  const titleBottom = 14 + TITLE_SIZE + (options.subtitle ? 6 + SUBTITLE_SIZE : 0);
  const legendTop = titleBottom + 10;
  const eventRoom = events.length > 0 ? TICK_SIZE + 6 : 0;
  const top = legendTop + rows.length * LEGEND_ROW + 8 + eventRoom;
  const bottom = TICK_LENGTH + 4 + TICK_SIZE + 12 + LABEL_SIZE + 12;
  const plotH = H - top - bottom;

  // y ticks first: their labels decide the left margin.
  const ys = [...series.flatMap((s) => [...s.y]), ...references.map((r) => r.y)];
  const xs = [...series.flatMap((s) => [...s.x]), ...events.map((e) => e.x)];
  const yTarget = Math.max(2, Math.round(plotH / 55));
  const yAxis = logY ? logAxis(Math.min(...ys), Math.max(...ys), yTarget) : linearAxis(Math.min(...ys), Math.max(...ys), yTarget, false);
  const yLabelWidth = Math.max(...yAxis.labels.map((l) => textWidth(l.plain, TICK_SIZE)));
  const left = 14 + LABEL_SIZE + 10 + yLabelWidth + TICK_LENGTH + 4;
  const right = 24;
  const plotW = W - left - right;
  if (plotH < 60 || plotW < 60) throw new Error(`lineChart: a ${W} × ${H} figure leaves no room for the plot`);

  // x ticks: as many as fit without the labels touching; whole numbers when every x is one (epochs).
  const integerX = series.every((s) => s.x.every((v) => Number.isInteger(v)));
  const xAxisFor = (target: number): Axis => (logX ? logAxis(Math.min(...xs), Math.max(...xs), target) : linearAxis(Math.min(...xs), Math.max(...xs), target, integerX));
  let xAxis = xAxisFor(Math.max(2, Math.floor(plotW / 70)));
  for (let target = Math.floor(plotW / 70) - 1; target >= 1; target--) {
    const widest = Math.max(...xAxis.labels.map((l) => textWidth(l.plain, TICK_SIZE)));
    if (plotW / Math.max(1, xAxis.ticks.length - 1) >= widest + 16) break;
    xAxis = xAxisFor(target);
  }

  const px = scale(xAxis, left, left + plotW);
  const py = scale(yAxis, top + plotH, top);
  const out: string[] = [];
  out.push(svgOpen(W, H, options.title));
  out.push(titleBlock(options.title, options.subtitle, left + plotW / 2));
  // Aligned with the plot when every row fits beside the y axis, else with the figure's edge.
  const widest = Math.max(...rows.map((row) => row.reduce((w, item) => w + item.width, 0)));
  out.push(legend(rows, widest <= W - left - 14 ? left : 14, legendTop));

  // Grid, frame, ticks.
  out.push(`<g stroke="#e6e6e6" stroke-width="1">`);
  for (const t of xAxis.ticks) out.push(`<line x1="${n(px(t))}" y1="${n(top)}" x2="${n(px(t))}" y2="${n(top + plotH)}"/>`);
  for (const t of yAxis.ticks) out.push(`<line x1="${n(left)}" y1="${n(py(t))}" x2="${n(left + plotW)}" y2="${n(py(t))}"/>`);
  out.push('</g>');
  out.push(frameAndTicks(xAxis, yAxis, px, py, left, top, plotW, plotH));
  out.push(axisLabels(options.xLabel, options.yLabel, left, top, plotW, plotH, H));

  // Reference and event lines under the data.
  for (const r of references) {
    const y = n(py(r.y));
    out.push(`<line class="reference" data-value="${r.y}" x1="${n(left)}" y1="${y}" x2="${n(left + plotW)}" y2="${y}" stroke="${escapeXml(r.color ?? GREY)}" stroke-width="1.5" stroke-dasharray="${escapeXml(r.dash ?? '4 3')}"/>`);
  }
  for (const e of events) {
    const x = px(e.x);
    out.push(`<line class="event" data-value="${e.x}" x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(top + plotH)}" stroke="#444444" stroke-width="1" stroke-dasharray="2 3"/>`);
    const anchor = x > left + plotW - 60 ? 'end' : x < left + 60 ? 'start' : 'middle';
    out.push(`<text class="event-label" x="${n(x)}" y="${n(top - 5)}" font-size="${TICK_SIZE}" fill="#444444" text-anchor="${anchor}">${escapeXml(e.label)}</text>`);
  }

  // Data, inside the plot area by construction (the axes cover every value).
  const marked = series.filter((s) => markerOf(s) !== null);
  series.forEach((s) => {
    const color = escapeXml(s.color);
    const marker = markerOf(s);
    if (s.style === 'line') {
      const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
      if (s.x.length === 1) {
        // A one-point line is invisible; draw a short horizontal tick so the series still shows.
        out.push(`<line class="series line" x1="${n(px(s.x[0]) - 10)}" y1="${n(py(s.y[0]))}" x2="${n(px(s.x[0]) + 10)}" y2="${n(py(s.y[0]))}" stroke="${color}" stroke-width="2"${dash}/>`);
      } else {
        const points = s.x.map((x, i) => `${n(px(x))},${n(py(s.y[i]))}`).join(' ');
        out.push(`<polyline class="series line" points="${points}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"${dash}/>`);
      }
    }
    if (marker !== null) {
      // On lines, markers every few points, shifted from one series to the next so that lines on top of each other show all of theirs.
      const every = s.style === 'dots' ? 1 : Math.max(1, Math.ceil(s.x.length / LINE_MARKERS));
      const phase = s.style === 'dots' ? 0 : Math.floor((marked.indexOf(s) * every) / Math.max(1, marked.length));
      out.push(`<g class="series ${s.style === 'dots' ? 'dots' : 'markers'}" fill="${color}" stroke="${color}">`);
      for (let i = Math.min(phase, s.x.length - 1); i < s.x.length; i += every) out.push(markerSvg(marker, px(s.x[i]), py(s.y[i])));
      out.push('</g>');
    }
  });

  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The marker a series draws, or null for a plain line. */
function markerOf(s: Series): MarkerShape | null {
  return s.marker ?? (s.style === 'dots' ? 'circle' : null);
}

/** One marker centred at (x, y); dots keep the class `dot`. */
function markerSvg(shape: MarkerShape, x: number, y: number): string {
  const r = DOT_RADIUS;
  switch (shape) {
    case 'circle': return `<circle class="dot" cx="${n(x)}" cy="${n(y)}" r="${r}"/>`;
    case 'square': return `<rect class="dot" x="${n(x - r * 0.9)}" y="${n(y - r * 0.9)}" width="${n(r * 1.8)}" height="${n(r * 1.8)}"/>`;
    case 'triangle': return `<path class="dot" d="M${n(x)} ${n(y - r * 1.2)}L${n(x + r * 1.1)} ${n(y + r * 0.8)}L${n(x - r * 1.1)} ${n(y + r * 0.8)}Z"/>`;
    case 'diamond': return `<path class="dot" d="M${n(x)} ${n(y - r * 1.3)}L${n(x + r)} ${n(y)}L${n(x)} ${n(y + r * 1.3)}L${n(x - r)} ${n(y)}Z"/>`;
    case 'cross': return `<path class="dot" d="M${n(x - r)} ${n(y - r)}L${n(x + r)} ${n(y + r)}M${n(x - r)} ${n(y + r)}L${n(x + r)} ${n(y - r)}" fill="none" stroke-width="1.8"/>`;
  }
}

// ---------------------------------------------------------------------------
// The legend, in rows above the plot
// ---------------------------------------------------------------------------

interface LegendItem {
  label: string;
  color: string;
  /** A line sample, with this dash pattern ('' solid); none for dots. */
  line: string | null;
  marker: MarkerShape | null;
  width: number;
}

function legendItems(series: readonly Series[], references: readonly ReferenceLine[]): LegendItem[] {
  const width = (label: string): number => LEGEND_SAMPLE + 6 + textWidth(label, LEGEND_SIZE) + 18;
  return [
    ...series.map((s) => ({ label: s.label, color: s.color, line: s.style === 'line' ? (s.dash ?? '') : null, marker: markerOf(s), width: width(s.label) })),
    ...references.map((r) => ({ label: r.label, color: r.color ?? GREY, line: r.dash ?? '4 3', marker: null, width: width(r.label) })),
  ];
}

/** Items laid left to right in rows no wider than `room`. */
function legendRows(items: readonly LegendItem[], room: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let used = Infinity;
  for (const item of items) {
    if (used + item.width > room) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(item);
    used += item.width;
  }
  return rows;
}

function legend(rows: readonly LegendItem[][], x0: number, y0: number): string {
  const out = ['<g class="legend">'];
  rows.forEach((row, r) => {
    const cy = y0 + r * LEGEND_ROW + LEGEND_ROW / 2;
    let x = x0;
    for (const item of row) {
      const color = escapeXml(item.color);
      if (item.line !== null) {
        const dash = item.line ? ` stroke-dasharray="${escapeXml(item.line)}"` : '';
        out.push(`<line x1="${n(x)}" y1="${n(cy)}" x2="${n(x + LEGEND_SAMPLE)}" y2="${n(cy)}" stroke="${color}" stroke-width="1.5"${dash}/>`);
      }
      if (item.marker !== null) out.push(`<g fill="${color}" stroke="${color}">${markerSvg(item.marker, x + LEGEND_SAMPLE / 2, cy).replace('class="dot" ', '')}</g>`);
      out.push(`<text class="legend-label" x="${n(x + LEGEND_SAMPLE + 6)}" y="${n(cy + LEGEND_SIZE * 0.35)}" font-size="${LEGEND_SIZE}">${escapeXml(item.label)}</text>`);
      x += item.width;
    }
  });
  out.push('</g>');
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// Heatmap
// ---------------------------------------------------------------------------

/** A [rows, cols] grid of coloured cells (row 0 at the top) with a colour scale on the right. */
export function heatmap(options: HeatmapOptions): string {
  const { values, rows, cols } = options;
  const W = options.width ?? 640;
  const H = options.height ?? 480;
  checkSize('heatmap', W, H);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`heatmap: rows and cols must be positive integers, got ${rows} × ${cols}`);
  }
  if (values.length !== rows * cols) throw new Error(`heatmap: ${rows} × ${cols} needs ${rows * cols} values, got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`heatmap: values has ${values[i]} at index ${i} (row ${Math.floor(i / cols)}, col ${i % cols})`);
    }
  }

  // Colour domain: given, or the data's range; symmetric around zero for signed data (diverging map).
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (options.domain) {
    [lo, hi] = options.domain;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) throw new Error(`heatmap: domain must be two finite numbers, low < high, got [${lo}, ${hi}]`);
  }
  const diverging = lo < 0 && hi > 0;
  if (diverging && !options.domain) {
    const m = Math.max(-lo, hi);
    [lo, hi] = [-m, m];
  }
  if (!(hi > lo)) [lo, hi] = widen(lo, hi);
  const colorOf = (v: number): string => (diverging ? divergingColor : viridisColor)(Math.round(clamp01((v - lo) / (hi - lo)) * LEVELS) / LEVELS);

  const scaleAxis = linearAxis(lo, hi, 6, false);
  const scaleTicks = scaleAxis.ticks.map((t, i) => ({ t, label: scaleAxis.labels[i] })).filter(({ t }) => t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo));

  const marks = options.marks;
  if (marks) {
    const bad = marks.cols.find((c) => !Number.isInteger(c) || c < 0 || c >= cols);
    if (bad !== undefined) throw new Error(`heatmap: marked column ${bad} is not a column of 0 … ${cols - 1}`);
  }
  const top = 14 + TITLE_SIZE + 16 + (marks ? TICK_SIZE + 8 : 0);
  const bottom = TICK_LENGTH + 4 + TICK_SIZE + 12 + LABEL_SIZE + 12;
  const plotH = H - top - bottom;
  const rowAxis = indexAxis(rows, Math.max(2, Math.floor(plotH / 40)));
  // Whole-pixel plot edges, so that the cells (on whole pixels too) meet the frame exactly.
  const left = Math.ceil(14 + LABEL_SIZE + 10 + Math.max(...rowAxis.labels.map((l) => textWidth(l.plain, TICK_SIZE))) + TICK_LENGTH + 4);
  const barWidth = 14;
  const right = Math.ceil(18 + barWidth + TICK_LENGTH + 4 + Math.max(...scaleTicks.map((s) => textWidth(s.label.plain, TICK_SIZE))) + 14);
  const plotW = W - left - right;
  if (plotH < 40 || plotW < 40) throw new Error(`heatmap: a ${W} × ${H} figure leaves no room for the plot`);
  let colAxis = indexAxis(cols, Math.max(2, Math.floor(plotW / 70)));
  for (let target = Math.floor(plotW / 70) - 1; target >= 1; target--) {
    const widest = Math.max(...colAxis.labels.map((l) => textWidth(l.plain, TICK_SIZE)));
    const spacing = colAxis.ticks.length > 1 ? ((colAxis.ticks[1] - colAxis.ticks[0]) * plotW) / cols : plotW;
    if (spacing >= widest + 16) break;
    colAxis = indexAxis(cols, target);
  }

  const cellW = plotW / cols;
  const cellH = plotH / rows;
  const out: string[] = [];
  out.push(svgOpen(W, H, options.title));
  out.push(titleBlock(options.title, undefined, left + plotW / 2));

  // Cells: colours quantised to LEVELS steps of the map; runs of one colour along a row are
  // one rectangle, and all rectangles of a colour one path (a long sequence stays a small file).
  const paths = new Map<string, string[]>();
  for (let r = 0; r < rows; r++) {
    let start = 0;
    let color = colorOf(values[r * cols]);
    for (let c = 1; c <= cols; c++) {
      const next = c < cols ? colorOf(values[r * cols + c]) : '';
      if (next === color) continue;
      // Edges on whole pixels, shared by neighbours: no seams between cells with crispEdges.
      const [x0, x1] = [Math.round(left + start * cellW), Math.round(left + c * cellW)];
      const [y0, y1] = [Math.round(top + r * cellH), Math.round(top + (r + 1) * cellH)];
      const d = `M${x0} ${y0}h${x1 - x0}v${y1 - y0}h${x0 - x1}z`;
      const list = paths.get(color);
      if (list) list.push(d);
      else paths.set(color, [d]);
      start = c;
      color = next;
    }
  }
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (const [color, d] of paths) out.push(`<path fill="${color}" d="${d.join('')}"/>`);
  out.push('</g>');
  out.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(plotW)}" height="${n(plotH)}" fill="none" stroke="black" stroke-width="1"/>`);

  if (marks) {
    // A downward triangle above each marked column, and what the triangles mean at the left.
    out.push(`<g class="marks" fill="#d62728">`);
    for (const c of marks.cols) {
      const x = left + (c + 0.5) * cellW;
      out.push(`<path class="mark" data-value="${c}" d="M${n(x - 5)} ${n(top - 9)}L${n(x + 5)} ${n(top - 9)}L${n(x)} ${n(top - 2)}Z"/>`);
    }
    out.push('</g>');
    out.push(`<text class="marks-label" x="${n(left)}" y="${n(top - 13)}" font-size="${TICK_SIZE}" fill="#d62728">▼ ${escapeXml(marks.label)}</text>`);
  }

  // Index ticks at cell centres.
  const ticks: string[] = [`<g class="ticks" stroke="black" stroke-width="1">`];
  const labels: string[] = [`<g class="tick-labels" font-size="${TICK_SIZE}" fill="black">`];
  colAxis.ticks.forEach((t, i) => {
    const x = left + (t + 0.5) * cellW;
    ticks.push(`<line class="tick x" data-value="${t}" x1="${n(x)}" y1="${n(top + plotH)}" x2="${n(x)}" y2="${n(top + plotH + TICK_LENGTH)}"/>`);
    labels.push(`<text x="${n(x)}" y="${n(top + plotH + TICK_LENGTH + 4 + TICK_SIZE)}" text-anchor="middle">${colAxis.labels[i].svg}</text>`);
  });
  rowAxis.ticks.forEach((t, i) => {
    const y = top + (t + 0.5) * cellH;
    ticks.push(`<line class="tick y" data-value="${t}" x1="${n(left - TICK_LENGTH)}" y1="${n(y)}" x2="${n(left)}" y2="${n(y)}"/>`);
    labels.push(`<text x="${n(left - TICK_LENGTH - 4)}" y="${n(y + TICK_SIZE * 0.35)}" text-anchor="end">${rowAxis.labels[i].svg}</text>`);
  });
  out.push(...ticks, '</g>', ...labels, '</g>');
  out.push(axisLabels(options.xLabel, options.yLabel, left, top, plotW, plotH, H));

  // Colour scale: a column of bands from hi (top) to lo (bottom), with ticks.
  const barX = left + plotW + 18;
  const bands = 64;
  out.push(`<g class="color-scale" shape-rendering="crispEdges">`);
  for (let k = 0; k < bands; k++) {
    const f = 1 - (k + 0.5) / bands;
    out.push(`<rect x="${n(barX)}" y="${n(top + (k * plotH) / bands)}" width="${barWidth}" height="${n(plotH / bands + 0.5)}" fill="${(diverging ? divergingColor : viridisColor)(f)}"/>`);
  }
  out.push('</g>');
  out.push(`<rect x="${n(barX)}" y="${n(top)}" width="${barWidth}" height="${n(plotH)}" fill="none" stroke="black" stroke-width="1"/>`);
  out.push(`<g class="color-scale-ticks" stroke="black" stroke-width="1">`);
  for (const { t } of scaleTicks) {
    const y = top + plotH - ((t - lo) / (hi - lo)) * plotH;
    out.push(`<line class="tick scale" data-value="${t}" x1="${n(barX + barWidth)}" y1="${n(y)}" x2="${n(barX + barWidth + TICK_LENGTH)}" y2="${n(y)}"/>`);
  }
  out.push('</g>', `<g font-size="${TICK_SIZE}" fill="black">`);
  for (const { t, label } of scaleTicks) {
    const y = top + plotH - ((t - lo) / (hi - lo)) * plotH;
    out.push(`<text x="${n(barX + barWidth + TICK_LENGTH + 4)}" y="${n(y + TICK_SIZE * 0.35)}">${label.svg}</text>`);
  }
  out.push('</g>', '</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Ticks
// ---------------------------------------------------------------------------

interface TickLabel {
  /** SVG content (may hold a superscript tspan). */
  svg: string;
  /** The same text without markup, for measuring. */
  plain: string;
}

interface Axis {
  /** The axis runs from the first tick to the last. */
  ticks: number[];
  labels: TickLabel[];
  log: boolean;
}

/**
 * Nice round ticks (1, 2 or 5 × 10^k apart) that cover [lo, hi]: the first is ≤ lo and
 * the last ≥ hi. About `target` intervals; with `integer`, the step is a whole number.
 * A zero-width range is widened around its value.
 */
export function linearTicks(lo: number, hi: number, target: number, integer = false): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new Error(`linearTicks: need finite lo ≤ hi, got [${lo}, ${hi}]`);
  if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) [lo, hi] = widen(lo, hi);
  let step = niceStep((hi - lo) / Math.max(1, target));
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(clean(k * step));
  return ticks;
}

/**
 * Powers of ten that cover [lo, hi] (lo > 0): 10^a ≤ lo, 10^b ≥ hi, at least two of them,
 * every `k`-th decade when there are more than `target` decades.
 */
export function logTicks(lo: number, hi: number, target: number): number[] {
  if (!(lo > 0) || !Number.isFinite(hi) || lo > hi) throw new Error(`logTicks: need 0 < lo ≤ hi, got [${lo}, ${hi}]`);
  let a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (a === b) {
    a -= 1;
    b += 1;
  }
  const k = Math.max(1, Math.ceil((b - a) / Math.max(1, target)));
  a = Math.floor(a / k) * k;
  b = Math.ceil(b / k) * k;
  const ticks: number[] = [];
  for (let e = a; e <= b; e += k) ticks.push(Number(`1e${e}`));
  return ticks;
}

function linearAxis(lo: number, hi: number, target: number, integer: boolean): Axis {
  const ticks = linearTicks(lo, hi, target, integer);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  return { ticks, labels: formatLinear(ticks, step), log: false };
}

function logAxis(lo: number, hi: number, target: number): Axis {
  const ticks = logTicks(lo, hi, target);
  const labels = ticks.map((t) => {
    const e = Math.round(Math.log10(t));
    const exponent = e < 0 ? `\u2212${-e}` : String(e);
    return { svg: `10<tspan dy="-6" font-size="${TICK_SIZE - 2}">${exponent}</tspan>`, plain: `10${exponent}` };
  });
  return { ticks, labels, log: true };
}

/** Ticks for 0-based indices 0 … count−1 (cells), all inside the range: at least two when there are two cells. */
function indexAxis(count: number, target: number): Axis {
  const inside = (k: number): number[] => linearTicks(0, Math.max(1, count - 1), k, true).filter((t) => t >= 0 && t <= count - 1);
  let ticks = inside(target);
  // A round step can overshoot the last cell and leave one tick; a finer step keeps two.
  for (let k = target + 1; ticks.length < 2 && count > 1 && k <= count; k++) ticks = inside(k);
  return { ticks, labels: formatLinear(ticks, 1), log: false };
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  return clean((f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude);
}

/** Labels with just enough decimals for the step; exponent form for very large or very small ticks; a true minus sign. */
function formatLinear(ticks: readonly number[], step: number): TickLabel[] {
  const biggest = Math.max(...ticks.map(Math.abs));
  const exponential = biggest >= 1e6 || (biggest > 0 && step < 1e-4);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return ticks.map((t) => {
    let text: string;
    if (t === 0 && exponential) text = '0';
    else if (exponential) {
      const digits = Math.max(0, Math.floor(Math.log10(Math.abs(t)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
      text = t.toExponential(Math.min(digits, 15)).replace(/\.?0+e/, 'e').replace('e+', 'e');
    } else text = t.toFixed(decimals);
    text = text.replace('-', '\u2212');
    return { svg: escapeXml(text), plain: text };
  });
}

// ---------------------------------------------------------------------------
// Pieces shared by the charts
// ---------------------------------------------------------------------------

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const f = axis.log ? Math.log10 : (v: number) => v;
  const lo = f(axis.ticks[0]);
  const hi = f(axis.ticks[axis.ticks.length - 1]);
  const sign = to > from ? 1 : -1;
  const a = from + sign * INSET;
  const b = to - sign * INSET;
  return (v) => a + ((f(v) - lo) / (hi - lo)) * (b - a);
}

function svgOpen(W: number, H: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`,
  ].join('\n');
}

function titleBlock(title: string, subtitle: string | undefined, cx: number): string {
  const lines = [`<text class="title" x="${n(cx)}" y="${14 + TITLE_SIZE}" font-size="${TITLE_SIZE}" text-anchor="middle">${escapeXml(title)}</text>`];
  if (subtitle) {
    lines.push(`<text class="subtitle" x="${n(cx)}" y="${14 + TITLE_SIZE + 6 + SUBTITLE_SIZE}" font-size="${SUBTITLE_SIZE}" fill="#555555" text-anchor="middle">${escapeXml(subtitle)}</text>`);
  }
  return lines.join('\n');
}

function frameAndTicks(
  xAxis: Axis, yAxis: Axis, px: (v: number) => number, py: (v: number) => number,
  left: number, top: number, plotW: number, plotH: number,
): string {
  const out: string[] = [];
  out.push(`<rect class="frame" x="${n(left)}" y="${n(top)}" width="${n(plotW)}" height="${n(plotH)}" fill="none" stroke="black" stroke-width="1"/>`);
  out.push(`<g class="ticks" stroke="black" stroke-width="1">`);
  for (const t of xAxis.ticks) {
    out.push(`<line class="tick x" data-value="${t}" x1="${n(px(t))}" y1="${n(top + plotH)}" x2="${n(px(t))}" y2="${n(top + plotH + TICK_LENGTH)}"/>`);
  }
  for (const t of yAxis.ticks) {
    out.push(`<line class="tick y" data-value="${t}" x1="${n(left - TICK_LENGTH)}" y1="${n(py(t))}" x2="${n(left)}" y2="${n(py(t))}"/>`);
  }
  // Minor ticks at 2…9 × 10^k, as matplotlib draws them, on a log axis that labels every decade.
  for (const t of minorTicks(yAxis)) out.push(`<line class="minor" x1="${n(left - TICK_LENGTH / 2)}" y1="${n(py(t))}" x2="${n(left)}" y2="${n(py(t))}"/>`);
  for (const t of minorTicks(xAxis)) out.push(`<line class="minor" x1="${n(px(t))}" y1="${n(top + plotH)}" x2="${n(px(t))}" y2="${n(top + plotH + TICK_LENGTH / 2)}"/>`);
  out.push('</g>');
  out.push(`<g class="tick-labels" font-size="${TICK_SIZE}" fill="black">`);
  xAxis.ticks.forEach((t, i) => {
    out.push(`<text x="${n(px(t))}" y="${n(top + plotH + TICK_LENGTH + 4 + TICK_SIZE)}" text-anchor="middle">${xAxis.labels[i].svg}</text>`);
  });
  yAxis.ticks.forEach((t, i) => {
    out.push(`<text x="${n(left - TICK_LENGTH - 4)}" y="${n(py(t) + TICK_SIZE * 0.35)}" text-anchor="end">${yAxis.labels[i].svg}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

function axisLabels(xLabel: string, yLabel: string, left: number, top: number, plotW: number, plotH: number, H: number): string {
  const yx = 14 + LABEL_SIZE;
  const yy = top + plotH / 2;
  return [
    `<text class="x-label" x="${n(left + plotW / 2)}" y="${n(H - 12)}" font-size="${LABEL_SIZE}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text class="y-label" x="${n(yx)}" y="${n(yy)}" font-size="${LABEL_SIZE}" text-anchor="middle" transform="rotate(-90 ${n(yx)} ${n(yy)})">${escapeXml(yLabel)}</text>`,
  ].join('\n');
}

/** 2…9 × 10^k between the ticks of a log axis whose every decade is labelled; none otherwise. */
function minorTicks(axis: Axis): number[] {
  if (!axis.log || axis.ticks.length < 2 || Math.log10(axis.ticks[1] / axis.ticks[0]) > 1.5) return [];
  return axis.ticks.slice(0, -1).flatMap((t) => [2, 3, 4, 5, 6, 7, 8, 9].map((m) => t * m));
}

// ---------------------------------------------------------------------------
// Colour maps
// ---------------------------------------------------------------------------

/** matplotlib's viridis at nine evenly spaced points, for data of one sign. */
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** A blue–white–red map (ColorBrewer RdBu reversed) for signed data; white is zero. */
const DIVERGING = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43]];

function viridisColor(f: number): string {
  return interpolate(VIRIDIS, f);
}

function divergingColor(f: number): string {
  return interpolate(DIVERGING, f);
}

function interpolate(stops: readonly number[][], f: number): string {
  const at = clamp01(f) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(at));
  const u = at - i;
  const hex = (k: number): string => Math.round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * u).toString(16).padStart(2, '0');
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Text as XML character data or an attribute value: the five special characters escaped, characters XML forbids dropped. */
export function escapeXml(text: string): string {
  return String(text)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function checkFinite(values: readonly number[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) throw new Error(`${what} has ${values[i]} at index ${i}`);
  }
}

function checkSize(where: string, W: number, H: number): void {
  if (!Number.isFinite(W) || !Number.isFinite(H) || W <= 0 || H <= 0) throw new Error(`${where}: width and height must be positive, got ${W} × ${H}`);
}

/** An interval around a single value: ±10 % of it, or ±1 around zero. */
function widen(lo: number, hi: number): [number, number] {
  const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - d, hi + d];
}

/** Rounds away binary noise (0.1 · 3 → 0.3) and −0. */
function clean(v: number): number {
  return Number(v.toPrecision(12)) + 0;
}

function clamp01(f: number): number {
  return f < 0 ? 0 : f > 1 ? 1 : f;
}

/** A pixel coordinate with two decimals; a non-finite one is a bug here, not in the data. */
function n(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`plot: internal error, a coordinate is ${v}`);
  return String(Math.round(v * 100) / 100);
}

/** A width estimate for DejaVu Sans (a little generous for Helvetica and Arial), in pixels at `size` px. */
function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) {
    if (/[ilj.,:;'|!()[\]{} ]/.test(ch)) em += 0.34;
    else if (/[mwMW@%]/.test(ch)) em += 0.9;
    else if (/[0-9]/.test(ch)) em += 0.64;
    else if (/[A-Z]/.test(ch)) em += 0.7;
    else em += 0.6;
  }
  return em * size;
}
