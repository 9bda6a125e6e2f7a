/**
 * Every cell (GRU in both variants) through the one harness: the fused pass
 * against the reference loop (forward and gradients) and against central
 * differences, the driver's plans, tickets, tape node, masks, chunks,
 * gradient probe and trace semantics, and the errors of bad calls. What only
 * one cell has (its equations by hand, its weights) is in its own spec.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, noGrad, tensor, type FloatArray } from '../../autograd/index.ts';
import { INFER_CHUNK, Workspace, drawDropoutMasks, type ActivationName, type SequenceOptions } from '../../cells/common.ts';
import { planSizes, traceSequence } from '../../cells/sequence.ts';
import { CELLS } from '../../cells/index.ts';
import { assertClose } from '../autograd/expect.ts';
import { CHUNK_DIMS, CONFIGS, DIMS, GRU_CONFIGS, LSTM_CONFIGS, SIMPLE_RNN_CONFIGS, caseName, type CellConfig, type CellKey } from './configs.ts';
import {
  backwardOf, carriedStateErrors, firstErrors, gradcheckCase, gradients, lossVector, newProbe, problem, referenceProbe, runOn,
  type CellUnderTest, type Problem,
} from './harness.ts';
import { UNDER_TEST } from './under-test.ts';

/** Named tolerances (|got − want| / max(1, |want|)). */
const TOL = {
  /** Fused vs reference forward, float64: the same arithmetic in another order. */
  forward64: 1e-10,
  /** Fused vs reference forward, float32. */
  forward32: 1e-5,
  /** Hand-written BPTT vs the autograd through the reference loop, float64. */
  grad: 1e-8,
  /** The probe's norms against the reference loop's, float64. */
  probe: 1e-10,
} as const;

const MAIN: Readonly<Record<CellKey, readonly CellConfig[]>> = {
  simpleRnn: SIMPLE_RNN_CONFIGS, lstm: LSTM_CONFIGS, gru: GRU_CONFIGS, gruResetBefore: GRU_CONFIGS,
};
const KEYS = Object.keys(UNDER_TEST) as CellKey[];
const { B, T, D, H } = DIMS;

/** The driver's form of a cell under test, for its plan sizes and trace. */
function driverCell(cell: CellUnderTest) {
  return cell.key === 'simpleRnn' ? CELLS.SimpleRNN.cell() : cell.key === 'lstm' ? CELLS.LSTM.cell() : CELLS.GRU.cell({ resetAfter: cell.key === 'gru' });
}

// ---------------------------------------------------------------- every configuration

