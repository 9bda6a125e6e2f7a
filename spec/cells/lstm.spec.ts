/**
 * The LSTM: the fused forward against the reference loop, the hand-written
 * BPTT against the autograd through the reference loop, both against central
 * differences; one step against hand-computed numbers; parameter counts; the
 * workspace; the trace; bad inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, noGrad, setSeed, tensor, type DType, type FloatArray } from '../../autograd/index.ts';
import {
  INFER_CHUNK, Workspace, drawDropoutMasks, type DropoutMasks, type SequenceOptions, type SequenceResult,
} from '../../cells/common.ts';
import {
  LSTM_GATES, initLstmWeights, lstmParamCount, lstmPlanSizes, lstmReference, lstmSequence, lstmStep, lstmTrace,
} from '../../cells/lstm.ts';
import {
  B, D, H, T, lossVector, lstmCases, lstmConfigs, lstmProblem, type LstmProblem,
} from './lstm-cases.ts';
import { carriedStateErrors, firstErrors, newProbe, probeErrors, referenceProbe } from './trace-and-probe.ts';

/** Named tolerances. */
const TOL = {
  /** Fused vs reference forward, float64 (the same arithmetic in a different order). */
  forward64: 1e-10,
  /** Fused vs reference forward, float32. */
  forward32: 1e-5,
  /** Hand-written BPTT vs autograd through the reference loop, float64. */
  grad: 1e-8,
  /** Against numbers computed by hand (float64). */
  value: 1e-14,
} as const;

/** Largest |a − b| and where it is; a readable failure message. */
function compare(what: string, a: Readonly<FloatArray>, b: Readonly<FloatArray>, tolerance: number): number {
  assert.is(a.length, b.length, `${what}: lengths ${a.length} and ${b.length} differ`);
  let worst = -1;
  let max = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    if (d > max || Number.isNaN(d)) {
      max = Number.isNaN(d) ? Infinity : d;
      worst = k;
    }
  }
  const shown = worst < 0 ? '' : `; worst element [${worst}]: ${a[worst]} vs ${b[worst]}`;
  const first = Array.from(a.slice(0, 3), (v, k) => `${v} vs ${b[k]}`).join(', ');
  assert.ok(max <= tolerance, `${what}: max abs difference ${max.toExponential(2)} > ${tolerance}${shown}; first pairs: ${first}`);
  return max;
}

/** Fixed, non-uniform loss weights P (and Q for the states, which follow the output in the loss vector). */
function weights(n: number, dtype: DType): Tensor {
  return tensor(Array.from({ length: n }, (_, k) => Math.sin(0.3 + 1.1 * k) + 0.2), [n], dtype);
}

/** L = Σ output ⊙ P (+ Σ h ⊙ Q_h + Σ c ⊙ Q_c), then backward; returns the leaves' gradients (copies). */
function gradients(problem: LstmProblem, run: (p: LstmProblem) => SequenceResult): FloatArray[] {
  for (const t of problem.leaves) t.grad = null;
  const v = lossVector(run(problem), problem.useStates);
  ops.sum(ops.mul(v, weights(v.size, v.dtype))).backward();
  return problem.leaves.map((t) => (t.grad ? t.grad.slice() : new Float64Array(t.size)));
}

const LEAF_NAMES = ['x', 'W', 'U', 'b', 'h0', 'c0'];
/** With LSTM_REPORT=1, each check prints its measured error (for the record). */
function note(line: string): void {
  if (process.env.LSTM_REPORT) console.log(`  ${line}`);
}

