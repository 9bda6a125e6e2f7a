/**
 * One product of a cell with its dropout masks, and its two gradients:
 *
 *   forward      out[:, g] += (a ⊙ m_g) · W_g
 *   gradInput    dA        += Σ_g (dOut[:, g] · W_gᵀ) ⊙ m_g
 *   gradWeight   dW_g      += (a ⊙ m_g)ᵀ · dOut[:, g]
 *
 * over the gate blocks g of the product: a [rows, K] (x, or a state), W_g
 * block g of W [K, G·H] (H columns), m_g [B, K] repeated over the rows
 * (rows = T·B for all steps, B for one), out[:, g] and dOut[:, g] blocks of
 * wider buffers. The masks come in three layouts, and the product picks its
 * gemms by them so that no cell branches on dropout:
 *
 *   none            one gemm over all the blocks
 *   one shared m    (a ⊙ m), then one gemm over all the blocks
 *   one m_g each    one gemm per block (Keras's implementation 1)
 *
 * Blocks of W, out and dOut are read and written in place (gemm strides and
 * offsets). A product used at every step (the recurrent kernel) packs W
 * once per pass, and Wᵀ once per backward.
 */
import {
  addColumns, addMaskedRows, gemm, gemmPacked, gemmSharedRight, maskRows,
  type FloatArray, type GemmOptions, type PackedRight,
} from '../autograd/index.ts';
import type { Workspace } from './common.ts';

/** How a product sits in its buffers. Columns are counted in numbers; block g is H wide. */
export interface ProjectionLayout {
  /** W [K, colsW]; the product uses blocks first … first + count − 1 of it. */
  W: Readonly<FloatArray>;
  K: number;
  colsW: number;
  H: number;
  first: number;
  count: number;
  /** m_g [B, K] for those blocks, or null; the same array in every place means one shared mask. */
  masks: readonly FloatArray[] | null;
  B: number;
  /** Row width of `out` and the column where the product's first block goes; the same for dOut. */
  outCols: number;
  outStart: number;
  gradCols: number;
  gradStart: number;
  /** Scratch: [rows, K] for a ⊙ m (or an input gradient before ⊙ m); [rows, H] for one block's product. */
  scratchK: FloatArray;
  scratchH: FloatArray;
  /** For products of B rows at every step: W packed once per pass, held by the workspace under `name`; null where packing does not pay. */
  packIn: { workspace: Workspace; name: string } | null;
}

/** The layout of a product's masks: none, one array in every place, or an array per block. */
export type MaskLayout = 'none' | 'shared' | 'perBlock';

export function maskLayout(masks: readonly FloatArray[] | null): MaskLayout {
  if (masks === null) return 'none';
  return masks.every((m) => m === masks[0]) ? 'shared' : 'perBlock';
}

export class Projection {
  private readonly l: ProjectionLayout;
  private readonly masks: MaskLayout;
  /** Per block g (one entry for all the blocks without per-block masks): the gemm options of each product. */
  private readonly fwd: GemmOptions[] = [];
  private readonly inp: GemmOptions[] = [];
  private readonly wgt: GemmOptions[] = [];
  private readonly packed: PackedRight[] = [];
  private packedT: PackedRight[] | null = null;

  constructor(l: ProjectionLayout) {
    this.l = l;
    const { colsW } = l;
    const m = l.masks;
    this.masks = maskLayout(m);
    const perBlock = this.masks === 'perBlock';
    for (let g = 0; g < (perBlock ? l.count : 1); g++) {
      const w = (l.first + g) * l.H; // block g's first column in W
      const at = perBlock ? g * l.H : 0;
      this.fwd.push(perBlock ? { ldb: colsW, offsetB: w } : { accumulate: true, ldb: colsW, offsetB: w, ldc: l.outCols, offsetC: l.outStart });
      this.inp.push({ transB: true, accumulate: m === null, ldb: colsW, offsetB: w, lda: l.gradCols, offsetA: l.gradStart + at });
      this.wgt.push({ transA: true, accumulate: true, ldb: l.gradCols, offsetB: l.gradStart + at, ldc: colsW, offsetC: w });
      if (l.packIn) this.packed.push(l.packIn.workspace.pack(`${l.packIn.name}:${g}`, l.W, l.K, this.width, this.fwd[g]));
    }
  }

