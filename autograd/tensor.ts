/**
 * Tensor and tape.
 *
 * A Tensor is a row-major, contiguous block of numbers (`Float32Array` by
 * default, `Float64Array` on request) with a shape. A tensor made by a
 * differentiable op remembers the op as a `TapeNode`: the node's inputs, its
 * outputs and a backward closure that turns the outputs' gradients into the
 * inputs' gradients. `backward()` sorts the nodes reachable from a tensor
 * topologically and runs their closures in reverse. Gradients accumulate
 * (`+=`); clearing them is the caller's job (`zeroGrad`).
 */
import ndarray from 'ndarray';
import { normal, uniform } from './random.ts';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;
export type Shape = readonly number[];
/** A number, or arbitrarily nested arrays of numbers. */
export type NestedArray = number | readonly NestedArray[];
/** Anything a tensor can be made from. */
export type TensorLike = Tensor | NestedArray | FloatArray;

/** One recorded op: what it read, what it wrote, and how to send gradients back. */
export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Reads the outputs' `grad` and adds into the inputs' `grad`. */
  readonly backward: () => void;
}

let gradEnabled = true;

/** True unless inside `noGrad`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with recording switched off: no op inside it makes a tape node. */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

function checkShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: shape ${formatShape(shape)} has a dimension ${d} that is not a non-negative integer`);
    }
  }
}

export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

export class Tensor {
  /** Row-major storage; `data.length === size`. */
  readonly data: FloatArray;
  readonly shape: number[];
  readonly dtype: DType;
  /** Gradient of the last `backward()` root with respect to this tensor, once one has flowed here. */
  grad: FloatArray | null = null;
  /** Leaves set this to have their gradient kept; op outputs inherit it from their inputs. */
  requiresGrad: boolean;
  /** The op that produced this tensor, if it was recorded. */
  node: TapeNode | null = null;

  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    checkShape(shape, 'Tensor');
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new Error(`Tensor: data of length ${data.length} does not fit shape ${formatShape(shape)} (size ${size})`);
    }
    this.data = data;
    this.shape = [...shape];
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.data.length} elements, not 1`);
    }
    return this.data[0];
  }

  /** The values as nested arrays (a number for a rank-0 tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A zero-copy `ndarray` view of the data. */
  toNdarray(): ndarray.NdArray<FloatArray> {
    return ndarray(this.data, [...this.shape]);
  }

  /** The gradient as a tensor of this shape (zeros if none has flowed here). */
  gradTensor(): Tensor {
    return new Tensor(this.grad ?? allocate(this.dtype, this.size), this.shape);
  }

  zeroGrad(): void {
    if (this.grad) this.grad.fill(0);
  }

  /** A copy of the values that is not connected to the tape. */
  detach(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Backpropagates from this tensor. Without `grad` the tensor must hold one
   * element and its gradient is taken as 1.
   */
  backward(grad?: FloatArray): void {
    backward(this, grad);
  }
}

// ---------------------------------------------------------------- creation

function flatten(values: NestedArray, where: string): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') {
        throw new Error(`${where}: ragged nested array: element at [${path.join(',')}] is an array, expected a number (shape ${formatShape(shape)})`);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const len = Array.isArray(v) ? v.length : 'a number';
      throw new Error(`${where}: ragged nested array: entry [${path.join(',')}] has length ${len}, expected ${shape[dim]} (shape ${formatShape(shape)})`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, [...path, i]);
  };
  walk(values, 0, []);
  return { flat, shape };
}

/**
 * Makes a tensor from nested arrays, a flat array or a typed array. With
 * `shape`, the values are taken in row-major order and must fill it exactly.
 * A typed array of the requested dtype is used without a copy.
 */
export function tensor(values: TensorLike, shape?: Shape, dtype: DType = 'float32'): Tensor {
  if (values instanceof Tensor) {
    if (shape) return reshapeData(values, shape);
    return values;
  }
  if (shape) checkShape(shape, 'tensor');
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const s = shape ?? [values.length];
    if (values.length !== sizeOf(s)) {
      throw new Error(`tensor: data of length ${values.length} does not fit shape ${formatShape(s)} (size ${sizeOf(s)})`);
    }
    const data = dtypeOf(values) === dtype ? values : allocate(dtype, values.length);
    if (data !== values) data.set(values);
    return new Tensor(data, s);
  }
  const { flat, shape: inferred } = flatten(values, 'tensor');
  const s = shape ?? inferred;
  if (flat.length !== sizeOf(s)) {
    throw new Error(`tensor: ${flat.length} values do not fit shape ${formatShape(s)} (size ${sizeOf(s)})`);
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i];
  return new Tensor(data, s);
}

