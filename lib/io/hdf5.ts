/**
 * HDF5 files read from memory, for the Keras loaders: groups and datasets
 * by path, attributes, and float datasets as Float32Array. The reader is
 * jsfive (pure JavaScript: about 90 KB minified and 29 KB gzipped with its
 * inflate, where h5wasm's WebAssembly build is 5 MB; bench/hdf5.ts measures
 * both); it finds the objects, their messages and
 * their attributes, and reads chunked data. What decides how many bytes
 * are read or allocated is parsed here from the object's own messages —
 * the dataspace (shape), the datatype (element size) and the layout (where
 * the data sits) — and checked against the file's length first. A
 * contiguous or compact dataset, the layout Keras writes, is then copied
 * straight out of the file's bytes.
 *
 * A file is untrusted: a file that is not HDF5, one shorter than its
 * superblock says (truncated), a dataset whose declared size exceeds what
 * the file can hold, and anything the reader cannot parse are refused with
 * an error that names the file (the `where` given to `openHdf5`), the
 * object's path and the numbers.
 */
// @ts-expect-error jsfive ships no type declarations; the part used here is typed below.
import * as jsfiveModule from 'jsfive';

/** An attribute's value: a scalar, or the elements of an array attribute in row-major order. */
export type Hdf5Attribute = string | number | readonly string[] | readonly number[];

/** A dataset's element type, as far as the loaders care. */
export type Hdf5DType = 'float16' | 'float32' | 'float64' | 'int' | 'uint' | 'string' | 'other';

// ---------------------------------------------------------------- jsfive's surface

/** One header message: `type`, `size`, `offset_to_message` (from the start of the file). */
type Message = Map<string, number>;

interface DataObjects {
  find_msg_type(type: number): Message[];
  get_attributes(): Record<string, unknown>;
  readonly chunks: number[] | null;
  readonly filter_pipeline: unknown[] | null;
}

interface JsGroup {
  readonly keys: string[];
  get(name: string): JsGroup | JsDataset | null;
  readonly _dataobjects: DataObjects;
}

interface JsDataset {
  readonly value: unknown[];
  readonly _dataobjects: DataObjects;
}

interface Jsfive {
  File: new (buffer: ArrayBuffer, filename: string) => JsGroup;
  Dataset: abstract new (...args: never[]) => JsDataset;
}

const jsfive = jsfiveModule as Jsfive;

// ---------------------------------------------------------------- format constants

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // \x89HDF\r\n\x1a\n
const MSG_DATASPACE = 0x0001;
const MSG_DATATYPE = 0x0003;
const MSG_LAYOUT = 0x0008;
const MSG_ATTRIBUTE = 0x000c;
const MSG_ATTRIBUTE_INFO = 0x0015;
const CLASS_FIXED = 0;
const CLASS_FLOAT = 1;
const CLASS_STRING = 3;
const CLASS_VLEN = 9;
/** Bytes a variable-length element takes in place: its length and a global-heap id. */
const VLEN_ELEMENT = 16;
/** Deflate's largest expansion (about 1032:1): no compressed chunk can hold more. */
const MAX_INFLATE_RATIO = 1032;

/** Where the HDF5 signature sits: byte 0, 512, 1024, 2048, … (after a user block); -1 if nowhere. */
export function hdf5SignatureOffset(bytes: Uint8Array): number {
  for (let at = 0; at + SIGNATURE.length <= bytes.byteLength; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return at;
  }
  return -1;
}

/** True when `bytes` carry the HDF5 signature (at byte 0 or after a user block). */
export function isHdf5(bytes: Uint8Array): boolean {
  return hdf5SignatureOffset(bytes) >= 0;
}

/** A little-endian unsigned integer of 1, 2, 4 or 8 bytes; 8-byte values beyond 2^53 come back as Infinity. */
function readUint(view: DataView, at: number, size: number): number {
  switch (size) {
    case 1: return view.getUint8(at);
    case 2: return view.getUint16(at, true);
    case 4: return view.getUint32(at, true);
    default: {
      const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
      return Number.isSafeInteger(value) ? value : Infinity;
    }
  }
}

/** An error this file raised (as opposed to one the reader threw): passed on as it is. */
class Hdf5Error extends Error {}

