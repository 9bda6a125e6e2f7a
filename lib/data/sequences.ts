/**
 * `padSequences`: lists of word ids of different lengths → one `[N, maxlen]`
 * tensor, with Keras's `pad_sequences` semantics.
 *
 * N is the number of sequences, L the output length (`maxlen`).
 */
import { Tensor, allocate, type DType } from '../../autograd/tensor.ts';

export type PadSide = 'pre' | 'post';

export interface PadSequencesOptions {
  /** Output length L. Default: the longest sequence. */
  maxlen?: number;
  /** Where the padding goes when a sequence is shorter than L. Default 'pre'. */
  padding?: PadSide;
  /** Which end is cut when a sequence is longer than L: 'pre' keeps the last L. Default 'pre'. */
  truncating?: PadSide;
  /** The padding value. Default 0 (the id reserved for padding). */
  value?: number;
  /** Storage of the result. Default 'float32' (exact for ids below 2^24). */
  dtype?: DType;
}

/** The largest integer a float32 holds exactly, and every integer below it. */
const FLOAT32_EXACT = 2 ** 24;

function checkSide(name: string, side: unknown): PadSide {
  if (side !== 'pre' && side !== 'post') {
    throw new Error(`padSequences: ${name} must be 'pre' or 'post', got ${JSON.stringify(side)}`);
  }
  return side;
}

/**
 * Pads (or truncates) every sequence to length L.
 *
 * As in Keras: `truncating: 'pre'` keeps the last L ids, `'post'` the first L;
 * `padding: 'pre'` puts the padding before the ids, `'post'` after them.
 *
 * @param seqs N sequences of numbers (word ids).
 * @returns `[N, L]` tensor.
 */
export function padSequences(seqs: readonly ArrayLike<number>[], options: PadSequencesOptions = {}): Tensor {
  const { maxlen, value = 0, dtype = 'float32' } = options;
  const padding = checkSide('padding', options.padding ?? 'pre');
  const truncating = checkSide('truncating', options.truncating ?? 'pre');
  if (!Array.isArray(seqs)) {
    throw new Error(`padSequences: seqs must be an array of sequences, got ${typeof seqs}`);
  }
  if (maxlen !== undefined && (!Number.isInteger(maxlen) || maxlen < 1)) {
    throw new Error(`padSequences: maxlen must be a positive integer, got ${maxlen}`);
  }
  if (!Number.isFinite(value)) {
    throw new Error(`padSequences: value must be a finite number, got ${value}`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`padSequences: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }

  let longest = 0;
  for (let n = 0; n < seqs.length; n++) {
    const s = seqs[n];
    if (s === null || typeof s !== 'object' || !Number.isInteger(s.length)) {
      throw new Error(`padSequences: seqs[${n}] is not a sequence of numbers`);
    }
    for (let j = 0; j < s.length; j++) {
      const id = s[j];
      if (typeof id !== 'number' || !Number.isFinite(id)) {
        throw new Error(`padSequences: seqs[${n}][${j}] is ${String(id)}, not a finite number`);
      }
      if (dtype === 'float32' && Number.isInteger(id) && Math.abs(id) > FLOAT32_EXACT) {
        throw new Error(`padSequences: seqs[${n}][${j}] = ${id} is not exact in float32; pass dtype: 'float64'`);
      }
    }
    longest = Math.max(longest, s.length);
  }

  const L = maxlen ?? longest;
  const N = seqs.length;
  const out = allocate(dtype, N * L).fill(value); // [N, L]
  for (let n = 0; n < N; n++) {
    const s = seqs[n];
    const kept = Math.min(s.length, L);
    const from = truncating === 'pre' ? s.length - kept : 0; // first id kept
    const to = padding === 'pre' ? n * L + (L - kept) : n * L; // where it goes
    for (let j = 0; j < kept; j++) out[to + j] = s[from + j];
  }
  return new Tensor(out, [N, L]);
}
