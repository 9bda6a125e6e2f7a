/**
 * The contract between a cell and the driver (sequence.ts): what a cell
 * tells the driver (`Cell`), and the one timestep's views the driver hands
 * to the cell's step functions (`Step`). cells/lstm.ts is the model of a
 * cell; "How to add a cell" in docs/architecture.md walks through one.
 *
 * Letters: B batch, T timesteps, H units, G gate blocks.
 */
import type { FloatArray, Tensor } from '../autograd/index.ts';
import type { Activation, CellWeights, StepOptions } from './common.ts';
import type { Projection } from './projection.ts';

/**
 * A buffer of the cell's own, [B, width·H] per step: 'cache' is kept for the
 * backward (T steps in training, one at inference), 'scratch' serves one step,
 * 'grad' keeps a gradient of every step (training only), 'backward' serves
 * one step of the backward (training only), 'backward64' too but in float64
 * whatever the dtype, for values the step's statements go on computing with.
 */
export type CellBuffer = readonly [kind: 'cache' | 'scratch' | 'grad' | 'backward' | 'backward64', width: number];

/**
 * A recurrent product `(a ⊙ m_g) · U_g` of the cell: U's gate blocks first …
 * first + count − 1; `masked`: the recurrent dropout masks of those blocks
 * apply. `out` and `grad` give, in units of H, the row width of the buffers
 * its forward writes and its backward reads, and where its first block sits
 * in them. After the loop the driver takes dU_g += Σ_t (a_t ⊙ m_g)ᵀ δ_t
 * from the plan's buffers `input` (a of every step: 'h', the states before
 * each step, or a cache) and `dOutput` (δ of every step: 'dGates' or a grad).
 */
export interface Product {
  first: number;
  count: number;
  masked: boolean;
  out: readonly [cols: number, start: number];
  grad: readonly [cols: number, start: number];
  input: string;
  dOutput: string;
}

/** What a cell tells the driver. */
export interface Cell {
  /** Names the cell's errors, tape node and plans: 'lstm'. */
  name: string;
  /** G. */
  gates: number;
  /** The carried states, h first (it is also the output): ['h'] or ['h', 'c']. */
  states: readonly string[];
  /** The gate blocks' names, for the trace: ['i', 'f', 'g', 'o']. */
  gateNames: readonly string[];
  biasShape(H: number): number[];
  /** A check of the weights before the common ones, for a clearer message. */
  checkWeights?(w: CellWeights, H: number): void;
  /** The part of b (or of its gradient) that the input side adds: x W + bx. */
  inputBias(b: FloatArray, H: number): FloatArray;
  /** A part of b that the cell adds to the output of its first product itself, or absent. */
  recurrentBias?(b: FloatArray, H: number): FloatArray;
  products: readonly Product[];
  buffers: Readonly<Record<string, CellBuffer>>;
  /** One timestep with autograd ops: the reference. */
  step(x: Tensor, states: readonly Tensor[], w: CellWeights, options: StepOptions): Tensor[];
  stepForward(s: Step): void;
  stepBackward(s: Step): void;
}

/** What a cell's step functions work on: one timestep's views, set by the driver before each call. */
export interface Step {
  B: number;
  T: number;
  H: number;
  /** The step, in processing order. */
  t: number;
  training: boolean;
  act: Activation;
  recAct: Activation;
  /** [B, G·H] x W + bx of step t; stepForward overwrites it with the gate values (the backward's cache). */
  gates: FloatArray;
  /** [B, G·H] ∂L/∂(x W + bx) of step t, which stepBackward writes (training). */
  dGates: FloatArray;
  /** The carried states before the step, and the step's new states, [B, H] each (h first). */
  prev: FloatArray[];
  next: FloatArray[];
  /** ∂L/∂ the new states (zero at masked rows), and where stepBackward adds ∂L/∂ the states before, [B, H] each. */
  dNext: FloatArray[];
  dPrev: FloatArray[];
  /** The cell's buffers at step t. */
  buf: Record<string, FloatArray>;
  /** The cell's recurrent products, in its order. */
  rec: Projection[];
  recurrentBias: FloatArray | null;
  recurrentMasks: readonly FloatArray[] | null;
}

