/**
 * What each cell costs: the fused SimpleRNN, LSTM and both GRU variants over a
 * grid of units H, batch B and timesteps T (D fixed), inference forward and
 * training forward + backward, with the FLOPs the shapes predict, the GFLOP/s
 * achieved and the buffer plans the passes hold; then how time and memory
 * scale with T and H (fitted exponents).
 *
 * Checks before timing: per variant and H, the fused output and gradients
 * against the reference autograd path on a small batch; per grid point, the
 * inference output equal to the training forward's, finite gradients, and the
 * recorded plan sizes equal to the driver's `planSizes` for the cell.
 */
import { backward, noGrad, randomUniform, type FloatArray, type Tensor } from '../autograd/index.ts';
import type { CellWeights } from '../cells/common.ts';
import { cpuNow, fitExponent, fmt, formatBytes, interleaved, markdownTable, maxAbsDiff, relativeDiff, type Measured, type TimingOptions } from './timing.ts';
import { RecordingWorkspace, VARIANTS, passFlops, planTotal, stepFlops, variant, type CellVariant, type VariantKey } from './variants.ts';

export interface Grid {
  H: readonly number[];
  B: readonly number[];
  T: readonly number[];
  D: number;
}

export interface CostRow {
  cell: VariantKey;
  label: string;
  H: number;
  B: number;
  T: number;
  D: number;
  /** Median CPU ms per call (per batch). */
  inferMs: number;
  trainMs: number;
  inferWallMs: number;
  trainWallMs: number;
  /** Sample·steps per second: B·T / time. */
  inferRate: number;
  trainRate: number;
  inferFlops: number;
  trainFlops: number;
  inferGflops: number;
  trainGflops: number;
  /** Bytes of the buffer plans (float32): 'infer' and 'train' (the caches kept for the backward plus its scratch). */
  inferBytes: number;
  trainBytes: number;
  /** Plan buffers, numbers each, as the cells name them. */
  inferPlan: Readonly<Record<string, number>>;
  trainPlan: Readonly<Record<string, number>>;
  /** Training time and FLOPs relative to SimpleRNN at the same shape. */
  relTrainTime: number;
  relInferTime: number;
  relFlops: number;
}

export interface CellCheck {
  cell: VariantKey;
  H: number;
  B: number;
  T: number;
  /** Largest |fused − reference| over the output and dW, dU, db, dx. */
  maxAbsDiff: number;
  /** The same, relative to max(1, max |reference|) of each quantity. */
  maxRelDiff: number;
  ok: boolean;
}

/** Allowed |fused − reference| relative to max(1, max |reference|), float32. */
export const REFERENCE_TOLERANCE = 1e-4;
const BYTES = 4; // float32

interface Inputs {
  w: CellWeights;
  x: Tensor;
  dOut: FloatArray;
}

function inputs(v: CellVariant, B: number, T: number, D: number, H: number): Inputs {
  const w = v.init(D, H, 'float32');
  const x = randomUniform([B, T, D], -1, 1);
  x.requiresGrad = true; // so the backward takes dX too: 2 × the forward's matmul FLOPs
  return { w, x, dOut: randomUniform([B, H], -1, 1).data };
}

/** One training pass: forward, then backward from the output with gradient dOut. Returns the output. */
function train(path: CellVariant['fused'], { w, x, dOut }: Inputs, workspace: RecordingWorkspace | undefined): FloatArray {
  for (const p of [w.kernel, w.recurrentKernel, w.bias, x]) p?.zeroGrad();
  const { output } = path(x, w, { workspace });
  backward(output, dOut);
  return output.data;
}

function gradients({ w, x }: Inputs): FloatArray[] {
  return [w.kernel, w.recurrentKernel, w.bias!, x].map((p) => (p.grad ?? new Float32Array(p.size)).slice());
}

/** The fused pass against the reference on a small batch: output and every gradient. */
export function checkAgainstReference(v: CellVariant, B: number, T: number, D: number, H: number): CellCheck {
  const ins = inputs(v, B, T, D, H);
  const fusedOut = train(v.fused, ins, new RecordingWorkspace()).slice();
  const fusedGrads = gradients(ins);
  const refOut = train(v.reference, ins, undefined).slice();
  const refGrads = gradients(ins);
  const diffs = [relativeDiff(fusedOut, refOut), ...fusedGrads.map((g, i) => relativeDiff(g, refGrads[i]))];
  const abs = Math.max(...diffs.map((d) => d.abs));
  const rel = Math.max(...diffs.map((d) => d.rel)); // NaN if any is NaN
  return { cell: v.key, H, B, T, maxAbsDiff: abs, maxRelDiff: rel, ok: rel <= REFERENCE_TOLERANCE };
}

