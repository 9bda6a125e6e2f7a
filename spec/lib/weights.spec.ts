/**
 * Sample and class weights, against hand-computed losses: Keras's
 * definition Σ wᵢ·lᵢ / N (N the number of loss values, whatever the
 * weights) in evaluate, trainOnBatch (and its gradient step), fit and its
 * validation; per sample and per timestep; several outputs; the errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense, Model, SGD, Sequential, clearSession, input, tensor, type Tensor } from '../../lib/index.ts';

test.before.each(() => clearSession());

const close = (actual: number, expected: number, tol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
};

async function rejects(f: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await f();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

/** ŷ = 2x (kernel 2, bias 0) on x = 1, 2, 3, 4 against y = 1: losses (2x − 1)² = 1, 9, 25, 49. */
function doubling(learningRate = 0): Sequential {
  const model = new Sequential([new Dense(1, { inputShape: [1] })]);
  model.setWeights([tensor([[2]]), tensor([0])]);
  model.compile({ optimizer: new SGD({ learningRate }), loss: 'mse' });
  return model;
}
const x = tensor([[1], [2], [3], [4]]);
const y = tensor([[1], [1], [1], [1]]);
const w = tensor([1, 0, 0.5, 2]);
// Σ w·l / 4 = (1 + 0 + 12.5 + 98) / 4; the unweighted mean is 84 / 4.
const WEIGHTED = 111.5 / 4;

test('evaluate: Σ w·l / N, divided by the sample count, not the sum of weights, for any batch size', async () => {
  const model = doubling();
  close((await model.evaluate(x, y)).loss, 21, 1e-5, 'unweighted');
  close((await model.evaluate(x, y, { sampleWeight: w })).loss, WEIGHTED, 1e-5, 'weighted, one batch');
  close((await model.evaluate(x, y, { sampleWeight: w, batchSize: 3 })).loss, WEIGHTED, 1e-5, 'weighted, batches of 3 and 1');
  close((await model.evaluate(x, y, { sampleWeight: [[1], [0], [0.5], [2]] })).loss, WEIGHTED, 1e-5, 'weights [N, 1]');
});

test('trainOnBatch: the weighted loss before the step, and the step of the weighted gradient (hand-computed)', () => {
  const model = doubling(0.01);
  close(model.trainOnBatch(x, y, { sampleWeight: w }), WEIGHTED, 1e-5, 'loss');
  // dL/dk = Σ wᵢ·2(2xᵢ − 1)·xᵢ / 4 = (2 + 0 + 15 + 112) / 4; dL/db = Σ wᵢ·2(2xᵢ − 1) / 4 = (2 + 0 + 5 + 28) / 4.
  const [k, b] = model.getWeights();
  close(k.data[0], 2 - 0.01 * (129 / 4), 1e-6, 'kernel');
  close(b.data[0], -0.01 * (35 / 4), 1e-6, 'bias');
});

test('fit: the epoch loss and the validation loss weighted; validationData [x, y, w]; validationSplit splits the weights', async () => {
  let model = doubling();
  let h = await model.fit(x, y, { sampleWeight: w, batchSize: 4, verbose: 0, validationData: [x, y, w] });
  close(h.history.loss[0], WEIGHTED, 1e-5, 'loss');
  close(h.history.val_loss[0], WEIGHTED, 1e-5, 'val_loss');
  h = await model.fit(x, y, { sampleWeight: w, batchSize: 4, verbose: 0, validationData: [x, y] });
  close(h.history.val_loss[0], 21, 1e-5, 'val_loss without weights');
  clearSession();
  model = doubling();
  // Training on the first two samples (w 1, 0), validating on the last two (w 0.5, 2).
  h = await model.fit(x, y, { sampleWeight: w, batchSize: 4, verbose: 0, validationSplit: 0.5 });
  close(h.history.loss[0], (1 * 1 + 0 * 9) / 2, 1e-5, 'loss on the training half');
  close(h.history.val_loss[0], (0.5 * 25 + 2 * 49) / 2, 1e-5, 'val_loss on the held-out half');
});

