import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../autograd/index.ts';
import { SGD } from '../../optim/index.ts';
import { assertClose, assertSteps, byStep, gradsOf, param, THETA0, threeSteps } from './common.ts';

test('SGD plain: θ ← θ − η·g, first step written out by hand', () => {
  const steps = threeSteps(new SGD({ learningRate: 0.1 }));
  // θ₀ = [0.5, −1.5, 2, 0], g₁ = [1, −2, 0.5, 0.1]
  assertClose(steps[0], [0.4, -1.3, 1.95, -0.01], 'SGD step 1');
});

test('SGD plain: three steps', () => {
  const lr = 0.1;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const t1 = t0 - lr * g1;
    const t2 = t1 - lr * g2;
    const t3 = t2 - lr * g3;
    return [t1, t2, t3];
  });
  assertSteps(threeSteps(new SGD({ learningRate: lr })), byStep(expected), 'SGD plain');
});

test('SGD momentum: v ← μv − ηg; θ ← θ + v', () => {
  const lr = 0.1;
  const mu = 0.9;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = -lr * g1;
    const t1 = t0 + v1;
    const v2 = mu * v1 - lr * g2;
    const t2 = t1 + v2;
    const v3 = mu * v2 - lr * g3;
    const t3 = t2 + v3;
    return [t1, t2, t3];
  });
  const steps = threeSteps(new SGD({ learningRate: lr, momentum: mu }));
  assertSteps(steps, byStep(expected), 'SGD momentum');
  // By hand for element 0: v1 = −0.1, θ1 = 0.4; v2 = −0.09 − 0.05 = −0.14, θ2 = 0.26.
  assertClose([steps[0][0], steps[1][0]], [0.4, 0.26], 'SGD momentum, element 0');
});

test('SGD Nesterov: v ← μv − ηg; θ ← θ + μv − ηg', () => {
  const lr = 0.1;
  const mu = 0.9;
  const expected = THETA0.map((t0, i) => {
    const [g1, g2, g3] = gradsOf(i);
    const v1 = -lr * g1;
    const t1 = t0 + mu * v1 - lr * g1;
    const v2 = mu * v1 - lr * g2;
    const t2 = t1 + mu * v2 - lr * g2;
    const v3 = mu * v2 - lr * g3;
    const t3 = t2 + mu * v3 - lr * g3;
    return [t1, t2, t3];
  });
  const steps = threeSteps(new SGD({ learningRate: lr, momentum: mu, nesterov: true }));
  assertSteps(steps, byStep(expected), 'SGD Nesterov');
  // By hand for element 0: θ1 = 0.5 + 0.9·(−0.1) − 0.1 = 0.31.
  assertClose([steps[0][0]], [0.31], 'SGD Nesterov, element 0');
});

test('SGD Nesterov with momentum 0 is plain SGD', () => {
  const steps = threeSteps(new SGD({ learningRate: 0.1, nesterov: true }));
  assertClose(steps[0], [0.4, -1.3, 1.95, -0.01], 'SGD nesterov, μ = 0, step 1');
});

test('SGD defaults are Keras: learning rate 0.01, no momentum', () => {
  const opt = new SGD();
  assert.equal(opt.getConfig(), { learningRate: 0.01, momentum: 0, nesterov: false });
  const steps = threeSteps(opt);
  assertClose(steps[0], [0.49, -1.48, 1.995, -0.001], 'SGD default step 1');
});

test('SGD keeps a velocity only with momentum, and reuses it across steps', () => {
  const plain = new SGD({ learningRate: 0.1 });
  const p = param();
  p.grad = Float64Array.from([1, 1, 1, 1]);
  plain.step([p]);
  assert.is(plain.stateOf(p)?.velocity, null);

  const heavy = new SGD({ learningRate: 0.1, momentum: 0.5 });
  heavy.step([p]);
  const v = heavy.stateOf(p)?.velocity;
  assert.ok(v instanceof Float64Array, 'velocity is a Float64Array for a float64 parameter');
  heavy.step([p]);
  assert.ok(heavy.stateOf(p)?.velocity === v, 'the same buffer is reused at step 2');
  // v1 = −0.1; v2 = 0.5·(−0.1) − 0.1 = −0.15
  assertClose(v, [-0.15, -0.15, -0.15, -0.15], 'velocity after two steps');
});

test('SGD on a float32 parameter keeps float32 state and matches float64 to float32 precision', () => {
  const p = tensor([...THETA0], [4], 'float32');
  const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
  p.grad = Float32Array.from([1, -2, 0.5, 0.1]);
  opt.step([p]);
  assert.ok(opt.stateOf(p)?.velocity instanceof Float32Array);
  assertClose(p.data, [0.4, -1.3, 1.95, -0.01], 'float32 SGD step 1', 1e-6);
});

test.run();
