/** The file system under Node.js. */
import {
  closeSync, copyFileSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { FileSystem } from './types.ts';

let counter = 0;

export const files: FileSystem | null = {
  readFile: (path) => {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  readText: (path) => readFileSync(path, 'utf8'),
  stat: (path) => {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? { isFile: st.isFile(), isDirectory: st.isDirectory(), size: st.size } : null;
  },
  readdir: (dir) => readdirSync(dir),
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  rename: (from, to) => renameSync(from, to),
  link: (from, to) => {
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  },
  writeFlushed: (path, data) => {
    const fd = openSync(path, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let at = 0;
      while (at < bytes.byteLength) at += writeSync(fd, bytes, at, bytes.byteLength - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  syncDirectory: (dir) => {
    let fd: number | null = null;
    try {
      fd = openSync(dir, 'r');
      fsyncSync(fd);
    } catch {
      // Some systems cannot open or flush a directory; the renames stand regardless.
    } finally {
      if (fd !== null) closeSync(fd);
    }
  },
  join: (...parts) => join(...parts),
  separator: sep,
  dirname: (path) => dirname(path),
  basename: (path) => basename(path),
  resolve: (...parts) => resolve(...parts),
  isAbsolute: (path) => isAbsolute(path),
  realpath: (path) => realpathSync(path),
  uniqueSuffix: () => `${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`,
};
export { hdf5Writer } from './hdf5-writer.ts';
