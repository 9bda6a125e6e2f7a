/**
 * Seattle daily weather, 2012–2015 (vega-datasets' `seattle-weather.csv`,
 * one row per day: date, precipitation, temp_max, temp_min, wind, weather),
 * set up as the walkthrough's temperature-forecasting task at a daily scale:
 *
 *   forecast tomorrow's temp_max from the past 14 days.
 *
 * N days (rows), F features per day, T = 14 days per window.
 *
 * The default features, in this column order (F = 8):
 *
 *   0 precipitation  mm
 *   1 temp_max       °C  (the target column, as temperature is column 1 in the Jena data)
 *   2 temp_min       °C
 *   3 temp_mean      °C, (temp_max + temp_min) / 2
 *   4 temp_range     °C, temp_max − temp_min (wide on clear days)
 *   5 wind           m/s
 *   6 doy_sin        sin(2π·doy/365.25), doy = day of the year, 1 on 1 January
 *   7 doy_cos        cos(2π·doy/365.25)
 *
 * temp_mean and temp_range are linear in temp_max and temp_min, so they give
 * a linear model nothing new; they were added for the GRU with dropout,
 * whose input dropout silences a whole feature of a window at a time. On the
 * validation split (final val MAE, mean of 3 seeds) temp_mean took it from
 * 2.31 to 2.25 °C and temp_range then to 2.23 °C; the test split played no
 * part in the choice. `FEATURE_CATALOGUE` lists what else a
 * caller may ask for.
 *
 * The `weather` label (sun, rain, …) is not used.
 *
 * Splits, by the day whose temp_max is the target:
 *
 *   train       2012-01-15 … 2014-06-30   (the first 14 days only feed windows)
 *   validation  2014-07-01 … 2014-12-31   (the last six months of the training period)
 *   test        2015-01-01 … 2015-12-31
 *
 * Every feature is normalised with the mean and std of the training rows
 * (days before 2014-07-01), with the project's `normalize`, as the seed
 * normalises the Jena data by its first 200000 rows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, normalize, parseFloatTable, readCsv } from '../../lib/index.ts';

/** Where the devDependency vega-datasets keeps the file. */
export const SEATTLE_CSV = fileURLToPath(new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url));

/** The numeric columns of the file. */
export const SEATTLE_COLUMNS = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;

/** One day as the features see it: the numeric columns and the day of the year (1 on 1 January). */
type Day = Record<(typeof SEATTLE_COLUMNS)[number], number> & { doy: number };

/** Every feature a window may hold, by name. */
export const FEATURE_CATALOGUE: Readonly<Record<string, (day: Day) => number>> = {
  precipitation: (d) => d.precipitation, // mm
  log_precipitation: (d) => Math.log1p(d.precipitation), // log(1 + mm)
  temp_max: (d) => d.temp_max, // °C
  temp_min: (d) => d.temp_min, // °C
  temp_mean: (d) => (d.temp_max + d.temp_min) / 2, // °C
  temp_range: (d) => d.temp_max - d.temp_min, // °C, wide on clear days
  wind: (d) => d.wind, // m/s
  doy_sin: (d) => Math.sin((2 * Math.PI * d.doy) / 365.25),
  doy_cos: (d) => Math.cos((2 * Math.PI * d.doy) / 365.25),
};

/** The default features (F = 8): see the top of the file. */
export const SEATTLE_FEATURES: readonly string[] = [
  'precipitation', 'temp_max', 'temp_min', 'temp_mean', 'temp_range', 'wind', 'doy_sin', 'doy_cos',
];

export interface SeattleWeather {
  /** `YYYY-MM-DD`, one per row, consecutive days. */
  dates: string[];
  /** The F feature names, in column order. */
  features: string[];
  /** `[N, F]` float64, in the units of the file (doy features in [−1, 1]). */
  data: Tensor;
}

const DAY_MS = 86_400_000;

function utcDay(date: string, path: string, line: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!Number.isFinite(t)) throw new Error(`loadSeattleWeather: ${path}, line ${line}: date ${JSON.stringify(date)} is not YYYY-MM-DD`);
  return t;
}

/**
 * Reads the CSV with the project's reader and computes the named features of
 * each day (from `FEATURE_CATALOGUE`). The days must follow one another with
 * none missing (the windows count rows as days).
 */
