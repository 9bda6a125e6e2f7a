/**
 * gemm micro-benchmark: the fast `gemm` against the reference `gemmNaive`.
 *
 * For each shape it first checks the fast result against the naive one (float32
 * and float64, max abs diff printed), then times both in float32 on one core:
 * warm-up, then naive and fast runs interleaved, each run repeating the call
 * until it takes about RUN_MS, and prints the medians as a markdown table.
 * FLOPs = 2·m·k·n. Time is the process's CPU time, not wall time, so that other
 * work on a shared machine does not count against the kernel.
 *
 * Shapes: B = 128 (batch), H units, G gates (1 SimpleRNN, 3 GRU, 4 LSTM), T = 100.
 *   forward gate matmul     h · U     [B, H] x [H, G·H]
 *   input matmul, all steps x · W     [B·T, D] x [D, G·H]
 *   backprop to the input   g · Uᵀ    [B, G·H] x [H, G·H]ᵀ   (transB)
 *   weight gradient         xᵀ · g    [B·T, D]ᵀ x [B·T, G·H] (transA, long k)
 *
 * Run: npm run bench:gemm
 */
import { gemm, gemmNaive } from '../autograd/gemm.ts';
import type { FloatArray } from '../autograd/tensor.ts';
import { setSeed, uniform } from '../autograd/random.ts';
import { say } from './text.ts';

type Gemm = typeof gemm;

interface Shape {
  label: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

const shapes: Shape[] = [
  { label: 'square', m: 512, k: 512, n: 512, transA: false, transB: false },
  { label: 'LSTM H=32: h·U', m: 128, k: 32, n: 128, transA: false, transB: false },
  { label: 'one LSTM step, K=64', m: 128, k: 64, n: 128, transA: false, transB: false },
  { label: 'SimpleRNN H=64: h·U', m: 128, k: 64, n: 64, transA: false, transB: false },
  { label: 'LSTM H=64: h·U', m: 128, k: 64, n: 256, transA: false, transB: false },
  { label: 'LSTM H=128: h·U', m: 128, k: 128, n: 512, transA: false, transB: false },
  { label: 'GRU H=256: h·U', m: 128, k: 256, n: 768, transA: false, transB: false },
  { label: 'LSTM H=256: h·U', m: 128, k: 256, n: 1024, transA: false, transB: false },
  { label: 'LSTM H=256, B=1: h·U (gemv)', m: 1, k: 256, n: 1024, transA: false, transB: false },
  { label: 'LSTM H=D=32: x·W (B·T)', m: 12800, k: 32, n: 128, transA: false, transB: false },
  { label: 'LSTM H=32: g·Uᵀ', m: 128, k: 128, n: 32, transA: false, transB: true },
  { label: 'LSTM H=128: g·Uᵀ', m: 128, k: 512, n: 128, transA: false, transB: true },
  { label: 'LSTM H=256: g·Uᵀ', m: 128, k: 1024, n: 256, transA: false, transB: true },
  { label: 'LSTM H=128: hᵀ·g (1 step)', m: 128, k: 128, n: 512, transA: true, transB: false },
  { label: 'LSTM H=D=32: xᵀ·g (B·T)', m: 32, k: 12800, n: 128, transA: true, transB: false },
  { label: 'LSTM H=D=64: xᵀ·g (B·T)', m: 64, k: 12800, n: 256, transA: true, transB: false },
  { label: 'both transposed', m: 128, k: 128, n: 512, transA: true, transB: true },
];

const RUN_MS = 60; // target length of one timed run
const RUNS = 7; // timed runs per kernel (the median is reported)
const RUNS_SLOW = 5; // for shapes where one naive call is already longer than RUN_MS

function randomArray(length: number, dtype: 'float32' | 'float64'): FloatArray {
  const x = dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) x[i] = uniform(-1, 1);
  return x;
}

/** Max |fast - naive| over out, on random operands of this dtype (accumulating into a random out). */
function check(s: Shape, dtype: 'float32' | 'float64'): number {
  const a = randomArray(s.m * s.k, dtype);
  const b = randomArray(s.k * s.n, dtype);
  const start = randomArray(s.m * s.n, dtype);
  const options = { transA: s.transA, transB: s.transB, accumulate: true };
  const expected = gemmNaive(start.slice(), a, b, s.m, s.k, s.n, options);
  const got = gemm(start.slice(), a, b, s.m, s.k, s.n, options);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
  return worst;
}

/** CPU milliseconds (user + system) of this process for `reps` calls. */
function timeRun(f: Gemm, out: FloatArray, a: FloatArray, b: FloatArray, s: Shape, reps: number): number {
  const t0 = process.cpuUsage();
  const options = { transA: s.transA, transB: s.transB };
  for (let r = 0; r < reps; r++) f(out, a, b, s.m, s.k, s.n, options);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

/** Calls per run so that one run takes about RUN_MS (at least 1). */
function repsFor(f: Gemm, out: FloatArray, a: FloatArray, b: FloatArray, s: Shape): number {
  let reps = 1;
  for (;;) {
    const ms = timeRun(f, out, a, b, s, reps);
    if (ms >= RUN_MS / 4) return Math.max(1, Math.ceil((reps * RUN_MS) / ms));
    reps *= 4;
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row {
  shape: Shape;
  diff32: number;
  diff64: number;
  naive: number; // GFLOP/s
  fast: number; // GFLOP/s
}

function bench(s: Shape): Row {
  const diff32 = check(s, 'float32');
  const diff64 = check(s, 'float64');
  const a = randomArray(s.m * s.k, 'float32');
  const b = randomArray(s.k * s.n, 'float32');
  const out = new Float32Array(s.m * s.n);
  // Warm-up (this also sizes the runs).
  const naiveReps = repsFor(gemmNaive, out, a, b, s);
  const fastReps = repsFor(gemm, out, a, b, s);
  const runs = naiveReps === 1 ? RUNS_SLOW : RUNS;
  const naiveMs: number[] = [];
  const fastMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    naiveMs.push(timeRun(gemmNaive, out, a, b, s, naiveReps) / naiveReps);
    fastMs.push(timeRun(gemm, out, a, b, s, fastReps) / fastReps);
  }
  const flop = 2 * s.m * s.k * s.n;
  return { shape: s, diff32, diff64, naive: flop / median(naiveMs) / 1e6, fast: flop / median(fastMs) / 1e6 };
}

setSeed(7);
say('gemm, float32, one core; GFLOP/s = 2·m·k·n / median time; diff = max |fast − naive|\n');
console.log('| shape | m×k×n | op | naive GFLOP/s | fast GFLOP/s | speedup | diff f32 | diff f64 |');
console.log('|---|---|---|--:|--:|--:|--:|--:|');
for (const s of shapes) {
  const r = bench(s);
  const op = `${s.transA ? 'aᵀ' : 'a'}·${s.transB ? 'bᵀ' : 'b'}`;
  console.log(
    `| ${s.label} | ${s.m}×${s.k}×${s.n} | ${op} | ${r.naive.toFixed(2)} | ${r.fast.toFixed(2)} | ` +
    `${(r.fast / r.naive).toFixed(1)}× | ${r.diff32.toExponential(1)} | ${r.diff64.toExponential(1)} |`,
  );
}
