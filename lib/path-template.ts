/**
 * File-path templates in the language of Python's `str.format`, as Keras's
 * ModelCheckpoint fills them: `ckpt/epoch-{epoch:02d}-{val_loss:.3f}`.
 *
 * A template is literal text, `{{` and `}}` for braces, and fields
 * `{name}` or `{name:spec}`. `name` is a log key or `epoch`; `spec` is
 * Python's format spec `[[fill]align][sign][0][width][,|_][.precision][type]`
 * with the types d, f, F, e, E, g, G, % and none. Numbers come out as
 * Python writes them, digit for digit: rounding is exact and ties go to
 * the even digit (`{x:.2f}` of 0.125 is 0.12), exponents have at least two
 * digits (1.5e-05), and a plain `{loss}` is Python's repr of a float (1.0,
 * 0.1, 1e-05). `epoch` is an integer, as in Keras; log values are floats,
 * so `{loss:d}` is an error, as in Python.
 *
 * Templates are checked when parsed (`parseTemplate`), so a bad spec fails
 * when the callback is made, not at the end of the first epoch; a name is
 * checked when the template is filled, against the keys there are.
 */

interface Spec {
  fill: string;
  align: '<' | '>' | '=' | '^' | null;
  sign: '+' | '-' | ' ';
  width: number;
  grouping: ',' | '_' | null;
  precision: number | null;
  type: 'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%' | null;
}

interface Field {
  name: string;
  /** The text between the braces, for messages. */
  raw: string;
  spec: Spec;
}

/** A parsed template: literal text and fields, in order. */
export type Template = ReadonlyArray<string | Field>;

const SPEC = /^(?:([\s\S])?([<>=^]))?([+\- ])?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/;
const TYPES = 'dfFeEgG%';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseSpec(text: string, field: string, where: string): Spec {
  const m = SPEC.exec(text);
  if (!m) {
    throw new Error(`${where}: '{${field}}' has a format spec '${text}' that is not supported; use [[fill]align][sign][0][width][,|_][.precision][type] with type d, f, e, g or % (e.g. {epoch:02d}, {val_loss:.4f})`);
  }
  const [, fill, align, sign, zero, width, grouping, precision, type] = m;
  if (type !== undefined && !TYPES.includes(type)) {
    throw new Error(`${where}: '{${field}}' has the format type '${type}', which is not supported; supported: ${[...TYPES].join(', ')}, or none`);
  }
  if (zero !== undefined && grouping !== undefined) {
    throw new Error(`${where}: '{${field}}': zero padding together with a '${grouping}' separator is not supported`);
  }
  const spec: Spec = {
    fill: fill ?? (zero !== undefined && align === undefined ? '0' : ' '),
    align: (align as Spec['align'] | undefined) ?? (zero !== undefined ? '=' : null),
    sign: (sign as Spec['sign'] | undefined) ?? '-',
    width: width === undefined ? 0 : Number(width),
    grouping: (grouping as Spec['grouping'] | undefined) ?? null,
    precision: precision === undefined ? null : Number(precision),
    type: (type as Spec['type'] | undefined) ?? null,
  };
  if (spec.type === 'd' && spec.precision !== null) throw new Error(`${where}: '{${field}}': a precision is not allowed with the integer type 'd'`);
  if (spec.width > 1000 || (spec.precision ?? 0) > 100) throw new Error(`${where}: '{${field}}': width and precision are limited to 1000 and 100`);
  return spec;
}

/** Parses `template`; `where` starts every error message. */
export function parseTemplate(template: string, where: string): Template {
  const out: Array<string | Field> = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') { text += '{'; i += 2; continue; }
    if (c === '}' && template[i + 1] === '}') { text += '}'; i += 2; continue; }
    if (c === '}') throw new Error(`${where}: a single '}' at position ${i} of '${template}'; write '}}' for a literal brace`);
    if (c !== '{') { text += c; i++; continue; }
    const close = template.indexOf('}', i + 1);
    if (close < 0) throw new Error(`${where}: the '{' at position ${i} of '${template}' is never closed; write '{{' for a literal brace`);
    const raw = template.slice(i + 1, close);
    if (raw.includes('{')) throw new Error(`${where}: '{${raw}}' nests a field inside a field, which is not supported`);
    const colon = raw.indexOf(':');
    const name = colon < 0 ? raw : raw.slice(0, colon);
    if (!NAME.test(name)) {
      const what = name === '' ? 'an empty (positional) field' : name.includes('!') ? 'a conversion (!r, !s)' : /[.[]/.test(name) ? 'attribute or index access' : 'a name that is not a key';
      throw new Error(`${where}: '{${raw}}' is ${what}; fields are log keys or epoch, e.g. {epoch:02d} or {val_loss:.3f}`);
    }
    const spec = parseSpec(colon < 0 ? '' : raw.slice(colon + 1), raw, where);
    if (text) out.push(text);
    text = '';
    out.push({ name, raw, spec });
    i = close + 1;
  }
  if (text) out.push(text);
  return out;
}

/** The names of the template's fields, in order of first use. */
export function templateFields(template: Template): string[] {
  return [...new Set(template.filter((p): p is Field => typeof p !== 'string').map((f) => f.name))];
}

/** A value for a field: an integer (Python int) or a float. */
export interface TemplateValue {
  value: number;
  integer: boolean;
}

/**
 * Fills `template` with `values`; a field whose name is missing is an error
 * naming it and the names there are.
 */
export function fillTemplate(template: Template, values: ReadonlyMap<string, TemplateValue>, where: string): string {
  return template.map((part) => {
    if (typeof part === 'string') return part;
    const v = values.get(part.name);
    if (v === undefined) {
      throw new Error(`${where}: the file path names '{${part.raw}}', but '${part.name}' is not among the available keys: ${[...values.keys()].join(', ')}`);
    }
    return formatValue(v, part.spec, part.raw, where);
  }).join('');
}

// ------------------------------------------------------------ exact decimals

/** |x| exactly as D · 10^−s (x finite). */
function exactDecimal(x: number): { d: bigint; s: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = hi >>> 20;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) return { d: m << BigInt(e), s: 0 };
  return { d: m * 5n ** BigInt(-e), s: -e };
}

