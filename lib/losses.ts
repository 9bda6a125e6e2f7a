/**
 * Losses, as Keras defines them. A loss gives one value per sample — per
 * timestep for a sequence output: the prediction's shape without its last
 * axis — and reduces them as Keras's 'sum_over_batch_size' does:
 *
 *   loss = Σᵢ wᵢ·lᵢ / N      (N values; wᵢ = 1 without sample weights)
 *
 * so sample weights scale each value and never change the divisor.
 *
 * Cross-entropies take probabilities by default. Of a sigmoid or softmax
 * output they are computed from the logits behind it (log σ(z),
 * log softmax(z)), which is exact where the probability rounds to 0 or 1;
 * other probabilities are clipped to [1e−7, 1 − 1e−7] as Keras does. With
 * `fromLogits: true` the prediction is the logits z themselves:
 *   binary:      softplus(z) − y·z            (= −[y log σ(z) + (1 − y) log σ(−z)])
 *   categorical: −Σ_c y_c log softmax(z)_c
 * both finite for any finite z. `labelSmoothing` ε moves the targets as
 * Keras does: binary y(1 − ε) + ε/2, categorical y(1 − ε) + ε/C.
 */
import {
  Tensor, abs, add, addScalar, allocate, clip, formatShape, log, logSoftmax, mean, mul, mulScalar, neg, reshape, softplus, sub, sum,
} from '../autograd/index.ts';
import { logitsOf } from './layers/dense.ts';
import { describeValue } from './model/inputs.ts';

/** Unrolled's name of each loss (Keras's short names). */
export type LossName = 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mse' | 'mae';
/** Every spelling `compile` takes: Keras's names and aliases, its class names, and TF.js's camelCase names. */
export type LossSpelling = LossName
  | 'mean_squared_error' | 'mean_absolute_error' | 'MSE' | 'MAE' | 'bce' | 'BCE'
  | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError'
  | 'BinaryCrossentropy' | 'CategoricalCrossentropy' | 'SparseCategoricalCrossentropy' | 'MeanSquaredError' | 'MeanAbsoluteError';
/** A loss as `compile` takes it: a name or a loss object. */
export type LossIdentifier = LossSpelling | Loss;
/** A loss as a plain function of (prediction, targets): the reduced loss, a scalar. */
export type LossFunction = (yPred: Tensor, yTrue: Tensor) => Tensor;

const EPSILON = 1e-7;

/** The spellings of each loss. */
const SPELLINGS: Readonly<Record<LossName, readonly string[]>> = {
  binary_crossentropy: ['binary_crossentropy', 'bce', 'BCE', 'binaryCrossentropy', 'BinaryCrossentropy'],
  categorical_crossentropy: ['categorical_crossentropy', 'categoricalCrossentropy', 'CategoricalCrossentropy'],
  sparse_categorical_crossentropy: ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy', 'SparseCategoricalCrossentropy'],
  mse: ['mse', 'mean_squared_error', 'MSE', 'meanSquaredError', 'MeanSquaredError'],
  mae: ['mae', 'mean_absolute_error', 'MAE', 'meanAbsoluteError', 'MeanAbsoluteError'],
};

const BY_SPELLING: ReadonlyMap<string, LossName> = new Map(
  (Object.entries(SPELLINGS) as Array<[LossName, readonly string[]]>).flatMap(([name, list]) => list.map((s): [string, LossName] => [s, name])),
);

/** The loss a spelling names, or undefined (never through an object's prototype). */
export function lossNameOf(spelling: string): LossName | undefined {
  return BY_SPELLING.get(spelling);
}

/** The targets as a constant of the prediction's shape and dtype. */
function targetsLike(loss: string, yPred: Tensor, yTrue: Tensor): Tensor {
  if (yTrue.size !== yPred.size) {
    throw new Error(`${loss}: targets ${formatShape(yTrue.shape)} do not match predictions ${formatShape(yPred.shape)}`);
  }
  const data = yTrue.dtype === yPred.dtype ? yTrue.data : allocate(yPred.dtype, yTrue.size);
  if (data !== yTrue.data) data.set(yTrue.data);
  return new Tensor(data, yPred.shape);
}