for (const key of KEYS) {
  const cell = UNDER_TEST[key];
  for (const config of MAIN[key]) {
    const name = caseName(key, config);

    test(`${name}: fused forward = reference loop (float64 ${TOL.forward64}, float32 ${TOL.forward32}); the inference plan = the training forward, bit for bit`, () => {
      for (const [dtype, tol] of [['float64', TOL.forward64], ['float32', TOL.forward32]] as const) {
        const p = problem(cell, config, dtype);
        const fused = runOn(p);
        const reference = runOn(p, cell.reference);
        assert.equal(fused.output.shape, config.returnSequences ? [B, T, H] : [B, H]);
        assert.is(fused.output.dtype, dtype);
        assertClose(`${dtype} output`, fused.output.data, reference.output.data, tol);
        fused.states.forEach((s, i) => assertClose(`${dtype} final state ${i}`, s.data, reference.states[i].data, tol));
        const inferred = noGrad(() => runOn(p));
        assertClose(`${dtype} output (inference plan)`, inferred.output.data, fused.output.data, 0);
        inferred.states.forEach((s, i) => assertClose(`${dtype} state ${i} (inference plan)`, s.data, fused.states[i].data, 0));
      }
    });

    test(`${name}: hand-written BPTT = autograd through the reference loop (${TOL.grad}); every leaf gets a gradient`, () => {
      const p = problem(cell, config);
      const fused = gradients(p);
      const reference = gradients(p, cell.reference);
      p.leafNames.forEach((leaf, i) => {
        // A gradient that is identically zero would hide a missing path.
        assert.ok(reference[i].some((v) => v !== 0), `d${leaf}: the reference gradient is all zeros`);
        assertClose(`d${leaf}`, fused[i], reference[i], TOL.grad);
      });
    });

    test(`${name}: gradient probe, ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ = the reference loop's (${TOL.probe})`, () => {
      const p = problem(cell, config);
      const probe = newProbe(T);
      backwardOf(p, cell.fused, { gradientProbe: probe });
      const want = referenceProbe(backwardOf(p, cell.reference), p.x, config.goBackwards ?? false);
      assertClose('hGradNorm', probe.hGradNorm, want.hGradNorm, TOL.probe);
      assertClose('xGradNorm', probe.xGradNorm, want.xGradNorm, TOL.probe);
      // A probe of zeros would match a reference of zeros: the norms must say something.
      assert.ok(want.hGradNorm.some((v) => v !== 0) && want.xGradNorm.some((v) => v !== 0), 'the reference norms are all zero');
    });

    test(`gradcheck ${name} (fused, central differences)`, () => {
      const report = gradcheckCase(cell, config).run();
      assert.ok(report.worst !== null, `${name}: no element was checked`);
      assert.ok(report.pass, describe(report));
    });

    test(`gradcheck ${name} (reference loop, central differences)`, () => {
      // The reference the BPTT is compared with is itself checked numerically.
      const p = problem(cell, config);
      const report = gradcheck(`${name} (reference)`, (...leaves) => lossVector(runOn(p, cell.reference, leaves), config), p.leaves);
      assert.ok(report.pass, describe(report));
    });
  }
}

