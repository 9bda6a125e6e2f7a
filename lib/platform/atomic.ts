/**
 * Atomic writes: every file goes to a temporary name in its own directory,
 * is flushed, and only then renamed over its target, so a failure at any
 * point before the renames leaves what was there untouched, and no
 * temporary file behind.
 */
import type { FileSystem } from './types.ts';

export interface FileToWrite {
  /** The final path. */
  path: string;
  data: Uint8Array | string;
}

/**
 * Writes `outputs` atomically, in the given order of renames (put the file
 * that points at the others last, e.g. model.json after weights.bin).
 */
export function writeFilesAtomically(fs: FileSystem, outputs: readonly FileToWrite[]): void {
  const suffix = fs.uniqueSuffix();
  const temporary = outputs.map((o) => fs.join(fs.dirname(o.path), `.${fs.basename(o.path)}.${suffix}.tmp`));
  try {
    outputs.forEach((o, i) => fs.writeFlushed(temporary[i], o.data));
  } catch (err) {
    for (const t of temporary) fs.remove(t);
    throw err;
  }
  outputs.forEach((o, i) => fs.rename(temporary[i], o.path));
  for (const dir of new Set(outputs.map((o) => fs.dirname(o.path)))) fs.syncDirectory(dir);
}
