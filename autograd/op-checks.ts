/** What the ops share: a fresh output like an input, and the checks of dtypes and axes that name the op. */
import { Tensor, allocate, formatShape, sizeOf, type Shape } from './tensor.ts';

export function sameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new Error(`${op}: dtypes differ: ${formatShape(a.shape)} is ${a.dtype}, ${formatShape(b.shape)} is ${b.dtype}`);
  }
}

/** A zero tensor of `t`'s dtype, in `t`'s shape or `shape`. */
export function like(t: Tensor, shape: Shape = t.shape): Tensor {
  return new Tensor(allocate(t.dtype, sizeOf(shape)), shape);
}

/** `axis` (negative counts from the end) as an index into `x.shape`; out of range is an error naming the op. */
export function axisOf(op: string, x: Tensor, axis: number): number {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.rank) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${formatShape(x.shape)}`);
  }
  return ax;
}
