/**
 * The gate lab's page: reads the controls, sends them to the worker
 * (worker.ts), and draws what comes back with Unrolled's own plots
 * (lib/plot.ts): the loss curve against the task's baseline, ‖∂L/∂h_t‖
 * against the distance from the last step for each cell tried, and one
 * heatmap per gate and state of one sequence.
 *
 * The worker's code is part of this script (WORKER_SOURCE, inlined by
 * build.ts) and starts from a blob URL, so the lab runs from any static
 * host and from the files themselves, without cross-origin isolation.
 */
import { heatmap, lineChart, type MarkerShape, type Series } from '../lib/plot.ts';
import type { CellName, Flow, FromWorker, Heat, LabSettings, ToWorker, Trace } from './protocol.ts';
import type { TaskName } from '../examples/tasks.ts';

declare const WORKER_SOURCE: string;

/** Each cell's colour, dash pattern and marker, as on explain.html. */
const LOOK: Record<CellName, { color: string; dash?: string; marker: MarkerShape }> = {
  SimpleRNN: { color: '#d62728', marker: 'circle' },
  LSTM: { color: '#1f77b4', dash: '7 3', marker: 'square' },
  GRU: { color: '#2ca02c', dash: '2 2', marker: 'triangle' },
};

const NAMES: Record<string, string> = {
  i: 'input gate i', f: 'forget gate f', g: 'candidate g', o: 'output gate o', c: 'cell state c', h: 'state h',
  z: 'update gate z', r: 'reset gate r', hh: 'candidate ĥ',
};
/** Traced activations that are sigmoids, drawn on the fixed scale [0, 1]. */
const GATES = new Set(['i', 'f', 'o', 'z', 'r']);

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const ui = {
  task: element<HTMLSelectElement>('task'),
  taskText: element<HTMLParagraphElement>('task-text'),
  cell: element<HTMLSelectElement>('cell'),
  units: element<HTMLInputElement>('units'),
  length: element<HTMLInputElement>('length'),
  seed: element<HTMLInputElement>('seed'),
  lr: element<HTMLInputElement>('lr'),
  every: element<HTMLInputElement>('every'),
  stop: element<HTMLInputElement>('stop'),
  train: element<HTMLButtonElement>('train'),
  step: element<HTMLButtonElement>('step'),
  reset: element<HTMLButtonElement>('reset'),
  save: element<HTMLButtonElement>('save'),
  status: element<HTMLParagraphElement>('status'),
  error: element<HTMLParagraphElement>('error'),
  lossChart: element<HTMLElement>('loss-chart'),
  flowChart: element<HTMLElement>('flow-chart'),
  sequence: element<HTMLSelectElement>('sequence'),
  answer: element<HTMLSpanElement>('answer'),
  heatmaps: element<HTMLDivElement>('heatmaps'),
  drop: element<HTMLLabelElement>('drop'),
  files: element<HTMLInputElement>('files'),
  modelInfo: element<HTMLParagraphElement>('model-info'),
  input: element<HTMLTextAreaElement>('input'),
  inputHint: element<HTMLSpanElement>('input-hint'),
  traceButton: element<HTMLButtonElement>('trace'),
  prediction: element<HTMLParagraphElement>('prediction'),
  traceHeatmaps: element<HTMLDivElement>('trace-heatmaps'),
  traceDetails: element<HTMLDetailsElement>('trace-details'),
  traceJson: element<HTMLPreElement>('trace-json'),
};

const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' })));
function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

/** What the page knows of the current run. */
const state = {
  settings: null as LabSettings | null,
  baseline: 0,
  baselineText: '',
  running: false,
  step: 0,
  /** The latest gradient flow of each cell trained in this page (step > 0), for comparison. */
  flows: new Map<CellName, Flow & { T: number }>(),
  /** The current run's flow, drawn also before its first step. */
  flow: null as (Flow & { T: number }) | null,
  /** The step the current run pauses at by itself. */
  stopAt: 0,
  /** When the run started or resumed, for the rate: [time ms, step]. */
  since: [0, 0] as [number, number],
};

// ---------------------------------------------------------------- controls

/** A number field's value, checked against its own min and max; null (and the field marked) when it is not one. */
function numberOf(input: HTMLInputElement, integer: boolean): number | null {
  const v = Number(input.value);
  const ok = input.value.trim() !== '' && Number.isFinite(v) && (!integer || Number.isInteger(v))
    && v >= Number(input.min) && v <= Number(input.max);
  input.setAttribute('aria-invalid', ok ? 'false' : 'true');
  return ok ? v : null;
}

