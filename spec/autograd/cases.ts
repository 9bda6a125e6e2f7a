/** Gradient checks of every differentiable op, in float64 on uneven shapes. */
import { gradcheck } from '../../autograd/gradcheck.ts';
import * as ops from '../../autograd/ops.ts';
import { Tensor, randomNormal, setSeed, type Shape } from '../../autograd/index.ts';
import type { GradCase } from '../gradcases.ts';

/** A float64 leaf with seeded normal values, shifted away from zero when `awayFromZero` (for relu, abs, log). */
export function leaf(shape: Shape, awayFromZero = false): Tensor {
  const t = randomNormal(shape, 0, 1, 'float64');
  if (awayFromZero) for (let i = 0; i < t.size; i++) t.data[i] += t.data[i] >= 0 ? 0.2 : -0.2;
  t.requiresGrad = true;
  return t;
}

function positive(shape: Shape): Tensor {
  const t = leaf(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + Math.abs(t.data[i]);
  return t;
}

function seeded(name: string, build: () => { f: (...xs: Tensor[]) => Tensor; inputs: Tensor[] }): GradCase {
  return {
    name,
    run: () => {
      setSeed(name);
      const { f, inputs } = build();
      return gradcheck(name, f, inputs);
    },
  };
}

export const autogradCases: GradCase[] = [
  seeded('matmul', () => ({ f: (a, b) => ops.matmul(a, b), inputs: [leaf([3, 5]), leaf([5, 7])] })),
  seeded('matmul (transA)', () => ({ f: (a, b) => ops.matmul(a, b, true, false), inputs: [leaf([5, 3]), leaf([5, 7])] })),
  seeded('matmul (transB)', () => ({ f: (a, b) => ops.matmul(a, b, false, true), inputs: [leaf([3, 5]), leaf([7, 5])] })),
  seeded('matmul (transA, transB)', () => ({ f: (a, b) => ops.matmul(a, b, true, true), inputs: [leaf([5, 3]), leaf([7, 5])] })),
  seeded('add', () => ({ f: ops.add, inputs: [leaf([3, 5]), leaf([3, 5])] })),
  seeded('add (broadcast [B,H] + [H])', () => ({ f: ops.add, inputs: [leaf([3, 5]), leaf([5])] })),
  seeded('add (broadcast [H] + [B,T,H])', () => ({ f: ops.add, inputs: [leaf([5]), leaf([2, 3, 5])] })),
  seeded('sub (broadcast)', () => ({ f: ops.sub, inputs: [leaf([3, 5]), leaf([5])] })),
  seeded('sub (broadcast, right longer)', () => ({ f: ops.sub, inputs: [leaf([5]), leaf([3, 5])] })),
  seeded('mul (broadcast)', () => ({ f: ops.mul, inputs: [leaf([2, 3, 5]), leaf([3, 5])] })),
  seeded('div (broadcast)', () => ({ f: ops.div, inputs: [leaf([3, 5]), positive([5])] })),
  seeded('div (scalar [] divisor)', () => ({ f: ops.div, inputs: [leaf([3, 5]), positive([])] })),
  seeded('neg', () => ({ f: ops.neg, inputs: [leaf([3, 5])] })),
  seeded('addScalar', () => ({ f: (x) => ops.addScalar(x, 2.5), inputs: [leaf([3, 5])] })),
  seeded('mulScalar', () => ({ f: (x) => ops.mulScalar(x, -1.5), inputs: [leaf([3, 5])] })),
  seeded('sigmoid', () => ({ f: ops.sigmoid, inputs: [leaf([3, 5])] })),
  seeded('tanh', () => ({ f: ops.tanh, inputs: [leaf([3, 5])] })),
  seeded('relu', () => ({ f: ops.relu, inputs: [leaf([3, 5], true)] })),
  seeded('exp', () => ({ f: ops.exp, inputs: [leaf([3, 5])] })),
  seeded('log', () => ({ f: ops.log, inputs: [positive([3, 5])] })),
  seeded('abs', () => ({ f: ops.abs, inputs: [leaf([3, 5], true)] })),
  seeded('softplus', () => ({ f: ops.softplus, inputs: [leaf([3, 5])] })),
  seeded('logSigmoid', () => ({ f: ops.logSigmoid, inputs: [leaf([3, 5])] })),
  seeded('logSoftmax', () => ({ f: ops.logSoftmax, inputs: [leaf([3, 5])] })),
  seeded('softmax', () => ({ f: ops.softmax, inputs: [leaf([3, 5])] })),
  seeded('sum (all)', () => ({ f: (x) => ops.sum(x), inputs: [leaf([3, 5])] })),
  seeded('sum (axis 1 of 3)', () => ({ f: (x) => ops.sum(x, 1), inputs: [leaf([2, 3, 5])] })),
  seeded('mean (all)', () => ({ f: (x) => ops.mean(x), inputs: [leaf([3, 5])] })),
  seeded('mean (axis 0)', () => ({ f: (x) => ops.mean(x, 0), inputs: [leaf([3, 5])] })),
  seeded('reshape', () => ({ f: (x) => ops.reshape(x, [5, -1]), inputs: [leaf([3, 5])] })),
  seeded('transpose', () => ({ f: ops.transpose, inputs: [leaf([3, 5])] })),
  seeded('concat (axis 1)', () => ({ f: (a, b) => ops.concat([a, b], 1), inputs: [leaf([3, 2, 5]), leaf([3, 4, 5])] })),
  seeded('concat (axis -1)', () => ({ f: (a, b) => ops.concat([a, b], -1), inputs: [leaf([3, 5]), leaf([3, 2])] })),
  seeded('slice (axis 1)', () => ({ f: (x) => ops.slice(x, 1, 1, 4), inputs: [leaf([3, 5, 2])] })),
  seeded('gather (repeated indices)', () => ({ f: (t) => ops.gather(t, [2, 0, 2, 6, 2, 1], [2, 3]), inputs: [leaf([7, 3])] })),
  seeded('mulMask', () => {
    const mask = new Float64Array([0, 2, 0.5, 1, 0]);
    return { f: (x) => ops.mulMask(x, mask), inputs: [leaf([3, 5])] };
  }),
  seeded('reverse (axis 1)', () => ({ f: (x) => ops.reverse(x, 1), inputs: [leaf([2, 4, 3])] })),
  seeded('clip (no element at a bound)', () => ({ f: (x) => ops.clip(x, -0.7, 0.9), inputs: [leaf([3, 5], true)] })),
  seeded('composite: log(sigmoid(x)·y) + tanh(x)', () => ({
    f: (x, y) => ops.add(ops.log(ops.mul(ops.sigmoid(x), y)), ops.tanh(x)),
    inputs: [leaf([3, 5]), positive([5])],
  })),
];
