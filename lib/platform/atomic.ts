/**
 * Atomic writes: every file goes to a temporary name in its own directory,
 * is flushed, and only then renamed over its target, which replaces the
 * target in one step: at every moment the target is either the old file or
 * the new one. A failure while writing leaves what was there untouched and
 * no temporary file behind. Before the renames, each file about to be
 * replaced gets a second name (a hard link), so a failing rename can put
 * back every file already replaced; only a machine that dies between two
 * renames can leave the first renamed file new and the rest old.
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
  const kept: number[] = [];
  const cleanUp = (): void => {
    for (const t of temporary) fs.remove(t);
    for (const i of kept) fs.remove(previous[i]);
  };
  try {
    outputs.forEach((o, i) => fs.writeFlushed(temporary[i], o.data));
    outputs.forEach((o, i) => {
      if (fs.stat(o.path)) {
        fs.link(o.path, previous[i]);
        kept.push(i);
      }
    });
  } catch (err) {
    cleanUp();
    throw err;
  }
  const renamed: number[] = [];
  try {
    outputs.forEach((o, i) => {
      fs.rename(temporary[i], o.path);
      renamed.push(i);
    });
  } catch (err) {
    // Put back what was replaced; a file that did not exist before goes again.
    for (const i of renamed) {
      if (kept.includes(i)) fs.rename(previous[i], outputs[i].path);
      else fs.remove(outputs[i].path);
    }
    cleanUp();
    throw err;
  }
  cleanUp();
  for (const dir of new Set(outputs.map((o) => fs.dirname(o.path)))) fs.syncDirectory(dir);
}
