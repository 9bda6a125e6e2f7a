/**
 * Losses and metrics of a compiled model as a file holds them: by name
 * where a name says all of a metric (Keras's class for that name, with its
 * default options), else as the object itself.
 */
import type { LossName } from '../losses.ts';
import { MeanMetricWrapper, getMetric, metricKeyOf, type Metric, type MetricName } from '../metrics.ts';

/**
 * The name that describes `m` for an output trained with `loss` — its log
 * key is that name, it is the class `getMetric` makes of it, its options
 * are the defaults — or null when no name does (a function, options, a
 * name of its own).
 */
export function metricNameOf(m: Metric, loss: LossName): MetricName | null {
  if (m instanceof MeanMetricWrapper || metricKeyOf(m.name) !== m.name || Object.keys(m.changedOptions()).length > 0) return null;
  return getMetric(m.name, loss).constructor === m.constructor ? (m.name as MetricName) : null;
}