for (const config of lstmConfigs) {
  test(`lstm ${config.name}: fused forward = reference loop (float64 and float32)`, () => {
    let worst64 = 0;
    let worst32 = 0;
    for (const dtype of ['float64', 'float32'] as const) {
      const p = lstmProblem(config, dtype);
      const fused = lstmSequence(p.x, p.w, p.options);
      const ref = lstmReference(p.x, p.w, p.options);
      const tol = dtype === 'float64' ? TOL.forward64 : TOL.forward32;
      const shape = config.returnSequences ? [B, T, H] : [B, H];
      assert.equal(fused.output.shape, shape);
      let max = compare(`${config.name} ${dtype} output`, fused.output.data, ref.output.data, tol);
      max = Math.max(max, compare(`${config.name} ${dtype} final h`, fused.states[0].data, ref.states[0].data, tol));
      max = Math.max(max, compare(`${config.name} ${dtype} final c`, fused.states[1].data, ref.states[1].data, tol));
      // Inference (no tape) runs the other plan: the same numbers.
      const infer = noGrad(() => lstmSequence(p.x, p.w, p.options));
      compare(`${config.name} ${dtype} inference output`, infer.output.data, fused.output.data, 0);
      compare(`${config.name} ${dtype} inference final c`, infer.states[1].data, fused.states[1].data, 0);
      if (dtype === 'float64') worst64 = max;
      else worst32 = max;
    }
    note(`${config.name}: forward f64 ${worst64.toExponential(1)}, f32 ${worst32.toExponential(1)}`);
  });

  test(`lstm ${config.name}: hand-written BPTT = autograd through the reference loop`, () => {
    const p = lstmProblem(config);
    const fused = gradients(p, (q) => lstmSequence(q.x, q.w, q.options));
    const ref = gradients(p, (q) => lstmReference(q.x, q.w, q.options));
    let max = 0;
    fused.forEach((g, k) => {
      // A gradient that is identically zero would hide a missing path: every leaf must receive one.
      assert.ok(g.some((v) => v !== 0), `${config.name}: d${LEAF_NAMES[k]} is all zeros`);
      max = Math.max(max, compare(`${config.name}: d${LEAF_NAMES[k]}`, g, ref[k], TOL.grad));
    });
    note(`${config.name}: BPTT vs autograd ${max.toExponential(1)}`);
  });
}

for (const c of lstmCases) {
  test(`gradcheck ${c.name} (fused, central differences)`, () => {
    const report = c.run();
    assert.ok(report.worst !== null, `${c.name}: no element was checked`);
    assert.ok(report.pass, describe(report));
    note(`${c.name}: gradcheck max rel ${report.maxRel.toExponential(1)}`);
  });
}

for (const config of lstmConfigs) {
  test(`gradcheck lstm: ${config.name} (reference loop, central differences)`, () => {
    // The reference the BPTT is compared with is itself checked numerically.
    const p = lstmProblem(config);
    const viaReference = (...leaves: Tensor[]): Tensor => {
      const [x, kernel, recurrentKernel, bias, h0, c0] = leaves;
      const options = { ...p.options, ...(h0 ? { initialState: [h0, c0] } : {}) };
      return lossVector(lstmReference(x, { kernel, recurrentKernel, bias }, options), p.useStates);
    };
    const report = gradcheck(`lstm reference: ${config.name}`, viaReference, p.leaves);
    assert.ok(report.pass, describe(report));
    note(`${config.name}: reference gradcheck max rel ${report.maxRel.toExponential(1)}`);
  });
}

// ---------------------------------------------------------------- values and sizes

test('lstm: one step against hand-computed numbers (D = 2, H = 2)', () => {
  const xv = [0.5, -1.0];
  const h0v = [0.1, -0.2];
  const c0v = [0.3, 0.4];
  //            i1    i2    f1   f2    c1    c2    o1    o2
  const Wv = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8],
    [0.2, 0.1, -0.1, 0.05, 0.3, -0.3, 0.25, 0.15]];
  const Uv = [[0.5, -0.4, 0.2, 0.1, 0.3, 0.2, -0.6, 0.4],
    [-0.3, 0.2, 0.1, -0.5, 0.4, 0.1, 0.2, -0.2]];
  const bv = [0.1, 0.0, 1.0, 1.0, -0.1, 0.2, 0.0, 0.3];
  // By hand: z_k = x·W[:, k] + h0·U[:, k] + b_k; unit j reads columns j, 2+j, 4+j, 6+j.
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const zk = (k: number): number => xv[0] * Wv[0][k] + xv[1] * Wv[1][k] + h0v[0] * Uv[0][k] + h0v[1] * Uv[1][k] + bv[k];
  const expectH: number[] = [];
  const expectC: number[] = [];
  for (let j = 0; j < 2; j++) {
    const i = sig(zk(j));
    const f = sig(zk(2 + j));
    const g = Math.tanh(zk(4 + j));
    const o = sig(zk(6 + j));
    expectC.push(f * c0v[j] + i * g);
    expectH.push(o * Math.tanh(expectC[j]));
  }
  // The same numbers from an independent implementation (Python's math module).
  compare('hand h vs Python', Float64Array.from(expectH), Float64Array.from([-0.03894929210465329, 0.24492273058969657]), TOL.value);
  compare('hand c vs Python', Float64Array.from(expectC), Float64Array.from([-0.07805672818665416, 0.5974475783169192]), TOL.value);

  const w = {
    kernel: tensor(Wv, undefined, 'float64'),
    recurrentKernel: tensor(Uv, undefined, 'float64'),
    bias: tensor(bv, undefined, 'float64'),
  };
  const h0 = tensor([h0v], undefined, 'float64');
  const c0 = tensor([c0v], undefined, 'float64');
  const [h, c] = lstmStep(tensor([xv], undefined, 'float64'), [h0, c0], w);
  compare('lstmStep h', h.data, Float64Array.from(expectH), TOL.value);
  compare('lstmStep c', c.data, Float64Array.from(expectC), TOL.value);
  const seq = lstmSequence(tensor([[xv]], undefined, 'float64'), w, { initialState: [h0, c0] });
  compare('lstmSequence output', seq.output.data, Float64Array.from(expectH), TOL.value);
  compare('lstmSequence final c', seq.states[1].data, Float64Array.from(expectC), TOL.value);
});

