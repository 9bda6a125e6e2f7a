/**
 * The gate lab's worker: it owns the model and trains it, in chunks of a few
 * tens of milliseconds so that pause, step and reset are read between them,
 * and sends the page what to draw (protocol.ts). One thread: pages served
 * without cross-origin isolation have no SharedArrayBuffer.
 *
 * Shapes: n sequences, T timesteps, F input features, H units, O outputs.
 */
import seedrandom from 'seedrandom';
import {
  Adam, Dense, GRU, LSTM, SimpleRNN, Sequential, Tensor, clearSession, gradientFlow, loadModel, noGrad, setSeed, traceLayer,
  type Layer, type ModelArtifacts, type FusedRNN as RNN, type SaveResult, type WeightSpec,
} from '../lib/index.ts';
import { TASKS, type MemoryTask, type TaskBatch } from '../examples/tasks.ts';
import type { CellName, Curve, Flow, FromWorker, Heat, LabSettings, ToWorker, Trace } from './protocol.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

/** Sequences scored for the validation curve, and those the gradient flow is averaged over. */
const VALIDATION_SIZE = 256;
const FLOW_SIZE = 32;
/** Sequences the heatmaps can show. */
const EXAMPLES = 8;
/** Milliseconds of training between two looks at the message queue. */
const CHUNK_MS = 30;
/** Norms below this (exact zeros too) are sent as it, so that a log axis can show them. */
const FLOOR = 1e-30;

interface Run {
  settings: LabSettings;
  task: MemoryTask;
  model: Sequential;
  layer: RNN;
  dense: Dense;
  rng: () => number;
  validation: TaskBatch;
  flow: TaskBatch;
  examples: TaskBatch;
  step: number;
  lossSum: number;
  lossCount: number;
  curve: Curve;
  running: boolean;
}

let run: Run | null = null;
/** A model opened from files, traced on inputs the user types. */
type LoadedModel = Awaited<ReturnType<typeof loadModel>>;
let opened: { model: LoadedModel; layer: RNN; before: Layer[]; features: number; embedding: boolean } | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function makeLayer(cell: CellName, units: number, features: number): RNN {
  const options = { inputShape: [null, features] };
  if (cell === 'LSTM') return new LSTM(units, options);
  if (cell === 'GRU') return new GRU(units, options);
  return new SimpleRNN(units, options);
}

function reset(settings: LabSettings): void {
  const task = TASKS[settings.task];
  if (!task) throw new Error(`no task '${settings.task}'`);
  clearSession();
  setSeed(settings.seed);
  const layer = makeLayer(settings.cell, settings.units, task.features);
  const dense = new Dense(task.outputs, { activation: task.activation });
  const model = new Sequential([layer, dense]);
  model.compile({ optimizer: new Adam({ learningRate: settings.learningRate, globalClipnorm: 1 }), loss: task.loss });
  const T = settings.length;
  run = {
    settings, task, model, layer, dense,
    rng: seedrandom(`lab-${settings.seed}-train`),
    validation: task.sample(VALIDATION_SIZE, T, seedrandom(`lab-${settings.seed}-validation`)),
    flow: task.sample(FLOW_SIZE, T, seedrandom(`lab-${settings.seed}-flow`)),
    examples: task.sample(EXAMPLES, T, seedrandom(`lab-${settings.seed}-examples`)),
    step: 0, lossSum: 0, lossCount: 0,
    curve: { step: [], train: [], validation: [] },
    running: false,
  };
  post({ type: 'ready', settings, baseline: task.baseline, baselineText: task.baselineText, params: model.countParams(), description: task.description });
  post({ type: 'progress', step: 0, running: false, curve: run.curve });
  view(run);
}

/** One optimisation step on a fresh batch. */
function trainStep(r: Run): void {
  const batch = r.task.sample(r.settings.batchSize, r.settings.length, r.rng);
  r.lossSum += r.model.trainOnBatch(batch.x, batch.y);
  r.lossCount++;
  r.step++;
}

