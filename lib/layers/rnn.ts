/**
 * RNN: Keras's generic recurrent layer. It runs a cell (cells/cell.ts) over
 * the timesteps of x [B, T, D], one `cell.call` per step on the autograd
 * tape, so the tape's backward is the backprop through time. SimpleRNN,
 * LSTM and GRU (recurrent.ts) are RNNs whose cells run on the fused path of
 * cells/ instead.
 *
 * As the built-in layers: returnSequences, returnState (the output, then the
 * final states), goBackwards (outputs in processing order), stateful
 * (states carried between batches, `resetStates()`), initialState, and a
 * timestep mask: a masked step keeps the states it was given and repeats the
 * previous output (zeros before a sample's first unmasked step), as Keras's
 * K.rnn. A list of cells is a StackedRNNCells.
 *
 * Letters: B batch, T timesteps, D input features, O the cell's output size.
 */
import { Tensor, add, allocate, concat, formatShape, mulMask, reshape, slice, type FloatArray } from '../../autograd/index.ts';
import type { SequenceResult } from '../../cells/common.ts';
import { RNNCell, callCell } from './cells/cell.ts';
import { StackedRNNCells } from './cells/stacked.ts';
import { describeValue } from '../model/inputs.ts';
import { Layer, checkOptions, formatShapeSpec, shapeList, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

/** S: returnState as a type, so that `apply` is typed as a list ([output, ...states]) when it is true. */
export interface RNNOptions<S extends boolean = boolean> extends LayerOptions {
  /** Return the output of every timestep [B, T, O] instead of the last [B, O]. */
  returnSequences?: boolean;
  /** Also return the final states: `apply` gives [output, ...states]. */
  returnState?: S;
  /** Process the sequence from its last step to its first (the outputs come in processing order, as in Keras). */
  goBackwards?: boolean;
  /** Carry the final states of one batch into the next (fixed batch size); `resetStates()` clears them. */
  stateful?: boolean;
}

const RNN_KNOWN = ['name', 'inputShape', 'dtype', 'returnSequences', 'returnState', 'goBackwards', 'stateful'];

function formatShapeList(shape: ShapeSpec): string {
  return `[${shape.map((d) => (d === null ? 'None' : d)).join(',')}]`;
}

export class RNN<S extends boolean = boolean> extends Layer {
  readonly className: string = 'RNN';
  /** The cell run at every step (a built-in layer's own cell shares its weights). */
  readonly cell: RNNCell;
  readonly options: RNNOptions;
  readonly returnSequences: boolean;
  readonly returnState: S;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /** The states a stateful layer carries between batches. */
  states: Tensor[] | null = null;

  /**
   * `new RNN(cell, options)`, or `new RNN([cellA, cellB])` for a
   * StackedRNNCells. `baseName` is for the built-in layers, which check their
   * own options ('lstm').
   */
  constructor(cell: RNNCell | readonly RNNCell[], options: RNNOptions<S> = {}, baseName?: string) {
    if (baseName === undefined) checkOptions('RNN', options, RNN_KNOWN);
    super(baseName ?? 'rnn', options);
    const theCell = Array.isArray(cell) ? new StackedRNNCells(cell) : cell;
    if (!(theCell instanceof RNNCell)) {
      throw new Error(`${this.name} (RNN): cell must be an RNNCell (a class extending RNNCell) or a list of them, got ${describeValue(cell)}`);
    }
    const sizes: unknown[] = [theCell.outputSize, ...theCell.stateSizes];
    if (theCell.stateSizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && (n as number) > 0)) {
      throw new Error(`${this.name} (RNN): ${theCell.className}'s outputSize and stateSize must be positive integers, got outputSize ${String(theCell.outputSize)}, stateSize ${JSON.stringify(theCell.stateSize)}`);
    }
    this.cell = theCell;
    this.options = options;
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = (options.returnState ?? false) as S;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
  }

  /**
   * The same layer with some options changed and a fresh copy of the cell
   * (`cell.clone()`: its class's fromConfig of its getConfig()), as
   * Bidirectional makes its backward copy.
   */
  cloneWith(overrides: Partial<RNNOptions>): RNN<boolean> {
    return new RNN(this.cell.clone(), { ...this.options, ...overrides });
  }

  override weights(): Tensor[] {
    return this.cell.weights();
  }

  override weightLabels(): string[] {
    return this.cell.namedWeights().map(([n]) => n);
  }

  /** The output shape; with returnState the list [output, ...states]. */
  computeOutputShape(inputShape: ShapeSpec): ShapeSpec | ShapeSpec[] {
    const features = inputShape[2];
    if (inputShape.length !== 3 || features === null) {
      throw new Error(`${this.name} (${this.className}): expects input [batch, timesteps, features] with known features, got ${formatShapeList(inputShape)}`);
    }
    const mismatch = this.builtFor(features);
    if (mismatch) throw new Error(`${this.name} (${this.className}): input has ${features} features but ${mismatch}`);
    const O = this.cell.outputSize;
    const output = this.returnSequences ? [inputShape[0], inputShape[1], O] : [inputShape[0], O];
    return this.returnState ? [output, ...this.stateShapes(inputShape[0])] : output;
  }

  /** Null when the layer is unbuilt or was built for `features`; else what it was built for. */
  protected builtFor(features: number): string | null {
    const built = this.builtInputShape?.[2];
    return this.built && built !== features ? `the layer was built for ${built}` : null;
  }

  /** True when `apply` gives [output, ...states] (returnState). */
  get multipleOutputs(): S {
    return this.returnState;
  }

  protected override returnsList(): boolean {
    return this.returnState;
  }

  /** The shapes of the states, [batch, n] for each of the cell's state sizes. */
  stateShapes(batch: number | null): ShapeSpec[] {
    return this.cell.stateSizes.map((n) => [batch, n]);
  }

  /** Initial states of the wrong count or shape: an error naming the layer and the shapes it expects. */
  private checkInitialState(shapes: readonly ShapeSpec[], batch: number | null): void {
    const expected = this.stateShapes(batch);
    const fits = shapes.length === expected.length && shapes.every((s, i) => s.length === 2
      && (s[1] === null || s[1] === expected[i][1]) && (s[0] === null || batch === null || s[0] === batch));
    if (fits) return;
    const n = expected.length;
    const names = `[${this.cell.stateNames.join(', ')}]`;
    const same = expected.every((e) => e[1] === expected[0][1]);
    const of = same ? `of shape ${formatShapeSpec(expected[0])}` : `of shapes ${expected.map(formatShapeSpec).join(', ')}`;
    const got = `${shapes.length}${shapes.length > 0 ? `: ${shapes.map(formatShapeSpec).join(', ')}` : ''}`;
    throw new Error(`${this.name} (${this.className}): initialState must be ${names}, ${n} tensor${n === 1 ? '' : 's'} ${of}; got ${got}`);
  }

  /** Shapes of the outputs for the input and, after it, any initial states. */
  override outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    const [x, ...initial] = inputShapes;
    if (initial.length > 0) this.checkInitialState(initial, x[0] ?? null);
    return shapeList(this.computeOutputShape(x));
  }

  /** Runs on the input and, after it, any initial states; gives [output], or [output, ...states] with returnState. */
  override callAll(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    const [x, ...initial] = inputs;
    if (initial.length > 0) this.checkInitialState(initial.map((t) => t.shape), x.shape[0]);
    const { output, states } = this.applyWithStates(x, context, initial.length > 0 ? initial : undefined);
    return this.returnState ? [output, ...states] : [output];
  }

  protected override buildWeights(inputShape: ShapeSpec): void {
    this.cell.buildFor([inputShape[0], inputShape[2]], this.dtype);
  }

  call(x: Tensor, context: CallContext): Tensor {
    return this.applyWithStates(x, context).output;
  }

  /**
   * Runs the layer and returns the output and the final states — Keras's
   * `return_state`. `initialState` overrides the zeros (or a stateful
   * layer's carried states).
   */
  applyWithStates(x: Tensor, context: Partial<CallContext> = {}, initialState?: readonly Tensor[]): SequenceResult {
    if (!this.built) this.build([null, ...x.shape.slice(1)], x.dtype);
    if (x.rank !== 3) {
      throw new Error(`${this.name} (${this.className}): expects input [batch, timesteps, features], got shape ${formatShape(x.shape)}`);
    }
    const mismatch = this.builtFor(x.shape[2]);
    if (mismatch) throw new Error(`${this.name} (${this.className}): input has ${x.shape[2]} features but ${mismatch}`);
    const B = x.shape[0];
    let initial = initialState;
    if (!initial && this.stateful && this.states) {
      if (this.states[0].shape[0] !== B) {
        throw new Error(`${this.name} (${this.className}): stateful layer holds states for batch ${this.states[0].shape[0]}, got a batch of ${B}; call resetStates() or keep the batch size fixed`);
      }
      initial = this.states;
    }
    const result = this.runSteps(x, context, initial);
    if (this.stateful) this.states = result.states.map((s) => s.detach());
    return result;
  }

  /** The time loop: the cell's `call` at every step, on the tape. */
  protected runSteps(x: Tensor, context: Partial<CallContext>, initial: readonly Tensor[] | undefined): SequenceResult {
    const where = `${this.name} (${this.className})`;
    for (const w of this.weights()) {
      if (w.dtype !== x.dtype) throw new Error(`${where}: the weights are ${w.dtype} but the input ${formatShape(x.shape)} is ${x.dtype}`);
    }
    return runCellLoop(where, this.cell, x, initial, { goBackwards: this.goBackwards, returnSequences: this.returnSequences, mask: context.mask ?? null });
  }

  override computeMask(x: Tensor, mask: FloatArray | null): FloatArray | null {
    if (!mask || !this.returnSequences) return null;
    if (!this.goBackwards) return mask;
    // Outputs come in processing order, so the mask is reversed with them.
    const [B, T] = [x.shape[0], x.shape[1]];
    const out = allocate(x.dtype, B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = mask[b * T + T - 1 - t];
    return out;
  }

  override resetStates(): void {
    this.states = null;
  }
}

