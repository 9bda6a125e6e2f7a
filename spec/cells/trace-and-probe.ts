/**
 * What the three cell specs share to check the trace semantics and the
 * gradient probe (both defined once in cells/common.ts).
 *
 * Shapes: B batch, T timesteps, D input features, H units; traces and
 * outputs are [B, T, H] in processing order, masks [B, T] in input order.
 */
import type { FloatArray, Tensor } from '../../autograd/index.ts';
import type { GradientProbe, ReferenceResult } from '../../cells/common.ts';

/** Tolerance of the probe's norms against the reference loop's, float64. */
export const PROBE_TOLERANCE = 1e-10;

/** A probe for T steps, filled with NaN so that a step the backward skips shows. */
export function newProbe(T: number): GradientProbe {
  return { hGradNorm: new Float64Array(T).fill(NaN), xGradNorm: new Float64Array(T).fill(NaN) };
}

/**
 * The probe's norms taken from the reference loop after its backward:
 * ‖∂L/∂h_t‖ from the .grad of the h each step computed (ReferenceResult.hSteps),
 * ‖∂L/∂x_t‖ from the rows of x.grad [B, T, D] that step t read. x.grad must
 * hold this backward's gradient only (reset it before).
 */
export function referenceProbe(reference: ReferenceResult, x: Tensor, goBackwards: boolean): GradientProbe {
  const [B, T, D] = x.shape;
  const probe = newProbe(T);
  const norm = (values: Iterable<number>): number => {
    let sum = 0;
    for (const v of values) sum += v * v;
    return Math.sqrt(sum);
  };
  reference.hSteps.forEach((h, t) => { probe.hGradNorm[t] = norm(h.grad ?? []); });
  const dx = x.grad!;
  for (let t = 0; t < T; t++) {
    const tIn = goBackwards ? T - 1 - t : t;
    const rows = function* (): Generator<number> {
      for (let b = 0; b < B; b++) yield* dx.subarray((b * T + tIn) * D, (b * T + tIn + 1) * D);
    };
    probe.xGradNorm[t] = norm(rows());
  }
  return probe;
}

/** Where the probe differs from the expected one by more than the tolerance, as readable lines (none: it matches). */
export function probeErrors(got: GradientProbe, expected: GradientProbe, tolerance = PROBE_TOLERANCE): string[] {
  const errors: string[] = [];
  for (const key of ['hGradNorm', 'xGradNorm'] as const) {
    got[key].forEach((v, t) => {
      const d = Math.abs(v - expected[key][t]);
      if (!(d <= tolerance)) errors.push(`${key}[${t}]: fused ${v}, reference ${expected[key][t]} (|diff| ${d.toExponential(2)} > ${tolerance})`);
    });
  }
  // A probe of zeros would match a reference of zeros: the norms must say something.
  if (expected.hGradNorm.every((v) => v === 0) || expected.xGradNorm.every((v) => v === 0)) errors.push('the reference norms are all zero');
  return errors;
}

export interface CarriedCheck {
  /** The traced state [B, T, H]. */
  state: Readonly<FloatArray>;
  /** The state before the first step [B, H] (null: zeros). */
  initial: Readonly<FloatArray> | null;
  /** What the traced state must equal at unmasked steps [B, T, H] (the outputs, for h), or null. */
  unmasked: Readonly<FloatArray> | null;
  /** The final state the cell returned [B, H]. */
  final: Readonly<FloatArray>;
  mask: Readonly<FloatArray> | null | undefined;
  goBackwards: boolean;
  B: number;
  T: number;
  H: number;
}

/**
 * The carried-state semantics of a traced state, exactly (the trace copies
 * the forward's numbers): at a masked step it repeats the state before
 * (the initial state before the first step); at an unmasked step it equals
 * `unmasked` when given; after the last step it is the returned final state.
 */
export function carriedStateErrors(name: string, c: CarriedCheck): string[] {
  const { B, T, H } = c;
  const errors: string[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const m = c.mask ? c.mask[b * T + (c.goBackwards ? T - 1 - t : t)] : 1;
      for (let j = 0; j < H; j++) {
        const i = (b * T + t) * H + j;
        const before = t > 0 ? c.state[i - H] : c.initial ? c.initial[b * H + j] : 0;
        if (m === 0 && c.state[i] !== before) errors.push(`${name} [${b},${t},${j}] masked: ${c.state[i]}, the state before is ${before}`);
        if (m === 1 && c.unmasked && c.state[i] !== c.unmasked[i]) errors.push(`${name} [${b},${t},${j}]: ${c.state[i]}, expected ${c.unmasked[i]}`);
        if (t === T - 1 && c.state[i] !== c.final[b * H + j]) errors.push(`${name} [${b},${t},${j}]: ${c.state[i]}, the final state is ${c.final[b * H + j]}`);
      }
    }
  }
  return errors;
}

/** The first few lines of a list of errors, for a failure message. */
export function firstErrors(errors: readonly string[], n = 3): string {
  return `${errors.length} mismatch(es): ${errors.slice(0, n).join('; ')}`;
}
