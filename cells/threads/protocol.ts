/**
 * The shared memory between the calling thread and its workers, and what a
 * job says. One control buffer for the pool:
 *
 *   Int32 words   DONE (workers finished with the job), READY (workers
 *                 started), and per worker i: GO + i (the job number it is to
 *                 run; the worker waits on it), MAIL + i (messages posted to
 *                 it), FAILED + i (1 when its part of the job threw)
 *   Float64       the job's header, HEADER_FIELDS numbers (see Field)
 *   Uint16        per worker, the text of the error its part threw
 *
 * A job's arrays live in a region: a SharedArrayBuffer of the workspace that
 * runs it, posted once to each worker that needs it (regions.ts lays it out).
 */

/** Workers a pool may hold: setNumThreads accepts 1 … MAX_THREADS. */
export const MAX_THREADS = 64;

export const DONE = 0;
export const READY = 1;
export const GO = 8;
export const MAIL = GO + MAX_THREADS;
export const FAILED = MAIL + MAX_THREADS;
const INT_WORDS = FAILED + MAX_THREADS;

/** The fields of a job's header. */
export const Field = {
  Op: 0, Workspace: 1, Region: 2, Cell: 3, Dtype: 4, B: 5, T: 6, D: 7, H: 8, Flags: 9,
  Activation: 10, RecurrentActivation: 11, InputMasks: 12, RecurrentMasks: 13, Threads: 14,
} as const;
export const HEADER_FIELDS = 16;

/** What a job asks: a forward (training or inference) or the backward of the latest training forward. */
export const Op = { Forward: 1, Backward: 2 } as const;

/** Bits of Field.Flags. */
export const Flag = {
  GoBackwards: 1, ReturnSequences: 2, Bias: 4, Mask: 8, Initial: 16, Training: 32, Probe: 64,
  WantX: 128, WantW: 256, WantU: 512, WantB: 1024, WantInitial: 2048,
} as const;

/** UTF-16 units of error text kept per worker. */
const ERROR_UNITS = 1024;

export interface Control {
  sab: SharedArrayBuffer;
  words: Int32Array;
  header: Float64Array;
  errors: Uint16Array;
}

export function controlOf(sab: SharedArrayBuffer): Control {
  const headerAt = INT_WORDS * 4;
  const errorsAt = headerAt + HEADER_FIELDS * 8;
  return {
    sab,
    words: new Int32Array(sab, 0, INT_WORDS),
    header: new Float64Array(sab, headerAt, HEADER_FIELDS),
    errors: new Uint16Array(sab, errorsAt, MAX_THREADS * ERROR_UNITS),
  };
}

export function newControl(): Control {
  return controlOf(new SharedArrayBuffer(INT_WORDS * 4 + HEADER_FIELDS * 8 + MAX_THREADS * ERROR_UNITS * 2));
}

/** Worker i's error text into the control buffer (cut to fit). */
export function writeError(c: Control, i: number, text: string): void {
  const n = Math.min(text.length, ERROR_UNITS - 1);
  const at = i * ERROR_UNITS;
  for (let k = 0; k < n; k++) c.errors[at + k] = text.charCodeAt(k);
  c.errors[at + n] = 0;
}

export function readError(c: Control, i: number): string {
  const at = i * ERROR_UNITS;
  let text = '';
  for (let k = at; k < at + ERROR_UNITS && c.errors[k] !== 0; k++) text += String.fromCharCode(c.errors[k]);
  return text;
}

/** The messages a worker receives: its start, a region to keep, a workspace gone. */
export type Message =
  | { kind: 'start'; index: number; control: SharedArrayBuffer }
  | { kind: 'region'; id: number; sab: SharedArrayBuffer }
  | { kind: 'drop'; workspace: number; regions: number[] };
