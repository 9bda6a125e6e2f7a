/**
 * SimpleRNN: the fused pass against the reference loop (forward and BPTT),
 * against central differences, against hand-computed numbers, and the
 * buffer plans, tickets and error messages of the fused pass.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, noGrad, randomNormal, setSeed, tensor, type FloatArray } from '../../autograd/index.ts';
import { INFER_CHUNK, Workspace, drawDropoutMasks, type CellWeights, type SequenceOptions } from '../../cells/common.ts';
import {
  SIMPLE_RNN_GATES, initSimpleRnnWeights, simpleRnnParamCount, simpleRnnPlanSizes, simpleRnnReference,
  simpleRnnSequence, simpleRnnStep, simpleRnnTrace,
} from '../../cells/simple-rnn.ts';
import {
  B, D, H, MASK, T, lossTarget, simpleRnnCases, simpleRnnConfigs, simpleRnnFunction, simpleRnnProblem,
  type SimpleRnnProblem,
} from './simple-rnn-cases.ts';
import { carriedStateErrors, firstErrors, newProbe, probeErrors, referenceProbe } from './trace-and-probe.ts';

/** Named tolerances (max abs difference). */
const TOL = {
  /** fused vs reference forward, float64: only the order of additions differs. */
  forward64: 1e-10,
  /** fused vs reference forward, float32. */
  forward32: 1e-5,
  /** hand-written BPTT vs the tape through the reference loop, float64. */
  grad64: 1e-8,
} as const;

/** Max |actual − expected|; fails with the worst element and the first pairs. */
function assertClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): number {
  assert.is(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let max = 0;
  let worst = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    const e = Number.isNaN(d) ? Infinity : d;
    if (worst < 0 || e > max) {
      max = e;
      worst = i;
    }
  }
  const pairs = Array.from({ length: Math.min(3, actual.length) }, (_, i) => `[${i}] ${actual[i]} vs ${expected[i]}`).join(', ');
  assert.ok(
    max <= tolerance,
    `${what}: max abs difference ${max.toExponential(2)} > ${tolerance.toExponential(0)}; worst [${worst}]: got ${actual[worst]}, expected ${expected[worst]}; first: ${pairs}`,
  );
  return max;
}

/** A fixed, uneven projection P of the flat output (and state): L = Σ y ⊙ P. */
function projectionOf(n: number): Tensor {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = 0.3 + Math.sin(0.9 * i + 0.5);
  return new Tensor(p, [n]);
}

/** The gradients of L = Σ f(inputs) ⊙ P for every input of the problem, via the tape. */
function gradients(problem: SimpleRnnProblem, f: (...inputs: Tensor[]) => Tensor): FloatArray[] {
  for (const t of problem.inputs) t.grad = null;
  const y = f(...problem.inputs);
  ops.sum(ops.mul(y, projectionOf(y.size))).backward();
  return problem.inputs.map((t) => t.gradTensor().data.slice());
}

function run(problem: SimpleRnnProblem, cell = simpleRnnSequence, extra: SequenceOptions = {}) {
  const options = { ...problem.options, initialState: problem.h0 ? [problem.h0] : undefined, ...extra };
  return cell(problem.x, problem.w, options);
}

// ---------------------------------------------------------------- every configuration

for (const [index, config] of simpleRnnConfigs.entries()) {
  test(`${config.name}: fused forward = reference loop (float64 ${TOL.forward64}, float32 ${TOL.forward32})`, () => {
    const p64 = simpleRnnProblem(config, 'float64');
    const fused = run(p64);
    const reference = run(p64, simpleRnnReference);
    assert.equal(fused.output.shape, reference.output.shape);
    assertClose('output (float64)', fused.output.data, reference.output.data, TOL.forward64);
    assertClose('final h (float64)', fused.states[0].data, reference.states[0].data, TOL.forward64);
    // The inference plan runs the same forward: identical numbers.
    const inferred = noGrad(() => run(p64));
    assertClose('output (inference plan)', inferred.output.data, fused.output.data, 0);
    assertClose('final h (inference plan)', inferred.states[0].data, fused.states[0].data, 0);

    const p32 = simpleRnnProblem(config, 'float32');
    const fused32 = run(p32);
    const reference32 = run(p32, simpleRnnReference);
    assert.is(fused32.output.dtype, 'float32');
    assertClose('output (float32)', fused32.output.data, reference32.output.data, TOL.forward32);
    assertClose('final h (float32)', fused32.states[0].data, reference32.states[0].data, TOL.forward32);
  });

  test(`${config.name}: hand-written BPTT = autograd through the reference loop (${TOL.grad64})`, () => {
    const problem = simpleRnnProblem(config);
    const fused = gradients(problem, simpleRnnFunction(problem));
    const reference = gradients(problem, simpleRnnFunction(problem, simpleRnnReference));
    problem.names.forEach((name, i) => {
      assert.ok(reference[i].some((v) => v !== 0), `d${name}: the reference gradient is all zeros`);
      assertClose(`d${name}`, fused[i], reference[i], TOL.grad64);
    });
  });

  test(`${config.name}: gradcheck (central differences, float64)`, () => {
    const report = simpleRnnCases[index].run();
    assert.ok(report.worst !== null, `${report.name}: no element was checked`);
    assert.ok(report.pass, describe(report));
  });
}

