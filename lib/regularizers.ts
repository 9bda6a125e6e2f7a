/**
 * Weight and activity regularizers, as Keras has them: a penalty
 *
 *   l1 · Σ|x| + l2 · Σx²
 *
 * added to the loss. A weight regularizer (kernelRegularizer,
 * recurrentRegularizer, biasRegularizer, embeddingsRegularizer) penalises a
 * trainable weight once per batch, however many times its layer is applied;
 * an activity regularizer penalises each output of each application,
 * divided by the batch size (Keras 3 and tf.keras 2). The penalties are
 * part of the loss `fit` minimises and reports (`loss`, `val_loss`), not of
 * the per-output losses.
 *
 * Given by name (`'l1'`, `'l2'`, `'l1_l2'` or `'l1l2'`: coefficient 0.01),
 * by object (`regularizers.l2(0.001)`, `regularizers.l1l2({ l1, l2 })`) or
 * by config (`{ className: 'L1L2', config: { l1, l2 } }`, the form TF.js
 * writes in a model.json; Keras 3's `L1` and `L2` classes are read too).
 */
import { Tensor, abs, add, mul, mulScalar, sum } from '../autograd/index.ts';
import type { JsonValue } from './io/json.ts';

export abstract class Regularizer {
  /** Keras's class name. */
  abstract readonly className: string;
  /** The penalty for `x`, a scalar tensor on the tape. */
  abstract apply(x: Tensor): Tensor;
  abstract getConfig(): Record<string, number>;
}

function coefficient(where: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}: ${key} must be a non-negative finite number, got ${typeof v === 'string' ? `'${v}'` : String(v)}`);
  return v;
}

/** l1 · Σ|x| + l2 · Σx²; a zero coefficient's term is left out, as in Keras. */
export class L1L2 extends Regularizer {
  readonly className = 'L1L2';
  readonly l1: number;
  readonly l2: number;

  /** Each coefficient defaults to 0 here (Keras's L1L2 class); the `l1l2()` factory defaults both to 0.01. */
  constructor(options: { l1?: number; l2?: number } = {}) {
    super();
    const where = 'L1L2 regularizer';
    const o: unknown = options;
    if (o === null || typeof o !== 'object') throw new Error(`${where}: expected { l1, l2 }, got ${String(o)}`);
    for (const key of Object.keys(options)) if (key !== 'l1' && key !== 'l2') throw new Error(`${where}: unknown option '${key}'; known: l1, l2`);
    this.l1 = coefficient(where, 'l1', options.l1 ?? 0);
    this.l2 = coefficient(where, 'l2', options.l2 ?? 0);
  }

  apply(x: Tensor): Tensor {
    const terms: Tensor[] = [];
    if (this.l1 !== 0) terms.push(mulScalar(sum(abs(x)), this.l1));
    if (this.l2 !== 0) terms.push(mulScalar(sum(mul(x, x)), this.l2));
    if (terms.length === 0) return mulScalar(sum(x), 0);
    return terms.length === 1 ? terms[0] : add(terms[0], terms[1]);
  }

  getConfig(): Record<string, number> {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** What a `...Regularizer` option takes: a name, a Regularizer, or `{ className, config }`. */
export type RegularizerSpec = 'l1' | 'l2' | 'l1_l2' | 'l1l2' | Regularizer | { className: string; config?: Readonly<Record<string, number>> };

/** Keras's L1 (l1, default 0.01). */
export function l1(value: number | { l1?: number } = {}): L1L2 {
  return new L1L2({ l1: typeof value === 'number' ? value : value.l1 ?? 0.01 });
}

/** Keras's L2 (l2, default 0.01). */
export function l2(value: number | { l2?: number } = {}): L1L2 {
  return new L1L2({ l2: typeof value === 'number' ? value : value.l2 ?? 0.01 });
}

/** L1 and L2 together, each defaulting to 0.01 (tf.keras 2 and TF.js's `l1_l2`). */
export function l1l2(options: { l1?: number; l2?: number } = {}): L1L2 {
  return new L1L2({ l1: options.l1 ?? 0.01, l2: options.l2 ?? 0.01 });
}

/** The regularizer `spec` names, for the option `where` (e.g. "Dense: kernelRegularizer"). */
export function getRegularizer(spec: RegularizerSpec, where = 'getRegularizer'): Regularizer {
  const s: unknown = spec;
  if (s instanceof Regularizer) return s;
  if (s === 'l1') return l1();
  if (s === 'l2') return l2();
  if (s === 'l1_l2' || s === 'l1l2') return l1l2();
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && typeof (s as { className?: unknown }).className === 'string') {
    const { className, config = {}, ...extra } = s as { className: string; config?: Record<string, unknown> };
    if (Object.keys(extra).length > 0) throw new Error(`${where}: unknown key '${Object.keys(extra)[0]}'; a regularizer config is { className, config }`);
    return fromClass(className, config, where);
  }
  throw new Error(`${where}: expected 'l1', 'l2', 'l1_l2', a regularizer object or { className: 'L1L2', config: { l1, l2 } }, got ${typeof s === 'string' ? `'${s}'` : String(s)}`);
}

function fromClass(className: string, config: Record<string, unknown>, where: string): Regularizer {
  if (config === null || typeof config !== 'object') throw new Error(`${where}: a regularizer's config must be an object, got ${String(config)}`);
  const at = `${where} (${className})`;
  const only = (keys: string[]): void => {
    for (const k of Object.keys(config)) if (!keys.includes(k)) throw new Error(`${at}: unknown key '${k}'; known: ${keys.join(', ')}`);
  };
  switch (className) {
    case 'L1L2': only(['l1', 'l2']); return new L1L2({ l1: config.l1 as number | undefined, l2: config.l2 as number | undefined });
    case 'L1': only(['l1']); return new L1L2({ l1: coefficient(at, 'l1', config.l1 ?? 0.01) });
    case 'L2': only(['l2']); return new L1L2({ l2: coefficient(at, 'l2', config.l2 ?? 0.01) });
    default: throw new Error(`${where}: regularizer class '${className}' is unknown; known: L1L2, L1, L2`);
  }
}


