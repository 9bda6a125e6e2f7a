/**
 * Metrics, computed on plain numbers after each batch (no tape): each returns
 * the batch's sum so that epoch averages weight every sample equally.
 */
import type { Tensor } from '../autograd/index.ts';
import type { LossName } from './losses.ts';

export type MetricName = 'acc' | 'accuracy' | 'mae';

export interface Metric {
  /** The key in logs and History ('acc', 'accuracy', 'mae'). */
  name: string;
  /** Sum over the samples of the batch; divided by the sample count for the average. */
  batchSum: (yPred: Tensor, yTrue: Tensor) => number;
}

function binaryAccuracy(yPred: Tensor, yTrue: Tensor): number {
  let hits = 0;
  for (let i = 0; i < yPred.size; i++) hits += (yPred.data[i] > 0.5 ? 1 : 0) === (yTrue.data[i] > 0.5 ? 1 : 0) ? 1 : 0;
  return (hits / yPred.size) * rowsOf(yPred);
}

function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (data[offset + j] > data[offset + best]) best = j;
  return best;
}

function rowsOf(t: Tensor): number {
  return t.shape[0];
}

function categoricalAccuracy(sparse: boolean) {
  return (yPred: Tensor, yTrue: Tensor): number => {
    const c = yPred.shape[yPred.rank - 1];
    const rows = yPred.size / c;
    let hits = 0;
    for (let r = 0; r < rows; r++) {
      const label = sparse ? yTrue.data[r] : argmax(yTrue.data, r * c, c);
      hits += argmax(yPred.data, r * c, c) === label ? 1 : 0;
    }
    return (hits / rows) * rowsOf(yPred);
  };
}

function meanAbsolute(yPred: Tensor, yTrue: Tensor): number {
  let s = 0;
  for (let i = 0; i < yPred.size; i++) s += Math.abs(yPred.data[i] - yTrue.data[i]);
  return (s / yPred.size) * rowsOf(yPred);
}

/** Resolves a metric name; 'acc' picks the accuracy that fits the loss, as Keras does. */
export function getMetric(name: string, loss: LossName): Metric {
  if (name === 'acc' || name === 'accuracy') {
    const batchSum = loss === 'categorical_crossentropy' ? categoricalAccuracy(false)
      : loss === 'sparse_categorical_crossentropy' ? categoricalAccuracy(true)
        : binaryAccuracy;
    return { name, batchSum };
  }
  if (name === 'mae') return { name, batchSum: meanAbsolute };
  throw new Error(`compile: unknown metric '${name}'; known: acc, accuracy, mae`);
}
