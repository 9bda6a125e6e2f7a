/**
 * Timing for the benchmarks: CPU and wall time of a run, runs sized to a
 * target length, several variants timed in turn (A B A B …) after a warm-up,
 * medians, a least-squares fit of an exponent on log-log axes, result
 * comparisons, tables, and the machine the numbers come from.
 *
 * Time is the process's CPU time (user + system, all of its threads), not wall
 * time: the machines this runs on are shared, and a process that waits for a
 * core does not then count the wait against the code. Wall time is kept
 * beside it. Both are medians over runs, so a run disturbed by other load
 * moves the result less than a mean would.
 */
import { cpus, loadavg } from 'node:os';

/** One timed run, per call: milliseconds of CPU and of wall time. */
export interface Timing {
  cpuMs: number;
  wallMs: number;
}

/** What a variant's runs gave: per-call times of every run, and their medians. */
export interface Measured {
  /** Calls per run (a run repeats the call until it lasts about `runMs`). */
  reps: number;
  runs: Timing[];
  /** Median per-call CPU time, ms. */
  cpuMs: number;
  /** Median per-call wall time, ms. */
  wallMs: number;
}

/** A call to time; a returned promise is awaited inside the timed run. */
export type Timed = () => unknown;

export interface TimingOptions {
  /** Timed runs per variant; the median is reported (at least 5). */
  runs: number;
  /** Warm-up runs per variant before the timed ones (at least 1). */
  warmup: number;
  /** Target length of one run, ms of CPU time: short calls are repeated to fill it. */
  runMs: number;
  /**
   * One untimed call of a variant before each of its timed runs, so that
   * every run is timed warm, whatever ran before it (a worker pool that sat
   * idle while the other engines ran takes its first call ~30% slower).
   */
  warmCall?: boolean;
}

/** CPU time of this process so far, ms (user + system, every thread). */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `f` `reps` times and returns the per-call CPU and wall time. */
export async function timeRun(f: Timed, reps: number): Promise<Timing> {
  const cpu0 = cpuNow();
  const wall0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const result = f();
    if (result instanceof Promise) await result;
  }
  return { cpuMs: (cpuNow() - cpu0) / reps, wallMs: (performance.now() - wall0) / reps };
}

/** Calls per run so that one run lasts about `runMs` of CPU time (at least 1); the calls made here warm `f` up. */
export async function repsFor(f: Timed, runMs: number): Promise<number> {
  let reps = 1;
  for (;;) {
    const t = await timeRun(f, reps);
    const ms = t.cpuMs * reps;
    if (ms >= runMs / 4 || reps >= 1 << 20) return Math.max(1, Math.ceil(runMs / Math.max(t.cpuMs, 1e-6)));
    reps *= 4;
  }
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times the variants in turn: each is first sized and warmed up, then
 * `runs` rounds each run every variant once, in the given order (A B A B …),
 * so that slow drifts of the machine's load fall on all of them alike.
 * `before[i]`, when given, runs untimed before each run of variant i (for
 * example to switch a TF.js backend). `calledOnce[i]`, when given, is the CPU
 * ms of a call the caller has already made (a check): that call is the first
 * warm-up and sizes the runs, so none is spent on sizing.
 */
export async function interleaved(
  variants: readonly Timed[], options: TimingOptions, before: ReadonlyArray<(() => Promise<void>) | null> = [],
  calledOnce: ReadonlyArray<number | null> = [],
): Promise<Measured[]> {
  const reps: number[] = [];
  for (let i = 0; i < variants.length; i++) {
    await before[i]?.();
    const known = calledOnce[i];
    reps.push(known != null ? Math.max(1, Math.ceil(options.runMs / Math.max(known, 1e-6))) : await repsFor(variants[i], options.runMs));
    for (let w = 1; w < options.warmup; w++) await timeRun(variants[i], reps[i]);
  }
  const runs: Timing[][] = variants.map(() => []);
  for (let r = 0; r < options.runs; r++) {
    for (let i = 0; i < variants.length; i++) {
      await before[i]?.();
      if (options.warmCall) await timeRun(variants[i], 1);
      runs[i].push(await timeRun(variants[i], reps[i]));
    }
  }
  return runs.map((rs, i) => ({
    reps: reps[i],
    runs: rs,
    cpuMs: median(rs.map((t) => t.cpuMs)),
    wallMs: median(rs.map((t) => t.wallMs)),
  }));
}

/**
 * The exponent k of y ≈ c·x^k: the least-squares slope of log y against
 * log x. NaN with fewer than two distinct x.
 */
export function fitExponent(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** The largest |a[i] − b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} and ${b.length})`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN wins, so a NaN never passes a check
  }
  return worst;
}

/** The largest |a − b| (abs), and that relative to max(1, max |b|) (rel): b is the reference. */
export function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  const abs = maxAbsDiff(a, b);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return { abs, rel: abs / scale };
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  /** 1-, 5- and 15-minute load averages when asked. */
  load: [number, number, number];
}

export function machine(): Machine {
  const [l1, l5, l15] = loadavg();
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, load: [l1, l5, l15] };
}

export function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(', ');
}

/** A markdown table: header, alignment row (numbers right-aligned), rows. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[] = []): string {
  const align = header.map((_, i) => (numeric[i] ? '--:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** 3 significant figures, with thousands grouped (12,800 · 0.0123 · 1.23e-7). */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  if (a < 1e-4) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/** Bytes as B, KiB, MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${fmt(n / 1024)} KiB`;
  return `${fmt(n / (1024 * 1024))} MiB`;
}
