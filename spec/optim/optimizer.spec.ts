import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam,
  getOptimizer,
  Optimizer,
  RMSprop,
  SGD,
  type AdamOptions,
  type OptimizerName,
  type RMSpropOptions,
  type SGDOptions,
} from '../../optim/index.ts';
import { assertClose, param, THETA0 } from './common.ts';

// ------------------------------------------------------------- getOptimizer

test('getOptimizer gives the Keras defaults for each name', () => {
  const sgd = getOptimizer('sgd');
  assert.ok(sgd instanceof SGD);
  assert.equal(sgd.getConfig(), { learningRate: 0.01, momentum: 0, nesterov: false });
  const rmsprop = getOptimizer('rmsprop');
  assert.ok(rmsprop instanceof RMSprop);
  assert.equal(rmsprop.getConfig(), { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  const adam = getOptimizer('adam');
  assert.ok(adam instanceof Adam);
  assert.equal(adam.getConfig(), { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
});

test('getOptimizer matches names without regard to case, as Keras does', () => {
  assert.ok(getOptimizer('RMSprop' as OptimizerName) instanceof RMSprop);
  assert.ok(getOptimizer('Adam' as OptimizerName) instanceof Adam);
});

test('getOptimizer passes an instance through unchanged', () => {
  const opt = new SGD({ learningRate: 0.5, momentum: 0.9 });
  assert.ok(getOptimizer(opt) === opt);
});

test('getOptimizer names an unknown optimizer and lists the known ones', () => {
  assert.throws(() => getOptimizer('ftrl' as OptimizerName), /getOptimizer: unknown optimizer 'ftrl'; known: sgd, rmsprop, adam/);
});

// ------------------------------------------------------------- bad options

test('an unknown option key is named, with the optimizer and the known keys', () => {
  assert.throws(
    () => new RMSprop({ lr: 0.01 } as unknown as RMSpropOptions),
    /^RMSprop: unknown option 'lr'; known: learningRate, rho, momentum, epsilon, centered, weightDecay, clipnorm, globalClipnorm, clipvalue$/,
  );
  assert.throws(() => new SGD({ decay: 1e-6 } as unknown as SGDOptions), /SGD: unknown option 'decay'; known: learningRate, momentum, nesterov, weightDecay, clipnorm/);
  assert.throws(() => new Adam({ beta_1: 0.9 } as unknown as AdamOptions), /Adam: unknown option 'beta_1'; known: learningRate, beta1, beta2, epsilon, amsgrad/);
});

test('invalid learning rates are refused', () => {
  assert.throws(() => new SGD({ learningRate: -0.1 }), /SGD: learningRate must be a number in \[0, ∞\), got -0\.1/);
  assert.throws(() => new Adam({ learningRate: NaN }), /Adam: learningRate must be a number in \[0, ∞\), got NaN/);
  assert.throws(() => new RMSprop({ learningRate: Infinity }), /RMSprop: learningRate must be a number in \[0, ∞\), got Infinity/);
  assert.throws(() => new RMSprop({ learningRate: '0.1' as unknown as number }), /RMSprop: learningRate must be a number/);
});

test('invalid decay rates, momenta and epsilons are refused with their range', () => {
  assert.throws(() => new RMSprop({ rho: 1 }), /RMSprop: rho must be a number in \[0, 1\), got 1/);
  assert.throws(() => new RMSprop({ rho: -0.1 }), /RMSprop: rho must be a number in \[0, 1\), got -0\.1/);
  assert.throws(() => new RMSprop({ momentum: -0.5 }), /RMSprop: momentum must be a number in \[0, 1\], got -0\.5/);
  assert.throws(() => new RMSprop({ epsilon: -1e-7 }), /RMSprop: epsilon must be a number in \[0, ∞\), got -1e-7/);
  assert.throws(() => new SGD({ momentum: 1.5 }), /SGD: momentum must be a number in \[0, 1\], got 1\.5/);
  assert.throws(() => new Adam({ beta1: 1 }), /Adam: beta1 must be a number in \[0, 1\), got 1/);
  assert.throws(() => new Adam({ beta2: 1.2 }), /Adam: beta2 must be a number in \[0, 1\), got 1\.2/);
});

test('boolean options must be booleans', () => {
  assert.throws(() => new SGD({ momentum: 0.9, nesterov: 'yes' as unknown as boolean }), /SGD: nesterov must be true or false, got yes/);
  assert.throws(() => new RMSprop({ centered: 1 as unknown as boolean }), /RMSprop: centered must be true or false, got 1/);
  assert.throws(() => new Adam({ amsgrad: null as unknown as boolean }), /Adam: amsgrad must be true or false, got null/);
});

test('clip options must be positive and finite, and at most one may be set (as Keras)', () => {
  assert.throws(() => new SGD({ clipnorm: 0 }), /SGD: clipnorm must be a positive finite number \(leave it out for no clipping\), got 0/);
  assert.throws(() => new Adam({ clipvalue: -1 }), /Adam: clipvalue must be a positive finite number/);
  assert.throws(() => new RMSprop({ globalClipnorm: Infinity }), /RMSprop: globalClipnorm must be a positive finite number.*got Infinity/);
  assert.throws(() => new RMSprop({ clipnorm: 1, clipvalue: 0.5 }), /RMSprop: set at most one of clipnorm, globalClipnorm, clipvalue; got clipnorm and clipvalue/);
});

test('options given as undefined take their defaults', () => {
  const opt = new RMSprop({ learningRate: undefined, rho: undefined, clipnorm: undefined });
  assert.equal(opt.getConfig(), { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
});

// ------------------------------------------------------------- config

test('getConfig round-trips through the constructor, clipping included', () => {
  const opt = new RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, epsilon: 1e-6, centered: true, globalClipnorm: 5 });
  const config = opt.getConfig();
  assert.equal(config, { learningRate: 0.01, globalClipnorm: 5, rho: 0.8, momentum: 0.5, epsilon: 1e-6, centered: true });
  assert.equal(new RMSprop(config).getConfig(), config);
  assert.equal(new SGD(new SGD({ clipvalue: 2 }).getConfig()).getConfig(), { learningRate: 0.01, clipvalue: 2, momentum: 0, nesterov: false });
});

test('learningRate can be changed between steps; the next step uses it', () => {
  const opt = new SGD({ learningRate: 0.1 });
  const p = param([1]);
  p.grad = Float64Array.from([1]);
  opt.step([p]); // 1 − 0.1
  opt.learningRate = 0.5;
  assert.is(opt.getConfig().learningRate, 0.5);
  opt.step([p]); // 0.9 − 0.5
  assertClose(p.data, [0.4], 'after lr change');
  assert.throws(() => {
    opt.learningRate = -1;
  }, /SGD: learningRate must be a number in \[0, ∞\), got -1/);
  assert.is(opt.learningRate, 0.5, 'a refused value leaves the rate as it was');
});

// ------------------------------------------------------------- step

test('step skips parameters without a gradient: no update, no state', () => {
  const opt = new Adam({ learningRate: 0.1 });
  const withGrad = param();
  const without = param();
  withGrad.grad = Float64Array.from([1, 1, 1, 1]);
  opt.step([withGrad, without]);
  assert.equal([...without.data], [...THETA0]);
  assert.is(opt.stateOf(without), undefined);
  assert.ok(opt.stateOf(withGrad) !== undefined);
  assert.not.equal([...withGrad.data], [...THETA0]);
});

test('step keeps separate state for each parameter', () => {
  const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
  const a = param([0]);
  const b = param([0]);
  a.grad = Float64Array.from([1]);
  b.grad = Float64Array.from([-2]);
  opt.step([a, b]);
  assertClose(opt.stateOf(a)?.velocity ?? [], [-0.1], 'velocity of a');
  assertClose(opt.stateOf(b)?.velocity ?? [], [0.2], 'velocity of b');
});

test('step counts iterations; an empty list is a no-op', () => {
  const opt = new SGD();
  opt.step([]);
  assert.is(opt.iterations, 0);
  const p = param();
  for (let k = 0; k < 3; k++) {
    p.grad = Float64Array.from([1, 1, 1, 1]);
    opt.step([p]);
  }
  assert.is(opt.iterations, 3);
});

test('step refuses a list in which no parameter has a gradient', () => {
  const opt = new RMSprop();
  assert.throws(() => opt.step([param(), param()]), /RMSprop\.step: none of the 2 parameters has a gradient; run backward\(\) before step\(\)/);
  assert.is(opt.iterations, 0);
});

test('step refuses a gradient of the wrong length, before changing anything', () => {
  const opt = new SGD({ learningRate: 0.1 });
  const good = param([1]);
  const bad = param([1, 2, 3]);
  good.grad = Float64Array.from([1]);
  bad.grad = new Float64Array(2);
  assert.throws(() => opt.step([good, bad]), /SGD\.step: a parameter of size 3 has a gradient of length 2/);
  assert.equal([...good.data], [1]);
});

test('the optimizers share the Optimizer base', () => {
  for (const opt of [new SGD(), new RMSprop(), new Adam()]) assert.ok(opt instanceof Optimizer, opt.name);
  assert.equal([new SGD().name, new RMSprop().name, new Adam().name], ['SGD', 'RMSprop', 'Adam']);
});

test.run();
