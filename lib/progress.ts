/**
 * What training prints, and lines that fit the terminal.
 *
 * `EpochProgress` is fit's report of one epoch, on stderr:
 *
 * - on a terminal (verbose 1), one line redrawn in place, cut to the
 *   terminal's width:  `Epoch 3/5 12/40 [=======>......] 325ms/step ETA 9s - loss: 0.4512 - acc: 0.8125`
 * - when the epoch ends, in every mode, one complete line:
 *   `Epoch 3/5 - 13s - loss: 0.4512 - acc: 0.8125 - val_loss: 0.5012 - val_acc: 0.8125`
 * - when stderr is not a terminal (a log, `| tee`), nothing else but a
 *   heartbeat at most every 10 s within a long epoch (verbose 1):
 *   `Epoch 3/5 - 120/500 steps - 10s, ETA 31s - loss: 0.4512`
 *
 * A metric that is the loss itself (metric 'mae' with loss 'mae') is not
 * shown twice. Lines fit `outputWidth`: the terminal's columns, or 100 when
 * the stream is not a terminal; `wrapText` folds prose to that width.
 * Without a process (a browser), lines go to the console.
 */

/** Where lines go: a Node stream (stderr, stdout) or anything with `write`. */
export interface OutputStream {
  isTTY?: boolean;
  /** The terminal's width in columns (Node sets it on TTY streams). */
  columns?: number;
  write(text: string): unknown;
}

/** The width lines keep to when the output is not a terminal. */
export const PIPED_WIDTH = 100;
/** The most a terminal line is allowed, however wide the terminal. */
const MAX_WIDTH = 160;
/** Seconds between two heartbeat lines of a long epoch when the output is not a terminal. */
export const HEARTBEAT_SECONDS = 10;
/** Milliseconds between two redraws of the live line. */
const REDRAW_MS = 100;

function processStream(name: 'stderr' | 'stdout'): OutputStream | null {
  const proc = (globalThis as { process?: Partial<Record<'stderr' | 'stdout', OutputStream>> }).process;
  return proc?.[name] ?? null;
}

/** The columns a line may take on `stream`: its width on a terminal (at most 160), else 100. */
export function outputWidth(stream: OutputStream | null | undefined = processStream('stdout')): number {
  if (stream?.isTTY && typeof stream.columns === 'number' && stream.columns > 0) return Math.min(MAX_WIDTH, stream.columns);
  return PIPED_WIDTH;
}

/** Writes a line (ending in a newline) of training output: stderr under Node, the console elsewhere. */
export function writeLine(text: string): void {
  const stream = processStream('stderr');
  if (stream) stream.write(`${text}\n`);
  else console.log(text);
}