function readSettings(): LabSettings | null {
  const fields: Array<[HTMLInputElement, boolean, string]> = [
    [ui.units, true, 'hidden units'], [ui.length, true, 'length'], [ui.seed, true, 'seed'],
    [ui.lr, false, 'learning rate'], [ui.every, true, 'redraw interval'], [ui.stop, true, 'stop step'],
  ];
  const values = fields.map(([input, integer]) => numberOf(input, integer));
  const bad = fields.filter((_, i) => values[i] === null).map(([input, , name]) => `${name} (${input.min} … ${input.max})`);
  if (bad.length > 0) {
    showError(`Check ${bad.join(', ')}.`);
    return null;
  }
  showError('');
  const [units, length, seed, learningRate, every, stopAt] = values as number[];
  return {
    task: ui.task.value as TaskName, cell: ui.cell.value as CellName, units, length, seed, learningRate,
    batchSize: 32, every, stopAt, sequence: Number(ui.sequence.value),
  };
}

function showError(text: string): void {
  ui.error.textContent = text;
  ui.error.hidden = text === '';
}

function reset(): void {
  const settings = readSettings();
  if (settings) send({ type: 'reset', settings });
}

for (const input of [ui.task, ui.cell, ui.units, ui.length, ui.seed, ui.lr]) input.addEventListener('change', reset);
ui.reset.addEventListener('click', reset);
ui.train.addEventListener('click', () => {
  if (state.running) {
    send({ type: 'pause' });
    return;
  }
  const settings = readSettings();
  if (!settings) return;
  state.since = [performance.now(), state.step];
  state.stopAt = settings.stopAt;
  send({ type: 'run', stopAt: settings.stopAt, every: settings.every });
});
ui.step.addEventListener('click', () => send({ type: 'step' }));
ui.sequence.addEventListener('change', () => send({ type: 'inspect', sequence: Number(ui.sequence.value) }));
ui.save.addEventListener('click', () => send({ type: 'save' }));

// ---------------------------------------------------------------- drawing

function status(step: number, running: boolean, train: number | undefined, validation: number | undefined): void {
  const rate = running && performance.now() > state.since[0] + 500
    ? ` · ${Math.round(((step - state.since[1]) * 1000) / (performance.now() - state.since[0]))} steps/s` : '';
  const losses = validation === undefined ? 'no loss yet: press Train or Step'
    : `training loss ${train!.toFixed(4)} · validation ${validation.toFixed(4)} (${((100 * validation) / state.baseline).toFixed(1)}% of the baseline)`;
  const stop = running ? ` (stops at ${state.stopAt})` : step > 0 && step >= state.stopAt ? ', where it was set to stop' : '';
  ui.status.textContent = `${running ? 'Training' : 'Paused'} at step ${step}${stop}${rate} · ${losses}`;
  ui.status.dataset.step = String(step);
  ui.status.dataset.running = String(running);
  ui.status.dataset.baseline = String(state.baseline);
  if (validation !== undefined) ui.status.dataset.validation = String(validation);
  else delete ui.status.dataset.validation;
  ui.train.textContent = running ? 'Pause' : 'Train';
  ui.train.setAttribute('aria-pressed', String(running));
  ui.step.disabled = running;
}

function drawLoss(curve: { step: number[]; train: number[]; validation: number[] }): void {
  if (curve.step.length === 0) {
    ui.lossChart.innerHTML = '<p>The loss curve appears once the model trains.</p>';
    return;
  }
  const floor = (v: number): number => Math.max(1e-6, v);
  const series: Series[] = [
    { label: 'training', x: curve.step, y: curve.train.map(floor), style: 'line', color: '#0072b2' },
    { label: 'validation', x: curve.step, y: curve.validation.map(floor), style: 'line', color: '#d55e00', dash: '6 3', marker: 'square' },
  ];
  ui.lossChart.innerHTML = lineChart({
    title: 'Loss while training', subtitle: `baseline: ${state.baselineText}`, xLabel: 'optimisation step', yLabel: 'loss (log scale)', logY: true, series,
    references: [{ y: state.baseline, label: 'baseline', color: '#666666', dash: '4 3' }],
    width: 470, height: 290,
  });
  ui.lossChart.setAttribute('aria-label', `Loss while training: validation ${curve.validation.at(-1)!.toFixed(4)} at step ${curve.step.at(-1)}, baseline ${state.baseline.toFixed(4)}`);
}

function drawFlow(): void {
  const current = state.flow;
  const flows = [...state.flows.values()].filter((f) => f !== current);
  if (current) flows.push(current);
  const series: Series[] = flows.map((f) => ({
    label: `${f.cell}, T ${f.T}, step ${f.step}${f === current ? ' (this run)' : ''}`, x: f.distance, y: f.norm, style: 'line', ...LOOK[f.cell],
  }));
  if (series.length === 0) return;
  ui.flowChart.innerHTML = lineChart({
    title: '‖∂L/∂h_t‖ back through time', subtitle: 'steep: the cell forgets; each cell you train keeps its latest line', xLabel: 'distance from the last step (T − 1 − t)', yLabel: '‖∂L/∂h_t‖ (log scale)', logY: true, series,
    width: 470, height: 290,
  });
  ui.flowChart.setAttribute('aria-label', `Gradient of the loss reaching each step, for ${series.map((s) => s.label).join('; ')}`);
}

