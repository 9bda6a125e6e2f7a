/**
 * Gradient checking by central finite differences in float64.
 *
 * For a function f of some tensors, the scalar L = Σ f(x) ⊙ w (w a fixed,
 * non-uniform projection) is differentiated twice: once by the tape
 * (`backward`), once numerically for every element of every input,
 *
 *   ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε,    ε = 1e-6.
 *
 * The relative error of an element is |analytic − numeric| / max(|analytic|,
 * |numeric|, REL_FLOOR). Below REL_FLOOR the floor is used instead, because
 * the round-off of the difference quotient (about 1e-16·|L|/ε ≈ 1e-10) would
 * otherwise dominate gradients that are legitimately near zero.
 */
import { Tensor, formatShape, noGrad } from './tensor.ts';

/** The step of the central difference. */
export const EPS = 1e-6;
/** Magnitude below which errors are measured relative to this value. */
export const REL_FLOOR = 1e-3;
/** Named tolerances: the largest relative error a check accepts. */
export const TOLERANCE = {
  /** Smooth ops in float64. */
  smooth: 1e-6,
} as const;

export interface GradPair {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
  absError: number;
  relError: number;
}

export interface GradcheckReport {
  name: string;
  shapes: string;
  maxAbs: number;
  maxRel: number;
  tolerance: number;
  pass: boolean;
  worst: GradPair | null;
  /** The first few pairs, for the failure message. */
  pairs: GradPair[];
}

export interface GradcheckOptions {
  /** Largest accepted relative error (default TOLERANCE.smooth). */
  tolerance?: number;
  /** Which inputs to check (default all that require a gradient). */
  check?: readonly boolean[];
  eps?: number;
  /** At most this many elements of each input, evenly spaced (default: every element). */
  sample?: number;
}

/** A fixed projection weight for output element i: deterministic and uneven. */
function projection(i: number): number {
  return Math.cos(1 + 0.7 * i) + 0.1;
}

function project(y: Tensor): number {
  let s = 0;
  for (let i = 0; i < y.size; i++) s += y.data[i] * projection(i);
  return s;
}

/**
 * Checks the tape's gradient of f against central differences. Inputs must
 * be float64; those with `requiresGrad` (or selected by `check`) are checked.
 */
export function gradcheck(
  name: string,
  f: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const tolerance = options.tolerance ?? TOLERANCE.smooth;
  const eps = options.eps ?? EPS;
  for (const x of inputs) {
    if (x.dtype !== 'float64') throw new Error(`gradcheck ${name}: input ${formatShape(x.shape)} is ${x.dtype}; checks run in float64`);
  }
  const checked = inputs.map((x, i) => options.check?.[i] ?? x.requiresGrad);
  for (const x of inputs) x.grad = null;

  // Analytic: one backward pass of L = Σ f(x) ⊙ w.
  const y = f(...inputs);
  const w = new Float64Array(y.size);
  for (let i = 0; i < w.length; i++) w[i] = projection(i);
  y.backward(w);

  const pairs: GradPair[] = [];
  let worst: GradPair | null = null;
  let maxAbs = 0;
  let maxRel = 0;
  noGrad(() => {
    inputs.forEach((x, input) => {
      if (!checked[input]) return;
      const grad = x.grad;
      const stride = options.sample ? Math.max(1, Math.floor(x.size / options.sample)) : 1;
      for (let index = 0; index < x.size; index += stride) {
        const saved = x.data[index];
        x.data[index] = saved + eps;
        const plus = project(f(...inputs));
        x.data[index] = saved - eps;
        const minus = project(f(...inputs));
        x.data[index] = saved;
        const numeric = (plus - minus) / (2 * eps);
        const analytic = grad ? grad[index] : 0;
        const absError = Math.abs(analytic - numeric);
        const relError = absError / Math.max(Math.abs(analytic), Math.abs(numeric), REL_FLOOR);
        const pair = { input, index, analytic, numeric, absError, relError };
        if (pairs.length < 5) pairs.push(pair);
        if (!worst || relError > worst.relError || Number.isNaN(relError)) worst = pair;
        maxAbs = Math.max(maxAbs, absError);
        maxRel = Math.max(maxRel, relError);
      }
    });
  });
  const pass = worst !== null && maxRel <= tolerance && Number.isFinite(maxRel);
  return {
    name,
    shapes: inputs.map((x) => formatShape(x.shape)).join(' '),
    maxAbs, maxRel, tolerance, pass, worst, pairs,
  };
}

/** A readable account of a report: the worst element and the first pairs. */
export function describe(report: GradcheckReport): string {
  const fmt = (p: GradPair): string =>
    `input ${p.input} [${p.index}]: analytic ${p.analytic.toExponential(6)}, numeric ${p.numeric.toExponential(6)}, abs ${p.absError.toExponential(2)}, rel ${p.relError.toExponential(2)}`;
  const lines = [
    `${report.name} ${report.shapes}: max rel error ${report.maxRel.toExponential(2)} (tolerance ${report.tolerance.toExponential(0)}), max abs error ${report.maxAbs.toExponential(2)}`,
    report.worst ? `  worst: ${fmt(report.worst)}` : '  no element was checked',
    ...report.pairs.map((p) => `  ${fmt(p)}`),
  ];
  return lines.join('\n');
}

/** Throws with `describe(report)` when the check failed. */
export function assertGradcheck(report: GradcheckReport): void {
  if (!report.pass) throw new Error(`gradient check failed: ${describe(report)}`);
}
