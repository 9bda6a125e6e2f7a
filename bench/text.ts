/**
 * What the benchmarks print: prose folded to the terminal's width on a TTY and
 * to 100 columns when piped (the examples' `say`, lib/progress.ts's wrapText),
 * tables kept within TABLE_WIDTH by the tables themselves, and target verdicts
 * shown with enough digits that the figure on a row never contradicts its
 * pass or MISS.
 */
import { PIPED_WIDTH, outputWidth, wrapText, type OutputStream } from '../lib/progress.ts';

/** The widest line a bench table may print: the width of piped output. */
export const TABLE_WIDTH = PIPED_WIDTH;

/** The UTF-8 bytes of a line: what byte-counting tools (mawk's `length`) measure. */
export function bytesOf(line: string): number {
  return Buffer.byteLength(line, 'utf8');
}

/**
 * `text` folded as paragraphs (lib/progress.ts's wrapText, as the examples'
 * `say` does): to the terminal's width on a TTY; when piped, to 100 columns
 * and 100 UTF-8 bytes, since ×, ·, ∝ and … take two or three bytes and logs
 * are often measured in bytes (`awk 'length > 100'` under mawk).
 */
export function prose(text: string, stream: Pick<OutputStream, 'isTTY' | 'columns'> = process.stdout): string {
  if (stream.isTTY) return wrapText(text, outputWidth({ isTTY: true, columns: stream.columns, write: () => undefined }));
  return text.split('\n').map((line) => foldBytes(line, PIPED_WIDTH)).join('\n');
}

/** One line folded at the widest column count ≤ `width` whose lines all fit in `width` bytes. */
function foldBytes(line: string, width: number): string {
  let folded = wrapText(line, width);
  for (let w = width - 1; w >= 40 && folded.split('\n').some((l) => bytesOf(l) > width); w--) folded = wrapText(line, w);
  return folded;
}

/** console.log of prose, folded (see prose). */
export function say(text = ''): void {
  console.log(prose(text));
}

/** A progress line on stderr, folded to stderr's width (see prose). */
export function note(text: string): void {
  process.stderr.write(`${prose(text, process.stderr)}\n`);
}

/** The most digits `agreeing` tries before it gives up and prints every digit of the number. */
const MAX_DIGITS = 10;

/**
 * `values` printed with the fewest decimals (at least `digits`) for which the
 * printed figures, read back, give the verdict `pass` that the unrounded
 * figures gave: `passes` is the target's test, applied to every value.
 * E.g. a ratio of 2.96 against ≥ 3 prints as 2.96, not as a 3.0 that misses.
 */
export function agreeing(values: readonly number[], passes: (shown: readonly number[]) => boolean, pass: boolean, digits = 1): string[] {
  for (let d = digits; d <= MAX_DIGITS; d++) {
    const shown = values.map((v) => v.toFixed(d));
    if (passes(shown.map(Number)) === pass) return shown;
  }
  return values.map((v) => String(v));
}

/** A verdict: the measured figure, the goal, and whether the unrounded figure met it. */
export interface Verdict {
  value: string;
  goal: string;
  pass: boolean;
}

/** "≥ target×": a speed-up ratio, judged unrounded and shown so that the row agrees with its verdict. */
export function ratioVerdict(ratio: number, target: number): Verdict {
  const pass = ratio >= target;
  const [shown] = agreeing([ratio], ([r]) => r >= target, pass);
  return { value: `${shown}×`, goal: `≥ ${target}×`, pass };
}

/** "centre ± tolerance" for every value: judged unrounded; the smallest and largest are shown, in agreement with the verdict. */
export function withinVerdict(values: readonly number[], centre: number, tolerance: number, goal: string): Verdict {
  const lo = centre - tolerance;
  const hi = centre + tolerance;
  const inside = (xs: readonly number[]) => xs.every((x) => x >= lo && x <= hi);
  const pass = inside(values);
  const [min, max] = agreeing([Math.min(...values), Math.max(...values)], inside, pass, 2);
  return { value: `${min} … ${max}`, goal, pass };
}

/** 'pass' or 'MISS'. */
export function verdictWord(pass: boolean): string {
  return pass ? 'pass' : 'MISS';
}