// ---------------------------------------------------------------- values by hand

// D = 2, H = 2, B = 1. W [2, 2], U [2, 2], b [2] written out.
const W = [[0.1, -0.2], [0.3, 0.4]];
const U = [[0.5, 0.1], [-0.3, 0.2]];
const b = [0.05, -0.1];
const tinyWeights = (): CellWeights => ({
  kernel: tensor(W, undefined, 'float64'),
  recurrentKernel: tensor(U, undefined, 'float64'),
  bias: tensor(b, undefined, 'float64'),
});

test('one step by hand: h = tanh(xW + b + hPrev U)', () => {
  const x = tensor([[0.5, -1.0]], undefined, 'float64');
  const hPrev = tensor([[0.2, -0.4]], undefined, 'float64');
  const [h] = simpleRnnStep(x, [hPrev], tinyWeights());
  // z_0 = 0.5·0.1 + (−1)·0.3 + 0.05 + 0.2·0.5 + (−0.4)·(−0.3) = 0.02
  // z_1 = 0.5·(−0.2) + (−1)·0.4 − 0.1 + 0.2·0.1 + (−0.4)·0.2 = −0.66
  assertClose('step h', h.data, [Math.tanh(0.02), Math.tanh(-0.66)], 1e-15);
  const fused = simpleRnnSequence(tensor([[[0.5, -1.0]]], undefined, 'float64'), tinyWeights(), { initialState: [hPrev] });
  assertClose('fused, T = 1', fused.output.data, [Math.tanh(0.02), Math.tanh(-0.66)], 1e-15);
});

test('one step by hand with dropout masks and a sigmoid activation', () => {
  const x = tensor([[0.5, -1.0]], undefined, 'float64');
  const hPrev = tensor([[0.2, -0.4]], undefined, 'float64');
  const masks = { input: [new Float64Array([2, 0])], recurrent: [new Float64Array([0, 1.25])] };
  const [h] = simpleRnnStep(x, [hPrev], tinyWeights(), { activation: 'sigmoid', masks });
  // x ⊙ m_x = [1, 0], hPrev ⊙ m_h = [0, −0.5]
  // z_0 = 1·0.1 + 0.05 + (−0.5)·(−0.3) = 0.3;  z_1 = 1·(−0.2) − 0.1 + (−0.5)·0.2 = −0.4
  const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
  assertClose('step h', h.data, [sigma(0.3), sigma(-0.4)], 1e-15);
  const fused = simpleRnnSequence(tensor([[[0.5, -1.0]]], undefined, 'float64'), tinyWeights(), {
    initialState: [hPrev], activation: 'sigmoid', dropoutMasks: masks,
  });
  assertClose('fused, T = 1', fused.output.data, [sigma(0.3), sigma(-0.4)], 1e-15);
});

