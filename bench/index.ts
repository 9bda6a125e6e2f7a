/**
 * Micro-benchmarks: what each cell costs, how it scales, and how Unrolled
 * compares with other JavaScript engines, in one run.
 *
 *   npm run bench               the full grid (H 32, 128, 256 × B 1, 32, 128 × T 10, 100, 500)
 *   npm run bench -- --quick    a small grid (H 32, 128 × B 1, 32 × T 10, 100) and the peer comparisons at the target shapes (about 2 minutes)
 *   npm run bench -- --only=costs | --only=peers
 *
 * The cell costs run on one thread; the peers on one thread and on two.
 * Prints markdown tables on stdout (progress goes to stderr) and writes
 * bench/out/bench.json and SVG charts in bench/out/. Every variant is checked
 * for a correct result before it is timed. Times are medians of the
 * process's CPU time (see timing.ts): the machines this runs on are shared,
 * so wall time is kept only beside it, in the JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setSeed } from '../autograd/index.ts';
import { lineChart, type MarkerShape, type Series } from '../lib/plot.ts';
import {
  COST_LEGEND, cellCosts, costTable, memoryFits, memorySweep, memoryTable, scalingFits, scalingTable, REFERENCE_TOLERANCE,
  type CostResult, type Fit, type Grid, type MemoryFit, type MemoryPoint,
} from './costs.ts';
import {
  BRAIN_NOTES, LOSS_TOLERANCE, WEIGHT_TOLERANCE, compareBrain, comparePeers, peerTable, torchTable, wasmInfo,
  type BrainResult, type PeerCase, type PeerResult, type WasmInfo,
} from './peers.ts';
import { TORCH_HINT, TORCH_LOSS_TOLERANCE, TORCH_WEIGHT_TOLERANCE, torchInfo, type TorchInfo } from './pytorch.ts';
import { parallelHeadroom, threadMemory, type ThreadMemory } from './threads.ts';
import { getNumThreads, setNumThreads } from '../lib/index.ts';
import { targetTable, targets } from './targets.ts';
import { note, say } from './text.ts';
import { cpuNow, formatBytes, formatLoad, machine, markdownTable, median, type TimingOptions } from './timing.ts';
import { VARIANTS, stepFlops, variant } from './variants.ts';

interface Mode {
  name: 'quick' | 'full';
  grid: Grid;
  costTiming: TimingOptions;
  peerTiming: TimingOptions;
  peers: PeerCase[];
  brain: { H: number; T: number; D: number };
}

const D = 32;
const both = ['tfjs-cpu', 'tfjs-wasm'] as const;

/**
 * The shapes of the peer targets: against TF.js wasm, Unrolled on one thread
 * in CPU time and on two threads in wall time (2 cores); SimpleRNN against
 * TF.js cpu. LSTM(128) on TF.js cpu only in the full run (it takes long and
 * has no target).
 */
function peerCases(full: boolean): PeerCase[] {
  return [
    { cell: 'lstm', H: 32, B: 128, T: 100, D, engines: both, targets: { 'tfjs-wasm': 3 }, twoCores: 5, torch: true },
    { cell: 'gruResetBefore', H: 32, B: 128, T: 100, D, engines: both, targets: { 'tfjs-wasm': 3.5 }, twoCores: 6 },
    { cell: 'lstm', H: 128, B: 128, T: 50, D, engines: full ? both : ['tfjs-wasm'], targets: { 'tfjs-wasm': 2 }, twoCores: 3.5, torch: true },
    { cell: 'simpleRnn', H: 32, B: 128, T: 100, D, engines: both, targets: { 'tfjs-cpu': 8 }, torch: true },
  ];
}

/** The shapes whose training memory on two threads is compared with one thread's. */
const MEMORY_CASES = [
  { cell: 'lstm', dims: { B: 128, T: 100, D, H: 32 } },
  { cell: 'lstm', dims: { B: 128, T: 50, D, H: 128 } },
] as const;

