/**
 * Atomic writes: every file goes to a temporary name in its own directory,
 * is flushed, and only then renamed over its target. A failure while writing
 * leaves what was there untouched and no temporary file behind. The renames
 * come last, in the given order; the files they replace are first moved
 * aside, so that a failing rename puts every replaced file back (a machine
 * that dies between two renames can still leave the first renamed file new
 * and the rest old).
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
  const beside = (path: string, kind: string): string => fs.join(fs.dirname(path), `.${fs.basename(path)}.${suffix}.${kind}`);
  const temporary = outputs.map((o) => beside(o.path, 'tmp'));
  const previous = outputs.map((o) => beside(o.path, 'old'));
  try {
    outputs.forEach((o, i) => fs.writeFlushed(temporary[i], o.data));
  } catch (err) {
    for (const t of temporary) fs.remove(t);
    throw err;
  }
  const movedAside: number[] = [];
  const renamed: number[] = [];
  try {
    outputs.forEach((o, i) => {
      if (fs.stat(o.path)) {
        fs.rename(o.path, previous[i]);
        movedAside.push(i);
      }
      fs.rename(temporary[i], o.path);
      renamed.push(i);
    });
  } catch (err) {
    for (const i of renamed) fs.remove(outputs[i].path);
    for (const i of movedAside) fs.rename(previous[i], outputs[i].path);
    for (const t of temporary) fs.remove(t);
    throw err;
  }
  for (const i of movedAside) fs.remove(previous[i]);
  for (const dir of new Set(outputs.map((o) => fs.dirname(o.path)))) fs.syncDirectory(dir);
}
