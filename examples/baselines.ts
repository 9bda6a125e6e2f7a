/**
 * Two baselines for a window forecast, to hold the recurrent models against:
 *
 * 1. persistence, the walkthrough's common-sense baseline: the forecast is
 *    the target feature at the window's last timestep ("tomorrow as today");
 * 2. ridge regression on the flattened window, solved in closed form,
 *    (XᵀX + λI)·w = Xᵀy, in float64 by a Cholesky factorisation.
 *
 * B windows, T timesteps, F features; D = T·F inputs of the linear model.
 * Errors are mean absolute errors in the units of the targets given (the
 * caller multiplies normalised errors by the target's std for °C).
 */
import { Tensor } from '../lib/index.ts';

/** Mean of |p − y|. */
export function meanAbsoluteError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (predictions.length !== targets.length || targets.length === 0) {
    throw new Error(`meanAbsoluteError: ${predictions.length} predictions for ${targets.length} targets`);
  }
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += Math.abs(predictions[i] - targets[i]);
  return sum / targets.length;
}

// ---------------------------------------------------------------- persistence

/**
 * The persistence forecast of each window: x[b, T − 1, targetColumn].
 *
 * @param x `[B, T, F]`.
 * @returns `[B]` float64.
 */
export function persistenceForecast(x: Tensor, targetColumn: number): Float64Array {
  const [B, T, F] = x.shape;
  const out = new Float64Array(B); // [B]
  for (let b = 0; b < B; b++) out[b] = x.data[(b * T + T - 1) * F + targetColumn];
  return out;
}

// ---------------------------------------------------------------- ridge regression

/**
 * Solves A·w = b for a symmetric positive-definite A by Cholesky, A = L·Lᵀ:
 * forward substitution L·z = b, then back substitution Lᵀ·w = z.
 *
 * @param A `[D, D]` row-major, left unchanged.
 * @param b `[D]`.
 * @returns w `[D]`.
 */
export function choleskySolve(A: Readonly<Float64Array>, b: Readonly<Float64Array>, D: number): Float64Array {
  const L = new Float64Array(D * D); // [D, D], lower triangle
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`choleskySolve: the matrix is not positive definite (pivot ${i} is ${s}); raise λ`);
        L[i * D + i] = Math.sqrt(s);
      } else {
        L[i * D + j] = s / L[j * D + j];
      }
    }
  }
  const z = new Float64Array(D); // L·z = b
  for (let i = 0; i < D; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * D + k] * z[k];
    z[i] = s / L[i * D + i];
  }
  const w = new Float64Array(D); // Lᵀ·w = z
  for (let i = D - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < D; k++) s -= L[k * D + i] * w[k];
    w[i] = s / L[i * D + i];
  }
  return w;
}

/** A fitted linear model: ŷ = x·w + bias. */
export interface RidgeModel {
  /** `[D]`. */
  w: Float64Array;
  bias: number;
  lambda: number;
}

/**
 * Ridge regression with an unpenalised intercept: the inputs and targets are
 * centred on their means, (XcᵀXc + λI)·w = Xcᵀyc is solved, and
 * bias = ȳ − x̄·w.
 *
 * @param x `[B, ...]`, each sample flattened to D = size / B inputs.
 * @param y `[B]`.
 * @param lambda λ ≥ 0 (with λ = 0, XᵀX must be non-singular).
 */
export function ridgeFit(x: Tensor, y: Tensor, lambda: number): RidgeModel {
  const B = x.shape[0];
  const D = x.size / B;
  if (y.size !== B) throw new Error(`ridgeFit: ${B} samples but ${y.size} targets`);
  if (!(lambda >= 0)) throw new Error(`ridgeFit: λ must be ≥ 0, got ${lambda}`);
  const xMean = new Float64Array(D); // [D]
  let yMean = 0;
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) xMean[d] += x.data[b * D + d] / B;
    yMean += y.data[b] / B;
  }
  const A = new Float64Array(D * D); // [D, D]  XcᵀXc + λI
  const r = new Float64Array(D); // [D]     Xcᵀyc
  const row = new Float64Array(D); // [D]   one centred sample
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) row[d] = x.data[b * D + d] - xMean[d];
    const yc = y.data[b] - yMean;
    for (let i = 0; i < D; i++) {
      const xi = row[i];
      r[i] += xi * yc;
      for (let j = 0; j <= i; j++) A[i * D + j] += xi * row[j];
    }
  }
  for (let i = 0; i < D; i++) {
    A[i * D + i] += lambda;
    for (let j = 0; j < i; j++) A[j * D + i] = A[i * D + j]; // mirror the lower triangle
  }
  const w = choleskySolve(A, r, D);
  let bias = yMean;
  for (let d = 0; d < D; d++) bias -= xMean[d] * w[d];
  return { w, bias, lambda };
}

/** ŷ for each sample of `x` `[B, ...]`; returns `[B]` float64. */
export function ridgePredict(model: RidgeModel, x: Tensor): Float64Array {
  const B = x.shape[0];
  const D = model.w.length;
  if (x.size !== B * D) throw new Error(`ridgePredict: samples of ${x.size / B} inputs, the model has ${D}`);
  const out = new Float64Array(B); // [B]
  for (let b = 0; b < B; b++) {
    let s = model.bias;
    for (let d = 0; d < D; d++) s += x.data[b * D + d] * model.w[d];
    out[b] = s;
  }
  return out;
}

/** λ from 10⁻³ to 10⁴, four to a decade. */
export const RIDGE_LAMBDAS: readonly number[] = Array.from({ length: 29 }, (_, i) => 10 ** (-3 + i / 4));

export interface RidgeSelection {
  /** The λ with the lowest validation MAE. */
  lambda: number;
  /** That validation MAE. */
  validationMae: number;
  /** Every λ tried and its validation MAE, in the order of `lambdas`. */
  curve: Array<{ lambda: number; validationMae: number }>;
  /** Fitted with the chosen λ on the training and validation windows together. */
  model: RidgeModel;
}

/**
 * Chooses λ by the validation MAE of a fit on the training windows, then
 * refits with that λ on the training and validation windows together.
 * The test windows play no part.
 */
export function ridgeSelect(
  train: readonly [Tensor, Tensor], validation: readonly [Tensor, Tensor], lambdas: readonly number[] = RIDGE_LAMBDAS,
): RidgeSelection {
  const curve = lambdas.map((lambda) => {
    const model = ridgeFit(train[0], train[1], lambda);
    return { lambda, validationMae: meanAbsoluteError(ridgePredict(model, validation[0]), validation[1].data) };
  });
  const best = curve.reduce((a, c) => (c.validationMae < a.validationMae ? c : a));
  const both = concatRows(train, validation);
  return { lambda: best.lambda, validationMae: best.validationMae, curve, model: ridgeFit(both[0], both[1], best.lambda) };
}

/** The samples of two `[x, y]` pairs, one after the other, in float64. */
function concatRows(a: readonly [Tensor, Tensor], b: readonly [Tensor, Tensor]): [Tensor, Tensor] {
  const x = new Float64Array(a[0].size + b[0].size);
  x.set(a[0].data);
  x.set(b[0].data, a[0].size);
  const y = new Float64Array(a[1].size + b[1].size);
  y.set(a[1].data);
  y.set(b[1].data, a[1].size);
  return [new Tensor(x, [a[0].shape[0] + b[0].shape[0], ...a[0].shape.slice(1)]), new Tensor(y, [y.length])];
}