interface LoopOptions {
  goBackwards: boolean;
  returnSequences: boolean;
  /** [B, T] in input order: 1 runs the step, 0 keeps the states and repeats the previous output. */
  mask: Readonly<FloatArray> | null;
}

/** The initial states: the given ones, checked, else zeros [B, n] per state. */
function startStates(where: string, cell: RNNCell, x: Tensor, initial: readonly Tensor[] | undefined): Tensor[] {
  const B = x.shape[0];
  const sizes = cell.stateSizes;
  if (!initial) return sizes.map((n) => new Tensor(allocate(x.dtype, B * n), [B, n]));
  if (initial.length !== sizes.length || initial.some((s, i) => s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== sizes[i] || s.dtype !== x.dtype)) {
    const got = initial.map((s) => `${s.dtype} ${formatShape(s.shape)}`).join(', ');
    throw new Error(`${where}: initialState must be ${sizes.length} ${x.dtype} tensor(s) ${sizes.map((n) => `[${B},${n}]`).join(', ')}; got ${initial.length}${got ? `: ${got}` : ''}`);
  }
  return [...initial];
}

/** Step t's mask as one value per sample, or null when every sample runs the step. */
function stepMask(where: string, mask: Readonly<FloatArray>, B: number, T: number, t: number): number[] | null {
  const m = Array.from({ length: B }, (_, b) => mask[b * T + t]);
  m.forEach((v, b) => {
    if (v !== 0 && v !== 1) throw new Error(`${where}: mask values must be 0 or 1, got ${v} at [${b},${t}] of [${B},${T}]`);
  });
  return m.every((v) => v === 1) ? null : m;
}

