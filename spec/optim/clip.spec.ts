import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  clipByNorm,
  clipByValue,
  clipGradsByGlobalNorm,
  clipGradsByNorm,
  clipGradsByValue,
  globalGradNorm,
  l2Norm,
  RMSprop,
  SGD,
  type Optimizer,
} from '../../optim/index.ts';
import { assertClose, assertSteps, GRADS, param, THETA0, threeSteps } from './common.ts';

// ------------------------------------------------------------- the functions

test('clipByValue clamps each element to [−c, c], in place', () => {
  const g = Float64Array.from([-3, -0.5, 0, 0.2, 7]);
  const out = clipByValue(g, 0.5);
  assert.ok(out === g, 'returns its argument');
  assertClose(g, [-0.5, -0.5, 0, 0.2, 0.5], 'clipByValue');
});

test('clipByNorm rescales a gradient whose norm exceeds c, and leaves the others alone', () => {
  const g = Float64Array.from([3, 4]); // ‖g‖ = 5
  clipByNorm(g, 1);
  assertClose(g, [0.6, 0.8], 'clipByNorm to 1');
  assertClose([l2Norm(g)], [1], 'norm after clipping');
  assertClose(clipByNorm(Float64Array.from([3, 4]), 10), [3, 4], 'inside the ball');
  assertClose(clipByNorm(new Float64Array(3), 1), [0, 0, 0], 'zero gradient stays zero (no NaN)');
});

test('clipGradsByGlobalNorm scales all gradients by one factor and returns the norm before', () => {
  const a = param([0, 0]);
  const b = param([0]);
  const c = param([0]); // no gradient: skipped
  a.grad = Float64Array.from([3, 4]);
  b.grad = Float64Array.from([12]);
  assertClose([globalGradNorm([a, b, c])], [13], 'global norm √(9 + 16 + 144)');
  const before = clipGradsByGlobalNorm([a, b, c], 6.5);
  assert.is(before, 13);
  assertClose(a.grad, [1.5, 2], 'a scaled by 6.5/13');
  assertClose(b.grad, [6], 'b scaled by 6.5/13');
  assert.is(c.grad, null);
});

test('clipGradsByGlobalNorm turns a non-finite norm into NaN gradients (as Keras)', () => {
  const a = param([0, 0]);
  const b = param([0]);
  a.grad = Float64Array.from([1, 2]);
  b.grad = Float64Array.from([Infinity]);
  clipGradsByGlobalNorm([a, b], 1);
  assert.ok(Number.isNaN(a.grad[0]) && Number.isNaN(a.grad[1]) && Number.isNaN(b.grad[0]));
});

test('clipGradsByNorm clips each tensor on its own; clipGradsByValue each element', () => {
  const a = param([0, 0]);
  const b = param([0, 0]);
  a.grad = Float64Array.from([3, 4]);
  b.grad = Float64Array.from([0.3, 0.4]);
  clipGradsByNorm([a, b], 1);
  assertClose(a.grad, [0.6, 0.8], 'a, norm 5 → 1');
  assertClose(b.grad, [0.3, 0.4], 'b, norm 0.5, unchanged');
  clipGradsByValue([a, b], 0.35);
  assertClose(a.grad, [0.35, 0.35], 'a clamped');
  assertClose(b.grad, [0.3, 0.35], 'b clamped');
});

// ------------------------------------------------------ clipping inside step

// Two parameters: A = THETA0 with GRADS, B = [1, −1] with GRADS_B.
const START_B = [1, -1];
const GRADS_B = [
  [0.2, 0.1],
  [-0.1, 0.05],
  [0, 4],
];
const lr = 0.1;

/** Three SGD steps on A and B together; θ of each after every step. */
function twoParamSteps(opt: Optimizer): { a: number[][]; b: number[][] } {
  const pa = param(THETA0);
  const pb = param(START_B);
  const a: number[][] = [];
  const b: number[][] = [];
  for (let k = 0; k < 3; k++) {
    pa.grad = Float64Array.from(GRADS[k]);
    pb.grad = Float64Array.from(GRADS_B[k]);
    opt.step([pa, pb]);
    a.push([...pa.data]);
    b.push([...pb.data]);
  }
  return { a, b };
}

