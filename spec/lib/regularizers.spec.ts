/**
 * Regularizers: the penalty l1·Σ|w| + l2·Σw² worked by hand, in the loss
 * `fit`, `trainOnBatch` and `evaluate` report and in its gradient (the
 * float64 checks are rows of `npm run gradcheck`, training-cases.ts); activity
 * penalties divided by the batch size; frozen and shared layers; the
 * TF.js and Keras 3 config forms; bad values named.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../autograd/index.ts';
import { layerFromConfig, layerToConfig } from '../../lib/io/config.ts';
import {
  Dense, Embedding, LSTM, Model, SGD, Sequential, SimpleRNN, clearSession, initializers, input, regularizers,
} from '../../lib/index.ts';
import { getRegularizer, regularizerFromFile } from '../../lib/regularizers.ts';

test.before.each(() => clearSession());

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: got ${a}, want ${b}`);

test('the penalty l1·Σ|w| + l2·Σw², by hand; Keras\'s defaults', () => {
  const w = tensor([1, -2, 3], [3], 'float64');
  close(regularizers.l1l2({ l1: 0.1, l2: 0.01 }).apply(w).item(), 0.1 * 6 + 0.01 * 14, 1e-15, 'l1l2');
  close(regularizers.l1(0.5).apply(w).item(), 3, 1e-15, 'l1');
  close(regularizers.l2().apply(w).item(), 0.14, 1e-15, 'l2 default 0.01');
  close(getRegularizer('l1_l2').apply(w).item(), 0.06 + 0.14, 1e-15, "'l1_l2': both 0.01");
  close(getRegularizer({ className: 'L1L2', config: { l2: 1 } }).apply(w).item(), 14, 1e-15, 'L1L2 config, l1 defaults to 0');
});

/** Dense(1) without bias, kernel [0.5, 0.5], on x = [[1, 2]], y = [[0]]: prediction 1.5, mse 2.25. */
function oneDense(options: ConstructorParameters<typeof Dense>[1] = {}): Sequential {
  const model = new Sequential([new Dense(1, { inputShape: [2], useBias: false, kernelInitializer: initializers.constant(0.5), ...options })]);
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse' });
  return model;
}

test('a kernel penalty is part of the reported loss and of the gradient', () => {
  const model = oneDense({ kernelRegularizer: regularizers.l2(0.1) });
  // loss = 2.25 + 0.1·(0.25 + 0.25) = 2.3
  close(model.trainOnBatch([[1, 2]], [[0]]), 2.3, 1e-6, 'trainOnBatch loss');
  // ∂/∂k = 2·1.5·x + 2·0.1·k = [3.1, 6.1]; k = 0.5 − 0.1·[3.1, 6.1]
  const k = model.layers.at(-1)!.getWeights()[0].data;
  close(k[0], 0.19, 1e-6, 'k0');
  close(k[1], -0.11, 1e-6, 'k1');
});

test('evaluate and fit report the penalty too (loss and val_loss), not the per-output losses', async () => {
  const model = oneDense({ kernelRegularizer: regularizers.l1(0.1) });
  // l1: 0.1·(0.5 + 0.5) = 0.1
  close((await model.evaluate([[1, 2]], [[0]])).loss, 2.35, 1e-6, 'evaluate');
  const x = input({ shape: [2] });
  const a = new Dense(1, { useBias: false, kernelInitializer: initializers.constant(0.5), kernelRegularizer: regularizers.l2(1), name: 'a' }).apply(x);
  const b = new Dense(1, { useBias: false, kernelInitializer: initializers.constant(1), name: 'b' }).apply(x);
  const two = new Model({ inputs: x, outputs: [a, b] });
  two.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
  const logs = await two.evaluate([[1, 2]], [[[0]], [[0]]]);
  // a: 2.25, b: 9, penalty 0.5; the total has it, a_loss does not.
  close(logs.a_loss, 2.25, 1e-6, 'a_loss');
  close(logs.b_loss, 9, 1e-6, 'b_loss');
  close(logs.loss, 11.75, 1e-6, 'loss');
  const history = await oneDense({ kernelRegularizer: regularizers.l2(0.1) }).fit([[1, 2]], [[0]], { epochs: 1, verbose: 0, validationData: [[[1, 2]], [[0]]] });
  close(history.history.loss[0], 2.3, 1e-6, 'fit loss');
  // After the step k = [0.19, −0.11]: prediction −0.03, mse 0.0009, penalty 0.1·(0.0361 + 0.0121) = 0.00482.
  close(history.history.val_loss[0], 0.0009 + 0.00482, 1e-6, 'val_loss');
});

test('an activity penalty is divided by the batch size', () => {
  const model = oneDense({ activityRegularizer: regularizers.l1(0.1) });
  // outputs 1.5 and 0.5: mse (2.25 + 0.25)/2 = 1.25; penalty 0.1·2/2 = 0.1
  close(model.trainOnBatch([[1, 2], [1, 0]], [[0], [0]]), 1.35, 1e-6, 'activity');
});