/** The columns `text` takes: one per code point (the project prints no wide characters). */
export function columnsOf(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Folds each line of `text` to `width` columns at spaces. A folded line's
 * continuation keeps its indentation plus two spaces, so a paragraph stays
 * recognisable; a word longer than the room left is cut. Lines that fit are
 * returned as they are (tables keep their alignment).
 */
export function wrapText(text: string, width: number = outputWidth()): string {
  if (!(Number.isInteger(width) && width >= 20)) throw new Error(`wrapText: width must be an integer ≥ 20, got ${width}`);
  return text.split('\n').map((line) => wrapLine(line, width).join('\n')).join('\n');
}

function wrapLine(line: string, width: number): string[] {
  if (columnsOf(line) <= width) return [line];
  const indent = /^ */.exec(line)![0];
  const hanging = `${indent}  `;
  const words = line.slice(indent.length).split(/ +/);
  const out: string[] = [];
  let current = indent;
  let prefix = indent;
  for (let word of words) {
    const sep = current === prefix ? '' : ' ';
    if (columnsOf(current) + sep.length + columnsOf(word) <= width) {
      current += sep + word;
      continue;
    }
    if (current !== prefix) out.push(current);
    prefix = hanging;
    current = hanging;
    // A word wider than a whole line is cut into pieces that fit.
    while (columnsOf(hanging) + columnsOf(word) > width) {
      const room = width - columnsOf(hanging);
      const chars = [...word];
      out.push(hanging + chars.slice(0, room).join(''));
      word = chars.slice(room).join('');
    }
    current = hanging + word;
  }
  if (current !== prefix) out.push(current);
  return out;
}

// ---------------------------------------------------------------------------
// Numbers as training prints them
// ---------------------------------------------------------------------------

/** `0.4512`; `1.234e-5` below 10⁻³, so small losses do not print as 0.0000. */
export function formatValue(v: number, decimals = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(decimals - 1);
  return v.toFixed(decimals);
}

/** `4.2s` under 10 s, `42s` under 100 s, then `2m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 100) return `${Math.round(seconds)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Time per step: `325ms/step`, `1.3s/step`. */
export function formatRate(secondsPerStep: number): string {
  if (!Number.isFinite(secondsPerStep) || secondsPerStep < 0) return '?/step';
  if (secondsPerStep < 1) return `${Math.max(1, Math.round(secondsPerStep * 1000))}ms/step`;
  return `${secondsPerStep.toFixed(secondsPerStep < 10 ? 1 : 0)}s/step`;
}

/**
 * The metrics of a compiled model that are its loss under another name, so
 * that progress lines leave them out: `['mae']` for loss 'mae' with metric
 * 'mae' (their values are the same number).
 */
export function metricsRepeatingLoss(loss: string | null, metrics: readonly string[]): string[] {
  const same: Record<string, string> = { mae: 'mae', mean_absolute_error: 'mae', mse: 'mse', mean_squared_error: 'mse' };
  const lossKind = loss === null ? undefined : same[loss];
  return lossKind === undefined ? [] : metrics.filter((m) => same[m] === lossKind);
}

/** `loss: 0.4512 - acc: 0.8125`, leaving out `hide` and their `val_` twins; shorter forms for `level` 1 (3 decimals) and 2 (also `val_` → `v_`). */
function metricsText(logs: Readonly<Record<string, number>>, hide: ReadonlySet<string>, level: 0 | 1 | 2): string {
  return Object.entries(logs)
    .filter(([k]) => !hide.has(k) && !(k.startsWith('val_') && hide.has(k.slice(4))))
    .map(([k, v]) => `${level === 2 ? k.replace(/^val_/, 'v_') : k}: ${formatValue(v, level === 0 ? 4 : 3)}`)
    .join(' - ');
}

/** `head - metrics` in the longest form that fits `width`, or null when even the shortest does not. */
function fittedLine(head: string, logs: Readonly<Record<string, number>>, hide: ReadonlySet<string>, width: number): string | null {
  for (const level of [0, 1, 2] as const) {
    const metrics = metricsText(logs, hide, level);
    const line = metrics ? `${head} - ${metrics}` : head;
    if (columnsOf(line) <= width) return line;
  }
  return null;
}

/** As fittedLine, cut with an ellipsis when even the shortest form is too long. */
function fitLine(head: string, logs: Readonly<Record<string, number>>, hide: ReadonlySet<string>, width: number): string {
  const line = fittedLine(head, logs, hide, width);
  if (line !== null) return line;
  const chars = [...`${head} - ${metricsText(logs, hide, 2)}`];
  return `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

/** `head - metrics` over as many lines as it takes, each at most `width` columns; continuation lines are indented by two. */
function foldedLines(head: string, logs: Readonly<Record<string, number>>, hide: ReadonlySet<string>, width: number): string[] {
  const parts = metricsText(logs, hide, 1).split(' - ').filter((p) => p !== '');
  const lines: string[] = [];
  let current = head;
  for (const part of parts) {
    const next = `${current} - ${part}`;
    if (columnsOf(next) <= width) current = next;
    else {
      lines.push(current);
      current = `  ${part}`;
    }
  }
  lines.push(current);
  return lines;
}

// ---------------------------------------------------------------------------
// One epoch's progress
// ---------------------------------------------------------------------------

export interface EpochProgressOptions {
  /** 0-based: the first epoch is printed as `Epoch 1/…`. */
  epoch: number;
  epochs: number;
  /** Batches in the epoch. */
  steps: number;
  /** 1: a live bar on a terminal, heartbeats elsewhere; 2: only the line at the end of the epoch. */
  verbose: 1 | 2;
  /** Metric keys not to print (see `metricsRepeatingLoss`); their `val_` keys are left out too. */
  hide?: readonly string[];
  /** Default: process.stderr, or the console where there is no process. */
  stream?: OutputStream;
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number;
}

/** fit's report of one epoch; see the file comment for what it prints where. */
export class EpochProgress {
  private readonly stream: OutputStream | null;
  private readonly live: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private readonly hide: ReadonlySet<string>;
  private readonly name: string;
  private lastDraw = -Infinity;
  private lastBeat: number;

  constructor(private readonly options: EpochProgressOptions) {
    const { epoch, epochs, steps, verbose } = options;
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`EpochProgress: steps must be a positive integer, got ${steps}`);
    if (verbose !== 1 && verbose !== 2) throw new Error(`EpochProgress: verbose must be 1 or 2, got ${String(verbose)}`);
    this.stream = options.stream ?? processStream('stderr');
    this.live = verbose === 1 && this.stream?.isTTY === true;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    this.lastBeat = this.start;
    this.hide = new Set(options.hide ?? []);
    this.name = `Epoch ${epoch + 1}/${epochs}`;
  }

  /** After batch `done` (1 … steps), with the epoch's running averages. */
  update(done: number, logs: Readonly<Record<string, number>>): void {
    const t = this.now();
    if (this.live) {
      if (t - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = t;
      this.stream!.write(`\r${this.liveLine(done, logs, t)}\x1b[K`);
    } else if (this.options.verbose === 1 && done < this.options.steps && t - this.lastBeat >= HEARTBEAT_SECONDS * 1000) {
      this.lastBeat = t;
      const elapsed = (t - this.start) / 1000;
      const eta = (elapsed / done) * (this.options.steps - done);
      const head = `${this.name} - ${done}/${this.options.steps} steps - ${formatDuration(elapsed)}, ETA ${formatDuration(eta)}`;
      this.print(fitLine(head, logs, this.hide, outputWidth(this.stream)));
    }
  }

  /** The epoch's complete line, with the final logs (validation included); folded, never cut, where the terminal is too narrow. */
  end(logs: Readonly<Record<string, number>>): void {
    const elapsed = (this.now() - this.start) / 1000;
    const head = `${this.name} - ${formatDuration(elapsed)}`;
    const width = outputWidth(this.stream);
    const line = fittedLine(head, logs, this.hide, width) ?? foldedLines(head, logs, this.hide, width).join('\n');
    if (this.live) this.stream!.write(`\r\x1b[K${line}\n`);
    else this.print(line);
  }

  /**
   * `Epoch 3/5 12/40 [=====>....] 325ms/step ETA 9s - loss: …`, one column
   * short of the terminal's width (a full-width line would wrap on some
   * terminals). What gives way first: decimals, then the bar's length, the
   * rate, the bar, and last the final metrics.
   */
  private liveLine(done: number, logs: Readonly<Record<string, number>>, t: number): string {
    const { steps } = this.options;
    const width = outputWidth(this.stream) - 1;
    const elapsed = (t - this.start) / 1000;
    const perStep = elapsed / Math.max(1, done);
    const eta = `ETA ${formatDuration(perStep * (steps - done))}`;
    const count = `${String(done).padStart(String(steps).length)}/${steps}`;
    const heads = [
      ...[30, 20, 10].map((w) => `${this.name} ${count} ${bar(done, steps, w)} ${formatRate(perStep)} ${eta}`),
      `${this.name} ${count} ${bar(done, steps, 10)} ${eta}`,
      `${this.name} ${count} ${eta}`,
    ];
    for (const head of heads) {
      const line = fittedLine(head, logs, this.hide, width);
      if (line !== null) return line;
    }
    return fitLine(heads[heads.length - 1], logs, this.hide, width);
  }

  private print(line: string): void {
    if (this.stream) this.stream.write(`${line}\n`);
    else console.log(line);
  }
}

/** `[=====>....]`, `width` cells inside the brackets. */
function bar(done: number, total: number, width: number): string {
  const filled = Math.min(width, Math.floor((width * done) / total));
  const head = filled > 0 ? (done >= total ? '=' : '>') : '';
  return `[${'='.repeat(Math.max(0, filled - 1))}${head}${'.'.repeat(width - filled)}]`;
}
