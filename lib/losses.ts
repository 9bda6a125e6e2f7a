/**
 * Losses: each takes the model's output and the targets (same number of
 * elements) and returns the mean loss over the batch as a scalar tensor.
 * Cross-entropies of a sigmoid or softmax output are computed from the
 * logits behind it (log σ(z), log softmax(z)), which is exact where the
 * probability rounds to 0 or 1; otherwise probabilities are clipped to
 * [1e−7, 1 − 1e−7] as Keras does.
 */
import {
  Tensor, abs, add, addScalar, clip, formatShape, log, logSoftmax, mean, mul, mulScalar, neg, softplus, sub, sum,
} from '../autograd/index.ts';
import { logitsOf } from './layers/dense.ts';

export type LossName = 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mse' | 'mae';
export type LossFunction = (yPred: Tensor, yTrue: Tensor) => Tensor;

const EPSILON = 1e-7;

/** The targets as a constant of the prediction's shape and dtype. */
function targetsLike(loss: string, yPred: Tensor, yTrue: Tensor): Tensor {
  if (yTrue.size !== yPred.size) {
    throw new Error(`${loss}: targets ${formatShape(yTrue.shape)} do not match predictions ${formatShape(yPred.shape)}`);
  }
  const data = yTrue.dtype === yPred.dtype ? yTrue.data : (yPred.dtype === 'float64' ? Float64Array.from(yTrue.data) : Float32Array.from(yTrue.data));
  return new Tensor(data, yPred.shape);
}

/** −[y log p + (1 − y) log(1 − p)], mean over all elements. */
export function binaryCrossentropy(yPred: Tensor, yTrue: Tensor): Tensor {
  for (let i = 0; i < yTrue.size; i++) {
    const v = yTrue.data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new Error(`binary_crossentropy: label ${v} at position ${i} of targets ${formatShape(yTrue.shape)} is outside [0, 1]`);
    }
  }
  const y = targetsLike('binary_crossentropy', yPred, yTrue);
  const behind = logitsOf.get(yPred);
  if (behind?.kind === 'sigmoid') {
    // −[y log σ(z) + (1 − y) log σ(−z)] = softplus(z) − y·z
    const z = behind.logits;
    return mean(sub(softplus(z), mul(y, z)));
  }
  const p = clip(yPred, EPSILON, 1 - EPSILON);
  const oneMinusY = new Tensor(y.data.map((v) => 1 - v), y.shape);
  const oneMinusP = addScalar(neg(p), 1);
  return neg(mean(add(mul(y, log(p)), mul(oneMinusY, log(oneMinusP)))));
}

/** −Σ_c y_c log p_c per sample, mean over the batch; y one-hot (or soft) over the last axis. */
export function categoricalCrossentropy(yPred: Tensor, yTrue: Tensor): Tensor {
  const y = targetsLike('categorical_crossentropy', yPred, yTrue);
  const classes = yPred.shape[yPred.rank - 1];
  const behind = logitsOf.get(yPred);
  const logP = behind?.kind === 'softmax' ? logSoftmax(behind.logits) : log(clip(yPred, EPSILON, 1 - EPSILON));
  return mulScalar(neg(sum(mul(y, logP))), classes / yPred.size);
}

/** Categorical cross-entropy with integer class labels [B] (or [B, 1]). */
export function sparseCategoricalCrossentropy(yPred: Tensor, yTrue: Tensor): Tensor {
  const classes = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / classes;
  if (yTrue.size !== rows) {
    throw new Error(`sparse_categorical_crossentropy: ${yTrue.size} labels (${formatShape(yTrue.shape)}) for ${rows} predictions ${formatShape(yPred.shape)}`);
  }
  const oneHot = new Tensor(yPred.dtype === 'float64' ? new Float64Array(yPred.size) : new Float32Array(yPred.size), yPred.shape);
  for (let r = 0; r < rows; r++) {
    const c = yTrue.data[r];
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new Error(`sparse_categorical_crossentropy: label ${c} at position ${r} is not a class in [0, ${classes})`);
    }
    oneHot.data[r * classes + c] = 1;
  }
  return categoricalCrossentropy(yPred, oneHot);
}

/** Mean of (p − y)². */
export function meanSquaredError(yPred: Tensor, yTrue: Tensor): Tensor {
  const d = sub(yPred, targetsLike('mse', yPred, yTrue));
  return mean(mul(d, d));
}

/** Mean of |p − y|. */
export function meanAbsoluteError(yPred: Tensor, yTrue: Tensor): Tensor {
  return mean(abs(sub(yPred, targetsLike('mae', yPred, yTrue))));
}

export const LOSSES: Readonly<Record<LossName, LossFunction>> = {
  binary_crossentropy: binaryCrossentropy,
  categorical_crossentropy: categoricalCrossentropy,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  mse: meanSquaredError,
  mae: meanAbsoluteError,
};

export function getLoss(name: string): LossFunction {
  const key = name === 'mean_squared_error' ? 'mse' : name === 'mean_absolute_error' ? 'mae' : name;
  const fn = Object.prototype.hasOwnProperty.call(LOSSES, key) ? LOSSES[key as LossName] : undefined;
  if (!fn) throw new Error(`compile: unknown loss '${name}'; known: ${Object.keys(LOSSES).join(', ')}`);
  return fn;
}
