/**
 * What every Keras 3 config writer here shares: Python's json spelling of the
 * values Keras builds (`PyFloat`, `pythonJson`), and `Serializer`, which
 * records the objects serialized more than once as Keras's
 * `ObjectSharingScope` does (`shared_object_id`).
 */
import { Layer } from '../layers/layer.ts';

// ---------------------------------------------------------------- Python's json

/** A number Keras holds as a Python float: written `0.0`, `1e-07`, as Python's json writes it. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A value of config.json as Keras builds it before `json.dumps`. */
export type PyValue = null | boolean | number | string | PyFloat | PyValue[] | PyDict;
export interface PyDict { [key: string]: PyValue }

/** `repr(float)`: the shortest digits that round-trip, fixed notation for exponents -4 to 15, else `d.ddde±XX`. */
function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0.0';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = x < 0 ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction || '0'}`;
  }
  const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e}`;
}

/** A string as `json.dumps` writes it (ensure_ascii: everything outside space..~ escaped). */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)` with Python's defaults: `, ` and `: ` separators, ASCII only. */
export function pythonJson(value: PyValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`config.json: ${value} is not an integer; Keras's ints are written as ints`);
    return String(value);
  }
  if (value instanceof PyFloat) return pythonFloat(value.value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  return `{${Object.keys(value).map((k) => `${pythonString(k)}: ${pythonJson(value[k])}`).join(', ')}}`;
}

export const float = (x: number): PyFloat => new PyFloat(x);

// ---------------------------------------------------------------- object sharing

/** `serialize_dict`: a fresh copy of every dict and list (the objects' own dicts stay with the sharing records). */
export function copy(value: PyValue): PyValue {
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object' || value instanceof PyFloat) return value;
  const out: PyDict = {};
  for (const k of Object.keys(value)) out[k] = copy(value[k]);
  return out;
}

/** Stands for one Python object during a save, so that sharing is recorded as Keras records it. */
export type KerasObject = object;

/**
 * `serialize_keras_object` inside an `ObjectSharingScope`, with one
 * departure: a layer in `everyOccurrence` (one the model holds more than
 * once) has its id from its first occurrence on. Keras's writer sets the id
 * on the first occurrence's dict when it meets the object again, which does
 * not reach that dict when it was first met inside a nested model (whose
 * config was copied when that model was done): Keras would then load the
 * file as two layers and fail on the weights of the second. Keras's loader
 * builds the first occurrence with an id and hands the same object to every
 * later one (`get_shared_object`), so with the id on every occurrence it
 * loads one layer.
 */
export class Serializer {
  private readonly first = new Map<KerasObject, PyDict>();
  private readonly ids = new Map<KerasObject, number>();

  constructor(private readonly everyOccurrence: ReadonlySet<KerasObject> = new Set()) {}

  /** The layers this serializer met more than once. */
  repeatedLayers(): Set<KerasObject> {
    return new Set([...this.ids.keys()].filter((obj) => obj instanceof Layer));
  }

  /**
   * `{ module, class_name, config, registered_name }` for `obj`, its config
   * from `getConfig` (called now, as Keras calls `get_config()`), then any
   * build or compile config, then the sharing record.
   */
  object(obj: KerasObject, module: string, className: string, getConfig: () => PyDict, extra: () => PyDict = () => ({}), registered: string | null = null): PyDict {
    const out: PyDict = { module, class_name: className, config: copy(getConfig()), registered_name: registered };
    for (const [k, v] of Object.entries(extra())) out[k] = copy(v);
    const seen = this.first.get(obj);
    if (!seen) {
      this.first.set(obj, out);
      if (this.everyOccurrence.has(obj)) out.shared_object_id = this.idOf(obj);
    } else {
      const id = this.idOf(obj);
      out.shared_object_id = id;
      seen.shared_object_id = id;
    }
    return out;
  }

  /** A stand-in for Python's `id(obj)`: distinct per object, in the range CPython's addresses fall in. */
  private idOf(obj: KerasObject): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = 140_000_000_000_000 + 16 * (this.ids.size + 1);
      this.ids.set(obj, id);
    }
    return id;
  }
}
