/**
 * Initializers as Keras and TensorFlow.js users write them: by name
 * (`'glorot_uniform'` or `'glorotUniform'`), by object
 * (`initializers.constant(0.5)`, `new initializers.Orthogonal({ gain: 2 })`)
 * or by config (`{ className: 'Constant', config: { value: 0.5 } }`). The
 * formulas are Keras 3's (cells/init.ts states them); every number is drawn
 * from the one seeded generator, so there is no per-initializer `seed`.
 *
 * In a TF.js model.json an initializer is written as TF.js writes it:
 * GlorotNormal as `VarianceScaling { scale: 1, mode: 'fan_avg',
 * distribution: 'normal' }`. TF.js's `normal` distribution is its truncated
 * normal; Unrolled reads it as Keras's `truncated_normal` (as tf.keras 2
 * does), whose standard deviation after truncation is √(scale / n).
 */
import { Tensor, allocate, type DType, type FloatArray } from '../autograd/index.ts';
import {
  constant, fillNormal, fillTruncatedNormal, fillUniform, identity, orthogonalOf, varianceScaling,
  type Distribution, type FanMode, type Initializer as CellInitializer,
} from '../cells/init.ts';
import type { JsonObject, JsonValue } from './io/json.ts';

/** A config value of an initializer. */
export type InitializerValue = number | string | null;

/** An initializer as a config object, TF.js's form in code: `{ className: 'Constant', config: { value: 0.5 } }`. */
export interface InitializerConfig {
  className: string;
  config?: Readonly<Record<string, InitializerValue>>;
}

/** The names an initializer can be given by: Keras's snake_case and TF.js's camelCase. */
export type InitializerIdentifier =
  | 'zeros' | 'ones' | 'constant'
  | 'random_normal' | 'randomNormal' | 'random_uniform' | 'randomUniform' | 'truncated_normal' | 'truncatedNormal'
  | 'variance_scaling' | 'varianceScaling'
  | 'glorot_uniform' | 'glorotUniform' | 'glorot_normal' | 'glorotNormal'
  | 'he_uniform' | 'heUniform' | 'he_normal' | 'heNormal'
  | 'lecun_uniform' | 'lecunUniform' | 'leCunUniform' | 'lecun_normal' | 'lecunNormal' | 'leCunNormal'
  | 'orthogonal' | 'identity';

/** What an `...Initializer` option takes: a name, an initializer object, or a config. */
export type InitializerSpec = InitializerIdentifier | Initializer | InitializerConfig;

/** The base of every initializer: `apply(shape, dtype)` draws a tensor; `className` and `getConfig()` describe it as Keras does. */
export abstract class Initializer implements CellInitializer {
  /** Keras's class name, e.g. 'GlorotUniform'. */
  abstract readonly className: string;
  abstract apply(shape: readonly number[], dtype?: DType): Tensor;
  /** The options, as Keras's `get_config()` names them (no seed). */
  abstract getConfig(): Record<string, number | string>;
}

function finite(where: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${key} must be a finite number, got ${describe(v)}`);
  return v;
}

function positive(where: string, key: string, v: unknown): number {
  const x = finite(where, key, v);
  if (!(x > 0)) throw new Error(`${where}: ${key} must be positive, got ${x}`);
  return x;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

/** Rejects keys other than `known` in an options object. */
function checkKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ') || 'none'}`);
  }
}

export class Zeros extends Initializer {
  readonly className = 'Zeros';
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor { return constant(shape, dtype, 0); }
  getConfig(): Record<string, number | string> { return {}; }
}

export class Ones extends Initializer {
  readonly className = 'Ones';
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor { return constant(shape, dtype, 1); }
  getConfig(): Record<string, number | string> { return {}; }
}

