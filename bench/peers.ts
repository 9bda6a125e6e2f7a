/**
 * Unrolled beside other JavaScript engines, in the same process and run:
 *
 * - TensorFlow.js 4.22 layers on its 'cpu' backend (plain JavaScript kernels)
 *   and on its 'wasm' backend (XNNPACK compiled to WebAssembly; in Node it uses
 *   SIMD when the runtime supports it and never threads: the backend switches
 *   threads off under Node, which is checked and reported).
 *   The same model in both engines: recurrent layer + Dense(1, sigmoid),
 *   binary cross-entropy, non-centered RMSprop (lr 0.001, ρ 0.9, ε 1e-7 inside
 *   the root in both), the same shapes, and Unrolled's initial weights copied
 *   into TF.js with setWeights. TF.js's recurrentActivation default is
 *   hard_sigmoid, so 'sigmoid' is set. TF.js has no GRU resetAfter, so the GRU
 *   compared is Unrolled's resetAfter=false. Before timing, the first
 *   training step's loss and the weights after it are compared.
 *   One training step (trainOnBatch in both engines) is timed.
 * - brain.js 1.6.1 LSTMTimeStep, where it can be matched: one sequence at a
 *   time (batch 1), D inputs, H units, T steps. What differs is stated with the
 *   result (see BRAIN_NOTES).
 *
 * The engines run in turn (A B C A B C …), medians after a warm-up; each
 * peer is reported as its time divided by Unrolled's (how many times faster
 * Unrolled is): against Unrolled on one thread in CPU time, and against
 * Unrolled on two threads in wall time ("2 cores": TF.js wasm runs one thread
 * under Node, its best configuration here). PyTorch, where the system Python
 * has it, is timed after them on one thread (pytorch.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Dense, RMSprop, Sequential, getNumThreads, setNumThreads, setSeed, tensor, type Tensor } from '../lib/index.ts';
import { uniform } from '../autograd/index.ts';
import { cpuNow, fmt, interleaved, markdownTable, maxAbsDiff, type Measured, type TimingOptions } from './timing.ts';
import { TORCH_LOSS_TOLERANCE, TORCH_WEIGHT_TOLERANCE, timeTorch, torchHas, type TorchTiming } from './pytorch.ts';
import { ratioVerdict, verdictWord } from './text.ts';
import { variant, type VariantKey } from './variants.ts';

type TF = typeof import('@tensorflow/tfjs');
type TFModel = import('@tensorflow/tfjs').LayersModel;
type TFTensor = import('@tensorflow/tfjs').Tensor;
export type Engine = 'tfjs-cpu' | 'tfjs-wasm';

export interface PeerCase {
  cell: VariantKey;
  H: number;
  B: number;
  T: number;
  D: number;
  engines: readonly Engine[];
  /** The speed ratio Unrolled on one thread must reach against an engine (peer CPU time / Unrolled CPU time), where there is a target. */
  targets: Partial<Record<Engine, number>>;
  /** The ratio Unrolled on two threads must reach against TF.js wasm in wall time (2 cores), where there is a target. */
  twoCores?: number;
  /** Time the step in PyTorch too (when it is installed). */
  torch?: boolean;
}

export interface EngineResult {
  engine: Engine;
  firstLoss: number;
  /** |loss_peer − loss_unrolled| at the first step. */
  lossDiff: number;
  /** Largest |w_peer − w_unrolled| over every weight after the first step. */
  weightDiff: number;
  cpuMs: number;
  wallMs: number;
  /** Peer CPU time / Unrolled CPU time, Unrolled on one thread. */
  ratio: number;
  target: number | null;
  /** Peer wall time / Unrolled wall time, Unrolled on two threads. */
  wallRatio2: number;
}

export interface PeerResult {
  case: PeerCase;
  label: string;
  unrolled: { firstLoss: number; cpuMs: number; wallMs: number };
  /** Unrolled on two threads: the same step, checked to give the same bits. */
  unrolled2: { cpuMs: number; wallMs: number };
  engines: EngineResult[];
  /** PyTorch on one thread, when asked for and installed; with Unrolled's CPU time on one thread and wall time on two over PyTorch's. */
  torch: (TorchTiming & { ratio1: number; ratio2: number }) | null;
}

export interface WasmInfo {
  simd: boolean;
  multithreadSupported: boolean;
  threads: number;
  /** Median over the wasm runs of CPU time / wall time: about 1 for one busy thread. */
  cpuPerWall: number | null;
}