/**
 * Checks of one grid point; throws when one fails, so nothing unchecked is
 * timed. Returns the CPU ms of its inference and training calls, which are
 * also the first warm-up of each.
 */
function checkGridPoint(v: CellVariant, ins: Inputs, workspace: RecordingWorkspace, dims: { B: number; T: number; D: number; H: number }): [number, number] {
  const where = `${v.label} H=${dims.H} B=${dims.B} T=${dims.T}`;
  let t0 = cpuNow();
  const trained = train(v.fused, ins, workspace).slice();
  const trainMs = cpuNow() - t0;
  for (const g of gradients(ins)) {
    if (!g.every(Number.isFinite)) throw new Error(`${where}: a gradient is not finite`);
  }
  t0 = cpuNow();
  const inferred = noGrad(() => v.fused(ins.x, ins.w, { workspace }).output.data);
  const inferMs = cpuNow() - t0;
  const d = maxAbsDiff(inferred, trained);
  if (!(d <= 1e-6)) throw new Error(`${where}: inference output differs from the training forward by ${d}`);
  for (const kind of ['train', 'infer'] as const) {
    const own = planTotal(v.planSizes(kind, dims));
    const seen = workspace.numbers(kind);
    if (own !== seen) throw new Error(`${where}: the ${kind} plan holds ${seen} numbers but the cell's plan sizes say ${own}`);
  }
  return [inferMs, trainMs];
}

/** Times every variant at one shape, all eight calls (4 cells × infer, train) interleaved. */
async function timeShape(H: number, B: number, T: number, D: number, timing: TimingOptions, variants: readonly CellVariant[]): Promise<CostRow[]> {
  const dims = { B, T, D, H };
  const prepared = variants.map((v) => {
    const ins = inputs(v, B, T, D, H);
    const workspace = new RecordingWorkspace();
    const firstCalls = checkGridPoint(v, ins, workspace, dims);
    return { v, ins, workspace, firstCalls };
  });
  const calls = prepared.flatMap(({ v, ins, workspace }) => [
    () => noGrad(() => v.fused(ins.x, ins.w, { workspace })),
    () => train(v.fused, ins, workspace),
  ]);
  const measured = await interleaved(calls, timing, [], prepared.flatMap((p) => p.firstCalls.map((ms) => (ms >= timing.runMs ? ms : null))));
  // (A check call shorter than a run does not warm up enough: those are sized and warmed by repsFor.)
  const rows = prepared.map(({ v, workspace }, i): CostRow => {
    const inf: Measured = measured[2 * i];
    const tr: Measured = measured[2 * i + 1];
    const inferFlops = passFlops(v, dims, false);
    const trainFlops = passFlops(v, dims, true);
    const inferPlan = [...workspace.sizes].find(([name]) => name.endsWith(':infer'))?.[1] ?? {};
    const trainPlan = [...workspace.sizes].find(([name]) => name.endsWith(':train'))?.[1] ?? {};
    return {
      cell: v.key, label: v.label, H, B, T, D,
      inferMs: inf.cpuMs, trainMs: tr.cpuMs, inferWallMs: inf.wallMs, trainWallMs: tr.wallMs,
      inferRate: (B * T) / (inf.cpuMs / 1000), trainRate: (B * T) / (tr.cpuMs / 1000),
      inferFlops, trainFlops,
      inferGflops: inferFlops / (inf.cpuMs * 1e6), trainGflops: trainFlops / (tr.cpuMs * 1e6),
      inferBytes: workspace.numbers('infer') * BYTES, trainBytes: workspace.numbers('train') * BYTES,
      inferPlan, trainPlan,
      relTrainTime: NaN, relInferTime: NaN, relFlops: NaN,
    };
  });
  const base = rows.find((r) => r.cell === 'simpleRnn');
  const simple = stepFlops(variant('simpleRnn'), D, H).total;
  for (const r of rows) {
    r.relFlops = stepFlops(variant(r.cell), D, H).total / simple;
    if (!base) continue;
    r.relTrainTime = r.trainMs / base.trainMs;
    r.relInferTime = r.inferMs / base.inferMs;
  }
  return rows;
}

export interface CostResult {
  checks: CellCheck[];
  rows: CostRow[];
}

/**
 * Runs every variant's inference and training passes a few hundred times on
 * small shapes before anything is timed. Without it the first grid points
 * carry the JIT compiling the cells (on V8's background threads, which the
 * process CPU time counts): at B=1, T=10 that doubled the time of the first
 * cell measured.
 */
function warmUp(grid: Grid): void {
  for (const v of VARIANTS) {
    for (const H of grid.H) {
      const ins = inputs(v, 1, Math.min(...grid.T), grid.D, H);
      const workspace = new RecordingWorkspace();
      const until = performance.now() + 150;
      for (let i = 0; i < 300 && performance.now() < until; i++) {
        noGrad(() => v.fused(ins.x, ins.w, { workspace }));
        train(v.fused, ins, workspace);
      }
    }
  }
}

