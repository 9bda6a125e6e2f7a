/**
 * Differentiable ops. Each computes its output, then records one tape node
 * whose closure adds the inputs' gradients (`+=`).
 *
 * Broadcasting: a binary op takes two shapes where the shorter is a suffix of
 * the longer (`[B, H]` with `[H]`, `[B, T, H]` with `[T, H]`, anything with
 * `[]`). The shorter operand repeats over the leading dimensions; its
 * gradient is summed over them.
 */
import { gemm } from './gemm.ts';
import {
  Tensor, allocate, formatShape, gradOf, record, sizeOf,
  type FloatArray, type Shape,
} from './tensor.ts';

function sameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new Error(`${op}: dtypes differ: ${formatShape(a.shape)} is ${a.dtype}, ${formatShape(b.shape)} is ${b.dtype}`);
  }
}

function like(t: Tensor, shape: Shape = t.shape): Tensor {
  return new Tensor(allocate(t.dtype, sizeOf(shape)), shape);
}

// ---------------------------------------------------------------- matmul

/**
 * 2-D matrix product op(a) · op(b), with op the identity or the transpose.
 * a: [m, k] (or [k, m] with transA), b: [k, n] (or [n, k] with transB) → [m, n].
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.rank !== 2 || b.rank !== 2) {
    throw new Error(`matmul: ${formatShape(a.shape)} x ${formatShape(b.shape)}: both operands must be 2-D`);
  }
  sameDtype('matmul', a, b);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== k2) {
    const shown = `${formatShape(a.shape)}${transA ? 'ᵀ' : ''} x ${formatShape(b.shape)}${transB ? 'ᵀ' : ''}`;
    throw new Error(`matmul: ${shown}: inner dimensions ${k} and ${k2} differ`);
  }
  const out = like(a, [m, n]);
  gemm(out.data, a.data, b.data, m, k, n, { transA, transB });
  record('matmul', [a, b], [out], () => {
    const g = out.grad!; // [m, n]
    // dA = g · op(b)ᵀ, stored in a's layout; dB = op(a)ᵀ · g, stored in b's layout.
    if (a.requiresGrad) {
      if (transA) gemm(gradOf(a), b.data, g, k, n, m, { transA: transB, transB: true, accumulate: true }); // [k, m] = op(b) · gᵀ
      else gemm(gradOf(a), g, b.data, m, n, k, { transB: !transB, accumulate: true }); // [m, k] = g · op(b)ᵀ
    }
    if (b.requiresGrad) {
      if (transB) gemm(gradOf(b), g, a.data, n, m, k, { transA: true, transB: transA, accumulate: true }); // [n, k] = gᵀ · op(a)
      else gemm(gradOf(b), a.data, g, k, m, n, { transA: !transA, accumulate: true }); // [k, n] = op(a)ᵀ · g
    }
  });
  return out;
}

// ---------------------------------------------------------------- broadcasting binary ops

function broadcastShape(op: string, a: Tensor, b: Tensor): { shape: number[]; aInner: number; bInner: number } {
  sameDtype(op, a, b);
  const [long, short] = a.rank >= b.rank ? [a.shape, b.shape] : [b.shape, a.shape];
  const offset = long.length - short.length;
  for (let i = 0; i < short.length; i++) {
    if (short[i] !== long[offset + i]) {
      throw new Error(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast: the shorter must equal the trailing dimensions of the longer`);
    }
  }
  return { shape: [...long], aInner: a.size, bInner: b.size };
}

/** Adds `g` (the output's gradient, length n) into `target`, summing over repeats. */
function accumulateBroadcast(target: FloatArray, g: FloatArray, scale: FloatArray | null, scaleInner: number): void {
  const inner = target.length;
  for (let i = 0; i < g.length; i++) {
    target[i % inner] += scale ? g[i] * scale[i % scaleInner] : g[i];
  }
}