function modeOf(args: readonly string[]): Mode {
  if (args.includes('--quick')) {
    return {
      name: 'quick',
      grid: { H: [32, 128], B: [1, 32], T: [10, 100], D },
      costTiming: { runs: 5, warmup: 1, runMs: 20 },
      peerTiming: { runs: 5, warmup: 1, runMs: 100, warmCall: true },
      peers: peerCases(false),
      brain: { H: 32, T: 100, D },
    };
  }
  return {
    name: 'full',
    grid: { H: [32, 128, 256], B: [1, 32, 128], T: [10, 100, 500], D },
    costTiming: { runs: 5, warmup: 1, runMs: 100 },
    peerTiming: { runs: 7, warmup: 2, runMs: 200, warmCall: true },
    peers: peerCases(true),
    brain: { H: 32, T: 100, D },
  };
}

const log = note;

// ---------------------------------------------------------------- charts

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
/** Per cell a dash pattern and a marker as well as a colour: LSTM and GRU often lie on top of each other. */
const DASHES = [undefined, '7 3', '2 3', '9 3 2 3'];
const MARKERS: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross'];

/** Series i's colour, dash and marker; dots (the second quantity on a chart) keep the marker and drop the dash. */
function styleOf(i: number, style: 'line' | 'dots'): Pick<Series, 'style' | 'color' | 'dash' | 'marker'> {
  const dash = DASHES[i % DASHES.length];
  return { style, color: COLORS[i % COLORS.length], marker: MARKERS[i % MARKERS.length], ...(style === 'line' && dash ? { dash } : {}) };
}