test('two steps by hand, forwards and backwards', () => {
  const x = tensor([[[0.5, -1.0], [0.25, 0.75]]], undefined, 'float64');
  // Forwards from h0 = 0: z1 = x1 W + b, h1 = tanh(z1); z2 = x2 W + b + h1 U.
  const h1 = [Math.tanh(0.5 * 0.1 - 1.0 * 0.3 + 0.05), Math.tanh(0.5 * -0.2 - 1.0 * 0.4 - 0.1)];
  const h2 = [
    Math.tanh(0.25 * 0.1 + 0.75 * 0.3 + 0.05 + h1[0] * 0.5 + h1[1] * -0.3),
    Math.tanh(0.25 * -0.2 + 0.75 * 0.4 - 0.1 + h1[0] * 0.1 + h1[1] * 0.2),
  ];
  const forwards = simpleRnnSequence(x, tinyWeights(), { returnSequences: true });
  assertClose('outputs', forwards.output.data, [...h1, ...h2], 1e-15);
  assertClose('final h', forwards.states[0].data, h2, 1e-15);
  // Backwards: the second step of x comes first, outputs in processing order.
  const g1 = [Math.tanh(0.25 * 0.1 + 0.75 * 0.3 + 0.05), Math.tanh(0.25 * -0.2 + 0.75 * 0.4 - 0.1)];
  const g2 = [
    Math.tanh(0.5 * 0.1 - 1.0 * 0.3 + 0.05 + g1[0] * 0.5 + g1[1] * -0.3),
    Math.tanh(0.5 * -0.2 - 1.0 * 0.4 - 0.1 + g1[0] * 0.1 + g1[1] * 0.2),
  ];
  const backwards = simpleRnnSequence(x, tinyWeights(), { returnSequences: true, goBackwards: true });
  assertClose('outputs (goBackwards)', backwards.output.data, [...g1, ...g2], 1e-15);
});

test('masking: masked first steps output zeros while the state carries h0; masked later steps repeat', () => {
  const x = tensor([[[0.5, -1.0], [0.25, 0.75], [-0.6, 0.1]]], undefined, 'float64');
  const h0 = tensor([[0.2, -0.4]], undefined, 'float64');
  const r = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 1, 0]), returnSequences: true });
  // Step 1 masked: output 0, state h0. Step 2 runs from h0. Step 3 masked: repeats step 2.
  const z = [0.25 * 0.1 + 0.75 * 0.3 + 0.05 + 0.2 * 0.5 + -0.4 * -0.3, 0.25 * -0.2 + 0.75 * 0.4 - 0.1 + 0.2 * 0.1 + -0.4 * 0.2];
  const h2 = z.map(Math.tanh);
  assertClose('outputs', r.output.data, [0, 0, ...h2, ...h2], 1e-15);
  assertClose('final h', r.states[0].data, h2, 1e-15);
  const last = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 1, 0]) });
  assertClose('last output = last unmasked output', last.output.data, h2, 1e-15);
  const none = simpleRnnSequence(x, tinyWeights(), { initialState: [h0], mask: new Float64Array([0, 0, 0]) });
  assertClose('fully masked: output', none.output.data, [0, 0], 0);
  assertClose('fully masked: state = h0', none.states[0].data, h0.data, 0);
});

test('goBackwards equals the forward pass over the time-reversed input and mask', () => {
  const problem = simpleRnnProblem({ name: 'reversal', returnSequences: true });
  const reversed = new Float64Array(B * T * D);
  const mask = Float64Array.from(MASK);
  const reversedMask = new Float64Array(B * T);
  for (let s = 0; s < B; s++) {
    for (let t = 0; t < T; t++) {
      reversedMask[s * T + t] = mask[s * T + T - 1 - t];
      for (let d = 0; d < D; d++) reversed[(s * T + t) * D + d] = problem.x.data[(s * T + T - 1 - t) * D + d];
    }
  }
  const backwards = simpleRnnSequence(problem.x, problem.w, { returnSequences: true, goBackwards: true, mask });
  const forwards = simpleRnnSequence(new Tensor(reversed, [B, T, D]), problem.w, { returnSequences: true, mask: reversedMask });
  assertClose('outputs', backwards.output.data, forwards.output.data, 0);
  assertClose('final h', backwards.states[0].data, forwards.states[0].data, 0);
});

// ---------------------------------------------------------------- weights

test('parameter counts: D = H = 32 gives 2080 (Keras), 2048 without bias', () => {
  assert.is(simpleRnnParamCount(32, 32), 2080);
  assert.is(simpleRnnParamCount(32, 32, false), 2048);
  assert.is(32 * 10000 + simpleRnnParamCount(32, 32), 322080); // Embedding(10000, 32) + SimpleRNN(32)
  assert.is(SIMPLE_RNN_GATES, 1);
});