for (const key of KEYS) {
  const cell = UNDER_TEST[key];
  const fresh = (name: string, extra: CellConfig = { name }): Problem => problem(cell, { ...extra, name });

  test(`${key}: chunked inference (T = ${CHUNK_DIMS.T}: several chunks of ${INFER_CHUNK}, the last partial) = the training forward, bit for bit`, () => {
    for (const config of CONFIGS[key].filter((c) => c.dims === CHUNK_DIMS)) {
      const p = problem(cell, config);
      const trained = runOn(p);
      assert.ok(trained.output.node !== null, 'the training plan ran');
      const inferred = noGrad(() => runOn(p, cell.fused, p.leaves, { workspace: new Workspace() }));
      assertClose(`${config.name}: output`, inferred.output.data, trained.output.data, 0);
      trained.states.forEach((s, i) => assertClose(`${config.name}: state ${i}`, inferred.states[i].data, s.data, 0));
    }
  });

  // ---------------------------------------------------------------- the tape node

  test(`${key}: one tape node; gradients accumulate (+=); inputs without requiresGrad get none; noGrad records nothing`, () => {
    const p = fresh('tape', { name: 'tape', returnSequences: true, initialState: true });
    p.x.requiresGrad = false;
    for (const t of p.leaves) t.grad = null;
    const result = runOn(p);
    assert.is(result.output.node?.op, cell.name);
    for (const s of result.states) assert.is(s.node, result.output.node, 'output and states share the node');
    assert.is(result.output.node?.inputs.length, 4 + cell.states, 'x, W, U, b and the initial states');
    ops.sum(result.output).backward();
    assert.is(p.x.grad, null);
    const once = p.leaves.slice(1).map((t) => t.grad!.slice());
    ops.sum(runOn(p).output).backward();
    p.leaves.slice(1).forEach((t, i) => {
      assert.ok(once[i].some((v) => v !== 0), `${p.leafNames[i + 1]} got a gradient`);
      assertClose(`d${p.leafNames[i + 1]} after two backward passes`, t.grad!, once[i].map((v) => 2 * v), 1e-14);
    });
    const inference = noGrad(() => runOn(p));
    assert.is(inference.output.node, null);
    assert.is(inference.output.requiresGrad, false);
  });

  // ---------------------------------------------------------------- the workspace and its plans

  test(`${key}: one plan per shape, reused over calls (training and inference); a new shape replaces it; planSizes is what is allocated`, () => {
    const ws = new Workspace();
    const p = fresh('plans');
    const masks = drawDropoutMasks(cell.name, B, D, H, cell.gates, 0.3, 0.2, 'float64');
    for (let k = 0; k < 3; k++) ops.sum(runOn(p, cell.fused, p.leaves, { workspace: ws }).output).backward();
    assert.is(ws.allocations, 1, 'training: three calls, one plan');
    for (let k = 0; k < 3; k++) noGrad(() => runOn(p, cell.fused, p.leaves, { workspace: ws }));
    assert.is(ws.allocations, 2, 'inference: three calls, one more plan');
    const longer = fresh('plans', { name: 'plans', dims: { ...DIMS, T: T + 2 } });
    runOn(longer, cell.fused, longer.leaves, { workspace: ws });
    assert.is(ws.allocations, 3, 'a new T: a new training plan');
    runOn(longer, cell.fused, longer.leaves, { workspace: ws });
    assert.is(ws.allocations, 3, 'which is reused in turn');
    const c = driverCell(cell);
    for (const [kind, dims, options] of [['train', longer.dims, {}], ['infer', DIMS, {}], ['train', DIMS, { dropoutMasks: masks }], ['infer', DIMS, { dropoutMasks: masks }]] as const) {
      const w = new Workspace();
      const q = kind === 'train' && dims === longer.dims ? longer : p;
      if (kind === 'train') runOn(q, cell.fused, q.leaves, { workspace: w, ...options });
      else noGrad(() => runOn(q, cell.fused, q.leaves, { workspace: w, ...options }));
      assert.equal(w.sizesOf(`${cell.name}:${kind}`, 'float64'), planSizes(c, kind, dims, options), `${kind}${options.dropoutMasks ? ' with dropout masks' : ''}: planSizes tells what is allocated`);
      assert.is(w.sizesOf(`${cell.name}:${kind === 'train' ? 'infer' : 'train'}`, 'float64'), null, 'and nothing of the other kind');
    }
  });

  test(`${key}: one, two or three samples alone give the bits of their rows in a batch of 20 (output, final states, ∂L/∂x; float32 and float64)`, () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const dims = { B: 20, T: 3, D: 5, H: 7 }; // one sample: T·B = 3 rows, which gemm reads in place
      const p = problem(cell, { name: 'rows alone', dims, returnSequences: true }, dtype);
      const { T, D, H } = dims;
      const run = (x: Tensor): { out: Tensor; dx: FloatArray; finals: Tensor[] } => {
        const leaf = new Tensor(x.data.slice(), x.shape, true);
        const result = runOn(p, cell.fused, [leaf, ...p.leaves.slice(1).map((t) => t.detach())]);
        ops.sum(ops.mul(result.output, result.output)).backward();
        return { out: result.output, dx: leaf.grad!, finals: result.states };
      };
      const whole = run(p.x);
      for (const [r0, r1] of [[0, 1], [1, 3], [3, 6], [19, 20]]) {
        const alone = run(new Tensor(p.x.data.slice(r0 * T * D, r1 * T * D), [r1 - r0, T, D]));
        const same = (what: string, got: ArrayLike<number>, want: ArrayLike<number>, from: number): void => {
          for (let i = 0; i < got.length; i++) assert.ok(Object.is(got[i], want[from + i]), `${dtype} rows ${r0}…${r1 - 1} alone: ${what}[${i}] ${got[i]} against ${want[from + i]} in the batch`);
        };
        same('output', alone.out.data, whole.out.data, r0 * T * H);
        same('∂L/∂x', alone.dx, whole.dx, r0 * T * D);
        alone.finals.forEach((f, i) => same(`state ${i}`, f.data, whole.finals[i].data, r0 * H));
      }
    }
  });

  test(`${key}: the inference plan is flat in T (chunks of ${INFER_CHUNK} steps): only the chunk's input and gates hold more than a step or two; the gate values take their pre-activations' place`, () => {
    const c = driverCell(cell);
    const G = cell.gates;
    for (const dropoutMasks of [null, drawDropoutMasks(cell.name, B, D, H, G, 0.3, 0.2, 'float64')]) {
      const at = (steps: number) => planSizes(c, 'infer', { B, T: steps, D, H }, { dropoutMasks });
      const long = at(10 * INFER_CHUNK);
      assert.equal(long, at(100), 'no buffer grows with T');
      assert.is(long.xTM, INFER_CHUNK * B * D, 'xTM holds one chunk [C·B, D]');
      assert.is(long.gates, INFER_CHUNK * B * G * H, 'gates holds one chunk [C·B, G·H]');
      const chunked = new Set(['xTM', 'gates', 'inputK', 'inputH']);
      for (const [k, n] of Object.entries(long)) {
        if (!chunked.has(k)) assert.ok(n <= 2 * B * G * H, `${k} (${n} numbers) holds a step or two, not a chunk`);
      }
      assert.is(long.h, 2 * B * H, 'the state: a ring of two steps');
      assert.is(long.dGates + long.dXTM, 0, 'no backward buffers at inference');
    }
  });

  test(`${key}: the training plan: the per-step buffers grow linearly with T, the others not at all`, () => {
    const c = driverCell(cell);
    const masks = drawDropoutMasks(cell.name, B, D, H, cell.gates, 0.3, 0.2, 'float64');
    const [a, b, d] = [10, 20, 30].map((steps) => planSizes(c, 'train', { B, T: steps, D, H }, { dropoutMasks: masks }));
    const perStep = new Set(['xTM', 'gates', 'inputK', 'inputH', 'recK', 'dGates', 'dXTM', ...c.states, ...Object.entries(c.buffers).filter(([, [kind]]) => kind === 'cache' || kind === 'grad').map(([k]) => k)]);
    for (const k of Object.keys(a)) {
      // f(10), f(20), f(30) on one line: any curvature (a T² term) leaves the second difference nonzero.
      assert.is(d[k] - b[k], b[k] - a[k], `${k}: f(30) − f(20) = f(20) − f(10) (${a[k]}, ${b[k]}, ${d[k]})`);
      if (perStep.has(k)) assert.ok(b[k] > a[k] || b[k] === 0, `${k} grows with T (or is absent)`);
      else assert.is(b[k], a[k], `${k} does not depend on T`);
    }
    assert.is(b.gates, 20 * B * cell.gates * H, 'gates holds every step');
    assert.is(b.h, 21 * B * H, 'h0, then the state after each step');
  });

  test(`${key}: a backward of an earlier forward on the same workspace throws; the latest one runs`, () => {
    const ws = new Workspace();
    const p = fresh('ticket');
    const first = runOn(p, cell.fused, p.leaves, { workspace: ws });
    const second = runOn(p, cell.fused, p.leaves, { workspace: ws });
    assert.throws(() => ops.sum(first.output).backward(), new RegExp(`${cell.name}: backward of an earlier forward pass`));
    ops.sum(second.output).backward();
    assert.ok(p.w.kernel.grad!.some((v) => v !== 0));
  });

  test(`${key}: a reused workspace gives the same gradients as a fresh one (no stale buffer is read)`, () => {
    const ws = new Workspace();
    for (const config of MAIN[key].filter((cf) => !cf.dropout && cf.useBias !== false)) {
      const p = problem(cell, config);
      const once = gradients(p);
      const reused = gradients(p, cell.fused, { workspace: ws });
      p.leafNames.forEach((leaf, i) => assertClose(`${config.name}: d${leaf} on a reused workspace`, reused[i], once[i], 0));
    }
  });

  test(`${key}: outputs are fresh tensors, not workspace views`, () => {
    const p = fresh('fresh', { name: 'fresh', returnSequences: true });
    const ws = new Workspace();
    for (const training of [true, false]) {
      const call = () => (training ? runOn(p, cell.fused, p.leaves, { workspace: ws }) : noGrad(() => runOn(p, cell.fused, p.leaves, { workspace: ws })));
      const first = call();
      const kept = [first.output, ...first.states].map((t) => t.data.slice());
      p.x.data.reverse();
      const second = call();
      p.x.data.reverse();
      assert.ok(second.output.data.some((v, i) => v !== kept[0][i]), 'the second call computed something else');
      [first.output, ...first.states].forEach((t, i) => assertClose(`first result ${i} after a second call`, t.data, kept[i], 0));
    }
  });

  // ---------------------------------------------------------------- masks, goBackwards, the probe, the trace

  test(`${key}: masking: zero output before the first unmasked step, the states carried over, the last output repeated`, () => {
    const config = MAIN[key].find((c) => c.name === 'mask')!; // samples 0 and 1: masked at steps 0, 1 and at steps 1, 3
    const p = problem(cell, config);
    const all = runOn(p).output.data; // [B, T, H]
    const last = runOn(p, cell.fused, p.leaves, { returnSequences: false });
    const trace = traceSequence(driverCell(cell), p.x, p.w, p.options);
    for (let j = 0; j < H; j++) {
      const o = (b: number, t: number): number => all[(b * T + t) * H + j];
      assert.equal([o(0, 0), o(0, 1)], [0, 0], 'no output before sample 0 first runs');
      assert.is.not(o(0, 2), 0);
      assert.is(o(1, 1), o(1, 0), 'sample 1 masked at step 1 repeats step 0');
      assert.is(o(1, 3), o(1, 2), 'sample 1 masked at step 3 repeats step 2');
      assert.is(last.output.data[H + j], o(1, 2), 'the last output is the last unmasked one');
      assert.is(last.states[0].data[H + j], o(1, 2), 'and so is the final h');
      for (const s of driverCell(cell).states) assert.is(trace[s].data[(1 * T + 1) * H + j], trace[s].data[(1 * T + 0) * H + j], `${s} carried over a masked step`);
    }
  });

  test(`${key}: goBackwards = the forward pass over the time-reversed input and mask`, () => {
    const p = problem(cell, { name: 'reversal', returnSequences: true, mask: MAIN[key].find((c) => c.name === 'mask')!.mask });
    const reversed = new Tensor(new Float64Array(p.x.size), p.x.shape);
    const mask = p.options.mask!;
    const reversedMask = new Float64Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        reversedMask[b * T + t] = mask[b * T + T - 1 - t];
        for (let d = 0; d < D; d++) reversed.data[(b * T + t) * D + d] = p.x.data[(b * T + T - 1 - t) * D + d];
      }
    }
    const backwards = runOn(p, cell.fused, p.leaves, { goBackwards: true });
    const forwards = cell.fused(reversed, p.w, { ...p.options, mask: reversedMask });
    assertClose('outputs', backwards.output.data, forwards.output.data, 0);
    backwards.states.forEach((s, i) => assertClose(`final state ${i}`, s.data, forwards.states[i].data, 0));
  });

  test(`${key}: gradient probe: taken also when x requires no gradient; untouched without a backward; checked for length`, () => {
    const p = problem(cell, MAIN[key].find((c) => c.name === 'mask')!);
    const withX = newProbe(T);
    ops.sum(runOn(p, cell.fused, p.leaves, { gradientProbe: withX }).output).backward();
    p.x.requiresGrad = false;
    p.x.grad = null;
    const withoutX = newProbe(T);
    ops.sum(runOn(p, cell.fused, p.leaves, { gradientProbe: withoutX }).output).backward();
    assertClose('hGradNorm without dx', withoutX.hGradNorm, withX.hGradNorm, 0);
    assertClose('xGradNorm without dx', withoutX.xGradNorm, withX.xGradNorm, 0);
    assert.is(p.x.grad, null);
    const untouched = newProbe(T);
    noGrad(() => runOn(p, cell.fused, p.leaves, { gradientProbe: untouched }));
    assert.ok(untouched.hGradNorm.every(Number.isNaN), 'inference writes nothing');
    assert.throws(() => runOn(p, cell.fused, p.leaves, { gradientProbe: newProbe(T + 1) }),
      new RegExp(`${cell.name}: gradientProbe arrays must have length T = 4, got hGradNorm 5, xGradNorm 5`));
  });

  test(`${key}: the trace: [B, T, H] per gate and state; the states are the carried ones (initial states, masks, goBackwards)`, () => {
    const c = driverCell(cell);
    for (const goBackwards of [false, true]) {
      const p = problem(cell, { name: 'trace', returnSequences: true, goBackwards, initialState: true, mask: [0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0] });
      const trace = traceSequence(c, p.x, p.w, p.options);
      assert.equal(Object.keys(trace).sort(), [...c.gateNames, ...c.states].sort());
      for (const k of Object.keys(trace)) assert.equal(trace[k].shape, [B, T, H], `trace ${k}`);
      const result = noGrad(() => runOn(p));
      const errors = c.states.flatMap((s, i) => carriedStateErrors(s, {
        state: trace[s].data, initial: p.options.initialState![i].data, unmasked: i === 0 ? result.output.data : null,
        final: result.states[i].data, mask: p.options.mask, goBackwards, dims: DIMS,
      }));
      assert.is(errors.length, 0, `goBackwards ${goBackwards}: ${firstErrors(errors)}`);
    }
  });

  // ---------------------------------------------------------------- bad calls

  test(`${key}: bad inputs: each error names the cell, the argument and the shapes`, () => {
    const p = fresh('errors');
    const { x, w } = p;
    const GH = cell.gates * H;
    for (const run of [cell.fused, cell.reference]) {
      const call = (xi: Tensor, o: SequenceOptions = {}) => () => run(xi, w, o);
      assert.throws(call(tensor(new Float64Array(B * D), [B, D], 'float64')), new RegExp(`${cell.name}: input must be \\[batch, timesteps, features\\], got shape \\[3,5\\]`));
      assert.throws(call(tensor(new Float64Array(B * T * 4), [B, T, 4], 'float64')), new RegExp(`${cell.name}: input has 4 features \\(shape \\[3,4,4\\]\\) but the kernel expects 5 \\(kernel \\[5,${GH}\\]\\)`));
      assert.throws(call(x, { mask: new Float64Array(B * T - 2) }), new RegExp(`${cell.name}: mask must be \\[B, T\\] = \\[3,4\\] \\(12 values\\), got 10 values`));
      assert.throws(call(x, { mask: new Float64Array(B * T).fill(0.5) }), new RegExp(`${cell.name}: mask values must be 0 or 1, got 0.5 at \\[0,0\\] of \\[3,4\\]`));
      const good = tensor(new Float64Array(B * H), [B, H], 'float64');
      const wrong = tensor(new Float64Array(B * 2), [B, 2], 'float64');
      assert.throws(call(x, { initialState: [wrong, good].slice(0, cell.states) }), new RegExp(`${cell.name}: initialState must be \\[B, H\\] = \\[3,3\\], got \\[3,2\\]`));
      assert.throws(call(x, { initialState: [good, good, good] }), new RegExp(`${cell.name}: initialState must hold ${cell.states} tensor\\(s\\) of shape \\[3,3\\], got 3`));
      const masks = drawDropoutMasks(cell.name, B, D + 1, H, cell.gates, 0.3, 0.2, 'float64');
      assert.throws(call(x, { dropoutMasks: masks }), new RegExp(`${cell.name}: input dropout masks must be ${cell.gates} array\\(s\\) of \\[B, D\\] = \\[3,5\\] \\(15 values\\); got ${cell.gates} of lengths 18`));
      assert.throws(call(x, { activation: 'softsign' as ActivationName }), new RegExp(`${cell.name}: activation 'softsign' is unknown`));
    }
    assert.throws(() => drawDropoutMasks(cell.name, B, D, H, cell.gates, 1, 0), new RegExp(`${cell.name}: dropout must be in \\[0, 1\\), got 1`));
    assert.throws(() => drawDropoutMasks(cell.name, B, D, H, cell.gates, 0.2, -0.1), new RegExp(`${cell.name}: recurrentDropout must be in \\[0, 1\\), got -0.1`));
  });
}

test.run();
