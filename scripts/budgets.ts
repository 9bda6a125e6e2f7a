/**
 * The size budgets of the engine's core, checked (`npm test` runs this
 * through spec/budgets.spec.ts; alone: `npx tsx scripts/budgets.ts`):
 *
 *   - each cell file (cells/simple-rnn.ts, lstm.ts, gru.ts) at most 300 lines,
 *     opening with a doc comment that holds its equations and ends by line 30;
 *   - the sequence driver (cells/sequence.ts) at most 400 lines;
 *   - autograd/ at most 1,600 lines in all;
 *   - no function in autograd/ or cells/ longer than 80 lines or with more
 *     than 8 parameters;
 *   - no block of 6 or more lines repeated inside cells/, the same or the
 *     same shape with other names (jscpd, identifiers ignored).
 *
 * Functions are found by a scanner of the TypeScript source (comments,
 * strings, templates and regular expressions skipped): `function`
 * declarations and expressions, methods, and arrow functions with a block
 * body. A function's lines run from its first token to its closing brace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const LIMITS = {
  cellFileLines: 300,
  equationsBy: 30,
  driverLines: 400,
  autogradLines: 1600,
  functionLines: 80,
  parameters: 8,
  repeatedLines: 6,
} as const;

export const CELL_FILES = ['cells/simple-rnn.ts', 'cells/lstm.ts', 'cells/gru.ts'];
export const DRIVER = 'cells/sequence.ts';

interface Token {
  text: string;
  line: number;
}

/** The tokens of TypeScript source: identifiers, numbers and punctuation, with comments, strings, templates and regexes dropped. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const templateDepth: number[] = []; // brace depth at which each open template's ${ … } closes
  let braces = 0;
  const skipTo = (end: number): void => {
    for (; i < end; i++) if (source[i] === '\n') line++;
  };
  const regexMayFollow = (): boolean => {
    const prev = tokens[tokens.length - 1]?.text;
    return prev === undefined || /^[(,=:[!&|?{};+\-*%<>~^]$|^(return|typeof|case|in|of|=>)$/.test(prev);
  };
  const template = (): void => { // from just after ` (or the } closing a ${) to the closing ` or the next ${
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\') skipTo(i + 2);
      else if (source[i] === '$' && source[i + 1] === '{') {
        skipTo(i + 2);
        templateDepth.push(braces++);
        return;
      } else skipTo(i + 1);
    }
    skipTo(i + 1);
  };
  while (i < source.length) {
    const c = source[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && source[i + 1] === '/') { while (i < source.length && source[i] !== '\n') i++; continue; }
    if (c === '/' && source[i + 1] === '*') { skipTo(source.indexOf('*/', i + 2) + 2); continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      tokens.push({ text: 'str', line });
      skipTo(j + 1);
      continue;
    }
    if (c === '`') { tokens.push({ text: 'str', line }); i++; template(); continue; }
    if (c === '/' && regexMayFollow()) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && (inClass || source[j] !== '/')) {
        if (source[j] === '\\') j++;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        j++;
      }
      j++;
      while (/[a-z]/i.test(source[j] ?? '')) j++;
      tokens.push({ text: 're', line });
      skipTo(j);
      continue;
    }
    const word = /^[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*|^\d[\w.]*/.exec(source.slice(i, i + 200));
    if (word) { tokens.push({ text: word[0], line }); i += word[0].length; continue; }
    const op = /^(=>|\?\.|\.\.\.)/.exec(source.slice(i, i + 3));
    const text = op ? op[0] : c;
    if (text === '{') braces++;
    if (text === '}') {
      braces--;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        i++;
        template();
        continue;
      }
    }
    tokens.push({ text, line });
    i += text.length;
  }
  return tokens;
}

export interface FunctionInfo {
  name: string;
  line: number;
  lines: number;
  parameters: number;
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const NOT_METHODS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'typeof', 'new', 'await', 'super', 'import']);

