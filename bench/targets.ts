/**
 * The targets bench checks, each judged on unrounded figures and shown (see
 * text.ts) so that the printed figure agrees with its pass or MISS. A long
 * detail (which fits missed) goes in `note`, printed as prose under the table.
 */
import { MEMORY_T, type Fit, type MemoryFit } from './costs.ts';
import type { PeerResult } from './peers.ts';
import type { ThreadMemory } from './threads.ts';
import { markdownTable } from './timing.ts';
import { agreeing, ratioVerdict, verdictWord, withinVerdict } from './text.ts';

export interface Target {
  what: string;
  value: string;
  goal: string;
  pass: boolean;
  /** What the row's figure leaves out, e.g. the fits outside the tolerance; printed under the table. */
  note?: string;
}

/** The exponent of time over T: 1 ± this. */
const T_TOLERANCE = 0.1;

/** Training memory on two threads: at most this many times one thread's. */
const MEMORY_RATIO = 1.2;

/** The team's aim for LSTM(32) on two threads: within this factor of PyTorch on one thread (wall time). */
const TORCH_AIM = 2;

export function targets(fits: readonly Fit[], peers: readonly PeerResult[], memory: readonly MemoryFit[], threads: readonly ThreadMemory[] = []): Target[] {
  const list: Target[] = [];
  for (const p of peers) {
    const model = p.label.replace(/ D=\d+$/, '');
    for (const e of p.engines) {
      if (e.target !== null) list.push({ what: `${model}: step vs TF.js ${e.engine.slice(5)}`, ...ratioVerdict(e.ratio, e.target) });
      if (e.engine === 'tfjs-wasm' && p.case.twoCores !== undefined) {
        list.push({ what: `${model}: 2 threads vs TF.js wasm (wall)`, ...ratioVerdict(e.wallRatio2, p.case.twoCores) });
      }
    }
    if (p.torch && p.case.cell === 'lstm' && p.case.H === 32) {
      const ratio = p.torch.ratio2;
      const [shown] = agreeing([ratio], ([r]) => r <= TORCH_AIM, ratio <= TORCH_AIM, 2);
      list.push({ what: `${model}: 2 threads / PyTorch 1 thread (wall)`, value: `${shown}×`, goal: `≤ ${TORCH_AIM}× (aim)`, pass: ratio <= TORCH_AIM });
    }
  }
  for (const m of threads) {
    const pass = m.ratio <= MEMORY_RATIO;
    const [shown] = agreeing([m.ratio], ([r]) => r <= MEMORY_RATIO, pass, 2);
    list.push({ what: `${m.label}: training bytes, 2 threads / 1`, value: `${shown}×`, goal: `≤ ${MEMORY_RATIO}×`, pass });
  }
  const overT = fits.filter((f) => f.over === 'T');
  if (overT.length > 0) {
    const times = overT.flatMap((f) => [f.inferTime, f.trainTime]);
    const v = withinVerdict(times, 1, T_TOLERANCE, `1.0 ± ${T_TOLERANCE}`);
    const outside = (k: number) => !(k >= 1 - T_TOLERANCE && k <= 1 + T_TOLERANCE);
    const bad = overT.filter((f) => outside(f.inferTime) || outside(f.trainTime));
    list.push({
      what: `time ∝ T^k: k of ${overT.length} fits × infer, train`, ...v,
      ...(bad.length ? { note: `time ∝ T^k outside 1 ± ${T_TOLERANCE}: ${bad.map((f) => `${f.label} H=${f.at.H} B=${f.at.B}`).join(', ')}.` } : {}),
    });
  }
  if (memory.length > 0) {
    const ks = memory.map((m) => m.inferLong);
    const grows = memory.filter((m) => Object.keys(m.growing).length > 0).map((m) => `${m.label}: ${Object.keys(m.growing).join(', ')}`).join('; ');
    list.push({
      what: `inference plan bytes ∝ T^k, T = ${MEMORY_T.filter((T) => T >= 100).join(', ')}`, ...withinVerdict(ks, 0, 0.1, 'flat (0 ± 0.1)'),
      ...(grows ? { note: `Inference buffers still growing: ${grows}.` } : {}),
    });
  }
  return list;
}

/** The targets as a markdown table (the notes are printed apart, as prose). */
export function targetTable(list: readonly Target[]): string {
  return markdownTable(['target', 'measured', 'goal', ''], list.map((t) => [t.what, t.value, t.goal, verdictWord(t.pass)]));
}