test('initSimpleRnnWeights: Keras shapes and defaults, all requiring gradients', () => {
  setSeed(7);
  const w = initSimpleRnnWeights(5, 3);
  assert.equal(w.kernel.shape, [5, 3]);
  assert.equal(w.recurrentKernel.shape, [3, 3]);
  assert.equal(w.bias?.shape, [3]);
  assert.is(w.kernel.dtype, 'float32');
  assert.ok(w.kernel.requiresGrad && w.recurrentKernel.requiresGrad && w.bias?.requiresGrad);
  assert.ok(w.bias!.data.every((v) => v === 0), 'bias starts at zero');
  const limit = Math.sqrt(6 / (5 + 3));
  assert.ok(w.kernel.data.every((v) => Math.abs(v) <= limit), 'glorot-uniform kernel within its limit');
  // Orthogonal U: U Uᵀ = I.
  const uut = ops.matmul(w.recurrentKernel, w.recurrentKernel, false, true);
  assertClose('U Uᵀ', uut.data, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-6);
  const plain = initSimpleRnnWeights(4, 2, { useBias: false, dtype: 'float64', kernelInitializer: 'zeros' });
  assert.is(plain.bias, null);
  assert.is(plain.kernel.dtype, 'float64');
  assert.ok(plain.kernel.data.every((v) => v === 0));
});

// ---------------------------------------------------------------- the fused pass's machinery

test('trace: h is the carried state after each step: the output where the step ran, the state before where masked', () => {
  const problem = simpleRnnProblem({ name: 'trace', returnSequences: true, goBackwards: true });
  const trace = simpleRnnTrace(problem.x, problem.w, problem.options);
  assert.equal(Object.keys(trace), ['h']);
  assert.equal(trace.h.shape, [B, T, H]);
  const result = noGrad(() => run(problem));
  assertClose('traced h', trace.h.data, result.output.data, 0);
  // With a mask (a sample masked throughout among them), h0 and goBackwards.
  for (const goBackwards of [false, true]) {
    const masked = simpleRnnProblem(simpleRnnConfigs.find((c) => c.name === 'mask, last output, goBackwards, initialState')!);
    const options = { ...masked.options, initialState: [masked.h0!], returnSequences: true, goBackwards };
    const traced = simpleRnnTrace(masked.x, masked.w, options).h.data;
    const out = noGrad(() => simpleRnnSequence(masked.x, masked.w, options));
    const errors = carriedStateErrors('h', {
      state: traced, initial: masked.h0!.data, unmasked: out.output.data, final: out.states[0].data,
      mask: options.mask, goBackwards, B, T, H,
    });
    assert.is(errors.length, 0, `goBackwards ${goBackwards}: ${firstErrors(errors)}`);
  }
});

test('workspace: one plan per (kind, shape), reused over repeated calls', () => {
  const problem = simpleRnnProblem({ name: 'workspace', returnSequences: true });
  const workspace = new Workspace();
  for (let i = 0; i < 3; i++) {
    const r = run(problem, simpleRnnSequence, { workspace });
    ops.sum(r.output).backward();
  }
  assert.is(workspace.allocations, 1, 'training: one plan');
  for (let i = 0; i < 3; i++) noGrad(() => run(problem, simpleRnnSequence, { workspace }));
  assert.is(workspace.allocations, 2, 'inference: one more plan');
  const two = new Tensor(problem.x.data.slice(0, 2 * T * D), [2, T, D]);
  two.requiresGrad = true;
  simpleRnnSequence(two, problem.w, { workspace });
  assert.is(workspace.allocations, 3, 'a new batch size makes a new training plan');
  simpleRnnSequence(two, problem.w, { workspace });
  assert.is(workspace.allocations, 3);
});