/** n / 10^k rounded half to even. */
function divRound(n: bigint, k: number): bigint {
  if (k <= 0) return n * 10n ** BigInt(-k);
  const p = 10n ** BigInt(k);
  const q = n / p;
  const r = n % p;
  const twice = 2n * r;
  if (twice > p || (twice === p && q % 2n === 1n)) return q + 1n;
  return q;
}

/** |x| with `f` digits after the point. */
function fixedDigits(x: number, f: number): string {
  const { d, s } = exactDecimal(x);
  const n = divRound(d, s - f).toString().padStart(f + 1, '0');
  return f === 0 ? n : `${n.slice(0, -f)}.${n.slice(-f)}`;
}

/** |x| to `p` significant digits: the digits and the decimal exponent of the first. */
function significant(x: number, p: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(p), exp: 0 };
  const { d, s } = exactDecimal(x);
  const len = d.toString().length;
  let exp = len - 1 - s;
  let n = divRound(d, len - p);
  if (n.toString().length > p) {
    n /= 10n;
    exp++;
  }
  return { digits: n.toString(), exp };
}

function exponentText(exp: number, upper: boolean): string {
  return `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function sci(digits: string, exp: number, upper: boolean): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return mantissa + exponentText(exp, upper);
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** |x| in Python's general form: 'g' (`keepPoint` false) or the no-type form with a precision (`keepPoint` true). */
function general(x: number, precision: number, upper: boolean, keepPoint: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const { digits, exp } = significant(x, p);
  const fixedUpTo = keepPoint ? p - 1 : p;
  if (exp >= -4 && exp < fixedUpTo) {
    const s = stripZeros(fixedDigits(x, Math.max(0, p - 1 - exp)));
    return keepPoint && !s.includes('.') ? `${s}.0` : s;
  }
  return sci(digits.replace(/0+$/, '') || '0', exp, upper);
}

/** Python's repr of a float's magnitude: the shortest digits that read back exactly. */
function repr(x: number): string {
  const [mantissa, e] = x.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return sci(digits, exp, false);
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function group(body: string, sep: string): string {
  const m = /^(\d+)(.*)$/.exec(body);
  if (!m) return body;
  return m[1].replace(/\B(?=(\d{3})+$)/g, sep) + m[2];
}

function formatValue(v: TemplateValue, spec: Spec, raw: string, where: string): string {
  const x = v.value;
  const type = spec.type;
  if (type === 'd' && !(v.integer && Number.isInteger(x))) {
    throw new Error(`${where}: '{${raw}}' asks for an integer ('d'), but ${raw.split(':')[0]} is a float (${x}); use e.g. :.4f`);
  }
  if (v.integer && type === null && spec.precision !== null) {
    throw new Error(`${where}: '{${raw}}': a precision is not allowed for the integer ${raw.split(':')[0]} without a type; use e.g. :.2f`);
  }
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const upper = type === 'F' || type === 'E' || type === 'G';
  let body: string;
  if (!Number.isFinite(x)) body = (Number.isNaN(x) ? 'nan' : 'inf')[upper ? 'toUpperCase' : 'toLowerCase']() + (type === '%' ? '%' : '');
  else if (v.integer && Number.isInteger(x) && (type === null || type === 'd')) body = BigInt(a).toString();
  else {
    const p = spec.precision ?? 6;
    switch (type) {
      case 'f': case 'F': body = fixedDigits(a, p); break;
      case 'e': case 'E': { const s = significant(a, p + 1); body = sci(s.digits, s.exp, upper); break; }
      case 'g': case 'G': body = general(a, p, upper, false); break;
      case '%': body = `${fixedDigits(a * 100, p)}%`; break;
      default: body = spec.precision === null ? repr(a) : general(a, spec.precision, false, true);
    }
  }
  if (spec.grouping) body = group(body, spec.grouping);
  const sign = negative && !Number.isNaN(x) ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  const pad = Math.max(0, spec.width - sign.length - body.length);
  const fill = spec.fill.repeat(pad);
  switch (spec.align ?? '>') {
    case '<': return sign + body + fill;
    case '=': return sign + fill + body;
    case '^': return spec.fill.repeat(Math.floor(pad / 2)) + sign + body + spec.fill.repeat(pad - Math.floor(pad / 2));
    default: return fill + sign + body;
  }
}
