/**
 * GRU, the gated recurrent unit, in both of its Keras variants. ĥ is `hh` in the code.
 *
 *   resetAfter true (the Keras default; PyTorch's form):
 *     z = σ(x W_z + bx_z + hPrev U_z + bh_z)              update gate
 *     r = σ(x W_r + bx_r + hPrev U_r + bh_r)              reset gate
 *     ĥ = tanh(x W_h + bx_h + r ⊙ (hPrev U_h + bh_h))     candidate
 *   resetAfter false:
 *     z = σ(x W_z + b_z + hPrev U_z)
 *     r = σ(x W_r + b_r + hPrev U_r)
 *     ĥ = tanh(x W_h + b_h + (r ⊙ hPrev) U_h)
 *   both:
 *     h = z ⊙ hPrev + (1 − z) ⊙ ĥ
 *
 * Shapes: B batch, D input features, H units, G = 3 gate blocks. σ is the
 * recurrentActivation (default sigmoid), tanh the activation (default tanh).
 * Weights in the Keras layout, gate order z, r, h along the last axis:
 *   W kernel [D, 3H], U recurrentKernel [H, 3H], b bias: [2, 3H] with resetAfter
 *   (row 0 bx, the input side; row 1 bh, the recurrent side), else [3H].
 * In a row of the gates block k starts at its offset: Z = 0, R = H, HH = 2H.
 *
 * Dropout, as Keras 2's GRUCell (implementation 1): masks m_g on x and r_g on
 * the state fed to gate g's recurrent product (Keras's h_tm1_z, h_tm1_r,
 * h_tm1_h; with resetAfter false the candidate's product is
 * (r ⊙ (hPrev ⊙ r_h)) U_h). The hPrev of the final blend is never masked.
 *
 * The file: sizes and weights, the reference step, then each variant's fused
 * step and its backward over [B, ·] views, which cells/sequence.ts runs.
 */
import { fillRows, formatShape, type FloatArray, type Tensor } from '../autograd/index.ts';
import * as ops from '../autograd/ops.ts';
import { activation, type CellWeights, type SequenceOptions, type StepOptions } from './common.ts';
import { initCellWeights, initialize, type CellInitOptions } from './init.ts';
import type { Cell, Step } from './cell.ts';
import { sequenceFunctions } from './sequence.ts';

/** G: the gate blocks z, r, h. */
export const GRU_GATES = 3;

export interface GruOptions extends SequenceOptions {
  /** Keras `reset_after` (default true): r multiplies (hPrev U_h + bh_h) after the product, b is [2, 3H]; false: r multiplies hPrev before it, b is [3H]. */
  resetAfter?: boolean;
}

export interface GruParamOptions {
  useBias?: boolean;
  resetAfter?: boolean;
}

export interface GruInitOptions extends GruParamOptions, CellInitOptions {}

/** The bias shape of a variant: [2, 3H] with resetAfter, else [3H]. */
export function gruBiasShape(H: number, resetAfter = true): number[] {
  return resetAfter ? [2, GRU_GATES * H] : [GRU_GATES * H];
}

/** 3H(D + H + 2) with resetAfter, 3H(D + H + 1) without, 3H(D + H) without a bias. */
export function gruParamCount(D: number, H: number, { useBias = true, resetAfter = true }: GruParamOptions = {}): number {
  return GRU_GATES * H * (D + H + (useBias ? (resetAfter ? 2 : 1) : 0));
}

/** Weights in the Keras layout with the Keras defaults (W [D, 3H], U [H, 3H], b [2, 3H] or [3H]); each requires a gradient. */
export function initGruWeights(D: number, H: number, options: GruInitOptions = {}): CellWeights {
  const shape = gruBiasShape(H, options.resetAfter ?? true);
  return initCellWeights(D, H, GRU_GATES, options, (init, dtype) => initialize(init, shape, dtype));
}

/** A bias of the other variant's layout says so. */
function checkBias(resetAfter: boolean): (w: CellWeights, H: number) => void {
  return (w, H) => {
    const got = w.bias ? formatShape(w.bias.shape) : null;
    if (got === null || got === formatShape(gruBiasShape(H, resetAfter))) return;
    const other = got === formatShape(gruBiasShape(H, !resetAfter)) ? ` (the layout of resetAfter ${!resetAfter})` : '';
    const expected = `${resetAfter ? '[2, 3H]' : '[3H]'} = ${formatShape(gruBiasShape(H, resetAfter))}`;
    throw new Error(`gru: bias must be ${expected} when resetAfter is ${resetAfter}, got ${got}${other}`);
  };
}