export class Constant extends Initializer {
  readonly className = 'Constant';
  readonly value: number;
  /** Every element is `value` (Keras's default 0). */
  constructor(options: { value?: number } = {}) {
    super();
    checkKeys('Constant initializer', options, ['value']);
    this.value = finite('Constant initializer', 'value', options.value ?? 0);
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor { return constant(shape, dtype, this.value); }
  getConfig(): Record<string, number | string> { return { value: this.value }; }
}

/** Random draws into a fresh tensor of `shape`. */
function drawn(shape: readonly number[], dtype: DType, fill: (data: FloatArray) => void): Tensor {
  const data = allocate(dtype, shape.reduce((n, d) => n * d, 1));
  fill(data);
  return new Tensor(data, shape);
}

export class RandomNormal extends Initializer {
  readonly className: string = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  /** N(mean, stddev²); Keras's defaults mean 0, stddev 0.05. */
  constructor(options: { mean?: number; stddev?: number } = {}) {
    super();
    const where = `${this.className} initializer`;
    checkKeys(where, options, ['mean', 'stddev']);
    this.mean = finite(where, 'mean', options.mean ?? 0);
    this.stddev = positive(where, 'stddev', options.stddev ?? 0.05);
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return drawn(shape, dtype, (d) => fillNormal(d, this.mean, this.stddev));
  }
  getConfig(): Record<string, number | string> { return { mean: this.mean, stddev: this.stddev }; }
}

/** N(mean, stddev²) with every draw beyond two standard deviations drawn again; Keras's defaults mean 0, stddev 0.05. */
export class TruncatedNormal extends RandomNormal {
  override readonly className: string = 'TruncatedNormal';
  override apply(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return drawn(shape, dtype, (d) => fillTruncatedNormal(d, this.mean, this.stddev));
  }
}

export class RandomUniform extends Initializer {
  readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  /** U(minval, maxval); Keras's defaults −0.05 and 0.05. */
  constructor(options: { minval?: number; maxval?: number } = {}) {
    super();
    const where = 'RandomUniform initializer';
    checkKeys(where, options, ['minval', 'maxval']);
    this.minval = finite(where, 'minval', options.minval ?? -0.05);
    this.maxval = finite(where, 'maxval', options.maxval ?? 0.05);
    if (!(this.maxval > this.minval)) throw new Error(`${where}: maxval (${this.maxval}) must be greater than minval (${this.minval})`);
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return drawn(shape, dtype, (d) => fillUniform(d, this.minval, this.maxval));
  }
  getConfig(): Record<string, number | string> { return { minval: this.minval, maxval: this.maxval }; }
}

const FAN_MODES: Readonly<Record<string, FanMode>> = { fan_in: 'fan_in', fanIn: 'fan_in', fan_out: 'fan_out', fanOut: 'fan_out', fan_avg: 'fan_avg', fanAvg: 'fan_avg' };
const DISTRIBUTIONS: Readonly<Record<string, Distribution>> = {
  truncated_normal: 'truncated_normal', truncatedNormal: 'truncated_normal', normal: 'truncated_normal',
  untruncated_normal: 'untruncated_normal', untruncatedNormal: 'untruncated_normal', uniform: 'uniform',
};

export interface VarianceScalingOptions {
  /** Default 1. */
  scale?: number;
  /** 'fan_in' (default), 'fan_out' or 'fan_avg' (TF.js's 'fanIn', … too). */
  mode?: FanMode | 'fanIn' | 'fanOut' | 'fanAvg';
  /** 'truncated_normal' (default), 'untruncated_normal' or 'uniform'; 'normal' is the truncated normal, as in TF.js and tf.keras 2. */
  distribution?: Distribution | 'normal' | 'truncatedNormal' | 'untruncatedNormal';
}

/** Keras's VarianceScaling (see cells/init.ts for the formulas). */
export class VarianceScaling extends Initializer {
  readonly className: string = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  constructor(options: VarianceScalingOptions = {}) {
    super();
    const where = 'VarianceScaling initializer';
    checkKeys(where, options, ['scale', 'mode', 'distribution']);
    this.scale = positive(where, 'scale', options.scale ?? 1);
    const mode = options.mode ?? 'fan_in';
    const distribution = options.distribution ?? 'truncated_normal';
    if (!Object.hasOwn(FAN_MODES, mode)) throw new Error(`${where}: mode ${describe(mode)} is unknown; known: fan_in, fan_out, fan_avg`);
    if (!Object.hasOwn(DISTRIBUTIONS, distribution)) {
      throw new Error(`${where}: distribution ${describe(distribution)} is unknown; known: truncated_normal, untruncated_normal, uniform (normal = truncated_normal)`);
    }
    this.mode = FAN_MODES[mode];
    this.distribution = DISTRIBUTIONS[distribution];
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return varianceScaling(shape, dtype, this.scale, this.mode, this.distribution);
  }
  getConfig(): Record<string, number | string> { return { scale: this.scale, mode: this.mode, distribution: this.distribution }; }
}

/** The named variance-scaling initializers: [className, scale, mode, distribution]. */
const PRESETS = [
  ['GlorotUniform', 1, 'fan_avg', 'uniform'],
  ['GlorotNormal', 1, 'fan_avg', 'truncated_normal'],
  ['HeUniform', 2, 'fan_in', 'uniform'],
  ['HeNormal', 2, 'fan_in', 'truncated_normal'],
  ['LecunUniform', 1, 'fan_in', 'uniform'],
  ['LecunNormal', 1, 'fan_in', 'truncated_normal'],
] as const;

type PresetName = (typeof PRESETS)[number][0];

/** A variance-scaling initializer with fixed settings and a name of its own. */
class Preset extends VarianceScaling {
  override readonly className: PresetName;
  constructor(name: PresetName) {
    const [, scale, mode, distribution] = PRESETS.find((p) => p[0] === name)!;
    super({ scale, mode, distribution });
    this.className = name;
  }
  override getConfig(): Record<string, number | string> { return {}; }
}

/** U(−l, l), l = √(6 / (fan_in + fan_out)): Keras's default kernel initializer. */
export class GlorotUniform extends Preset { constructor() { super('GlorotUniform'); } }
/** Truncated normal with σ = √(2 / (fan_in + fan_out)) after truncation. */
export class GlorotNormal extends Preset { constructor() { super('GlorotNormal'); } }
/** U(−l, l), l = √(6 / fan_in). */
export class HeUniform extends Preset { constructor() { super('HeUniform'); } }
/** Truncated normal with σ = √(2 / fan_in) after truncation. */
export class HeNormal extends Preset { constructor() { super('HeNormal'); } }
/** U(−l, l), l = √(3 / fan_in). */
export class LecunUniform extends Preset { constructor() { super('LecunUniform'); } }
/** Truncated normal with σ = √(1 / fan_in) after truncation. */
export class LecunNormal extends Preset { constructor() { super('LecunNormal'); } }

const PRESET_CLASSES: Readonly<Record<PresetName, new () => Preset>> = {
  GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
};

export class Orthogonal extends Initializer {
  readonly className = 'Orthogonal';
  readonly gain: number;
  /** An orthogonal matrix (QR of a Gaussian one) times `gain` (default 1); Keras's default recurrent initializer. */
  constructor(options: { gain?: number } = {}) {
    super();
    checkKeys('Orthogonal initializer', options, ['gain']);
    this.gain = finite('Orthogonal initializer', 'gain', options.gain ?? 1);
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor { return orthogonalOf(shape, dtype, this.gain); }
  getConfig(): Record<string, number | string> { return { gain: this.gain }; }
}

/**
 * `gain` (default 1) times the identity matrix, for 2D weights. As a
 * SimpleRNN's recurrentInitializer with relu it is the IRNN of Le, Jaitly
 * and Hinton (2015): the state is carried unchanged until the inputs move it.
 */
export class Identity extends Initializer {
  readonly className = 'Identity';
  readonly gain: number;
  constructor(options: { gain?: number } = {}) {
    super();
    checkKeys('Identity initializer', options, ['gain']);
    this.gain = finite('Identity initializer', 'gain', options.gain ?? 1);
  }
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor { return identity(shape, dtype, this.gain); }
  getConfig(): Record<string, number | string> { return { gain: this.gain }; }
}

// ---------------------------------------------------------------- by name and by config

/** Each name an initializer goes by (Keras's snake_case, TF.js's camelCase, the class names), to its class name. */
const NAMES: Readonly<Record<string, string>> = {
  zeros: 'Zeros', ones: 'Ones', constant: 'Constant',
  random_normal: 'RandomNormal', randomNormal: 'RandomNormal', random_uniform: 'RandomUniform', randomUniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal', truncatedNormal: 'TruncatedNormal', variance_scaling: 'VarianceScaling', varianceScaling: 'VarianceScaling',
  glorot_uniform: 'GlorotUniform', glorotUniform: 'GlorotUniform', glorot_normal: 'GlorotNormal', glorotNormal: 'GlorotNormal',
  he_uniform: 'HeUniform', heUniform: 'HeUniform', he_normal: 'HeNormal', heNormal: 'HeNormal',
  lecun_uniform: 'LecunUniform', lecunUniform: 'LecunUniform', leCunUniform: 'LecunUniform',
  lecun_normal: 'LecunNormal', lecunNormal: 'LecunNormal', leCunNormal: 'LecunNormal',
  orthogonal: 'Orthogonal', identity: 'Identity',
};

/** Class names as the files spell them, to ours (TF.js's LeCun…, Keras 3's …Initializer aliases). */
const CLASS_ALIASES: Readonly<Record<string, string>> = {
  LeCunUniform: 'LecunUniform', LeCunNormal: 'LecunNormal', IdentityInitializer: 'Identity', OrthogonalInitializer: 'Orthogonal',
  Zero: 'Zeros', One: 'Ones',
};

const CLASSES = [
  'Zeros', 'Ones', 'Constant', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'VarianceScaling', ...PRESETS.map((p) => p[0]), 'Orthogonal', 'Identity',
];

/** An initializer of class `cls` from its config (keys as Keras and TF.js write them; `seed` must be null unless `lenient`). */
function fromClass(cls: string, config: Readonly<Record<string, unknown>>, where: string, lenient: boolean): Initializer {
  const { seed, ...rest } = config;
  if (seed !== undefined && seed !== null && !lenient) {
    throw new Error(`${where}: seed ${describe(seed)} is not supported; Unrolled draws every initial weight from the one generator that setSeed() seeds`);
  }
  const at = `${where} (${cls})`;
  if (Object.hasOwn(PRESET_CLASSES, cls)) {
    checkKeys(at, rest, []);
    return new PRESET_CLASSES[cls as PresetName]();
  }
  const options = rest as Record<string, never>;
  switch (cls) {
    case 'Zeros': checkKeys(at, rest, []); return new Zeros();
    case 'Ones': checkKeys(at, rest, []); return new Ones();
    case 'Constant': return new Constant(options);
    case 'RandomNormal': return new RandomNormal(options);
    case 'TruncatedNormal': return new TruncatedNormal(options);
    case 'RandomUniform': return new RandomUniform(options);
    case 'Orthogonal': return new Orthogonal(options);
    case 'Identity': return new Identity(options);
    case 'VarianceScaling': {
      const vs = new VarianceScaling(options);
      // The named settings come back under their names, so that a file written by TF.js (which writes them all as VarianceScaling) keeps them.
      const preset = PRESETS.find(([, s, m, d]) => s === vs.scale && m === vs.mode && d === vs.distribution);
      return preset ? new PRESET_CLASSES[preset[0]]() : vs;
    }
    default: throw new Error(`${where}: initializer class '${cls}' is unknown; known: ${CLASSES.join(', ')}`);
  }
}

/**
 * The initializer `spec` names, for the option `where` (e.g. "Dense:
 * kernelInitializer"): a name, an Initializer (as it is), or
 * `{ className, config }`.
 */
export function getInitializer(spec: InitializerSpec, where = 'getInitializer'): Initializer {
  const s: unknown = spec;
  if (s instanceof Initializer) return s;
  if (typeof s === 'string') {
    const cls = Object.hasOwn(NAMES, s) ? NAMES[s] : CLASSES.includes(s) ? s : undefined;
    if (cls === undefined) throw new Error(`${where}: initializer '${s}' is unknown; known: ${Object.keys(NAMES).join(', ')}`);
    return fromClass(cls, {}, where, false);
  }
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && typeof (s as { className?: unknown }).className === 'string') {
    const { className, config = {}, ...extra } = s as InitializerConfig;
    checkKeys(where, extra, ['className', 'config']);
    if (config === null || typeof config !== 'object') throw new Error(`${where}: config must be an object, got ${describe(config)}`);
    const cls = Object.hasOwn(CLASS_ALIASES, className) ? CLASS_ALIASES[className] : className;
    return fromClass(cls, config, where, false);
  }
  throw new Error(`${where}: expected an initializer name (e.g. 'glorotUniform'), an initializer object or { className, config }, got ${describe(s)}`);
}


/**
 * The initializer an entry of a model file describes (`{ class_name, config }`,
 * TF.js, Keras 2 or Keras 3; a bare name in Keras 1 files), or undefined for
 * one Unrolled does not have: a loaded model takes its weights from the
 * file, so it keeps the layer's default. A seed in the file is not used.
 */
export function initializerFromFile(value: JsonValue | undefined, where: string): Initializer | undefined {
  const keras1: Readonly<Record<string, string>> = { zero: 'Zeros', one: 'Ones', uniform: 'RandomUniform', normal: 'RandomNormal' };
  if (typeof value === 'string') {
    const cls = Object.hasOwn(NAMES, value) ? NAMES[value] : Object.hasOwn(keras1, value) ? keras1[value] : undefined;
    return cls === undefined ? undefined : fromClass(cls, {}, where, true);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const name = Object.hasOwn(value, 'class_name') ? value.class_name : undefined;
  const config = Object.hasOwn(value, 'config') ? value.config : {};
  if (typeof name !== 'string' || config === null || typeof config !== 'object' || Array.isArray(config)) return undefined;
  const cls = Object.hasOwn(CLASS_ALIASES, name) ? CLASS_ALIASES[name] : name;
  if (!CLASSES.includes(cls)) return undefined;
  return fromClass(cls, config, where, true);
}

/**
 * The initializer as TF.js writes it in a model.json: the named
 * variance-scaling ones as VarianceScaling (distribution 'normal' for the
 * truncated normal, which is TF.js's name for it), random ones with
 * `seed: null`.
 */
export function initializerToTfjs(init: Initializer): JsonObject {
  if (init instanceof VarianceScaling) {
    if (init.distribution === 'untruncated_normal') {
      throw new Error(`${init.className} initializer: distribution 'untruncated_normal' has no name in the TF.js format (whose 'normal' is the truncated normal)`);
    }
    return {
      class_name: 'VarianceScaling',
      config: { scale: init.scale, mode: init.mode, distribution: init.distribution === 'uniform' ? 'uniform' : 'normal', seed: null },
    };
  }
  const seeded = init instanceof RandomNormal || init instanceof RandomUniform || init instanceof Orthogonal;
  return { class_name: init.className, config: seeded ? { ...init.getConfig(), seed: null } : init.getConfig() };
}

/** The initializer as Keras 3 serializes it: its class name and `get_config()` (seed first for the random ones). */
export function initializerToKeras(init: Initializer): { className: string; config: Record<string, number | string | null> } {
  const random = init instanceof VarianceScaling || init instanceof RandomNormal || init instanceof RandomUniform || init instanceof Orthogonal;
  return { className: init.className, config: random ? { seed: null, ...init.getConfig() } : init.getConfig() };
}

/**
 * The initializers as factories, TF.js style: `initializers.constant(0.5)`
 * (or `{ value: 0.5 }`), `initializers.orthogonal({ gain: 2 })`,
 * `initializers.heNormal()`. The classes are here too.
 */
export const initializers = {
  zeros: (): Initializer => new Zeros(),
  ones: (): Initializer => new Ones(),
  constant: (value: number | { value?: number } = {}): Initializer => new Constant(typeof value === 'number' ? { value } : value),
  randomNormal: (options?: { mean?: number; stddev?: number }): Initializer => new RandomNormal(options),
  randomUniform: (options?: { minval?: number; maxval?: number }): Initializer => new RandomUniform(options),
  truncatedNormal: (options?: { mean?: number; stddev?: number }): Initializer => new TruncatedNormal(options),
  varianceScaling: (options?: VarianceScalingOptions): Initializer => new VarianceScaling(options),
  glorotUniform: (): Initializer => new GlorotUniform(),
  glorotNormal: (): Initializer => new GlorotNormal(),
  heUniform: (): Initializer => new HeUniform(),
  heNormal: (): Initializer => new HeNormal(),
  lecunUniform: (): Initializer => new LecunUniform(),
  lecunNormal: (): Initializer => new LecunNormal(),
  orthogonal: (options?: { gain?: number }): Initializer => new Orthogonal(options),
  identity: (options?: { gain?: number }): Initializer => new Identity(options),
  get: getInitializer,
  Initializer, Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
  GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity,
};