/** Losses must agree this closely at the first step, and weights after it. */
export const LOSS_TOLERANCE = 1e-4;
export const WEIGHT_TOLERANCE = 1e-4;

// ---------------------------------------------------------------- TF.js setup

let tfPromise: Promise<TF> | null = null;

/** Loads TF.js and its wasm backend once, with the .wasm files from node_modules (no network). */
export function loadTF(): Promise<TF> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // PROD only silences TF.js's console notes (the "use tfjs-node" banner); it changes no kernel.
    tf.enableProdMode();
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')), '/'));
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
    await tf.ready();
    if (!(await tf.setBackend('cpu'))) throw new Error('TF.js: the cpu backend did not start');
    return tf;
  })();
  return tfPromise;
}

export async function wasmInfo(): Promise<Omit<WasmInfo, 'cpuPerWall'>> {
  const tf = await loadTF();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const info = {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    multithreadSupported: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    threads: wasm.getThreadsCount(),
  };
  await tf.setBackend('cpu');
  return info;
}

function backendOf(engine: Engine): 'cpu' | 'wasm' {
  return engine === 'tfjs-cpu' ? 'cpu' : 'wasm';
}

/** The TF.js model of a case, built on the current backend, with `weights` (Keras order) set. */
function tfModel(tf: TF, c: PeerCase, weights: readonly Tensor[]): TFModel {
  const common = {
    units: c.H, inputShape: [c.T, c.D], returnSequences: false,
    // Overwritten by setWeights; zeros skip TF.js's slow orthogonal initializer.
    kernelInitializer: 'zeros' as const, recurrentInitializer: 'zeros' as const,
  };
  const model = tf.sequential();
  if (c.cell === 'lstm') model.add(tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: true }));
  else if (c.cell === 'gruResetBefore') model.add(tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' })); // TF.js's GRU is resetAfter=false
  else if (c.cell === 'simpleRnn') model.add(tf.layers.simpleRNN(common));
  else throw new Error(`TF.js has no counterpart of ${variant(c.cell).label} (it has no GRU resetAfter=true)`);
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  // Non-centered RMSprop as Keras: lr 0.001, ρ 0.9, momentum 0, ε 1e-7 inside the root.
  model.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0, 1e-7, false), loss: 'binaryCrossentropy' });
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  return model;
}

function unrolledModel(c: PeerCase): Sequential {
  const model = new Sequential();
  model.add(variant(c.cell).layer(c.H, [c.T, c.D]));
  model.add(new Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: new RMSprop(), loss: 'binary_crossentropy' });
  return model;
}

function label(c: PeerCase): string {
  // 'LSTM(32) B=…', 'GRU(32) resetAfter=false B=…'
  return `${variant(c.cell).label.replace(/^\w+/, (name) => `${name}(${c.H})`)} B=${c.B} T=${c.T} D=${c.D}`;
}

/** Random inputs in [−1, 1] and 0/1 labels, from the seeded generator. */
function batch(c: PeerCase): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(c.B * c.T * c.D);
  for (let i = 0; i < x.length; i++) x[i] = uniform(-1, 1);
  const y = new Float32Array(c.B);
  for (let i = 0; i < y.length; i++) y[i] = uniform(0, 1) < 0.5 ? 0 : 1;
  return { x, y };
}

async function lossOf(result: Promise<number | number[]>): Promise<number> {
  const r = await result;
  return Array.isArray(r) ? r[0] : r;
}

/** The bits of every weight of a model, for comparing two runs. */
function sameWeights(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  return a.length === b.length && a.every((w, i) => w.data.length === b[i].data.length && w.data.every((v, j) => Object.is(v, b[i].data[j])));
}

/**
 * Unrolled on two threads takes the step from the same weights on the same
 * batch as on one: the loss and every weight after it must be the same bits.
 */
function checkTwoThreads(c: PeerCase, initial: readonly Tensor[], ux: Tensor, uy: Tensor, firstLoss: number, after: readonly Tensor[]): Sequential {
  const threads = getNumThreads();
  setNumThreads(2);
  try {
    const model = unrolledModel(c);
    model.setWeights(initial.map((w) => w.detach()));
    const loss = model.trainOnBatch(ux, uy);
    if (!Object.is(loss, firstLoss) || !sameWeights(model.getWeights(), after)) {
      throw new Error(`${label(c)}: Unrolled on two threads gave loss ${loss} and other weights than on one thread (loss ${firstLoss}); not timed`);
    }
    return model;
  } finally {
    setNumThreads(threads);
  }
}

