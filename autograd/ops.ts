/**
 * Differentiable ops. Each computes its output, then records one tape node
 * whose closure adds the inputs' gradients (`+=`).
 *
 * Broadcasting: a binary op takes two shapes where the shorter is a suffix of
 * the longer (`[B, H]` with `[H]`, `[B, T, H]` with `[T, H]`, anything with
 * `[]`). The shorter operand repeats over the leading dimensions; its
 * gradient is summed over them. The shape ops are in shape-ops.ts, re-exported here.
 */
import { gemm } from './gemm.ts';
import { Tensor, formatShape, gradOf, record, sizeOf, type FloatArray } from './tensor.ts';
import { axisOf, like, sameDtype } from './op-checks.ts';

export * from './shape-ops.ts';

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

/** min(max(x, lo), hi); the gradient passes where lo < x < hi and is zero where clipped. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  return unary('clip', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v > lo && v < hi ? 1 : 0));
}
