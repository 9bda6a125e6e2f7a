/**
 * Gradient checks of functional models in float64, end to end through the
 * graph and the fused cells: shared layers (the sum of both uses'
 * gradients), a recurrent layer applied twice in one pass, a nested model
 * applied twice, and encoder-decoder pairs whose encoder states initialise
 * the decoder (the gradient flows back through the states into the encoder).
 */
import { gradcheck } from '../../autograd/gradcheck.ts';
import { concat, reshape } from '../../autograd/ops.ts';
import { randomNormal, setSeed, type Tensor } from '../../autograd/index.ts';
import {
  Add, Bidirectional, Concatenate, Dense, GRU, LSTM, Model, RepeatVector, SimpleRNN, TimeDistributed, clearSession, input, type SymbolicTensor,
} from '../../lib/index.ts';
import type { GradCase } from '../gradcases.ts';

/** Every weight nudged away from its initial value (biases start at 0 or 1). */
function nudged(model: Model): Model {
  for (const w of model.weights()) for (let i = 0; i < w.size; i++) w.data[i] += 0.1 * Math.sin(3 * i + 1);
  return model;
}

function data(shape: number[]): Tensor {
  const x = randomNormal(shape, 0, 1, 'float64');
  x.requiresGrad = true;
  return x;
}

/** The model's outputs, flattened and joined, as one tensor for the check. */
function joined(outputs: Tensor | Tensor[]): Tensor {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  return list.length === 1 ? list[0] : concat(list.map((t) => reshape(t, [t.size])), 0);
}

function modelCase(name: string, make: () => { model: Model; inputs: Tensor[] }): GradCase {
  return {
    name,
    run: () => {
      clearSession();
      setSeed(name);
      const { model, inputs } = make();
      nudged(model);
      return gradcheck(name, (...xs) => joined(model.apply(xs.slice(0, inputs.length))), [...inputs, ...model.weights()]);
    },
  };
}

const f64 = { dtype: 'float64' as const };

export const functionalCases: GradCase[] = [
  modelCase('functional: a shared Dense on two inputs (gradients of both uses summed)', () => {
    const a = input({ shape: [3], ...f64 });
    const b = input({ shape: [3], ...f64 });
    const shared = new Dense(2, { activation: 'tanh' });
    const model = new Model({ inputs: [a, b], outputs: [shared.apply(a), new Dense(1).apply(shared.apply(b))] });
    return { model, inputs: [data([2, 3]), data([2, 3])] };
  }),
  modelCase('functional: Concatenate and Add join two recurrent branches', () => {
    const a = input({ shape: [4, 2], ...f64 });
    const gru = new GRU(3, { returnSequences: true }).apply(a);
    const lstm = new LSTM(2, { returnSequences: true }).apply(a);
    const joined = new Concatenate().apply([gru, lstm]);
    const model = new Model({ inputs: a, outputs: new Add().apply([new Dense(3).apply(joined), gru]) });
    return { model, inputs: [data([2, 4, 2])] };
  }),
  modelCase('functional: one LSTM applied twice in one forward pass', () => {
    const a = input({ shape: [4, 3], ...f64 });
    const b = input({ shape: [4, 3], ...f64 });
    const lstm = new LSTM(3);
    const model = new Model({ inputs: [a, b], outputs: [lstm.apply(a), new Dense(2).apply(lstm.apply(b))] });
    return { model, inputs: [data([2, 4, 3]), data([2, 4, 3])] };
  }),
  modelCase('functional: a nested model (GRU + Dense) applied twice', () => {
    const inner = input({ shape: [3, 2], ...f64 });
    const encoder = new Model({ inputs: inner, outputs: new Dense(2).apply(new GRU(3).apply(inner)) });
    const a = input({ shape: [3, 2], ...f64 });
    const b = input({ shape: [3, 2], ...f64 });
    const model = new Model({ inputs: [a, b], outputs: [encoder.apply(a), encoder.apply(b)] });
    return { model, inputs: [data([2, 3, 2]), data([2, 3, 2])] };
  }),
  modelCase('functional: LSTM encoder states initialise an LSTM decoder (teacher forcing)', () => {
    const enc = input({ shape: [5, 3], ...f64 });
    const dec = input({ shape: [4, 2], ...f64 });
    const [, h, c] = new LSTM(3, { returnState: true }).apply(enc);
    const seq = new LSTM(3, { returnSequences: true }).apply(dec, { initialState: [h, c] });
    const model = new Model({ inputs: [enc, dec], outputs: new TimeDistributed(new Dense(2, { activation: 'softmax' })).apply(seq) });
    return { model, inputs: [data([2, 5, 3]), data([2, 4, 2])] };
  }),
  modelCase('functional: GRU encoder state into a GRU decoder, decoder state as an output too', () => {
    const enc = input({ shape: [4, 2], ...f64 });
    const dec = input({ shape: [3, 2], ...f64 });
    const [, h] = new GRU(3, { returnState: true, goBackwards: true }).apply(enc);
    const [seq, last] = new GRU(3, { returnSequences: true, returnState: true }).apply(dec, { initialState: [h] });
    const model = new Model({ inputs: [enc, dec], outputs: [seq, last] });
    return { model, inputs: [data([2, 4, 2]), data([2, 3, 2])] };
  }),
  modelCase('functional: SimpleRNN encoder, RepeatVector, decoder started from the encoder state', () => {
    const enc = input({ shape: [4, 3], ...f64 });
    const [summary, h] = new SimpleRNN(3, { returnState: true }).apply(enc);
    const decoded = new SimpleRNN(3, { returnSequences: true }).apply(new RepeatVector(2).apply(summary), { initialState: [h] as SymbolicTensor[] });
    const model = new Model({ inputs: enc, outputs: decoded });
    return { model, inputs: [data([2, 4, 3])] };
  }),
  modelCase('functional: Bidirectional(LSTM) encoder states (forward, then backward) into two decoders', () => {
    const enc = input({ shape: [4, 2], ...f64 });
    const dec = input({ shape: [3, 2], ...f64 });
    const [, hf, cf, hb, cb] = new Bidirectional(new LSTM(2, { returnState: true })).apply(enc);
    const forward = new LSTM(2, { returnSequences: true }).apply(dec, { initialState: [hf, cf] });
    const both = new Bidirectional(new LSTM(2, { returnSequences: true }), { mergeMode: null }).apply(dec, { initialState: [hf, cf, hb, cb] });
    const model = new Model({ inputs: [enc, dec], outputs: [forward, ...both] });
    return { model, inputs: [data([2, 4, 2]), data([2, 3, 2])] };
  }),
];