/** A point of the curves: the mean training loss since the last point, and the validation loss. */
async function record(r: Run): Promise<void> {
  const { loss } = await r.model.evaluate(r.validation.x, r.validation.y, { batchSize: VALIDATION_SIZE });
  r.curve.step.push(r.step);
  r.curve.train.push(r.lossCount > 0 ? r.lossSum / r.lossCount : loss);
  r.curve.validation.push(loss);
  r.lossSum = 0;
  r.lossCount = 0;
}

async function advance(r: Run, steps: number): Promise<void> {
  for (let k = 0; k < steps; k++) {
    trainStep(r);
    if (r.step % r.settings.every === 0) await record(r);
  }
}

/** Trains until paused, reset, or at the step to stop at; looks at the messages between chunks. */
async function loop(r: Run): Promise<void> {
  while (r.running && run === r && r.step < r.settings.stopAt) {
    const until = performance.now() + CHUNK_MS;
    let redraw = false;
    while (r.running && r.step < r.settings.stopAt && performance.now() < until) {
      trainStep(r);
      if (r.step % r.settings.every === 0) {
        await record(r);
        redraw = true;
        break;
      }
    }
    if (redraw) {
      post({ type: 'progress', step: r.step, running: true, curve: r.curve });
      view(r);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (run !== r) return;
  r.running = false;
  if (r.curve.step.at(-1) !== r.step && r.step > 0) await record(r);
  post({ type: 'progress', step: r.step, running: false, curve: r.curve });
  view(r);
}

/** [1, T, H] → [H, T]: units down, time across. */
function heatsOf(trace: Record<string, Tensor>, cell: string): Heat[] {
  const order: Record<string, string[]> = { LSTM: ['i', 'f', 'g', 'o', 'c', 'h'], GRU: ['z', 'r', 'hh', 'h'], SimpleRNN: ['h'] };
  return (order[cell] ?? Object.keys(trace)).filter((name) => name in trace).map((name) => {
    const t = trace[name];
    const [, T, H] = t.shape;
    const values = new Array<number>(H * T);
    for (let j = 0; j < H; j++) for (let s = 0; s < T; s++) values[j * T + s] = t.data[s * H + j];
    return { name, rows: H, cols: T, values };
  });
}

function cellOf(layer: RNN): CellName {
  return layer instanceof LSTM ? 'LSTM' : layer instanceof GRU ? 'GRU' : 'SimpleRNN';
}

/** Row `i` of x [n, T, F] as [1, T, F]. */
function rowOf(x: Tensor, i: number): Tensor {
  const [, T, F] = x.shape;
  return new Tensor(x.data.slice(i * T * F, (i + 1) * T * F), [1, T, F]);
}

/**
 * ‖∂L/∂h_t‖ for t = 0 … T − 1 over the flow sequences, where L is the task's
 * mean loss: the gradient reaching the recurrent layer's last output is
 * W · ∂L/∂z for the Dense layer's kernel W [H, O] and its pre-activation z
 * (∂L/∂z = 2(ŷ − y)/n for the MSE of a linear output, (p − y)/n for
 * cross-entropy behind a sigmoid or a softmax).
 */
function lossFlow(r: Run): Flow {
  const { x, y } = r.flow;
  const [n, T] = x.shape;
  const O = r.task.outputs;
  const prediction = r.model.predict(x, { batchSize: n }); // [n, O]
  const W = r.dense.weights()[0].data; // [H, O]
  const H = W.length / O;
  const g = new Tensor(new Float32Array(n * H), [n, H]);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < O; o++) {
      const p = prediction.data[b * O + o];
      const dz = r.task.loss === 'mse' ? (2 * (p - y.data[b])) / n
        : r.task.loss === 'binary_crossentropy' ? (p - y.data[b]) / n
          : (p - (o === y.data[b] ? 1 : 0)) / n;
      for (let j = 0; j < H; j++) g.data[b * H + j] += W[j * O + o] * dz;
    }
  }
  const { hGradNorm } = gradientFlow(r.layer, x, { outputGradient: g });
  const distance = Array.from({ length: T }, (_, d) => d);
  return { cell: cellOf(r.layer), step: r.step, distance, norm: distance.map((d) => Math.max(FLOOR, hGradNorm[T - 1 - d])) };
}

