import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad, randomUniform, setSeed } from '../../autograd/index.ts';
import { fitExponent, fmt, interleaved, markdownTable, maxAbsDiff, median } from '../../bench/timing.ts';
import type { Measured } from '../../bench/timing.ts';
import { targetTable, targets } from '../../bench/targets.ts';
import { agreeing, bytesOf, prose, ratioVerdict, withinVerdict } from '../../bench/text.ts';
import type { PeerResult } from '../../bench/peers.ts';
import { RecordingWorkspace, VARIANTS, passFlops, planTotal, stepFlops, variant } from '../../bench/variants.ts';

test('median: odd and even counts, unsorted input left as it was', () => {
  const xs = [5, 1, 3];
  assert.is(median(xs), 3);
  assert.equal(xs, [5, 1, 3]);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('fitExponent: recovers k of y = c·x^k, and is NaN for a single x', () => {
  const xs = [10, 100, 500];
  for (const k of [0, 1, 2, 0.5]) {
    const k2 = fitExponent(xs, xs.map((x) => 3 * x ** k));
    assert.ok(Math.abs(k2 - k) < 1e-12, `k = ${k}: got ${k2}`);
  }
  // y = x + 90 (a fixed cost beside a linear one): the slope over 10…500 is below 1.
  const k = fitExponent(xs, xs.map((x) => x + 90));
  assert.ok(k > 0.3 && k < 0.6, `fixed cost: got ${k}`); // 0.44
  assert.ok(Number.isNaN(fitExponent([5, 5], [1, 2])));
});

test('maxAbsDiff: the largest difference; a NaN is never within tolerance', () => {
  assert.is(maxAbsDiff([1, 2, 3], [1, 2.5, 2]), 1);
  assert.ok(Number.isNaN(maxAbsDiff([1, NaN], [1, 1])));
  assert.throws(() => maxAbsDiff([1], [1, 2]), /lengths differ/);
});

test('fmt and markdownTable', () => {
  assert.is(fmt(12800), '12,800');
  assert.is(fmt(0.012345), '0.0123');
  assert.is(fmt(242.4), '242');
  assert.is(markdownTable(['a', 'n'], [['x', '1']], [false, true]), '| a | n |\n| --- | --: |\n| x | 1 |');
});

test('interleaved: runs every variant in turn and reports per-call medians of the CPU time each used, not the wall time', () => {
  // In a process of its own with V8's background threads off: in this one, other threads (the collector, the compilers) add to the process's CPU time.
  const probe = join(import.meta.dirname, 'cpu-probe.ts');
  const root = join(import.meta.dirname, '..', '..'); // where `--import tsx` finds tsx, wherever the spec is run from
  const out = execFileSync(process.execPath, ['--single-threaded', '--import', 'tsx', probe], { cwd: root, encoding: 'utf8' });
  const { order, measured } = JSON.parse(out) as { order: string[]; measured: Measured[] };
  const [a, b, c] = measured;
  for (const m of measured) {
    assert.is(m.runs.length, 5);
    assert.is(m.reps, 1);
  }
  assert.equal(order.slice(-6), ['a', 'b', 'c', 'a', 'b', 'c']);
  // A call that burns 2 ms of CPU measures 2 ms (and not a little more, as wall time would on a loaded machine: the CPU time of waiting is zero).
  assert.ok(a.cpuMs >= 2 && a.cpuMs < 3, `2 ms of CPU measured as ${a.cpuMs} ms`);
  assert.ok(b.cpuMs >= 6 && b.cpuMs < 7.5, `6 ms of CPU measured as ${b.cpuMs} ms`);
  assert.ok(a.wallMs >= a.cpuMs * 0.9, `wall time ${a.wallMs} ms is at least the CPU time of one thread`);
  // A call that sleeps 8 ms takes 8 ms of wall time and almost no CPU.
  assert.ok(c.wallMs >= 7.5, `8 ms of sleep measured as ${c.wallMs} ms of wall time`);
  assert.ok(c.cpuMs < 2, `8 ms of sleep measured as ${c.cpuMs} ms of CPU`);
});

test('interleaved with warmCall: one untimed call of a variant before each of its timed runs', async () => {
  const calls: string[] = [];
  const timedRuns = (warmCall: boolean) => interleaved([() => calls.push('a'), () => calls.push('b')], { runs: 5, warmup: 1, runMs: 0, warmCall }, [], [1, 1]);
  await timedRuns(false);
  assert.equal(calls.join(''), 'ab'.repeat(5), 'without: each variant once per run');
  calls.length = 0;
  const measured = await timedRuns(true);
  assert.equal(calls.join(''), 'aabb'.repeat(5), 'with: a warm call, then the timed one');
  assert.ok(measured.every((m) => m.runs.length === 5 && m.reps === 1), 'and the same timed runs');
});

test('FLOPs from the shapes: LSTM at D = H = 32 is 2·4·32·64 + 17·32 per sample and step; training is 3 × inference', () => {
  const lstm = variant('lstm');
  assert.equal(stepFlops(lstm, 32, 32), { matmul: 16384, elementwise: 544, total: 16928 });
  assert.is(stepFlops(variant('simpleRnn'), 32, 32).total, 2 * 32 * 64 + 3 * 32);
  const dims = { B: 128, T: 100, D: 32, H: 32 };
  assert.is(passFlops(lstm, dims, false), 128 * 100 * 16928);
  assert.is(passFlops(lstm, dims, true), 3 * passFlops(lstm, dims, false));
});

test('RecordingWorkspace: records the plans the fused passes ask for, as the cells size them', () => {
  setSeed(3);
  const dims = { B: 2, T: 5, D: 3, H: 4 };
  for (const v of VARIANTS) {
    const w = v.init(dims.D, dims.H);
    const x = randomUniform([dims.B, dims.T, dims.D], -1, 1);
    const workspace = new RecordingWorkspace();
    v.fused(x, w, { workspace }); // weights require gradients: the training plan
    noGrad(() => v.fused(x, w, { workspace }));
    assert.ok(workspace.numbers('train') > 0, `${v.label}: no training plan recorded`);
    assert.ok(workspace.numbers('infer') > 0, `${v.label}: no inference plan recorded`);
    assert.is(workspace.numbers('train'), planTotal(v.planSizes('train', dims)), `${v.label} train`);
    assert.is(workspace.numbers('infer'), planTotal(v.planSizes('infer', dims)), `${v.label} infer`);
  }
});

test('prose: a long caption piped folds to 100 columns and 100 bytes, at spaces, every word kept; on a TTY to its width', () => {
  const caption = Array.from({ length: 60 }, (_, i) => `word${i} ×·∝…`).join(' ');
  const piped = prose(caption, { isTTY: false });
  const lines = piped.split('\n');
  assert.ok(lines.length > 1);
  for (const line of lines) assert.ok(bytesOf(line) <= 100, `${bytesOf(line)} bytes: ${line}`);
  assert.is(piped.split(/\s+/).join(' '), caption);
  const tty = prose(caption, { isTTY: true, columns: 60 }).split('\n');
  for (const line of tty) assert.ok([...line].length <= 60, line);
  assert.is(prose('short | table | row', { isTTY: false }), 'short | table | row');
  assert.is(prose('a\n\nb', { isTTY: false }), 'a\n\nb');
});

test('verdicts: judged unrounded, printed with the digits that make the row agree', () => {
  // 2.96 rounds to 3.0, which would read as meeting ≥ 3.
  assert.equal(ratioVerdict(2.96, 3), { value: '2.96×', goal: '≥ 3×', pass: false });
  assert.equal(ratioVerdict(1.4999, 1.5), { value: '1.4999×', goal: '≥ 1.5×', pass: false });
  assert.equal(ratioVerdict(3.04, 3), { value: '3.0×', goal: '≥ 3×', pass: true });
  assert.equal(ratioVerdict(12.345, 10).value, '12.3×');
  const miss = withinVerdict([0.95, 1.1004], 1, 0.1, '1.0 ± 0.1');
  assert.is(miss.pass, false);
  assert.is(miss.value, '0.9500 … 1.1004');
  assert.equal(withinVerdict([0.951, 1.04], 1, 0.1, 'g'), { value: '0.95 … 1.04', goal: 'g', pass: true });
  assert.equal(agreeing([2.96], ([r]) => r >= 3, false), ['2.96']);
});

test('targets: a peer ratio that rounds to its target but misses it never prints a contradiction', () => {
  const engine = { engine: 'tfjs-wasm', firstLoss: 0.69, lossDiff: 0, weightDiff: 0, cpuMs: 30, wallMs: 30, ratio: 2.96, target: 3 };
  const peer = { case: {}, label: 'LSTM(32) B=128 T=100 D=32', unrolled: { firstLoss: 0.69, cpuMs: 10, wallMs: 10 }, engines: [engine] } as unknown as PeerResult;
  const table = targetTable(targets([], [peer], []));
  const row = table.split('\n').find((l) => l.includes('TF.js wasm'))!;
  assert.is(row, '| LSTM(32) B=128 T=100: step vs TF.js wasm | 2.96× | ≥ 3× | MISS |');
  assert.not.match(table, /3\.0× \| ≥ 3× \| MISS/);
});

test.run();
