/**
 * Initializers: Keras's formulas (fans, limits, the truncated normal's
 * correction), checked against the seeded draws worked out in the spec, and
 * by their statistics; names in Keras's and TF.js's spellings, objects and
 * configs; bad values named.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normal, random, setSeed } from '../../autograd/index.ts';
import { computeFans } from '../../cells/init.ts';
import { layerFromConfig, layerToConfig } from '../../lib/io/config.ts';
import { Dense, Embedding, LSTM, SimpleRNN, clearSession } from '../../lib/index.ts';
import { getInitializer, initializerFromFile, initializers, type Initializer } from '../../lib/initializers.ts';

function draw(init: Initializer, shape: number[], seed = 7): Float64Array {
  setSeed(seed);
  return Float64Array.from(init.apply(shape, 'float64').data);
}

/** The same seed's uniform draws on [lo, hi), as random.ts's `uniform` makes them. */
function uniformsBySeed(n: number, lo: number, hi: number, seed = 7): number[] {
  setSeed(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * random());
}

/** The same seed's normal draws with every |z| > 2 drawn again, times σ. */
function truncatedBySeed(n: number, sigma: number, seed = 7): number[] {
  setSeed(seed);
  return Array.from({ length: n }, () => {
    let z = normal();
    while (Math.abs(z) > 2) z = normal();
    return sigma * z;
  });
}

function std(xs: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    s2 += xs[i] * xs[i];
  }
  const m = s / xs.length;
  return Math.sqrt(s2 / xs.length - m * m);
}

test('fans as Keras computes them', () => {
  assert.equal(computeFans([]), [1, 1]);
  assert.equal(computeFans([8]), [8, 8]);
  assert.equal(computeFans([3, 5]), [3, 5]);
  assert.equal(computeFans([2, 3, 4, 5]), [24, 30]);
});

test('glorot, he and lecun uniform: U(−l, l) with Keras\'s limits, from the seeded stream', () => {
  const cases: Array<[string, number]> = [
    ['glorot_uniform', Math.sqrt(6 / (4 + 6))],
    ['glorotUniform', Math.sqrt(6 / (4 + 6))],
    ['he_uniform', Math.sqrt(6 / 4)],
    ['heUniform', Math.sqrt(6 / 4)],
    ['lecun_uniform', Math.sqrt(3 / 4)],
  ];
  for (const [name, limit] of cases) {
    const got = draw(getInitializer(name as 'glorotUniform'), [4, 6]);
    const want = uniformsBySeed(24, -limit, limit);
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-15, `${name} [${i}]: got ${got[i]}, want ${w}`));
  }
  // A bias [8] has fan_in = fan_out = 8.
  const bias = draw(initializers.glorotUniform(), [8]);
  uniformsBySeed(8, -Math.sqrt(6 / 16), Math.sqrt(6 / 16)).forEach((w, i) => assert.ok(Math.abs(bias[i] - w) < 1e-15, `bias [${i}]`));
});

test('glorot and he normal: the truncated normal, σ = √(scale / n) / 0.87962566103423978, so the std after truncation is √(scale / n)', () => {
  const cases: Array<[string, number]> = [['glorotNormal', Math.sqrt(2 / (30 + 50))], ['he_normal', Math.sqrt(2 / 30)], ['lecunNormal', Math.sqrt(1 / 30)]];
  for (const [name, target] of cases) {
    const got = draw(getInitializer(name as 'glorotNormal'), [30, 50]);
    const want = truncatedBySeed(1500, target / 0.87962566103423978);
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-15, `${name} [${i}]: got ${got[i]}, want ${w}`));
    const big = draw(getInitializer(name as 'glorotNormal'), [30, 2000], 3);
    const sigma = std(big);
    const expected = name === 'glorotNormal' ? Math.sqrt(2 / (30 + 2000)) : target;
    assert.ok(Math.abs(sigma / expected - 1) < 0.02, `${name}: std ${sigma} vs ${expected}`);
    const bound = 2 * expected / 0.87962566103423978;
    assert.ok(big.every((v) => Math.abs(v) <= bound + 1e-12), `${name}: every value within 2σ`);
  }
});

