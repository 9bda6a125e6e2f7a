/**
 * Adagrad, Adadelta and Nadam against Keras 3's update rules worked by hand
 * (numbers on one element, then the formulas over three steps), Adagrad and
 * Adadelta also against TF.js's own optimizers in this process; and Keras
 * 3's decoupled weight decay on SGD, RMSprop, Adam and the new ones.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../autograd/index.ts';
import { Adadelta, Adagrad, Adam, Nadam, RMSprop, SGD, type Optimizer } from '../../optim/index.ts';
import { assertClose, assertSteps, byStep, gradsOf, param, THETA0, threeSteps, GRADS } from './common.ts';

await tf.setBackend('cpu');

const lr = 0.1;

test('Adagrad: one and two steps by hand (a₀ = 0.1, ε inside the root)', () => {
  const steps = threeSteps(new Adagrad({ learningRate: lr }), [0.5], [[1], [0.5]]);
  // a = 0.1 + 1 = 1.1; θ = 0.5 − 0.1·1/√1.1000001 = 0.5 − 0.09534625
  assertClose(steps[0], [0.40465375], 'Adagrad step 1', 1e-8);
  // a = 1.1 + 0.25 = 1.35; θ = 0.40465375 − 0.1·0.5/√1.3500001 = 0.40465375 − 0.04303315
  assertClose(steps[1], [0.3616206], 'Adagrad step 2', 1e-7);
});

test('Adagrad: three steps of the formula on four elements', () => {
  const expected = THETA0.map((t0, i) => {
    let a = 0.25;
    let t = t0;
    return gradsOf(i).map((g) => {
      a += g * g;
      t -= (lr * g) / Math.sqrt(a + 1e-3);
      return t;
    });
  });
  assertSteps(threeSteps(new Adagrad({ learningRate: lr, initialAccumulatorValue: 0.25, epsilon: 1e-3 })), byStep(expected), 'Adagrad');
});

test('Adadelta: one and two steps by hand (ρ = 0.95, ε = 0.01, η = 1)', () => {
  const steps = threeSteps(new Adadelta({ learningRate: 1, epsilon: 0.01 }), [0.5], [[1], [0.5]]);
  // a = 0.05; Δ = −√0.01·1/√0.06 = −0.4082483; d = 0.05·Δ² = 0.0083333; θ = 0.5 + Δ
  assertClose(steps[0], [0.0917517], 'Adadelta step 1', 1e-7);
  // a = 0.95·0.05 + 0.05·0.25 = 0.06; Δ = −√0.0183333·0.5/√0.07 = −0.2558832
  assertClose(steps[1], [0.0917517 - 0.2558832], 'Adadelta step 2', 1e-7);
});

test('Adadelta: three steps of the formula on four elements', () => {
  const rho = 0.9;
  const eps = 1e-6;
  const expected = THETA0.map((t0, i) => {
    let a = 0;
    let d = 0;
    let t = t0;
    return gradsOf(i).map((g) => {
      a = rho * a + (1 - rho) * g * g;
      const delta = (-Math.sqrt(d + eps) * g) / Math.sqrt(a + eps);
      d = rho * d + (1 - rho) * delta * delta;
      t += lr * delta;
      return t;
    });
  });
  assertSteps(threeSteps(new Adadelta({ learningRate: lr, rho, epsilon: eps })), byStep(expected), 'Adadelta');
});

test('Nadam: one step by hand (μ₁ = 0.468, μ₂ = 0.48528)', () => {
  const steps = threeSteps(new Nadam({ learningRate: lr }), [0.5], [[1]]);
  // m = 0.1, v = 0.001, v̂ = 1; m̂ = 0.48528·0.1/(1 − 0.468·0.48528) + (1 − 0.468)·1/(1 − 0.468) = 1.0627879
  assertClose(steps[0], [0.5 - 0.1 * 1.0627879 / (1 + 1e-7)], 'Nadam step 1', 1e-7);
});

test('Nadam: three steps of Keras 3\'s formula on four elements', () => {
  const b1 = 0.9;
  const b2 = 0.999;
  const mu = (t: number): number => b1 * (1 - 0.5 * 0.96 ** t);
  const expected = THETA0.map((t0, i) => {
    let m = 0;
    let v = 0;
    let product = 1;
    let theta = t0;
    return gradsOf(i).map((g, k) => {
      const t = k + 1;
      product *= mu(t);
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const mHat = (mu(t + 1) * m) / (1 - product * mu(t + 1)) + ((1 - mu(t)) * g) / (1 - product);
      theta -= (lr * mHat) / (Math.sqrt(v / (1 - b2 ** t)) + 1e-7);
      return theta;
    });
  });
  assertSteps(threeSteps(new Nadam({ learningRate: lr })), byStep(expected), 'Nadam');
});

test('Nadam restored with setSlots continues exactly as the one that never stopped', () => {
  const a = new Nadam({ learningRate: lr });
  const p = param();
  for (const g of GRADS.slice(0, 2)) {
    p.grad = Float64Array.from(g);
    a.step([p]);
  }
  const q = param([...p.data]);
  const b = new Nadam({ learningRate: lr });
  b.setSlots([q], a.getSlots([p]));
  p.grad = Float64Array.from(GRADS[2]);
  q.grad = Float64Array.from(GRADS[2]);
  a.step([p]);
  b.step([q]);
  assert.equal([...q.data], [...p.data]);
});

let variables = 0;

/** Runs `steps` updates of a TF.js optimizer on a float32 variable and returns its values after each. */
function tfjsSteps(make: () => tf.Optimizer, start: readonly number[], grads: readonly (readonly number[])[]): number[][] {
  const name = `w${variables++}`;
  const v = tf.variable(tf.tensor1d([...start]), true, name);
  const opt = make();
  const out = grads.map((g) => {
    opt.applyGradients({ [name]: tf.tensor1d([...g]) });
    return Array.from(v.dataSync());
  });
  v.dispose();
  return out;
}