test('lstm: parameter counts (D = H = 32: 8320, 8192 without bias)', () => {
  assert.is(LSTM_GATES, 4);
  assert.is(lstmParamCount(32, 32), 8320);
  assert.is(lstmParamCount(32, 32, false), 8192);
  const w = initLstmWeights(32, 32);
  assert.is(w.kernel.size + w.recurrentKernel.size + w.bias!.size, 8320);
  assert.equal(w.kernel.shape, [32, 128]);
  assert.equal(w.recurrentKernel.shape, [32, 128]);
  assert.equal(w.bias!.shape, [128]);
  assert.is(initLstmWeights(32, 32, { useBias: false }).bias, null);
});

test('lstm: initial weights follow Keras (unit forget bias, requiresGrad, orthogonal U rows)', () => {
  setSeed(7);
  const w = initLstmWeights(4, 3);
  assert.equal(Array.from(w.bias!.data), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.ok(w.kernel.requiresGrad && w.recurrentKernel.requiresGrad && w.bias!.requiresGrad);
  assert.equal(Array.from(initLstmWeights(4, 3, { unitForgetBias: false }).bias!.data), new Array(12).fill(0));
  assert.equal(Array.from(initLstmWeights(4, 3, { biasInitializer: 'ones' }).bias!.data), new Array(12).fill(1));
  // U [H, 4H] has orthonormal rows.
  const U = w.recurrentKernel.data;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 12; k++) dot += U[a * 12 + k] * U[b * 12 + k];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-6, `U rows ${a}, ${b}: dot ${dot}`);
    }
  }
  const limit = Math.sqrt(6 / (4 + 12));
  assert.ok(w.kernel.data.every((v) => Math.abs(v) <= limit), 'glorot-uniform limit');
});

// ---------------------------------------------------------------- the tape node

test('lstm: one tape node; gradients accumulate; inputs without requiresGrad get none', () => {
  const p = lstmProblem(lstmConfigs[1]);
  p.x.requiresGrad = false;
  const result = lstmSequence(p.x, p.w, p.options);
  assert.is(result.output.node?.op, 'lstm');
  assert.is(result.output.node, result.states[0].node);
  assert.is(result.output.node, result.states[1].node);
  assert.is(result.output.node?.inputs.length, 4);
  ops.sum(result.output).backward();
  assert.is(p.x.grad, null);
  const once = p.w.kernel.grad!.slice();
  ops.sum(lstmSequence(p.x, p.w, p.options).output).backward();
  const twice = Float64Array.from(once, (v) => 2 * v);
  compare('dW after two backward passes', p.w.kernel.grad!, twice, 1e-14);
  // Not recording: no node.
  assert.is(noGrad(() => lstmSequence(p.x, p.w, p.options)).output.node, null);
});

// ---------------------------------------------------------------- the workspace

function sequenceOf(Tn: number): Tensor {
  setSeed(Tn);
  const x = tensor(Array.from({ length: B * Tn * D }, (_, k) => Math.sin(k)), [B, Tn, D], 'float64');
  return x;
}