/** PyTorch's step from the same weights on the same batch, checked and timed (about as many calls per run as the others). */
function torchCase(c: PeerCase, data: { x: Float32Array; y: Float32Array }, initial: readonly Tensor[], after: readonly Tensor[], firstLoss: number, timing: TimingOptions, base: Measured): TorchTiming {
  const reps = Math.max(1, Math.round(timing.runMs / Math.max(base.cpuMs / 4, 1e-3)));
  const t = timeTorch(c.cell, c, data, initial, after, { runs: timing.runs, warmup: timing.warmup, reps });
  if (!(Math.abs(t.firstLoss - firstLoss) <= TORCH_LOSS_TOLERANCE && t.weightDiff <= TORCH_WEIGHT_TOLERANCE)) {
    throw new Error(`${label(c)}: PyTorch disagrees with Unrolled after one step: loss ${t.firstLoss} against ${firstLoss}, weights differ by up to ${t.weightDiff}; not timed`);
  }
  return t;
}

/**
 * Checks the case in every engine (first loss and weights after one step;
 * Unrolled on two threads: the same bits as on one), then times one training
 * step of each in turn: Unrolled on one thread, on two, then each TF.js backend.
 */
export async function comparePeers(c: PeerCase, timing: TimingOptions, torch: boolean): Promise<PeerResult> {
  const tf = await loadTF();
  setSeed(`peers ${label(c)}`);
  const data = batch(c);
  const um = unrolledModel(c);
  const ux = tensor(data.x, [c.B, c.T, c.D]);
  const uy = tensor(data.y, [c.B, 1]);
  const initial = um.getWeights().map((w) => w.detach());

  const engines = c.engines.map((engine) => ({ engine, model: null as TFModel | null, x: null as TFTensor | null, y: null as TFTensor | null }));
  for (const e of engines) {
    // Each engine's model and data live on its own backend, so no tensor moves between backends while timing.
    await tf.setBackend(backendOf(e.engine));
    e.model = tfModel(tf, c, initial);
    e.x = tf.tensor3d(data.x, [c.B, c.T, c.D]);
    e.y = tf.tensor2d(data.y, [c.B, 1]);
  }

  // The check: one step in every engine from the same weights on the same batch (also the first warm-up).
  const threads = getNumThreads();
  setNumThreads(1);
  const firstCall: number[] = [];
  let t0 = cpuNow();
  const firstLoss = um.trainOnBatch(ux, uy);
  firstCall.push(cpuNow() - t0);
  const after = um.getWeights().map((w) => w.detach());
  const um2 = checkTwoThreads(c, initial, ux, uy, firstLoss, after);
  firstCall.push(firstCall[0]);
  const checks: Array<{ firstLoss: number; lossDiff: number; weightDiff: number }> = [];
  for (const e of engines) {
    await tf.setBackend(backendOf(e.engine));
    t0 = cpuNow();
    const loss = await lossOf(e.model!.trainOnBatch(e.x!, e.y!));
    firstCall.push(cpuNow() - t0);
    const tfAfter = e.model!.getWeights().map((w) => w.dataSync());
    const weightDiff = Math.max(...after.map((w, i) => maxAbsDiff(w.data, tfAfter[i])));
    const lossDiff = Math.abs(loss - firstLoss);
    if (!(lossDiff <= LOSS_TOLERANCE && weightDiff <= WEIGHT_TOLERANCE)) {
      throw new Error(`${label(c)}: ${e.engine} disagrees with Unrolled after one step: loss ${loss} against ${firstLoss}, weights differ by up to ${weightDiff}; not timed`);
    }
    checks.push({ firstLoss: loss, lossDiff, weightDiff });
  }

  const measured: Measured[] = await interleaved(
    [() => um.trainOnBatch(ux, uy), () => um2.trainOnBatch(ux, uy), ...engines.map((e) => () => e.model!.trainOnBatch(e.x!, e.y!))],
    timing,
    [async () => setNumThreads(1), async () => setNumThreads(2), ...engines.map((e) => async () => { await tf.setBackend(backendOf(e.engine)); })],
    firstCall,
  );
  setNumThreads(threads);
  for (const e of engines) {
    e.model!.dispose();
    e.x!.dispose();
    e.y!.dispose();
  }
  await tf.setBackend('cpu');
  const [base, two] = measured;
  const pt = torch && c.torch && torchHas(c.cell) ? torchCase(c, data, initial, after, firstLoss, timing, base) : null;
  return {
    case: c,
    label: label(c),
    unrolled: { firstLoss, cpuMs: base.cpuMs, wallMs: base.wallMs },
    unrolled2: { cpuMs: two.cpuMs, wallMs: two.wallMs },
    engines: engines.map((e, i) => ({
      engine: e.engine,
      ...checks[i],
      cpuMs: measured[i + 2].cpuMs,
      wallMs: measured[i + 2].wallMs,
      ratio: measured[i + 2].cpuMs / base.cpuMs,
      target: c.targets[e.engine] ?? null,
      wallRatio2: measured[i + 2].wallMs / two.wallMs,
    })),
    torch: pt && { ...pt, ratio1: base.cpuMs / pt.cpuMs, ratio2: two.wallMs / pt.wallMs },
  };
}