export function loadSeattleWeather(path: string = SEATTLE_CSV, features: readonly string[] = SEATTLE_FEATURES): SeattleWeather {
  for (const name of features) {
    if (!Object.hasOwn(FEATURE_CATALOGUE, name)) throw new Error(`loadSeattleWeather: unknown feature ${JSON.stringify(name)}; known: ${Object.keys(FEATURE_CATALOGUE).join(', ')}`);
  }
  const text = readFileSync(path, 'utf8');
  const table = readCsv(text, { file: path });
  for (const name of ['date', ...SEATTLE_COLUMNS]) {
    if (!table.header.includes(name)) throw new Error(`loadSeattleWeather: ${path} has no column ${JSON.stringify(name)}; header: ${table.header.join(',')}`);
  }
  const dropColumns = table.header.filter((h) => !(SEATTLE_COLUMNS as readonly string[]).includes(h));
  const numeric = parseFloatTable(table, { dropColumns, dtype: 'float64' }); // [N, 4] in file order
  const order = SEATTLE_COLUMNS.map((c) => numeric.header.indexOf(c));
  const dateColumn = table.header.indexOf('date');

  const N = table.rows.length;
  const K = SEATTLE_COLUMNS.length;
  const F = features.length;
  const compute = features.map((name) => FEATURE_CATALOGUE[name]);
  const values = numeric.floatData.data; // [N, K]
  const data = new Float64Array(N * F); // [N, F]
  const dates: string[] = [];
  for (let n = 0; n < N; n++) {
    const date = table.rows[n][dateColumn];
    const line = table.rowLines[n];
    const day = utcDay(date, path, line);
    if (n > 0 && day !== utcDay(dates[n - 1], path, table.rowLines[n - 1]) + DAY_MS) {
      throw new Error(`loadSeattleWeather: ${path}, line ${line}: ${date} does not follow ${dates[n - 1]}; the windows need one row per day`);
    }
    dates.push(date);
    const today: Day = {
      precipitation: values[n * K + order[0]],
      temp_max: values[n * K + order[1]],
      temp_min: values[n * K + order[2]],
      wind: values[n * K + order[3]],
      doy: (day - Date.UTC(Number(date.slice(0, 4)), 0, 1)) / DAY_MS + 1, // 1 … 366
    };
    for (let f = 0; f < F; f++) data[n * F + f] = compute[f](today);
  }
  return { dates, features: [...features], data: new Tensor(data, [N, F]) };
}

/** Target rows `[from, to)`: the windows whose forecast day is row from … to − 1. */
export interface Split {
  from: number;
  to: number;
}

export interface SeattleTask extends SeattleWeather {
  /** `[N, F]` float64: (data − mean) / std. */
  normalized: Tensor;
  /** `[F]` over the training rows. */
  mean: Float64Array;
  /** `[F]` over the training rows (population std). */
  std: Float64Array;
  /** Days per window, T. */
  lookback: number;
  targetColumn: number;
  train: Split;
  validation: Split;
  test: Split;
}

export interface SeattleTaskOptions {
  /** Days per window. Default 14. */
  lookback?: number;
  /** First forecast day of the validation split. Default '2014-07-01'. */
  validationFrom?: string;
  /** First forecast day of the test split. Default '2015-01-01'. */
  testFrom?: string;
  /** The CSV. Default `SEATTLE_CSV`. */
  path?: string;
  /** Feature names from `FEATURE_CATALOGUE`; must include 'temp_max'. Default `SEATTLE_FEATURES`. */
  features?: readonly string[];
}

function rowOf(dates: readonly string[], date: string): number {
  const row = dates.indexOf(date);
  if (row < 0) throw new Error(`seattleTask: ${date} is not in the data (${dates[0]} … ${dates[dates.length - 1]})`);
  return row;
}

/** The data, normalised by the training rows, and the three splits of forecast days. */
export function seattleTask(options: SeattleTaskOptions = {}): SeattleTask {
  const { lookback = 14, validationFrom = '2014-07-01', testFrom = '2015-01-01', path = SEATTLE_CSV, features = SEATTLE_FEATURES } = options;
  const targetColumn = features.indexOf('temp_max');
  if (targetColumn < 0) throw new Error(`seattleTask: the features [${features.join(', ')}] must include temp_max, the target`);
  const weather = loadSeattleWeather(path, features);
  const N = weather.dates.length;
  const valRow = rowOf(weather.dates, validationFrom);
  const testRow = rowOf(weather.dates, testFrom);
  if (!(lookback < valRow && valRow < testRow && testRow < N)) {
    throw new Error(`seattleTask: need lookback ${lookback} < validation row ${valRow} < test row ${testRow} < ${N} rows`);
  }
  const { data: normalized, mean, std } = normalize(weather.data, { trainRows: valRow });
  return {
    ...weather,
    normalized, mean, std, lookback,
    targetColumn,
    train: { from: lookback, to: valRow },
    validation: { from: valRow, to: testRow },
    test: { from: testRow, to: N },
  };
}

/**
 * Every window of a split at once: the forecast of row r reads rows
 * r − T … r − 1 and its target is `data[r, targetColumn]`.
 *
 * @param data `[N, F]`.
 * @returns `[x [B, T, F], y [B]]`, B = split.to − split.from, in the dtype of `data`.
 */
export function windowsOf(data: Tensor, split: Split, lookback: number, targetColumn: number): [Tensor, Tensor] {
  const [, F] = data.shape;
  const B = split.to - split.from;
  const T = lookback;
  const src = data.data; // [N, F]
  const x = data.dtype === 'float64' ? new Float64Array(B * T * F) : new Float32Array(B * T * F); // [B, T, F]
  const y = data.dtype === 'float64' ? new Float64Array(B) : new Float32Array(B); // [B]
  for (let b = 0; b < B; b++) {
    const r = split.from + b;
    x.set(src.subarray((r - T) * F, r * F), b * T * F);
    y[b] = src[r * F + targetColumn];
  }
  return [new Tensor(x, [B, T, F]), new Tensor(y, [B])];
}