test('workspace: the inference plan is flat in T: the same size at T = 100 and T = 10·INFER_CHUNK', () => {
  const masks = drawDropoutMasks('simpleRnn', B, D, H, 1, 0.3, 0.2, 'float64');
  for (const options of [{}, { dropoutMasks: masks, mask: new Float64Array(B * 10).fill(1) }]) {
    assert.ok(100 > INFER_CHUNK);
    const short = simpleRnnPlanSizes('infer', { B, T: 100, D, H }, options);
    const long = simpleRnnPlanSizes('infer', { B, T: 10 * INFER_CHUNK, D, H }, options);
    assert.equal(long, short, 'no buffer grows with T');
    assert.is(long.xTM, INFER_CHUNK * B * D, 'xTM holds one chunk [C·B, D]');
    assert.is(long.z, INFER_CHUNK * B * H, 'z holds one chunk [C·B, H]');
    // The training plan keeps per-step caches: it grows by more.
    const total = (s: Readonly<Record<string, number>>): number => Object.values(s).reduce((p, v) => p + v, 0);
    const trainGrowth = total(simpleRnnPlanSizes('train', { B, T: 100, D, H }, options)) - total(simpleRnnPlanSizes('train', { B, T: 10, D, H }, options));
    assert.ok(trainGrowth > 90 * B * (D + H));
  }
  // The forward allocates exactly the plan those sizes describe.
  const workspace = new Workspace();
  const x = randomNormal([B, 10, D], 0, 1, 'float64');
  const w = initSimpleRnnWeights(D, H, { dtype: 'float64' });
  noGrad(() => simpleRnnSequence(x, w, { workspace }));
  assert.is(workspace.allocations, 1);
  assert.equal(workspace.sizesOf('simpleRnn:infer', 'float64'), simpleRnnPlanSizes('infer', { B, T: 10, D, H }), 'the plan of simpleRnnPlanSizes is the one the forward made');
  assert.is(workspace.sizesOf('simpleRnn:train', 'float64'), null, 'no training plan without a tape');
});

test('workspace: the backward of an earlier forward on a reused workspace throws', () => {
  const problem = simpleRnnProblem({ name: 'ticket' });
  const workspace = new Workspace();
  const first = run(problem, simpleRnnSequence, { workspace });
  const second = run(problem, simpleRnnSequence, { workspace });
  assert.throws(() => ops.sum(first.output).backward(), /simpleRnn: backward of an earlier forward pass/);
  ops.sum(second.output).backward();
  assert.ok(problem.w.kernel.grad!.some((v) => v !== 0));
});

test('outputs are fresh tensors: a later call on the same workspace does not change them', () => {
  const problem = simpleRnnProblem({ name: 'fresh', returnSequences: true });
  const workspace = new Workspace();
  for (const record of [true, false]) {
    const call = (): ReturnType<typeof run> => (record ? run(problem, simpleRnnSequence, { workspace }) : noGrad(() => run(problem, simpleRnnSequence, { workspace })));
    const first = call();
    const kept = first.output.data.slice();
    const keptState = first.states[0].data.slice();
    problem.x.data.reverse();
    const second = call();
    problem.x.data.reverse();
    assert.ok(second.output.data.some((v, i) => v !== kept[i]), 'the second call computed something else');
    assertClose('first output', first.output.data, kept, 0);
    assertClose('first state', first.states[0].data, keptState, 0);
  }
});

test('tape: one node for the sequence; gradients accumulate, only into inputs that require them', () => {
  const problem = simpleRnnProblem({ name: 'tape', returnSequences: true });
  problem.x.requiresGrad = false;
  const first = run(problem);
  assert.is(first.output.node?.op, 'simpleRnn');
  assert.is(first.output.node?.inputs.length, 4);
  assert.is(first.output.node, first.states[0].node);
  ops.sum(first.output).backward();
  const once = problem.w.recurrentKernel.grad!.slice();
  ops.sum(run(problem).output).backward();
  assertClose('dU after two backward passes', problem.w.recurrentKernel.grad!, once.map((v) => 2 * v), 1e-15);
  assert.is(problem.x.grad, null, 'x does not require a gradient');
  assert.is(noGrad(() => run(problem)).output.node, null, 'nothing is recorded under noGrad');
});

// ---------------------------------------------------------------- the gradient probe

const PROBE_CONFIGS = ['no options', 'goBackwards', 'mask', 'mask, last output, goBackwards, initialState', 'dropout 0.3, recurrentDropout 0.2'];

for (const name of PROBE_CONFIGS) {
  test(`gradient probe, ${name}: ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ = the reference loop's (float64)`, () => {
    const problem = simpleRnnProblem(simpleRnnConfigs.find((c) => c.name === name)!);
    const loss = (r: ReturnType<typeof run>): Tensor => {
      const y = lossTarget(r, problem.config.useState ?? false);
      return ops.sum(ops.mul(y, projectionOf(y.size)));
    };
    const probe = newProbe(T);
    loss(run(problem, simpleRnnSequence, { gradientProbe: probe })).backward();
    problem.x.grad = null;
    const reference = simpleRnnReference(problem.x, problem.w, { ...problem.options, initialState: problem.h0 ? [problem.h0] : undefined });
    loss(reference).backward();
    const errors = probeErrors(probe, referenceProbe(reference, problem.x, problem.options.goBackwards ?? false));
    assert.is(errors.length, 0, firstErrors(errors));
  });
}

