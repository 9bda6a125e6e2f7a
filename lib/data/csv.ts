/**
 * CSV reading and the Jena climate loader.
 *
 * The parser takes RFC 4180 CSV: fields separated by a delimiter, records by
 * `\n` or `\r\n`; a field in double quotes may hold delimiters, newlines and
 * doubled quotes (`""` for `"`). The first record is the header. Trailing
 * newlines at the end of the text are ignored; every other record must have
 * as many fields as the header.
 *
 * Errors name the file (or "CSV text" when none is given), the 1-based line on
 * which the record starts and, for cells, the 1-based column and its header.
 */
import { files } from '#platform';
import { requireFiles } from '../platform/types.ts';
import { Tensor, allocate, type DType, type FloatArray } from '../../autograd/tensor.ts';

export interface CsvOptions {
  /** Name used in error messages. */
  file?: string;
  /** Field separator, one character. Default ','. */
  delimiter?: string;
}

export interface CsvTable {
  header: string[];
  /** The records after the header, each as long as `header`. */
  rows: string[][];
  /** For each row, the 1-based line of the text on which it starts. */
  rowLines: number[];
  /** The file name given to `readCsv`, kept for error messages. */
  file?: string;
}

export interface FloatTableOptions {
  /** Name used in error messages (defaults to the table's own). */
  file?: string;
  /** Header names of the columns to leave out (e.g. `['Date Time']`). */
  dropColumns?: readonly string[];
  /** Storage of `floatData`. Default 'float32'. */
  dtype?: DType;
}

export interface FloatTable {
  /** Names of the kept columns, in file order. */
  header: string[];
  /** `[N, K]`: N records, K kept columns. */
  floatData: Tensor;
}

export interface JenaClimate extends FloatTable {
  /** The dropped "Date Time" column, one string per row (e.g. "01.01.2009 00:10:00"). */
  dateTimes: string[];
}

function where(file: string | undefined): string {
  return file ?? 'CSV text';
}

/**
 * Calls `onRecord(fields, line)` for every record of `text` in order, the
 * header included. `line` is the 1-based line on which the record starts.
 *
 * A line without a quote is one record, split natively (the fast path: the
 * Jena file has no quotes after its header); a line with a quote goes
 * through `quotedRecord`, which may run over several lines.
 */
