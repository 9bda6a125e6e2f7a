/**
 * lib/explain.ts: the traced activations are the fused forward's own numbers,
 * and the gradient norms of the hand-written BPTT equal those the autograd
 * finds through the reference steps. Everything runs in float64.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, backward, randomNormal, randomUniform, setSeed, type FloatArray } from '../../autograd/index.ts';
import { referenceLoop, type CellWeights, type SequenceOptions, type StepFunction } from '../../cells/common.ts';
import { gruStep } from '../../cells/gru.ts';
import { lstmStep } from '../../cells/lstm.ts';
import { simpleRnnStep } from '../../cells/simple-rnn.ts';
import { gradientFlow, traceLayer } from '../../lib/explain.ts';
import { GRU, LSTM, SimpleRNN, clearSession, type FusedRNN as RNN } from '../../lib/index.ts';

/** Named tolerances (float64 throughout). */
const TOL = {
  /** The trace against the same fused forward run as a layer call: the same arithmetic. */
  sameForward: 1e-12,
  /** Gates recomputed here from the traced states with plain loops. */
  recomputed: 1e-12,
  /** Norms of the fused BPTT against the autograd through the reference steps (relative). */
  norms: 1e-9,
};

const B = 3;
const T = 7;
const D = 2;
const H = 4;

interface Case {
  name: string;
  make: (options: { goBackwards?: boolean; returnSequences?: boolean; stateful?: boolean }) => RNN;
  /** The cell's reference step with the layers' default activations. */
  step: (w: CellWeights) => StepFunction;
  states: number;
}

const CASES: Case[] = [
  {
    name: 'SimpleRNN',
    make: (o) => new SimpleRNN(H, { dtype: 'float64', ...o }),
    step: (w) => (x, s) => simpleRnnStep(x, s, w),
    states: 1,
  },
  {
    name: 'LSTM',
    make: (o) => new LSTM(H, { dtype: 'float64', ...o }),
    step: (w) => (x, s) => lstmStep(x, s, w),
    states: 2,
  },
  {
    name: 'GRU (resetAfter true)',
    make: (o) => new GRU(H, { dtype: 'float64', ...o }),
    step: (w) => (x, s) => gruStep(x, s, w, { resetAfter: true }),
    states: 1,
  },
  {
    name: 'GRU (resetAfter false)',
    make: (o) => new GRU(H, { dtype: 'float64', resetAfter: false, ...o }),
    step: (w) => (x, s) => gruStep(x, s, w, { resetAfter: false }),
    states: 1,
  },
];

/** A layer built for [·, T, D] with a random (non-zero) bias, so that every term of the equations shows. */
function built(c: Case, options: Parameters<Case['make']>[0] = {}): RNN {
  clearSession();
  const layer = c.make(options);
  layer.build([null, T, D]);
  const bias = layer.cellWeights!.bias!;
  for (let i = 0; i < bias.size; i++) bias.data[i] += 0.3 * Math.sin(7 * i + 1);
  return layer;
}

function input(seed: number): Tensor {
  setSeed(seed);
  return randomUniform([B, T, D], -1.5, 1.5, 'float64');
}

