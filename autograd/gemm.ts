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
import { packingPays, productInPlace, type Layout } from './gemm-direct.ts';
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
const L: Layout = { m: 0, k: 0, n: 0, transA: false, transB: false, lda: 0, ldb: 0, ldc: 0, offsetA: 0, offsetB: 0, offsetC: 0 };

function setLayout(m: number, k: number, n: number, o: GemmOptions): void {
  L.m = m;
  L.k = k;
  L.n = n;
  L.transA = o.transA ?? false;
  L.lda = o.lda ?? (L.transA ? m : k);
  L.ldc = o.ldc ?? n;
  L.offsetA = o.offsetA ?? 0;
  L.offsetC = o.offsetC ?? 0;
  setRight(k, n, o);
}

/** op(b)'s part of the layout alone, from its options (for a product whose a and out come from other options). */
function setRight(k: number, n: number, o: GemmOptions): void {
  L.transB = o.transB ?? false;
  L.ldb = o.ldb ?? (L.transB ? k : n);
  L.offsetB = o.offsetB ?? 0;
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
 * The fast gemm: packed operands and a 2×4 register tile.
 *
 * JavaScript has no SIMD, so every multiply-add is a scalar multiply and add,
 * and every array read also pays an index computation and checks (about 8
 * instructions, against 1 for the multiply). Here a 2×4 block of `out` lives
 * in 8 locals for the whole k loop: per step of k the kernel reads 2 numbers
 * of op(a) and 4 of op(b) for 8 multiply-adds, and `out` is touched once per
 * block. What made V8's code fastest (Node 20, V8 11.3, x64, measured): index
 * sums written `(i + c) | 0`, which V8 then knows are small integers (no
 * overflow checks), and the packed operands in a plain Array of doubles
 * rather than a Float64Array: 1.4× the 3×4 tile on a Float64Array before it.
 * 3×4, 4×4 and 4×8 tiles and float32 panels were slower. A last odd row takes
 * a 1×4 tile, so one row (a batch of one: gemv) computes no zero row. gemm
 * packs nothing for fewer than 4 rows or a depth under 4 (gemm-direct.ts).
 *
 * So that those reads are adjacent whatever the transposes and strides, the
 * operands are first copied ("packed") into one Array (K = depth of one
 * block, at most KC): the a panel [K, MR], 2 rows of op(a) one k-step after
 * another, then the b panels [⌈n/NR⌉, K, NR], op(b) in panels of 4 columns.
 * The copy's loop order follows memory. Packing also turns float32 into
 * float64 once, so the kernel sees one kind of array; sums are taken in
 * float64. Columns past n are packed as zeros and only the store is clipped.
 *
 * Every element of out is summed the same way whatever m and the tile its row
 * falls in: over k in order within each KC block, from 0, then added to out.
 * So a product's rows are bit-identical to the same rows computed alone (a
 * batch cut into row blocks). k is cut into blocks of KC so that the packed b
 * of one block stays in cache while every panel of a sweeps across it, and
 * the scratch stays small when k is long (k = B·T in weight gradients). A
 * right operand used by many products (the recurrent kernel U, at every step)
 * can be packed once with `packRight` and passed to `gemmPacked`.
 */
// The tile kernels below are written out by hand for MR = 2, NR = 4, with literal 2s and 4s:
// V8 reloads a module constant from its context at every use.
const MR = 2; // rows of out per tile
const NR = 4; // columns of out per tile
const KC = 256; // depth of one packed block of k
const A_PANEL = MR * KC; // room for the packed a panel, at the start of every packed buffer

/** `reuse` (or a new Array) grown to n numbers: pushed doubles, so V8 keeps the elements unboxed float64. */
function doubles(n: number, reuse: number[] | null = null): number[] {
  const d = reuse ?? [];
  while (d.length < n) d.push(0.5);
  return d;
}

let scratch = doubles(A_PANEL + NR * KC); // [MR·KC] a panel, then [⌈n/NR⌉, K, NR] one block of op(b)

/** The fast gemm used by the engine. Same contract as `gemmNaive`. */
export function gemm<T extends FloatArray>(
  out: T, a: Readonly<FloatArray>, b: Readonly<FloatArray>, m: number, k: number, n: number, options: GemmOptions = PLAIN,
): T {
  gemmSharedRight([{ out, a, m, options }], b, k, n, options);
  return out;
}

/** One product of `gemmSharedRight`: out [m, n] = op(a) · op(b) (+= when accumulating); a's and out's options as for gemm. */
export interface LeftProduct { out: FloatArray; a: Readonly<FloatArray>; m: number; options: GemmOptions }