/** Runs our optimizer on a float32 parameter. */
function float32Steps(opt: Optimizer, start: readonly number[], grads: readonly (readonly number[])[]): number[][] {
  const p = tensor([...start], [start.length]);
  p.requiresGrad = true;
  return grads.map((g) => {
    p.grad = Float32Array.from(g);
    opt.step([p]);
    return Array.from(p.data);
  });
}

// TF.js's Adadelta divides by the accumulator of the step before (√(a_{t−1} + ε)), Keras 3's by the new one, so only Adagrad is compared.
test('Adagrad agrees with TF.js\'s (the same rule, float32)', () => {
  const ours = float32Steps(new Adagrad({ learningRate: lr, initialAccumulatorValue: 0.1 }), THETA0, GRADS);
  const theirs = tfjsSteps(() => tf.train.adagrad(lr, 0.1), THETA0, GRADS);
  ours.forEach((row, k) => assertClose(row, theirs[k], `Adagrad vs TF.js, step ${k + 1}`, 2e-6));
});

test('weightDecay: θ ← θ − θ·wd·η before the update, for every optimizer', () => {
  const wd = 0.5;
  // SGD by hand, element 0: θ = 0.5 − 0.5·0.5·0.1 = 0.475, then − 0.1·1 = 0.375.
  assertClose(threeSteps(new SGD({ learningRate: lr, weightDecay: wd }), [0.5], [[1]])[0], [0.375], 'SGD with weight decay');
  // Each optimizer with weight decay equals the same optimizer without it, started from the decayed θ, step by step.
  const makers: Array<[string, (decay?: number) => Optimizer]> = [
    ['SGD', (w) => new SGD({ learningRate: lr, momentum: 0.9, weightDecay: w })],
    ['RMSprop', (w) => new RMSprop({ learningRate: lr, weightDecay: w })],
    ['Adam', (w) => new Adam({ learningRate: lr, weightDecay: w })],
    ['Adagrad', (w) => new Adagrad({ learningRate: lr, weightDecay: w })],
    ['Adadelta', (w) => new Adadelta({ learningRate: 1, weightDecay: w })],
    ['Nadam', (w) => new Nadam({ learningRate: lr, weightDecay: w })],
  ];
  for (const [name, make] of makers) {
    const decayed = make(wd);
    const plain = make(undefined);
    const a = param();
    const b = param();
    for (const g of GRADS) {
      const eta = name === 'Adadelta' ? 1 : lr;
      for (let i = 0; i < b.size; i++) b.data[i] -= b.data[i] * wd * eta;
      a.grad = Float64Array.from(g);
      b.grad = Float64Array.from(g);
      decayed.step([a]);
      plain.step([b]);
      assertClose(a.data, [...b.data], `${name} with weightDecay`, 1e-12);
    }
    assert.is(decayed.getConfig().weightDecay, wd, `${name}: getConfig().weightDecay`);
    assert.is(plain.getConfig().weightDecay, undefined, `${name}: no weightDecay in the config when not set`);
  }
});

test('weightDecay uses the learning rate of the step, after a scheduler changed it', () => {
  const opt = new SGD({ learningRate: 1, weightDecay: 0.1 });
  opt.learningRate = 0.5;
  // θ = 2 − 2·0.1·0.5 = 1.9, then − 0.5·0 (zero gradient) = 1.9.
  assertClose(threeSteps(opt, [2], [[0]])[0], [1.9], 'SGD decay at lr 0.5');
});

test('bad options name the optimizer, the option and the value', () => {
  assert.throws(() => new Adam({ weightDecay: -1 }), /Adam: weightDecay must be a number in \[0, ∞\), got -1/);
  assert.throws(() => new Adagrad({ initialAccumulatorValue: -0.1 }), /Adagrad: initialAccumulatorValue must be a number in \[0, ∞\), got -0.1/);
  assert.throws(() => new Adadelta({ rho: 1 }), /Adadelta: rho must be a number in \[0, 1\), got 1/);
  assert.throws(() => new Nadam({ beta1: 1.5 }), /Nadam: beta1 must be a number in \[0, 1\), got 1.5/);
  assert.throws(() => new Nadam({ momentum: 0.9 } as never), /Nadam: unknown option 'momentum'/);
});

test('Keras 3 defaults and slots', () => {
  assert.equal(new Adagrad().getConfig(), { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
  assert.equal(new Adadelta().getConfig(), { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 });
  assert.equal(new Nadam().getConfig(), { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  const p = param();
  // A parameter not updated yet has Adagrad's starting accumulator, not zeros.
  assert.equal([...new Adagrad().getSlots([p]).slots[0].values[0]], [0.1, 0.1, 0.1, 0.1]);
});

test.run();
