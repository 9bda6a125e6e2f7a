import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam } from '../../optim/index.ts';
import { assertClose, assertSteps, byStep, gradsOf, param, THETA0, threeSteps } from './common.ts';

const lr = 0.1;
const b1 = 0.9;

/**
 * Adam by the textbook moment updates, with Keras's step size
 * α_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and ε added to √v.
 */
function adamByHand(b2: number, eps: number, amsgrad: boolean): number[][] {
  return THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const m1 = (1 - b1) * g1;
    const v1 = (1 - b2) * g1 * g1;
    const vh1 = v1;
    const a1 = (lr * Math.sqrt(1 - b2)) / (1 - b1);
    const t1 = t0 - (a1 * m1) / (Math.sqrt(amsgrad ? vh1 : v1) + eps);

    const m2 = b1 * m1 + (1 - b1) * g2;
    const v2 = b2 * v1 + (1 - b2) * g2 * g2;
    const vh2 = Math.max(vh1, v2);
    const a2 = (lr * Math.sqrt(1 - b2 * b2)) / (1 - b1 * b1);
    const t2 = t1 - (a2 * m2) / (Math.sqrt(amsgrad ? vh2 : v2) + eps);

    const m3 = b1 * m2 + (1 - b1) * g3;
    const v3 = b2 * v2 + (1 - b2) * g3 * g3;
    const vh3 = Math.max(vh2, v3);
    const a3 = (lr * Math.sqrt(1 - b2 * b2 * b2)) / (1 - b1 * b1 * b1);
    const t3 = t2 - (a3 * m3) / (Math.sqrt(amsgrad ? vh3 : v3) + eps);
    return [t1, t2, t3];
  });
}

test('Adam: three steps with the default betas', () => {
  const steps = threeSteps(new Adam({ learningRate: lr }));
  assertSteps(steps, byStep(adamByHand(0.999, 1e-7, false)), 'Adam');
  // The first step moves every coordinate by about η: m/√v = (1−β₁)/√(1−β₂)·sign(g), times α₁.
  assertClose(steps[0], [0.4, -1.4, 1.9, -0.1], 'Adam step 1 ≈ η·sign(g)', 1e-5);
});

test('Adam adds ε to √v ("epsilon hat"), not to the bias-corrected √v̂', () => {
  const eps = 0.1;
  const steps = threeSteps(new Adam({ learningRate: lr, epsilon: eps }));
  assertSteps(steps, byStep(adamByHand(0.999, eps, false)), 'Adam ε = 0.1');
  // Element 0, step 1, by hand: m = 0.1, √v = √0.001 = 0.0316228, α = 0.1·0.0316228/0.1 = 0.0316228;
  // Δ = 0.0316228·0.1/(0.0316228 + 0.1) = 0.0240253.
  assertClose([steps[0][0]], [0.5 - 0.0240253], 'Adam ε hat, element 0', 1e-6);
  // The paper's Algorithm 1 would give η·m̂/(√v̂ + ε) = 0.1·1/(1 + 0.1) = 0.0909.
  assert.ok(Math.abs(steps[0][0] - (0.5 - 0.1 / 1.1)) > 1e-3, 'differs from Algorithm 1');
});

test('Adam AMSGrad divides by the running maximum of v', () => {
  // β₂ = 0.5 lets v fall between steps (element 0: v₁ = 0.5, v₂ = 0.375), so the maximum matters.
  const b2 = 0.5;
  const steps = threeSteps(new Adam({ learningRate: lr, beta2: b2, amsgrad: true }));
  const amsgrad = byStep(adamByHand(b2, 1e-7, true));
  assertSteps(steps, amsgrad, 'Adam AMSGrad');
  const plain = byStep(adamByHand(b2, 1e-7, false));
  assert.ok(Math.abs(amsgrad[1][0] - plain[1][0]) > 1e-3, 'the test case does exercise the maximum');
  assertSteps(threeSteps(new Adam({ learningRate: lr, beta2: b2 })), plain, 'Adam β₂ = 0.5 without AMSGrad');
});

test('Adam defaults are Keras: lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7, no AMSGrad', () => {
  const opt = new Adam();
  assert.equal(opt.getConfig(), { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
  assert.is(opt.stateOf(param()), undefined);
});

test('Adam counts t per optimizer step, shared by all parameters (as Keras)', () => {
  const opt = new Adam({ learningRate: lr });
  const a = param([1, 1]);
  const b = param([1, 1]);
  for (let k = 1; k <= 3; k++) {
    a.grad = Float64Array.from([1, 1]);
    b.grad = k === 3 ? Float64Array.from([0.5, -2]) : null;
    opt.step([a, b]);
  }
  assert.is(opt.iterations, 3);
  // b's first update happens at t = 3: m = 0.1g, v = 0.001g², α = η·√(1−0.999³)/(1−0.9³).
  const alpha = (lr * Math.sqrt(1 - 0.999 ** 3)) / (1 - 0.9 ** 3);
  const expected = [0.5, -2].map((g) => 1 - (alpha * 0.1 * g) / (Math.sqrt(0.001 * g * g) + 1e-7));
  assertClose(b.data, expected, 'b after its first update at t = 3');
});

test('Adam reuses its state buffers across steps', () => {
  const opt = new Adam();
  const p = param();
  p.grad = Float64Array.from([1, 2, 3, 4]);
  opt.step([p]);
  const s = opt.stateOf(p);
  assert.ok(s !== undefined && s.velocityHat === null);
  const { momentum, velocity } = s;
  opt.step([p]);
  assert.ok(opt.stateOf(p)?.momentum === momentum && opt.stateOf(p)?.velocity === velocity);
  // m₂ = 0.9·0.1g + 0.1g = 0.19g
  assertClose(momentum, [0.19, 0.38, 0.57, 0.76], 'm after two steps of the same g');
});

test.run();
