/**
 * The float32 grade of σ and tanh, and the activations' names.
 *
 * A float32 pass evaluates σ and tanh through `expm1Of32` (a polynomial and
 * one table lookup) and stores float32s. The checks: expm1Of32 against
 * Math.expm1 over its whole range, the float32 column kernels correctly
 * rounded except within a hair (EXP32_RELATIVE) of a rounding midpoint, over
 * every input scale a float32 can hold, including ±80, the saturation points
 * and the subnormal edge of σ (v from −87.3, where σ becomes subnormal in
 * float32, to −104, below which it rounds to 0); the float64 kernels still
 * go through expOf, bit for bit the scalar `apply`. Then the names: the
 * TF.js spelling 'hardSigmoid' is TF.js's hard sigmoid, checked against
 * TF.js in this process.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUniform, setSeed, uniform } from '../../autograd/index.ts';
import { ACTIVATIONS, activation, expm1Of32, type ActivationName } from '../../cells/activations.ts';
import { initLstmWeights, lstmSequence } from '../../cells/lstm.ts';

/** Allowed |expm1Of32(x) − (eˣ − 1)| / |eˣ − 1|: the polynomial's bound (r⁵/120 at the smallest |eˣ − 1| with n ≠ 0) with room for rounding. */
const EXP32_RELATIVE = 1.5e-11;
const F32_SMALLEST = 2 ** -149; // the smallest float32 subnormal

/** Inputs at every scale: random magnitudes from 2⁻³⁰ to 128, both signs, and the edges named in the header. */
function inputs(count: number): number[] {
  const xs: number[] = [0, -0, 80, -80, 87.3, -87.3, 88.7, -88.7, 103.2, -103.2, 103.3, -103.3, 104, -104, 104.5, -104.5, 200, -200, 9, -9, 17.4, -17.4];
  const ln2_128 = Math.LN2 / 128;
  for (const k of [1, 2, 3]) xs.push(k * ln2_128, -k * ln2_128, k * ln2_128 * (1 + 1e-9), -k * ln2_128 * (1 - 1e-9));
  for (let i = 0; i < count; i++) xs.push((uniform(0, 1) < 0.5 ? -1 : 1) * 2 ** uniform(-30, 7));
  for (let i = 0; i < count / 4; i++) xs.push(uniform(-104, -87)); // σ's subnormal edge
  return xs;
}

test('expm1Of32 is within 1.5e-11 of eˣ − 1 over [−104, 104], clamped outside, NaN through', () => {
  setSeed('expm1Of32');
  let worst = 0;
  let worstAt = NaN;
  for (const x of inputs(200000)) {
    if (Math.abs(x) > 104) continue;
    const want = Math.expm1(x);
    const err = want === 0 ? Math.abs(expm1Of32(x)) : Math.abs(expm1Of32(x) - want) / Math.abs(want);
    if (!(err <= worst)) [worst, worstAt] = [err, x];
  }
  assert.ok(worst <= EXP32_RELATIVE, `worst at x = ${worstAt}: ${expm1Of32(worstAt)} vs Math.expm1 ${Math.expm1(worstAt)} (relative ${worst.toExponential(2)} > ${EXP32_RELATIVE})`);
  assert.is(expm1Of32(1000), expm1Of32(104), 'clamped above');
  assert.is(expm1Of32(-Infinity), -1, 'e⁻¹⁰⁴ − 1 is −1 in float64');
  assert.ok(Number.isNaN(expm1Of32(NaN)));
});

/** One float32 ulp at |y| (the subnormal step below the normal range). */
function ulp32(y: number): number {
  const a = Math.abs(y);
  return a < 2 ** -126 ? F32_SMALLEST : 2 ** (Math.floor(Math.log2(a)) - 23);
}

