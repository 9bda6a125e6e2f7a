/**
 * The GRU, both variants: the fused pass against the reference loop (forward
 * and gradients), against finite differences, against numbers worked by hand,
 * and its buffers, trace and errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../autograd/gradcheck.ts';
import {
  Tensor, noGrad, randomNormal, setSeed, tensor, type FloatArray,
} from '../../autograd/index.ts';
import { INFER_CHUNK, Workspace, drawDropoutMasks, type ActivationName, type CellWeights } from '../../cells/common.ts';
import {
  GRU_GATES, gruParamCount, gruReference, gruSequence, gruStep, gruTrace, initGruWeights, type GruOptions,
} from '../../cells/gru.ts';
import {
  B, D, GRU_CONFIGS, H, T, VARIANTS, at, describeComparison, difference, forwardComparisons, gradientComparisons,
  gruCases, gruFixture, loss, runFixture, variantName,
} from './gru-cases.ts';
import { carriedStateErrors, firstErrors, newProbe, probeErrors, referenceProbe } from './trace-and-probe.ts';

/** Named tolerances of the checks against the reference loop. */
const FORWARD_FLOAT64 = 1e-10;
const FORWARD_FLOAT32 = 1e-5;
const BPTT_VS_AUTOGRAD = 1e-8;

// ---------------------------------------------------------------- checks 1 and 2, every configuration

for (const resetAfter of VARIANTS) {
  for (const config of GRU_CONFIGS) {
    const name = `gru (${variantName(resetAfter)}) ${config.name}`;

    test(`${name}: fused forward = reference loop (float64 ${FORWARD_FLOAT64}, float32 ${FORWARD_FLOAT32})`, () => {
      for (const [dtype, tolerance] of [['float64', FORWARD_FLOAT64], ['float32', FORWARD_FLOAT32]] as const) {
        for (const c of forwardComparisons(config, resetAfter, dtype)) {
          assert.ok(c.diff.maxAbs <= tolerance, `${dtype} ${describeComparison(c)} > ${tolerance}`);
        }
      }
    });

    test(`${name}: hand-written BPTT = autograd through the reference loop (${BPTT_VS_AUTOGRAD})`, () => {
      const comparisons = gradientComparisons(config, resetAfter);
      const expected = ['dx', 'dW', 'dU', ...(config.useBias === false ? [] : ['db']), ...(config.initialState ? ['dh0'] : [])];
      assert.equal(comparisons.map((c) => c.name), expected, 'every input with a gradient is compared');
      for (const c of comparisons) {
        assert.ok(c.diff.maxAbs <= BPTT_VS_AUTOGRAD, `${describeComparison(c)} > ${BPTT_VS_AUTOGRAD}`);
      }
    });
  }
}

// ---------------------------------------------------------------- check 3: finite differences

for (const c of gruCases) {
  test(`gradcheck ${c.name}`, () => {
    const report = c.run();
    assert.ok(report.worst !== null, `${c.name}: no element was checked`);
    assert.ok(report.pass, describe(report));
  });
}

// ---------------------------------------------------------------- numbers worked by hand

