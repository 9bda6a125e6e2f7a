/**
 * Windows over a timeseries: the seed's `generator` and Keras's
 * `timeseries_dataset_from_array`.
 *
 * N rows (timesteps) of F features; B windows per batch; T timesteps per
 * window (`lookback / step` for the generator, `sequenceLength` for the
 * dataset).
 */
import seedrandom from 'seedrandom';
import { Tensor, allocate, dtypeOf, formatShape, sizeOf, type FloatArray } from '../../autograd/tensor.ts';
import { random, randomInt } from '../../autograd/random.ts';

function checkInt(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new Error(`${where}: ${name} must be ${what}, got ${String(v)}`);
  }
  return v;
}

// ---------------------------------------------------------------- the seed's generator

export interface GeneratorOptions {
  /** How many rows back a window reaches. */
  lookback: number;
  /** How many rows after a window's end its target lies. */
  delay: number;
  /** First row a window may use. Default 0. */
  minIndex?: number;
  /** Windows end (exclusive) before this row. null or absent: N − delay − 1. */
  maxIndex?: number | null;
  /** Draw window ends at random (from the global seeded generator) instead of in order. Default false. */
  shuffle?: boolean;
  /** Windows per batch. Default 128. */
  batchSize?: number;
  /** Take every `step`-th row inside a window. Default 6. */
  step?: number;
  /** The column that holds the target. Default 1 (temperature in the Jena data). */
  targetColumn?: number;
}

/** One batch of the generator: samples `[B, T, F]`, targets `[B]`. */
export type Batch = [samples: Tensor, targets: Tensor];

/**
 * The walkthrough's `generator`, line for line:
 *
 * ```python
 * if max_index is None: max_index = len(data) - delay - 1
 * i = min_index + lookback
 * while 1:
 *     if shuffle:
 *         rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
 *     else:
 *         if i + batch_size >= max_index: i = min_index + lookback
 *         rows = np.arange(i, min(i + batch_size, max_index))
 *         i += len(rows)
 *     samples[j] = data[range(rows[j] - lookback, rows[j], step)]
 *     targets[j] = data[rows[j] + delay][1]
 * ```
 *
 * So without shuffling the rows run on from `minIndex + lookback` in batches
 * and start over as soon as a full batch would reach `maxIndex` (the rows
 * left over at the end are skipped); a batch is smaller than `batchSize` only
 * when the whole range is. It never ends.
 *
 * The arguments are checked when it is called, before the first batch.
 *
 * @param data `[N, F]`.
 * @returns an endless generator of `[samples [B, lookback / step, F], targets [B]]`
 *   in the dtype of `data`.
 */
export function generator(data: Tensor, options: GeneratorOptions): Generator<Batch, never, undefined> {
  const where = 'generator';
  if (!(data instanceof Tensor) || data.rank !== 2) {
    const shape = data instanceof Tensor ? formatShape(data.shape) : typeof data;
    throw new Error(`${where}: data must be a 2-D tensor [N, F], got ${shape}`);
  }
  const [N, F] = data.shape;
  const lookback = checkInt(where, 'lookback', options.lookback, 1);
  const delay = checkInt(where, 'delay', options.delay, 0);
  const step = checkInt(where, 'step', options.step ?? 6, 1);
  const batchSize = checkInt(where, 'batchSize', options.batchSize ?? 128, 1);
  const minIndex = checkInt(where, 'minIndex', options.minIndex ?? 0, 0);
  const targetColumn = checkInt(where, 'targetColumn', options.targetColumn ?? 1, 0);
  const shuffle = options.shuffle ?? false;
  if (targetColumn >= F) {
    throw new Error(`${where}: targetColumn ${targetColumn} is out of range for data with ${F} columns`);
  }
  if (lookback % step !== 0) {
    // Python fills lookback // step rows from a range of ceil(lookback / step) indices and fails.
    throw new Error(`${where}: step ${step} does not divide lookback ${lookback}; a window has lookback / step rows, so lookback must be a multiple of step`);
  }
  if (lookback >= N) {
    throw new Error(`${where}: lookback ${lookback} is longer than the data (${N} rows)`);
  }
  const maxIndex = options.maxIndex ?? N - delay - 1;
  if (!Number.isInteger(maxIndex) || maxIndex > N - delay) {
    throw new Error(`${where}: maxIndex ${maxIndex} is out of range: the target of the last window (row maxIndex − 1 + delay = ${maxIndex - 1 + delay}) must lie within the data's ${N} rows`);
  }
  if (minIndex >= maxIndex) {
    throw new Error(`${where}: minIndex ${minIndex} must be less than maxIndex ${maxIndex}`);
  }
  if (minIndex + lookback >= maxIndex) {
    throw new Error(`${where}: no window fits: minIndex + lookback = ${minIndex + lookback} must be less than maxIndex ${maxIndex}`);
  }

  const T = lookback / step;
  const src = data.data; // [N, F]
  const first = minIndex + lookback; // the first row a window can end before

  function batchOf(rows: readonly number[]): Batch {
    const B = rows.length;
    const samples = allocate(data.dtype, B * T * F); // [B, T, F]
    const targets = allocate(data.dtype, B); // [B]
    for (let j = 0; j < B; j++) {
      const row = rows[j];
      for (let t = 0; t < T; t++) {
        const from = (row - lookback + t * step) * F; // indices = range(row - lookback, row, step)
        const to = (j * T + t) * F;
        for (let f = 0; f < F; f++) samples[to + f] = src[from + f];
      }
      targets[j] = src[(row + delay) * F + targetColumn];
    }
    return [new Tensor(samples, [B, T, F]), new Tensor(targets, [B])];
  }

  function* batches(): Generator<Batch, never, undefined> {
    let i = first;
    for (;;) {
      const rows: number[] = [];
      if (shuffle) {
        for (let j = 0; j < batchSize; j++) rows.push(first + randomInt(maxIndex - first));
      } else {
        if (i + batchSize >= maxIndex) i = first;
        for (let r = i; r < Math.min(i + batchSize, maxIndex); r++) rows.push(r);
        i += rows.length;
      }
      yield batchOf(rows);
    }
  }
  return batches();
}