/** One step with autograd ops: x [B, D], states [hPrev [B, H]] → [h [B, H]]. The readable reference. */
export function gruStep(x: Tensor, states: readonly Tensor[], w: CellWeights, options: StepOptions & { resetAfter?: boolean } = {}): Tensor[] {
  const resetAfter = options.resetAfter ?? true;
  const act = activation('gru', 'activation', options.activation, 'tanh');
  const rec = activation('gru', 'recurrentActivation', options.recurrentActivation, 'sigmoid');
  const hPrev = states[0]; // [B, H]
  const H = hPrev.shape[1];
  const block = (t: Tensor, g: number): Tensor => ops.slice(t, t.rank - 1, g * H, (g + 1) * H); // gate g of [·, 3H]
  const input = options.masks?.input ?? null;
  const recurrent = options.masks?.recurrent ?? null;
  const xIn = (g: number): Tensor => (input ? ops.mulMask(x, input[g]) : x); // x ⊙ m_g [B, D]
  const hIn = (g: number): Tensor => (recurrent ? ops.mulMask(hPrev, recurrent[g]) : hPrev); // hPrev ⊙ r_g [B, H]
  const plus = (t: Tensor, b: Tensor | null): Tensor => (b ? ops.add(t, b) : t);
  const b = w.bias;
  const bx = b && resetAfter ? ops.reshape(ops.slice(b, 0, 0, 1), [GRU_GATES * H]) : b; // [3H] input side
  const bh = b && resetAfter ? ops.reshape(ops.slice(b, 0, 1, 2), [GRU_GATES * H]) : null; // [3H] recurrent side
  const [Wz, Wr, Wh] = [0, 1, 2].map((g) => block(w.kernel, g)); // [D, H] each
  const [Uz, Ur, Uh] = [0, 1, 2].map((g) => block(w.recurrentKernel, g)); // [H, H] each
  const [bxZ, bxR, bxH] = [0, 1, 2].map((g) => (bx ? block(bx, g) : null)); // [H] each
  const [bhZ, bhR, bhH] = [0, 1, 2].map((g) => (bh ? block(bh, g) : null));
  const z = rec.op(ops.add(plus(ops.matmul(xIn(0), Wz), bxZ), plus(ops.matmul(hIn(0), Uz), bhZ)));
  const r = rec.op(ops.add(plus(ops.matmul(xIn(1), Wr), bxR), plus(ops.matmul(hIn(1), Ur), bhR)));
  const hh = resetAfter
    ? act.op(ops.add(plus(ops.matmul(xIn(2), Wh), bxH), ops.mul(r, plus(ops.matmul(hIn(2), Uh), bhH))))
    : act.op(ops.add(plus(ops.matmul(xIn(2), Wh), bxH), ops.matmul(ops.mul(r, hIn(2)), Uh)));
  const h = ops.add(ops.mul(z, hPrev), ops.mul(ops.addScalar(ops.neg(z), 1), hh));
  return [h];
}

// ---------------------------------------------------------------- the fused steps

/** gates [B, 3H] += hu [B, cols] over the first `width` columns of each row: z and r take their recurrent part. */
function addRecurrent(gates: FloatArray, hu: Readonly<FloatArray>, B: number, H: number, cols: number, width: number): void {
  for (let b = 0, gi = 0, hi = 0; b < B; b++, gi += 3 * H, hi += cols) for (let j = 0; j < width; j++) gates[gi + j] += hu[hi + j];
}

/** h = z ⊙ hPrev + (1 − z) ⊙ ĥ, from the gates z | r | ĥ of the step. */
function blend(s: Step): void {
  const { B, H, gates } = s;
  const hPrev = s.prev[0], h = s.next[0];
  const Z = 0, HH = 2 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0, gi = b * 3 * H, k = b * H; j < H; j++, k++) {
      const z = gates[gi + Z + j], hh = gates[gi + HH + j];
      h[k] = z * hPrev[k] + (1 - z) * hh;
    }
  }
}

/**
 * resetAfter true: one recurrent product hu = hPrev U + bh [B, 3H] (hu_g from
 * hPrev ⊙ r_g), then the gates over [B, 3H], each activation over its block.
 */
function afterForward(s: Step): void {
  const { B, H, gates } = s;
  const { hu, huH } = s.buf; // hu [B, 3H] = hPrev U + bh; huH [B, H] its h block, cached for ∂L/∂r
  const H3 = 3 * H, R = H, HH = 2 * H;
  if (s.recurrentBias) fillRows(hu, s.recurrentBias, B, H3);
  else hu.fill(0);
  s.rec[0].forward(hu, s.prev[0], B); //                  hu = bh + (hPrev ⊙ r_g) U_g
  addRecurrent(gates, hu, B, H, H3, 2 * H); //            x W_zr + bx_zr + hu_zr
  s.recAct.applyColumns(gates, gates, B, H3, 0, 2 * H); // z = σ(…), r = σ(…)
  for (let b = 0; b < B; b++) {
    for (let j = 0, gi = b * H3, k = b * H; j < H; j++, k++) {
      const uh = hu[gi + HH + j]; //                       hPrev U_h + bh_h
      huH[k] = uh;
      gates[gi + HH + j] += gates[gi + R + j] * uh; //     x W_h + bx_h + r ⊙ (hPrev U_h + bh_h)
    }
  }
  s.act.applyColumns(gates, gates, B, H3, HH, H); //      ĥ = tanh(…)
  blend(s);
}