for (const [name, exact] of [
  ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))],
  ['tanh', Math.tanh],
] as const) {
  test(`${name} in float32 is correctly rounded except within ${EXP32_RELATIVE} of a midpoint, ±80 and the subnormal edge included`, () => {
    setSeed(`${name} f32`);
    const xs = Float32Array.from(inputs(100000));
    const out = new Float32Array(xs.length);
    ACTIVATIONS[name].applyColumns(out, xs, 1, xs.length, 0, xs.length);
    let offRounding = 0;
    for (let i = 0; i < xs.length; i++) {
      const y = exact(xs[i]);
      const slack = ulp32(y) / 2 + EXP32_RELATIVE * Math.abs(y); // rounding to nearest, plus the error before it
      assert.ok(Math.abs(out[i] - y) <= slack, `${name}(${xs[i]}) = ${out[i]} in float32; exact ${y}, off by ${Math.abs(out[i] - y)} > ${slack}`);
      if (out[i] !== Math.fround(y)) offRounding++;
    }
    assert.ok(offRounding <= xs.length * 1e-3, `${offRounding} of ${xs.length} values not the correctly rounded float32`);
    const edges = Float32Array.from([80, -80, -103, -104, -105, Infinity, -Infinity, NaN]);
    const at = new Float32Array(edges.length);
    ACTIVATIONS[name].applyColumns(at, edges, 1, edges.length, 0, edges.length);
    if (name === 'sigmoid') {
      assert.equal(Array.from(at.subarray(0, 1)), [1]);
      assert.ok(at[1] > 0 && Math.abs(at[1] - Math.exp(-80)) <= ulp32(Math.exp(-80)), `σ(−80) = ${at[1]}`);
      assert.ok(at[2] >= F32_SMALLEST, `σ(−103) = ${at[2]} is a float32 subnormal, not 0`);
      assert.equal(Array.from(at.subarray(3, 7)), [0, 0, 1, 0]);
    } else {
      assert.equal(Array.from(at.subarray(0, 7)), [1, -1, -1, -1, -1, 1, -1]);
    }
    assert.ok(Number.isNaN(at[7]), `${name}(NaN) is NaN`);
  });
}

test('float64 σ and tanh keep expOf: the column kernels equal the scalar apply bit for bit', () => {
  setSeed('f64 kernels');
  const xs = Float64Array.from(inputs(20000));
  for (const name of ['sigmoid', 'tanh'] as const) {
    const out = new Float64Array(xs.length);
    ACTIVATIONS[name].applyColumns(out, xs, 1, xs.length, 0, xs.length);
    for (let i = 0; i < xs.length; i++) {
      assert.ok(Object.is(out[i], ACTIVATIONS[name].apply(xs[i])), `${name}(${xs[i]}): kernel ${out[i]} vs apply ${ACTIVATIONS[name].apply(xs[i])}`);
    }
  }
});

test("'hardSigmoid', as TF.js users write it, is hard_sigmoid: clip(0.2x + 0.5, 0, 1), as TF.js computes it", async () => {
  const hs = activation('lstm', 'recurrentActivation', 'hardSigmoid', 'sigmoid');
  assert.is(hs, ACTIVATIONS.hard_sigmoid);
  assert.is(hs.name, 'hard_sigmoid', 'reported under its snake_case name');
  for (const name of ['tanh', 'sigmoid', 'relu', 'linear'] as const) assert.is(activation('lstm', 'activation', name, 'tanh').name, name);
  const xs = [-4, -2.5, -1, 0, 0.3, 2, 2.5, 4];
  assert.equal(xs.map(hs.apply), [0, 0, 0.3, 0.5, 0.56, 0.9, 1, 1], 'hand-computed: 0.2x + 0.5, clipped');
  await tf.setBackend('cpu');
  const theirs = tf.tidy(() => (tf.layers.activation({ activation: 'hardSigmoid' }).apply(tf.tensor1d(xs)) as tf.Tensor).dataSync());
  const ours = new Float32Array(xs.length);
  hs.applyColumns(ours, Float32Array.from(xs), 1, xs.length, 0, xs.length);
  assert.equal(Array.from(ours), Array.from(theirs), "TF.js's hardSigmoid");
  // A whole LSTM under either name (the alias as a JavaScript caller passes it): the same numbers.
  setSeed('alias lstm');
  const w = initLstmWeights(3, 4);
  const x = randomUniform([2, 5, 3], -2, 2);
  const a = lstmSequence(x, w, { recurrentActivation: 'hardSigmoid' as ActivationName }).output.data;
  const b = lstmSequence(x, w, { recurrentActivation: 'hard_sigmoid' }).output.data;
  assert.equal(Array.from(a), Array.from(b));
});

test('an unknown activation names the cell, the argument and every known name; no name resolves through the prototype', () => {
  for (const bad of ['hardsigmoid', 'toString', 'constructor', '__proto__']) {
    assert.throws(
      () => activation('gru', 'activation', bad as 'tanh', 'tanh'),
      (e: Error) => e.message === `gru: activation '${bad}' is unknown; known: tanh, sigmoid, relu, linear, hard_sigmoid, hard_sigmoid_keras3, hardSigmoid`,
      bad,
    );
  }
});

test.run();