function reshapeData(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.size) {
    throw new Error(`tensor: data of length ${t.size} does not fit shape ${formatShape(shape)} (size ${sizeOf(shape)})`);
  }
  return new Tensor(t.data, shape);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'full');
  const data = allocate(dtype, sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** Uniform in [lo, hi), from the seeded global generator. */
export function randomUniform(shape: Shape, lo = 0, hi = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'randomUniform');
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = uniform(lo, hi);
  return new Tensor(data, shape);
}

/** Normal with the given mean and standard deviation, from the seeded global generator. */
export function randomNormal(shape: Shape, mean = 0, std = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'randomNormal');
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
  return new Tensor(data, shape);
}

/**
 * A tensor from an `ndarray` (any strides). Float32 and float64 data are kept
 * in their type; other element types become float32. A contiguous row-major
 * view is used without a copy.
 */
export function fromNdarray(array: ndarray.NdArray<ndarray.Data<number>>): Tensor {
  const shape = array.shape;
  const n = sizeOf(shape);
  const src = array.data;
  const dtype: DType = src instanceof Float64Array ? 'float64' : 'float32';
  let contiguous = array.offset === 0 && (src instanceof Float32Array || src instanceof Float64Array) && src.length === n;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0 && contiguous; d--) {
    if (shape[d] > 1 && array.stride[d] !== expected) contiguous = false;
    expected *= shape[d];
  }
  if (contiguous) return new Tensor(src as FloatArray, shape);
  const data = allocate(dtype, n);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    data[i] = array.get(...index);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return new Tensor(data, shape);
}

// ---------------------------------------------------------------- the tape

/** The gradient buffer of `t`, allocated (zeros) on first use. */
export function gradOf(t: Tensor): FloatArray {
  if (!t.grad) t.grad = allocate(t.dtype, t.size);
  return t.grad;
}

/**
 * Makes `outputs` the result of a recorded op when recording is on and some
 * input wants a gradient. Returns whether it recorded.
 */
export function record(op: string, inputs: readonly Tensor[], outputs: readonly Tensor[], backward: () => void): boolean {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return false;
  const node: TapeNode = { op, inputs, outputs, backward };
  for (const out of outputs) {
    out.requiresGrad = true;
    out.node = node;
  }
  return true;
}

/** Reverse topological order of the nodes that `root` depends on. */
function sortNodes(root: Tensor): TapeNode[] {
  const order: TapeNode[] = [];
  const seen = new Set<TapeNode>();
  // Iterative depth-first search: sequences can make graphs too deep for recursion.
  const stack: Array<{ node: TapeNode; next: number }> = [];
  const push = (t: Tensor): void => {
    if (t.node && !seen.has(t.node)) {
      seen.add(t.node);
      stack.push({ node: t.node, next: 0 });
    }
  };
  push(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      push(top.node.inputs[top.next++]);
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/**
 * Backpropagates from `root`: seeds its gradient with `grad` (or 1 for a
 * one-element tensor) and runs every recorded node behind it once, in reverse
 * topological order. Gradients accumulate into `.grad`.
 */
export function backward(root: Tensor, grad?: FloatArray): void {
  const nodes = sortNodes(root);
  // Intermediate gradients start from zero on every pass; only leaves accumulate.
  for (const node of nodes) for (const out of node.outputs) out.grad = null;
  const g = gradOf(root);
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new Error(`backward: tensor of shape ${formatShape(root.shape)} is not a scalar; pass the output gradient`);
    }
    g[0] += 1;
  } else {
    if (grad.length !== root.size) {
      throw new Error(`backward: gradient of length ${grad.length} does not fit shape ${formatShape(root.shape)}`);
    }
    for (let i = 0; i < g.length; i++) g[i] += grad[i];
  }
  for (const node of nodes) {
    for (const out of node.outputs) gradOf(out);
    node.backward();
  }
}