test('one step against hand-computed numbers (D = 2, H = 2), both variants', () => {
  const x = [0.5, -1.0];
  const hPrev = [0.3, -0.4];
  // Gate blocks z | r | h, two columns each.
  const W = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [0.7, 0.8, -0.9, 0.2, 0.1, -0.3]]; // [D, 3H]
  const U = [[0.2, -0.1, 0.4, 0.3, 0.5, -0.6], [-0.3, 0.6, 0.1, -0.2, 0.4, 0.2]]; // [H, 3H]
  const bx = [0.1, 0.2, -0.1, 0.05, 0.3, -0.2];
  const bh = [0.2, -0.1, 0.15, 0.1, -0.05, 0.25];
  const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
  const xW = (c: number): number => x[0] * W[0][c] + x[1] * W[1][c];
  const hU = (c: number, h = hPrev): number => h[0] * U[0][c] + h[1] * U[1][c];

  // resetAfter true: ĥ = tanh(x W_h + bx_h + r ⊙ (hPrev U_h + bh_h))
  const after = [0, 1].map((j) => {
    const z = sigmoid(xW(j) + bx[j] + hU(j) + bh[j]);
    const r = sigmoid(xW(2 + j) + bx[2 + j] + hU(2 + j) + bh[2 + j]);
    const hh = Math.tanh(xW(4 + j) + bx[4 + j] + r * (hU(4 + j) + bh[4 + j]));
    return z * hPrev[j] + (1 - z) * hh;
  });
  // resetAfter false (b = bx): ĥ = tanh(x W_h + b_h + (r ⊙ hPrev) U_h), which needs both units' r first
  const r = [0, 1].map((j) => sigmoid(xW(2 + j) + bx[2 + j] + hU(2 + j)));
  const rTimesHPrev = [r[0] * hPrev[0], r[1] * hPrev[1]];
  const before = [0, 1].map((j) => {
    const z = sigmoid(xW(j) + bx[j] + hU(j));
    const hh = Math.tanh(xW(4 + j) + bx[4 + j] + hU(4 + j, rTimesHPrev));
    return z * hPrev[j] + (1 - z) * hh;
  });
  // The same numbers as literals, so a reader can check them by any other means.
  assert.ok(Math.abs(after[0] - 0.08542521426194923) < 1e-15 && Math.abs(after[1] - 0.17704858157655262) < 1e-15);
  assert.ok(Math.abs(before[0] - 0.10587145318961547) < 1e-15 && Math.abs(before[1] - 0.04910251834331608) < 1e-15);

  for (const [resetAfter, expected] of [[true, after], [false, before]] as const) {
    const w: CellWeights = {
      kernel: tensor(W, undefined, 'float64'),
      recurrentKernel: tensor(U, undefined, 'float64'),
      bias: tensor(resetAfter ? [bx, bh] : bx, undefined, 'float64'),
    };
    const h0 = tensor([hPrev], undefined, 'float64');
    const step = gruStep(tensor([x], undefined, 'float64'), [h0], w, { resetAfter });
    const fused = gruSequence(tensor([[x]], undefined, 'float64'), w, { resetAfter, initialState: [h0] });
    for (const [what, got] of [['gruStep', step[0].data], ['gruSequence', fused.output.data], ['gruSequence h_T', fused.states[0].data]] as const) {
      const d = difference(got, expected);
      assert.ok(d.maxAbs < 1e-14, `${variantName(resetAfter)} ${what}: unit ${d.index} is ${d.a}, by hand ${d.b}`);
    }
  }
});

// ---------------------------------------------------------------- parameters and weights

test('parameter counts for D = H = 32 (Keras: 6336 with resetAfter, 6240 without)', () => {
  assert.is(gruParamCount(32, 32), 6336);
  assert.is(gruParamCount(32, 32, { resetAfter: true }), 6336);
  assert.is(gruParamCount(32, 32, { resetAfter: false }), 6240);
  assert.is(gruParamCount(32, 32, { useBias: false }), 6144);
  for (const resetAfter of VARIANTS) {
    const w = initGruWeights(32, 32, { resetAfter });
    const total = w.kernel.size + w.recurrentKernel.size + (w.bias?.size ?? 0);
    assert.is(total, gruParamCount(32, 32, { resetAfter }), `initGruWeights (${variantName(resetAfter)}) holds as many numbers as counted`);
  }
});

test('initGruWeights: Keras shapes and defaults, every weight requires a gradient', () => {
  setSeed(7);
  const after = initGruWeights(D, H);
  assert.equal(after.kernel.shape, [D, GRU_GATES * H]);
  assert.equal(after.recurrentKernel.shape, [H, GRU_GATES * H]);
  assert.equal(after.bias?.shape, [2, GRU_GATES * H]);
  assert.is(after.kernel.dtype, 'float32');
  assert.ok([after.kernel, after.recurrentKernel, after.bias].every((t) => t?.requiresGrad === true));
  assert.ok(after.bias?.data.every((v) => v === 0), 'bias initializer defaults to zeros');
  // Orthogonal recurrent kernel: its H rows are orthonormal.
  const U = after.recurrentKernel.data;
  for (let i = 0; i < H; i++) {
    for (let k = 0; k < H; k++) {
      let dot = 0;
      for (let c = 0; c < GRU_GATES * H; c++) dot += U[i * GRU_GATES * H + c] * U[k * GRU_GATES * H + c];
      assert.ok(Math.abs(dot - (i === k ? 1 : 0)) < 1e-5, `U rows ${i}, ${k}: dot ${dot}`);
    }
  }
  const before = initGruWeights(D, H, { resetAfter: false, dtype: 'float64', biasInitializer: 'ones' });
  assert.equal(before.bias?.shape, [GRU_GATES * H]);
  assert.is(before.kernel.dtype, 'float64');
  assert.ok(before.bias?.data.every((v) => v === 1));
  assert.is(initGruWeights(D, H, { useBias: false }).bias, null);
});

