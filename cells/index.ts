/**
 * The table of the cells: what the layers (lib/layers/recurrent.ts), the
 * explain tools (lib/explain.ts) and the benchmarks know of each, by its
 * Keras class. `cell(options)` is the step pair the driver (sequence.ts)
 * runs; GRU has one per variant.
 */
import type { CellWeights } from './common.ts';
import { GRU_GATES, gruCell, gruParamCount, initGruWeights } from './gru.ts';
import type { CellInitOptions } from './init.ts';
import { LSTM, LSTM_GATES, initLstmWeights, lstmParamCount } from './lstm.ts';
import type { Cell } from './sequence.ts';
import { SIMPLE_RNN, SIMPLE_RNN_GATES, initSimpleRnnWeights, simpleRnnParamCount } from './simple-rnn.ts';

/** The options any cell's sizes and weights may take; each cell reads its own. */
export interface CellOptions extends CellInitOptions {
  /** LSTM: the forget block of b starts at ones (default true). */
  unitForgetBias?: boolean;
  /** GRU: the reset gate after the recurrent product (default true; b [2, 3H]). */
  resetAfter?: boolean;
}

export interface CellEntry {
  /** G, the gate blocks of W and U. */
  gates: number;
  /** The carried states: 1 (h) or 2 (h, c). */
  states: number;
  /** Trainable numbers for D input features and H units. */
  paramCount(D: number, H: number, options?: CellOptions): number;
  /** Fresh weights with the Keras defaults, each requiring a gradient. */
  init(D: number, H: number, options?: CellOptions): CellWeights;
  /** The step pair and sizes the driver runs. */
  cell(options?: CellOptions): Cell;
}

export type CellClass = 'SimpleRNN' | 'LSTM' | 'GRU';

export const CELLS: Readonly<Record<CellClass, CellEntry>> = {
  SimpleRNN: {
    gates: SIMPLE_RNN_GATES,
    states: 1,
    paramCount: (D, H, o = {}) => simpleRnnParamCount(D, H, o.useBias),
    init: initSimpleRnnWeights,
    cell: () => SIMPLE_RNN,
  },
  LSTM: {
    gates: LSTM_GATES,
    states: 2,
    paramCount: (D, H, o = {}) => lstmParamCount(D, H, o.useBias),
    init: initLstmWeights,
    cell: () => LSTM,
  },
  GRU: {
    gates: GRU_GATES,
    states: 1,
    paramCount: gruParamCount,
    init: initGruWeights,
    cell: (o = {}) => gruCell(o.resetAfter),
  },
};
