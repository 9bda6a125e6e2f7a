/**
 * The fused cells against the reference autograd path.
 *
 * For SimpleRNN, LSTM and both GRU variants with H = 32 units at B = 128,
 * T = 100, D = 32 in float32: the fused pass (`*Sequence`, one tape node with
 * a hand-written BPTT) beside the reference (`*Reference`, the autograd
 * `step` over every timestep, and the tape's backward through it).
 *
 * First each variant's fused output and gradients (of W, U, b and x, for a
 * fixed random output gradient) are compared with the reference's; the
 * largest absolute difference is printed and a variant that disagrees is not
 * timed. Then, per variant, forward (inference, under noGrad) and
 * forward + backward (training) are timed, fused and reference runs
 * interleaved, medians of the CPU time of 7 runs after a warm-up; printed as
 * sample·steps per second (B·T / time) with the fused / reference ratio.
 *
 * Then cells run by RNN(cell), step by step on the tape, against the fused
 * LSTM layer (the same sizes): RNN(LSTMCell) and RNN(PeepholeLSTMCell), each
 * first checked against the fused LSTM given its weights (zero peepholes).
 *
 * Run: npm run bench:cells
 */
import { Tensor, backward, noGrad, randomUniform, setSeed, type FloatArray } from '../autograd/index.ts';
import { Workspace, type CellWeights } from '../cells/common.ts';
import { fmt, formatLoad, interleaved, machine, markdownTable, relativeDiff, type Measured, type TimingOptions } from './timing.ts';
import { ratioVerdict, say, verdictWord } from './text.ts';
import { VARIANTS, type CellVariant } from './variants.ts';
import { LSTM, LSTMCell, PeepholeLSTMCell, RNN, type Layer } from '../lib/index.ts';

const B = 128; // batch
const T = 100; // timesteps
const D = 32; // input features
const H = 32; // units
const TIMING: TimingOptions = { runs: 7, warmup: 1, runMs: 200 };
/** Largest |fused − reference| allowed, relative to the largest |reference| value of that quantity (at least 1). */
const TOLERANCE = 1e-4;
/** The target: fused LSTM forward + backward at least this many times the reference's speed. */
const LSTM_TRAIN_TARGET = 5;

type Path = CellVariant['fused'];

interface Pass {
  output: FloatArray;
  grads: Record<'W' | 'U' | 'b' | 'x', FloatArray>;
}

/** One forward + backward through `path` with output gradient dOut; copies of the output and of every gradient. */
function trainPass(path: Path, x: Tensor, w: CellWeights, dOut: FloatArray, workspace: Workspace): Pass {
  const params = [w.kernel, w.recurrentKernel, w.bias!, x];
  for (const p of params) p.zeroGrad();
  const { output } = path(x, w, { workspace });
  backward(output, dOut);
  const [W, U, b, dx] = params.map((p) => (p.grad ?? new Float32Array(p.size)).slice());
  return { output: output.data.slice(), grads: { W, U, b, x: dx } };
}

interface Row {
  variant: CellVariant;
  worstAbs: number;
  worstWhat: string;
  ok: boolean;
  forward: [Measured, Measured] | null; // [fused, reference]
  train: [Measured, Measured] | null;
}

async function benchVariant(v: CellVariant): Promise<Row> {
  const w = v.init(D, H, 'float32');
  const x = randomUniform([B, T, D], -1, 1);
  x.requiresGrad = true;
  const dOut = randomUniform([B, H], -1, 1).data;
  const workspace = new Workspace();

  // The check: the same output and gradients from both paths.
  const fused = trainPass(v.fused, x, w, dOut, workspace);
  const ref = trainPass(v.reference, x, w, dOut, workspace);
  const inference = noGrad(() => v.fused(x, w, { workspace }).output.data);
  const diffs: Array<[string, { abs: number; rel: number }]> = [
    ['output', relativeDiff(fused.output, ref.output)],
    ['output (inference plan)', relativeDiff(inference, ref.output)],
    ...(['W', 'U', 'b', 'x'] as const).map((k): [string, { abs: number; rel: number }] => [`d${k}`, relativeDiff(fused.grads[k], ref.grads[k])]),
  ];
  let worst = diffs[0];
  for (const d of diffs) if (!(d[1].rel <= worst[1].rel)) worst = d;
  const ok = diffs.every(([, d]) => d.rel <= TOLERANCE);
  const worstAbs = Math.max(...diffs.map(([, d]) => d.abs));
  if (!ok) {
    console.error(`${v.label}: fused and reference disagree: ${diffs.map(([k, d]) => `${k} ${d.abs.toExponential(2)} (rel ${d.rel.toExponential(2)})`).join(', ')}; not timed`);
    return { variant: v, worstAbs, worstWhat: worst[0], ok, forward: null, train: null };
  }

  const forward = await interleaved([
    () => noGrad(() => v.fused(x, w, { workspace })),
    () => noGrad(() => v.reference(x, w)),
  ], TIMING);
  const train = await interleaved([
    () => trainPass(v.fused, x, w, dOut, workspace),
    () => trainPass(v.reference, x, w, dOut, workspace),
  ], TIMING);
  return { variant: v, worstAbs, worstWhat: worst[0], ok, forward: [forward[0], forward[1]], train: [train[0], train[1]] };
}

const rate = (m: Measured): number => (B * T) / (m.cpuMs / 1000); // sample·steps per second

