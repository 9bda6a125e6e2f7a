/**
 * The cells' rows of `npm run gradcheck`: central differences in float64 on
 * the fused pass, for every configuration of the cell specs (the long ones
 * of the inference chunks aside).
 */
import type { GradCase } from '../gradcases.ts';
import { GRU_CONFIGS, LSTM_CONFIGS, SIMPLE_RNN_CONFIGS } from './configs.ts';
import { gradcheckCase } from './harness.ts';
import { GRU, GRU_RESET_BEFORE, LSTM, SIMPLE_RNN } from './under-test.ts';

export const simpleRnnCases: GradCase[] = SIMPLE_RNN_CONFIGS.map((c) => gradcheckCase(SIMPLE_RNN, c));
export const lstmCases: GradCase[] = LSTM_CONFIGS.map((c) => gradcheckCase(LSTM, c));
export const gruCases: GradCase[] = [GRU, GRU_RESET_BEFORE].flatMap((cell) => GRU_CONFIGS.map((c) => gradcheckCase(cell, c)));