test('randomNormal, truncatedNormal, randomUniform: their parameters, Keras\'s defaults', () => {
  const n = draw(initializers.randomNormal({ mean: 1, stddev: 0.5 }), [4000]);
  setSeed(7);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(n[i] - (1 + 0.5 * normal())) < 1e-15, `randomNormal [${i}]`);
  const u = draw(getInitializer('random_uniform'), [5]);
  uniformsBySeed(5, -0.05, 0.05).forEach((w, i) => assert.ok(Math.abs(u[i] - w) < 1e-15, `randomUniform default [${i}]`));
  const t = draw(getInitializer({ className: 'TruncatedNormal', config: { mean: 0, stddev: 0.1 } }), [5000]);
  assert.ok(t.every((v) => Math.abs(v) <= 0.2), 'truncatedNormal within two standard deviations');
  assert.ok(Math.abs(std(t) / (0.1 * 0.87962566103423978) - 1) < 0.03, `truncatedNormal std ${std(t)}`);
  assert.equal(getInitializer('randomNormal').getConfig(), { mean: 0, stddev: 0.05 });
});

test('constant, zeros, ones: by factory, by name and by config', () => {
  for (const init of [initializers.constant(0.5), initializers.constant({ value: 0.5 }), getInitializer({ className: 'Constant', config: { value: 0.5 } })]) {
    assert.equal([...init.apply([2, 2]).data], [0.5, 0.5, 0.5, 0.5]);
  }
  assert.equal([...getInitializer('constant').apply([2]).data], [0, 0], 'Keras\'s Constant defaults to 0');
  assert.equal([...getInitializer('zeros').apply([3]).data], [0, 0, 0]);
  assert.equal([...getInitializer('ones').apply([3]).data], [1, 1, 1]);
});

test('orthogonal({ gain }): W·Wᵀ = gain²·I for [rows ≤ cols]', () => {
  const w = draw(initializers.orthogonal({ gain: 2 }), [3, 5]);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 5; k++) dot += w[a * 5 + k] * w[b * 5 + k];
      assert.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-12, `row ${a} · row ${b} = ${dot}`);
    }
  }
  assert.throws(() => initializers.orthogonal().apply([4]), /Orthogonal initializer: needs a shape of rank 2 or more, got \[4\]/);
});

test('identity({ gain }): gain on the diagonal of [rows, cols] (IRNN), 2D only', () => {
  assert.equal([...initializers.identity({ gain: 0.5 }).apply([2, 3]).data], [0.5, 0, 0, 0, 0.5, 0]);
  assert.equal([...getInitializer('identity').apply([2, 2]).data], [1, 0, 0, 1]);
  assert.throws(() => getInitializer('identity').apply([2, 2, 2]), /Identity initializer: needs a 2D shape \[rows, cols\], got \[2, 2, 2\]/);
});

