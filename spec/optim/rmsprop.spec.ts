import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RMSprop } from '../../optim/index.ts';
import { assertClose, assertSteps, byStep, gradsOf, param, THETA0, threeSteps } from './common.ts';

const lr = 0.1;
const rho = 0.9;

test('RMSprop plain: v ← ρv + (1−ρ)g²; θ ← θ − ηg/√(v+ε)', () => {
  const eps = 1e-7;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = (1 - rho) * g1 * g1;
    const t1 = t0 - (lr * g1) / Math.sqrt(v1 + eps);
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const t2 = t1 - (lr * g2) / Math.sqrt(v2 + eps);
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const t3 = t2 - (lr * g3) / Math.sqrt(v3 + eps);
    return [t1, t2, t3];
  });
  const steps = threeSteps(new RMSprop({ learningRate: lr }));
  assertSteps(steps, byStep(expected), 'RMSprop plain');
  // The first step moves every coordinate by about η·√10 = 0.316, whatever the size of g.
  assertClose(steps[0], [0.5 - 0.316228, -1.5 + 0.316228, 2 - 0.316228, -0.316228], 'RMSprop step 1 ≈ η√10', 1e-4);
});

test('RMSprop puts ε inside the square root (Keras 3), not outside', () => {
  // A large ε makes the two placements differ far beyond the tolerance.
  const eps = 0.5;
  const inside = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = (1 - rho) * g1 * g1;
    const t1 = t0 - (lr * g1) / Math.sqrt(v1 + eps);
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const t2 = t1 - (lr * g2) / Math.sqrt(v2 + eps);
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const t3 = t2 - (lr * g3) / Math.sqrt(v3 + eps);
    return [t1, t2, t3];
  });
  const steps = threeSteps(new RMSprop({ learningRate: lr, epsilon: eps }));
  assertSteps(steps, byStep(inside), 'RMSprop ε = 0.5');
  // Element 0, step 1, by hand: v = 0.1, Δ = 0.1/√0.6 = 0.129099 (outside the root it would be 0.1/(√0.1 + 0.5) = 0.122515).
  assertClose([steps[0][0]], [0.5 - 0.129099445], 'RMSprop ε inside, element 0', 1e-8);
  assert.ok(Math.abs(steps[0][0] - (0.5 - 0.1 / (Math.sqrt(0.1) + eps))) > 1e-3, 'differs from ε outside the root');
});

test('RMSprop momentum: μ ← momentum·μ + Δ; θ ← θ − μ', () => {
  const eps = 1e-7;
  const mom = 0.8;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = (1 - rho) * g1 * g1;
    const mu1 = (lr * g1) / Math.sqrt(v1 + eps);
    const t1 = t0 - mu1;
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const mu2 = mom * mu1 + (lr * g2) / Math.sqrt(v2 + eps);
    const t2 = t1 - mu2;
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const mu3 = mom * mu2 + (lr * g3) / Math.sqrt(v3 + eps);
    const t3 = t2 - mu3;
    return [t1, t2, t3];
  });
  assertSteps(threeSteps(new RMSprop({ learningRate: lr, momentum: mom })), byStep(expected), 'RMSprop momentum');
});

test('RMSprop centered: m ← ρm + (1−ρ)g; θ ← θ − ηg/√(v − m² + ε)', () => {
  const eps = 0.01;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = (1 - rho) * g1 * g1;
    const m1 = (1 - rho) * g1;
    const t1 = t0 - (lr * g1) / Math.sqrt(v1 - m1 * m1 + eps);
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const m2 = rho * m1 + (1 - rho) * g2;
    const t2 = t1 - (lr * g2) / Math.sqrt(v2 - m2 * m2 + eps);
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const m3 = rho * m2 + (1 - rho) * g3;
    const t3 = t2 - (lr * g3) / Math.sqrt(v3 - m3 * m3 + eps);
    return [t1, t2, t3];
  });
  const steps = threeSteps(new RMSprop({ learningRate: lr, epsilon: eps, centered: true }));
  assertSteps(steps, byStep(expected), 'RMSprop centered');
  // Element 0, step 1, by hand: v − m² = 0.1 − 0.01 = 0.09, Δ = 0.1/√0.1 = 0.316228.
  assertClose([steps[0][0]], [0.5 - 0.316227766], 'RMSprop centered, element 0', 1e-8);
});

test('RMSprop centered with momentum', () => {
  const eps = 0.01;
  const mom = 0.5;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = (1 - rho) * g1 * g1;
    const m1 = (1 - rho) * g1;
    const mu1 = (lr * g1) / Math.sqrt(v1 - m1 * m1 + eps);
    const t1 = t0 - mu1;
    const v2 = rho * v1 + (1 - rho) * g2 * g2;
    const m2 = rho * m1 + (1 - rho) * g2;
    const mu2 = mom * mu1 + (lr * g2) / Math.sqrt(v2 - m2 * m2 + eps);
    const t2 = t1 - mu2;
    const v3 = rho * v2 + (1 - rho) * g3 * g3;
    const m3 = rho * m2 + (1 - rho) * g3;
    const mu3 = mom * mu2 + (lr * g3) / Math.sqrt(v3 - m3 * m3 + eps);
    const t3 = t2 - mu3;
    return [t1, t2, t3];
  });
  const opt = new RMSprop({ learningRate: lr, epsilon: eps, centered: true, momentum: mom });
  assertSteps(threeSteps(opt), byStep(expected), 'RMSprop centered + momentum');
});

test('RMSprop defaults are Keras: lr 0.001, rho 0.9, momentum 0, epsilon 1e-7, not centered', () => {
  const opt = new RMSprop();
  assert.equal(opt.getConfig(), { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  const steps = threeSteps(opt);
  const expected = THETA0.map((t0, i) => {
    const g1 = gradsOf(i)[0];
    return t0 - (0.001 * g1) / Math.sqrt(0.1 * g1 * g1 + 1e-7);
  });
  assertClose(steps[0], expected, 'RMSprop default step 1');
});

test('RMSprop keeps only the state its options need, and reuses it', () => {
  const p = param();
  const plain = new RMSprop();
  p.grad = Float64Array.from([1, 2, 3, 4]);
  plain.step([p]);
  const s = plain.stateOf(p);
  assert.ok(s?.velocity instanceof Float64Array);
  assert.is(s?.averageGrad, null);
  assert.is(s?.momentum, null);
  // v = 0.1·g²
  assertClose(s.velocity, [0.1, 0.4, 0.9, 1.6], 'velocity after one step');
  plain.step([p]);
  assert.ok(plain.stateOf(p) === s, 'same state object at step 2');

  const full = new RMSprop({ centered: true, momentum: 0.9 });
  full.step([p]);
  assert.ok(full.stateOf(p)?.averageGrad instanceof Float64Array);
  assert.ok(full.stateOf(p)?.momentum instanceof Float64Array);
});

test.run();