/** Reports the worst element and the first few pairs when two arrays differ by more than tol. */
function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, relative = false): void {
  assert.is(got.length, want.length, `${what}: length ${got.length}, expected ${want.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < got.length; i++) {
    const scale = relative ? Math.max(Math.abs(want[i]), 1e-30) : 1;
    const err = Math.abs(got[i] - want[i]) / scale;
    if (!(err <= worstErr)) {
      worstErr = err;
      worst = i;
    }
  }
  if (!(worstErr <= tol)) {
    const pairs = Array.from({ length: Math.min(4, got.length) }, (_, i) => `[${i}] ${got[i]} vs ${want[i]}`).join('; ');
    assert.unreachable(`${what}: worst ${relative ? 'relative ' : ''}error ${worstErr.toExponential(2)} > ${tol} at [${worst}] (${got[worst]} vs ${want[worst]}); first pairs: ${pairs}`);
  }
}

/** The [B, H] slice of a [B, T, H] array at step t. */
function stepOf(a: Readonly<FloatArray>, t: number, width = H) {
  const out = new Float64Array(B * width);
  for (let b = 0; b < B; b++) for (let j = 0; j < width; j++) out[b * width + j] = a[(b * T + t) * width + j];
  return out;
}

/** [B, cols] = x_t W[:, from:from+cols] + h U[:, from:from+cols] (+ the two bias rows given), with plain loops. */
function affine(
  xt: Readonly<FloatArray>, h: Readonly<FloatArray>, w: CellWeights, from: number, cols: number,
  bias: Readonly<FloatArray> | null, opts: { hScale?: Readonly<FloatArray> } = {},
): { x: Float64Array; h: Float64Array } {
  const G = w.kernel.shape[1];
  const xs = new Float64Array(B * cols);
  const hs = new Float64Array(B * cols);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < cols; j++) {
      let sx = bias ? bias[from + j] : 0;
      for (let d = 0; d < D; d++) sx += xt[b * D + d] * w.kernel.data[d * G + from + j];
      let sh = 0;
      for (let i = 0; i < H; i++) {
        const hv = h[b * H + i] * (opts.hScale ? opts.hScale[b * H + i] : 1);
        sh += hv * w.recurrentKernel.data[i * G + from + j];
      }
      xs[b * cols + j] = sx;
      hs[b * cols + j] = sh;
    }
  }
  return { x: xs, h: hs };
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const map = (a: ArrayLike<number>, f: (v: number, i: number) => number): Float64Array => Float64Array.from({ length: a.length }, (_, i) => f(a[i], i));

// ---------------------------------------------------------------- the trace

for (const c of CASES) {
  test(`${c.name}: the traced h at every step is the layer's own output (returnSequences), forwards and backwards`, () => {
    for (const goBackwards of [false, true]) {
      const layer = built(c, { goBackwards, returnSequences: true });
      const x = input(11);
      const trace = traceLayer(layer, x);
      for (const [name, t] of Object.entries(trace)) {
        assert.equal(t.shape, [B, T, H], `${c.name} trace.${name} shape`);
        assert.is(t.node, null, `${c.name} trace.${name} is on the tape`);
      }
      const { output, states } = layer.applyWithStates(x);
      close(`${c.name} goBackwards ${goBackwards}: trace.h vs output`, trace.h.data, output.data, TOL.sameForward);
      close(`${c.name} goBackwards ${goBackwards}: last trace.h vs final h`, stepOf(trace.h.data, T - 1), states[0].data, TOL.sameForward);
      if (c.states === 2) {
        close(`${c.name} goBackwards ${goBackwards}: last trace.c vs final c`, stepOf(trace.c.data, T - 1), states[1].data, TOL.sameForward);
      }
    }
  });
}

test('trace names: SimpleRNN h; LSTM i f g o c h; GRU z r hh h', () => {
  const x = input(3);
  assert.equal(Object.keys(traceLayer(built(CASES[0]), x)).sort(), ['h']);
  assert.equal(Object.keys(traceLayer(built(CASES[1]), x)).sort(), ['c', 'f', 'g', 'h', 'i', 'o']);
  assert.equal(Object.keys(traceLayer(built(CASES[2]), x)).sort(), ['h', 'hh', 'r', 'z']);
});

test('LSTM: each traced gate is σ or tanh of its block of x W + hPrev U + b, and c, h follow from the gates', () => {
  const layer = built(CASES[1]);
  const w = layer.cellWeights!;
  const x = input(5);
  const tr = traceLayer(layer, x);
  let hPrev = new Float64Array(B * H);
  let cPrev = new Float64Array(B * H);
  for (let t = 0; t < T; t++) {
    const xt = stepOf(x.data, t, D);
    const block = (k: number): Float64Array => {
      const a = affine(xt, hPrev, w, k * H, H, w.bias!.data);
      return map(a.x, (v, i) => v + a.h[i]);
    };
    const i = map(block(0), sigmoid);
    const f = map(block(1), sigmoid);
    const g = map(block(2), Math.tanh);
    const o = map(block(3), sigmoid);
    const c = map(f, (fv, k) => fv * cPrev[k] + i[k] * g[k]);
    const h = map(o, (ov, k) => ov * Math.tanh(c[k]));
    for (const [name, want] of Object.entries({ i, f, g, o, c, h })) {
      close(`LSTM step ${t} ${name}`, stepOf(tr[name].data, t), want, TOL.recomputed);
    }
    hPrev = stepOf(tr.h.data, t);
    cPrev = stepOf(tr.c.data, t);
  }
});

