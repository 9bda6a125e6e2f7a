/**
 * Shared fixtures for the optimizer specs: one float64 parameter, the three
 * gradients fed to it, and a talkative closeness check.
 */
import * as assert from 'uvu/assert';
import { tensor, type Tensor } from '../../autograd/index.ts';
import type { Optimizer } from '../../optim/index.ts';

/** Absolute tolerance on parameter values (they are of order 1). */
export const TOL = 1e-7;

/** θ₀, the parameter before the first step. */
export const THETA0: readonly number[] = [0.5, -1.5, 2.0, 0.0];

/** The gradients of steps 1, 2, 3 (one row per step). */
export const GRADS: readonly (readonly number[])[] = [
  [1, -2, 0.5, 0.1],
  [0.5, -1, -0.25, 3],
  [-0.3, 0.4, 2, -1],
];

/** A float64 parameter holding `values`. */
export function param(values: readonly number[] = THETA0): Tensor {
  const p = tensor([...values], [values.length], 'float64');
  p.requiresGrad = true;
  return p;
}

/**
 * Runs three steps of `opt` on a fresh parameter, giving it a fresh copy of
 * GRADS[k] before step k, and returns θ after each step.
 */
export function threeSteps(opt: Optimizer, start: readonly number[] = THETA0, grads = GRADS): number[][] {
  const p = param(start);
  const out: number[][] = [];
  for (const g of grads) {
    p.grad = Float64Array.from(g);
    opt.step([p]);
    out.push([...p.data]);
  }
  return out;
}

/**
 * Turns per-element histories [element][step] into per-step rows
 * [step][element], so a test can write each element's arithmetic on its own.
 */
export function byStep(perElement: readonly (readonly number[])[]): number[][] {
  const steps = perElement[0].length;
  return Array.from({ length: steps }, (_, k) => perElement.map((history) => history[k]));
}

/** The gradient of element i at steps 1, 2, 3. */
export function gradsOf(i: number, grads = GRADS): [number, number, number] {
  return [grads[0][i], grads[1][i], grads[2][i]];
}

/** Fails with the worst element and the pairs when |actual − expected| > tol anywhere. */
export function assertClose(actual: ArrayLike<number>, expected: readonly number[], label: string, tol = TOL): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const raw = Math.abs(actual[i] - expected[i]);
    const diff = Number.isNaN(raw) ? Infinity : raw;
    if (diff > worstDiff) {
      worst = i;
      worstDiff = diff;
    }
  }
  if (worstDiff > tol) {
    const pairs = Array.from(expected, (e, i) => `[${i}] got ${actual[i]} want ${e}`).slice(0, 6).join('; ');
    assert.unreachable(`${label}: worst element [${worst}] off by ${worstDiff.toExponential(3)} (tolerance ${tol}); ${pairs}`);
  }
}

/** assertClose on each of the three steps. */
export function assertSteps(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[], label: string): void {
  assert.is(actual.length, expected.length, `${label}: number of steps`);
  for (let k = 0; k < expected.length; k++) assertClose(actual[k], expected[k], `${label}, after step ${k + 1}`);
}