function message(what: unknown): string {
  if (what instanceof Error) return what.message;
  return typeof what === 'string' ? what : String(what);
}

/** The file's bytes from the superblock on, with what the loaders need to check sizes. */
interface Store {
  where: string;
  view: DataView;
  /** Bytes from the superblock to the end of the data. */
  length: number;
}

/** A type as its datatype message declares it. */
interface TypeInfo {
  dtype: Hdf5DType;
  /** Bytes per element in the file. */
  size: number;
  littleEndian: boolean;
}

function typeAt(store: Store, at: number): TypeInfo {
  const classAndVersion = store.view.getUint8(at);
  const bits = store.view.getUint8(at + 1);
  const size = store.view.getUint32(at + 4, true);
  const littleEndian = (bits & 1) === 0;
  switch (classAndVersion & 0x0f) {
    case CLASS_FLOAT:
      return { dtype: size === 2 ? 'float16' : size === 4 ? 'float32' : size === 8 ? 'float64' : 'other', size, littleEndian };
    case CLASS_FIXED: return { dtype: bits & 0x08 ? 'int' : 'uint', size, littleEndian };
    case CLASS_STRING: return { dtype: 'string', size, littleEndian };
    // A vlen string has bit 0 set; other vlen types are sequences.
    case CLASS_VLEN: return { dtype: (bits & 1) === 1 ? 'string' : 'other', size: VLEN_ELEMENT, littleEndian };
    default: return { dtype: 'other', size, littleEndian };
  }
}

function typeName({ dtype, size }: TypeInfo): string {
  switch (dtype) {
    case 'int': return `${8 * size}-bit integer`;
    case 'uint': return `${8 * size}-bit unsigned integer`;
    case 'other': return `a type this reader does not decode (${size}-byte elements)`;
    default: return dtype;
  }
}

/** The dimensions of a dataspace message at `at` (version 1 or 2; 8-byte lengths). */
function dimsAt(store: Store, at: number): number[] {
  const version = store.view.getUint8(at);
  const rank = store.view.getUint8(at + 1);
  if (version === 2 && store.view.getUint8(at + 3) === 2) return [0]; // the null dataspace holds nothing
  const first = version === 1 ? at + 8 : at + 4;
  return Array.from({ length: rank }, (_, i) => readUint(store.view, first + 8 * i, 8));
}

/** Elements × bytes per element, or Infinity when that is not a safe integer. */
function byteCount(dims: readonly number[], size: number): number {
  let n = size;
  for (const d of dims) n *= d;
  return Number.isSafeInteger(n) ? n : Infinity;
}

function formatCount(n: number): string {
  return Number.isFinite(n) ? String(n) : 'more than 2^53';
}

function formatDims(dims: readonly number[]): string {
  return `[${dims.map(formatCount).join(', ')}]`;
}

// ---------------------------------------------------------------- objects

/** What groups and datasets share: a path and attributes. */
export abstract class Hdf5Object {
  protected constructor(
    protected readonly store: Store,
    /** The object's path from the root, e.g. `/model_weights/lstm_1`. */
    readonly path: string,
    protected readonly objects: DataObjects,
  ) {}

  /** `where, <kind> '<path>'`, the start of every error about this object. */
  protected abstract get label(): string;

  protected fail(what: string): never {
    throw new Hdf5Error(`${this.label}: ${what}`);
  }

