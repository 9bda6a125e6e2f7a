/**
 * General matrix multiply on row-major typed arrays.
 *
 *   out[m, n] = op(a) · op(b)            (default)
 *   out[m, n] += op(a) · op(b)           ({ accumulate: true })
 *
 * op(a) is a [m, k] (stored [m, k], or [k, m] with transA);
 * op(b) is b [k, n] (stored [k, n], or [n, k] with transB).
 * Each operand may be a block of a wider matrix: its row stride (lda, ldb,
 * ldc: numbers from one stored row to the next, by default the stored width)
 * and where it starts (offsetA, offsetB, offsetC). So a gate block, columns
 * gH … (g+1)H of a [rows, G·H] buffer, is read or written in place: offset
 * gH, stride G·H.
 */
import type { FloatArray } from './tensor.ts';

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** out += op(a) · op(b) instead of out = op(a) · op(b). */
  accumulate?: boolean;
  lda?: number;
  ldb?: number;
  ldc?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

const PLAIN: GemmOptions = {};

/** The layout of the product under way: every gemm sets it before it packs or multiplies. */
const L = { m: 0, k: 0, n: 0, transA: false, transB: false, lda: 0, ldb: 0, ldc: 0, offsetA: 0, offsetB: 0, offsetC: 0 };

function setLayout(m: number, k: number, n: number, o: GemmOptions): void {
  L.m = m;
  L.k = k;
  L.n = n;
  L.transA = o.transA ?? false;
  L.transB = o.transB ?? false;
  L.lda = o.lda ?? (L.transA ? m : k);
  L.ldb = o.ldb ?? (L.transB ? k : n);
  L.ldc = o.ldc ?? n;
  L.offsetA = o.offsetA ?? 0;
  L.offsetB = o.offsetB ?? 0;
  L.offsetC = o.offsetC ?? 0;
}

/** out = 0 over the [m, n] block (unless accumulating). */
function clearOut(out: FloatArray, accumulate: boolean | undefined): void {
  if (accumulate) return;
  if (L.ldc === L.n) out.fill(0, L.offsetC, L.offsetC + L.m * L.n);
  else for (let i = 0, o = L.offsetC; i < L.m; i++, o += L.ldc) out.fill(0, o, o + L.n);
}

/** The reference: the plain i-k-j loop. Every faster gemm is checked against it. */
export function gemmNaive<T extends FloatArray>(
  out: T, a: Readonly<FloatArray>, b: Readonly<FloatArray>, m: number, k: number, n: number, options: GemmOptions = PLAIN,
): T {
  setLayout(m, k, n, options);
  clearOut(out, options.accumulate);
  const { transA, transB, lda, ldb, ldc, offsetA, offsetB, offsetC } = L;
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[offsetA + (transA ? p * lda + i : i * lda + p)];
      for (let j = 0; j < n; j++) {
        out[offsetC + i * ldc + j] += aip * b[offsetB + (transB ? j * ldb + p : p * ldb + j)];
      }
    }
  }
  return out;
}

/*
 * The fast gemm: packed operands and a 3×4 register tile.
 *
 * JavaScript has no SIMD, so every multiply-add is a scalar multiply and add, and
 * every typed-array read also pays an index computation, an overflow check and a
 * bounds check (about 8 instructions, against 1 for the multiply). The naive loop
 * reads and writes `out` once per multiply-add. Here a 3×4 block of `out` lives in
 * 12 local variables for the whole k loop: per step of k the kernel reads 3
 * numbers of op(a) and 4 of op(b) and does 12 multiply-adds, and `out` is touched
 * once per block. Tiles from 2×4 to 8×4 were measured (Node 20, V8 11.3, x64: 15 float
 * registers): 3×4, 4×3 and 3×3 are the fastest, about 7% ahead of 4×4, which
 * spills more of its 16 sums to the stack; 2×4 reads more numbers per
 * multiply-add, and 4×8 or 8×4 spill too much. Every tile adds into `out`, so
 * a product that does not accumulate clears `out` first.
 *
 * So that those 7 reads are adjacent and the same whatever the transposes and
 * strides, the operands are first copied ("packed") into float64 scratch (K =
 * depth of one block, at most KC):
 *   a panel   [K, MR]            3 rows of op(a), one k-step after another
 *   b panels  [⌈n/NR⌉, K, NR]    op(b) in panels of 4 columns, one k-step after another
 * Both live in ONE Float64Array, the a panel first: the kernel then reads a
 * single array (one map check and base pointer per step instead of two; 3%
 * faster than two arrays). Each transpose case only changes the loop order of
 * the copy, chosen so that the copy reads memory in order. Packing also converts
 * float32 to float64 once, so the kernel only ever sees Float64Array and stays
 * monomorphic whichever dtype the caller uses; sums are taken in float64. Rows
 * and columns beyond m and n are packed as zeros, so the kernel always computes
 * a full tile and only its store is clipped. Packing costs O(m·k + k·n) against
 * the O(m·k·n) of the products.
 *
 * k is cut into blocks of KC so that the packed b of one block stays in cache
 * (L2) while every 3-row panel of a sweeps across it; and so that the scratch
 * stays small when k is long (k = B·T in weight gradients). Speed is flat for
 * KC from 64 to 512.
 *
 * A right operand used by many products (the recurrent kernel U, at every step
 * of a sequence) can be packed once with `packRight` and passed to `gemmPacked`.
 */