/** resetAfter false: the candidate's product needs r, so two products: hPrev [U_z | U_r], then (r ⊙ hPrev_h) U_h. */
function beforeForward(s: Step): void {
  const { B, H, gates } = s;
  const { hu, rhPrev, rhU } = s.buf; // hu [B, 2H] = hPrev U_zr; rhPrev [B, H] r ⊙ hPrev_h, cached for dU_h; rhU [B, H] its product
  const hPrev = s.prev[0];
  const rH = s.recurrentMasks ? s.recurrentMasks[2] : null;
  const H3 = 3 * H, R = H, HH = 2 * H;
  s.rec[0].forward(hu.fill(0), hPrev, B); //              hu = (hPrev ⊙ r_g) U_g for g = z, r
  addRecurrent(gates, hu, B, H, 2 * H, 2 * H);
  s.recAct.applyColumns(gates, gates, B, H3, 0, 2 * H); // z = σ(…), r = σ(…)
  for (let b = 0; b < B; b++) {
    for (let j = 0, k = b * H; j < H; j++, k++) rhPrev[k] = gates[b * H3 + R + j] * (rH ? hPrev[k] * rH[k] : hPrev[k]); // r ⊙ hPrev_h
  }
  s.rec[1].forward(rhU.fill(0), rhPrev, B); //            (r ⊙ hPrev_h) U_h
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[b * H3 + HH + j] += rhU[b * H + j];
  s.act.applyColumns(gates, gates, B, H3, HH, H); //      ĥ = tanh(x W_h + b_h + (r ⊙ hPrev_h) U_h)
  blend(s);
}

// ---------------------------------------------------------------- their backwards

/**
 * What both backwards share, the reverse of blend and of ĥ = tanh(a_h):
 * ∂L/∂hPrev += dh ⊙ z (the update-gate path, no matrix), and into `d` (a
 * [B, 3H] buffer laid out like the gates) ∂L/∂z at block Z, before σ', and
 * ∂L/∂a_h at block HH.
 */
function blendBackward(s: Step, d: FloatArray): void {
  const { B, H, gates } = s;
  const dh = s.dNext[0], dhPrev = s.dPrev[0], hPrev = s.prev[0];
  const dAct = s.act.derivative;
  const H3 = 3 * H, Z = 0, HH = 2 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0, gi = b * H3, k = b * H; j < H; j++, k++) {
      const z = gates[gi + Z + j], hh = gates[gi + HH + j];
      dhPrev[k] += dh[k] * z; //               h = z ⊙ hPrev + (1 − z) ⊙ ĥ: ∂h/∂hPrev = z
      const dhh = dh[k] * (1 - z); //           ∂h/∂ĥ = 1 − z
      d[gi + Z + j] = dh[k] * (hPrev[k] - hh); // ∂h/∂z = hPrev − ĥ
      d[gi + HH + j] = dhh * dAct(hh); //      ĥ = tanh(a_h): from the cached ĥ, 1 − ĥ²
    }
  }
}

/**
 * The reverse of afterForward: from dh = ∂L/∂h (s.dNext) to ∂L/∂ the input
 * side x W + bx (s.dGates) and to dHu = ∂L/∂(hPrev U + bh) (kept for dU and
 * dbh), then ∂L/∂hPrev += Σ_g (dHu_g U_gᵀ) ⊙ r_g.
 */
function afterBackward(s: Step): void {
  const { B, H, gates, dGates: dX } = s;
  const { dHu, huH, d } = s.buf; // d [B, 3H] float64: ∂L/∂z and ∂L/∂a_h, which the statements below go on with
  const dRec = s.recAct.derivative;
  const H3 = 3 * H, Z = 0, R = H, HH = 2 * H;
  blendBackward(s, d);
  for (let b = 0; b < B; b++) {
    for (let j = 0, gi = b * H3, k = b * H; j < H; j++, k++) {
      const z = gates[gi + Z + j], r = gates[gi + R + j];
      const dhhPre = d[gi + HH + j];
      const dr = dhhPre * huH[k]; //                  a_h = … + r ⊙ (hPrev U_h + bh_h): ∂/∂r
      const dHuH = dhhPre * r; //                     ∂/∂(hPrev U_h + bh_h)
      const drPre = dr * dRec(r); //                  r = σ(a_r): r(1 − r)
      const dzPre = d[gi + Z + j] * dRec(z); //       z = σ(a_z): z(1 − z)
      dX[gi + Z + j] = dHu[gi + Z + j] = dzPre; //    both sides take z's: the input x W + bx, the recurrent hPrev U + bh
      dX[gi + R + j] = dHu[gi + R + j] = drPre;
      dX[gi + HH + j] = dhhPre; //                    only a_h's parts differ
      dHu[gi + HH + j] = dHuH;
    }
  }
  s.rec[0].gradInput(s.dPrev[0], dHu, B);
}