  /** Runs `read` (a call into jsfive), turning what it throws into an error naming the file and the object. */
  protected guarded<T>(what: string, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof Hdf5Error) throw err;
      this.fail(`cannot read ${what} (${message(err)}); the file is damaged or not one this reader understands`);
    }
  }

  private attributeCache: Map<string, unknown> | null = null;

  /** Every attribute, checked (sizes against the file) before the reader decodes any. */
  private attributes(): Map<string, unknown> {
    if (this.attributeCache) return this.attributeCache;
    const { view, length } = this.store;
    const decoded = this.guarded('the attributes', () => {
      for (const msg of this.objects.find_msg_type(MSG_ATTRIBUTE_INFO)) {
        const at = msg.get('offset_to_message')!;
        const flags = view.getUint8(at + 1);
        const heap = readUint(view, at + 2 + (flags & 1 ? 2 : 0), 8);
        if (heap !== Infinity) this.fail('its attributes are kept in dense storage (a fractal heap), which this reader does not support');
      }
      for (const msg of this.objects.find_msg_type(MSG_ATTRIBUTE)) this.checkAttribute(msg.get('offset_to_message')!, length);
      return this.objects.get_attributes();
    });
    // Own keys only, into a Map: a file's attribute names reach no prototype.
    this.attributeCache = new Map(Object.keys(decoded).map((k) => [k, decoded[k]]));
    return this.attributeCache;
  }

  /** Refuses an attribute whose declared size (elements × element size) exceeds the file, before it is decoded. */
  private checkAttribute(at: number, length: number): void {
    const { view } = this.store;
    const version = view.getUint8(at);
    if (version !== 1 && version !== 3) this.fail(`an attribute message of version ${version}; this reader supports versions 1 and 3`);
    const nameSize = view.getUint16(at + 2, true);
    const typeSize = view.getUint16(at + 4, true);
    const pad = (n: number): number => (version === 1 ? Math.ceil(n / 8) * 8 : n);
    const typeAtOffset = at + (version === 1 ? 8 : 9) + pad(nameSize);
    const type = typeAt(this.store, typeAtOffset);
    const dims = dimsAt(this.store, typeAtOffset + pad(typeSize));
    const bytes = byteCount(dims, type.size);
    const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + at + (version === 1 ? 8 : 9), Math.max(0, nameSize - 1)));
    if (type.size === 0 || bytes > length) {
      this.fail(`attribute '${name}' declares ${formatDims(dims)} elements of ${type.size} bytes (${formatCount(bytes)} bytes), more than the file's ${length} bytes`);
    }
  }

  /** The attributes' names, in the file's order. */
  attributeNames(): string[] {
    return [...this.attributes().keys()];
  }

  /** The attribute `name`, or undefined when absent; fixed-length strings come back without their NUL padding. */
  attribute(name: string): Hdf5Attribute | undefined {
    const attrs = this.attributes();
    if (!attrs.has(name)) return undefined;
    const value = attrs.get(name);
    const clean = (v: unknown): string | number => {
      if (typeof v === 'string') {
        const nul = v.indexOf('\0');
        return nul < 0 ? v : v.slice(0, nul);
      }
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      return this.fail(`attribute '${name}' has a type this reader does not decode`);
    };
    if (Array.isArray(value)) {
      const items = value.map(clean);
      if (items.every((v) => typeof v === 'string')) return items as string[];
      if (items.every((v) => typeof v === 'number')) return items as number[];
      return this.fail(`attribute '${name}' mixes strings and numbers`);
    }
    return clean(value);
  }

  /** A string attribute (one string), or undefined when absent. */
  stringAttribute(name: string): string | undefined {
    const v = this.attribute(name);
    if (v === undefined || typeof v === 'string') return v;
    return this.fail(`attribute '${name}' must be a string, got ${describeAttribute(v)}`);
  }

  /**
   * A list-of-strings attribute, or undefined when absent. One string reads
   * as a list of one; an empty numeric array as an empty list (h5py stores
   * an empty Python list as a float64 array of shape (0,)).
   */
  stringListAttribute(name: string): string[] | undefined {
    const v = this.attribute(name);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
    if (Array.isArray(v) && v.length === 0) return [];
    return this.fail(`attribute '${name}' must be a list of strings, got ${describeAttribute(v)}`);
  }

  /** A number attribute (one number), or undefined when absent. */
  numberAttribute(name: string): number | undefined {
    const v = this.attribute(name);
    if (v === undefined || typeof v === 'number') return v;
    return this.fail(`attribute '${name}' must be a number, got ${describeAttribute(v)}`);
  }
}

function describeAttribute(v: Hdf5Attribute): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `a list of ${v.length} ${typeof v[0] === 'string' ? 'strings' : 'numbers'}`;
}

function join(path: string, name: string): string {
  return path === '/' ? `/${name}` : `${path}/${name}`;
}

/** A group: named children (groups and datasets) and attributes. */
export class Hdf5Group extends Hdf5Object {
  /** @internal */
  constructor(store: Store, path: string, private readonly handle: JsGroup) {
    super(store, path, handle._dataobjects);
  }