test('gradient probe: taken also when x requires no gradient; left untouched without a backward; checked for length', () => {
  const problem = simpleRnnProblem(simpleRnnConfigs.find((c) => c.name === 'mask')!);
  const backward = (gradientProbe: ReturnType<typeof newProbe>): void => ops.sum(run(problem, simpleRnnSequence, { gradientProbe }).output).backward();
  const withX = newProbe(T);
  backward(withX);
  problem.x.requiresGrad = false;
  problem.x.grad = null;
  const withoutX = newProbe(T);
  backward(withoutX);
  assertClose('hGradNorm without dx', withoutX.hGradNorm, withX.hGradNorm, 0);
  assertClose('xGradNorm without dx', withoutX.xGradNorm, withX.xGradNorm, 0);
  assert.is(problem.x.grad, null);
  const untouched = newProbe(T);
  noGrad(() => run(problem, simpleRnnSequence, { gradientProbe: untouched }));
  assert.ok(untouched.hGradNorm.every(Number.isNaN), 'inference writes nothing');
  assert.throws(() => run(problem, simpleRnnSequence, { gradientProbe: newProbe(T + 1) }),
    /simpleRnn: gradientProbe arrays must have length T = 4, got hGradNorm 5, xGradNorm 5/);
});

// ---------------------------------------------------------------- bad inputs

test('bad inputs: errors name the cell, the argument and the shapes', () => {
  const problem = simpleRnnProblem({ name: 'errors' });
  const { x, w } = problem;
  for (const cell of [simpleRnnSequence, simpleRnnReference]) {
    assert.throws(() => cell(new Tensor(new Float64Array(15), [3, 5]), w, {}), /simpleRnn: input must be \[batch, timesteps, features\], got shape \[3,5\]/);
    assert.throws(() => cell(new Tensor(new Float64Array(B * T * 4), [B, T, 4]), w, {}), /simpleRnn: input has 4 features \(shape \[3,4,4\]\) but the kernel expects 5 \(kernel \[5,3\]\)/);
    assert.throws(() => cell(x, w, { mask: new Float64Array(10) }), /simpleRnn: mask must be \[B, T\] = \[3,4\] \(12 values\), got 10 values/);
    assert.throws(() => cell(x, w, { initialState: [new Tensor(new Float64Array(6), [3, 2])] }), /simpleRnn: initialState must be \[B, H\] = \[3,3\], got \[3,2\]/);
    assert.throws(() => cell(x, w, { initialState: [] }), /simpleRnn: initialState must hold 1 tensor\(s\) of shape \[3,3\], got 0/);
    assert.throws(() => cell(x, { ...w, bias: new Tensor(new Float64Array(4), [4]) }, {}), /simpleRnn: bias must be \[3\], got \[4\]/);
    assert.throws(() => cell(x, { ...w, recurrentKernel: new Tensor(new Float64Array(6), [3, 2]) }, {}), /simpleRnn: recurrentKernel must be \[H, H\], got \[3,2\]/);
    assert.throws(() => cell(x, w, { dropoutMasks: { input: null, recurrent: [new Float64Array(B * D)] } }), /simpleRnn: recurrent dropout masks must be 1 array\(s\) of \[B, H\] = \[3,3\]/);
    assert.throws(() => cell(x, w, { activation: 'swish' as 'tanh' }), /simpleRnn: activation 'swish' is unknown/);
  }
  assert.throws(() => drawDropoutMasks('simpleRnn', B, D, H, 1, 1, 0), /simpleRnn: dropout must be in \[0, 1\), got 1/);
  assert.throws(() => drawDropoutMasks('simpleRnn', B, D, H, 1, 0.2, -0.1), /simpleRnn: recurrentDropout must be in \[0, 1\), got -0.1/);
});

test('lossTarget covers the output and, with returnState, the final state', () => {
  const problem = simpleRnnProblem({ name: 'target', useState: true });
  const r = run(problem);
  assert.is(lossTarget(r, true).size, B * H * 2);
  assert.is(lossTarget(r, false).size, B * H);
});

test.run();
