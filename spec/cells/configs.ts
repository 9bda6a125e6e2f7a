/**
 * Every configuration the cell specs run, for the three cells (GRU in both
 * variants), as plain data. The cell harness (harness.ts) turns one into
 * seeded tensors; the recorded outputs (record-fixture.ts, fixture.json) are
 * keyed by the same names.
 *
 * Shapes: B batch, T timesteps, D input features, H units. Masks are [B, T]
 * in input order.
 */
import type { ActivationName } from '../../cells/common.ts';

export interface Dims {
  B: number;
  T: number;
  D: number;
  H: number;
}

/** Small and uneven (D ≠ H) so that finite differences are fast and shapes cannot be confused. */
export const DIMS: Dims = { B: 3, T: 4, D: 5, H: 3 };

export interface CellConfig {
  name: string;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** Random initial states that require a gradient. */
  initialState?: boolean;
  mask?: readonly number[];
  dropout?: number;
  recurrentDropout?: number;
  /** The loss also reads the final states (Keras returnState). */
  statesInLoss?: boolean;
  useBias?: boolean;
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  /** Other shapes than DIMS. */
  dims?: Dims;
}

export type CellKey = 'simpleRnn' | 'lstm' | 'gru' | 'gruResetBefore';

// Sample 0 masked at its first two steps, sample 1 in the middle and at the end.
const SIMPLE_RNN_MASK = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1];
const LSTM_MASK = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0]; // sample 2 masked at its last two steps
/** Sample 2 masked at every step: its output stays zero and its state h0. */
const MASK_WITH_EMPTY_SAMPLE = [0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0];

export const SIMPLE_RNN_CONFIGS: readonly CellConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', returnSequences: true, goBackwards: true },
  { name: 'initialState', initialState: true, statesInLoss: true },
  { name: 'mask', mask: SIMPLE_RNN_MASK, returnSequences: true, statesInLoss: true },
  { name: 'mask, last output, goBackwards, initialState', mask: MASK_WITH_EMPTY_SAMPLE, goBackwards: true, initialState: true, statesInLoss: true },
  { name: 'dropout 0.3, recurrentDropout 0.2', dropout: 0.3, recurrentDropout: 0.2, returnSequences: true, statesInLoss: true },
  { name: 'dropout 0.3 only', dropout: 0.3, returnSequences: true },
  { name: 'returnState', statesInLoss: true },
  { name: 'sigmoid activation', activation: 'sigmoid', returnSequences: true, statesInLoss: true },
];

export const LSTM_CONFIGS: readonly CellConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', returnSequences: true, goBackwards: true },
  { name: 'initial states', returnSequences: true, initialState: true, statesInLoss: true },
  { name: 'mask', returnSequences: true, mask: LSTM_MASK },
  { name: 'dropout 0.3 + recurrentDropout 0.2', returnSequences: true, dropout: 0.3, recurrentDropout: 0.2 },
  { name: 'returnState', statesInLoss: true },
  { name: 'dropout 0.3 only (one shared mask)', returnSequences: true, dropout: 0.3 },
  { name: 'mask + initial states + goBackwards', returnSequences: true, goBackwards: true, initialState: true, mask: LSTM_MASK, statesInLoss: true },
  { name: 'mask, last output only', mask: LSTM_MASK, initialState: true, statesInLoss: true },
];

/** Run by both GRU variants. */
export const GRU_CONFIGS: readonly CellConfig[] = [
  { name: 'no options' },
  { name: 'returnSequences', returnSequences: true },
  { name: 'goBackwards', goBackwards: true, returnSequences: true },
  { name: 'initialState', initialState: true, returnSequences: true },
  { name: 'mask', mask: SIMPLE_RNN_MASK, returnSequences: true },
  { name: 'mask, last output', mask: SIMPLE_RNN_MASK, statesInLoss: true },
  { name: 'dropout 0.3 + recurrentDropout 0.2', dropout: 0.3, recurrentDropout: 0.2, returnSequences: true },
  { name: 'dropout 0.3 (one shared input mask)', dropout: 0.3, returnSequences: true },
  { name: 'returnState', statesInLoss: true },
  { name: 'no bias', useBias: false, returnSequences: true },
  { name: 'relu + hard_sigmoid', activation: 'relu', recurrentActivation: 'hard_sigmoid', returnSequences: true },
  { name: 'hard_sigmoid_keras3 (relu6(x + 3) / 6)', recurrentActivation: 'hard_sigmoid_keras3', returnSequences: true },
  {
    name: 'everything', goBackwards: true, initialState: true, mask: MASK_WITH_EMPTY_SAMPLE,
    dropout: 0.3, recurrentDropout: 0.2, returnSequences: true, statesInLoss: true,
  },
];

/** T = 2·32 + 5: the inference plan runs several chunks of 32 steps, the last one partial. */
export const CHUNK_DIMS: Dims = { B: 3, T: 69, D: 4, H: 5 };
const CHUNK_MASK = Array.from({ length: CHUNK_DIMS.B * CHUNK_DIMS.T }, (_, k) => (k % 7 === 3 ? 0 : 1));

/** Long sequences that cross inference chunks, with no dropout, one shared input mask, and a mask per gate. */
export function chunkConfigs(perGate: boolean): CellConfig[] {
  const base = { dims: CHUNK_DIMS, goBackwards: true, returnSequences: true, mask: CHUNK_MASK };
  return [
    { name: 'chunks, no dropout', ...base },
    { name: 'chunks, dropout 0.3 (one shared input mask)', ...base, dropout: 0.3 },
    ...(perGate ? [{ name: 'chunks, dropout 0.3 + recurrentDropout 0.2', ...base, dropout: 0.3, recurrentDropout: 0.2 }] : []),
  ];
}

/** Each cell's configurations: the shared list, then the long ones (SimpleRNN has one gate block, so no mask per gate). */
export const CONFIGS: Readonly<Record<CellKey, readonly CellConfig[]>> = {
  simpleRnn: [...SIMPLE_RNN_CONFIGS, ...chunkConfigs(false)],
  lstm: [...LSTM_CONFIGS, ...chunkConfigs(true)],
  gru: [...GRU_CONFIGS, ...chunkConfigs(true)],
  gruResetBefore: [...GRU_CONFIGS, ...chunkConfigs(true)],
};

/** The name a configuration's checks and recorded values go by, e.g. `lstm: mask`, `gru (resetAfter false): mask`. */
export function caseName(cell: CellKey, config: CellConfig): string {
  const prefix = cell === 'gru' ? 'gru (resetAfter true)' : cell === 'gruResetBefore' ? 'gru (resetAfter false)' : cell;
  return `${prefix}: ${config.name}`;
}