function view(r: Run): void {
  const k = Math.min(Math.max(0, r.settings.sequence), EXAMPLES - 1);
  const x = rowOf(r.examples.x, k);
  const per = r.task.marksPerSequence;
  const trace: Trace = {
    cell: cellOf(r.layer),
    heats: heatsOf(traceLayer(r.layer, x), cellOf(r.layer)),
    marks: Array.from(r.examples.marks.subarray(k * per, (k + 1) * per)),
    prediction: Array.from(r.model.predict(x).data),
  };
  post({ type: 'view', step: r.step, trace, target: r.examples.y.data[k], flow: lossFlow(r) });
}

// ---------------------------------------------------------------- saved models

/** The model as TF.js's model.json and one weights.bin, as `model.save(dir)` writes them in Node. */
async function save(r: Run): Promise<void> {
  let artifacts: ModelArtifacts | null = null;
  await r.model.save({
    save: async (a: ModelArtifacts): Promise<SaveResult> => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  const a = artifacts as ModelArtifacts | null;
  if (!a) throw new Error('the model gave nothing to save');
  const parts = a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData];
  const weights = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  const modelJson = JSON.stringify({
    modelTopology: a.modelTopology ?? null,
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? null,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
    ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
  });
  post({ type: 'saved', modelJson, weights: weights.buffer }, [weights.buffer]);
}

/** The artifacts of model.json and the weight files it names, chosen among `files` by name. */
function artifactsOf(files: ReadonlyArray<{ name: string; data: ArrayBuffer }>): ModelArtifacts {
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (!json) throw new Error(`no model.json among ${files.map((f) => f.name).join(', ') || 'the files'}; open model.json together with its weight files`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(json.data));
  } catch (e) {
    throw new Error(`${json.name} is not JSON: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${json.name}: expected an object { modelTopology, weightsManifest }`);
  const d = doc as { modelTopology?: unknown; weightsManifest?: unknown; format?: unknown; generatedBy?: unknown; trainingConfig?: unknown };
  const manifest = Array.isArray(d.weightsManifest) ? d.weightsManifest as Array<{ paths?: unknown; weights?: unknown }> : [];
  const specs: WeightSpec[] = [];
  const parts: ArrayBuffer[] = [];
  for (const [g, group] of manifest.entries()) {
    const paths = Array.isArray(group?.paths) ? group.paths : [];
    for (const path of paths) {
      const name = String(path).split(/[\\/]/).pop()!;
      const file = files.find((f) => f.name === name);
      if (!file) throw new Error(`${json.name} lists the weight file '${String(path)}' (group ${g}); open it together with ${json.name}`);
      parts.push(file.data);
    }
    if (Array.isArray(group?.weights)) specs.push(...(group.weights as WeightSpec[]));
  }
  const artifacts: ModelArtifacts = {
    modelTopology: d.modelTopology as ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: parts,
  };
  if (typeof d.format === 'string') artifacts.format = d.format;
  if (typeof d.generatedBy === 'string') artifacts.generatedBy = d.generatedBy;
  return artifacts;
}

function describeLayer(l: Layer): string {
  return `${l.name} (${l.className})`;
}

async function open(files: ReadonlyArray<{ name: string; data: ArrayBuffer }>): Promise<void> {
  const model = await loadModel(artifactsOf(files));
  const index = model.layers.findIndex((l) => l instanceof SimpleRNN || l instanceof LSTM || l instanceof GRU);
  if (index < 0) throw new Error(`the model has no SimpleRNN, LSTM or GRU layer to trace (its layers: ${model.layers.map(describeLayer).join(', ')})`);
  const layer = model.layers[index] as RNN;
  const before = model.layers.slice(0, index);
  const embedding = before.some((l) => l.className === 'Embedding');
  const features = layer.cellWeights!.kernel.shape[0];
  opened = { model, layer, before, features, embedding };
  const rng = seedrandom('lab-open');
  const T = 10;
  // An input to start from: an adding-problem sequence for two features, random values (or ids) otherwise.
  const adding = TASKS.adding.sample(1, T, rng).x.data; // [1, T, 2]
  const example = Array.from({ length: T }, (_, t) => (embedding ? String(1 + Math.floor(rng() * 9))
    : features === 2 ? `${adding[2 * t].toFixed(3)}, ${adding[2 * t + 1]}`
      : Array.from({ length: features }, () => (2 * rng() - 1).toFixed(3)).join(', '))).join('\n');
  post({
    type: 'opened',
    description: `${model.layers.map(describeLayer).join(' → ')}; ${model.countParams()} weights; tracing ${describeLayer(layer)}`,
    example,
    expects: embedding ? 'one token id per line' : `one timestep per line, ${features} number${features === 1 ? '' : 's'} each (commas or spaces between them)`,
  });
}

/** The typed input: one timestep per line; `features` numbers a line, or one whole id for a model that starts with an Embedding. */
function parseInput(text: string, features: number, embedding: boolean): number[][] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new Error('type at least one timestep');
  return lines.map((line, t) => {
    const row = line.split(/[\s,;]+/).filter((v) => v !== '').map(Number);
    const want = embedding ? 1 : features;
    if (row.length !== want || row.some((v) => !Number.isFinite(v))) {
      throw new Error(`line ${t + 1} ('${line}') needs ${want} number${want === 1 ? '' : 's'}, got ${row.length === want ? 'something that is not a number' : row.length}`);
    }
    if (embedding && !Number.isInteger(row[0])) throw new Error(`line ${t + 1}: a token id must be a whole number, got ${row[0]}`);
    return row;
  });
}