/** The whole grid; `log` reports progress (to stderr). */
export async function cellCosts(grid: Grid, timing: TimingOptions, log: (line: string) => void): Promise<CostResult> {
  const checks: CellCheck[] = [];
  for (const v of VARIANTS) {
    for (const H of grid.H) {
      const c = checkAgainstReference(v, 4, 12, grid.D, H);
      checks.push(c);
      if (!c.ok) throw new Error(`${v.label} H=${H}: fused and reference differ by ${c.maxAbsDiff} (relative ${c.maxRelDiff}); not timed`);
    }
  }
  log(`checked ${checks.length} cell/H pairs against the reference (worst relative diff ${Math.max(...checks.map((c) => c.maxRelDiff)).toExponential(1)})`);
  warmUp(grid);
  // A throwaway round of the first shape: its numbers came out high even after the warm-up.
  await timeShape(grid.H[0], grid.B[0], grid.T[0], grid.D, timing, VARIANTS);
  const rows: CostRow[] = [];
  for (const H of grid.H) {
    for (const B of grid.B) {
      for (const T of grid.T) {
        const t0 = performance.now();
        rows.push(...(await timeShape(H, B, T, grid.D, timing, VARIANTS)));
        log(`  costs H=${H} B=${B} T=${T}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
  }
  return { checks, rows };
}

// ---------------------------------------------------------------- scaling

export interface Fit {
  cell: VariantKey;
  label: string;
  /** What is held fixed, e.g. { H: 32, B: 128 }. */
  at: Readonly<Record<string, number>>;
  /** The variable the fit runs over, and its values. */
  over: 'T' | 'H';
  values: number[];
  inferTime: number;
  trainTime: number;
}

/** Exponents of time against T (at each H, B) and against H (at each B, T). */
export function scalingFits(rows: readonly CostRow[], grid: Grid): Fit[] {
  const fits: Fit[] = [];
  const fit = (cell: CellVariant, at: Record<string, number>, over: 'T' | 'H', pick: CostRow[]): void => {
    if (pick.length < 2) return;
    const xs = pick.map((r) => r[over]);
    fits.push({
      cell: cell.key, label: cell.label, at, over, values: xs,
      inferTime: fitExponent(xs, pick.map((r) => r.inferMs)),
      trainTime: fitExponent(xs, pick.map((r) => r.trainMs)),
    });
  };
  for (const v of VARIANTS) {
    const mine = rows.filter((r) => r.cell === v.key);
    for (const H of grid.H) for (const B of grid.B) fit(v, { H, B }, 'T', mine.filter((r) => r.H === H && r.B === B));
    for (const B of grid.B) for (const T of grid.T) fit(v, { B, T }, 'H', mine.filter((r) => r.B === B && r.T === T));
  }
  return fits;
}

// ---------------------------------------------------------------- memory against T

export interface MemoryPoint {
  cell: VariantKey;
  label: string;
  H: number;
  B: number;
  T: number;
  inferBytes: number;
  trainBytes: number;
  inferPlan: Readonly<Record<string, number>>;
}

/** The sequence lengths of the memory sweep: past the grid, so that a chunked inference plan shows as flat. */
export const MEMORY_T = [10, 100, 500, 1000] as const;

/**
 * The plan bytes of every variant at H, B and each T of MEMORY_T: one
 * checked training call and one inference call each (plans are sizes, not
 * timings, so one call suffices).
 */
export function memorySweep(H: number, B: number, D: number): MemoryPoint[] {
  const points: MemoryPoint[] = [];
  for (const v of VARIANTS) {
    for (const T of MEMORY_T) {
      const ins = inputs(v, B, T, D, H);
      const workspace = new RecordingWorkspace();
      checkGridPoint(v, ins, workspace, { B, T, D, H });
      points.push({
        cell: v.key, label: v.label, H, B, T,
        inferBytes: workspace.numbers('infer') * BYTES, trainBytes: workspace.numbers('train') * BYTES,
        inferPlan: [...workspace.sizes].find(([name]) => name.endsWith(':infer'))?.[1] ?? {},
      });
    }
  }
  return points;
}

export interface MemoryFit {
  cell: VariantKey;
  label: string;
  /** Exponent of the inference plan bytes over T ≥ 100 (long sequences), and over every T. */
  inferLong: number;
  inferAll: number;
  trainAll: number;
  /** Inference buffers still growing between the two longest T: name → exponent of their size. */
  growing: Record<string, number>;
}

export function memoryFits(points: readonly MemoryPoint[]): MemoryFit[] {
  return VARIANTS.map((v) => {
    const mine = points.filter((p) => p.cell === v.key).sort((a, b) => a.T - b.T);
    const long = mine.filter((p) => p.T >= 100);
    const [a, b] = mine.slice(-2);
    const growing: Record<string, number> = {};
    for (const name of Object.keys(b.inferPlan)) {
      const [s0, s1] = [a.inferPlan[name] ?? 0, b.inferPlan[name]];
      if (s0 > 0 && s1 > s0) growing[name] = Math.log(s1 / s0) / Math.log(b.T / a.T);
    }
    return {
      cell: v.key, label: v.label,
      inferLong: fitExponent(long.map((p) => p.T), long.map((p) => p.inferBytes)),
      inferAll: fitExponent(mine.map((p) => p.T), mine.map((p) => p.inferBytes)),
      trainAll: fitExponent(mine.map((p) => p.T), mine.map((p) => p.trainBytes)),
      growing,
    };
  });
}

// ---------------------------------------------------------------- tables

export function costTable(rows: readonly CostRow[]): string {
  const shape = (r: CostRow) => [r.label, String(r.H), String(r.B), String(r.T)];
  const time = markdownTable(
    ['cell', 'H', 'B', 'T', 'inf ms', 'trn ms', 'inf rate', 'trn rate', 'trn ×SRNN', 'FLOPs ×SRNN'],
    rows.map((r) => [...shape(r), fmt(r.inferMs), fmt(r.trainMs), fmt(r.inferRate), fmt(r.trainRate), `${r.relTrainTime.toFixed(2)}×`, `${r.relFlops.toFixed(2)}×`]),
    [false, true, true, true, true, true, true, true, true, true],
  );
  const work = markdownTable(
    ['cell', 'H', 'B', 'T', 'inf GFLOP', 'trn GFLOP', 'inf GFLOP/s', 'trn GFLOP/s', 'inf plan', 'trn plan'],
    rows.map((r) => [...shape(r), fmt(r.inferFlops / 1e9), fmt(r.trainFlops / 1e9), fmt(r.inferGflops), fmt(r.trainGflops), formatBytes(r.inferBytes), formatBytes(r.trainBytes)]),
    [false, true, true, true, true, true, true, true, true, true],
  );
  return `${time}\n\n${work}`;
}

/** The legend of costTable's abbreviations. */
export const COST_LEGEND = 'inf = infer, trn = train; rate = sample·steps per second; ×SRNN = relative to SimpleRNN at the same shape (training time, and the FLOPs the shapes predict); plan = buffer-plan bytes.';

/** Exponents against T: one row per cell and H, one column pair per B. */
export function scalingTable(fits: readonly Fit[], grid: Grid, over: 'T' | 'H'): string {
  const outer = over === 'T' ? grid.H : grid.B; // rows: per cell and H (over T) or per cell and B (over H)
  const inner = over === 'T' ? grid.B : grid.T; // columns
  const outerName = over === 'T' ? 'H' : 'B';
  const innerName = over === 'T' ? 'B' : 'T';
  const header = ['cell', outerName, ...inner.map((n) => `${innerName}=${n} infer / train`)];
  const body: string[][] = [];
  for (const v of VARIANTS) {
    for (const o of outer) {
      body.push([v.label, String(o), ...inner.map((i) => {
        const f = fits.find((x) => x.cell === v.key && x.over === over && x.at[outerName] === o && x.at[innerName] === i);
        return f ? `${f.inferTime.toFixed(2)} / ${f.trainTime.toFixed(2)}` : '—';
      })]);
    }
  }
  return markdownTable(header, body, header.map((_, i) => i >= 1));
}

/** Plan bytes at each T of the sweep (infer / train) and the fitted exponents. */
export function memoryTable(points: readonly MemoryPoint[], fits: readonly MemoryFit[]): string {
  const bytes = (f: MemoryFit, kind: 'inferBytes' | 'trainBytes') => MEMORY_T.map((T) => {
    const p = points.find((q) => q.cell === f.cell && q.T === T);
    return p ? formatBytes(p[kind]) : '—';
  });
  const Ts = MEMORY_T.map((T) => `T=${T}`);
  const infer = markdownTable(
    ['infer plan', ...Ts, 'k (T ≥ 100)', 'k (all T)'],
    fits.map((f) => [f.label, ...bytes(f, 'inferBytes'), f.inferLong.toFixed(2), f.inferAll.toFixed(2)]),
    [false, ...Ts.map(() => true), true, true],
  );
  const train = markdownTable(
    ['train plan', ...Ts, 'k (all T)'],
    fits.map((f) => [f.label, ...bytes(f, 'trainBytes'), f.trainAll.toFixed(2)]),
    [false, ...Ts.map(() => true), true],
  );
  return `${infer}\n\n${train}`;
}