/** Index of the token closing the bracket opened at `open`; <> only counts where it encloses type parameters. */
function closing(tokens: Token[], open: number): number {
  const stack: string[] = [];
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k].text;
    if (t in OPEN && (t !== '<' || stack[stack.length - 1] === '>' || k === open)) stack.push(OPEN[t]);
    else if (t === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return k;
    }
  }
  return tokens.length - 1;
}

/** Parameters in the list between ( at `open` and its ): top-level commas, a trailing comma not counted. */
function countParameters(tokens: Token[], open: number, close: number): number {
  if (close === open + 1) return 0;
  let depth = 0;
  let count = 1;
  for (let k = open + 1; k < close; k++) {
    const t = tokens[k].text;
    if (t === '(' || t === '[' || t === '{' || t === '<') depth++;
    else if (t === ')' || t === ']' || t === '}' || t === '>') depth--;
    else if (t === ',' && depth === 0 && k + 1 < close) count++;
  }
  return count;
}

/**
 * After the ) of a parameter list at `close`: the index of the { opening the
 * body, skipping a return type annotation, or -1 when no block body follows.
 */
function bodyStart(tokens: Token[], close: number, arrow: boolean): number {
  let k = close + 1;
  if (tokens[k]?.text === ':') {
    k++;
    for (; k < tokens.length; k++) {
      const t = tokens[k].text;
      const prev = tokens[k - 1].text;
      if (t === '{' && /^[\w$\]>)}]/.test(prev) && prev !== ':' && !['|', '&', ',', '<', '(', '=>'].includes(prev)) break;
      if (t === '=>' && arrow) break;
      if (t in OPEN && t !== '<') k = closing(tokens, k);
      if (t === ';' || t === '=') return -1;
    }
  }
  if (arrow) {
    if (tokens[k]?.text !== '=>') return -1;
    k++;
  }
  return tokens[k]?.text === '{' ? k : -1;
}

