/**
 * JSON from a model file is data from a stranger. `parseJson` gives every
 * object a null prototype, so keys such as `__proto__` or `constructor` are
 * ordinary entries that reach no prototype, and `ConfigReader` reads a
 * layer's config key by key, turning every wrong type into an error that
 * names the file, the layer and the key.
 */

/** A JSON value as parsed from a file. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object; when it comes from `parseJson`, it has no prototype. */
export interface JsonObject { [key: string]: JsonValue | undefined }

/** Parses `text` (from `file`) into null-prototype objects; malformed JSON is an error naming the file and the position. */
export function parseJson(text: string, file: string): JsonValue {
  try {
    return JSON.parse(text, (_key, value: unknown) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      // Own keys are copied as data properties: a `__proto__` key stays a key.
      const clean: JsonObject = Object.create(null) as JsonObject;
      for (const k of Object.keys(value)) {
        Object.defineProperty(clean, k, { value: (value as JsonObject)[k], enumerable: true, writable: true, configurable: true });
      }
      return clean;
    }) as JsonValue;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `obj[key]` if it is the object's own entry, else undefined (never a prototype's). */
export function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads one `{ class_name, config }` entry's config; `where` names the file and the layer in every error. */
export class ConfigReader {
  constructor(readonly where: string, readonly config: JsonObject) {}

  fail(key: string, expected: string, got: unknown = own(this.config, key)): never {
    throw new Error(`${this.where}: config key '${key}' must be ${expected}, got ${describe(got)}`);
  }

  /** The value, or undefined when the key is absent or null (null means "the default" in these files). */
  raw(key: string): JsonValue | undefined {
    const v = own(this.config, key);
    return v === null ? undefined : v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  number(key: string): number | undefined;
  number(key: string, fallback: number): number;
  number(key: string, fallback?: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number');
    return v;
  }

  positiveInt(key: string): number {
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, 'a positive integer');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  /** One of `allowed`, or `fallback` when absent. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `one of ${allowed.join(', ')} (the ones Unrolled supports)`, v);
    }
    return v as T;
  }

  object(key: string): JsonObject | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!isObject(v)) this.fail(key, 'an object');
    return v;
  }

  /** A shape such as `batch_input_shape`: positive integers or null. */
  shape(key: string): Array<number | null> | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((d) => d !== null && !(typeof d === 'number' && Number.isInteger(d) && d > 0))) {
      this.fail(key, 'an array of positive integers or null');
    }
    return v as Array<number | null>;
  }

  /** Keys whose only supported value is absent/null (regularizers, constraints): anything else is refused, not dropped. */
  requireAbsent(keys: readonly string[], why: string): void {
    for (const key of keys) {
      if (this.has(key)) throw new Error(`${this.where}: config key '${key}' is ${describe(own(this.config, key))}; ${why}`);
    }
  }

  /** Keys whose value must be `expected` when present. */
  requireValue(key: string, expected: JsonValue, why: string): void {
    const v = this.raw(key);
    if (v !== undefined && v !== expected) throw new Error(`${this.where}: config key '${key}' is ${describe(v)}; ${why}`);
  }
}