// ---------------------------------------------------------------- semantics worth stating on their own

test('masking: zero output before the first unmasked step, state carried over, last output repeated', () => {
  for (const resetAfter of VARIANTS) {
    const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === 'mask')!, resetAfter);
    const all = gruSequence(fx.x, fx.w, fx.options).output.data; // [B, T, H]; sample 0 masked at t 0, 1
    const last = gruSequence(fx.x, fx.w, { ...fx.options, returnSequences: false });
    for (let j = 0; j < H; j++) {
      const o = (b: number, t: number): number => all[(b * T + t) * H + j];
      assert.is(o(0, 0), 0);
      assert.is(o(0, 1), 0);
      assert.is.not(o(0, 2), 0);
      assert.is(o(1, 1), o(1, 0), 'sample 1 is masked at step 1: it repeats step 0');
      assert.is(o(1, 3), o(1, 2), 'sample 1 is masked at step 3: it repeats step 2');
      assert.is(last.output.data[1 * H + j], o(1, 2), 'the last output is the last unmasked one');
      assert.is(last.states[0].data[1 * H + j], o(1, 2));
    }
  }
});

test('goBackwards equals running forward on the time-reversed input (outputs in processing order)', () => {
  for (const resetAfter of VARIANTS) {
    const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === 'goBackwards')!, resetAfter);
    const reversed = new Tensor(new Float64Array(fx.x.size), fx.x.shape);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < D; d++) reversed.data[(b * T + t) * D + d] = fx.x.data[(b * T + (T - 1 - t)) * D + d];
      }
    }
    const backwards = gruSequence(fx.x, fx.w, fx.options);
    const forwards = gruSequence(reversed, fx.w, { ...fx.options, goBackwards: false });
    const d = difference(backwards.output.data, forwards.output.data);
    assert.ok(d.maxAbs === 0, `${variantName(resetAfter)}: output ${at(backwards.output.shape, d.index)} ${d.a} vs ${d.b}`);
  }
});

test('gradients accumulate (+=) into existing .grad; zeroing is the caller\'s job', () => {
  for (const resetAfter of VARIANTS) {
    const config = GRU_CONFIGS.find((c) => c.name === 'everything')!;
    const fx = gruFixture(config, resetAfter);
    for (const p of fx.params) p.grad = null;
    loss(gruSequence(fx.x, fx.w, fx.options), config).backward();
    const once = fx.params.map((p) => (p.grad as FloatArray).slice());
    loss(gruSequence(fx.x, fx.w, fx.options), config).backward();
    fx.params.forEach((p, i) => {
      const twice = (p.grad as FloatArray).map((v, k) => v - 2 * once[i][k]);
      assert.ok(twice.every((v) => Math.abs(v) < 1e-12), `param ${i} did not accumulate`);
      assert.ok(once[i].some((v) => v !== 0), `param ${i} got a gradient`);
    });
  }
});

test('only inputs that require a gradient receive one; noGrad records nothing', () => {
  const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === 'initialState')!, true);
  fx.x.requiresGrad = false;
  fx.h0!.requiresGrad = false;
  for (const p of fx.params) p.grad = null;
  const result = gruSequence(fx.x, fx.w, fx.options);
  assert.ok(result.output.node !== null && result.output.node === result.states[0].node, 'one tape node for output and state');
  assert.is(result.output.node?.op, 'gru');
  loss(result, fx.config).backward();
  assert.is(fx.x.grad, null);
  assert.is(fx.h0!.grad, null);
  assert.ok(fx.w.kernel.grad !== null && fx.w.recurrentKernel.grad !== null && fx.w.bias?.grad !== null);
  const inference = noGrad(() => gruSequence(fx.x, fx.w, fx.options));
  assert.is(inference.output.node, null);
  assert.is(inference.output.requiresGrad, false);
});