// ---------------------------------------------------------------- brain.js

/** What brain.js 1.6.1's LSTMTimeStep offers that is used here (its .d.ts lacks trainPattern). */
interface BrainTimeStep {
  train(data: number[][][], options: { iterations: number; errorThresh: number }): { error: number; iterations: number };
  trainPattern(input: number[][], logErrorRate: boolean): number;
}
interface BrainModule {
  recurrent: { LSTMTimeStep: new (options: { inputSize: number; hiddenLayers: number[]; outputSize: number }) => BrainTimeStep };
}

export const BRAIN_NOTES = [
  'matches: one sequence per step (batch 1), D inputs, H units, T recurrent steps, the four gate matmuls per step (W and U of i, f, c, o), a bias per gate, a training step = forward + BPTT + an RMSprop-like update, float32 storage',
  'differs: brain.js 1.6.1 LSTM multiplies the forget gate with the previous hidden state (it keeps no separate cell state c); it computes an output layer (Dense(D), linear) and an error at every step to predict the next input vector, where Unrolled computes Dense(1, sigmoid) and binary cross-entropy once after the last step; its update clips gradients to ±5 and adds L2 decay (regc 1e-6), with decay 0.999 and lr 0.01; its initial weights are uniform ±0.08; it runs matrix-vector products with a graph of per-op closures, one per op and step',
];

export interface BrainResult {
  label: string;
  H: number;
  T: number;
  D: number;
  unrolled: { cpuMs: number; wallMs: number; losses: [number, number] };
  brain: { cpuMs: number; wallMs: number; errors: [number, number] };
  /** brain.js time / Unrolled time. */
  ratio: number;
  notes: string[];
}

/** Unrolled LSTM at batch 1 beside brain.js's LSTMTimeStep on one sequence of T steps. */
export async function compareBrain(H: number, T: number, D: number, timing: TimingOptions): Promise<BrainResult> {
  const c: PeerCase = { cell: 'lstm', H, B: 1, T, D, engines: [], targets: {} };
  setSeed(`brain ${H} ${T} ${D}`);
  const { x, y } = batch(c);
  const um = unrolledModel(c);
  const ux = tensor(x, [1, T, D]);
  const uy = tensor(y, [1, 1]);
  // brain.js trains on T+1 vectors: T steps, each predicting the next vector.
  const sequence: number[][] = [];
  for (let t = 0; t < T; t++) sequence.push(Array.from(x.subarray(t * D, (t + 1) * D)));
  sequence.push(Array.from({ length: D }, () => uniform(-1, 1)));
  const brain = ((await import('brain.js')) as unknown as { default: BrainModule }).default;
  const net = new brain.recurrent.LSTMTimeStep({ inputSize: D, hiddenLayers: [H], outputSize: D });

  // The check: both train: the error on the same sequence is finite and falls over 20 steps.
  const first = net.train([sequence], { iterations: 1, errorThresh: 0 }).error;
  let brainLast = first;
  for (let i = 0; i < 19; i++) brainLast = net.trainPattern(sequence, true);
  const uFirst = um.trainOnBatch(ux, uy);
  let uLast = uFirst;
  for (let i = 0; i < 19; i++) uLast = um.trainOnBatch(ux, uy);
  for (const [who, a, b] of [['brain.js', first, brainLast], ['Unrolled', uFirst, uLast]] as const) {
    if (!(Number.isFinite(a) && Number.isFinite(b) && b < a)) {
      throw new Error(`brain.js comparison: ${who}'s error went from ${a} to ${b} in 20 steps on one sequence; not timed`);
    }
  }

  const [u, b] = await interleaved([() => um.trainOnBatch(ux, uy), () => net.trainPattern(sequence, true)], timing);
  return {
    label: `LSTM(${H}) B=1 T=${T} D=${D}`, H, T, D,
    unrolled: { cpuMs: u.cpuMs, wallMs: u.wallMs, losses: [uFirst, uLast] },
    brain: { cpuMs: b.cpuMs, wallMs: b.wallMs, errors: [first, brainLast] },
    ratio: b.cpuMs / u.cpuMs,
    notes: BRAIN_NOTES,
  };
}

