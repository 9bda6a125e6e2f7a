/** The browser build: no file system; calls that take a path explain what to pass instead. */
import type { FileSystem, Hdf5Writer } from './types.ts';

export const files: FileSystem | null = null;
export const hdf5Writer: Hdf5Writer | null = null;