/** log-log charts: lib/plot's lineChart with log x and y axes, so both read 10ⁿ. */
function charts(costs: CostResult, memory: readonly MemoryPoint[], grid: Grid): Record<string, string> {
  const out: Record<string, string> = {};
  const H0 = Math.min(...grid.H);
  const B1 = Math.max(...grid.B);
  const Tmid = grid.T[Math.floor(grid.T.length / 2)];
  const pick = (f: (r: CostResult['rows'][number]) => boolean) => costs.rows.filter(f);
  const byCell = (rows: CostResult['rows'], x: (r: CostResult['rows'][number]) => number, y: (r: CostResult['rows'][number]) => number, style: 'line' | 'dots' = 'line', suffix = ''): Series[] =>
    VARIANTS.map((v, i) => {
      const mine = rows.filter((r) => r.cell === v.key).sort((a, b) => x(a) - x(b));
      return { label: `${v.label}${suffix}`, x: mine.map(x), y: mine.map(y), ...styleOf(i, style) };
    }).filter((s) => s.x.length > 0);
  if (grid.T.length > 1) {
    const rows = pick((r) => r.H === H0 && r.B === B1);
    out['time-vs-T.svg'] = lineChart({
      title: 'Training step time against sequence length',
      subtitle: `fused cells, H=${H0}, B=${B1}, D=${grid.D}; median CPU time; slope 1 = linear in T`,
      xLabel: 'T (timesteps)', yLabel: 'ms per batch (forward + backward)', logX: true, logY: true,
      series: byCell(rows, (r) => r.T, (r) => r.trainMs),
    });
  }
  if (memory.length > 0) {
    const series = (kind: 'inferBytes' | 'trainBytes', style: 'line' | 'dots', suffix: string): Series[] => VARIANTS.map((v, i) => {
      const mine = memory.filter((p) => p.cell === v.key).sort((a, b) => a.T - b.T);
      return { label: `${v.label}${suffix}`, x: mine.map((p) => p.T), y: mine.map((p) => p[kind]), ...styleOf(i, style) };
    });
    out['memory-vs-T.svg'] = lineChart({
      title: 'Buffer plan bytes against sequence length',
      subtitle: `H=${memory[0].H}, B=${memory[0].B}, D=${grid.D}; lines: training plan, dots: inference plan`,
      xLabel: 'T (timesteps)', yLabel: 'bytes', logX: true, logY: true,
      series: [...series('trainBytes', 'line', ' train'), ...series('inferBytes', 'dots', ' infer')],
    });
  }
  if (grid.H.length > 1) {
    const rows = pick((r) => r.B === B1 && r.T === Tmid);
    out['time-vs-H.svg'] = lineChart({
      title: 'Training step time against units',
      subtitle: `fused cells, B=${B1}, T=${Tmid}, D=${grid.D}; median CPU time`,
      xLabel: 'H (units)', yLabel: 'ms per batch (forward + backward)', logX: true, logY: true,
      series: byCell(rows, (r) => r.H, (r) => r.trainMs),
    });
    out['gflops-vs-H.svg'] = lineChart({
      title: 'GFLOP/s achieved against units',
      subtitle: `fused cells, B=${B1}, T=${Tmid}; lines: training, dots: inference`,
      xLabel: 'H (units)', yLabel: 'GFLOP/s', logX: true, logY: true,
      series: [...byCell(rows, (r) => r.H, (r) => r.trainGflops, 'line', ' train'), ...byCell(rows, (r) => r.H, (r) => r.inferGflops, 'dots', ' infer')],
    });
  }
  return out;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode = modeOf(args);
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? null;
  const cpu0 = cpuNow();
  const wall0 = performance.now();
  const start = machine();
  setSeed(2024);
  console.log(`# Unrolled micro-benchmarks (${mode.name} run)\n`);
  say(`Machine: ${start.cpu}, ${start.cores} cores, Node ${start.node}; load average at start ${formatLoad(start.load)}.`);
  say('Times are medians of the process CPU time over interleaved runs after a warm-up (a shared, noisy machine: load from other processes moves single runs; medians of CPU time move less).\n');

  const threads = getNumThreads();
  setNumThreads(1);
  let costs: CostResult | null = null;
  let fits: Fit[] = [];
  let memory: MemoryPoint[] = [];
  let memFits: MemoryFit[] = [];
  if (only === null || only === 'costs') {
    log(`cell costs: grid H ${mode.grid.H.join(',')} × B ${mode.grid.B.join(',')} × T ${mode.grid.T.join(',')}, D=${mode.grid.D}`);
    costs = await cellCosts(mode.grid, mode.costTiming, log);
    fits = scalingFits(costs.rows, mode.grid);
    const memH = Math.min(...mode.grid.H);
    const memB = Math.max(...mode.grid.B);
    memory = memorySweep(memH, memB, mode.grid.D);
    memFits = memoryFits(memory);

    console.log('## Cell costs\n');
    say(`Fused passes, float32, D=${mode.grid.D}; medians of ${mode.costTiming.runs} runs. infer = forward without gradients; train = forward + backward (gradients of W, U, b and x).`);
    say('FLOPs per sample per step, forward: matmuls 2·G·H·(D+H) + elementwise E·H (every +, −, ×, σ, tanh counts 1; E: ' +
      VARIANTS.map((v) => `${v.label} ${v.elementwise}`).join(', ') + '); G: ' + VARIANTS.map((v) => `${v.label} ${v.gates}`).join(', ') +
      '. Backward = 2 × forward (exact for the matmuls: dW, dX, dU, dhPrev), so train = 3 × infer. GFLOP/s = FLOPs / median CPU time.');
    say('Plan = the bytes of the cell\'s buffer plan (Workspace): infer = what a forward without gradients holds; train = the activations kept for the backward plus its scratch.');
    say(COST_LEGEND);
    say(`Checked first: every cell and H against the reference autograd path (B=4, T=12; worst relative diff ${Math.max(...costs.checks.map((c) => c.maxRelDiff)).toExponential(1)}, tolerance ${REFERENCE_TOLERANCE}); at every grid point the inference output equals the training forward's, gradients are finite, and the plan sizes match the driver's planSizes.\n`);
    console.log(costTable(costs.rows));
    const H = mode.grid.H[0];
    say(`\nFLOP ratios at D=${mode.grid.D}, H=${H}: ` + VARIANTS.map((v) => `${v.label} ${(stepFlops(v, D, H).total / stepFlops(variant('simpleRnn'), D, H).total).toFixed(2)}×`).join(', '));

    console.log('\n## Scaling\n');
    say('Fitted exponent k of time ∝ T^k (least squares on log-log, over T ' + mode.grid.T.join(', ') + '), infer / train; expected 1.0:\n');
    console.log(scalingTable(fits, mode.grid, 'T'));
    if (mode.grid.H.length > 1) {
      say('\nExponent of time ∝ H^k at fixed B and T (over H ' + mode.grid.H.join(', ') + '), infer / train; up to 2.0 (the matmuls are H·(D+H)):\n');
      console.log(scalingTable(fits, mode.grid, 'H'));
    }
    say(`\nBuffer-plan bytes against T (H=${memory[0].H}, B=${memory[0].B}; one checked call per point) and the exponent k of bytes ∝ T^k; inference expected flat (0), training linear (1):\n`);
    console.log(memoryTable(memory, memFits));
    say('\nInference buffers still growing between the two longest T (exponent of their size): ' +
      memFits.map((m) => `${m.label}: ${Object.entries(m.growing).map(([k, e]) => `${k} ${e.toFixed(2)}`).join(', ') || 'none'}`).join('; ') + '.');
  }

  let peers: PeerResult[] = [];
  let brain: BrainResult | null = null;
  let wasm: WasmInfo | null = null;
  let torch: TorchInfo | null = null;
  let memoryThreads: ThreadMemory[] = [];
  let peerLoad: string | null = null;
  let cores: number[] = [];
  if (only === null || only === 'peers') {
    const info = await wasmInfo();
    torch = torchInfo();
    const loadBefore = machine().load;
    const headroom = [await parallelHeadroom()];
    for (const c of mode.peers) {
      const t0 = performance.now();
      peers.push(await comparePeers(c, mode.peerTiming, torch !== null));
      log(`  peers ${peers[peers.length - 1].label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    headroom.push(await parallelHeadroom());
    peerLoad = `${formatLoad(loadBefore)} before, ${formatLoad(machine().load)} after`;
    cores = headroom;
    memoryThreads = MEMORY_CASES.map((m) => threadMemory(m.cell, m.dims));
    brain = await compareBrain(mode.brain.H, mode.brain.T, mode.brain.D, mode.peerTiming);
    log('  peers brain.js: done');
    const wasmRuns = peers.flatMap((p) => p.engines.filter((e) => e.engine === 'tfjs-wasm'));
    wasm = { ...info, cpuPerWall: wasmRuns.length ? median(wasmRuns.map((e) => e.cpuMs / e.wallMs)) : null };

    console.log('\n## Other engines\n');
    say('One training step (trainOnBatch in both engines) of the same model: recurrent layer + Dense(1, sigmoid), binary cross-entropy, non-centered RMSprop (lr 0.001, ρ 0.9, ε 1e-7), ' +
      'Unrolled\'s initial weights copied into TF.js with setWeights, TF.js recurrentActivation set to sigmoid (its default is hard_sigmoid). ' +
      `Checked first: the first step's loss (tolerance ${LOSS_TOLERANCE}) and every weight after it (tolerance ${WEIGHT_TOLERANCE}) agree. ` +
      `GRU: TF.js has only resetAfter=false, so that variant is compared. Engines interleaved (Unrolled, TF.js cpu, TF.js wasm, …), medians of ${mode.peerTiming.runs} runs after ${mode.peerTiming.warmup} warm-up, each run after one untimed call of the same engine; peer / Unrolled = how many times faster Unrolled is. Every model has D=${D} inputs; weights: max diff = the largest difference of any weight after the first step.`);
    say(`TF.js wasm backend: SIMD ${wasm.simd ? 'on' : 'off'}, threads ${wasm.threads} (multithread support under Node: ${wasm.multithreadSupported}); ` +
      `median CPU/wall of its runs ${wasm.cpuPerWall?.toFixed(2) ?? '—'} (about 1 or less: one busy thread; V8's own background GC and compiler threads, counted in the process CPU time of every engine, can lift it a little above 1). All models: B=128, D=32.`);
    say(`Unrolled on 2 threads (setNumThreads(2)): the calling thread and one worker; its rows give its CPU time (both threads) and wall time, and TF.js wasm, 2 cores is TF.js wasm's wall time over it. Load average over the peer runs (1, 5, 15 min): ${peerLoad}. Cores to be had: an arithmetic loop run twice at once (here and on a worker) went ${cores.map((c) => `${c.toFixed(2)}×`).join(' and ')} as fast as twice in turn, before and after the peer runs (2× on two free cores, 1× on one).\n`);
    console.log(peerTable(peers, brain));
    say('\nbrain.js LSTMTimeStep, ' + BRAIN_NOTES.join('; ') + '.');
    console.log('\n## PyTorch\n');
    if (torch) {
      say(`PyTorch ${torch.version} (system Python, BLAS ${torch.blas}) on one thread (torch.set_num_threads(1)), the same step from the same weights on the same batch, timed in its own process after the others; checked first: the first loss (tolerance ${TORCH_LOSS_TOLERANCE}) and the weights after it (tolerance ${TORCH_WEIGHT_TOLERANCE}; Keras's RMSprop written with torch ops, as torch.optim.RMSprop adds ε outside the root). OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS are 1 (OpenBLAS keeps a pool of its own); median CPU/wall of its runs ${median(peers.filter((p) => p.torch).map((p) => p.torch!.cpuMs / p.torch!.wallMs)).toFixed(2)}. Unrolled / PyTorch above 1: PyTorch is that many times faster.\n`);
      console.log(torchTable(peers));
    } else {
      say(TORCH_HINT);
    }
    console.log('\n## Threads: training memory\n');
    say('The bytes one training pass holds (loss = Σ output) on one thread and on two: every row block\'s buffer plan wherever it runs, the blocks\' gradient slots, and on two threads the shared region holding the call\'s inputs, outputs and gradients (see bench/threads.ts).\n');
    console.log(markdownTable(['pass', '1 thread', '2 threads', 'region', '2 / 1'],
      memoryThreads.map((m) => [m.label, formatBytes(m.one), formatBytes(m.two), formatBytes(m.region), `${m.ratio.toFixed(3)}×`]), [false, true, true, true, true]));
  }
  setNumThreads(threads);

  const list = targets(fits, peers, memFits, memoryThreads);
  if (list.length > 0) {
    console.log('\n## Targets\n');
    console.log(targetTable(list));
    for (const t of list) if (t.note) say(`\n${t.note}`);
    say('\n(gemm ≥ 6 GFLOP/s at 128×32×128 and ≥ 7 at 512³: see npm run bench:gemm.)');
  }

  const end = machine();
  const cpuS = (cpuNow() - cpu0) / 1000;
  const wallS = (performance.now() - wall0) / 1000;
  say(`\nLoad average at end ${formatLoad(end.load)}; this run took ${cpuS.toFixed(0)} s of CPU and ${wallS.toFixed(0)} s of wall time.`);

  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  const svgs = costs ? charts(costs, memory, mode.grid) : {};
  const suffix = mode.name === 'quick' ? '-quick' : '';
  const written = Object.entries(svgs).map(([name, svg]) => {
    const file = name.replace(/\.svg$/, `${suffix}.svg`);
    writeFileSync(join(dir, file), svg);
    return file;
  });
  const json = {
    mode: mode.name, date: new Date().toISOString(), machine: { ...start, loadAtEnd: end.load }, cpuSeconds: cpuS, wallSeconds: wallS,
    timing: { costs: mode.costTiming, peers: mode.peerTiming, clock: 'process CPU time (user + system), medians; wall time beside it' },
    flops: {
      perSamplePerStepForward: 'matmul 2·G·H·(D+H) + elementwise E·H', backward: '2 × forward', train: '3 × forward',
      cells: Object.fromEntries(VARIANTS.map((v) => [v.key, { label: v.label, G: v.gates, E: v.elementwise }])),
    },
    grid: mode.grid, checks: costs?.checks ?? [], costs: costs?.rows ?? [], scaling: fits, memory, memoryFits: memFits,
    peers, brain, wasm, torch, memoryThreads, peerLoad, parallelHeadroom: cores, targets: list,
  };
  writeFileSync(join(dir, `bench${suffix}.json`), `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote ${join(dir, `bench${suffix}.json`)}${written.length ? ` and ${written.join(', ')}` : ''}`);
}

await main();