/** The first output of a model (a functional model may have several). */
function firstOutput(out: Tensor | readonly Tensor[]): Tensor {
  return Array.isArray(out) ? out[0] : (out as Tensor);
}

function trace(text: string): void {
  if (!opened) throw new Error('open a model first');
  const { model, layer, before, features, embedding } = opened;
  const rows = parseInput(text, features, embedding);
  const T = rows.length;
  const x = embedding ? new Tensor(Float32Array.from(rows.map((r) => r[0])), [1, T]) : new Tensor(Float32Array.from(rows.flat()), [1, T, features]);
  const input = noGrad(() => before.reduce((h, l) => l.apply(h), x));
  const result: Trace = {
    cell: cellOf(layer),
    heats: heatsOf(traceLayer(layer, input), cellOf(layer)),
    marks: features === 2 && !embedding ? rows.flatMap((r, t) => (r[1] === 1 ? [t] : [])) : [],
    prediction: Array.from(firstOutput(model.predict(x)).data),
  };
  post({ type: 'traced', trace: result, input: rows });
}

// ---------------------------------------------------------------- messages

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'reset': reset(message.settings); break;
    case 'run': {
      if (!run || run.running) return;
      run.settings = { ...run.settings, stopAt: message.stopAt, every: message.every };
      if (run.step >= run.settings.stopAt) {
        post({ type: 'progress', step: run.step, running: false, curve: run.curve });
        return;
      }
      run.running = true;
      post({ type: 'progress', step: run.step, running: true, curve: run.curve });
      await loop(run);
      break;
    }
    case 'pause': if (run) run.running = false; break;
    case 'step': {
      if (!run || run.running) return;
      await advance(run, 1);
      post({ type: 'progress', step: run.step, running: false, curve: run.curve });
      view(run);
      break;
    }
    case 'inspect': {
      if (!run) return;
      run.settings = { ...run.settings, sequence: message.sequence };
      if (!run.running) view(run);
      break;
    }
    case 'save': if (run) await save(run); break;
    case 'open': await open(message.files); break;
    case 'trace': trace(message.text); break;
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>): void => {
  handle(event.data).catch((e: unknown) => {
    if (run) run.running = false;
    post({ type: 'error', where: event.data.type, message: e instanceof Error ? e.message : String(e) });
  });
};
