/**
 * Differentiable shape ops: reshape (sharing storage), transpose, concat,
 * slice, gather (an embedding lookup whose backward scatter-adds) and reverse.
 * Each records one tape node whose closure adds the input gradients (`+=`).
 */
import { axisOf, like, sameDtype } from './op-checks.ts';
import { Tensor, formatShape, gradOf, record, sizeOf, type FloatArray, type Shape } from './tensor.ts';

/** Same data in a new shape; one dimension may be -1. Shares storage with the input. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const known = sizeOf(s.filter((_, i) => i !== free));
    s[free] = known === 0 ? 0 : x.size / known;
  }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(s) !== x.size) {
    throw new Error(`reshape: ${formatShape(x.shape)} (size ${x.size}) cannot become ${formatShape(shape)}`);
  }
  const out = new Tensor(x.data, s);
  record('reshape', [x], [out], () => {
    const g = out.grad!;
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  });
  return out;
}

/** 2-D transpose: [m, n] → [n, m]. */
export function transpose(x: Tensor): Tensor {
  if (x.rank !== 2) throw new Error(`transpose: expects a 2-D tensor, got ${formatShape(x.shape)}`);
  const [m, n] = x.shape;
  const out = like(x, [n, m]);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.data[j * m + i] = x.data[i * n + j];
  record('transpose', [x], [out], () => {
    const g = out.grad!;
    const gx = gradOf(x);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) gx[i * n + j] += g[j * m + i];
  });
  return out;
}

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const ax = axisOf('concat', first, axis);
  for (const x of xs) {
    sameDtype('concat', first, x);
    const ok = x.rank === first.rank && x.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) {
      throw new Error(`concat: shapes ${formatShape(first.shape)} and ${formatShape(x.shape)} differ outside axis ${ax}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const widths = xs.map((x) => x.shape[ax] * inner);
  const total = widths.reduce((p, w) => p + w, 0);
  const shape = [...first.shape];
  shape[ax] = total / (inner || 1);
  const out = like(first, shape);
  let offset = 0;
  xs.forEach((x, t) => {
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * widths[t], (o + 1) * widths[t]), o * total + offset);
    offset += widths[t];
  });
  record('concat', xs, [out], () => {
    const g = out.grad!;
    let off = 0;
    xs.forEach((x, t) => {
      if (x.requiresGrad) {
        const gx = gradOf(x);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < widths[t]; i++) gx[o * widths[t] + i] += g[o * total + off + i];
        }
      }
      off += widths[t];
    });
  });
  return out;
}

/** The part of `x` with start ≤ index < end along `axis`. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axisOf('slice', x, axis);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > x.shape[ax] || start > end) {
    throw new Error(`slice: range [${start}, ${end}) is outside axis ${ax} of shape ${formatShape(x.shape)}`);
  }
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const len = x.shape[ax];
  const width = (end - start) * inner;
  const shape = [...x.shape];
  shape[ax] = end - start;
  const out = like(x, shape);
  for (let o = 0; o < outer; o++) {
    out.data.set(x.data.subarray(o * len * inner + start * inner, o * len * inner + start * inner + width), o * width);
  }
  record('slice', [x], [out], () => {
    const g = out.grad!;
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner + start * inner;
      for (let i = 0; i < width; i++) gx[base + i] += g[o * width + i];
    }
  });
  return out;
}

/**
 * Rows of `table` [N, E] picked by `indices` (the embedding lookup): the
 * result has shape [...indexShape, E]. The backward scatter-adds each output
 * row into the row it came from, so repeated indices accumulate.
 */
export function gather(table: Tensor, indices: ArrayLike<number>, indexShape: Shape = [indices.length], op = 'gather'): Tensor {
  if (table.rank !== 2) throw new Error(`${op}: table must be 2-D, got ${formatShape(table.shape)}`);
  if (sizeOf(indexShape) !== indices.length) {
    throw new Error(`${op}: ${indices.length} indices do not fit index shape ${formatShape(indexShape)}`);
  }
  const [rows, e] = table.shape;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new Error(`${op}: index ${r} at position ${i} of ${formatShape(indexShape)} is outside [0, ${rows})`);
    }
  }
  const out = like(table, [...indexShape, e]);
  for (let i = 0; i < indices.length; i++) out.data.set(table.data.subarray(indices[i] * e, indices[i] * e + e), i * e);
  record(op, [table], [out], () => {
    const g = out.grad!;
    const gt = gradOf(table);
    for (let i = 0; i < indices.length; i++) {
      const dst = indices[i] * e;
      for (let j = 0; j < e; j++) gt[dst + j] += g[i * e + j];
    }
  });
  return out;
}

/** The elements of `x` in reverse order along `axis` (the backward half of a bidirectional layer). */
export function reverse(x: Tensor, axis: number): Tensor {
  const ax = axisOf('reverse', x, axis);
  const outer = sizeOf(x.shape.slice(0, ax));
  const len = x.shape[ax];
  const inner = sizeOf(x.shape.slice(ax + 1));
  const out = like(x);
  const flip = (dst: FloatArray, src: Readonly<FloatArray>, addInto: boolean): void => {
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < len; l++) {
        const from = (o * len + l) * inner;
        const to = (o * len + (len - 1 - l)) * inner;
        for (let i = 0; i < inner; i++) dst[to + i] = (addInto ? dst[to + i] : 0) + src[from + i];
      }
    }
  };
  flip(out.data, x.data, false);
  record('reverse', [x], [out], () => flip(gradOf(x), out.grad!, true));
  return out;
}
