/**
 * General matrix multiply on row-major typed arrays.
 *
 *   out[m, n] = op(a) · op(b)            (accumulate = false)
 *   out[m, n] += op(a) · op(b)           (accumulate = true)
 *
 * op(a) is a [m, k] (stored [m, k], or [k, m] when transA);
 * op(b) is b [k, n] (stored [k, n], or [n, k] when transB).
 */
import type { FloatArray } from './tensor.ts';

/** The reference: the plain i-k-j loop. Every faster gemm is checked against it. */
export function gemmNaive<T extends FloatArray>(
  out: T, a: Readonly<FloatArray>, b: Readonly<FloatArray>,
  m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  if (!accumulate) out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) {
        out[i * n + j] += aip * (transB ? b[j * k + p] : b[p * n + j]);
      }
    }
  }
  return out;
}

/*
 * The fast gemm: packed operands and a 4×4 register tile.
 *
 * JavaScript has no SIMD, so every multiply-add is a scalar multiply and add, and
 * every typed-array read also pays an index computation and a bounds check. The
 * naive loop reads and writes `out` once per multiply-add. Here a 4×4 block of
 * `out` lives in 16 local variables (registers, mostly) for the whole k loop: per
 * step of k the kernel reads 4 numbers of op(a) and 4 of op(b) and does 16
 * multiply-adds, and `out` is touched once per block. Tiles from 1×8 to 8×4 were
 * measured: those with fewer than 12 sums (1×8, 2×4, 4×2) are slower, as they
 * read more numbers per multiply-add; 4×3, 4×4, 6×2 and 8×2 are within noise of
 * each other (x64 has 16 float registers and V8 keeps one, so beyond about 12
 * sums it spills to the stack and bigger tiles stop paying). 4×4 is the simplest.
 * Every tile adds into `out`, so `accumulate = false` clears `out` first.
 *
 * So that those 8 reads are adjacent and the same whatever the transposes, the
 * operands are first copied ("packed") into module-level float64 scratch, which
 * grows and is reused across calls (K = depth of one block, at most KC):
 *   packedA  [K, 4]          4 rows of op(a), one k-step after another
 *   packedB  [⌈n/4⌉, K, 4]   op(b) in panels of 4 columns, one k-step after another
 * Each transpose case only changes the loop order of the copy, chosen so that the
 * copy reads memory in order. Packing also converts float32 to float64 once, so
 * the kernel only ever sees Float64Array and stays monomorphic whichever dtype
 * the caller uses; sums are taken in float64. Rows and columns beyond m and n are
 * packed as zeros, so the kernel always computes a full tile and only its store
 * is clipped. Packing costs O(m·k + k·n) against the O(m·k·n) of the products.
 *
 * k is cut into blocks of KC so that the packed b of one block stays in cache
 * (L2) while every 4-row panel of a sweeps across it; and so that the scratch
 * stays small when k is long (k = B·T in weight gradients). Speed is flat for
 * KC from 64 to 512.
 */
// The tile kernel below is written out by hand for MR = NR = 4.
const MR = 4; // rows of out per tile
const NR = 4; // columns of out per tile
const KC = 256; // depth of one packed block of k

const packedA = new Float64Array(MR * KC); // [K, MR]
let packedB = new Float64Array(NR * KC); // [⌈n/NR⌉, K, NR]
const edgeTile = new Float64Array(MR * NR); // [MR, NR] a tile that overhangs m or n

/** The fast gemm used by the engine. Same contract as `gemmNaive`. */
export function gemm<T extends FloatArray>(
  out: T, a: Readonly<FloatArray>, b: Readonly<FloatArray>,
  m: number, k: number, n: number,
  transA = false, transB = false, accumulate = false,
): T {
  if (!accumulate) out.fill(0, 0, m * n);
  if (m === 0 || n === 0) return out;
  const panels = Math.ceil(n / NR);
  const depth = Math.min(k, KC);
  if (packedB.length < panels * depth * NR) packedB = new Float64Array(panels * depth * NR);
  const pa = packedA;
  const pb = packedB;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(pb, b, p0, kc, k, n, transB);
    for (let i0 = 0; i0 < m; i0 += MR) {
      packA(pa, a, i0, p0, kc, m, k, transA);
      for (let j0 = 0, bOff = 0; j0 < n; j0 += NR, bOff += kc * NR) {
        tile(out, i0, j0, m, n, pa, pb, bOff, kc);
      }
    }
  }
  return out;
}