// ---------------------------------------------------------------- tables

/** A case's model as the tables show it: the cell, units and steps (every case has B = 128, said in the prose). */
function shortModel(label: string): string {
  return label.replace(/ B=\d+/, '').replace(/ D=\d+$/, '');
}

export function peerTable(results: readonly PeerResult[], brain: BrainResult | null): string {
  const model = (label: string) => label.replace(/ D=\d+$/, '');
  const check: string[][] = [];
  const speed: string[][] = [];
  const verdict = (ratio: number, target: number | null | undefined): [string, string] => {
    if (target == null) return [`${ratio.toFixed(1)}×`, ''];
    const v = ratioVerdict(ratio, target);
    return [v.value, `${v.goal}: ${verdictWord(v.pass)}`];
  };
  for (const r of results) {
    check.push([model(r.label), 'Unrolled', r.unrolled.firstLoss.toFixed(6), '—']);
    check.push(['', 'Unrolled, 2 threads', 'the same bits', 'the same bits']);
    speed.push([shortModel(r.label), 'Unrolled, 1 thread', fmt(r.unrolled.cpuMs), fmt(r.unrolled.wallMs), '1', '']);
    speed.push(['', 'Unrolled, 2 threads', fmt(r.unrolled2.cpuMs), fmt(r.unrolled2.wallMs), '—', '']);
    for (const e of r.engines) {
      check.push(['', `TF.js ${backendOf(e.engine)}`, `${e.firstLoss.toFixed(6)} (${e.lossDiff.toExponential(1)})`, e.weightDiff.toExponential(1)]);
      speed.push(['', `TF.js ${backendOf(e.engine)}`, fmt(e.cpuMs), fmt(e.wallMs), ...verdict(e.ratio, e.target)]);
      if (e.engine === 'tfjs-wasm') speed.push(['', 'TF.js wasm, 2 cores', '', '', ...verdict(e.wallRatio2, r.case.twoCores)]);
    }
    if (r.torch) {
      check.push(['', 'PyTorch', `${r.torch.firstLoss.toFixed(6)} (${Math.abs(r.torch.firstLoss - r.unrolled.firstLoss).toExponential(1)})`, r.torch.weightDiff.toExponential(1)]);
      speed.push(['', 'PyTorch, 1 thread', fmt(r.torch.cpuMs), fmt(r.torch.wallMs), `${(r.torch.cpuMs / r.unrolled.cpuMs).toFixed(2)}×`, '']);
    }
  }
  if (brain) {
    check.push([model(brain.label), 'Unrolled', `${brain.unrolled.losses[0].toFixed(4)} → ${brain.unrolled.losses[1].toFixed(4)} (20 steps)`, '—']);
    check.push(['', 'brain.js LSTMTimeStep', `${brain.brain.errors[0].toFixed(4)} → ${brain.brain.errors[1].toFixed(4)} (20 steps)`, '—']);
    speed.push([model(brain.label), 'Unrolled, 1 thread', fmt(brain.unrolled.cpuMs), fmt(brain.unrolled.wallMs), '1', '']);
    speed.push(['', 'brain.js', fmt(brain.brain.cpuMs), fmt(brain.brain.wallMs), `${brain.ratio.toFixed(1)}×`, '']);
  }
  return [
    markdownTable(['model', 'engine', 'first loss (diff)', 'weights: max diff'], check, [false, false, true, true]),
    markdownTable(['model', 'engine', 'CPU ms', 'wall ms', 'peer / Unrolled', 'target'], speed, [false, false, true, true, true, false]),
  ].join('\n\n');
}

/** Unrolled over PyTorch, per case where PyTorch ran: on one thread in CPU time, on two threads in wall time. */
export function torchTable(results: readonly PeerResult[]): string {
  const rows = results.filter((r) => r.torch).map((r) => [
    shortModel(r.label), fmt(r.torch!.cpuMs), `${r.torch!.ratio1.toFixed(2)}×`, `${r.torch!.ratio2.toFixed(2)}×`,
  ]);
  return markdownTable(['model', 'PyTorch CPU ms', 'Unrolled / PyTorch, 1 thread', 'Unrolled 2 threads / PyTorch (wall)'], rows, [false, true, true, true]);
}
