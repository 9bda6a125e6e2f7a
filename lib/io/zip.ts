/**
 * Zip archives in memory, for the `.keras` format: reading (entries stored
 * or deflated) and writing (stored, with the headers Python's zipfile
 * writes, as Keras saves through it).
 *
 * An archive is untrusted input. Reading never extracts anything to disk:
 * an entry's bytes come back as an array. Before anything is allocated, every
 * declared size is checked against the archive's length (the central
 * directory, each local header, each entry's data), an entry name with a
 * `..` segment, an absolute path, a drive letter or a backslash is refused,
 * and inflating stops at the size the header declares. Every error names the
 * archive (`where`), the entry and the numbers.
 */
import { Inflate } from 'fflate';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
/** Deflate's largest expansion (about 1032:1): no compressed entry can inflate to more. */
const MAX_INFLATE_RATIO = 1032;
/** Compressed bytes handed to the inflater at a time, so one step produces at most about 16 MB. */
const INFLATE_SLICE = 16 * 1024;
/** The largest size a zip without zip64 records holds (Python's zipfile switches to zip64 above it). */
const ZIP32_LIMIT = 0x7fffffff;

// ---------------------------------------------------------------- CRC-32

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** True when `bytes` start with a zip local file header (`PK\x03\x04`), as a .keras file does. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The CRC-32 (IEEE) of `bytes`, as zip stores it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- reading

/** One entry as the central directory declares it. */
export interface ZipEntryInfo {
  readonly name: string;
  readonly method: 'stored' | 'deflated';
  /** Bytes of the entry's data in the archive. */
  readonly compressedSize: number;
  /** Bytes of the entry once inflated. */
  readonly size: number;
  readonly crc32: number;
  /** Where the entry's data starts in the archive. */
  readonly dataOffset: number;
}

/** Why a name cannot be an entry of an archive we read, or null when it is acceptable. */
function unsafeName(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name.includes('\0')) return 'a NUL character';
  if (name.includes('\\')) return 'a backslash';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive letter';
  if (name.split('/').some((part) => part === '..')) return "a '..' segment";
  return null;
}