/** One training pass of a layer: forward, backward of Σ output ⊙ dOut; the output and ∂L/∂x. */
function layerPass(layer: Layer, x: Tensor, dOut: FloatArray): FloatArray[] {
  for (const w of layer.weights()) w.zeroGrad();
  x.zeroGrad();
  const y = layer.apply(x) as Tensor;
  backward(y, dOut);
  return [y.data.slice(), (x.grad ?? new Float32Array(x.size)).slice()];
}

/** The cost of a cell run by RNN(cell) beside the fused LSTM: forward and forward + backward, checked first. */
async function benchOwnCells(): Promise<boolean> {
  const x = randomUniform([B, T, D], -1, 1);
  x.requiresGrad = true;
  const dOut = randomUniform([B, H], -1, 1).data;
  const fused = new LSTM(H);
  const layers: Array<[string, Layer]> = [['LSTM (fused)', fused], ['RNN(LSTMCell)', new RNN(new LSTMCell(H))], ['RNN(PeepholeLSTMCell)', new RNN(new PeepholeLSTMCell(H))]];
  for (const [, l] of layers) l.build([null, T, D]);
  for (const [, l] of layers.slice(1)) l.setWeights([...fused.getWeights(), ...l.getWeights().slice(3)]);
  const expected = layerPass(fused, x, dOut);
  const diffs = layers.map(([, l]) => {
    const got = layerPass(l, x, dOut);
    return Math.max(relativeDiff(got[0], expected[0]).rel, relativeDiff(got[1], expected[1]).rel);
  });
  if (!diffs.every((d) => d <= TOLERANCE)) {
    console.error(`RNN(cell) and the fused LSTM disagree: ${diffs.map((d, k) => `${layers[k][0]} ${d.toExponential(2)}`).join(', ')}; not timed`);
    return false;
  }
  const timed = await interleaved(layers.flatMap(([, l]) => [() => noGrad(() => l.apply(x)), () => layerPass(l, x, dOut)]), TIMING);
  const rows = layers.map(([label], k) => {
    const [fwd, train] = [timed[2 * k], timed[2 * k + 1]];
    return [label, diffs[k].toExponential(1), fmt(fwd.cpuMs), fmt(train.cpuMs), fmt(rate(train)), `${(train.cpuMs / timed[1].cpuMs).toFixed(1)}×`];
  });
  say(`\nCells run by RNN(cell) on the tape against the fused LSTM layer (H=${H}, B=${B}, T=${T}, D=${D}, float32; the cells given the LSTM's weights, zero peepholes; cost / fused = forward + backward time over the fused layer's):\n`);
  console.log(markdownTable(['layer', 'rel diff (y, dx)', 'forward ms', 'fwd+bwd ms', 'rate fwd+bwd', 'cost / fused'], rows, [false, true, true, true, true, true]));
  return true;
}

async function main(): Promise<void> {
  setSeed(1234);
  const start = machine();
  say(`Fused cells against the reference autograd path: H=${H}, B=${B}, T=${T}, D=${D}, float32.`);
  say(`Machine: ${start.cpu}, ${start.cores} cores, Node ${start.node}; load average at start ${formatLoad(start.load)}.`);
  say(`Time: median CPU time of ${TIMING.runs} runs after a warm-up, the two paths interleaved; rate = B·T / time (sample·steps/s).`);
  say(`Check: fused output and gradients (dW, dU, db, dx for a random output gradient) against the reference, tolerance ${TOLERANCE} relative to max(1, max|reference|).\n`);

  const rows: Row[] = [];
  for (const v of VARIANTS) rows.push(await benchVariant(v));

  const passTable = (pass: 'forward' | 'train', first: readonly string[]) => markdownTable(
    [...first, 'fused ms', 'ref ms', 'rate fused / ref', 'fused/ref'],
    rows.map((r) => {
      const pair = r[pass];
      const cells = pass === 'forward' ? [r.variant.label, `${r.worstAbs.toExponential(1)} (${r.worstWhat})`] : [r.variant.label];
      if (!pair) return [...cells, '—', '—', '—', '—'];
      return [...cells, fmt(pair[0].cpuMs), fmt(pair[1].cpuMs), `${fmt(rate(pair[0]))} / ${fmt(rate(pair[1]))}`, `${(pair[1].cpuMs / pair[0].cpuMs).toFixed(1)}×`];
    }),
    [false, ...first.slice(1).map(() => true), true, true, true, true],
  );
  say('fused/ref = the reference time over the fused time (how many times faster the fused pass is).\n');
  console.log('Forward:\n');
  console.log(passTable('forward', ['cell', 'max abs diff']));
  console.log('\nForward + backward:\n');
  console.log(passTable('train', ['cell']));

  const lstm = rows.find((r) => r.variant.key === 'lstm');
  const ratio = lstm?.train ? lstm.train[1].cpuMs / lstm.train[0].cpuMs : NaN;
  const verdict = ratioVerdict(ratio, LSTM_TRAIN_TARGET);
  const end = machine();
  say(`\nTarget: fused LSTM forward+backward ${verdict.goal} the reference: ${verdict.value} — ${verdictWord(verdict.pass)}.`);
  say(`Load average at end ${formatLoad(end.load)} (${end.cores} cores; a shared machine: medians of CPU time, not wall time).`);
  const cellsOk = await benchOwnCells();
  if (rows.some((r) => !r.ok) || !cellsOk) process.exitCode = 1; // a wrong result fails the run; a missed target is reported above
}

await main();