// ---------------------------------------------------------------- the trace

test('gruTrace: z, r, ĥ and h per step [B, T, H] from the fused caches; h is the carried state', () => {
  for (const resetAfter of VARIANTS) {
    for (const name of ['returnSequences', 'goBackwards', 'everything']) {
      const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === name)!, resetAfter);
      const trace = gruTrace(fx.x, fx.w, fx.options);
      const result = gruSequence(fx.x, fx.w, fx.options);
      const outputs = result.output;
      for (const key of ['z', 'r', 'hh', 'h'] as const) assert.equal(trace[key].shape, [B, T, H], `${key} shape`);
      const errors = carriedStateErrors('h', {
        state: trace.h.data, initial: fx.h0?.data ?? null, unmasked: outputs.data, final: result.states[0].data,
        mask: fx.options.mask, goBackwards: fx.options.goBackwards ?? false, B, T, H,
      });
      assert.is(errors.length, 0, `${variantName(resetAfter)} ${name}: ${firstErrors(errors)}`);
      const h = trace.h.data;
      const z = trace.z.data;
      const hh = trace.hh.data;
      for (let b = 0; b < B; b++) {
        // Keras: the output before a sample's first unmasked step is zero while its state is still h0.
        const first = fx.options.mask ? [...Array(T).keys()].find((t) => fx.options.mask![b * T + (fx.options.goBackwards ? T - 1 - t : t)] === 1) ?? T : 0;
        for (let t = 0; t < T; t++) {
          const m = fx.options.mask ? fx.options.mask[b * T + (fx.options.goBackwards ? T - 1 - t : t)] : 1;
          for (let j = 0; j < H; j++) {
            const i = (b * T + t) * H + j;
            if (t >= first) assert.is(h[i], outputs.data[i], `${name}: traced h ${at([B, T, H], i)} equals the output`);
            // h_t = z ⊙ hPrev + (1 − z) ⊙ ĥ at unmasked steps, from the traced gates alone
            const hPrev = t === 0 ? (fx.h0 ? fx.h0.data[b * H + j] : 0) : h[i - H];
            if (m === 1) assert.ok(Math.abs(h[i] - (z[i] * hPrev + (1 - z[i]) * hh[i])) < 1e-14, `${name}: h ${at([B, T, H], i)} from z, ĥ`);
            else assert.is(h[i], hPrev, 'a masked step carries h over');
            for (const key of ['z', 'r'] as const) {
              const v = trace[key].data[i];
              assert.ok(v > 0 && v < 1, `${key} is a sigmoid`);
            }
          }
        }
      }
    }
  }
});

test('gruTrace: at a masked step z, r, ĥ are what the step computed from the carried state', () => {
  for (const resetAfter of VARIANTS) {
    const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === 'mask')!, resetAfter);
    const trace = gruTrace(fx.x, fx.w, fx.options);
    let masked = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (fx.options.mask![b * T + t] !== 0) continue;
        const hPrev = tensor([Array.from({ length: H }, (_, j) => (t === 0 ? 0 : trace.h.data[(b * T + t - 1) * H + j]))], undefined, 'float64');
        const xt = tensor([Array.from(fx.x.data.subarray((b * T + t) * D, (b * T + t + 1) * D))], undefined, 'float64');
        const [hStep] = noGrad(() => gruStep(xt, [hPrev], fx.w, { resetAfter }));
        for (let j = 0; j < H; j++) {
          const i = (b * T + t) * H + j;
          const fresh = trace.z.data[i] * hPrev.data[j] + (1 - trace.z.data[i]) * trace.hh.data[i];
          assert.ok(Math.abs(fresh - hStep.data[j]) < 1e-14, `${variantName(resetAfter)}: h from the traced gates at masked ${at([B, T, H], i)}: ${fresh} vs ${hStep.data[j]}`);
        }
        masked++;
      }
    }
    assert.ok(masked > 0);
  }
});

// ---------------------------------------------------------------- the gradient probe