for (const resetAfter of [true, false]) {
  test(`GRU (resetAfter ${resetAfter}): each traced gate follows its equation from the traced hPrev, and h = z ⊙ hPrev + (1 − z) ⊙ ĥ`, () => {
    const layer = built(CASES[resetAfter ? 2 : 3]);
    const w = layer.cellWeights!;
    const x = input(6);
    const tr = traceLayer(layer, x);
    const G = 3 * H;
    const bx = resetAfter ? w.bias!.data.subarray(0, G) : w.bias!.data;
    const bh = resetAfter ? w.bias!.data.subarray(G, 2 * G) : null;
    let hPrev = new Float64Array(B * H);
    for (let t = 0; t < T; t++) {
      const xt = stepOf(x.data, t, D);
      const zr = affine(xt, hPrev, w, 0, 2 * H, bx);
      const pre = (k: number, which: Float64Array): Float64Array => map(new Float64Array(B * H), (_, i) => which[Math.floor(i / H) * 2 * H + k * H + (i % H)]);
      const bhAt = (k: number, i: number): number => (bh ? bh[k * H + (i % H)] : 0);
      const z = map(pre(0, zr.x), (v, i) => sigmoid(v + pre(0, zr.h)[i] + bhAt(0, i)));
      const r = map(pre(1, zr.x), (v, i) => sigmoid(v + pre(1, zr.h)[i] + bhAt(1, i)));
      let hh: Float64Array;
      if (resetAfter) {
        const a = affine(xt, hPrev, w, 2 * H, H, bx);
        hh = map(a.x, (v, i) => Math.tanh(v + r[i] * (a.h[i] + bhAt(2, i))));
      } else {
        const a = affine(xt, hPrev, w, 2 * H, H, bx, { hScale: r });
        hh = map(a.x, (v, i) => Math.tanh(v + a.h[i]));
      }
      const h = map(z, (zv, i) => zv * hPrev[i] + (1 - zv) * hh[i]);
      for (const [name, want] of Object.entries({ z, r, hh, h })) {
        close(`GRU step ${t} ${name}`, stepOf(tr[name].data, t), want, TOL.recomputed);
      }
      hPrev = stepOf(tr.h.data, t);
    }
  });
}

test('under a mask, the gates are what the skipped step computed and h is carried over', () => {
  const mask = new Float64Array(B * T).fill(1);
  mask[0 * T + 3] = 0; // sample 0 skips step 3
  mask[2 * T + 0] = 0; // sample 2 skips its first step
  for (const c of CASES) {
    const layer = built(c, { returnSequences: true });
    const x = input(8);
    const tr = traceLayer(layer, x, { mask });
    const out = layer.apply(x, { mask });
    const h = tr.h.data;
    for (let j = 0; j < H; j++) {
      assert.is(h[(0 * T + 3) * H + j], h[(0 * T + 2) * H + j], `${c.name}: h carried over the masked step`);
      assert.is(h[(2 * T + 0) * H + j], 0, `${c.name}: h before the first unmasked step is h0 = 0`);
    }
    close(`${c.name}: masked trace.h vs output`, h, out.data, TOL.sameForward);
    if (c.states === 2) {
      const gate = tr.i.data;
      assert.ok(gate[(0 * T + 3) * H] > 0 && gate[(0 * T + 3) * H] < 1, 'LSTM: the skipped step still shows its input gate');
    }
  }
});

test('a stateful layer is traced from the states it carries, as its next call would run', () => {
  for (const c of CASES) {
    const layer = built(c, { stateful: true, returnSequences: true });
    layer.apply(input(31)); // now carries its final states
    const x = input(32);
    const trace = traceLayer(layer, x);
    const out = layer.apply(x); // starts from the same carried states
    close(`${c.name} stateful: trace.h vs output`, trace.h.data, out.data, TOL.sameForward);
  }
});

test('traceLayer builds an unbuilt layer, and refuses the wrong number of initial states', () => {
  const layer = new LSTM(H, { dtype: 'float64' });
  const tr = traceLayer(layer, input(2));
  assert.equal(tr.h.shape, [B, T, H]);
  assert.throws(() => traceLayer(layer, input(2), { initialState: [randomNormal([B, H], 0, 1, 'float64')] }), /LSTM takes 2 initial state/);
});

// ---------------------------------------------------------------- the gradient flow

/**
 * ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ from the autograd through the cell's reference step:
 * the same loss, L = Σ seed ⊙ output_{T−1}. `hSteps` are the h each step
 * computed (before a mask blends it with the carried state), the h that
 * GradientProbe.hGradNorm is the gradient of.
 */
function autogradFlow(c: Case, layer: RNN, xIn: Tensor, seed: FloatArray, options: SequenceOptions): { h: Float64Array; x: Float64Array } {
  const src = layer.cellWeights!;
  const copy = (t: Tensor): Tensor => new Tensor(t.data.slice(), t.shape, true);
  const w: CellWeights = { kernel: copy(src.kernel), recurrentKernel: copy(src.recurrentKernel), bias: src.bias ? copy(src.bias) : null };
  const x = new Tensor(xIn.data.slice(), xIn.shape, true);
  const result = referenceLoop(x, H, c.states, c.step(w), options);
  backward(result.output, seed);
  const norm = (a: ArrayLike<number> | null): number => {
    let s = 0;
    if (a) for (let i = 0; i < a.length; i++) s += a[i] * a[i];
    return Math.sqrt(s);
  };
  const h = Float64Array.from(result.hSteps, (hs) => norm(hs.grad));
  const xs = new Float64Array(T);
  for (let s = 0; s < T; s++) {
    const tIn = options.goBackwards ? T - 1 - s : s;
    xs[s] = norm(stepOf(x.grad!, tIn, D));
  }
  return { h, x: xs };
}