/** Plain SGD by hand: θ_k = θ_{k−1} − η·g'_k, from given (already clipped) gradients. */
function sgdByHand(start: readonly number[], clipped: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  let theta = [...start];
  for (const g of clipped) {
    theta = theta.map((t, i) => t - lr * g[i]);
    out.push(theta);
  }
  return out;
}

test('clipnorm: each tensor scaled by min(1, c/‖g‖) before the SGD update, three steps', () => {
  const c = 1;
  const perTensor = (g: readonly number[]): number[] => g.map((x) => x * Math.min(1, c / Math.hypot(...g)));
  // A's norms are 2.29, 3.21, 2.29 (all clipped); B's are 0.22, 0.11 (kept) and 4 (clipped to 1).
  const { a, b } = twoParamSteps(new SGD({ learningRate: lr, clipnorm: c }));
  assertSteps(a, sgdByHand(THETA0, GRADS.map(perTensor)), 'clipnorm, A');
  assertSteps(b, sgdByHand(START_B, GRADS_B.map(perTensor)), 'clipnorm, B');
  assertClose(b[2], [b[1][0] - lr * 0, b[1][1] - lr * 1], 'B step 3: g = [0, 4] clipped to [0, 1]');
});

test('globalClipnorm: all tensors scaled by min(1, c/N), N the joint norm, three steps', () => {
  const c = 2;
  const scales = GRADS.map((g, k) => Math.min(1, c / Math.hypot(...g, ...GRADS_B[k])));
  // Joint norms √5.31, √10.325, √21.25: every step is clipped.
  const { a, b } = twoParamSteps(new SGD({ learningRate: lr, globalClipnorm: c }));
  assertSteps(a, sgdByHand(THETA0, GRADS.map((g, k) => g.map((x) => x * scales[k]))), 'globalClipnorm, A');
  assertSteps(b, sgdByHand(START_B, GRADS_B.map((g, k) => g.map((x) => x * scales[k]))), 'globalClipnorm, B');
  assertClose([scales[2]], [2 / Math.sqrt(21.25)], 'step-3 scale');
});

test('clipvalue: each element clamped to [−c, c] before the SGD update, three steps', () => {
  const c = 0.5;
  const clamp = (g: readonly number[]): number[] => g.map((x) => Math.max(-c, Math.min(c, x)));
  const { a, b } = twoParamSteps(new SGD({ learningRate: lr, clipvalue: c }));
  assertSteps(a, sgdByHand(THETA0, GRADS.map(clamp)), 'clipvalue, A');
  assertSteps(b, sgdByHand(START_B, GRADS_B.map(clamp)), 'clipvalue, B');
  // A, step 1 by hand: g = [1, −2, 0.5, 0.1] → [0.5, −0.5, 0.5, 0.1].
  assertClose(a[0], [0.45, -1.45, 1.95, -0.01], 'clipvalue, A step 1');
});

test('clipping leaves the clipped values in .grad, where they can be inspected', () => {
  const p = param();
  p.grad = Float64Array.from(GRADS[0]);
  new SGD({ clipvalue: 0.5 }).step([p]);
  assertClose(p.grad, [0.5, -0.5, 0.5, 0.1], 'grad after step');
});

test('clipping runs before the RMSprop update too (clipnorm, three steps)', () => {
  const c = 1;
  const rho = 0.9;
  const eps = 1e-7;
  const clipped = GRADS.map((g) => g.map((x) => x * Math.min(1, c / Math.hypot(...g))));
  const expected: number[][] = [[], [], []];
  THETA0.forEach((t0, i) => {
    const [g1, g2, g3] = [clipped[0][i], clipped[1][i], clipped[2][i]];
    const v1 = (1 - rho) * g1 * g1;
    const t1 = t0 - (lr * g1) / Math.sqrt(v1 + eps);
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const t2 = t1 - (lr * g2) / Math.sqrt(v2 + eps);
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const t3 = t2 - (lr * g3) / Math.sqrt(v3 + eps);
    expected[0].push(t1);
    expected[1].push(t2);
    expected[2].push(t3);
  });
  assertSteps(threeSteps(new RMSprop({ learningRate: lr, clipnorm: c })), expected, 'RMSprop with clipnorm');
});

test.run();
