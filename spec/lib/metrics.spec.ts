/**
 * Metrics: Keras's documented values for each metric object, hand-computed
 * AUC with Keras's default thresholds, streaming (state over batches, reset
 * each epoch and each evaluation), user functions, names as Keras and TF.js
 * users write them, log keys, and the errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AUC, BinaryAccuracy, CategoricalAccuracy, Dense, MeanMetricWrapper, Metric, Precision, Recall, SGD, Sequential, SparseCategoricalAccuracy,
  Tensor, TopKCategoricalAccuracy, clearSession, tensor, type Callback, type Logs, type MetricName,
} from '../../lib/index.ts';
import { mean } from '../../autograd/ops.ts';
import { getMetric } from '../../lib/metrics.ts';

test.before.each(() => clearSession());

const close = (actual: number, expected: number, tol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
};

function resultOf(m: Metric, ...batches: Array<[number[] | number[][], number[] | number[][]]>): number {
  m.reset();
  for (const [y, p] of batches) m.update(tensor(y), tensor(p));
  return m.result();
}

test('Keras\'s documented values: binary, categorical, sparse and top-k accuracy, precision, recall, AUC', () => {
  close(resultOf(new BinaryAccuracy(), [[[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]]), 0.75, 1e-9, 'binary_accuracy');
  // threshold 0.7: predictions 1, 1, 0, 0 → all four right.
  close(resultOf(new BinaryAccuracy({ threshold: 0.7 }), [[[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]]), 1, 1e-9, 'binary_accuracy threshold 0.7');
  const p = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]];
  close(resultOf(new CategoricalAccuracy(), [[[0, 0, 1], [0, 1, 0]], p]), 0.5, 1e-9, 'categorical_accuracy');
  close(resultOf(new SparseCategoricalAccuracy(), [[[2], [1]], p]), 0.5, 1e-9, 'sparse_categorical_accuracy');
  close(resultOf(new TopKCategoricalAccuracy({ k: 1 }), [[[0, 0, 1], [0, 1, 0]], p]), 0.5, 1e-9, 'top_k k=1');
  close(resultOf(new TopKCategoricalAccuracy({ k: 2 }), [[[0, 0, 1], [0, 1, 0]], p]), 1, 1e-9, 'top_k k=2');
  close(resultOf(new Precision(), [[0, 1, 1, 1], [1, 0, 1, 1]]), 2 / 3, 1e-9, 'precision');
  close(resultOf(new Recall(), [[0, 1, 1, 1], [1, 0, 1, 1]]), 2 / 3, 1e-9, 'recall');
  // keras.metrics.AUC(num_thresholds=3) docs: 0.75.
  close(resultOf(new AUC({ numThresholds: 3 }), [[0, 0, 1, 1], [0, 0.5, 0.3, 0.9]]), 0.75, 1e-9, 'auc, 3 thresholds');
});

test('AUC with Keras\'s 200 thresholds: the exact ROC area when labels never share a bucket; streaming over batches = one batch', () => {
  const y = [0, 1, 0, 1, 1];
  const p = [0.1, 0.35, 0.4, 0.8, 0.2];
  // Positive-negative pairs ranked right: (0.35 > 0.1), (0.8 > 0.1), (0.8 > 0.4), (0.2 > 0.1): 4 of 6.
  close(resultOf(new AUC(), [y, p]), 4 / 6, 1e-9, 'auc one batch');
  close(resultOf(new AUC(), [y.slice(0, 2), p.slice(0, 2)], [y.slice(2), p.slice(2)]), 4 / 6, 1e-9, 'auc two batches');
  // Logits: σ is monotone, so the same ranking from logits with fromLogits.
  const logits = p.map((v) => Math.log(v / (1 - v)));
  close(resultOf(new AUC({ fromLogits: true }), [y, logits]), 4 / 6, 1e-9, 'auc from logits');
  // Precision over two batches: TP, FP counted over both (2 TP, 1 FP), not the mean of the batches' precisions (1 and 0.5).
  close(resultOf(new Precision(), [[1, 1], [0.9, 0.8]], [[0, 1], [0.7, 0.6]]), 3 / 4, 1e-9, 'precision streams');
  close(resultOf(new Precision({ thresholds: 0.65 }), [[1, 1], [0.9, 0.8]], [[0, 1], [0.7, 0.6]]), 2 / 3, 1e-9, 'precision threshold 0.65');
  close(resultOf(new Recall(), [[1, 0], [0.2, 0.9]]), 0, 1e-9, 'recall with no true positive');
  close(new Precision().result(), 0, 0, 'precision before any batch');
});

test('mean metrics weight each batch by its size; a user function is the mean of what it returns', () => {
  const m = new BinaryAccuracy();
  m.update(tensor([[1], [1], [0]]), tensor([[0.9], [0.1], [0.2]]));
  m.update(tensor([[0]]), tensor([[0.8]]));
  close(m.result(), (3 * (2 / 3) + 1 * 0) / 4, 1e-9, 'batch-size weighted mean');
  const fn = (yTrue: Tensor, yPred: Tensor): Tensor => mean(yPred);
  const wrapped = new MeanMetricWrapper(fn, 'mean_prediction');
  wrapped.update(tensor([[0], [0]]), tensor([[1], [3]]));
  wrapped.update(tensor([[0]]), tensor([[8]]));
  close(wrapped.result(), (2 * 2 + 8) / 3, 1e-9, 'user function');
});

test('in fit and evaluate: log keys as Keras names them, metrics over the whole data set, names as TF.js users write them', async () => {
  const x = tensor([[0.5, -1], [2, 0.3], [-0.7, 0.1], [1, 1], [0.2, -0.4], [-1.5, 2]]);
  const y = tensor([[1], [0], [1], [0], [1], [1]]);
  const model = new Sequential([new Dense(1, { inputShape: [2], activation: 'sigmoid' })]);
  function meanPrediction(_yTrue: Tensor, yPred: Tensor): Tensor {
    return mean(yPred);
  }
  const metrics: Array<MetricName | Metric | typeof meanPrediction> = ['binaryAccuracy', 'auc', 'Precision', 'recall', 'mse', 'MAE', 'acc', meanPrediction];
  model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics });
  const logs = await model.evaluate(x, y, { batchSize: 4 });
  assert.equal(Object.keys(logs), ['loss', 'binary_accuracy', 'auc', 'precision', 'recall', 'mse', 'mae', 'acc', 'meanPrediction']);
  const p = model.predict(x);
  const auc = new AUC();
  auc.update(y, p);
  close(logs.auc, auc.result(), 1e-12, 'auc over two batches = auc over all');
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < 6; i++) {
    sum += p.data[i];
    sq += (p.data[i] - y.data[i]) ** 2;
  }
  close(logs.meanPrediction, sum / 6, 1e-6, 'user metric');
  close(logs.mse, sq / 6, 1e-6, 'mse');
  const again = await model.evaluate(x, y, { batchSize: 4 });
  assert.equal(again, logs, 'a second evaluate starts the metrics afresh');
  const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, validationData: [x, y] });
  assert.ok('val_auc' in history.history && 'val_meanPrediction' in history.history && 'precision' in history.history, Object.keys(history.history).join(', '));
});

test('streaming metrics are reset at every epoch and every validation', async () => {
  /** Counts the updates since its last reset. */
  class Updates extends Metric {
    private n = 0;
    constructor() {
      super('updates');
    }
    update(): void {
      this.n++;
    }
    result(): number {
      return this.n;
    }
    reset(): void {
      this.n = 0;
    }
    changedOptions(): Record<string, number> {
      return {};
    }
  }
  const x = tensor([[1], [2], [3], [4], [5]]);
  const y = tensor([[1], [2], [3], [4], [5]]);
  const model = new Sequential([new Dense(1, { inputShape: [1] })]);
  model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse', metrics: [new Updates()] });
  const seen: number[] = [];
  const cb: Callback = { onBatchEnd: (_b: number, logs?: Logs) => { seen.push(logs!.updates); } };
  const history = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, validationData: [x, y], callbacks: [cb] });
  assert.equal(history.history.updates, [3, 3, 3]);
  assert.equal(history.history.val_updates, [3, 3, 3]);
  assert.equal(seen, [1, 2, 3, 1, 2, 3, 1, 2, 3]);
});