for (const c of CASES) {
  test(`${c.name}: gradientFlow equals the autograd through the reference steps (sum loss and a given output gradient, forwards and backwards)`, () => {
    for (const goBackwards of [false, true]) {
      const layer = built(c, { goBackwards });
      const x = input(21);
      const flow = gradientFlow(layer, x);
      const want = autogradFlow(c, layer, x, new Float64Array(B * H).fill(1), { goBackwards });
      assert.ok(Math.abs(flow.hGradNorm[T - 1] - Math.sqrt(B * H)) < 1e-12, `${c.name}: ‖∂L/∂h_{T−1}‖ of the sum loss is √(B·H), got ${flow.hGradNorm[T - 1]}`);
      close(`${c.name} goBackwards ${goBackwards}: hGradNorm`, flow.hGradNorm, want.h, TOL.norms, true);
      close(`${c.name} goBackwards ${goBackwards}: xGradNorm`, flow.xGradNorm, want.x, TOL.norms, true);

      setSeed(4);
      const g = randomNormal([B, H], 0, 1, 'float64');
      const flowG = gradientFlow(layer, x, { outputGradient: g });
      const wantG = autogradFlow(c, layer, x, g.data, { goBackwards });
      close(`${c.name} goBackwards ${goBackwards}, output gradient: hGradNorm`, flowG.hGradNorm, wantG.h, TOL.norms, true);
      close(`${c.name} goBackwards ${goBackwards}, output gradient: xGradNorm`, flowG.xGradNorm, wantG.x, TOL.norms, true);
    }
  });
}

test('gradientFlow with initial states equals the autograd', () => {
  for (const c of CASES) {
    const layer = built(c);
    const x = input(22);
    setSeed(9);
    const init = Array.from({ length: c.states }, () => randomNormal([B, H], 0, 0.5, 'float64'));
    const flow = gradientFlow(layer, x, { initialState: init });
    const want = autogradFlow(c, layer, x, new Float64Array(B * H).fill(1), { initialState: init });
    close(`${c.name} initial states: hGradNorm`, flow.hGradNorm, want.h, TOL.norms, true);
    close(`${c.name} initial states: xGradNorm`, flow.xGradNorm, want.x, TOL.norms, true);
  }
});

test('gradientFlow under a mask equals the autograd (a skipped step receives no gradient)', () => {
  const mask = new Float64Array(B * T).fill(1);
  mask[1 * T + 2] = 0;
  for (let b = 0; b < B; b++) mask[b * T + 4] = 0; // every sample skips step 4
  for (const c of CASES) {
    const layer = built(c);
    const x = input(24);
    const flow = gradientFlow(layer, x, { mask });
    const want = autogradFlow(c, layer, x, new Float64Array(B * H).fill(1), { mask });
    assert.is(flow.hGradNorm[4], 0, `${c.name}: ‖∂L/∂h‖ at a step every sample skipped`);
    close(`${c.name} masked: hGradNorm`, flow.hGradNorm, want.h, TOL.norms, true);
    close(`${c.name} masked: xGradNorm`, flow.xGradNorm, want.x, TOL.norms, true);
  }
});

test('gradientFlow leaves the weight gradients, the input and its gradient as they were', () => {
  for (const c of CASES) {
    const layer = built(c);
    const weights = layer.weights();
    weights.forEach((p, k) => {
      p.grad = new Float64Array(p.size).fill(k + 0.5); // as if a training step were half done
    });
    const before = weights.map((p) => ({ grad: p.grad!.slice(), data: p.data.slice() }));
    const x = input(23);
    const xData = x.data.slice();
    gradientFlow(layer, x);
    weights.forEach((p, k) => {
      assert.equal(Array.from(p.grad!), Array.from(before[k].grad), `${c.name}: weight ${k} gradient changed`);
      assert.equal(Array.from(p.data), Array.from(before[k].data), `${c.name}: weight ${k} changed`);
    });
    assert.equal(Array.from(x.data), Array.from(xData), `${c.name}: input changed`);
    assert.is(x.grad, null, `${c.name}: the caller's input got a gradient`);
  }
});

test('gradientFlow: an outputGradient of the wrong shape is refused with both shapes', () => {
  const layer = built(CASES[0]);
  assert.throws(() => gradientFlow(layer, input(1), { outputGradient: randomNormal([B, H + 1], 0, 1, 'float64') }), /outputGradient must be \[B, H\] = \[3,4\], got \[3,5\]/);
});

test.run();