test('lstm: one plan per shape, reused over repeated calls (train and infer); a new shape replaces it', () => {
  setSeed(3);
  const w = initLstmWeights(D, H, { dtype: 'float64' });
  const ws = new Workspace();
  const x = sequenceOf(T);
  for (let k = 0; k < 3; k++) {
    const y = lstmSequence(x, w, { workspace: ws, returnSequences: true });
    ops.sum(y.output).backward();
  }
  assert.is(ws.allocations, 1, 'training: one plan over three calls');
  for (let k = 0; k < 3; k++) noGrad(() => lstmSequence(x, w, { workspace: ws }));
  assert.is(ws.allocations, 2, 'inference: one more plan over three calls');
  lstmSequence(sequenceOf(T + 1), w, { workspace: ws });
  assert.is(ws.allocations, 3, 'a new T makes a new training plan');
  lstmSequence(sequenceOf(T + 1), w, { workspace: ws });
  noGrad(() => lstmSequence(x, w, { workspace: ws }));
  assert.is(ws.allocations, 3, 'the new training plan is reused, the inference plan is untouched');
  lstmSequence(x, w, { workspace: ws });
  assert.is(ws.allocations, 4, 'the workspace keeps one plan per name: going back to the old T replaces it again');
});

test('lstm: a reused workspace gives the same gradients as a fresh one (no stale buffer is read)', () => {
  // These configurations share the training plan (same shapes, no dropout), so each call
  // runs on the buffers the one before it filled.
  const names = ['returnSequences', 'mask', 'goBackwards', 'mask + initial states + goBackwards', 'mask, last output only'];
  const ws = new Workspace();
  for (const name of names) {
    const p = lstmProblem(lstmConfigs.find((c) => c.name === name)!);
    const fresh = gradients(p, (q) => lstmSequence(q.x, q.w, q.options));
    const reused = gradients(p, (q) => lstmSequence(q.x, q.w, { ...q.options, workspace: ws }));
    fresh.forEach((g, k) => compare(`${name}: d${LEAF_NAMES[k]} on a reused workspace`, reused[k], g, 0));
  }
  assert.is(ws.allocations, 1);
});

test('lstm: outputs are fresh tensors, not workspace views', () => {
  setSeed(4);
  const w = initLstmWeights(D, H, { dtype: 'float64' });
  const ws = new Workspace();
  const x = sequenceOf(T);
  const first = noGrad(() => lstmSequence(x, w, { workspace: ws, returnSequences: true }));
  const kept = first.output.data.slice();
  const keptC = first.states[1].data.slice();
  noGrad(() => lstmSequence(sequenceOf(T), w, { workspace: ws, returnSequences: true, goBackwards: true }));
  compare('first output after a second call', first.output.data, kept, 0);
  compare('first final c after a second call', first.states[1].data, keptC, 0);
});

test('lstm: the inference plan is flat in T: the same size at T = 100 and T = 10·INFER_CHUNK (chunks of C steps)', () => {
  setSeed(5);
  const w = initLstmWeights(D, H, { dtype: 'float64' });
  const perGate = drawDropoutMasks('lstm', B, D, H, LSTM_GATES, 0.3, 0.2, 'float64');
  const at = (Tn: number, train: boolean, dropoutMasks: DropoutMasks | null = null): number => {
    const ws = new Workspace();
    const options: SequenceOptions = { workspace: ws, dropoutMasks };
    const x = sequenceOf(Tn);
    if (train) lstmSequence(x, w, options);
    else noGrad(() => lstmSequence(x, w, options));
    const allocated = ws.sizesOf(train ? 'lstm:train' : 'lstm:infer', 'float64')!;
    assert.equal(allocated, lstmPlanSizes(train ? 'train' : 'infer', { B, T: Tn, D, H }, options), 'lstmPlanSizes tells what is allocated');
    return Object.values(allocated).reduce((a, n) => a + n, 0);
  };
  const long = 10 * INFER_CHUNK;
  assert.ok(100 > INFER_CHUNK);
  assert.is(at(long, false) - at(100, false), 0, 'inference plan does not grow with T');
  // Below one chunk it is smaller: C = T there. Above, C = INFER_CHUNK rows of xTM [C·B, D] and z [C·B, 4H].
  assert.is(at(100, false) - at(10, false), (INFER_CHUNK - 10) * B * (D + LSTM_GATES * H));
  // With a mask per gate on the input, x ⊙ m_k [C·B, D] and x W_k [C·B, H] are chunked too.
  assert.is(at(long, false, perGate) - at(100, false, perGate), 0, 'inference plan with dropout does not grow with T');
  // Training keeps every step, so its plan grows.
  assert.ok(at(100, true) - at(10, true) > 90 * B * (D + LSTM_GATES * H));
});