for (const resetAfter of VARIANTS) {
  for (const name of ['no options', 'goBackwards', 'mask', 'mask, last output', 'everything']) {
    test(`gradient probe (${variantName(resetAfter)}), ${name}: ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ = the reference loop's (float64)`, () => {
      const fx = gruFixture(GRU_CONFIGS.find((c) => c.name === name)!, resetAfter);
      const probe = newProbe(T);
      loss(gruSequence(fx.x, fx.w, { ...fx.options, gradientProbe: probe }), fx.config).backward();
      fx.x.grad = null;
      const reference = runFixture(gruReference, fx) as ReturnType<typeof gruReference>;
      loss(reference, fx.config).backward();
      const errors = probeErrors(probe, referenceProbe(reference, fx.x, fx.options.goBackwards ?? false));
      assert.is(errors.length, 0, firstErrors(errors));
    });
  }
}

// ---------------------------------------------------------------- buffers

function sequenceOf(steps: number, resetAfter: boolean, dropout = false): { x: Tensor; w: CellWeights; options: GruOptions } {
  setSeed(`plan ${steps}`);
  const w = initGruWeights(D, H, { resetAfter, dtype: 'float64' });
  const x = randomNormal([B, steps, D], 0, 1, 'float64');
  x.requiresGrad = true;
  const options: GruOptions = { resetAfter, returnSequences: true };
  if (dropout) options.dropoutMasks = drawDropoutMasks('gru', B, D, H, GRU_GATES, 0.3, 0.2, 'float64');
  return { x, w, options };
}

test('workspace: one plan allocation per shape over repeated calls (train and infer), a new one when the shape changes', () => {
  for (const resetAfter of VARIANTS) {
    const workspace = new Workspace();
    const a = sequenceOf(T, resetAfter);
    for (let i = 0; i < 3; i++) gruSequence(a.x, a.w, { ...a.options, workspace });
    assert.is(workspace.allocations, 1, 'train: three calls, one plan');
    for (let i = 0; i < 3; i++) noGrad(() => gruSequence(a.x, a.w, { ...a.options, workspace }));
    assert.is(workspace.allocations, 2, 'infer: three calls, one more plan');
    const b = sequenceOf(T + 2, resetAfter);
    gruSequence(b.x, b.w, { ...b.options, workspace });
    assert.is(workspace.allocations, 3, 'train: a new T, a new plan');
    noGrad(() => gruSequence(b.x, b.w, { ...b.options, workspace }));
    assert.is(workspace.allocations, 4, 'infer: a new T, a new plan');
    for (let i = 0; i < 2; i++) gruSequence(b.x, b.w, { ...b.options, workspace });
    assert.is(workspace.allocations, 4, 'the new shape\'s plan is reused in turn');
  }
});

test('inference plans are flat in T: the same size at T = 100 and T = 10·INFER_CHUNK (chunks of C steps)', () => {
  for (const resetAfter of VARIANTS) for (const dropout of [false, true]) {
    const planAt = (steps: number): Readonly<Record<string, number>> => {
      const workspace = new Workspace();
      const s = sequenceOf(steps, resetAfter, dropout);
      noGrad(() => gruSequence(s.x, s.w, { ...s.options, workspace }));
      assert.is(workspace.allocations, 1);
      assert.is(workspace.sizesOf('gru:train', 'float64'), null, 'inference makes no training plan');
      return workspace.sizesOf('gru:infer', 'float64')!;
    };
    const short = planAt(100);
    const long = planAt(10 * INFER_CHUNK);
    assert.ok(100 > INFER_CHUNK);
    assert.equal(long, short, `${variantName(resetAfter)}${dropout ? ' with dropout masks' : ''}: no buffer grows with T`);
    assert.is(long.xTM, INFER_CHUNK * B * D, 'xTM holds one chunk [C·B, D]');
    assert.is(long.xw, INFER_CHUNK * B * GRU_GATES * H, 'xw holds one chunk [C·B, 3H]');
    assert.is(long.gates ?? 0, 0, 'the gates are kept in xw, in place of their pre-activations');
    assert.is(long.hRec, B * H, 'the candidate\'s cache holds one step');
    assert.is(long.hs ?? 0, 0, 'no state history at inference');
    assert.is(long.dZx ?? 0, 0, 'no backward buffers at inference');
  }
});

