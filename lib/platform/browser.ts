/** The browser build: no file system; calls that take a path explain what to pass instead. */
import type { FileSystem } from './types.ts';

export const files: FileSystem | null = null;