test('lstm: backward of an earlier forward on the same workspace throws', () => {
  setSeed(6);
  const w = initLstmWeights(D, H, { dtype: 'float64' });
  const ws = new Workspace();
  const x = sequenceOf(T);
  const first = lstmSequence(x, w, { workspace: ws });
  const second = lstmSequence(x, w, { workspace: ws });
  assert.throws(() => ops.sum(first.output).backward(), /lstm: backward of an earlier forward pass/);
  ops.sum(second.output).backward(); // the latest one is fine
  assert.ok(w.kernel.grad!.some((v) => v !== 0));
});

// ---------------------------------------------------------------- the trace

test('lstm: the trace reads the fused caches: h equals the outputs, c and h follow the equations', () => {
  for (const name of ['returnSequences', 'mask', 'goBackwards']) {
    const p = lstmProblem(lstmConfigs.find((c) => c.name === name)!);
    const trace = lstmTrace(p.x, p.w, p.options);
    const result = noGrad(() => lstmSequence(p.x, p.w, p.options));
    for (const k of ['i', 'f', 'g', 'o', 'c', 'h'] as const) assert.equal(trace[k].shape, [B, T, H], `${name}: trace ${k}`);
    compare(`${name}: traced h vs outputs`, trace.h.data, result.output.data, 0);
    // c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙ tanh(c_t) at every unmasked step.
    const mask = p.options.mask;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const tIn = p.options.goBackwards ? T - 1 - t : t;
        if (mask && mask[b * T + tIn] === 0) continue;
        for (let j = 0; j < H; j++) {
          const at = (b * T + t) * H + j;
          const cPrev = t === 0 ? 0 : trace.c.data[at - H];
          const c = trace.f.data[at] * cPrev + trace.i.data[at] * trace.g.data[at];
          assert.ok(Math.abs(c - trace.c.data[at]) < 1e-14, `${name}: c at [${b},${t},${j}]`);
          assert.ok(Math.abs(trace.o.data[at] * Math.tanh(c) - trace.h.data[at]) < 1e-14, `${name}: h at [${b},${t},${j}]`);
        }
      }
    }
    const last = (b: number, j: number): number => trace.c.data[(b * T + T - 1) * H + j];
    compare(`${name}: traced last c vs final c`, Float64Array.from({ length: B * H }, (_, k) => last(Math.floor(k / H), k % H)), result.states[1].data, 0);
  }
});

test('lstm: traced h, c are the carried states; at a masked step the gates are what the step computed', () => {
  const p = lstmProblem(lstmConfigs.find((c) => c.name === 'mask + initial states + goBackwards')!);
  const [h0, c0] = p.options.initialState!;
  const trace = lstmTrace(p.x, p.w, p.options);
  const result = noGrad(() => lstmSequence(p.x, p.w, p.options));
  const common = { mask: p.options.mask, goBackwards: true, B, T, H };
  const errors = [
    ...carriedStateErrors('h', { ...common, state: trace.h.data, initial: h0.data, unmasked: result.output.data, final: result.states[0].data }),
    ...carriedStateErrors('c', { ...common, state: trace.c.data, initial: c0.data, unmasked: null, final: result.states[1].data }),
  ];
  assert.is(errors.length, 0, firstErrors(errors));
  // A masked step's gates, run through the equations from the carried states, give what lstmStep computes from them.
  let masked = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (p.options.mask![b * T + (T - 1 - t)] !== 0) continue;
      const row = (s: Tensor, prev: Tensor): Tensor => tensor([Array.from({ length: H }, (_, j) => (t === 0 ? prev.data[b * H + j] : s.data[(b * T + t - 1) * H + j]))], undefined, 'float64');
      const xt = tensor([Array.from(p.x.data.subarray((b * T + T - 1 - t) * D, (b * T + T - t) * D))], undefined, 'float64');
      const cPrev = row(trace.c, c0);
      const [hStep, cStep] = noGrad(() => lstmStep(xt, [row(trace.h, h0), cPrev], p.w));
      for (let j = 0; j < H; j++) {
        const at = (b * T + t) * H + j;
        const c = trace.f.data[at] * cPrev.data[j] + trace.i.data[at] * trace.g.data[at];
        assert.ok(Math.abs(c - cStep.data[j]) < TOL.value, `c from the traced gates at masked [${b},${t},${j}]: ${c} vs ${cStep.data[j]}`);
        assert.ok(Math.abs(trace.o.data[at] * Math.tanh(c) - hStep.data[j]) < TOL.value, `h from the traced gates at masked [${b},${t},${j}]`);
      }
      masked++;
    }
  }
  assert.ok(masked > 0, 'the configuration has masked steps');
});

