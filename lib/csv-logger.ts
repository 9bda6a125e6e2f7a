/**
 * Keras's CSVLogger: one row per epoch — `epoch`, then the log keys in
 * sorted order (those of the first epoch) — written to a CSV file. After
 * every epoch the whole file is written again atomically (a temporary file
 * renamed over it, platform/atomic.ts), so a run that dies leaves a
 * complete file of the epochs that ended. With `append`, the rows follow
 * what the file held when training began, with no second header. Node only:
 * in a browser the constructor says so.
 */
import { files } from '#platform';
import { writeFilesAtomically } from './platform/atomic.ts';
import { requireFiles, type FileSystem } from './platform/types.ts';
import type { Callback, Logs } from './callbacks.ts';

export interface CSVLoggerOptions {
  /** Between fields (default ','). */
  separator?: string;
  /** Add to the file instead of replacing it (default false). */
  append?: boolean;
}

/** One field: quoted (quotes doubled) when it holds the separator, a quote or a line break, as Python's csv module does. */
function field(v: string, separator: string): string {
  return v.includes(separator) || /["\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export class CSVLogger implements Callback {
  readonly path: string;
  readonly separator: string;
  readonly append: boolean;
  private readonly fs: FileSystem;
  private before = '';
  private keys: string[] | null = null;
  private lines: string[] = [];

  constructor(path: string, options: CSVLoggerOptions = {}) {
    const where = `CSVLogger('${String(path)}')`;
    if (typeof path !== 'string' || path === '') throw new Error(`CSVLogger: path must be a non-empty string, got ${String(path)}`);
    const o: unknown = options;
    if (o === null || typeof o !== 'object') throw new Error(`${where}: options must be an object { separator, append }`);
    for (const key of Object.keys(options)) if (key !== 'separator' && key !== 'append') throw new Error(`${where}: unknown option '${key}'; known: separator, append`);
    const separator: unknown = options.separator ?? ',';
    if (typeof separator !== 'string' || separator.length === 0 || /["\r\n]/.test(separator)) {
      throw new Error(`${where}: separator must be a non-empty string without quotes or line breaks, got ${JSON.stringify(separator)}`);
    }
    const append: unknown = options.append ?? false;
    if (typeof append !== 'boolean') throw new Error(`${where}: append must be true or false, got ${String(append)}`);
    this.fs = requireFiles(files, where, 'collect the logs with a LambdaCallback({ onEpochEnd }) instead');
    this.path = path;
    this.separator = separator;
    this.append = append;
  }

  onTrainBegin(): void {
    const stat = this.fs.stat(this.path);
    if (stat && !stat.isFile) throw new Error(`CSVLogger('${this.path}'): the path is a directory, not a file`);
    this.before = this.append && stat ? this.fs.readText(this.path) : '';
    if (this.before !== '' && !this.before.endsWith('\n')) this.before += '\n';
    this.keys = null;
    this.lines = [];
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.separator;
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      if (this.before === '') this.lines.push(['epoch', ...this.keys].map((k) => field(k, sep)).join(sep));
    }
    const extra = Object.keys(logs).filter((k) => !this.keys!.includes(k));
    if (extra.length > 0) {
      throw new Error(`CSVLogger('${this.path}'): epoch ${epoch} logs ${extra.join(', ')}, which the first epoch did not (its columns: ${this.keys.join(', ')})`);
    }
    const values = this.keys.map((k) => (logs[k] === undefined ? 'NA' : String(logs[k])));
    this.lines.push([String(epoch), ...values].map((v) => field(v, sep)).join(sep));
    writeFilesAtomically(this.fs, [{ path: this.path, data: `${this.before}${this.lines.join('\n')}\n` }]);
  }
}