/** fresh where the sample's step ran, old where it was masked: fresh ⊙ m + old ⊙ (1 − m), m broadcast over the row. */
function blend(fresh: Tensor, old: Tensor, m: readonly number[]): Tensor {
  const [B, n] = fresh.shape;
  const keep = allocate(fresh.dtype, B * n);
  const carry = allocate(fresh.dtype, B * n);
  for (let b = 0; b < B; b++) {
    keep.fill(m[b], b * n, (b + 1) * n);
    carry.fill(1 - m[b], b * n, (b + 1) * n);
  }
  return add(mulMask(fresh, keep), mulMask(old, carry));
}

/** Runs `cell` over x [B, T, D] step by step with autograd ops; gives the output ([B, T, O] or [B, O]) and the final states. */
export function runCellLoop(where: string, cell: RNNCell, x: Tensor, initial: readonly Tensor[] | undefined, options: LoopOptions): SequenceResult {
  const [B, T, D] = x.shape;
  if (B === 0 || T === 0) throw new Error(`${where}: input ${formatShape(x.shape)} has no samples or no timesteps`);
  if (options.mask && options.mask.length !== B * T) {
    throw new Error(`${where}: mask must be [B, T] = [${B},${T}] (${B * T} values), got ${options.mask.length} values`);
  }
  const O = cell.outputSize;
  let states = startStates(where, cell, x, initial);
  let previous = new Tensor(allocate(x.dtype, B * O), [B, O]); // the output before the first step: zeros
  const outputs: Tensor[] = [];
  for (let s = 0; s < T; s++) {
    const t = options.goBackwards ? T - 1 - s : s;
    const m = options.mask ? stepMask(where, options.mask, B, T, t) : null;
    if (m && m.every((v) => v === 0)) {
      outputs.push(previous); // no sample runs the step: the states stay, the output repeats
      continue;
    }
    const xt = reshape(slice(x, 1, t, t + 1), [B, D]); // [B, D]
    let [output, next] = callCell(where, cell, xt, states);
    if (m) {
      const before = states;
      next = next.map((n, i) => blend(n, before[i], m));
      output = blend(output, previous, m);
    }
    states = next;
    previous = output;
    outputs.push(output);
  }
  const output = options.returnSequences
    ? concat(outputs.map((o) => reshape(o, [B, 1, O])), 1) // [B, T, O]
    : outputs[T - 1];
  return { output, states };
}
