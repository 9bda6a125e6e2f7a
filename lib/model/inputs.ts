/**
 * What users hand to a model, turned into tensors or refused with a message
 * that says what was passed and where: data (nested arrays, typed arrays,
 * arrays of typed-array rows, Tensors), several inputs as a list or an
 * object keyed by name, and the options of compile / fit / evaluate / predict.
 */
import { Tensor, allocate, formatShape, type DType, type FloatArray } from '../../autograd/index.ts';

/** `value` in words, for error messages: `the string "10"`, `null`, `a Float32Array of 3 values`, … */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') {
    const name = (value as { name?: string }).name;
    return /^[A-Z]/.test(name ?? '') ? `the class ${name} itself (pass an instance: new ${name}(…))` : `a function${name ? ` ${name}` : ''}`;
  }
  if (value instanceof Tensor) return `a Tensor ${formatShape(value.shape)}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as ArrayLike<number>).length;
    return `a ${value.constructor.name}${length === undefined ? '' : ` of ${length} values`}`;
  }
  if (Array.isArray(value)) return `a list of ${value.length}`;
  const name = (value as object).constructor?.name;
  if (name && name !== 'Object') return `a ${name}`;
  const keys = Object.keys(value as object);
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
}

type Row = ArrayLike<number>;

function isNumericView(v: unknown): v is Row {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(typeof BigInt64Array !== 'undefined' && (v instanceof BigInt64Array || v instanceof BigUint64Array));
}

/**
 * `value` as a tensor of `dtype`. Accepts a Tensor (cast if needed), a typed
 * array (one axis), or nested arrays whose innermost entries are numbers or
 * typed-array rows. Anything else — a string, null, a ragged list, no
 * samples — is an error that names the call (`where`, e.g. `fit`), the
 * argument (`what`, e.g. `x` or `x['enc_in']`) and the position.
 */
export function toTensor(value: unknown, where: string, what: string, dtype: DType): Tensor {
  if (value instanceof Tensor) {
    if (value.dtype === dtype) return value;
    return new Tensor(dtype === 'float64' ? Float64Array.from(value.data) : Float32Array.from(value.data), value.shape);
  }
  if (isNumericView(value)) {
    const data = allocate(dtype, value.length);
    for (let i = 0; i < value.length; i++) data[i] = Number(value[i]);
    if (data.length === 0) throw new Error(`${where}: ${what} has no samples (an empty ${value.constructor.name})`);
    return new Tensor(data, [data.length]);
  }
  if (!Array.isArray(value)) {
    const hint = typeof value === 'number' ? '; it must hold one entry per sample: a list, a typed array or a Tensor [N, …]' : '; expected a Tensor, a typed array or nested lists of numbers';
    throw new Error(`${where}: ${what} is ${describeValue(value)}${hint}`);
  }
  if (value.length === 0) throw new Error(`${where}: ${what} has no samples (an empty list)`);
  // The shape from the first entry at every depth; every other entry must agree.
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe) || isNumericView(probe)) {
    const length = (probe as Row).length;
    shape.push(length);
    if (length === 0 || isNumericView(probe)) break;
    probe = (probe as unknown[])[0];
  }
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocate(dtype, size);
  let at = 0;
  const path = (p: readonly number[]): string => p.map((i) => `[${i}]`).join('');
  const walk = (v: unknown, depth: number, p: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        const kind = Array.isArray(v) || isNumericView(v) ? `${describeValue(v)} where ${what}${path(p.map(() => 0))} is a number` : describeValue(v);
        throw new Error(`${where}: ${what}${path(p)} is ${kind}; ${what} must hold numbers only (shape ${formatShape(shape)})`);
      }
      data[at++] = v;
      return;
    }
    const isList = Array.isArray(v);
    if (!isList && !isNumericView(v)) {
      throw new Error(`${where}: ${what}${path(p)} is ${describeValue(v)} where ${what}${path(p.map(() => 0))} is a list of ${shape[depth]}; ${what} must be a rectangular array of numbers`);
    }
    const entries = v as Row;
    if (entries.length !== shape[depth]) {
      throw new Error(`${where}: ${what}${path(p)} has ${entries.length} entries where ${what}${path(p.map(() => 0))} has ${shape[depth]}; ${what} must be a rectangular array (every entry at one depth of the same length)`);
    }
    if (!isList) {
      if (depth !== shape.length - 1) throw new Error(`${where}: ${what}${path(p)} is ${describeValue(v)} where a list of lists is expected`);
      for (let i = 0; i < entries.length; i++) data[at++] = Number(entries[i]);
      return;
    }
    for (let i = 0; i < entries.length; i++) walk((v as unknown[])[i], depth + 1, [...p, i]);
  };
  walk(value, 0, []);
  return new Tensor(data, shape);
}

/** An options object whose keys are all among `known`, or an error naming the first that is not. */
export function checkKeys(where: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}'; known: ${known.join(', ')}`);
  }
}