/**
 * Several products with the same right operand op(b) [k, n] (b's transB,
 * ldb and offsetB in `bOptions`), as many gemm calls would compute them, bit
 * for bit, but each block of op(b) packed once for all of them: the weight
 * gradients of the input and the recurrent kernel, both xᵀ·dZ over one dZ.
 */
export function gemmSharedRight(products: readonly LeftProduct[], b: Readonly<FloatArray>, k: number, n: number, bOptions: GemmOptions): void {
  for (const p of products) {
    setLayout(p.m, k, n, p.options);
    clearOut(p.out, p.options.accumulate);
  }
  if (n === 0) return;
  if (!products.some((p) => packingPays(p.m, k))) {
    for (const p of products) {
      setLayout(p.m, k, n, p.options);
      setRight(k, n, bOptions);
      productInPlace(p.out, p.a, b, L, KC);
    }
    return;
  }
  scratch = doubles(A_PANEL + Math.ceil(n / NR) * Math.min(k, KC) * NR, scratch);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    setLayout(0, k, n, bOptions);
    packB(scratch, A_PANEL, b, p0, kc);
    for (const p of products) {
      setLayout(p.m, k, n, p.options);
      blockProduct(p.out, p.a, scratch, A_PANEL, p0, kc);
    }
  }
}

/** op(b) [k, n] packed once for many products `gemmPacked(out, a, packed, m)`. */
export interface PackedRight {
  readonly k: number;
  readonly n: number;
  /** [MR·KC] room for the a panel, then op(b) block by block: each KC-deep block [⌈n/NR⌉, kc, NR]. */
  readonly data: number[];
}

/**
 * Packs op(b) (b [k, n], or [n, k] with transB; ldb and offsetB as for gemm)
 * for `gemmPacked`. Reuses the storage of `reuse` (growing it when needed).
 * The packed copy does not follow later changes to b: pack again after b changes.
 */
export function packRight(b: Readonly<FloatArray>, k: number, n: number, options: GemmOptions = PLAIN, reuse: PackedRight | null = null): PackedRight {
  setLayout(0, k, n, options);
  const panels = Math.ceil(n / NR);
  const data = doubles(A_PANEL + panels * NR * k, reuse?.data);
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
 * packing). The same result as `gemm`, bit for bit. The packed operand's
 * a-panel room is used as scratch.
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
function blockProduct(out: FloatArray, a: Readonly<FloatArray>, pk: number[], bOff: number, p0: number, kc: number): void {
  for (let i0 = 0; i0 < L.m; i0 += MR) {
    const one = L.m - i0 === 1;
    packA(pk, a, i0, p0, kc, one ? 1 : MR);
    for (let j0 = 0, bi = bOff; j0 < L.n; j0 += NR, bi += kc * NR) {
      if (one) tile1(out, i0, j0, pk, bi, kc);
      else tile(out, i0, j0, pk, bi, kc);
    }
  }
}

/** dst[p·MR + r] = op(a)[i0 + r, p0 + p] for r < rows: the [K, MR] panel at the start of dst. */
function packA(dst: number[], a: Readonly<FloatArray>, i0: number, p0: number, kc: number, rows: number): void {
  const { lda } = L;
  for (let r = 0; r < rows; r++) {
    // a is [k, m] (transA): row i of op(a) is column i of a; else it is row i of a.
    const step = L.transA ? lda : 1;
    for (let p = 0, d = r, src = L.offsetA + (L.transA ? p0 * lda + i0 + r : (i0 + r) * lda + p0); p < kc; p++, d += MR, src += step) dst[d] = a[src];
  }
}

/** dst[bOff + (j / NR)·kc·NR + p·NR + c] = op(b)[p0 + p, j + c]: panels of NR columns, zero past column n. */
function packB(dst: number[], bOff: number, b: Readonly<FloatArray>, p0: number, kc: number): void {
  const { n, ldb } = L;
  for (let j0 = 0, base = bOff; j0 < n; j0 += NR, base += kc * NR) {
    const cols = Math.min(NR, n - j0);
    if (cols < NR) dst.fill(0, base, base + kc * NR);
    if (L.transB) {
      // b is [n, k]: column j of op(b) is row j of b; the panel is written in order, reading its 4 rows side by side.
      const src = L.offsetB + j0 * ldb + p0;
      if (cols === NR) {
        for (let p = 0, d = base, s0 = src, s1 = src + ldb, s2 = s1 + ldb, s3 = s2 + ldb; p < kc; p = (p + 1) | 0, d = (d + 4) | 0) {
          dst[d] = b[(s0 + p) | 0]; dst[(d + 1) | 0] = b[(s1 + p) | 0]; dst[(d + 2) | 0] = b[(s2 + p) | 0]; dst[(d + 3) | 0] = b[(s3 + p) | 0];
        }
      } else {
        for (let c = 0; c < cols; c++) {
          for (let p = 0, s0 = src + c * ldb; p < kc; p++) dst[base + p * NR + c] = b[s0 + p];
        }
      }
    } else {
      // b is [k, n]: the columns j0.. of op(b) are adjacent within each row p of b.
      const src = L.offsetB + p0 * ldb + j0;
      if (cols === NR) {
        for (let p = 0, d = base, s = src; p < kc; p = (p + 1) | 0, d = (d + 4) | 0, s = (s + ldb) | 0) {
          dst[d] = b[s]; dst[(d + 1) | 0] = b[(s + 1) | 0]; dst[(d + 2) | 0] = b[(s + 2) | 0]; dst[(d + 3) | 0] = b[(s + 3) | 0];
        }
      } else {
        for (let p = 0, d = base, s = src; p < kc; p++, d += NR, s += ldb) for (let c = 0; c < cols; c++) dst[d + c] = b[s + c];
      }
    }
  }
}

