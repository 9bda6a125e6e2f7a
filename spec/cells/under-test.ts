/**
 * The four cells the specs run (GRU once per variant), through their public
 * functions: init, the fused sequence and the reference loop.
 */
import { gruReference, gruSequence, initGruWeights } from '../../cells/gru.ts';
import { initLstmWeights, lstmReference, lstmSequence } from '../../cells/lstm.ts';
import { initSimpleRnnWeights, simpleRnnReference, simpleRnnSequence } from '../../cells/simple-rnn.ts';
import type { CellKey } from './configs.ts';
import type { CellUnderTest } from './harness.ts';

export const SIMPLE_RNN: CellUnderTest = {
  key: 'simpleRnn', name: 'simpleRnn', gates: 1, states: 1,
  init: (D, H, o) => initSimpleRnnWeights(D, H, o),
  fused: simpleRnnSequence,
  reference: simpleRnnReference,
};

export const LSTM: CellUnderTest = {
  key: 'lstm', name: 'lstm', gates: 4, states: 2,
  init: (D, H, o) => initLstmWeights(D, H, o),
  fused: lstmSequence,
  reference: lstmReference,
};

function gru(resetAfter: boolean): CellUnderTest {
  return {
    key: resetAfter ? 'gru' : 'gruResetBefore', name: 'gru', gates: 3, states: 1,
    init: (D, H, o) => initGruWeights(D, H, { ...o, resetAfter }),
    fused: (x, w, o) => gruSequence(x, w, { ...o, resetAfter }),
    reference: (x, w, o) => gruReference(x, w, { ...o, resetAfter }),
  };
}

export const GRU = gru(true);
export const GRU_RESET_BEFORE = gru(false);

export const UNDER_TEST: Readonly<Record<CellKey, CellUnderTest>> = {
  simpleRnn: SIMPLE_RNN, lstm: LSTM, gru: GRU, gruResetBefore: GRU_RESET_BEFORE,
};