/** dst[p, r] = op(a)[i0 + r, p0 + p]: a [K, MR] panel, zero past row m. */
function packA(
  dst: Float64Array, a: Readonly<FloatArray>,
  i0: number, p0: number, kc: number, m: number, k: number, transA: boolean,
): void {
  const rows = Math.min(MR, m - i0);
  if (rows < MR) dst.fill(0, 0, kc * MR);
  if (transA) {
    // a is [k, m]: the rows i0.. of op(a) are adjacent within each row p of a.
    // (Full panels are copied four at a time: a loop of 4 costs as much as the copy.)
    for (let p = 0, d = 0, src = p0 * m + i0; p < kc; p++, d += MR, src += m) {
      if (rows === MR) {
        dst[d] = a[src]; dst[d + 1] = a[src + 1]; dst[d + 2] = a[src + 2]; dst[d + 3] = a[src + 3];
      } else {
        for (let r = 0; r < rows; r++) dst[d + r] = a[src + r];
      }
    }
  } else {
    // a is [m, k]: walk along each row of a.
    for (let r = 0; r < rows; r++) {
      const src = (i0 + r) * k + p0;
      for (let p = 0; p < kc; p++) dst[p * MR + r] = a[src + p];
    }
  }
}

/** dst[j / NR, p, c] = op(b)[p0 + p, j + c]: panels of NR columns, zero past column n. */
function packB(
  dst: Float64Array, b: Readonly<FloatArray>,
  p0: number, kc: number, k: number, n: number, transB: boolean,
): void {
  for (let j0 = 0, base = 0; j0 < n; j0 += NR, base += kc * NR) {
    const cols = Math.min(NR, n - j0);
    if (cols < NR) dst.fill(0, base, base + kc * NR);
    if (transB) {
      // b is [n, k]: column j of op(b) is row j of b.
      for (let c = 0; c < cols; c++) {
        const src = (j0 + c) * k + p0;
        for (let p = 0; p < kc; p++) dst[base + p * NR + c] = b[src + p];
      }
    } else {
      // b is [k, n]: the columns j0.. of op(b) are adjacent within each row p of b.
      for (let p = 0, d = base, src = p0 * n + j0; p < kc; p++, d += NR, src += n) {
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
 * out[i0 .. i0+4, j0 .. j0+4] += packedA · packedB[panel], clipped to [m, n].
 * pa: [kc, 4] from packA; pb: [kc, 4] starting at pb[bOff].
 */
function tile(
  out: FloatArray, i0: number, j0: number, m: number, n: number,
  pa: Float64Array, pb: Float64Array, bOff: number, kc: number,
): void {
  // c<r><c>: out[i0 + r, j0 + c], summed over the block.
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let ai = 0, bi = bOff; ai < kc * MR; ai += MR, bi += NR) {
    // One k-step: row p of the b panel times each of the 4 values of column p of the a panel.
    const b0 = pb[bi], b1 = pb[bi + 1], b2 = pb[bi + 2], b3 = pb[bi + 3];
    let x = pa[ai];
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = pa[ai + 1];
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    x = pa[ai + 2];
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
    x = pa[ai + 3];
    c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
  }
  if (i0 + MR <= m && j0 + NR <= n) {
    let o = i0 * n + j0;
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03; o += n;
    out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13; o += n;
    out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23; o += n;
    out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33;
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  const rows = Math.min(MR, m - i0);
  const cols = Math.min(NR, n - j0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[(i0 + r) * n + j0 + c] += t[r * NR + c];
  }
}