function decodeName(raw: Uint8Array, flags: number, where: string, index: number): string {
  // Without the UTF-8 flag a name is CP437; its ASCII part is the same, and other bytes are refused.
  if ((flags & FLAG_UTF8) === 0 && raw.some((b) => b >= 0x80)) {
    throw new Error(`${where}: zip entry ${index} has a name in a legacy (CP437) encoding with non-ASCII bytes; refusing it`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new Error(`${where}: zip entry ${index} has a name that is not valid UTF-8`);
  }
}

/** An archive read from memory: its entries' names and, on request, their bytes. */
export class ZipArchive {
  private readonly entries = new Map<string, ZipEntryInfo>();

  /** @internal */
  constructor(private readonly bytes: Uint8Array, readonly where: string, entries: readonly ZipEntryInfo[]) {
    for (const e of entries) this.entries.set(e.name, e);
  }

  /** The entries' names, in the central directory's order. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  info(name: string): ZipEntryInfo | undefined {
    return this.entries.get(name);
  }

  /**
   * The bytes of entry `name`: an error naming the archive and its entries
   * when there is none, when it inflates to more or fewer bytes than it
   * declares, or when its CRC does not match.
   */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new Error(`${this.where}: the archive has no '${name}' (its entries: ${this.names.join(', ') || 'none'})`);
    }
    const data = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    const out = entry.method === 'stored' ? data : this.inflate(entry, data);
    const crc = crc32(out);
    if (crc !== entry.crc32) {
      throw new Error(`${this.where}: zip entry '${name}' is damaged: its CRC-32 is ${hex(crc)}, the archive declares ${hex(entry.crc32)}`);
    }
    return out;
  }

  /** Inflates `data` into exactly `entry.size` bytes, stopping as soon as it would produce more. */
  private inflate(entry: ZipEntryInfo, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(entry.size);
    let produced = 0;
    let finished = false;
    const tooMuch = (): Error => new Error(`${this.where}: zip entry '${entry.name}' inflates to more than the ${entry.size} bytes it declares`);
    const inflater = new Inflate((chunk, final) => {
      if (produced + chunk.length > entry.size) throw tooMuch();
      out.set(chunk, produced);
      produced += chunk.length;
      if (final) finished = true;
    });
    try {
      for (let at = 0; at < data.length; at += INFLATE_SLICE) {
        const end = Math.min(data.length, at + INFLATE_SLICE);
        inflater.push(data.subarray(at, end), end === data.length);
      }
      if (data.length === 0) inflater.push(data, true);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(this.where)) throw err;
      throw new Error(`${this.where}: zip entry '${entry.name}' is not valid deflate data (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!finished || produced !== entry.size) {
      throw new Error(`${this.where}: zip entry '${entry.name}' inflates to ${produced} bytes, the archive declares ${entry.size}: it is truncated or damaged`);
    }
    return out;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Where the end-of-central-directory record starts, or -1. */
function findEnd(view: DataView): number {
  const last = view.byteLength - END_BYTES;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + END_BYTES + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return -1;
}

/**
 * Reads the directory of the zip archive in `bytes` (`where` names it in
 * every error) and checks every entry's declared sizes and name; entries
 * are inflated only when read.
 */
export function readZip(bytes: Uint8Array, where: string): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  const looksLikeZip = length >= 4 && view.getUint32(0, true) === LOCAL_HEADER;
  const end = length >= END_BYTES ? findEnd(view) : -1;
  if (end < 0) {
    if (looksLikeZip) throw new Error(`${where}: the zip archive is truncated: it has no end-of-central-directory record (${length} bytes)`);
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${where}: not a zip archive (a .keras file is one): no end-of-central-directory record (it starts with ${head || 'nothing'}; ${length} bytes)`);
  }
  const disk = view.getUint16(end + 4, true);
  const directoryDisk = view.getUint16(end + 6, true);
  const entriesHere = view.getUint16(end + 8, true);
  const count = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw new Error(`${where}: a zip64 archive; Unrolled reads archives under 4 GB without zip64 records`);
  }
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== count) {
    throw new Error(`${where}: a zip archive split over several disks; Unrolled reads single-file archives`);
  }
  if (directoryOffset + directorySize > end) {
    throw new Error(`${where}: the zip central directory declares ${directorySize} bytes at byte ${directoryOffset}, past the end of the entries (byte ${end}): the file is truncated or damaged`);
  }
  if (count * CENTRAL_HEADER_BYTES > directorySize) {
    throw new Error(`${where}: the zip central directory declares ${count} entries in ${directorySize} bytes, too few for them`);
  }

  const entries: ZipEntryInfo[] = [];
  const seen = new Set<string>();
  let at = directoryOffset;
  const directoryEnd = directoryOffset + directorySize;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_BYTES > directoryEnd || view.getUint32(at, true) !== CENTRAL_HEADER) {
      throw new Error(`${where}: zip central directory entry ${i} is damaged (no header at byte ${at})`);
    }
    const flags = view.getUint16(at + 8, true);
    const methodCode = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const next = at + CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
    if (next > directoryEnd) throw new Error(`${where}: zip central directory entry ${i} runs past the directory's end`);
    const name = decodeName(bytes.subarray(at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength), flags, where, i);
    const label = `${where}: zip entry '${name}'`;
    const unsafe = unsafeName(name);
    if (unsafe) throw new Error(`${label} has ${unsafe}; entry names must be relative paths inside the archive`);
    if (seen.has(name)) throw new Error(`${label} appears twice`);
    seen.add(name);
    if (flags & FLAG_ENCRYPTED) throw new Error(`${label} is encrypted; Unrolled reads unencrypted archives`);
    if (methodCode !== STORED && methodCode !== DEFLATED) {
      throw new Error(`${label} uses compression method ${methodCode}; Unrolled reads stored (0) and deflated (8) entries`);
    }
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      throw new Error(`${label} has zip64 sizes; Unrolled reads archives under 4 GB without zip64 records`);
    }
    if (compressedSize > length) {
      throw new Error(`${label} declares ${compressedSize} bytes of data, more than the archive's ${length} bytes`);
    }
    if (methodCode === STORED && size !== compressedSize) {
      throw new Error(`${label} is stored, yet declares ${compressedSize} bytes in the archive and ${size} bytes of content`);
    }
    if (methodCode === DEFLATED && size > Math.max(compressedSize, 1) * MAX_INFLATE_RATIO) {
      throw new Error(`${label} declares ${size} bytes from ${compressedSize} compressed ones; deflate cannot expand more than ${MAX_INFLATE_RATIO}:1`);
    }

    // The local header: its own name and extra field decide where the data starts.
    if (localOffset + LOCAL_HEADER_BYTES > directoryOffset || view.getUint32(localOffset, true) !== LOCAL_HEADER) {
      throw new Error(`${label}: no local header at byte ${localOffset} (the entries end at byte ${directoryOffset})`);
    }
    const localFlags = view.getUint16(localOffset + 6, true);
    const localMethod = view.getUint16(localOffset + 8, true);
    const localNameLength = view.getUint16(localOffset + 26, true);
    const localExtraLength = view.getUint16(localOffset + 28, true);
    if (localMethod !== methodCode) throw new Error(`${label}: the local header says method ${localMethod}, the central directory ${methodCode}`);
    if ((localFlags & FLAG_DATA_DESCRIPTOR) === 0) {
      const localCompressed = view.getUint32(localOffset + 18, true);
      const localSize = view.getUint32(localOffset + 22, true);
      if (localCompressed !== compressedSize || localSize !== size) {
        throw new Error(`${label}: the local header declares ${localCompressed} bytes (${localSize} inflated), the central directory ${compressedSize} (${size})`);
      }
    }
    const localName = decodeName(bytes.subarray(localOffset + LOCAL_HEADER_BYTES, localOffset + LOCAL_HEADER_BYTES + localNameLength), localFlags, where, i);
    if (localName !== name) throw new Error(`${label}: its local header names it '${localName}'`);
    const dataOffset = localOffset + LOCAL_HEADER_BYTES + localNameLength + localExtraLength;
    if (dataOffset + compressedSize > directoryOffset) {
      throw new Error(`${label} declares ${compressedSize} bytes at byte ${dataOffset}, past the end of the entries (byte ${directoryOffset}): the file is truncated or damaged`);
    }
    entries.push({ name, method: methodCode === STORED ? 'stored' : 'deflated', compressedSize, size, crc32: crc, dataOffset });
    at = next;
  }
  return new ZipArchive(bytes, where, entries);
}