/**
 * out[i0 .. i0+2, j0 .. j0+4] += a panel · b panel, clipped to n.
 * pk: the packed buffer, a panel [kc, 2] at pk[0], b panel [kc, 4] at pk[bi].
 * Two k-steps per pass of the loop (then the odd one): half the loop's own
 * checks per multiply-add, measured 1.2× faster than one step per pass.
 */
function tile(out: FloatArray, i0: number, j0: number, pk: number[], bi: number, kc: number): void {
  // c<r><c>: out[i0 + r, j0 + c], summed over the block, k in order.
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let ai = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, x0 = 0, x1 = 0;
  for (const pairs = (kc & ~1) * 2; ai < pairs; ai = (ai + 4) | 0, bi = (bi + 8) | 0) {
    // k-step p: row p of the b panel times each of the 2 values of column p of the a panel; then p + 1.
    b0 = pk[bi]; b1 = pk[(bi + 1) | 0]; b2 = pk[(bi + 2) | 0]; b3 = pk[(bi + 3) | 0]; x0 = pk[ai]; x1 = pk[(ai + 1) | 0];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
    b0 = pk[(bi + 4) | 0]; b1 = pk[(bi + 5) | 0]; b2 = pk[(bi + 6) | 0]; b3 = pk[(bi + 7) | 0]; x0 = pk[(ai + 2) | 0]; x1 = pk[(ai + 3) | 0];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
  }
  if (kc & 1) {
    b0 = pk[bi]; b1 = pk[bi + 1]; b2 = pk[bi + 2]; b3 = pk[bi + 3]; x0 = pk[ai]; x1 = pk[ai + 1];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
  }
  const ldc = L.ldc, o = L.offsetC + i0 * ldc + j0;
  if (j0 + NR <= L.n) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
    out[o + ldc] += c10; out[o + ldc + 1] += c11; out[o + ldc + 2] += c12; out[o + ldc + 3] += c13;
    return;
  }
  storeEdge(out, o, L.n - j0, c00, c01, c02);
  storeEdge(out, o + ldc, L.n - j0, c10, c11, c12);
}

/** The last row when m is odd (and the only one when m = 1, a gemv): out[i0, j0 .. j0+4] += a row · b panel, as `tile`. */
function tile1(out: FloatArray, i0: number, j0: number, pk: number[], bi: number, kc: number): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, ai = 0, x = 0;
  for (const pairs = (kc & ~1) * 2; ai < pairs; ai = (ai + 4) | 0, bi = (bi + 8) | 0) {
    x = pk[ai];
    c0 += x * pk[bi]; c1 += x * pk[(bi + 1) | 0]; c2 += x * pk[(bi + 2) | 0]; c3 += x * pk[(bi + 3) | 0];
    x = pk[(ai + 2) | 0];
    c0 += x * pk[(bi + 4) | 0]; c1 += x * pk[(bi + 5) | 0]; c2 += x * pk[(bi + 6) | 0]; c3 += x * pk[(bi + 7) | 0];
  }
  if (kc & 1) {
    x = pk[ai];
    c0 += x * pk[bi]; c1 += x * pk[bi + 1]; c2 += x * pk[bi + 2]; c3 += x * pk[bi + 3];
  }
  const o = L.offsetC + i0 * L.ldc + j0;
  if (j0 + NR <= L.n) {
    out[o] += c0; out[o + 1] += c1; out[o + 2] += c2; out[o + 3] += c3;
    return;
  }
  storeEdge(out, o, L.n - j0, c0, c1, c2);
}

/** The first `cols` (1 to 3) of one tile row, where the tile overhangs n. */
function storeEdge(out: FloatArray, o: number, cols: number, c0: number, c1: number, c2: number): void {
  out[o] += c0;
  if (cols > 1) out[o + 1] += c1;
  if (cols > 2) out[o + 2] += c2;
}
