/**
 * Seeing inside the cells: what each gate did at every step, and how much
 * gradient a loss at the end of a sequence sends back to every step.
 *
 * Both read the fused passes of cells/ themselves — the trace reads the
 * training caches of the fused forward (`traceSequence`), the gradient flow
 * reads the norms the hand-written BPTT records in a `GradientProbe` — so
 * what is shown is what the engine computes, not a second copy of the math.
 *
 * Shapes: B batch, T timesteps, D input features, H units. Every per-step
 * result is in processing order, like the outputs of a recurrent layer:
 * step 0 is the first step processed (the last input step with goBackwards),
 * step T − 1 the last, where the loss of `gradientFlow` sits.
 */
import { Tensor, allocate, backward, formatShape, noGrad, type FloatArray } from '../autograd/index.ts';
import { canonicalActivation, type CellWeights, type GradientProbe, type SequenceOptions } from '../cells/common.ts';
import { runSequence, traceSequence, type Cell } from '../cells/sequence.ts';
import { GRU, type FusedRNN as RNN } from './layers/recurrent.ts';

/** What a trace or a gradient flow may be given besides the input. */
export interface ExplainOptions {
  /** [h0] (SimpleRNN, GRU) or [h0, c0] (LSTM), each [B, H]; when absent, a stateful layer's carried states, else zeros. */
  initialState?: readonly Tensor[];
  /** [B, T] in input order, 1 where a step runs (as from `Embedding({ maskZero })`). */
  mask?: Readonly<FloatArray> | null;
}

export interface GradientFlowOptions extends ExplainOptions {
  /**
   * ∂L/∂output of the last processed step, [B, H]. Default: ones, i.e.
   * L = the sum over batch and units of the last step's output.
   */
  outputGradient?: Tensor;
}

/** ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ for t = 0 … T − 1 in processing order (see `GradientProbe`). */
export interface GradientFlow {
  /** Frobenius norm over batch and units of the gradient reaching the h that step t computed (before a mask blends it with the carried state). */
  hGradNorm: Float64Array;
  /** Norm over batch and features of the gradient reaching the input of step t. */
  xGradNorm: Float64Array;
}

/** The cell the layer runs, with the layer's own options (GRU: its variant). */
function cellOf(layer: RNN): Cell {
  return layer.cellEntry.cell({ resetAfter: layer instanceof GRU ? layer.resetAfter : undefined });
}

/** The layer's weights (built for x when the layer is not built yet) and the sequence options of an inference call. */
function prepare(where: string, layer: RNN, x: Tensor, options: ExplainOptions): { cell: Cell; weights: CellWeights; sequence: SequenceOptions } {
  const cell = cellOf(layer);
  const states = cell.states.length;
  if (x.rank !== 3) {
    throw new Error(`${where}: input must be [batch, timesteps, features], got shape ${formatShape(x.shape)}`);
  }
  if (!layer.built) layer.build([null, ...x.shape.slice(1)]);
  const weights = layer.cellWeights!;
  if (options.initialState && options.initialState.length !== states) {
    throw new Error(`${where}: ${layer.className} takes ${states} initial state(s) [B, H], got ${options.initialState.length}`);
  }
  // As a call of the layer would: the given states, else a stateful layer's carried ones, else zeros.
  const initialState = options.initialState ?? (layer.stateful && layer.states ? layer.states : undefined);
  return {
    cell,
    weights,
    sequence: {
      initialState,
      goBackwards: layer.goBackwards,
      mask: options.mask ?? null,
      activation: canonicalActivation(layer.options.activation),
      recurrentActivation: canonicalActivation(layer.options.recurrentActivation),
      // No dropout: a trace shows the layer as it infers. A workspace of its own,
      // so that a backward the layer still owes (its workspace ticket) stays valid.
    },
  };
}

/**
 * Runs `layer` on x [B, T, D] and returns every step's activations, each
 * [B, T, H] in processing order, read from the fused forward's caches:
 *
 *   SimpleRNN  h                   the state after each step
 *   LSTM       i, f, g, o, c, h    the gates (g = the candidate, Keras's block "c") and the states
 *   GRU        z, r, hh, h         update and reset gates, the candidate ĥ, the state
 *
 * Gates are what each step computed (also at a masked step); h and c are
 * the carried states. Records nothing on the tape; dropout is off.
 */
export function traceLayer(layer: RNN, x: Tensor, options: ExplainOptions = {}): Record<string, Tensor> {
  const { cell, weights, sequence } = prepare('traceLayer', layer, x, options);
  return noGrad(() => traceSequence(cell, x, weights, sequence));
}

/**
 * The gradient that a loss at the last processed step sends back through
 * time: ‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ for every step t, as the hand-written BPTT
 * of the layer's cell computes them (the cell records them in
 * `SequenceOptions.gradientProbe`).
 *
 * The loss is L = Σ outputGradient ⊙ output_{T−1} (default: the sum of the
 * last output). The layer's weights enter as tensors that need no gradient,
 * so their `.grad` is never touched and the backward skips the weight
 * gradients; only the input asks for one.
 */
export function gradientFlow(layer: RNN, x: Tensor, options: GradientFlowOptions = {}): GradientFlow {
  const { cell, weights, sequence } = prepare('gradientFlow', layer, x, options);
  const T = x.shape[1];
  const frozen = (t: Tensor): Tensor => new Tensor(t.data, t.shape); // the same numbers, requiresGrad false
  const w: CellWeights = {
    kernel: frozen(weights.kernel),
    recurrentKernel: frozen(weights.recurrentKernel),
    bias: weights.bias ? frozen(weights.bias) : null,
  };
  const input = new Tensor(x.data, x.shape, true); // a fresh leaf, so that the caller's x.grad stays as it was
  const probe: GradientProbe = { hGradNorm: new Float64Array(T), xGradNorm: new Float64Array(T) };
  const { output } = runSequence(cell, input, w, {
    ...sequence,
    initialState: sequence.initialState?.map(frozen),
    returnSequences: false,
    gradientProbe: probe,
  }); // [B, H], the last processed step
  let seed: FloatArray;
  if (options.outputGradient) {
    const g = options.outputGradient;
    if (formatShape(g.shape) !== formatShape(output.shape)) {
      throw new Error(`gradientFlow: outputGradient must be [B, H] = ${formatShape(output.shape)}, got ${formatShape(g.shape)}`);
    }
    seed = g.data;
  } else {
    seed = allocate(output.dtype, output.size).fill(1); // ∂L/∂output = 1: L = Σ output
  }
  backward(output, seed);
  return probe;
}