function eachRecord(text: string, options: CsvOptions, onRecord: (fields: string[], line: number) => void): void {
  const { file, delimiter = ',' } = options;
  if (typeof text !== 'string') throw new Error(`readCsv: ${where(file)}: text must be a string, got ${typeof text}`);
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`readCsv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  // Trailing newlines end the last record; they do not start empty ones.
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  if (end === 0) throw new Error(`readCsv: ${where(file)} is empty (no header line)`);

  let pos = 0; // start of the next record
  let line = 1; // its line
  let quote = -1; // the first quote at or after pos (end when none), searched again only once passed
  while (pos < end) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    const lineEnd = nl > pos && text[nl - 1] === '\r' ? nl - 1 : nl;
    if (quote < pos) {
      quote = text.indexOf('"', pos);
      if (quote < 0) quote = end;
    }
    if (quote >= lineEnd) {
      onRecord(text.slice(pos, lineEnd).split(delimiter), line);
      pos = nl + 1;
      line++;
    } else {
      const record = quotedRecord(text, pos, end, delimiter, file, line);
      onRecord(record.fields, line);
      pos = record.next;
      line = record.nextLine;
    }
  }
}

/**
 * One record that holds a quote, read field by field from `pos`. Returns the
 * fields, where the next record starts and on which line.
 */
function quotedRecord(
  text: string, pos: number, end: number, delimiter: string, file: string | undefined, line: number,
): { fields: string[]; next: number; nextLine: number } {
  const startLine = line;
  const fields: string[] = [];
  for (;;) {
    if (text[pos] === '"') {
      let value = '';
      let from = pos + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0 || q >= end) {
          throw new Error(`readCsv: ${where(file)}, line ${startLine}: quoted field is not closed`);
        }
        value += text.slice(from, q);
        if (q + 1 < end && text[q + 1] === '"') {
          value += '"'; // "" stands for one quote
          from = q + 2;
        } else {
          pos = q + 1;
          break;
        }
      }
      for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) line++;
      fields.push(value);
      if (text[pos] === '\r' && text[pos + 1] === '\n') pos++;
      if (pos < end && text[pos] !== delimiter && text[pos] !== '\n') {
        throw new Error(`readCsv: ${where(file)}, line ${line}: unexpected ${JSON.stringify(text[pos])} after a closing quote`);
      }
    } else {
      let stop = pos;
      while (stop < end && text[stop] !== delimiter && text[stop] !== '\n') stop++;
      const crlf = stop > pos && text[stop - 1] === '\r' && (stop === end || text[stop] === '\n');
      fields.push(text.slice(pos, crlf ? stop - 1 : stop));
      pos = stop;
    }
    if (pos < end && text[pos] === delimiter) {
      pos++;
      continue;
    }
    // pos is at the record's newline, or at the end.
    return { fields, next: pos + 1, nextLine: line + 1 };
  }
}

function checkWidth(fields: string[], header: string[], file: string | undefined, line: number): void {
  if (fields.length !== header.length) {
    const what = fields.length === 1 && fields[0] === '' ? 'is empty' : `has ${fields.length} field${fields.length === 1 ? '' : 's'}`;
    throw new Error(`readCsv: ${where(file)}, line ${line}: row ${what}, but the header has ${header.length} columns`);
  }
}

/** Reads CSV text into a header and rows of strings. */
export function readCsv(text: string, options: CsvOptions = {}): CsvTable {
  let header: string[] | null = null;
  const rows: string[][] = [];
  const rowLines: number[] = [];
  eachRecord(text, options, (fields, line) => {
    if (header === null) {
      header = fields;
      return;
    }
    checkWidth(fields, header, options.file, line);
    rows.push(fields);
    rowLines.push(line);
  });
  return { header: header!, rows, rowLines, file: options.file };
}

/** Plain decimal numbers as Python's float() reads them: sign, digits, point, exponent. */
const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Which header columns to keep, checking that every dropped name exists. */
function keptColumns(header: readonly string[], drop: readonly string[], file: string | undefined): number[] {
  for (const name of drop) {
    if (!header.includes(name)) {
      throw new Error(`parseFloatTable: ${where(file)}: dropColumns names ${JSON.stringify(name)}, which is not in the header [${header.map((h) => JSON.stringify(h)).join(', ')}]`);
    }
  }
  const kept: number[] = [];
  header.forEach((name, c) => {
    if (!drop.includes(name)) kept.push(c);
  });
  return kept;
}

/** Writes the kept cells of one record into `out` at `offset`, checking each is a number. */
function parseRow(
  out: FloatArray, offset: number, fields: readonly string[], kept: readonly number[],
  header: readonly string[], file: string | undefined, line: number,
): void {
  for (let k = 0; k < kept.length; k++) {
    const c = kept[k];
    const cell = fields[c];
    if (!NUMBER.test(cell)) {
      throw new Error(`parseFloatTable: ${where(file)}, line ${line}, column ${c + 1} (${JSON.stringify(header[c])}): ${JSON.stringify(cell)} is not a number`);
    }
    out[offset + k] = Number(cell);
  }
}

/**
 * Turns a CSV table of numbers into a `[N, K]` tensor, leaving out the
 * `dropColumns`. Every kept cell must be a finite decimal number.
 */
export function parseFloatTable(table: CsvTable, options: FloatTableOptions = {}): FloatTable {
  const { dropColumns = [], dtype = 'float32' } = options;
  const file = options.file ?? table.file;
  const kept = keptColumns(table.header, dropColumns, file);
  const K = kept.length;
  const N = table.rows.length;
  const data = allocate(dtype, N * K); // [N, K]
  for (let n = 0; n < N; n++) {
    const fields = table.rows[n];
    const line = table.rowLines[n] ?? n + 2;
    checkWidth(fields, table.header, file, line);
    parseRow(data, n * K, fields, kept, table.header, file, line);
  }
  return { header: kept.map((c) => table.header[c]), floatData: new Tensor(data, [N, K]) };
}

/**
 * Reads `jena_climate_2009_2016.csv` (or a file of the same format): a header
 * whose first column is "Date Time", then one record every ten minutes. The
 * "Date Time" column is dropped; the 14 others become `floatData [N, 14]`.
 *
 * The rows are parsed one at a time; no table of strings is kept, so the full
 * file (420,551 rows, 43 MB) loads in a few seconds and about 200 MB.
 *
 * Reading a path needs Node.js; in a browser, read the file's text (`fetch`,
 * a `File`) and pass it to `readCsv`, then `parseFloatTable` with
 * `dropColumns: ['Date Time']`.
 */
export function loadJenaClimate(path: string, options: { dtype?: DType } = {}): JenaClimate {
  const { dtype = 'float32' } = options;
  const fs = requireFiles(
    files, `loadJenaClimate(${JSON.stringify(path)})`,
    "read the file's text (fetch, a File) and pass it to readCsv, then parseFloatTable with dropColumns: ['Date Time']",
  );
  let text: string;
  try {
    text = fs.readText(path);
  } catch (err) {
    throw new Error(`loadJenaClimate: cannot read ${path}: ${(err as Error).message}`);
  }
  let header: string[] | null = null;
  let kept: number[] = [];
  const dateTimes: string[] = [];
  let data = allocate(dtype, 0);
  let n = 0; // rows so far
  eachRecord(text, { file: path }, (fields, line) => {
    if (header === null) {
      if (fields[0] !== 'Date Time') {
        throw new Error(`loadJenaClimate: ${path}, line ${line}: the first column is ${JSON.stringify(fields[0])}, expected "Date Time"`);
      }
      header = fields;
      kept = keptColumns(header, ['Date Time'], path);
      return;
    }
    checkWidth(fields, header, path, line);
    const K = kept.length;
    if ((n + 1) * K > data.length) {
      const grown = allocate(dtype, Math.max(1024, 2 * data.length, (n + 1) * K));
      grown.set(data);
      data = grown;
    }
    parseRow(data, n * K, fields, kept, header, path, line);
    dateTimes.push(fields[0]);
    n++;
  });
  const K = kept.length;
  return {
    header: kept.map((c) => header![c]),
    dateTimes,
    floatData: new Tensor(data.slice(0, n * K), [n, K]),
  };
}
