/**
 * The cells against TensorFlow.js 4.22 in this process: the same layer in
 * both engines (SimpleRNN, LSTM with unitForgetBias false and true, GRU
 * resetAfter false, Bidirectional(LSTM)), the same weights set through
 * `setWeights` in both, then the forward output and the gradient of every
 * weight for one loss, L = Σ output ⊙ P with fixed, uneven P. TF.js's
 * gradients come from `tf.variableGrads` over the layer's own variables.
 * TF.js's LSTM and GRU default to a hard sigmoid for the gates where Keras
 * (and Unrolled) use the sigmoid, so the sigmoid is asked for by name.
 *
 * Shapes: B batch, T timesteps, D input features, H units.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor } from '../../autograd/index.ts';
import * as ops from '../../autograd/ops.ts';
import { Bidirectional, GRU, LSTM, SimpleRNN, clearSession, type Layer } from '../../lib/index.ts';
import { assertClose } from '../autograd/expect.ts';

/** Float32 arithmetic in two engines: |Unrolled − TF.js| / max(1, |TF.js|). */
const TF_JS = 1e-5;
const [B, T, D, H] = [3, 5, 4, 6];

await tf.setBackend('cpu');
await tf.ready();

/** Deterministic values in (−scale, scale), from their own generator. */
function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (2 * (s / 2147483648) - 1) * scale;
  });
}

interface Case {
  name: string;
  ours: () => Layer;
  theirs: () => tf.layers.Layer;
}

const CASES: Case[] = [
  {
    name: 'SimpleRNN',
    ours: () => new SimpleRNN(H, { returnSequences: true }),
    theirs: () => tf.layers.simpleRNN({ units: H, returnSequences: true }),
  },
  ...[false, true].map((unitForgetBias): Case => ({
    name: `LSTM (unitForgetBias ${unitForgetBias})`,
    ours: () => new LSTM(H, { returnSequences: true, unitForgetBias }),
    theirs: () => tf.layers.lstm({ units: H, returnSequences: true, unitForgetBias, recurrentActivation: 'sigmoid' }),
  })),
  {
    name: 'GRU (resetAfter false)',
    ours: () => new GRU(H, { returnSequences: true, resetAfter: false }),
    theirs: () => tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: 'sigmoid' }), // TF.js's GRU has only this variant
  },
  {
    name: 'Bidirectional(LSTM)',
    ours: () => new Bidirectional(new LSTM(H, { returnSequences: true })),
    theirs: () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat' }),
  },
];

for (const c of CASES) {
  test(`${c.name}: forward output and the gradient of every weight = TF.js 4.22's (${TF_JS})`, () => {
    clearSession();
    const ours = c.ours();
    const theirs = c.theirs();
    ours.build([null, T, D]);
    tf.dispose(theirs.apply(tf.zeros([B, T, D])) as tf.Tensor); // builds it
    // The same weights in both, in the Keras order and layout.
    const shapes = ours.getWeights().map((w) => w.shape);
    assert.equal(theirs.getWeights().map((w) => w.shape), shapes, 'the same weights in the same order');
    const weights = shapes.map((shape, i) => values(shape.reduce((a, n) => a * n, 1), 17 + i, 0.6));
    ours.setWeights(weights.map((v, i) => new Tensor(v, shapes[i])));
    theirs.setWeights(weights.map((v, i) => tf.tensor(v, shapes[i])));

    const x = values(B * T * D, 5, 1);
    const out = ours.apply(new Tensor(x, [B, T, D])) as Tensor;
    const P = values(out.size, 99, 1);
    ops.sum(ops.mul(ops.reshape(out, [-1]), new Tensor(P, [out.size]))).backward();

    const theirVariables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
    let theirOut: Float32Array = new Float32Array(0);
    const { grads } = tf.variableGrads(() => {
      const y = theirs.apply(tf.tensor(x, [B, T, D])) as tf.Tensor;
      theirOut = y.dataSync() as Float32Array;
      return tf.sum(tf.mul(y.reshape([-1]), tf.tensor(P))) as tf.Scalar;
    }, theirVariables);

    assert.equal(out.shape, [B, T, out.shape[2]]);
    assertClose('output', out.data, theirOut, TF_JS);
    ours.weights().forEach((w, i) => {
      const g = grads[theirVariables[i].name];
      assert.ok(w.grad && g, `weight ${i}: a gradient in both engines`);
      assertClose(`∂L/∂weight ${i} ${JSON.stringify(shapes[i])}`, w.grad!, g.dataSync(), TF_JS);
    });
    tf.dispose([...Object.values(grads)]);
  });
}

test.run();
