/**
 * The four cell variants the benchmarks time, what each costs in FLOPs, and
 * a workspace that records the buffer plans the fused passes ask for.
 *
 * Letters: B batch, T timesteps, D input features, H units, G gate blocks
 * (SimpleRNN 1, GRU 3, LSTM 4).
 *
 * FLOPs are counted from the shapes, per sample per step, forward:
 *   matmuls      2·G·H·(D + H)    x W and hPrev U (one multiply and one add each)
 *   elementwise  E·H              every +, −, ×, σ and tanh of the cell's equations counts 1:
 *     SimpleRNN               E = 3   (+ b, + hU, tanh)
 *     LSTM                    E = 17  (2 adds × 4 blocks, 4 activations, c = f·cPrev + i·g: 3, tanh(c), o·tanh(c))
 *     GRU (resetAfter true)   E = 17  (z, r: 3 adds each; ĥ: 4 (+bx, +bh, r⊙, +); 3 activations; h = z·hPrev + (1−z)·ĥ: 4)
 *     GRU (resetAfter false)  E = 14  (z, r: 2 adds each; r⊙hPrev; ĥ: 2 adds; 3 activations; the blend: 4)
 * The backward is counted as 2 × the forward: for the matmuls that is exact
 * (dW = xᵀdZ, dX = dZ Wᵀ, dU = hPrevᵀdZ, dhPrev = dZ Uᵀ, each as many FLOPs as a
 * forward product, with the gradient of x taken), for the elementwise part an estimate.
 * A training pass (forward + backward) is therefore 3 × the forward.
 */
import type { DType, FloatArray, Tensor } from '../autograd/index.ts';
import { Workspace, type CellWeights, type SequenceOptions, type SequenceResult } from '../cells/common.ts';
import { CELLS, type CellClass } from '../cells/index.ts';
import { planSizes, referenceSequence, runSequence, type Cell } from '../cells/sequence.ts';
import { GRU, LSTM, SimpleRNN, type FusedRNN as RNN } from '../lib/index.ts';

export type VariantKey = 'simpleRnn' | 'lstm' | 'gru' | 'gruResetBefore';

export interface CellVariant {
  key: VariantKey;
  /** As printed in the tables. */
  label: string;
  /** G. */
  gates: number;
  /** E: elementwise FLOPs per unit per step in the forward (see the file comment). */
  elementwise: number;
  init(D: number, H: number, dtype?: DType): CellWeights;
  /** The fused pass (one tape node, hand-written BPTT). */
  fused(x: Tensor, w: CellWeights, options?: SequenceOptions): SequenceResult;
  /** The reference: the autograd `step` over every timestep. */
  reference(x: Tensor, w: CellWeights, options?: SequenceOptions): SequenceResult;
  /** The Keras-shaped layer of lib/. */
  layer(H: number, inputShape: [number, number]): RNN;
  /** The sizes of the buffer plan a pass of the fused cell makes. */
  planSizes(kind: 'train' | 'infer', dims: { B: number; T: number; D: number; H: number }): Readonly<Record<string, number>>;
}

/** A variant of the table of the cells (cells/index.ts). */
function fromTable(key: VariantKey, label: string, className: CellClass, elementwise: number, resetAfter?: boolean): CellVariant {
  const entry = CELLS[className];
  const cell: Cell = entry.cell({ resetAfter });
  return {
    key, label, gates: entry.gates, elementwise,
    init: (D, H, dtype) => entry.init(D, H, { dtype, resetAfter }),
    fused: (x, w, options = {}) => runSequence(cell, x, w, options),
    reference: (x, w, options = {}) => referenceSequence(cell, x, w, options),
    layer: (H, inputShape) => (className === 'SimpleRNN' ? new SimpleRNN(H, { inputShape })
      : className === 'LSTM' ? new LSTM(H, { inputShape }) : new GRU(H, { inputShape, resetAfter })),
    planSizes: (kind, dims) => planSizes(cell, kind, dims),
  };
}

export const VARIANTS: readonly CellVariant[] = [
  fromTable('simpleRnn', 'SimpleRNN', 'SimpleRNN', 3),
  fromTable('lstm', 'LSTM', 'LSTM', 17),
  fromTable('gru', 'GRU', 'GRU', 17, true),
  fromTable('gruResetBefore', 'GRU resetAfter=false', 'GRU', 14, false),
];

export function variant(key: VariantKey): CellVariant {
  const v = VARIANTS.find((c) => c.key === key);
  if (!v) throw new Error(`bench: unknown cell variant '${key}'`);
  return v;
}

/** Forward FLOPs per sample per step: the matmuls 2·G·H·(D + H) and the elementwise E·H. */
export function stepFlops(v: CellVariant, D: number, H: number): { matmul: number; elementwise: number; total: number } {
  const matmul = 2 * v.gates * H * (D + H);
  const elementwise = v.elementwise * H;
  return { matmul, elementwise, total: matmul + elementwise };
}

/** FLOPs of one call over a batch: forward (inference), or forward + backward (training, 3 × forward). */
export function passFlops(v: CellVariant, dims: { B: number; T: number; D: number; H: number }, training: boolean): number {
  return (training ? 3 : 1) * dims.B * dims.T * stepFlops(v, dims.D, dims.H).total;
}

/**
 * A Workspace that also remembers the sizes of the plans the cells ask for,
 * by plan name ('lstm:train', 'gru:infer', …): what the fused passes hold
 * between the forward and the backward, read from the cells' own plans.
 */
export class RecordingWorkspace extends Workspace {
  /** Numbers per plan name, the latest plan asked for under that name. */
  readonly sizes = new Map<string, Readonly<Record<string, number>>>();

  override plan<K extends string>(name: string, dtype: DType, sizes: Readonly<Record<K, number>>): Record<K, FloatArray> {
    this.sizes.set(name, { ...sizes });
    return super.plan(name, dtype, sizes);
  }

  /** Numbers held by the plans whose name ends in `:kind` ('train' or 'infer'). */
  numbers(kind: 'train' | 'infer'): number {
    let total = 0;
    for (const [name, sizes] of this.sizes) {
      if (name.endsWith(`:${kind}`)) for (const n of Object.values(sizes)) total += n;
    }
    return total;
  }
}

/** The total of a plan's sizes. */
export function planTotal(sizes: Readonly<Record<string, number>>): number {
  return Object.values(sizes).reduce((s, n) => s + n, 0);
}