export function add(a: Tensor, b: Tensor): Tensor {
  const { shape, aInner, bInner } = broadcastShape('add', a, b);
  const out = like(a, shape);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = a.data[i % aInner] + b.data[i % bInner];
  record('add', [a, b], [out], () => {
    if (a.requiresGrad) accumulateBroadcast(gradOf(a), out.grad!, null, 1);
    if (b.requiresGrad) accumulateBroadcast(gradOf(b), out.grad!, null, 1);
  });
  return out;
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const { shape, aInner, bInner } = broadcastShape('sub', a, b);
  const out = like(a, shape);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = a.data[i % aInner] - b.data[i % bInner];
  record('sub', [a, b], [out], () => {
    const g = out.grad!;
    if (a.requiresGrad) accumulateBroadcast(gradOf(a), g, null, 1);
    if (b.requiresGrad) {
      const gb = gradOf(b);
      for (let i = 0; i < g.length; i++) gb[i % bInner] -= g[i];
    }
  });
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const { shape, aInner, bInner } = broadcastShape('mul', a, b);
  const out = like(a, shape);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = a.data[i % aInner] * b.data[i % bInner];
  record('mul', [a, b], [out], () => {
    const g = out.grad!;
    // d(ab)/da = b, d(ab)/db = a
    if (a.requiresGrad) accumulateBroadcast(gradOf(a), g, b.data, bInner);
    if (b.requiresGrad) accumulateBroadcast(gradOf(b), g, a.data, aInner);
  });
  return out;
}

export function div(a: Tensor, b: Tensor): Tensor {
  const { shape, aInner, bInner } = broadcastShape('div', a, b);
  const out = like(a, shape);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = a.data[i % aInner] / b.data[i % bInner];
  record('div', [a, b], [out], () => {
    const g = out.grad!;
    if (a.requiresGrad) {
      const ga = gradOf(a);
      for (let i = 0; i < g.length; i++) ga[i % aInner] += g[i] / b.data[i % bInner]; // d(a/b)/da = 1/b
    }
    if (b.requiresGrad) {
      const gb = gradOf(b);
      for (let i = 0; i < g.length; i++) gb[i % bInner] -= (g[i] * o[i]) / b.data[i % bInner]; // d(a/b)/db = -(a/b)/b
    }
  });
  return out;
}

/** x ⊙ mask for a constant mask (dropout, masking): no gradient flows to the mask. */
export function mulMask(x: Tensor, mask: Readonly<FloatArray>): Tensor {
  const inner = mask.length;
  if (inner === 0 || x.size % inner !== 0) {
    throw new Error(`mulMask: mask of length ${inner} does not repeat evenly over ${formatShape(x.shape)}`);
  }
  const out = like(x);
  for (let i = 0; i < x.size; i++) out.data[i] = x.data[i] * mask[i % inner];
  record('mulMask', [x], [out], () => accumulateBroadcast(gradOf(x), out.grad!, mask as FloatArray, inner));
  return out;
}

// ---------------------------------------------------------------- elementwise unary ops

/**
 * An elementwise op y = f(x) whose derivative is written in terms of x and y,
 * so that functions like tanh can take it from the cached output.
 */