// The tile kernel below is written out by hand for MR = 3, NR = 4.
const MR = 3; // rows of out per tile
const NR = 4; // columns of out per tile
const KC = 256; // depth of one packed block of k
const A_PANEL = MR * KC; // room for the packed a panel, at the start of every packed buffer

let scratch = new Float64Array(A_PANEL + NR * KC); // [MR·KC] a panel, then [⌈n/NR⌉, K, NR] one block of op(b)
const edgeTile = new Float64Array(MR * NR); // [MR, NR] a tile that overhangs m or n

/** The fast gemm used by the engine. Same contract as `gemmNaive`. */
export function gemm<T extends FloatArray>(
  out: T, a: Readonly<FloatArray>, b: Readonly<FloatArray>, m: number, k: number, n: number, options: GemmOptions = PLAIN,
): T {
  setLayout(m, k, n, options);
  clearOut(out, options.accumulate);
  if (m === 0 || n === 0) return out;
  const size = A_PANEL + Math.ceil(n / NR) * Math.min(k, KC) * NR;
  if (scratch.length < size) scratch = new Float64Array(size);
  const pk = scratch;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(pk, A_PANEL, b, p0, kc);
    blockProduct(out, a, pk, A_PANEL, p0, kc);
  }
  return out;
}

/** op(b) [k, n] packed once for many products `gemmPacked(out, a, packed, m)`. */
export interface PackedRight {
  readonly k: number;
  readonly n: number;
  /** [MR·KC] room for the a panel, then op(b) block by block: each KC-deep block [⌈n/NR⌉, kc, NR]. */
  readonly data: Float64Array;
}

/**
 * Packs op(b) (b [k, n], or [n, k] with transB; ldb and offsetB as for gemm)
 * for `gemmPacked`. Reuses the storage of `reuse` when it is large enough.
 * The packed copy does not follow later changes to b: pack again after b changes.
 */
export function packRight(b: Readonly<FloatArray>, k: number, n: number, options: GemmOptions = PLAIN, reuse: PackedRight | null = null): PackedRight {
  setLayout(0, k, n, options);
  const panels = Math.ceil(n / NR);
  const size = A_PANEL + panels * NR * k;
  const data = reuse !== null && reuse.data.length >= size ? reuse.data : new Float64Array(size);
  for (let p0 = 0, bOff = A_PANEL; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(data, bOff, b, p0, kc);
    bOff += panels * kc * NR;
  }
  return { k, n, data };
}

/**
 * out [m, n] = op(a) · op(b) (+= when accumulating), op(b) [k, n] packed by
 * `packRight`; the options of a and out as for gemm (those of b went into the
 * packing). The same result as `gemm`. The packed operand's a-panel room is
 * used as scratch.
 */
export function gemmPacked<T extends FloatArray>(out: T, a: Readonly<FloatArray>, packed: PackedRight, m: number, options: GemmOptions = PLAIN): T {
  const { k, n, data } = packed;
  setLayout(m, k, n, options);
  clearOut(out, options.accumulate);
  if (m === 0 || n === 0) return out;
  const panels = Math.ceil(n / NR);
  for (let p0 = 0, bOff = A_PANEL; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    blockProduct(out, a, data, bOff, p0, kc);
    bOff += panels * kc * NR;
  }
  return out;
}

/**
 * out += op(a)[:, p0 … p0+kc] · op(b)[p0 … p0+kc, :], that block of op(b)
 * packed at pk[bOff …]. Each MR-row panel of op(a) is packed into pk[0 … MR·kc].
 */