test('a frozen layer\'s penalty does not count (Keras counts trainable weights); a shared layer\'s counts once', async () => {
  const frozen = oneDense({ kernelRegularizer: regularizers.l2(0.1), trainable: false });
  close((await frozen.evaluate([[1, 2]], [[0]])).loss, 2.25, 1e-6, 'frozen');
  const x = input({ shape: [2] });
  const shared = new Dense(2, { useBias: false, kernelInitializer: initializers.constant(0.5), kernelRegularizer: regularizers.l2(1) });
  const y = shared.apply(shared.apply(x));
  const model = new Model({ inputs: x, outputs: y });
  model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
  // (x·K)·K with K = 0.5: [1, 2] → [1.5, 1.5] → [1.5, 1.5]; mse 2.25; penalty 1·4·0.25 = 1, once.
  close((await model.evaluate([[1, 2]], [[0, 0]])).loss, 3.25, 1e-6, 'shared');
});

test('Embedding and recurrent layers: embeddingsRegularizer, kernel/recurrent/bias regularizers', async () => {
  const emb = new Embedding(3, 2, { inputLength: 1, embeddingsInitializer: initializers.constant(1), embeddingsRegularizer: regularizers.l2(0.5) });
  const seq = new Sequential([emb, new Dense(1, { useBias: false, kernelInitializer: 'zeros' })]);
  seq.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
  // prediction 0, mse 0; penalty 0.5·6 = 3 (the whole table).
  close((await seq.evaluate([[1]], [[[0]]])).loss, 3, 1e-6, 'embeddings');
  const rnn = new SimpleRNN(2, {
    inputShape: [1, 1], kernelInitializer: initializers.constant(0), recurrentInitializer: 'identity', biasInitializer: 'ones',
    kernelRegularizer: regularizers.l1(1), recurrentRegularizer: regularizers.l1(0.5), biasRegularizer: regularizers.l2(0.25),
  });
  const m = new Sequential([rnn]);
  m.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
  // h = tanh(0 + 0 + 1) = 0.7615942 per unit, target 0: mse 0.5800; penalties 0 + 0.5·2 + 0.25·2 = 1.5.
  close((await m.evaluate([[[1]]], [[0, 0]])).loss, Math.tanh(1) ** 2 + 1.5, 1e-6, 'SimpleRNN');
});

test('TF.js writes the same L1L2 configs; they come back from a file, Keras 3\'s L1 and L2 too', () => {
  const dense = new Dense(2, { inputShape: [2], kernelRegularizer: regularizers.l1l2({ l1: 0.1, l2: 0.2 }), biasRegularizer: 'l1_l2' });
  const ours = layerToConfig(dense).config;
  const theirs = JSON.parse(JSON.stringify(tf.layers.dense({ units: 2, kernelRegularizer: tf.regularizers.l1l2({ l1: 0.1, l2: 0.2 }), biasRegularizer: 'l1l2' }).getConfig())) as Record<string, unknown>;
  const snake = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/"className"/g, '"class_name"'));
  assert.equal(ours.kernel_regularizer, snake(theirs.kernelRegularizer));
  assert.equal(ours.bias_regularizer, snake(theirs.biasRegularizer));
  const back = layerFromConfig({ class_name: 'Dense', config: ours }, { file: 'spec', weightShape: () => undefined }) as Dense;
  assert.equal(back.kernelRegularizer?.getConfig(), { l1: 0.1, l2: 0.2 });
  assert.equal(regularizerFromFile({ module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.3 }, registered_name: null }, 'f')?.getConfig(), { l1: 0, l2: 0.3 });
  const lstm = layerFromConfig({ class_name: 'LSTM', config: { units: 2, recurrent_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.5 } } } }, { file: 'spec', weightShape: () => undefined }) as LSTM;
  assert.equal(lstm.regularizers.recurrent?.getConfig(), { l1: 0, l2: 0.5 });
});

test('bad regularizers are errors naming the layer, the option and the value', () => {
  assert.throws(() => new Dense(2, { kernelRegularizer: 'l3' as 'l1' }), /dense \(Dense\): kernelRegularizer: expected 'l1', 'l2', 'l1_l2', a regularizer object or \{ className: 'L1L2', config: \{ l1, l2 \} \}, got 'l3'/);
  assert.throws(() => regularizers.l2(-1), /L1L2 regularizer: l2 must be a non-negative finite number, got -1/);
  assert.throws(() => getRegularizer({ className: 'OrthogonalRegularizer' }), /regularizer class 'OrthogonalRegularizer' is unknown; known: L1L2, L1, L2/);
  assert.throws(() => layerFromConfig({ class_name: 'Dense', config: { units: 2, kernel_constraint: { class_name: 'MaxNorm', config: {} } } }, { file: 'f.json', weightShape: () => undefined }), /kernel_constraint/);
});

test.run();