/** The regularizer a model file's entry describes (`{ class_name, config }`; null for none), or an error naming `where`. */
export function regularizerFromFile(value: JsonValue | undefined, where: string): Regularizer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return getRegularizer(value as RegularizerSpec, where);
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: a regularizer must be { class_name, config }, got ${JSON.stringify(value)}`);
  const name = Object.hasOwn(value, 'class_name') ? value.class_name : undefined;
  const config = Object.hasOwn(value, 'config') ? value.config : {};
  if (typeof name !== 'string') throw new Error(`${where}: a regularizer's class_name must be a string, got ${JSON.stringify(name)}`);
  return fromClass(name, config as Record<string, unknown>, where);
}

/** The regularizer as TF.js writes it: `{ class_name: 'L1L2', config: { l1, l2 } }`; null for none. */
export function regularizerToTfjs(r: Regularizer | null): { class_name: string; config: Record<string, number> } | null {
  return r === null ? null : { class_name: r.className, config: r.getConfig() };
}

/** Which regularizer each weight has (Keras keeps it on the variable); set when a layer creates the weight. */
export const weightRegularizers = new WeakMap<Tensor, Regularizer>();

/** Σ of the penalties of `weights` that have a regularizer (each weight once), or null when none has. */
export function weightPenalty(weights: readonly Tensor[]): Tensor | null {
  let total: Tensor | null = null;
  for (const w of new Set(weights)) {
    const r = weightRegularizers.get(w);
    if (!r) continue;
    const p = r.apply(w);
    total = total === null ? p : add(total, p);
  }
  return total;
}

/** The regularizers as factories and classes, TF.js style: `regularizers.l2({ l2: 1e-4 })`. */
export const regularizers = { l1, l2, l1l2, get: getRegularizer, Regularizer, L1L2 };

/** The regularizers of a recurrent layer's weights, as its options give them (null for none). */
export interface RecurrentRegularizers {
  kernel: Regularizer | null;
  recurrent: Regularizer | null;
  bias: Regularizer | null;
}

/** Resolves kernelRegularizer, recurrentRegularizer and biasRegularizer; errors name `where` and the option. */
export function recurrentRegularizers(
  where: string, options: { kernelRegularizer?: RegularizerSpec; recurrentRegularizer?: RegularizerSpec; biasRegularizer?: RegularizerSpec },
): RecurrentRegularizers {
  const one = (key: 'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer'): Regularizer | null => {
    const spec = options[key];
    return spec === undefined ? null : getRegularizer(spec, `${where}: ${key}`);
  };
  return { kernel: one('kernelRegularizer'), recurrent: one('recurrentRegularizer'), bias: one('biasRegularizer') };
}

/** Records the regularizer of each of a recurrent layer's weights (see weightRegularizers). */
export function regularizeWeights(weights: { kernel: Tensor; recurrentKernel: Tensor; bias: Tensor | null }, r: RecurrentRegularizers): void {
  if (r.kernel) weightRegularizers.set(weights.kernel, r.kernel);
  if (r.recurrent) weightRegularizers.set(weights.recurrentKernel, r.recurrent);
  if (r.bias && weights.bias) weightRegularizers.set(weights.bias, r.bias);
}