  /** Columns one gemm covers: one block, or all of them. */
  private get width(): number {
    return this.masks === 'perBlock' ? this.l.H : this.l.count * this.l.H;
  }

  /** a ⊙ m_g into scratchK (a itself without masks). */
  private masked(a: Readonly<FloatArray>, g: number, rows: number): Readonly<FloatArray> {
    const { masks, B, K, scratchK } = this.l;
    return masks === null ? a : maskRows(scratchK, a, masks[g], rows, B, K);
  }

  /** out[:, g] += (a ⊙ m_g) · W_g. a [rows, K]. */
  forward(out: FloatArray, a: Readonly<FloatArray>, rows: number): void {
    const { W, K, H, scratchH, outCols, outStart } = this.l;
    const n = this.fwd.length;
    for (let g = 0; g < n; g++) {
      const target = this.masks === 'perBlock' ? scratchH : out;
      if (this.l.packIn) gemmPacked(target, this.masked(a, g, rows), this.packed[g], rows, this.fwd[g]);
      else gemm(target, this.masked(a, g, rows), W, rows, K, this.width, this.fwd[g]);
      // With a mask per block, the block's product is rounded to out's dtype before it is added.
      if (this.masks === 'perBlock') addColumns(out, scratchH, rows, outCols, outStart + g * H, H);
    }
  }

  /** Packs Wᵀ for the gradInput calls of one backward (products at every step only). */
  packTransposed(): void {
    const { W, K, packIn } = this.l;
    if (packIn) this.packedT = this.inp.map((o, g) => packIn.workspace.pack(`${packIn.name}ᵀ:${g}`, W, this.width, K, o));
  }

  /** dA += Σ_g (dOut[:, g] · W_gᵀ) ⊙ m_g. dA [rows, K], dOut [rows, gradCols]. */
  gradInput(dA: FloatArray, dOut: Readonly<FloatArray>, rows: number): void {
    const { W, K, B, masks, scratchK } = this.l;
    for (let g = 0; g < this.inp.length; g++) {
      const target = masks === null ? dA : scratchK;
      if (this.packedT) gemmPacked(target, dOut, this.packedT[g], rows, this.inp[g]);
      else gemm(target, dOut, W, rows, this.width, K, this.inp[g]);
      if (masks !== null) addMaskedRows(dA, scratchK, masks[g], rows, B, K);
    }
  }

  /** dW_g += (a ⊙ m_g)ᵀ · dOut[:, g], over `rows` rows at once. dW [K, colsW]. */
  gradWeight(dW: FloatArray, a: Readonly<FloatArray>, dOut: Readonly<FloatArray>, rows: number): void {
    for (let g = 0; g < this.wgt.length; g++) gemm(dW, this.masked(a, g, rows), dOut, this.l.K, rows, this.width, this.wgt[g]);
  }

  /**
   * `gradWeight(dW, a, dOut, rows)` of each part, the same bits, but with dOut
   * packed once for all of them when they read it alike (one gemm each over
   * the same columns: the input kernel's and an LSTM's or SimpleRNN's
   * recurrent kernel's, both over dGates); otherwise one gradWeight each.
   */
  static gradWeights(parts: ReadonlyArray<readonly [Projection, FloatArray, Readonly<FloatArray>]>, dOut: Readonly<FloatArray>, rows: number): void {
    const first = parts[0]?.[0];
    const alike = (p: Projection): boolean => p.wgt.length === 1 && p.width === first.width && p.wgt[0].offsetB === first.wgt[0].offsetB && p.wgt[0].ldb === first.wgt[0].ldb;
    if (!first || !parts.every(([p]) => alike(p))) {
      for (const [p, dW, a] of parts) p.gradWeight(dW, a, dOut, rows);
      return;
    }
    const products = parts.map(([p, dW, a]) => ({ out: dW, a: p.masked(a, 0, rows), m: p.l.K, options: p.wgt[0] }));
    gemmSharedRight(products, dOut, rows, first.width, first.wgt[0]);
  }
}