// ---------------------------------------------------------------- writing

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** The modification time, as local time (zip's DOS fields); default 1980-01-01 00:00, what Python's zipfile writes for an entry opened by name. */
  modified?: Date;
}

/** DOS time and date fields of `d` (local time; seconds rounded down to even). */
function dosDateTime(d: Date | undefined): { time: number; date: number } {
  if (!d) return { time: 0, date: (1 << 5) | 1 };
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/**
 * A zip archive of `entries`, stored (uncompressed), laid out as Python's
 * zipfile writes one on a seekable file: version 2.0, Unix-made, mode 0600,
 * no extra fields, no data descriptors.
 */
export function writeZip(entries: readonly ZipInput[]): Uint8Array {
  const encoder = new TextEncoder();
  const prepared = entries.map((e) => {
    const unsafe = unsafeName(e.name);
    if (unsafe) throw new Error(`writeZip: entry name '${e.name}' has ${unsafe}`);
    if (e.data.byteLength > ZIP32_LIMIT) throw new Error(`writeZip: entry '${e.name}' is ${e.data.byteLength} bytes, more than a zip without zip64 holds`);
    const name = encoder.encode(e.name);
    const ascii = name.every((b) => b < 0x80);
    return { name, flags: ascii ? 0 : FLAG_UTF8, data: e.data, crc: crc32(e.data), ...dosDateTime(e.modified) };
  });
  const localBytes = prepared.reduce((n, e) => n + LOCAL_HEADER_BYTES + e.name.length + e.data.length, 0);
  const centralBytes = prepared.reduce((n, e) => n + CENTRAL_HEADER_BYTES + e.name.length, 0);
  if (localBytes + centralBytes > ZIP32_LIMIT) throw new Error(`writeZip: ${localBytes + centralBytes} bytes, more than a zip without zip64 holds`);
  const out = new Uint8Array(localBytes + centralBytes + END_BYTES);
  const view = new DataView(out.buffer);
  const offsets: number[] = [];
  let at = 0;
  for (const e of prepared) {
    offsets.push(at);
    view.setUint32(at, LOCAL_HEADER, true);
    view.setUint16(at + 4, 20, true); // version needed: 2.0
    view.setUint16(at + 6, e.flags, true);
    view.setUint16(at + 8, STORED, true);
    view.setUint16(at + 10, e.time, true);
    view.setUint16(at + 12, e.date, true);
    view.setUint32(at + 14, e.crc, true);
    view.setUint32(at + 18, e.data.length, true);
    view.setUint32(at + 22, e.data.length, true);
    view.setUint16(at + 26, e.name.length, true);
    view.setUint16(at + 28, 0, true);
    out.set(e.name, at + LOCAL_HEADER_BYTES);
    out.set(e.data, at + LOCAL_HEADER_BYTES + e.name.length);
    at += LOCAL_HEADER_BYTES + e.name.length + e.data.length;
  }
  const directoryOffset = at;
  prepared.forEach((e, i) => {
    view.setUint32(at, CENTRAL_HEADER, true);
    view.setUint16(at + 4, (3 << 8) | 20, true); // made by: Unix, 2.0
    view.setUint16(at + 6, 20, true);
    view.setUint16(at + 8, e.flags, true);
    view.setUint16(at + 10, STORED, true);
    view.setUint16(at + 12, e.time, true);
    view.setUint16(at + 14, e.date, true);
    view.setUint32(at + 16, e.crc, true);
    view.setUint32(at + 20, e.data.length, true);
    view.setUint32(at + 24, e.data.length, true);
    view.setUint16(at + 28, e.name.length, true);
    // Extra field, comment, disk number and internal attributes stay 0.
    view.setUint32(at + 38, 0o600 << 16, true); // external attributes: a regular file, rw-------
    view.setUint32(at + 42, offsets[i], true);
    out.set(e.name, at + CENTRAL_HEADER_BYTES);
    at += CENTRAL_HEADER_BYTES + e.name.length;
  });
  view.setUint32(at, END_OF_CENTRAL_DIRECTORY, true);
  view.setUint16(at + 8, prepared.length, true);
  view.setUint16(at + 10, prepared.length, true);
  view.setUint32(at + 12, at - directoryOffset, true);
  view.setUint32(at + 16, directoryOffset, true);
  return out;
}