test('per timestep: weights [B, T] weigh each step, weights [B] each sequence; the divisor is B·T', async () => {
  const model = new Sequential([new Dense(1, { inputShape: [2, 1] })]);
  model.setWeights([tensor([[1]]), tensor([0])]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const xs = tensor([[[1], [2]], [[3], [4]]]);
  const ys = tensor([[[0], [0]], [[0], [0]]]);
  // Losses x² = [[1, 4], [9, 16]].
  close((await model.evaluate(xs, ys, { sampleWeight: [[1, 0], [2, 0.5]] })).loss, (1 + 0 + 18 + 8) / 4, 1e-5, 'per timestep');
  close((await model.evaluate(xs, ys, { sampleWeight: [1, 2] })).loss, (5 * 1 + 25 * 2) / 4, 1e-5, 'per sequence');
  await rejects(() => model.evaluate(xs, ys, { sampleWeight: [[1, 0, 1], [2, 0.5, 1]] }), /evaluate: sampleWeight has shape \[2,3\]; it must be \[2\] \(one weight per sample\) or \[2,2\] \(one per timestep\)/);
});

test('classWeight: each sample gets its class\'s weight (1 for classes not named), sparse, one-hot and binary targets', () => {
  const zeros = (units: number, activation: 'softmax' | 'sigmoid'): Sequential => {
    const m = new Sequential([new Dense(units, { inputShape: [1], activation })]);
    m.setWeights([tensor(Array.from({ length: units }, () => 0), [1, units]), tensor(Array.from({ length: units }, () => 0))]);
    return m;
  };
  const xs = tensor([[1], [2], [3], [4]]);
  // Every prediction is uniform, so every loss value is log 2.
  let m = zeros(2, 'softmax');
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'sparse_categorical_crossentropy' });
  close(m.trainOnBatch(xs, tensor([0, 1, 1, 0]), { classWeight: { 0: 1, 1: 3 } }), (1 + 3 + 3 + 1) * Math.LN2 / 4, 1e-6, 'sparse');
  m = zeros(2, 'softmax');
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'categorical_crossentropy' });
  close(m.trainOnBatch(xs, tensor([[1, 0], [0, 1], [0, 1], [1, 0]]), { classWeight: { 1: 3 } }), (1 + 3 + 3 + 1) * Math.LN2 / 4, 1e-6, 'one-hot');
  m = zeros(1, 'sigmoid');
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'binary_crossentropy' });
  close(m.trainOnBatch(xs, tensor([[0], [1], [1], [1]]), { classWeight: { 1: 0.5 } }), (1 + 1.5) * Math.LN2 / 4, 1e-6, 'binary');
});

test('classWeight in fit weighs training only (not the validation loss)', async () => {
  const m = new Sequential([new Dense(2, { inputShape: [1], activation: 'softmax' })]);
  m.setWeights([tensor([[0, 0]]), tensor([0, 0])]);
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'sparse_categorical_crossentropy' });
  const xs = tensor([[1], [2], [3], [4]]);
  const labels = tensor([0, 1, 1, 0]);
  const h = await m.fit(xs, labels, { classWeight: { 1: 3 }, batchSize: 4, verbose: 0, validationData: [xs, labels] });
  close(h.history.loss[0], 2 * Math.LN2, 1e-6, 'loss');
  close(h.history.val_loss[0], Math.LN2, 1e-6, 'val_loss');
});

test('generators may yield [x, y, sampleWeight]; classWeight per timestep for sequence labels', async () => {
  const model = doubling();
  function* batches(): Generator<readonly [Tensor, Tensor, Tensor]> {
    for (;;) yield [x, y, w];
  }
  const h = await model.fit(batches(), { stepsPerEpoch: 2, verbose: 0 });
  close(h.history.loss[0], WEIGHTED, 1e-5, 'fit on a generator');
  close((await model.evaluate(batches(), { steps: 3 })).loss, WEIGHTED, 1e-5, 'evaluate on a generator');
  // Labels [B, T]: each timestep weighted by its class; uniform predictions make every loss value log 3.
  const seq = new Sequential([new Dense(3, { inputShape: [2, 1], activation: 'softmax' })]);
  seq.setWeights([tensor([[0, 0, 0]]), tensor([0, 0, 0])]);
  seq.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'sparse_categorical_crossentropy' });
  const loss = seq.trainOnBatch(tensor([[[1], [2]], [[3], [4]]]), tensor([[0, 2], [1, 2]]), { classWeight: { 1: 4, 2: 0.5 } });
  close(loss, (1 + 0.5 + 4 + 0.5) * Math.log(3) / 4, 1e-6, 'per-timestep class weights');
});