  protected get label(): string {
    return `${this.store.where}, group '${this.path}'`;
  }

  /** The names of the children, in the order the file lists them (often sorted by name). */
  children(): string[] {
    return this.guarded('the list of children', () => this.handle.keys);
  }

  /** The child at `path` (`/`-separated, relative to this group), or undefined when there is none. */
  get(path: string): Hdf5Group | Hdf5Dataset | undefined {
    const names = path.split('/').filter((s) => s !== '');
    let node: Hdf5Group | Hdf5Dataset = this;
    for (const name of names) {
      if (!(node instanceof Hdf5Group)) return undefined;
      const parent: Hdf5Group = node;
      if (name === '.' || name === '..' || !parent.children().includes(name)) return undefined;
      const child = parent.guarded(`child '${name}'`, () => parent.handle.get(name));
      if (child === null) return undefined;
      const childPath = join(parent.path, name);
      node = child instanceof jsfive.Dataset
        ? new Hdf5Dataset(this.store, childPath, child as JsDataset)
        : new Hdf5Group(this.store, childPath, child as JsGroup);
    }
    return node;
  }

  /** The group at `path`; an error naming the file and the path when it is missing or a dataset. */
  group(path: string): Hdf5Group {
    const node = this.get(path);
    if (node instanceof Hdf5Group) return node;
    return this.fail(node ? `'${path}' is a dataset, not a group` : `has no group '${path}' (its children: ${this.children().join(', ') || 'none'})`);
  }

  /** The dataset at `path`; an error naming the file and the path when it is missing or a group. */
  dataset(path: string): Hdf5Dataset {
    const node = this.get(path);
    if (node instanceof Hdf5Dataset) return node;
    return this.fail(node ? `'${path}' is a group, not a dataset` : `has no dataset '${path}' (its children: ${this.children().join(', ') || 'none'})`);
  }
}

/** Where a dataset's values sit, from its layout message. */
type Layout =
  | { kind: 'stored'; address: number; size: number }
  | { kind: 'unallocated' }
  | { kind: 'chunked'; filtered: boolean };

/**
 * A dataset: a shape, an element type, values, attributes. Opening one
 * checks its declared size against the file: a contiguous or compact
 * dataset must fit in the file's bytes, a chunked one too, or, compressed,
 * within deflate's largest expansion of them.
 */
export class Hdf5Dataset extends Hdf5Object {
  /** The dimensions, outermost first ([] for a scalar). */
  readonly shape: number[];
  readonly dtype: Hdf5DType;
  private readonly type: TypeInfo;
  private readonly layout: Layout;

  /** @internal */
  constructor(store: Store, path: string, private readonly dataset: JsDataset) {
    super(store, path, dataset._dataobjects);
    const space = this.message(MSG_DATASPACE, 'dataspace');
    this.shape = this.guarded('the dataspace', () => dimsAt(store, space));
    this.type = this.guarded('the datatype', () => typeAt(store, this.message(MSG_DATATYPE, 'datatype')));
    this.dtype = this.type.dtype;
    this.layout = this.guarded('the data layout', () => this.readLayout());
    this.checkSize();
  }

  protected get label(): string {
    return `${this.store.where}, dataset '${this.path}'`;
  }

  private message(type: number, what: string): number {
    const msgs = this.guarded(`the ${what}`, () => this.objects.find_msg_type(type));
    if (msgs.length === 0) this.fail(`has no ${what} message`);
    return msgs[0].get('offset_to_message')!;
  }

  /** Bytes the values take, as declared (elements × element size; Infinity past 2^53). */
  get byteLength(): number {
    return byteCount(this.shape, this.type.size);
  }

  private declared(): string {
    return `declares shape ${formatDims(this.shape)} of ${this.type.size}-byte elements (${formatCount(this.byteLength)} bytes)`;
  }

