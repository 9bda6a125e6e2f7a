/**
 * Losses: Keras's documented values, hand-computed values of fromLogits and
 * labelSmoothing, TF.js's own losses in process, stability at logits of
 * ±100, names and loss objects in compile, and the errors for bad options.
 * The float64 gradient checks are rows of `npm run gradcheck`
 * (spec/lib/training-cases.ts), run by gradcheck.spec.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomNormal, setSeed } from '../../autograd/index.ts';
import {
  BinaryCrossentropy, CategoricalCrossentropy, Dense, MeanAbsoluteError, MeanSquaredError, Sequential, SparseCategoricalCrossentropy, Tensor,
  clearSession, tensor, type LossSpelling,
} from '../../lib/index.ts';
import { getLoss, resolveLoss } from '../../lib/losses.ts';

test.before.each(() => clearSession());

const close = (actual: number, expected: number, tol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
};
const softplus = (z: number): number => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

test('Keras\'s documented values: binary, categorical, sparse, mse, mae, with and without sample weights', () => {
  // keras.losses docs: BinaryCrossentropy 0.815 / 0.458 (sample_weight [1, 0]); CategoricalCrossentropy 1.177 / 0.814 ([0.3, 0.7]);
  // MeanSquaredError 0.5 / 0.25 ([0.7, 0.3]).
  const bce = new BinaryCrossentropy();
  const yb = tensor([[0, 1], [0, 0]]);
  const pb = tensor([[0.6, 0.4], [0.4, 0.6]]);
  close(bce.call(yb, pb).item(), 0.815, 1e-3, 'bce');
  close(bce.call(yb, pb, tensor([1, 0])).item(), 0.458, 1e-3, 'bce weighted');
  const pc = tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
  const cce = new CategoricalCrossentropy();
  close(cce.call(tensor([[0, 1, 0], [0, 0, 1]]), pc).item(), 1.177, 1e-3, 'cce');
  close(cce.call(tensor([[0, 1, 0], [0, 0, 1]]), pc, tensor([0.3, 0.7])).item(), 0.814, 1e-3, 'cce weighted');
  const scce = new SparseCategoricalCrossentropy();
  close(scce.call(tensor([1, 2]), pc).item(), 1.177, 1e-3, 'sparse');
  close(scce.call(tensor([1, 2]), pc, tensor([0.3, 0.7])).item(), 0.814, 1e-3, 'sparse weighted');
  const ym = tensor([[0, 1], [0, 0]]);
  const pm = tensor([[1, 1], [1, 0]]);
  close(new MeanSquaredError().call(ym, pm).item(), 0.5, 1e-7, 'mse');
  close(new MeanSquaredError().call(ym, pm, tensor([0.7, 0.3])).item(), 0.25, 1e-7, 'mse weighted');
  close(new MeanAbsoluteError().call(ym, pm, tensor([0.7, 0.3])).item(), 0.25, 1e-7, 'mae weighted');
});

test('fromLogits: binary = mean of softplus(z) − y·z (Keras\'s documented 0.865), categorical and sparse = −log softmax', () => {
  const z = [-18.6, 0.51, 2.94, -12.8];
  const y = [0, 1, 0, 0];
  const bce = new BinaryCrossentropy({ fromLogits: true });
  const got = bce.call(tensor(y.map((v) => [v])), tensor(z.map((v) => [v]))).item();
  const hand = z.reduce((s, v, i) => s + softplus(v) - y[i] * v, 0) / 4;
  close(got, hand, 1e-6, 'bce from logits');
  close(got, 0.865, 1e-3, 'bce from logits, Keras docs');
  const logits = [[1, 2, 0.5], [-1, 0, 3]];
  const lse = logits.map((r) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)));
  const handC = ((lse[0] - logits[0][1]) + (lse[1] - logits[1][2])) / 2;
  close(new CategoricalCrossentropy({ fromLogits: true }).call(tensor([[0, 1, 0], [0, 0, 1]]), tensor(logits)).item(), handC, 1e-6, 'cce from logits');
  close(new SparseCategoricalCrossentropy({ fromLogits: true }).call(tensor([1, 2]), tensor(logits)).item(), handC, 1e-6, 'sparse from logits');
});

test('labelSmoothing: binary y(1 − ε) + ε/2, categorical y(1 − ε) + ε/C (hand-computed)', () => {
  const eps = 0.2;
  const z = [2, -1];
  const y = [1, 0];
  const smooth = y.map((v) => v * (1 - eps) + eps / 2);
  const hand = (softplus(z[0]) - smooth[0] * z[0] + softplus(z[1]) - smooth[1] * z[1]) / 2;
  const got = new BinaryCrossentropy({ fromLogits: true, labelSmoothing: eps }).call(tensor([[1], [0]]), tensor([[2], [-1]])).item();
  close(got, hand, 1e-6, 'binary smoothing');
  const logits = [0.3, -0.2, 1.1, 0];
  const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
  const targets = [0, 0, 1, 0].map((v) => v * (1 - eps) + eps / 4);
  const handC = targets.reduce((s, t, c) => s + t * (lse - logits[c]), 0);
  const gotC = new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: eps }).call(tensor([[0, 0, 1, 0]]), tensor([logits])).item();
  close(gotC, handC, 1e-6, 'categorical smoothing');
});

test('TF.js in process: sigmoidCrossEntropy and softmaxCrossEntropy with weights and label smoothing, summed, over the batch size', () => {
  setSeed('tfjs losses');
  const z = randomNormal([6, 1], 0, 3);
  const y = new Tensor(Float32Array.from([1, 0, 1, 1, 0, 0]), [6, 1]);
  const w = new Tensor(Float32Array.from([0.5, 2, 0, 1, 3, 1]), [6]);
  const theirs = tf.losses.sigmoidCrossEntropy(tf.tensor(y.data, [6, 1]), tf.tensor(z.data, [6, 1]), tf.tensor(w.data, [6, 1]), 0.1, tf.Reduction.SUM);
  const ours = new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).call(y, z, w).item();
  close(ours, (theirs.dataSync()[0]) / 6, 1e-5, 'binary vs TF.js');
  const logits = randomNormal([5, 4], 0, 2);
  const labels = [3, 0, 1, 1, 2];
  const oneHot = new Tensor(new Float32Array(20), [5, 4]);
  labels.forEach((c, r) => { oneHot.data[r * 4 + c] = 1; });
  const w5 = new Tensor(Float32Array.from([1, 0.25, 4, 0, 2]), [5]);
  const theirsC = tf.losses.softmaxCrossEntropy(tf.tensor(oneHot.data, [5, 4]), tf.tensor(logits.data, [5, 4]), tf.tensor(w5.data, [5]), 0.3, tf.Reduction.SUM);
  const oursC = new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.3 }).call(oneHot, logits, w5).item();
  close(oursC, theirsC.dataSync()[0] / 5, 1e-5, 'categorical vs TF.js');
});

test('fromLogits is stable at logits ±100: finite values and gradients, in float32', () => {
  const z = new Tensor(Float32Array.from([100, -100, 100, -100]), [4, 1]);
  z.requiresGrad = true;
  const loss = new BinaryCrossentropy({ fromLogits: true }).call(tensor([[1], [0], [0], [1]]), z);
  // softplus(100) − 100 = 0, softplus(−100) = 0, softplus(100) = 100, softplus(−100) + 100 = 100.
  close(loss.item(), 50, 1e-4, 'bce at ±100');
  loss.backward();
  assert.ok([...z.grad!].every(Number.isFinite), `bce gradient ${[...z.grad!]}`);
  for (const make of [() => new CategoricalCrossentropy({ fromLogits: true }), () => new SparseCategoricalCrossentropy({ fromLogits: true })]) {
    const logits = new Tensor(Float32Array.from([100, -100, 0, -100, 100, 100]), [2, 3]);
    logits.requiresGrad = true;
    const l = make();
    const y = l instanceof SparseCategoricalCrossentropy ? tensor([1, 0]) : tensor([[0, 1, 0], [1, 0, 0]]);
    const v = l.call(y, logits);
    // Row 1: lse ≈ 100, target −100 → 200; row 2: lse = 100 + log 2, target −100 → 200 + log 2.
    close(v.item(), (200 + 200 + Math.LN2) / 2, 1e-3, `${l.className} at ±100`);
    v.backward();
    assert.ok([...logits.grad!].every(Number.isFinite), `${l.className} gradient ${[...logits.grad!]}`);
  }
});

test('names as TF.js and Keras users write them; loss objects in compile; model.loss names only what a name describes', () => {
  const spellings: Array<[LossSpelling, string]> = [
    ['binaryCrossentropy', 'binary_crossentropy'], ['categoricalCrossentropy', 'categorical_crossentropy'],
    ['sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'], ['meanSquaredError', 'mse'], ['meanAbsoluteError', 'mae'],
    ['mean_squared_error', 'mse'], ['MSE', 'mse'], ['MeanAbsoluteError', 'mae'],
  ];
  for (const [spelling, name] of spellings) {
    const model = new Sequential([new Dense(3, { inputShape: [2], activation: 'softmax' })]);
    model.compile({ optimizer: 'sgd', loss: spelling });
    assert.is(model.loss, name, spelling);
  }
  const model = new Sequential([new Dense(1, { inputShape: [2] })]);
  const loss = new BinaryCrossentropy({ fromLogits: true });
  model.compile({ optimizer: 'adam', loss });
  assert.is(model.lossObjects[0], loss);
  assert.throws(() => model.loss, /output 'dense(_\d+)?' has loss BinaryCrossentropy \{ fromLogits: true \}, which no loss name describes/);
  model.compile({ optimizer: 'adam', loss: new BinaryCrossentropy() });
  assert.is(model.loss, 'binary_crossentropy');
  close(getLoss('meanSquaredError')(tensor([[1, 3]]), tensor([[0, 0]])).item(), 5, 1e-7, 'getLoss');
});

test('a model trained on logits with fromLogits matches the same model with a sigmoid output and the plain loss', async () => {
  const x = tensor([[0.5, -1], [2, 0.3], [-0.7, 0.1], [1, 1]]);
  const y = tensor([[1], [0], [1], [0]]);
  const a = new Sequential([new Dense(1, { inputShape: [2] })]);
  const b = new Sequential([new Dense(1, { inputShape: [2], activation: 'sigmoid' })]);
  b.setWeights(a.getWeights());
  a.compile({ optimizer: 'sgd', loss: new BinaryCrossentropy({ fromLogits: true }) });
  b.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
  const la = a.trainOnBatch(x, y);
  const lb = b.trainOnBatch(x, y);
  close(la, lb, 1e-6, 'first loss');
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  wa.forEach((t, i) => t.data.forEach((v, k) => close(v, wb[i].data[k], 1e-6, `weight ${i}[${k}] after one step`)));
});

test('bad options and names are errors naming the option and the value', () => {
  assert.throws(() => new BinaryCrossentropy({ labelSmoothing: 1.5 }), /BinaryCrossentropy: labelSmoothing must be a number in \[0, 1\], got the number 1.5/);
  assert.throws(() => new CategoricalCrossentropy({ labelSmoothing: Number.NaN }), /CategoricalCrossentropy: labelSmoothing must be a number in \[0, 1\], got the number NaN/);
  assert.throws(() => new BinaryCrossentropy({ fromLogits: 'yes' as unknown as boolean }), /BinaryCrossentropy: fromLogits must be true or false, got the string "yes"/);
  assert.throws(() => new SparseCategoricalCrossentropy({ labelSmoothing: 0.1 } as never), /SparseCategoricalCrossentropy: unknown option 'labelSmoothing'; known: fromLogits/);
  assert.throws(() => resolveLoss('huber'), /compile: unknown loss 'huber'; known: binary_crossentropy, .*meanSquaredError/);
  assert.throws(() => new MeanSquaredError().call(tensor([[1], [2]]), tensor([[0], [0]]), tensor([1, -2])), /MeanSquaredError: sampleWeight holds -2 at position 1; sample weights must be finite and non-negative/);
  assert.throws(() => new MeanSquaredError().call(tensor([[1], [2]]), tensor([[0], [0]]), tensor([1, 2, 3])), /MeanSquaredError: sampleWeight has shape \[3\]; it must be \[2\] \(one weight per sample\)/);
});

test.run();
