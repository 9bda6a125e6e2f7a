/**
 * The Keras verbose=1 progress line on stderr: `12/40 [=====>....] - 3s - loss: 0.4512 - acc: 0.8125`.
 * On a terminal it redraws in place; elsewhere (logs, CI) it prints each epoch's final line only.
 * Without a process (a browser), lines go to the console.
 */

interface ErrorStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

function stderr(): ErrorStream | null {
  const proc = (globalThis as { process?: { stderr?: ErrorStream } }).process;
  return proc?.stderr ?? null;
}

/** Writes a line (ending in a newline) of training output: stderr under Node, the console elsewhere. */
export function writeLine(text: string): void {
  const stream = stderr();
  if (stream) stream.write(`${text}\n`);
  else console.log(text);
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly live = stderr()?.isTTY === true;

  constructor(private readonly total: number, private readonly width = 30) {}

  update(done: number, values: Record<string, number>, final = false): void {
    const now = Date.now();
    if (!final && (!this.live || now - this.lastDraw < 100)) return;
    this.lastDraw = now;
    const filled = Math.min(this.width, Math.floor((this.width * done) / this.total));
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done >= this.total ? '=' : '>') : '') + '.'.repeat(this.width - filled);
    const seconds = ((now - this.start) / 1000).toFixed(0);
    const numbers = Object.entries(values).map(([k, v]) => ` - ${k}: ${v.toFixed(4)}`).join('');
    const digits = String(this.total).length;
    const text = `${String(done).padStart(digits)}/${this.total} [${bar}] - ${seconds}s${numbers}`;
    if (this.live) stderr()!.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else if (final) writeLine(text);
  }
}
