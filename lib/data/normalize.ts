/**
 * Feature-wise normalisation, as the walkthrough does it for the Jena data:
 *
 * ```python
 * mean = float_data[:200000].mean(axis=0); float_data -= mean
 * std = float_data[:200000].std(axis=0);   float_data /= std
 * ```
 *
 * The statistics come from the training rows only, so no information leaks
 * from the validation and test rows. `std` is the population standard
 * deviation (numpy's default, ddof = 0). Statistics are accumulated in
 * float64; the result keeps the dtype of the input.
 *
 * N rows, F features (columns).
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { Tensor, formatShape } from '../../autograd/tensor.ts';

export interface NormalizeOptions {
  /** The first `trainRows` rows give the mean and std. Default: all N rows. */
  trainRows?: number;
}

export interface Normalized {
  /** `[N, F]`: (data − mean) / std, a new tensor. */
  data: Tensor;
  /** `[F]` column means over the training rows. */
  mean: Float64Array;
  /** `[F]` column population standard deviations over the training rows. */
  std: Float64Array;
}

/**
 * Subtracts each column's training mean and divides by its training std.
 *
 * @param data `[N, F]`, left unchanged.
 */
export function normalize(data: Tensor, options: NormalizeOptions = {}): Normalized {
  if (!(data instanceof Tensor) || data.rank !== 2) {
    const shape = data instanceof Tensor ? formatShape(data.shape) : typeof data;
    throw new Error(`normalize: data must be a 2-D tensor [N, F], got ${shape}`);
  }
  const [N, F] = data.shape;
  const trainRows = options.trainRows ?? N;
  if (!Number.isInteger(trainRows) || trainRows < 1 || trainRows > N) {
    throw new Error(`normalize: trainRows must be an integer in [1, ${N}] (the data has ${N} rows), got ${trainRows}`);
  }

  // Training rows as float64, so the sums do not lose float32 precision.
  const train = ndarray(Float64Array.from(data.data.subarray(0, trainRows * F)), [trainRows, F]); // [trainRows, F]
  const mean = new Float64Array(F);
  const std = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    const column = train.pick(null, f); // [trainRows], a strided view
    mean[f] = ops.sum(column) / trainRows;
    ops.subseq(column, mean[f]); // centred in place: the copy is ours
    ops.muleq(column, column); // squared deviations
    std[f] = Math.sqrt(ops.sum(column) / trainRows);
    if (!(std[f] > 0)) {
      throw new Error(`normalize: column ${f} has standard deviation ${std[f]} over the first ${trainRows} rows (it is constant or not finite); it cannot be scaled`);
    }
  }

  const out = new Tensor(data.data.slice(), data.shape); // [N, F]
  const view = out.toNdarray();
  for (let f = 0; f < F; f++) {
    const column = view.pick(null, f); // [N]
    ops.subseq(column, mean[f]);
    ops.divseq(column, std[f]);
  }
  return { data: out, mean, std };
}