/** A prediction of one axis ([B]) as [B, 1], so that every loss reduces a last axis. */
function withLastAxis(t: Tensor): Tensor {
  return t.rank >= 2 ? t : reshape(t, [t.shape[0] ?? 1, 1]);
}

function smoothed(y: Tensor, smoothing: number, classes: number): Tensor {
  if (smoothing === 0) return y;
  const shift = classes === 0 ? smoothing / 2 : smoothing / classes;
  return new Tensor(y.data.map((v) => v * (1 - smoothing) + shift), y.shape);
}

interface LossOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

function checkOptions(className: string, options: unknown, known: readonly string[]): LossOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${className}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${className}: unknown option '${key}'; known: ${known.join(', ') || 'none'}`);
  }
  const { fromLogits, labelSmoothing } = options as LossOptions;
  if (fromLogits !== undefined && typeof fromLogits !== 'boolean') throw new Error(`${className}: fromLogits must be true or false, got ${describeValue(fromLogits)}`);
  if (labelSmoothing !== undefined && !(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`${className}: labelSmoothing must be a number in [0, 1], got ${describeValue(labelSmoothing)}`);
  }
  return options as LossOptions;
}

/**
 * A loss object, as Keras's `keras.losses.Loss`: `call(yTrue, yPred,
 * sampleWeight?)` gives the reduced loss; `compile` takes it in place of a
 * name.
 */
export abstract class Loss {
  /** Keras's class name ('BinaryCrossentropy'). */
  abstract readonly className: string;
  /** Unrolled's name of the loss ('binary_crossentropy'). */
  abstract readonly kind: LossName;
  /** Keras's default `name` of the loss object ('binary_crossentropy', 'mean_squared_error'). */
  abstract readonly name: string;
  readonly fromLogits: boolean = false;
  readonly labelSmoothing: number = 0;

  /** One loss per sample (per timestep for sequences): shape of `yPred` without its last axis. Recorded on the tape. */
  abstract values(yPred: Tensor, yTrue: Tensor): Tensor;

  /** The loss over a batch: Σ w·l / N (Keras's 'sum_over_batch_size'); `sampleWeight` [B] or one per value ([B, T]). */
  call(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    const values = this.values(yPred, yTrue);
    return reduceLoss(values, sampleWeight === undefined ? null : expandWeights(this.className, 'sampleWeight', sampleWeight, values.shape));
  }

  /** True when the name alone says everything about this loss (its options are the defaults). */
  get isPlain(): boolean {
    return !this.fromLogits && this.labelSmoothing === 0;
  }

  /** `BinaryCrossentropy { fromLogits: true }`, for messages. */
  toString(): string {
    const options = [this.fromLogits ? 'fromLogits: true' : '', this.labelSmoothing !== 0 ? `labelSmoothing: ${this.labelSmoothing}` : ''].filter(Boolean);
    return options.length === 0 ? this.className : `${this.className} { ${options.join(', ')} }`;
  }
}

/** −[y log p + (1 − y) log(1 − p)], mean over the last axis; labels in [0, 1]. */
export class BinaryCrossentropy extends Loss {
  readonly className = 'BinaryCrossentropy';
  readonly kind = 'binary_crossentropy';
  readonly name = 'binary_crossentropy';
  override readonly fromLogits: boolean;
  override readonly labelSmoothing: number;

  constructor(options?: { fromLogits?: boolean; labelSmoothing?: number }) {
    super();
    const o = checkOptions('BinaryCrossentropy', options, ['fromLogits', 'labelSmoothing']);
    this.fromLogits = o.fromLogits ?? false;
    this.labelSmoothing = o.labelSmoothing ?? 0;
  }

  values(yPred: Tensor, yTrue: Tensor): Tensor {
    for (let i = 0; i < yTrue.size; i++) {
      const v = yTrue.data[i];
      if (!(v >= 0 && v <= 1)) throw new Error(`binary_crossentropy: label ${v} at position ${i} of targets ${formatShape(yTrue.shape)} is outside [0, 1]`);
    }
    const p = withLastAxis(yPred);
    const y = smoothed(targetsLike('binary_crossentropy', p, yTrue), this.labelSmoothing, 0);
    const behind = logitsOf.get(yPred);
    const z = this.fromLogits ? p : behind?.kind === 'sigmoid' ? withLastAxis(behind.logits) : null;
    if (z) return mean(sub(softplus(z), mul(y, z)), -1);
    const q = clip(p, EPSILON, 1 - EPSILON);
    const oneMinusY = new Tensor(y.data.map((v) => 1 - v), y.shape);
    return neg(mean(add(mul(y, log(q)), mul(oneMinusY, log(addScalar(neg(q), 1)))), -1));
  }
}

/** −Σ_c y_c log p_c over the last axis; y one-hot (or soft). */
export class CategoricalCrossentropy extends Loss {
  readonly className = 'CategoricalCrossentropy';
  readonly kind = 'categorical_crossentropy';
  readonly name = 'categorical_crossentropy';
  override readonly fromLogits: boolean;
  override readonly labelSmoothing: number;

  constructor(options?: { fromLogits?: boolean; labelSmoothing?: number }) {
    super();
    const o = checkOptions('CategoricalCrossentropy', options, ['fromLogits', 'labelSmoothing']);
    this.fromLogits = o.fromLogits ?? false;
    this.labelSmoothing = o.labelSmoothing ?? 0;
  }

  values(yPred: Tensor, yTrue: Tensor): Tensor {
    const p = withLastAxis(yPred);
    const y = smoothed(targetsLike('categorical_crossentropy', p, yTrue), this.labelSmoothing, p.shape[p.rank - 1]);
    return crossentropyValues(p, y, this.fromLogits, yPred);
  }
}

/** −Σ_c y_c log p_c over the last axis, from logits, the softmax's logits or clipped probabilities. */
function crossentropyValues(p: Tensor, y: Tensor, fromLogits: boolean, original: Tensor): Tensor {
  const behind = logitsOf.get(original);
  const logP = fromLogits ? logSoftmax(p) : behind?.kind === 'softmax' ? logSoftmax(withLastAxis(behind.logits)) : log(clip(p, EPSILON, 1 - EPSILON));
  return neg(sum(mul(y, logP), -1));
}

/** Categorical cross-entropy with integer class labels: [B] or [B, 1] (per timestep [B, T] or [B, T, 1]). */
export class SparseCategoricalCrossentropy extends Loss {
  readonly className = 'SparseCategoricalCrossentropy';
  readonly kind = 'sparse_categorical_crossentropy';
  readonly name = 'sparse_categorical_crossentropy';
  override readonly fromLogits: boolean;

  constructor(options?: { fromLogits?: boolean }) {
    super();
    this.fromLogits = checkOptions('SparseCategoricalCrossentropy', options, ['fromLogits']).fromLogits ?? false;
  }

  values(yPred: Tensor, yTrue: Tensor): Tensor {
    const p = withLastAxis(yPred);
    const classes = p.shape[p.rank - 1];
    const rows = p.size / classes;
    if (yTrue.size !== rows) {
      throw new Error(`sparse_categorical_crossentropy: ${yTrue.size} labels (${formatShape(yTrue.shape)}) for ${rows} predictions ${formatShape(yPred.shape)}`);
    }
    const oneHot = new Tensor(allocate(p.dtype, p.size), p.shape);
    for (let r = 0; r < rows; r++) {
      const c = yTrue.data[r];
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new Error(`sparse_categorical_crossentropy: label ${c} at position ${r} is not a class in [0, ${classes})`);
      }
      oneHot.data[r * classes + c] = 1;
    }
    return crossentropyValues(p, oneHot, this.fromLogits, yPred);
  }
}

/** Mean of (p − y)² over the last axis. */
export class MeanSquaredError extends Loss {
  readonly className = 'MeanSquaredError';
  readonly kind = 'mse';
  readonly name = 'mean_squared_error';

  constructor(options?: Record<string, never>) {
    super();
    checkOptions('MeanSquaredError', options, []);
  }

  values(yPred: Tensor, yTrue: Tensor): Tensor {
    const p = withLastAxis(yPred);
    const d = sub(p, targetsLike('mse', p, yTrue));
    return mean(mul(d, d), -1);
  }
}

/** Mean of |p − y| over the last axis. */
export class MeanAbsoluteError extends Loss {
  readonly className = 'MeanAbsoluteError';
  readonly kind = 'mae';
  readonly name = 'mean_absolute_error';

  constructor(options?: Record<string, never>) {
    super();
    checkOptions('MeanAbsoluteError', options, []);
  }

  values(yPred: Tensor, yTrue: Tensor): Tensor {
    const p = withLastAxis(yPred);
    return mean(abs(sub(p, targetsLike('mae', p, yTrue))), -1);
  }
}

/** A loss object of default options for each name. */
export function lossObject(name: LossName): Loss {
  switch (name) {
    case 'binary_crossentropy': return new BinaryCrossentropy();
    case 'categorical_crossentropy': return new CategoricalCrossentropy();
    case 'sparse_categorical_crossentropy': return new SparseCategoricalCrossentropy();
    case 'mse': return new MeanSquaredError();
    case 'mae': return new MeanAbsoluteError();
  }
}

/** The loss `compile` makes of a name or loss object, or an error listing the names it knows. */
export function resolveLoss(identifier: unknown, where = 'compile'): Loss {
  if (identifier instanceof Loss) return identifier;
  const name = typeof identifier === 'string' ? lossNameOf(identifier) : undefined;
  if (name) return lossObject(name);
  const shown = typeof identifier === 'string' ? `'${identifier}'` : describeValue(identifier);
  throw new Error(`${where}: unknown loss ${shown}; known: ${[...BY_SPELLING.keys()].join(', ')}, or a loss object (new BinaryCrossentropy({ fromLogits: true }), …)`);
}

/** Σ w·l / N over all N values (the plain mean without weights); `weights` one per value. */
export function reduceLoss(values: Tensor, weights: ArrayLike<number> | null): Tensor {
  if (weights === null) return mean(values);
  const w = new Tensor(allocate(values.dtype, values.size), values.shape);
  w.data.set(weights);
  return mulScalar(sum(mul(values, w)), 1 / values.size);
}

/**
 * Sample weights spread over a loss's values: `[B]` (or `[B, 1]`) repeats
 * each sample's weight over its timesteps; a weight per value (`[B, T]`) is
 * taken as it is. Negative or non-finite weights and shapes that fit
 * neither are errors naming `what` and the numbers.
 */
export function expandWeights(where: string, what: string, weights: Tensor, valuesShape: readonly number[]): Float64Array {
  for (let i = 0; i < weights.size; i++) {
    const v = weights.data[i];
    if (!Number.isFinite(v) || v < 0) throw new Error(`${where}: ${what} holds ${v} at position ${i}; sample weights must be finite and non-negative`);
  }
  const batch = valuesShape[0] ?? 1;
  const size = valuesShape.reduce((n, d) => n * d, 1);
  const perSample = weights.size === batch && (weights.rank === 1 || (weights.rank === 2 && weights.shape[1] === 1));
  const perValue = weights.size === size && weights.rank >= 2 && weights.shape[0] === batch;
  if (perSample) {
    const inner = size / batch;
    return Float64Array.from({ length: size }, (_, i) => weights.data[Math.floor(i / inner)]);
  }
  if (perValue) return Float64Array.from(weights.data);
  throw new Error(`${where}: ${what} has shape ${formatShape(weights.shape)}; it must be [${batch}] (one weight per sample)${valuesShape.length > 1 ? ` or ${formatShape(valuesShape)} (one per timestep)` : ''}`);
}

/** Each loss as a plain function (yPred, yTrue) → scalar, with default options. */
export const LOSSES: Readonly<Record<LossName, LossFunction>> = {
  binary_crossentropy: (p, y) => new BinaryCrossentropy().call(y, p),
  categorical_crossentropy: (p, y) => new CategoricalCrossentropy().call(y, p),
  sparse_categorical_crossentropy: (p, y) => new SparseCategoricalCrossentropy().call(y, p),
  mse: (p, y) => new MeanSquaredError().call(y, p),
  mae: (p, y) => new MeanAbsoluteError().call(y, p),
};

/** The loss function of any spelling of a loss name. */
export function getLoss(name: string): LossFunction {
  const loss = resolveLoss(name);
  return (p, y) => loss.call(y, p);
}