/**
 * The reverse of beforeForward: blendBackward into s.dGates, the
 * candidate's product back to ∂L/∂(r ⊙ hPrev_h), a pass for r and z, then
 * ∂L/∂hPrev += Σ_{g = z, r} (dX_g U_gᵀ) ⊙ r_g.
 */
function beforeBackward(s: Step): void {
  const { B, H, gates, dGates: dX } = s;
  const dRhPrev = s.buf.dRhPrev; // [B, H] ∂L/∂(r ⊙ hPrev_h)
  const dhPrev = s.dPrev[0], hPrev = s.prev[0];
  const rH = s.recurrentMasks ? s.recurrentMasks[2] : null;
  const dRec = s.recAct.derivative;
  const H3 = 3 * H, Z = 0, R = H;
  blendBackward(s, dX);
  s.rec[1].gradInput(dRhPrev.fill(0), dX, B); //      a_h = … + (r ⊙ hPrev_h) U_h: ∂L/∂(r ⊙ hPrev_h) = dX_h U_hᵀ
  for (let b = 0; b < B; b++) {
    for (let j = 0, gi = b * H3, k = b * H; j < H; j++, k++) {
      const z = gates[gi + Z + j], r = gates[gi + R + j];
      const keep = rH ? rH[k] : 1; //                 hPrev_h = hPrev ⊙ r_h, recomputed (one multiply), not cached
      const dr = dRhPrev[k] * (hPrev[k] * keep); //   ∂/∂r of r ⊙ hPrev_h
      dhPrev[k] += dRhPrev[k] * r * keep; //          ∂/∂hPrev of r ⊙ (hPrev ⊙ r_h)
      dX[gi + R + j] = dr * dRec(r); //               r = σ(a_r): r(1 − r)
      dX[gi + Z + j] = dX[gi + Z + j] * dRec(z); //   z = σ(a_z): z(1 − z)
    }
  }
  s.rec[0].gradInput(dhPrev, dX, B);
}

// ---------------------------------------------------------------- the two cells

const COMMON = { name: 'gru', gates: GRU_GATES, states: ['h'], gateNames: ['z', 'r', 'hh'] } as const;

export const GRU_RESET_AFTER: Cell = {
  ...COMMON,
  biasShape: (H) => gruBiasShape(H, true),
  checkWeights: checkBias(true),
  inputBias: (b, H) => b.subarray(0, GRU_GATES * H),
  recurrentBias: (b, H) => b.subarray(GRU_GATES * H, 2 * GRU_GATES * H),
  products: [{ first: 0, count: 3, masked: true, out: [3, 0], grad: [3, 0], input: 'h', dOutput: 'dHu' }], // hPrev U (+ bh)
  buffers: { hu: ['scratch', 3], huH: ['cache', 1], dHu: ['grad', 3], d: ['backward64', 3] },
  step: (x, states, w, options) => gruStep(x, states, w, { ...options, resetAfter: true }),
  stepForward: afterForward,
  stepBackward: afterBackward,
};

export const GRU_RESET_BEFORE: Cell = {
  ...COMMON,
  biasShape: (H) => gruBiasShape(H, false),
  checkWeights: checkBias(false),
  inputBias: (b) => b,
  products: [
    { first: 0, count: 2, masked: true, out: [2, 0], grad: [3, 0], input: 'h', dOutput: 'dGates' }, // hPrev [U_z | U_r]
    { first: 2, count: 1, masked: false, out: [1, 0], grad: [3, 2], input: 'rhPrev', dOutput: 'dGates' }, // (r ⊙ hPrev_h) U_h, r_h inside
  ],
  buffers: { hu: ['scratch', 2], rhPrev: ['cache', 1], rhU: ['scratch', 1], dRhPrev: ['backward', 1] },
  step: (x, states, w, options) => gruStep(x, states, w, { ...options, resetAfter: false }),
  stepForward: beforeForward,
  stepBackward: beforeBackward,
};

/** The variant a call asks for. */
export function gruCell(resetAfter = true): Cell {
  return resetAfter ? GRU_RESET_AFTER : GRU_RESET_BEFORE;
}

/** The GRU over a sequence, fused (cells/sequence.ts); and through `gruStep` with autograd ops, the reference. */
export const [gruSequence, gruReference] = sequenceFunctions((options: GruOptions) => gruCell(options.resetAfter));