function unary(op: string, x: Tensor, f: (x: number) => number, dydx: (x: number, y: number) => number): Tensor {
  const out = like(x);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = f(xd[i]);
  record(op, [x], [out], () => {
    const g = out.grad!;
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * dydx(xd[i], y[i]);
  });
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x, (v) => -v, () => -1);
export const addScalar = (x: Tensor, s: number): Tensor => unary('addScalar', x, (v) => v + s, () => 1);
export const mulScalar = (x: Tensor, s: number): Tensor => unary('mulScalar', x, (v) => v * s, () => s);
/** σ(x) = 1 / (1 + e^−x); σ' = y(1 − y). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, sigmoidOf, (_, y) => y * (1 - y));
/** tanh' = 1 − y². */
export const tanh = (x: Tensor): Tensor => unary('tanh', x, Math.tanh, (_, y) => 1 - y * y);
export const relu = (x: Tensor): Tensor => unary('relu', x, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0));
export const exp = (x: Tensor): Tensor => unary('exp', x, Math.exp, (_, y) => y);
export const log = (x: Tensor): Tensor => unary('log', x, Math.log, (v) => 1 / v);
export const abs = (x: Tensor): Tensor => unary('abs', x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
/** softplus(x) = log(1 + eˣ), computed without overflow; its derivative is σ(x). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x, softplusOf, (v) => sigmoidOf(v));
/** log σ(x) = −softplus(−x), stable for large |x|; its derivative is σ(−x) = 1 − σ(x). */
export const logSigmoid = (x: Tensor): Tensor => unary('logSigmoid', x, (v) => -softplusOf(-v), (v) => sigmoidOf(-v));

export function sigmoidOf(v: number): number {
  // Two forms so that exp never overflows.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function softplusOf(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

// ---------------------------------------------------------------- reductions

/** `axis` (negative counts from the end) as an index into x's shape, or an error naming the op. */
function axisOf(op: string, x: Tensor, axis: number): number {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.rank) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${formatShape(x.shape)}`);
  }
  return ax;
}

function reduceDims(op: string, x: Tensor, axis: number): { outer: number; len: number; inner: number; shape: number[] } {
  const ax = axisOf(op, x, axis);
  return {
    outer: sizeOf(x.shape.slice(0, ax)),
    len: x.shape[ax],
    inner: sizeOf(x.shape.slice(ax + 1)),
    shape: [...x.shape.slice(0, ax), ...x.shape.slice(ax + 1)],
  };
}

/** Sum of all elements (shape []) or over one axis (that axis removed). */
export function sum(x: Tensor, axis?: number): Tensor {
  return sumScaled('sum', x, axis, 1);
}

/** Mean of all elements (shape []) or over one axis (that axis removed). */
export function mean(x: Tensor, axis?: number): Tensor {
  const count = axis === undefined ? x.size : x.shape[axis < 0 ? axis + x.rank : axis];
  return sumScaled('mean', x, axis, 1 / count);
}

function sumScaled(op: string, x: Tensor, axis: number | undefined, scale: number): Tensor {
  const { outer, len, inner, shape } = axis === undefined
    ? { outer: 1, len: x.size, inner: 1, shape: [] }
    : reduceDims(op, x, axis);
  const out = like(x, shape);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) out.data[o * inner + i] += xd[base + i] * scale;
    }
  }
  record(op, [x], [out], () => {
    const g = out.grad!;
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < len; l++) {
        const base = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) gx[base + i] += g[o * inner + i] * scale;
      }
    }
  });
  return out;
}

/** log softmax over the last axis: x − max − log Σ exp(x − max). */
export function logSoftmax(x: Tensor): Tensor {
  if (x.rank < 1) throw new Error(`logSoftmax: needs at least one axis, got shape ${formatShape(x.shape)}`);
  const c = x.shape[x.rank - 1];
  const rows = x.size / c;
  const out = like(x);
  const xd = x.data;
  const y = out.data;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, xd[r * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(xd[r * c + j] - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < c; j++) y[r * c + j] = xd[r * c + j] - lse;
  }
  record('logSoftmax', [x], [out], () => {
    // dx_j = g_j − softmax_j · Σ_k g_k
    const g = out.grad!;
    const gx = gradOf(x);
    for (let r = 0; r < rows; r++) {
      let gs = 0;
      for (let j = 0; j < c; j++) gs += g[r * c + j];
      for (let j = 0; j < c; j++) gx[r * c + j] += g[r * c + j] - Math.exp(y[r * c + j]) * gs;
    }
  });
  return out;
}

/** softmax over the last axis, as exp(logSoftmax(x)). */
export function softmax(x: Tensor): Tensor {
  return exp(logSoftmax(x));
}

// ---------------------------------------------------------------- shape ops

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

/** min(max(x, lo), hi); the gradient passes where lo < x < hi and is zero where clipped. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  return unary('clip', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v > lo && v < hi ? 1 : 0));
}