test('varianceScaling: each mode and distribution, TF.js\'s spellings too', () => {
  const init = getInitializer({ className: 'VarianceScaling', config: { scale: 3, mode: 'fanOut', distribution: 'uniform' } });
  const got = draw(init, [4, 6]);
  uniformsBySeed(24, -Math.sqrt(9 / 6), Math.sqrt(9 / 6)).forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-15, `fan_out uniform [${i}]`));
  const plain = draw(initializers.varianceScaling({ scale: 2, mode: 'fan_avg', distribution: 'untruncated_normal' }), [4, 6]);
  setSeed(7);
  for (let i = 0; i < 24; i++) assert.ok(Math.abs(plain[i] - Math.sqrt(2 / 5) * normal()) < 1e-15, `untruncated [${i}]`);
  // The named settings keep their names.
  assert.is(getInitializer({ className: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal' } }).className, 'HeNormal');
});

test('seeded runs draw the same numbers', () => {
  for (const name of ['glorotNormal', 'heUniform', 'orthogonal', 'randomNormal'] as const) {
    assert.equal([...draw(getInitializer(name), [5, 4], 11)], [...draw(getInitializer(name), [5, 4], 11)], name);
  }
});

test('bad names and values are errors naming the option and the value', () => {
  assert.throws(() => getInitializer('glorot' as 'glorotUniform', 'Dense: kernelInitializer'), /Dense: kernelInitializer: initializer 'glorot' is unknown; known: zeros, ones, constant/);
  assert.throws(() => getInitializer({ className: 'Constant', config: { value: Number.NaN } }), /Constant initializer: value must be a finite number, got NaN/);
  assert.throws(() => getInitializer({ className: 'Constant', config: { value: 1, seed: 3 } }), /seed 3 is not supported; Unrolled draws every initial weight from the one generator that setSeed\(\) seeds/);
  assert.throws(() => getInitializer({ className: 'RandomNormal', config: { stddev: -1 } }), /RandomNormal initializer: stddev must be positive, got -1/);
  assert.throws(() => getInitializer({ className: 'RandomUniform', config: { minval: 1, maxval: 0 } }), /maxval \(0\) must be greater than minval \(1\)/);
  assert.throws(() => getInitializer({ className: 'VarianceScaling', config: { mode: 'fan_sum' } }), /mode 'fan_sum' is unknown; known: fan_in, fan_out, fan_avg/);
  assert.throws(() => getInitializer({ className: 'Orthogonal', config: { gian: 2 } }), /Orthogonal initializer: unknown option 'gian'; known: gain/);
  assert.throws(() => getInitializer({ className: 'Glorot' }), /initializer class 'Glorot' is unknown; known: Zeros, Ones/);
  assert.throws(() => getInitializer(3 as never), /expected an initializer name \(e.g. 'glorotUniform'\), an initializer object or \{ className, config \}, got 3/);
});

test('files: Keras 1 names, Keras 3 class names and aliases; a seed in a file is not used; an unknown class is left to the default', () => {
  assert.is(initializerFromFile('zero', 'f')?.className, 'Zeros');
  assert.is(initializerFromFile('glorot_normal', 'f')?.className, 'GlorotNormal');
  assert.is(initializerFromFile({ class_name: 'IdentityInitializer', config: { gain: 2 } }, 'f')?.getConfig().gain, 2);
  assert.is(initializerFromFile({ class_name: 'LeCunNormal', config: { seed: 42 } }, 'f')?.className, 'LecunNormal');
  assert.is(initializerFromFile({ class_name: 'STFTInitializer', config: {} }, 'f'), undefined);
});

test('the layers take them: Dense, Embedding, SimpleRNN (IRNN: identity recurrent kernel) and LSTM', () => {
  clearSession();
  const dense = new Dense(2, { kernelInitializer: { className: 'Constant', config: { value: 0.25 } }, biasInitializer: 'ones' });
  dense.build([null, 3]);
  assert.equal([...dense.kernel!.data], new Array(6).fill(0.25));
  assert.equal([...dense.bias!.data], [1, 1]);
  const emb = new Embedding(4, 2, { embeddingsInitializer: initializers.constant(-1) });
  emb.build([null, 3]);
  assert.equal([...emb.embeddings!.data], new Array(8).fill(-1));
  const irnn = new SimpleRNN(3, { activation: 'relu', recurrentInitializer: initializers.identity({ gain: 1 }), kernelInitializer: 'he_normal' });
  irnn.build([null, 5, 2]);
  assert.equal([...irnn.cellWeights!.recurrentKernel.data], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const lstm = new LSTM(2, { recurrentInitializer: 'identity', biasInitializer: initializers.constant(0.5) });
  lstm.build([null, 5, 1]);
  // Keras's eye(2, 8); the bias: the initializer's, with the forget block at 1 (unitForgetBias).
  assert.equal([...lstm.cellWeights!.recurrentKernel.data], [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal([...lstm.cellWeights!.bias!.data], [0.5, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5]);
  assert.throws(() => new LSTM(2, { kernelInitializer: 'glorot' as 'glorotUniform' }), /lstm_1 \(LSTM\): kernelInitializer: initializer 'glorot' is unknown/);
});

test('in model.json as TF.js writes them (TF.js in this process), and read back under the same names', () => {
  const names = ['glorotNormal', 'glorotUniform', 'heNormal', 'heUniform', 'leCunNormal', 'leCunUniform', 'orthogonal', 'identity', 'zeros', 'ones', 'randomNormal', 'randomUniform', 'truncatedNormal'] as const;
  for (const name of names) {
    clearSession();
    const ours = layerToConfig(new Dense(2, { kernelInitializer: name })).config.kernel_initializer;
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], kernelInitializer: name })] }).toJSON(null, false) as unknown as
      { config: { layers: Array<{ config: { kernel_initializer: unknown } }> } };
    assert.equal(ours, theirs.config.layers[0].config.kernel_initializer, name);
    const back = layerFromConfig({ class_name: 'Dense', config: { units: 2, kernel_initializer: ours ?? null } }, { file: 'spec', weightShape: () => undefined }) as Dense;
    assert.is(back.kernelInitializer.className, getInitializer(name).className, `${name} read back`);
  }
  const constant = layerToConfig(new Dense(2, { kernelInitializer: initializers.constant(0.5) })).config.kernel_initializer;
  assert.equal(constant, { class_name: 'Constant', config: { value: 0.5 } });
  assert.throws(() => layerToConfig(new Dense(2, { kernelInitializer: initializers.varianceScaling({ distribution: 'untruncated_normal' }) })), /distribution 'untruncated_normal' has no name in the TF.js format/);
});

test.run();