/** Every function with a block body, with its length in lines and its number of parameters. */
export function functionsOf(source: string): FunctionInfo[] {
  const tokens = tokenize(source);
  const found: FunctionInfo[] = [];
  const add = (name: string, first: number, open: number, close: number, body: number): void => {
    const end = closing(tokens, body);
    found.push({ name, line: tokens[first].line, lines: tokens[end].line - tokens[first].line + 1, parameters: countParameters(tokens, open, close) });
  };
  const METHOD_CONTEXT = new Set(['{', '}', ';', ',', 'static', 'async', 'get', 'set', 'override', 'private', 'protected', 'public']);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k].text;
    const isName = /^[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*$/.test(t);
    if (t === 'function') { // function name<T>(…) … { or function (…) {
      let open = k + 1;
      if (tokens[open].text === '*') open++;
      const name = tokens[open].text !== '(' && tokens[open].text !== '<' ? tokens[open++].text : '(anonymous)';
      if (tokens[open].text === '<') open = closing(tokens, open) + 1;
      if (tokens[open].text !== '(') continue;
      const close = closing(tokens, open);
      const body = bodyStart(tokens, close, false);
      if (body >= 0) add(name, k, open, close, body);
    } else if (t === '(') { // (…) => { or (…): T => {
      const close = closing(tokens, k);
      const body = bodyStart(tokens, close, true);
      if (body >= 0) add('(arrow)', k, k, close, body);
    } else if (isName && !NOT_METHODS.has(t) && METHOD_CONTEXT.has(tokens[k - 1]?.text ?? '')) { // name<T>(…) … {
      let open = k + 1;
      if (tokens[open]?.text === '<') open = closing(tokens, open) + 1;
      if (tokens[open]?.text !== '(') continue;
      const close = closing(tokens, open);
      const body = bodyStart(tokens, close, false);
      if (body >= 0) add(t, k, open, close, body);
    } else if (isName && tokens[k + 1]?.text === '=>' && tokens[k + 2]?.text === '{' && tokens[k - 1]?.text !== ':') { // x => { (not a return type)
      const end = closing(tokens, k + 2);
      found.push({ name: '(arrow)', line: tokens[k].line, lines: tokens[end].line - tokens[k].line + 1, parameters: 1 });
    }
  }
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The repeated blocks jscpd finds inside `dir` (at least LIMITS.repeatedLines lines, identifiers ignored), as readable lines. */
export function repeatedBlocks(root: string, dir: string): string[] {
  const out = mkdtempSync(join(tmpdir(), 'jscpd-'));
  try {
    const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'jscpd.cmd' : 'jscpd');
    execFileSync(bin, [
      '--min-lines', String(LIMITS.repeatedLines), '--ignore-identifiers', '--reporters', 'json', '--output', out,
      '--silent', '--no-tips', '--no-gitignore', join(root, dir),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const report = JSON.parse(readFileSync(join(out, 'jscpd-report.json'), 'utf8')) as {
      duplicates: Array<{ lines: number; firstFile: { name: string; start: number; end: number }; secondFile: { name: string; start: number; end: number } }>;
    };
    return report.duplicates.map((d) => {
      const at = (f: { name: string; start: number; end: number }): string => `${relative(root, join(root, dir, f.name)).replace(/\\/g, '/')}:${f.start}-${f.end}`;
      return `${d.lines} lines repeated: ${at(d.firstFile)} and ${at(d.secondFile)}`;
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Every budget that is exceeded, as readable lines (none: all are kept). */
export function budgetErrors(root: string): string[] {
  const errors: string[] = [];
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');
  for (const file of CELL_FILES) {
    const text = read(file);
    const n = lineCount(text);
    if (n > LIMITS.cellFileLines) errors.push(`${file}: ${n} lines > ${LIMITS.cellFileLines}`);
    const head = /^\/\*\*[\s\S]*?\*\//.exec(text);
    const ends = head ? lineCount(head[0]) : Infinity;
    const equations = head ? head[0].split('\n').filter((l) => /^\s*\*\s+.*\S\s=\s\S/.test(l)).length : 0;
    if (!(ends <= LIMITS.equationsBy) || equations < 2) {
      errors.push(`${file}: the opening doc comment must hold the equations (lines "a = …") and end by line ${LIMITS.equationsBy}; it ends at ${ends} with ${equations} equation lines`);
    }
  }
  const driver = lineCount(read(DRIVER));
  if (driver > LIMITS.driverLines) errors.push(`${DRIVER}: ${driver} lines > ${LIMITS.driverLines}`);
  const autograd = tsFiles(join(root, 'autograd'));
  const total = autograd.reduce((s, f) => s + lineCount(readFileSync(f, 'utf8')), 0);
  if (total > LIMITS.autogradLines) errors.push(`autograd/: ${total} lines in all > ${LIMITS.autogradLines}`);
  for (const file of [...autograd, ...tsFiles(join(root, 'cells'))]) {
    const name = relative(root, file).replace(/\\/g, '/');
    for (const f of functionsOf(readFileSync(file, 'utf8'))) {
      if (f.lines > LIMITS.functionLines) errors.push(`${name}:${f.line} ${f.name}: ${f.lines} lines > ${LIMITS.functionLines}`);
      if (f.parameters > LIMITS.parameters) errors.push(`${name}:${f.line} ${f.name}: ${f.parameters} parameters > ${LIMITS.parameters}`);
    }
  }
  errors.push(...repeatedBlocks(root, 'cells'));
  return errors;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const errors = budgetErrors(join(import.meta.dirname, '..'));
  for (const e of errors) console.log(e);
  console.log(errors.length === 0 ? 'every budget is kept' : `${errors.length} budget(s) exceeded`);
  if (errors.length > 0) process.exitCode = 1;
}
