/**
 * A model in memory as TensorFlow.js passes it between a model and its
 * storage: the topology (JSON), the weight specs (names, shapes, dtypes) and
 * the weights' bytes, little-endian, one after another in spec order. The
 * shapes of these types are TF.js's own (`ModelArtifacts`, `IOHandler`,
 * `SaveResult`), so handlers made with `tf.io.withSaveHandler` or
 * `tf.io.fromMemory` work here too.
 */
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

export type WeightDType = 'float32' | 'int32';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDType;
  /** 'optimizer' for an optimizer's state; absent for the model's weights. */
  group?: string;
}

export interface TrainingConfig {
  loss: string;
  metrics?: string[];
  optimizer_config: { class_name: string; config: JsonObject };
}

export interface ModelArtifacts {
  modelTopology?: JsonObject;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: TrainingConfig;
  weightSpecs?: WeightSpec[];
  /** The weights' bytes: one buffer, or several to be read as their concatenation (TF.js 4). */
  weightData?: ArrayBuffer | ArrayBuffer[];
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
}

/** Where a model goes to or comes from, as TF.js's `tf.io.IOHandler`. */
export interface IOHandler {
  save?(artifacts: ModelArtifacts): Promise<SaveResult>;
  load?(): Promise<ModelArtifacts>;
}

const BYTES: Readonly<Record<WeightDType, number>> = { float32: 4, int32: 4 };

export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const bytes = artifacts.weightData === undefined ? 0
    : Array.isArray(artifacts.weightData) ? artifacts.weightData.reduce((n, b) => n + b.byteLength, 0) : artifacts.weightData.byteLength;
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: new TextEncoder().encode(JSON.stringify(artifacts.modelTopology ?? null)).byteLength,
    weightSpecsBytes: new TextEncoder().encode(JSON.stringify(artifacts.weightSpecs ?? [])).byteLength,
    weightDataBytes: bytes,
  };
}

/**
 * Checks one weight spec of `where` and returns it typed, with the number of
 * bytes it takes. Shapes are checked before any byte count is trusted, so a
 * spec that promises terabytes is refused by arithmetic, not by allocating.
 */
export function checkWeightSpec(spec: unknown, where: string): { spec: WeightSpec; bytes: number } {
  if (!isObject(spec)) throw new Error(`${where}: a weight entry must be an object { name, shape, dtype }, got ${describe(spec)}`);
  const name = own(spec, 'name');
  const shape = own(spec, 'shape');
  const dtype = own(spec, 'dtype') ?? 'float32';
  const group = own(spec, 'group');
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${where}: a weight entry has no name (got ${describe(name)})`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`${where}: weight '${name}' has shape ${describe(shape)}; a shape is a list of non-negative integers`);
  }
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`${where}: weight '${name}' has dtype ${describe(dtype)}; Unrolled reads float32 and int32 weights`);
  }
  if (own(spec, 'quantization') !== undefined) {
    throw new Error(`${where}: weight '${name}' is quantized; Unrolled reads unquantized weights only (convert without --quantize)`);
  }
  const dims = shape as number[];
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw new Error(`${where}: weight '${name}' has shape [${dims.join(', ')}], too large to hold`);
  }
  const typed: WeightSpec = { name, shape: dims, dtype };
  if (typeof group === 'string') typed.group = group;
  return { spec: typed, bytes: count * BYTES[dtype] };
}

/** Bytes taken by every spec together. */
export function specBytes(specs: readonly WeightSpec[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, d) => a * d, 1) * BYTES[s.dtype], 0);
}

/** The concatenation of TF.js's weight data as one byte view. */
export function weightBytes(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

export interface DecodedWeight {
  spec: WeightSpec;
  values: Float32Array | Int32Array;
}

/** Cuts `bytes` into the weights `specs` describe, after checking that the byte counts agree exactly. */
export function decodeWeights(specs: readonly WeightSpec[], bytes: Uint8Array, where: string): DecodedWeight[] {
  for (const spec of specs) {
    const need = specBytes([spec]);
    if (need > bytes.byteLength) {
      throw new Error(`${where}: weight '${spec.name}' [${spec.shape.join(', ')}] declares ${need} bytes, more than the ${bytes.byteLength} bytes of weight data`);
    }
  }
  const expected = specBytes(specs);
  if (bytes.byteLength !== expected) {
    const kind = bytes.byteLength < expected ? 'truncated' : 'longer than the specs declare';
    throw new Error(`${where}: the weight data is ${kind}: the specs declare ${expected} bytes, the data holds ${bytes.byteLength}`);
  }
  const out: DecodedWeight[] = [];
  let at = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const copy = bytes.slice(at, at + 4 * n).buffer;
    out.push({ spec, values: spec.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy) });
    at += 4 * n;
  }
  return out;
}

/** The bytes of `arrays` one after another, as float32 (or int32 where the spec says so). */
export function encodeWeights(specs: readonly WeightSpec[], arrays: ReadonlyArray<ArrayLike<number>>): ArrayBuffer {
  const out = new ArrayBuffer(specBytes(specs));
  let at = 0;
  specs.forEach((spec, i) => {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const view = spec.dtype === 'int32' ? new Int32Array(out, at, n) : new Float32Array(out, at, n);
    view.set(arrays[i]);
    at += 4 * n;
  });
  return out;
}

/** Checks that a loaded topology is a JSON object. */
export function topologyOf(value: JsonValue | undefined, where: string): JsonObject {
  if (!isObject(value)) throw new Error(`${where}: modelTopology must be an object, got ${describe(value)}`);
  return value;
}