  private checkSize(): void {
    const bytes = this.byteLength;
    const { length } = this.store;
    const layout = this.layout;
    if (layout.kind === 'chunked') {
      const limit = layout.filtered ? length * MAX_INFLATE_RATIO : length;
      if (bytes > limit) {
        this.fail(`${this.declared()}, more than the file's ${length} bytes can hold${layout.filtered ? ` even compressed (${MAX_INFLATE_RATIO}:1 at most)` : ''}`);
      }
      const chunk = this.guarded('the chunk shape', () => this.objects.chunks) ?? [];
      if (byteCount(chunk, this.type.size) > limit) this.fail(`declares chunks of ${formatDims(chunk)} elements, more than the file's ${length} bytes can hold`);
      return;
    }
    if (bytes > length) this.fail(`${this.declared()}, more than the file's ${length} bytes`);
    if (layout.kind === 'unallocated') return;
    if (layout.size < bytes) this.fail(`${this.declared()}, but its storage holds ${layout.size} bytes`);
    if (layout.address + bytes > length) {
      this.fail(`${this.declared()} at byte ${layout.address}, past the end of the file (${length} bytes): the file is truncated or damaged`);
    }
  }

  /** The values as float32, row-major (float64 data converted); other types are refused. */
  float32(): Float32Array {
    const { dtype, size, littleEndian } = this.type;
    if (dtype !== 'float32' && dtype !== 'float64') {
      this.fail(`holds ${typeName(this.type)} data; Unrolled reads float32 and float64 datasets`);
    }
    const bytes = this.byteLength;
    const layout = this.layout;
    if (layout.kind === 'chunked') {
      const values = this.guarded('the chunked data', () => this.dataset.value);
      if (values.length !== bytes / size) this.fail(`the reader gave ${values.length} values for shape ${formatDims(this.shape)}`);
      return Float32Array.from(values, (v) => (typeof v === 'number' ? v : 0));
    }
    if (layout.kind === 'unallocated') return new Float32Array(bytes / size);
    const { view } = this.store;
    const start = view.byteOffset + layout.address;
    const raw = view.buffer.slice(start, start + bytes);
    if (littleEndian) return dtype === 'float32' ? new Float32Array(raw) : Float32Array.from(new Float64Array(raw));
    const data = new DataView(raw);
    return dtype === 'float32'
      ? Float32Array.from({ length: bytes / 4 }, (_, i) => data.getFloat32(4 * i, false))
      : Float32Array.from({ length: bytes / 8 }, (_, i) => data.getFloat64(8 * i, false));
  }

  /** The values of an integer dataset (1, 2, 4 or 8 bytes, signed or not), row-major; other types and integers beyond 2^53 are refused. */
  integers(): number[] {
    const { dtype, size, littleEndian } = this.type;
    if ((dtype !== 'int' && dtype !== 'uint') || ![1, 2, 4, 8].includes(size)) this.fail(`holds ${typeName(this.type)} data; integers were expected`);
    const count = this.byteLength / size;
    const layout = this.layout;
    const safe = (v: number | bigint): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) this.fail(`holds the integer ${String(v)}, beyond 2^53`);
      return n;
    };
    if (layout.kind === 'chunked') {
      const values = this.guarded('the chunked data', () => this.dataset.value);
      if (values.length !== count) this.fail(`the reader gave ${values.length} values for shape ${formatDims(this.shape)}`);
      return values.map((v) => safe(typeof v === 'bigint' || typeof v === 'number' ? v : Number.NaN));
    }
    if (layout.kind === 'unallocated') return new Array<number>(count).fill(0);
    const view = new DataView(this.store.view.buffer, this.store.view.byteOffset + layout.address, this.byteLength);
    const signed = dtype === 'int';
    return Array.from({ length: count }, (_, i) => {
      const at = i * size;
      switch (size) {
        case 1: return signed ? view.getInt8(at) : view.getUint8(at);
        case 2: return signed ? view.getInt16(at, littleEndian) : view.getUint16(at, littleEndian);
        case 4: return signed ? view.getInt32(at, littleEndian) : view.getUint32(at, littleEndian);
        default: return safe(signed ? view.getBigInt64(at, littleEndian) : view.getBigUint64(at, littleEndian));
      }
    });
  }

  /** The layout message (versions 1 to 4): compact, contiguous (stored or not yet allocated) or chunked. */
  private readLayout(): Layout {
    const { view } = this.store;
    const at = this.message(MSG_LAYOUT, 'data layout');
    const version = view.getUint8(at);
    if (version < 1 || version > 4) this.fail(`has a data layout message of version ${version}`);
    const layoutClass = view.getUint8(at + (version < 3 ? 2 : 1));
    if (layoutClass === 2) {
      if (version === 4) this.fail('has a version 4 chunked layout (HDF5 1.10 and later), which this reader does not support');
      return { kind: 'chunked', filtered: this.objects.filter_pipeline !== null };
    }
    if (version < 3) {
      // Versions 1 and 2: the address after 5 reserved bytes.
      if (layoutClass !== 1) this.fail(`has a version ${version} data layout of class ${layoutClass}, which this reader does not support`);
      const address = readUint(view, at + 8, 8);
      return address === Infinity ? { kind: 'unallocated' } : { kind: 'stored', address, size: Infinity };
    }
    if (layoutClass === 0) return { kind: 'stored', address: at + 4, size: view.getUint16(at + 2, true) };
    if (layoutClass === 1) {
      const address = readUint(view, at + 2, 8);
      return address === Infinity ? { kind: 'unallocated' } : { kind: 'stored', address, size: readUint(view, at + 10, 8) };
    }
    return this.fail(`has a data layout of class ${layoutClass} (virtual or unknown), which this reader does not support`);
  }
}