test('several outputs: one weight array for all, or one per output (list or keyed by name)', async () => {
  const inp = input({ shape: [1] });
  const a = new Dense(1, { name: 'a' });
  const b = new Dense(1, { name: 'b' });
  const model = new Model({ inputs: inp, outputs: [a.apply(inp), b.apply(inp)] });
  a.setWeights([tensor([[2]]), tensor([0])]);
  b.setWeights([tensor([[1]]), tensor([0])]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  // Output a: losses 1, 9, 25, 49 (Σ w·l = 111.5); output b: (x − 1)² = 0, 1, 4, 9 (Σ w·l = 0 + 0 + 2 + 18).
  const both = await model.evaluate(x, [y, y], { sampleWeight: w });
  close(both.a_loss, WEIGHTED, 1e-5, 'a');
  close(both.b_loss, 20 / 4, 1e-5, 'b');
  close(both.loss, WEIGHTED + 5, 1e-5, 'total');
  const keyed = await model.evaluate(x, [y, y], { sampleWeight: { a: w, b: [1, 1, 1, 1] } });
  close(keyed.b_loss, 14 / 4, 1e-5, 'b unweighted');
  const listed = await model.evaluate(x, [y, y], { sampleWeight: [[1, 1, 1, 1], w] as unknown as Tensor[] });
  close(listed.a_loss, 21, 1e-5, 'a unweighted');
  assert.throws(() => model.trainOnBatch(x, [y, y], { classWeight: { 0: 2 } }), /trainOnBatch: classWeight serves a model with one output; model(_\d+)? has 2: give sampleWeight per output instead/);
});

test('bad weights are errors naming the option and the value', async () => {
  const model = doubling();
  await rejects(() => model.fit(x, y, { sampleWeight: [1, 1, -1, 1], verbose: 0 }), /fit: sampleWeight holds -1 at position 2; sample weights must be finite and non-negative/);
  await rejects(() => model.fit(x, y, { sampleWeight: [1, Number.NaN, 1, 1], verbose: 0 }), /fit: sampleWeight holds NaN at position 1/);
  await rejects(() => model.fit(x, y, { sampleWeight: [1, 1, 1], verbose: 0 }), /fit: sampleWeight has shape \[3\]; it must be \[4\] \(one weight per sample\)/);
  await rejects(() => model.evaluate(x, y, { sampleWeight: [1, 1, 1, 1, 1] }), /evaluate: sampleWeight has shape \[5\]; it must be \[4\]/);
  await rejects(() => model.fit(x, y, { verbose: 0, validationData: [x, y, [1, -0.5, 1, 1]] }), /fit \(validationData\): sampleWeight holds -0.5 at position 1/);
  const binary = new Sequential([new Dense(1, { inputShape: [1], activation: 'sigmoid' })]);
  binary.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
  const labels = tensor([[0], [1], [1], [0]]);
  await rejects(() => binary.fit(x, labels, { classWeight: { 2: 1 }, verbose: 0 }), /fit: classWeight names class "2", but output 'dense(_\d+)?' has 2 classes \(0 to 1\)/);
  await rejects(() => binary.fit(x, labels, { classWeight: { 0.5: 1 }, verbose: 0 }), /fit: classWeight names class "0.5"/);
  await rejects(() => binary.fit(x, labels, { classWeight: { 1: -2 }, verbose: 0 }), /fit: classWeight for class 1 must be a finite non-negative number, got the number -2/);
  await rejects(() => binary.fit(x, labels, { classWeight: { 1: 2 }, sampleWeight: w, verbose: 0 }), /fit: classWeight and sampleWeight cannot be given together/);
  assert.throws(() => binary.trainOnBatch(x, labels, { classWeight: [1, 2] as never }), /trainOnBatch: classWeight must be an object \{ class: weight \}/);
  assert.throws(() => binary.trainOnBatch(x, labels, { sampleWeights: w } as never), /trainOnBatch: unknown option 'sampleWeights'; known: sampleWeight, classWeight/);
});

test.run();