test('training plan: caches and dZ are per step, the rest does not grow with T', () => {
  for (const resetAfter of VARIANTS) {
    const sizesAt = (steps: number): Readonly<Record<string, number>> => {
      const workspace = new Workspace();
      const s = sequenceOf(steps, resetAfter, true);
      gruSequence(s.x, s.w, { ...s.options, workspace });
      return workspace.sizesOf('gru:train', 'float64')!;
    };
    const short = sizesAt(10);
    const long = sizesAt(20);
    for (const k of Object.keys(long)) {
      const perStep = (long[k] - short[k]) / 10;
      assert.ok(long[k] - short[k] === 0 || Number.isInteger(perStep), `${k} grows linearly with T`);
    }
    assert.is(long.xw, 20 * B * GRU_GATES * H, 'xw holds every step\'s gates');
    assert.is(long.hRec, 20 * B * H);
    assert.is(long.hs, 21 * B * H);
    assert.is(long.dZx, 20 * B * GRU_GATES * H);
    for (const k of ['hu', 'huBlock', 'hm', 'h', 'o', 'dHu', 'dhNext', 'doNext', 'wBlocks', 'uZ', 'uR', 'uH']) {
      assert.ok(k in long, `${k} is in the plan`);
      assert.is(long[k], short[k], `${k} does not depend on T`);
    }
  }
});

test('stale ticket: a second forward on the same workspace makes the first one\'s backward throw', () => {
  for (const resetAfter of VARIANTS) {
    const workspace = new Workspace();
    const config = GRU_CONFIGS.find((c) => c.name === 'returnSequences')!;
    const fx = gruFixture(config, resetAfter);
    const first = gruSequence(fx.x, fx.w, { ...fx.options, workspace });
    const second = gruSequence(fx.x, fx.w, { ...fx.options, workspace });
    assert.throws(() => loss(first, config).backward(), /gru: backward of an earlier forward pass/);
    loss(second, config).backward(); // the latest forward's backward is fine
    assert.ok(fx.w.kernel.grad?.some((v) => v !== 0));
  }
});

// ---------------------------------------------------------------- errors

test('bad inputs: each error names the cell, the argument and the shapes', () => {
  for (const run of [gruSequence, gruReference]) {
    for (const resetAfter of VARIANTS) {
      const fx = gruFixture(GRU_CONFIGS[0], resetAfter);
      const { x, w, options } = fx;
      const tryIt = (xi: Tensor, wi: CellWeights, oi: GruOptions) => () => run(xi, wi, oi);
      assert.throws(tryIt(randomNormal([B, D], 0, 1, 'float64'), w, options),
        /gru: input must be \[batch, timesteps, features\], got shape \[3,5\]/);
      assert.throws(tryIt(randomNormal([B, T, D - 1], 0, 1, 'float64'), w, options),
        /gru: input has 4 features \(shape \[3,4,4\]\) but the kernel expects 5 \(kernel \[5,9\]\)/);
      assert.throws(tryIt(x, w, { ...options, mask: new Float64Array(B * T - 2) }),
        /gru: mask must be \[B, T\] = \[3,4\] \(12 values\), got 10 values/);
      assert.throws(tryIt(x, w, { ...options, initialState: [randomNormal([B, H + 1], 0, 1, 'float64')] }),
        /gru: initialState must be \[B, H\] = \[3,3\], got \[3,4\]/);
      const wrongMasks = drawDropoutMasks('gru', B, D + 1, H, GRU_GATES, 0.3, 0.2, 'float64');
      assert.throws(tryIt(x, w, { ...options, dropoutMasks: wrongMasks }),
        /gru: input dropout masks must be 3 array.* of \[B, D\] = \[3,5\]/);
      assert.throws(tryIt(x, w, { ...options, resetAfter: !resetAfter }), resetAfter
        ? /gru: bias must be \[3H\] = \[9\] when resetAfter is false, got \[2,9\] \(the layout of resetAfter true\)/
        : /gru: bias must be \[2, 3H\] = \[2,9\] when resetAfter is true, got \[9\] \(the layout of resetAfter false\)/);
      assert.throws(tryIt(x, w, { ...options, activation: 'softsign' as ActivationName }),
        /gru: activation 'softsign' is unknown/);
    }
  }
  assert.throws(() => drawDropoutMasks('gru', B, D, H, GRU_GATES, 1, 0), /gru: dropout must be in \[0, 1\), got 1/);
  assert.throws(() => drawDropoutMasks('gru', B, D, H, GRU_GATES, 0.2, -0.1), /gru: recurrentDropout must be in \[0, 1\), got -0.1/);
});

test.run();