test('a name repeated in one list gets the key _1 (as Keras); a metric object is given once', () => {
  const model = new Sequential([new Dense(2, { inputShape: [2], activation: 'softmax' })]);
  model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', metrics: ['accuracy', 'topKCategoricalAccuracy', 'accuracy'] });
  assert.equal(model.outputMetrics[0].map((m) => m.name), ['accuracy', 'top_k_categorical_accuracy', 'accuracy_1']);
  assert.ok(model.outputMetrics[0][0] instanceof CategoricalAccuracy);
  const shared = new Precision();
  assert.throws(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: [shared, shared] }), /compile: metric object 'precision' is given twice/);
});

test('model.metricNames: names as a file holds them; a metric no name describes makes it throw', () => {
  const model = new Sequential([new Dense(1, { inputShape: [2], activation: 'sigmoid' })]);
  model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['acc', 'binaryAccuracy', new AUC(), 'MSE'] });
  assert.equal(model.metricNames, ['acc', 'binary_accuracy', 'auc', 'mse']);
  model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: [new AUC({ numThresholds: 50 })] });
  assert.throws(() => model.metricNames, /metric 'auc' of output 'dense(_\d+)?' is not described by a name alone; read model.outputMetrics/);
});

test('bad metrics and options are errors naming them', () => {
  assert.throws(() => getMetric('f1', 'mse'), /compile: unknown metric 'f1'; known: acc, accuracy, binary_accuracy, .*auc, AUC, a metric object or a function/);
  assert.throws(() => getMetric(() => tensor([1]), 'mse'), /a metric function needs a name/);
  assert.throws(() => new BinaryAccuracy({ threshold: Number.NaN }), /BinaryAccuracy: threshold must be a number in \[0, 1\], got the number NaN/);
  assert.throws(() => new TopKCategoricalAccuracy({ k: 0 }), /TopKCategoricalAccuracy: k must be an integer ≥ 1, got the number 0/);
  assert.throws(() => new AUC({ numThresholds: 1 }), /AUC: numThresholds must be an integer ≥ 2, got the number 1/);
  assert.throws(() => new Precision({ thresholds: 2 }), /Precision: thresholds must be a number in \[0, 1\], got the number 2/);
  assert.throws(() => new Recall({ topK: 1 } as never), /Recall: unknown option 'topK'; known: thresholds, name/);
  const m = new MeanMetricWrapper(() => 3 as unknown as Tensor, 'bad');
  assert.throws(() => m.update(tensor([[1]]), tensor([[1]])), /metric 'bad': the function must return a Tensor of values, got the number 3/);
});

test.run();