/** An open HDF5 file: the root group, and the file's length. */
export class Hdf5File extends Hdf5Group {
  /** @internal */
  constructor(store: Store, root: JsGroup, readonly byteLength: number) {
    super(store, '/', root);
  }

  protected override get label(): string {
    return this.store.where;
  }
}

/**
 * Opens an HDF5 file held in memory. `where` names the file in every error.
 * Refuses bytes without the HDF5 signature, and a file shorter than its
 * superblock's end-of-file address (truncated).
 */
export function openHdf5(bytes: Uint8Array, where: string): Hdf5File {
  const at = hdf5SignatureOffset(bytes);
  if (at < 0) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const zip = bytes[0] === 0x50 && bytes[1] === 0x4b ? ' (it is a zip archive, such as a .keras file)' : '';
    throw new Error(`${where}: not an HDF5 file${zip}: no HDF5 signature at byte 0, 512, 1024, … (it starts with ${head || 'nothing'}; ${bytes.byteLength} bytes)`);
  }
  // jsfive reads an ArrayBuffer that starts at the superblock; addresses are relative to it.
  const whole = at === 0 && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const buffer = whole ? (bytes.buffer as ArrayBuffer) : bytes.slice(at).buffer;
  const view = new DataView(buffer);
  const store: Store = { where, view, length: buffer.byteLength };
  const end = endOfFile(view, where);
  if (end > buffer.byteLength) {
    throw new Error(`${where}: the HDF5 file is truncated: its superblock says ${formatCount(end)} bytes, there are ${buffer.byteLength}`);
  }
  let root: JsGroup;
  try {
    root = new jsfive.File(buffer, where);
  } catch (err) {
    throw new Error(`${where}: cannot read the HDF5 file (${message(err)}); it is damaged or not one this reader understands`);
  }
  return new Hdf5File(store, root, buffer.byteLength);
}

/** The superblock's end-of-file address (versions 0 to 3), relative to the superblock. */
function endOfFile(view: DataView, where: string): number {
  if (view.byteLength < 48) throw new Error(`${where}: the HDF5 file is truncated: ${view.byteLength} bytes, too short for a superblock`);
  const version = view.getUint8(8);
  if (version === 0 || version === 1) {
    const sizeOfOffsets = view.getUint8(13);
    if (sizeOfOffsets !== 8) throw new Error(`${where}: the HDF5 file uses ${sizeOfOffsets}-byte addresses; this reader supports 8-byte ones`);
    // Base, free-space and end-of-file addresses follow the fixed fields (4 bytes longer in version 1).
    return readUint(view, version === 0 ? 40 : 44, 8);
  }
  if (version === 2 || version === 3) {
    const sizeOfOffsets = view.getUint8(9);
    if (sizeOfOffsets !== 8) throw new Error(`${where}: the HDF5 file uses ${sizeOfOffsets}-byte addresses; this reader supports 8-byte ones`);
    return readUint(view, 28, 8);
  }
  throw new Error(`${where}: the HDF5 superblock has version ${version}; this reader supports versions 0 to 3`);
}