function blockProduct(out: FloatArray, a: Readonly<FloatArray>, pk: Float64Array, bOff: number, p0: number, kc: number): void {
  for (let i0 = 0; i0 < L.m; i0 += MR) {
    packA(pk, a, i0, p0, kc);
    for (let j0 = 0, bi = bOff; j0 < L.n; j0 += NR, bi += kc * NR) tile(out, i0, j0, pk, bi, kc);
  }
}

/** dst[p, r] = op(a)[i0 + r, p0 + p]: the [K, MR] panel at the start of dst, zero past row m. */
function packA(dst: Float64Array, a: Readonly<FloatArray>, i0: number, p0: number, kc: number): void {
  const { lda } = L;
  const rows = Math.min(MR, L.m - i0);
  if (rows < MR) dst.fill(0, 0, kc * MR);
  if (L.transA) {
    // a is [k, m]: the rows i0.. of op(a) are adjacent within each row p of a.
    // (Full panels are copied three at a time: a loop of 3 costs as much as the copy.)
    for (let p = 0, d = 0, src = L.offsetA + p0 * lda + i0; p < kc; p++, d += MR, src += lda) {
      if (rows === MR) {
        dst[d] = a[src]; dst[d + 1] = a[src + 1]; dst[d + 2] = a[src + 2];
      } else {
        for (let r = 0; r < rows; r++) dst[d + r] = a[src + r];
      }
    }
  } else {
    // a is [m, k]: walk along each row of a.
    for (let r = 0; r < rows; r++) {
      const src = L.offsetA + (i0 + r) * lda + p0;
      for (let p = 0; p < kc; p++) dst[p * MR + r] = a[src + p];
    }
  }
}

/** dst[bOff + (j / NR)·kc·NR + p·NR + c] = op(b)[p0 + p, j + c]: panels of NR columns, zero past column n. */
function packB(dst: Float64Array, bOff: number, b: Readonly<FloatArray>, p0: number, kc: number): void {
  const { n, ldb } = L;
  for (let j0 = 0, base = bOff; j0 < n; j0 += NR, base += kc * NR) {
    const cols = Math.min(NR, n - j0);
    if (cols < NR) dst.fill(0, base, base + kc * NR);
    if (L.transB) {
      // b is [n, k]: column j of op(b) is row j of b.
      for (let c = 0; c < cols; c++) {
        const src = L.offsetB + (j0 + c) * ldb + p0;
        for (let p = 0; p < kc; p++) dst[base + p * NR + c] = b[src + p];
      }
    } else {
      // b is [k, n]: the columns j0.. of op(b) are adjacent within each row p of b.
      for (let p = 0, d = base, src = L.offsetB + p0 * ldb + j0; p < kc; p++, d += NR, src += ldb) {
        if (cols === NR) {
          dst[d] = b[src]; dst[d + 1] = b[src + 1]; dst[d + 2] = b[src + 2]; dst[d + 3] = b[src + 3];
        } else {
          for (let c = 0; c < cols; c++) dst[d + c] = b[src + c];
        }
      }
    }
  }
}

/**
 * out[i0 .. i0+3, j0 .. j0+4] += a panel · b panel, clipped to [m, n].
 * pk: the packed buffer, a panel [kc, 3] at pk[0], b panel [kc, 4] at pk[bi].
 */
function tile(out: FloatArray, i0: number, j0: number, pk: Float64Array, bi: number, kc: number): void {
  // c<r><c>: out[i0 + r, j0 + c], summed over the block.
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  for (let ai = 0, end = kc * MR; ai < end; ai += MR, bi += NR) {
    // One k-step: row p of the b panel times each of the 3 values of column p of the a panel.
    const b0 = pk[bi], b1 = pk[bi + 1], b2 = pk[bi + 2], b3 = pk[bi + 3];
    let x = pk[ai];
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = pk[ai + 1];
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    x = pk[ai + 2];
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
  }
  const { m, n, ldc } = L;
  let o = L.offsetC + i0 * ldc + j0;
  if (i0 + MR <= m && j0 + NR <= n) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03; o += ldc;
    out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13; o += ldc;
    out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23;
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  const rows = Math.min(MR, m - i0);
  const cols = Math.min(NR, n - j0);
  for (let r = 0; r < rows; r++, o += ldc) {
    for (let c = 0; c < cols; c++) out[o + c] += t[r * NR + c];
  }
}
