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
 * The engines run in turn (A B C A B C …), medians of CPU time after a warm-up;
 * each peer is reported as its time divided by Unrolled's (how many times
 * faster Unrolled is).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Dense, RMSprop, Sequential, setSeed, tensor, type Tensor } from '../lib/index.ts';
import { uniform } from '../autograd/index.ts';
import { cpuNow, fmt, interleaved, markdownTable, maxAbsDiff, type Measured, type TimingOptions } from './timing.ts';
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
  /** The speed ratio Unrolled must reach against an engine (peer time / Unrolled time), where there is a target. */
  targets: Partial<Record<Engine, number>>;
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
  /** Peer time / Unrolled time. */
  ratio: number;
  target: number | null;
}

export interface PeerResult {
  case: PeerCase;
  label: string;
  unrolled: { firstLoss: number; cpuMs: number; wallMs: number };
  engines: EngineResult[];
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

/** Checks the case in every engine (first loss and weights after one step), then times one training step of each in turn. */
export async function comparePeers(c: PeerCase, timing: TimingOptions): Promise<PeerResult> {
  const tf = await loadTF();
  setSeed(`peers ${label(c)}`);
  const { x, y } = batch(c);
  const um = unrolledModel(c);
  const ux = tensor(x, [c.B, c.T, c.D]);
  const uy = tensor(y, [c.B, 1]);
  const initial = um.getWeights().map((w) => w.detach());

  const engines = c.engines.map((engine) => ({ engine, model: null as TFModel | null, x: null as TFTensor | null, y: null as TFTensor | null }));
  for (const e of engines) {
    // Each engine's model and data live on its own backend, so no tensor moves between backends while timing.
    await tf.setBackend(backendOf(e.engine));
    e.model = tfModel(tf, c, initial);
    e.x = tf.tensor3d(x, [c.B, c.T, c.D]);
    e.y = tf.tensor2d(y, [c.B, 1]);
  }

  // The check: one step in every engine from the same weights on the same batch (also the first warm-up).
  const firstCall: number[] = [];
  let t0 = cpuNow();
  const firstLoss = um.trainOnBatch(ux, uy);
  firstCall.push(cpuNow() - t0);
  const after = um.getWeights();
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
    [() => um.trainOnBatch(ux, uy), ...engines.map((e) => () => e.model!.trainOnBatch(e.x!, e.y!))],
    timing,
    [null, ...engines.map((e) => async () => { await tf.setBackend(backendOf(e.engine)); })],
    firstCall,
  );
  for (const e of engines) {
    e.model!.dispose();
    e.x!.dispose();
    e.y!.dispose();
  }
  await tf.setBackend('cpu');
  const base = measured[0];
  return {
    case: c,
    label: label(c),
    unrolled: { firstLoss, cpuMs: base.cpuMs, wallMs: base.wallMs },
    engines: engines.map((e, i) => ({
      engine: e.engine,
      ...checks[i],
      cpuMs: measured[i + 1].cpuMs,
      wallMs: measured[i + 1].wallMs,
      ratio: measured[i + 1].cpuMs / base.cpuMs,
      target: c.targets[e.engine] ?? null,
    })),
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

export function peerTable(results: readonly PeerResult[], brain: BrainResult | null): string {
  const model = (label: string) => label.replace(/ D=\d+$/, '');
  const check: string[][] = [];
  const speed: string[][] = [];
  for (const r of results) {
    check.push([model(r.label), 'Unrolled', r.unrolled.firstLoss.toFixed(6), '—']);
    speed.push([model(r.label), 'Unrolled', fmt(r.unrolled.cpuMs), '1', '', '']);
    for (const e of r.engines) {
      const v = e.target === null ? null : ratioVerdict(e.ratio, e.target);
      check.push(['', `TF.js ${backendOf(e.engine)}`, `${e.firstLoss.toFixed(6)} (${e.lossDiff.toExponential(1)})`, e.weightDiff.toExponential(1)]);
      speed.push(['', `TF.js ${backendOf(e.engine)}`, fmt(e.cpuMs), v ? v.value : `${e.ratio.toFixed(1)}×`, v ? v.goal : '—', v ? verdictWord(v.pass) : '']);
    }
  }
  if (brain) {
    check.push([model(brain.label), 'Unrolled', `${brain.unrolled.losses[0].toFixed(4)} → ${brain.unrolled.losses[1].toFixed(4)} (20 steps)`, '—']);
    check.push(['', 'brain.js LSTMTimeStep', `${brain.brain.errors[0].toFixed(4)} → ${brain.brain.errors[1].toFixed(4)} (20 steps)`, '—']);
    speed.push([model(brain.label), 'Unrolled', fmt(brain.unrolled.cpuMs), '1', '', '']);
    speed.push(['', 'brain.js LSTMTimeStep', fmt(brain.brain.cpuMs), `${brain.ratio.toFixed(1)}×`, '—', '']);
  }
  return [
    markdownTable(['model', 'engine', 'first loss (diff)', 'weights: max diff'], check, [false, false, true, true]),
    markdownTable(['model', 'engine', 'ms per step', 'peer / Unrolled', 'target', ''], speed, [false, false, true, true, false, false]),
  ].join('\n\n');
}
