/** The workspace: one buffer plan per fused pass, reused while its sizes stay the same. */
import { allocate, packRight, type DType, type FloatArray, type GemmOptions, type PackedRight } from '../autograd/index.ts';


/**
 * Holds the buffer plans of one layer's fused passes. A plan is one
 * allocation cut into named views, made once per (name, dtype, sizes) and
 * reused while they stay the same. `allocations` counts how many plans were
 * made (the specs use it to show that repeated calls allocate nothing);
 * `sizesOf` shows the sizes of the plan a name holds now. `blocks` cuts a
 * plan buffer into per-step (or per-gate) views once, for the time loops.
 *
 * A workspace serves one training pass at a time: a training forward calls
 * `begin()` and keeps its ticket; a backward holding an older ticket than
 * `current` throws instead of reading buffers a later forward has
 * overwritten. Inference passes use plans of their own and take no ticket.
 */
export class Workspace {
  allocations = 0;
  current = 0;
  /** The latest plan per name and dtype; a new shape replaces it (so varying lengths do not pile up plans). */
  private readonly plans = new Map<string, { names: readonly string[]; sizes: Readonly<Record<string, number>>; views: Record<string, FloatArray> }>();
  /** The block views made from each plan buffer, per layout; they go with their buffer. */
  private readonly blockViews = new WeakMap<FloatArray, Map<string, FloatArray[]>>();
  /** The storage of the packed operands, and of the float64 buffers, per name. */
  private readonly packs = new Map<string, PackedRight>();
  private readonly wide = new Map<string, Float64Array>();

  begin(): number {
    return ++this.current;
  }

  check(ticket: number, cell: string): void {
    if (ticket !== this.current) {
      throw new Error(`${cell}: backward of an earlier forward pass; its workspace has since been reused by another forward`);
    }
  }

  plan<K extends string>(name: string, dtype: DType, sizes: Readonly<Record<K, number>>): Record<K, FloatArray> {
    const keys = Object.keys(sizes) as K[];
    const key = `${name}:${dtype}`;
    const found = this.plans.get(key);
    if (found && sameSizes(found.names, found.sizes, sizes, keys)) return found.views as Record<K, FloatArray>;
    let total = 0;
    for (const k of keys) total += sizes[k];
    const block = allocate(dtype, total);
    const views = {} as Record<K, FloatArray>;
    let offset = 0;
    for (const k of keys) {
      views[k] = block.subarray(offset, offset + sizes[k]);
      offset += sizes[k];
    }
    this.plans.set(key, { names: keys, sizes: Object.freeze({ ...sizes }), views });
    this.allocations++;
    return views;
  }

  /**
   * op(b) [k, n] packed for gemmPacked (b and the options as for packRight),
   * in storage kept under `name` and reused while it is large enough: the
   * recurrent kernel, packed once per pass instead of at every step.
   */
  pack(name: string, b: Readonly<FloatArray>, k: number, n: number, options: GemmOptions = {}): PackedRight {
    const packed = packRight(b, k, n, options, this.packs.get(name) ?? null);
    this.packs.set(name, packed);
    return packed;
  }

  /**
   * A Float64Array of n numbers kept under `name` whatever the plan's dtype
   * (reused while it is large enough; counted with the packs, not the plans):
   * values a pass goes on computing with, as it would with a local.
   */
  float64(name: string, n: number): Float64Array {
    let a = this.wide.get(name);
    if (!a || a.length < n) this.wide.set(name, (a = new Float64Array(n)));
    return a.subarray(0, n);
  }

  /** The sizes (numbers per view) of the plan held under this name and dtype, or null when there is none. */
  sizesOf(name: string, dtype: DType): Readonly<Record<string, number>> | null {
    return this.plans.get(`${name}:${dtype}`)?.sizes ?? null;
  }

  /**
   * `count` views of `size` numbers of a plan buffer, the i-th starting at
   * offset + i·stride (stride 0: every view is the same numbers). Made on the
   * first call per buffer and layout and then reused, so that the time loops
   * index views instead of creating them.
   */
  blocks(buffer: FloatArray, count: number, size: number, stride = size, offset = 0): FloatArray[] {
    let byLayout = this.blockViews.get(buffer);
    if (!byLayout) this.blockViews.set(buffer, (byLayout = new Map()));
    const key = `${count}:${size}:${stride}:${offset}`;
    let list = byLayout.get(key);
    if (!list) {
      list = Array.from({ length: count }, (_, i) => buffer.subarray(offset + i * stride, offset + i * stride + size));
      byLayout.set(key, list);
    }
    return list;
  }
}

/** The same names with the same sizes, in the same order. */
function sameSizes(names: readonly string[], held: Readonly<Record<string, number>>, sizes: Readonly<Record<string, number>>, keys: readonly string[]): boolean {
  if (names.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (names[i] !== keys[i] || held[keys[i]] !== sizes[keys[i]]) return false;
  return true;
}
