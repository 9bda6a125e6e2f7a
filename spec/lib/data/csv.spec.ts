import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJenaClimate, parseFloatTable, readCsv } from '../../../lib/data/csv.ts';

const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'jena_climate_small.csv');

const JENA_HEADER = [
  'p (mbar)', 'T (degC)', 'Tpot (K)', 'Tdew (degC)', 'rh (%)', 'VPmax (mbar)', 'VPact (mbar)',
  'VPdef (mbar)', 'sh (g/kg)', 'H2OC (mmol/mol)', 'rho (g/m**3)', 'wv (m/s)', 'max. wv (m/s)', 'wd (deg)',
];

/** Writes `text` to a fresh temporary file, runs `fn` on its path, removes it. */
function withFile(name: string, text: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-csv-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('readCsv: quoted header, quoted fields with commas, quotes and newlines, CRLF', () => {
  const text = '"a","b c",d\r\n1,"x, ""y""",3\r\n"multi\nline",,"6"\r\n';
  const t = readCsv(text);
  assert.equal(t.header, ['a', 'b c', 'd']);
  assert.equal(t.rows, [['1', 'x, "y"', '3'], ['multi\nline', '', '6']]);
  assert.equal(t.rowLines, [2, 3]);
});

test('readCsv: line numbers count the newlines inside quoted fields', () => {
  const t = readCsv('a,b\n"1\n2",3\n4,5');
  assert.equal(t.rows, [['1\n2', '3'], ['4', '5']]);
  assert.equal(t.rowLines, [2, 4]);
});

test('readCsv: quoted records after plain ones, CRLF before and after quotes', () => {
  const t = readCsv('a,b\n1,2\n3,4\r\n"5",6\r\n7,"8"\r\n9,10\n11,"a""b"');
  assert.equal(t.rows, [['1', '2'], ['3', '4'], ['5', '6'], ['7', '8'], ['9', '10'], ['11', 'a"b']]);
  assert.equal(t.rowLines, [2, 3, 4, 5, 6, 7]);
});

test('readCsv: no trailing newline, or several, read the same', () => {
  const a = readCsv('h1,h2\n1,2');
  const b = readCsv('h1,h2\n1,2\n\n\n');
  assert.equal(a.rows, [['1', '2']]);
  assert.equal(b.rows, a.rows);
});

test('readCsv: header only gives no rows; another delimiter', () => {
  assert.equal(readCsv('x,y\n').rows, []);
  assert.equal(readCsv('x;y\n1;2', { delimiter: ';' }).rows, [['1', '2']]);
});

test('readCsv: errors name the file and the line', () => {
  assert.throws(() => readCsv('a,b\n1,2\n3\n', { file: 'data.csv' }), /data\.csv, line 3: row has 1 field, but the header has 2 columns/);
  assert.throws(() => readCsv('a,b\n1,2,3'), /CSV text, line 2: row has 3 fields, but the header has 2 columns/);
  assert.throws(() => readCsv('a,b\n1,2\n\n3,4', { file: 'gap.csv' }), /gap\.csv, line 3: row is empty/);
  assert.throws(() => readCsv('a,b\n1,"open\n2,3', { file: 'q.csv' }), /q\.csv, line 2: quoted field is not closed/);
  assert.throws(() => readCsv('a,b\n"x"y,2', { file: 'q.csv' }), /q\.csv, line 2: unexpected "y" after a closing quote/);
  assert.throws(() => readCsv('\n\n', { file: 'e.csv' }), /e\.csv is empty/);
  assert.throws(() => readCsv('a,b', { delimiter: '"' }), /delimiter must be one character/);
  assert.throws(() => readCsv(42 as never), /text must be a string/);
});

test('parseFloatTable: drops named columns, parses every decimal form', () => {
  const t = readCsv('id,x,y\nr1,1.5,-2\nr2,1e3,.25\nr3, +4 ,-0.5E-1\n');
  const { header, floatData } = parseFloatTable(t, { dropColumns: ['id'] });
  assert.equal(header, ['x', 'y']);
  assert.equal(floatData.shape, [3, 2]);
  assert.equal(floatData.toArray(), [[1.5, -2], [1000, 0.25], [4, Math.fround(-0.05)]]);
});

test('parseFloatTable: float64 on request', () => {
  const { floatData } = parseFloatTable(readCsv('x\n0.1'), { dtype: 'float64' });
  assert.ok(floatData.data instanceof Float64Array);
  assert.is(floatData.data[0], 0.1);
});

test('parseFloatTable: a non-numeric cell is named by file, line, column and header', () => {
  const t = readCsv('id,x,y\nr1,1,2\nr2,3,abc\n', { file: 'm.csv' });
  assert.throws(() => parseFloatTable(t, { dropColumns: ['id'] }), /m\.csv, line 3, column 3 \("y"\): "abc" is not a number/);
  const empty = readCsv('x,y\n1,\n');
  assert.throws(() => parseFloatTable(empty), /CSV text, line 2, column 2 \("y"\): "" is not a number/);
  const nan = readCsv('x\nNaN\n');
  assert.throws(() => parseFloatTable(nan, { file: 'n.csv' }), /n\.csv, line 2, column 1 \("x"\): "NaN" is not a number/);
  assert.throws(() => parseFloatTable(readCsv('x\n1'), { dropColumns: ['Date Time'] }), /dropColumns names "Date Time", which is not in the header \["x"\]/);
});

test('loadJenaClimate: the fixture in the real format', () => {
  const { header, floatData, dateTimes } = loadJenaClimate(fixture);
  assert.equal(header, JENA_HEADER);
  assert.equal(floatData.shape, [30, 14]);
  assert.equal(floatData.dtype, 'float32');
  const row = (n: number) => Array.from(floatData.data.subarray(n * 14, (n + 1) * 14));
  const f32 = (xs: number[]) => xs.map(Math.fround);
  assert.equal(row(0), f32([996.52, -8.02, 265.39, -8.91, 93.30, 3.34, 3.11, 0.22, 1.95, 3.13, 1309.39, 0.59, 0.94, 179.06]));
  assert.equal(row(29), f32([996.21, -10.88, 262.56, -11.73, 93.38, 2.66, 2.49, 0.18, 1.55, 2.50, 1323.25, 1.33, 2.27, 153.60]));
  assert.is(dateTimes.length, 30);
  assert.is(dateTimes[0], '01.01.2009 00:10:00');
  assert.is(dateTimes[29], '01.01.2009 05:00:00');
});

test('loadJenaClimate: agrees with readCsv + parseFloatTable', () => {
  const table = readCsv(readFileSync(fixture, 'utf8'), { file: fixture });
  const viaTable = parseFloatTable(table, { dropColumns: ['Date Time'] });
  const direct = loadJenaClimate(fixture);
  assert.equal(direct.header, viaTable.header);
  assert.equal(Array.from(direct.floatData.data), Array.from(viaTable.floatData.data));
});

test('loadJenaClimate: errors name the file, line and column', () => {
  assert.throws(() => loadJenaClimate('/no/such/jena.csv'), /loadJenaClimate: cannot read \/no\/such\/jena\.csv/);
  const header = '"Date Time","p (mbar)","T (degC)"\n';
  withFile('bad-cell.csv', `${header}01.01.2009 00:10:00,996.52,-8.02\n01.01.2009 00:20:00,996.57,oops\n`, (path) => {
    assert.throws(() => loadJenaClimate(path), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 3, column 3 \\("T \\(degC\\)"\\): "oops" is not a number`));
  });
  withFile('ragged.csv', `${header}01.01.2009 00:10:00,996.52\n`, (path) => {
    assert.throws(() => loadJenaClimate(path), /ragged\.csv, line 2: row has 2 fields, but the header has 3 columns/);
  });
  withFile('no-date.csv', '"p (mbar)","T (degC)"\n996.52,-8.02\n', (path) => {
    assert.throws(() => loadJenaClimate(path), /no-date\.csv, line 1: the first column is "p \(mbar\)", expected "Date Time"/);
  });
  withFile('empty.csv', '', (path) => {
    assert.throws(() => loadJenaClimate(path), /empty\.csv is empty/);
  });
});

test.run();