// ---------------------------------------------------------------- the gradient probe

for (const name of ['no options', 'goBackwards', 'mask', 'mask, last output only', 'dropout 0.3 + recurrentDropout 0.2']) {
  test(`lstm: gradient probe, ${name}: ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ = the reference loop's (float64)`, () => {
    const p = lstmProblem(lstmConfigs.find((c) => c.name === name)!);
    const probe = newProbe(T);
    gradients(p, (q) => lstmSequence(q.x, q.w, { ...q.options, gradientProbe: probe }));
    let reference: ReturnType<typeof lstmReference> | null = null;
    gradients(p, (q) => (reference = lstmReference(q.x, q.w, q.options)));
    const errors = probeErrors(probe, referenceProbe(reference!, p.x, p.options.goBackwards ?? false));
    assert.is(errors.length, 0, firstErrors(errors));
  });
}

// ---------------------------------------------------------------- bad inputs

test('lstm: bad inputs name the cell, the argument and the shapes', () => {
  setSeed(8);
  const w = initLstmWeights(D, H, { dtype: 'float64' });
  const x = sequenceOf(T);
  assert.throws(() => lstmSequence(tensor(new Float64Array(B * D), [B, D], 'float64'), w), /lstm: input must be \[batch, timesteps, features\], got shape \[3,5\]/);
  assert.throws(() => lstmSequence(tensor(new Float64Array(B * T * 4), [B, T, 4], 'float64'), w), /lstm: input has 4 features \(shape \[3,4,4\]\) but the kernel expects 5 \(kernel \[5,12\]\)/);
  assert.throws(() => lstmSequence(x, w, { mask: new Float64Array(B * (T - 1)) }), /lstm: mask must be \[B, T\] = \[3,4\] \(12 values\), got 9 values/);
  assert.throws(() => lstmSequence(x, w, { mask: new Float64Array(B * T).fill(0.5) }), /lstm: mask values must be 0 or 1, got 0.5 at \[0,0\] of \[3,4\]/);
  const bad = tensor(new Float64Array(B * 2), [B, 2], 'float64');
  const good = tensor(new Float64Array(B * H), [B, H], 'float64');
  assert.throws(() => lstmSequence(x, w, { initialState: [good, bad] }), /lstm: initialState must be \[B, H\] = \[3,3\], got \[3,2\]/);
  assert.throws(() => lstmSequence(x, w, { initialState: [good] }), /lstm: initialState must hold 2 tensor\(s\) of shape \[3,3\], got 1/);
  assert.throws(() => drawDropoutMasks('lstm', B, D, H, LSTM_GATES, 1, 0), /lstm: dropout must be in \[0, 1\), got 1/);
  assert.throws(() => drawDropoutMasks('lstm', B, D, H, LSTM_GATES, 0.2, -0.1), /lstm: recurrentDropout must be in \[0, 1\), got -0.1/);
  const masks = drawDropoutMasks('lstm', B + 1, D, H, LSTM_GATES, 0.2, 0.2, 'float64');
  assert.throws(() => lstmSequence(x, w, { dropoutMasks: masks }), /lstm: input dropout masks must be 4 array\(s\) of \[B, D\] = \[3,5\] \(15 values\); got 4 of lengths 20, 20, 20, 20/);
  const opts: SequenceOptions = { activation: 'softsign' as never };
  assert.throws(() => lstmSequence(x, w, opts), /lstm: activation 'softsign' is unknown/);
  assert.throws(() => lstmReference(tensor(new Float64Array(B * D), [B, D], 'float64'), w), /lstm: input must be/);
});

test.run();
