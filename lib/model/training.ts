/**
 * What training needs besides the graph: sample weights and class weights
 * turned into one weight per loss value, checked against the data, and the
 * weighted losses of a batch.
 *
 * Keras's rules: a sample weight is one number per sample ([N]), or for a
 * sequence output one per timestep ([N, T]); `classWeight` ({ class:
 * weight }) gives each sample the weight of its class (the label; the
 * argmax of a one-hot target; the rounded target of a binary output), 1 for
 * classes it does not name; the two cannot be combined, and classWeight
 * serves a model with one output. A loss is Σ w·l / N over its N values.
 */
import { Tensor, add, allocate, mulScalar, type FloatArray } from '../../autograd/index.ts';
import { expandWeights, reduceLoss, type Loss } from '../losses.ts';
import { describeValue, isKeyed, splitByName, toTensor } from './inputs.ts';

/** Class index → weight, as Keras's `class_weight` dict (`{ 0: 1, 1: 5 }`). */
export type ClassWeight = Readonly<Record<number, number>>;

/** What one loss of the model is computed with. */
export interface WeightedOutput {
  readonly name: string;
  readonly loss: Loss;
  /** The output's loss weight in the total (compile's lossWeights). */
  readonly weight: number;
}

/** The shape of a loss's values for targets `y` of `rows` samples (prediction shape without its last axis). */
export function valuesShapeOf(loss: Loss, y: Tensor): number[] {
  if (loss.kind === 'sparse_categorical_crossentropy') return y.rank > 1 && y.shape[y.rank - 1] === 1 ? y.shape.slice(0, -1) : [...y.shape];
  return y.rank > 1 ? y.shape.slice(0, -1) : [...y.shape];
}

function isFlat(value: unknown): boolean {
  return value instanceof Tensor || ArrayBuffer.isView(value) || (Array.isArray(value) && value.every((v) => typeof v === 'number' || ArrayBuffer.isView(v)));
}

/**
 * `sampleWeight` as one tensor (or null) per output, each checked against
 * that output's targets: one array serves every output; several outputs
 * take a list or an object keyed by output name too.
 */
export function sampleWeightsOf(where: string, value: unknown, outputs: readonly WeightedOutput[], ys: readonly Tensor[]): Array<Tensor | null> {
  if (value === undefined || value === null) return outputs.map(() => null);
  const names = outputs.map((o) => o.name);
  const parts = names.length > 1 && isFlat(value)
    ? names.map(() => ({ label: 'sampleWeight', value }))
    : splitByName(where, 'sampleWeight', value, names, 'output');
  return parts.map(({ label, value: v }, i) => {
    if (v === undefined || v === null) return null;
    const w = toTensor(v, where, label, 'float64');
    expandWeights(where, label, w, valuesShapeOf(outputs[i].loss, ys[i]));
    return w;
  });
}

/** The class of each loss value of `y`, for classWeight. */
function classesOf(loss: Loss, y: Tensor): { labels: Float64Array; classes: (units: number) => number } {
  const last = y.rank > 1 ? y.shape[y.rank - 1] : 1;
  if (loss.kind === 'sparse_categorical_crossentropy') return { labels: Float64Array.from(y.data), classes: (units) => units };
  if (last > 1) {
    const rows = y.size / last;
    const labels = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < last; j++) if (y.data[r * last + j] > y.data[r * last + best]) best = j;
      labels[r] = best;
    }
    return { labels, classes: () => last };
  }
  return { labels: Float64Array.from(y.data, (v) => Math.round(v)), classes: () => 2 };
}

/**
 * Keras's class_weight as sample weights for targets `y` of an output with
 * `units` units: each value gets its class's weight (1 for classes not
 * named). A class the output does not have, or a negative or non-finite
 * weight, is an error naming it.
 */
export function classWeightsToSampleWeights(where: string, classWeight: unknown, output: WeightedOutput, y: Tensor, units: number): Tensor {
  if (!isKeyed(classWeight)) throw new Error(`${where}: classWeight must be an object { class: weight } such as { 0: 1, 1: 5 }, got ${describeValue(classWeight)}`);
  const { labels, classes } = classesOf(output.loss, y);
  const count = classes(units);
  const table = new Map<number, number>();
  for (const [key, w] of Object.entries(classWeight)) {
    const c = Number(key);
    if (!/^\d+$/.test(key) || c >= count) {
      throw new Error(`${where}: classWeight names class ${JSON.stringify(key)}, but output '${output.name}' has ${count} classes (0 to ${count - 1})`);
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new Error(`${where}: classWeight for class ${key} must be a finite non-negative number, got ${describeValue(w)}`);
    table.set(c, w);
  }
  const shape = valuesShapeOf(output.loss, y);
  const weights = allocate('float64', labels.length);
  labels.forEach((c, i) => { weights[i] = table.get(c) ?? 1; });
  return new Tensor(weights, shape);
}

/** Each output's loss (Σ w·l / N) and the total weighted by the loss weights. */
export function weightedLosses(
  where: string, outputs: readonly WeightedOutput[], outs: readonly Tensor[], ys: readonly Tensor[], ws: ReadonlyArray<Tensor | null> | undefined,
): { total: Tensor; parts: Tensor[] } {
  const parts = outputs.map((o, i) => {
    const values = o.loss.values(outs[i], ys[i]);
    const w = ws?.[i];
    return reduceLoss(values, w ? expandWeights(where, 'sampleWeight', w, values.shape) : null);
  });
  const weighted = parts.map((l, i) => (outputs[i].weight === 1 ? l : mulScalar(l, outputs[i].weight)));
  return { total: weighted.reduce((sum, l) => add(sum, l)), parts };
}

/** Rows `indices[start..end)` of `t` (first axis), copied. */
export function takeRows(t: Tensor, indices: ArrayLike<number>, start: number, end: number): Tensor {
  const row = t.size / t.shape[0];
  const out: FloatArray = allocate(t.dtype, (end - start) * row);
  for (let i = start; i < end; i++) out.set(t.data.subarray(indices[i] * row, (indices[i] + 1) * row), (i - start) * row);
  return new Tensor(out, [end - start, ...t.shape.slice(1)]);
}