// ---------------------------------------------------------------- timeseriesDatasetFromArray

export interface TimeseriesDatasetOptions {
  /** Timesteps per window, T. */
  sequenceLength: number;
  /** Rows between the starts of successive windows. Default 1. */
  sequenceStride?: number;
  /** Rows between successive timesteps inside a window. Default 1. */
  samplingRate?: number;
  /** Windows per batch (the last batch may be smaller). Default 128. */
  batchSize?: number;
  /** Visit the windows in random order, drawn afresh on every pass. Default false. */
  shuffle?: boolean;
  /** Seed of the shuffling; without one, it is drawn from the global seeded generator. */
  seed?: number | string;
  /** First data row a window may use. Default 0. */
  startIndex?: number;
  /** Windows use rows before this one (exclusive). Default: N. As in Keras, when given it must be < N. */
  endIndex?: number;
}

/** Rows and the row shape of a tensor or a flat typed array (a typed array is N scalars). */
function rowsOf(where: string, name: string, a: Tensor | FloatArray): { values: FloatArray; n: number; rowShape: number[] } {
  if (a instanceof Float32Array || a instanceof Float64Array) return { values: a, n: a.length, rowShape: [] };
  if (!(a instanceof Tensor) || a.rank < 1) {
    const shape = a instanceof Tensor ? formatShape(a.shape) : typeof a;
    throw new Error(`${where}: ${name} must be a tensor of rank >= 1 or a Float32Array/Float64Array, got ${shape}`);
  }
  return { values: a.data, n: a.shape[0], rowShape: a.shape.slice(1) };
}

/**
 * Batches of windows over `data`, made lazily on each pass. Iterate it with
 * `for (const batch of dataset)` as many times as there are epochs.
 */
export class TimeseriesDataset<B> implements Iterable<B> {
  /** Number of windows in one pass. */
  readonly numSamples: number;
  /** Number of batches in one pass. */
  readonly numBatches: number;
  readonly #starts: Int32Array;
  readonly #batchSize: number;
  readonly #nextOrder: (() => number) | null;
  readonly #makeBatch: (starts: Int32Array) => B;