/** One heatmap per traced activation, with its numbers' range on the element for whoever reads the page. */
function drawHeats(container: HTMLElement, trace: Trace): void {
  const figures = trace.heats.map((h: Heat) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of h.values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const svg = heatmap({
      values: h.values, rows: h.rows, cols: h.cols,
      title: `${trace.cell} ${NAMES[h.name] ?? h.name}`, xLabel: 'timestep t', yLabel: 'unit',
      domain: GATES.has(h.name) ? [0, 1] : undefined,
      marks: trace.marks.length > 0 ? { cols: trace.marks, label: trace.marks.length > 1 ? `steps ${trace.marks.join(', ')}` : `step ${trace.marks[0]}` } : undefined,
      width: 318, height: trace.heats.length > 3 ? 190 : 230,
    });
    const figure = document.createElement('figure');
    figure.className = 'heat';
    Object.assign(figure.dataset, { name: h.name, rows: String(h.rows), cols: String(h.cols), min: String(lo), max: String(hi) });
    figure.setAttribute('role', 'img');
    figure.setAttribute('aria-label', `${NAMES[h.name] ?? h.name}: ${h.rows} units × ${h.cols} steps, values ${lo.toFixed(2)} to ${hi.toFixed(2)}`);
    figure.innerHTML = svg;
    return figure;
  });
  container.replaceChildren(...figures);
}

function describeAnswer(trace: Trace, target: number): string {
  const task = state.settings?.task;
  const p = trace.prediction;
  if (task === 'adding') return `target ${target.toFixed(3)}, prediction ${p[0].toFixed(3)}`;
  if (task === 'sign') return `first value ${target === 1 ? 'positive' : 'negative'}; the model says positive with p = ${p[0].toFixed(3)}`;
  const best = p.indexOf(Math.max(...p));
  return `symbol ${target}; the model answers ${best} (p = ${p[best].toFixed(3)})`;
}

// ---------------------------------------------------------------- saved models

function download(name: string, data: BlobPart, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function openFiles(list: FileList | null): Promise<void> {
  const files = [...(list ?? [])];
  if (files.length === 0) return;
  ui.modelInfo.textContent = `Reading ${files.map((f) => f.name).join(', ')}…`;
  const read = await Promise.all(files.map(async (f) => ({ name: f.name, data: await f.arrayBuffer() })));
  send({ type: 'open', files: read }, read.map((f) => f.data));
}

ui.files.addEventListener('change', () => void openFiles(ui.files.files));
ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  void openFiles(e.dataTransfer?.files ?? null);
});
ui.traceButton.addEventListener('click', () => send({ type: 'trace', text: ui.input.value }));

// ---------------------------------------------------------------- the worker's messages

worker.onmessage = (event: MessageEvent<FromWorker>): void => {
  const m = event.data;
  switch (m.type) {
    case 'ready':
      state.settings = m.settings;
      state.baseline = m.baseline;
      state.baselineText = m.baselineText;
      state.step = 0;
      ui.taskText.textContent = `${m.description} Baseline: ${m.baselineText}. ${m.params} weights.`;
      break;
    case 'progress': {
      state.running = m.running;
      state.step = m.step;
      const last = m.curve.step.length - 1;
      status(m.step, m.running, last >= 0 ? m.curve.train[last] : undefined, last >= 0 ? m.curve.validation[last] : undefined);
      drawLoss(m.curve);
      break;
    }
    case 'view':
      if (state.settings) {
        state.flow = { ...m.flow, T: state.settings.length };
        if (m.step > 0) state.flows.set(m.flow.cell, state.flow);
      }
      drawFlow();
      drawHeats(ui.heatmaps, m.trace);
      ui.answer.textContent = `Step ${m.step}: ${describeAnswer(m.trace, m.target)}`;
      break;
    case 'saved':
      download('model.json', m.modelJson, 'application/json');
      download('weights.bin', m.weights, 'application/octet-stream');
      break;
    case 'opened':
      ui.modelInfo.textContent = m.description;
      ui.input.disabled = false;
      ui.traceButton.disabled = false;
      ui.input.value = m.example;
      ui.inputHint.textContent = `(${m.expects})`;
      break;
    case 'traced':
      drawHeats(ui.traceHeatmaps, m.trace);
      ui.prediction.textContent = `Output: ${m.trace.prediction.map((v) => v.toFixed(4)).join(', ')} (${m.input.length} steps)`;
      ui.traceJson.textContent = JSON.stringify({ input: m.input, prediction: m.trace.prediction, trace: Object.fromEntries(m.trace.heats.map((h) => [h.name, h])) });
      ui.traceDetails.hidden = false;
      break;
    case 'error':
      showError(`${m.where}: ${m.message}`);
      if (m.where === 'open') ui.modelInfo.textContent = 'No model open.';
      // A file or an input that does not fit is the reader's to fix; anything else is a fault of the lab.
      if (m.where !== 'open' && m.where !== 'trace') console.error(`gate lab (${m.where}): ${m.message}`);
      break;
  }
};
worker.onerror = (e: ErrorEvent): void => {
  showError(`the worker failed: ${e.message}`);
  console.error(`gate lab worker: ${e.message}`);
};

reset();