/** A number option: a finite number of the kind asked for, or an error naming the option and what it got. */
export function numberOption(
  where: string, key: string, value: unknown, fallback: number,
  kind: 'positive integer' | 'non-negative integer' | 'fraction in [0, 1)',
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${where}: ${key} must be a number (a ${kind}), got ${describeValue(value)}`);
  const ok = kind === 'positive integer' ? Number.isInteger(value) && value > 0
    : kind === 'non-negative integer' ? Number.isInteger(value) && value >= 0
      : value >= 0 && value < 1;
  if (!ok) throw new Error(`${where}: ${key} must be a ${kind}, got ${value}`);
  return value;
}

export function booleanOption(where: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** Throws on the first non-finite value of `t`, naming where it is. */
export function checkFinite(what: string, t: Tensor): void {
  const data: FloatArray = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${what} ${formatShape(t.shape)} holds ${data[i]} at flat position ${i}`);
  }
}

/** True for a plain object used as `{ name: data }` (not a Tensor, list or typed array). */
export function isKeyed(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The data of every one of `names` (a model's inputs or outputs), in order,
 * from what the user passed: for one name, the data itself (or a list
 * holding one Tensor, or `{ name: data }`); for several, a list with one
 * entry each or an object keyed by name. `what` is `x` or `y`, `where` the
 * call (`fit`), `kind` the word for the names (`input`, `output`).
 */
export function splitByName(where: string, what: string, value: unknown, names: readonly string[], kind: 'input' | 'output'): Array<{ label: string; value: unknown }> {
  const listed = names.map((n) => `'${n}'`).join(', ');
  if (isKeyed(value)) {
    const keys = Object.keys(value);
    const unknown = keys.filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new Error(`${where}: ${what} has ${unknown.map((k) => `'${k}'`).join(', ')}, which ${unknown.length === 1 ? 'is not an' : 'are not'} ${kind}${unknown.length === 1 ? '' : 's'} of the model; its ${kind}s are ${listed}`);
    const missing = names.filter((n) => !keys.includes(n));
    if (missing.length > 0) throw new Error(`${where}: ${what} has no data for ${kind} ${missing.map((k) => `'${k}'`).join(', ')}; the model's ${kind}s are ${listed}`);
    return names.map((n) => ({ label: `${what}['${n}']`, value: value[n] }));
  }
  if (names.length === 1) {
    if (Array.isArray(value) && value.length === 1 && value[0] instanceof Tensor) return [{ label: what, value: value[0] }];
    return [{ label: what, value }];
  }
  if (!Array.isArray(value)) {
    throw new Error(`${where}: the model has ${names.length} ${kind}s (${listed}); ${what} must be a list of ${names.length} arrays or an object keyed by ${kind} name, got ${describeValue(value)}`);
  }
  if (value.length !== names.length) {
    throw new Error(`${where}: the model has ${names.length} ${kind}s (${listed}), but ${what} is a list of ${value.length}; pass one array per ${kind}, in that order, or an object keyed by ${kind} name`);
  }
  return names.map((_, i) => ({ label: `${what}[${i}]`, value: value[i] }));
}