  /** @internal Built by `timeseriesDatasetFromArray`. */
  constructor(starts: Int32Array, batchSize: number, rng: (() => number) | null, makeBatch: (starts: Int32Array) => B) {
    this.#starts = starts;
    this.#batchSize = batchSize;
    this.#nextOrder = rng;
    this.#makeBatch = makeBatch;
    this.numSamples = starts.length;
    this.numBatches = Math.ceil(starts.length / batchSize);
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.#starts.slice();
    const rng = this.#nextOrder;
    if (rng) {
      // Fisher-Yates with the dataset's own generator: every pass a new order.
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    for (let b = 0; b < order.length; b += this.#batchSize) {
      yield this.#makeBatch(order.subarray(b, b + this.#batchSize));
    }
  }
}

/**
 * Sliding windows over a timeseries, as Keras's `timeseries_dataset_from_array`.
 *
 * The window starting at position p (counted from `startIndex`) takes rows
 * `startIndex + p + k·samplingRate` for k = 0 … T−1; its target is
 * `targets[startIndex + p]` — the caller shifts the targets (Keras semantics).
 * Window starts are p = 0, s, 2s, … below
 * `endIndex − startIndex − (T − 1)·samplingRate` (and below the number of
 * targets).
 *
 * @param data `[N, ...]` (a typed array is N scalars).
 * @param targets `[N, ...]` or a typed array, or null for windows only.
 * @returns batches `[x [B, T, ...], y [B, ...]]`, or `x` alone when targets is null.
 */
export function timeseriesDatasetFromArray(
  data: Tensor | FloatArray, targets: Tensor | FloatArray, options: TimeseriesDatasetOptions,
): TimeseriesDataset<Batch>;
export function timeseriesDatasetFromArray(
  data: Tensor | FloatArray, targets: null, options: TimeseriesDatasetOptions,
): TimeseriesDataset<Tensor>;
export function timeseriesDatasetFromArray(
  data: Tensor | FloatArray, targets: Tensor | FloatArray | null, options: TimeseriesDatasetOptions,
): TimeseriesDataset<Batch> | TimeseriesDataset<Tensor> {
  const where = 'timeseriesDatasetFromArray';
  const x = rowsOf(where, 'data', data);
  const N = x.n;
  const T = checkInt(where, 'sequenceLength', options.sequenceLength, 1);
  const stride = checkInt(where, 'sequenceStride', options.sequenceStride ?? 1, 1);
  const rate = checkInt(where, 'samplingRate', options.samplingRate ?? 1, 1);
  const batchSize = checkInt(where, 'batchSize', options.batchSize ?? 128, 1);
  const start = checkInt(where, 'startIndex', options.startIndex ?? 0, 0);
  if (N === 0) throw new Error(`${where}: data has no rows`);
  if (start >= N) throw new Error(`${where}: startIndex ${start} must be lower than the length of the data (${N})`);
  let end = N;
  if (options.endIndex !== undefined) {
    end = checkInt(where, 'endIndex', options.endIndex, 1);
    if (end <= start) throw new Error(`${where}: endIndex ${end} must be higher than startIndex ${start}`);
    if (end >= N) throw new Error(`${where}: endIndex ${end} must be lower than the length of the data (${N}); leave it out to use every row`);
  }
  if (rate >= N) throw new Error(`${where}: samplingRate ${rate} must be lower than the length of the data (${N})`);
  if (stride >= N) throw new Error(`${where}: sequenceStride ${stride} must be lower than the length of the data (${N})`);

  const y = targets === null ? null : rowsOf(where, 'targets', targets);
  let numSeqs = end - start - (T - 1) * rate;
  if (numSeqs <= 0) {
    throw new Error(`${where}: no window fits: a window spans (sequenceLength − 1)·samplingRate + 1 = ${(T - 1) * rate + 1} rows, but rows [${start}, ${end}) hold ${end - start}`);
  }
  if (y) numSeqs = Math.min(numSeqs, y.n);
  const starts = new Int32Array(Math.ceil(numSeqs / stride)); // positions p, relative to startIndex
  for (let k = 0; k < starts.length; k++) starts[k] = k * stride;
  if (y && starts.length > 0 && start + starts[starts.length - 1] >= y.n) {
    const row = start + starts[starts.length - 1];
    throw new Error(`${where}: targets has ${y.n} rows, but the window starting at data row ${row} needs targets[${row}]`);
  }

  const xRow = sizeOf(x.rowShape); // values per data row
  const xDtype = dtypeOf(x.values);
  const makeX = (ps: Int32Array): Tensor => {
    const B = ps.length;
    const out = allocate(xDtype, B * T * xRow); // [B, T, ...]
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < T; k++) {
        const r = start + ps[b] + k * rate;
        out.set(x.values.subarray(r * xRow, (r + 1) * xRow), (b * T + k) * xRow);
      }
    }
    return new Tensor(out, [B, T, ...x.rowShape]);
  };

  let rng: (() => number) | null = null;
  if (options.shuffle) rng = seedrandom(String(options.seed ?? random()));

  if (y === null) return new TimeseriesDataset<Tensor>(starts, batchSize, rng, makeX);
  const yRow = sizeOf(y.rowShape);
  const yDtype = dtypeOf(y.values);
  const makeY = (ps: Int32Array): Tensor => {
    const B = ps.length;
    const out = allocate(yDtype, B * yRow); // [B, ...]
    for (let b = 0; b < B; b++) {
      const r = start + ps[b];
      out.set(y.values.subarray(r * yRow, (r + 1) * yRow), b * yRow);
    }
    return new Tensor(out, [B, ...y.rowShape]);
  };
  return new TimeseriesDataset<Batch>(starts, batchSize, rng, (ps) => [makeX(ps), makeY(ps)]);
}
