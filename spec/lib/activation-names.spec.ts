/**
 * Activations named as TF.js users write them ('hardSigmoid') in the
 * recurrent layers and the cell objects: the same computation as the
 * snake_case name, kept and written to model files under the snake_case
 * name (what TF.js and Keras read).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GRU, LSTM, LSTMCell, PeepholeLSTMCell, RNN, randomNormal, setSeed, type Layer, type Tensor } from '../../lib/index.ts';
import { layerToConfig } from '../../lib/io/config.ts';

function run(layer: Layer, x: Tensor): Tensor {
  return layer.apply(x) as Tensor;
}

function sameBits(a: Tensor, b: Tensor, what: string): void {
  assert.equal(Array.from(a.data), Array.from(b.data), what);
}

test("LSTM and GRU with recurrentActivation 'hardSigmoid' compute hard_sigmoid and are written as 'hard_sigmoid'", () => {
  for (const make of [
    (a: 'hardSigmoid' | 'hard_sigmoid') => new LSTM(3, { recurrentActivation: a, returnSequences: true }),
    (a: 'hardSigmoid' | 'hard_sigmoid') => new GRU(3, { recurrentActivation: a, resetAfter: false }),
  ]) {
    const x = randomNormal([2, 4, 5]);
    const camel = make('hardSigmoid');
    const snake = make('hard_sigmoid');
    // Weights are drawn when a layer first runs: the same seed before each gives both the same weights.
    setSeed(3);
    const a = run(camel, x);
    setSeed(3);
    sameBits(a, run(snake, x), `${camel.className}: outputs`);
    assert.is(camel.options.recurrentActivation, 'hard_sigmoid', `${camel.className}: the kept name`);
    assert.is(layerToConfig(camel).config.recurrent_activation, 'hard_sigmoid', `${camel.className}: the written name`);
  }
});

test("the cell objects take 'hardSigmoid' too: RNN(LSTMCell) and PeepholeLSTMCell", () => {
  const x = randomNormal([2, 3, 4]);
  for (const make of [
    (a: 'hardSigmoid' | 'hard_sigmoid') => new RNN(new LSTMCell(2, { recurrentActivation: a })),
    (a: 'hardSigmoid' | 'hard_sigmoid') => new RNN(new PeepholeLSTMCell(2, { recurrentActivation: a })),
  ]) {
    const camel = make('hardSigmoid');
    const snake = make('hard_sigmoid');
    setSeed(5);
    const a = run(camel, x);
    setSeed(5);
    sameBits(a, run(snake, x), 'outputs');
  }
  assert.is(new LSTMCell(2, { recurrentActivation: 'hardSigmoid' }).options.recurrentActivation, 'hard_sigmoid');
});

test('an unknown activation name is an error naming the layer, the option and the known names', () => {
  const layer = new LSTM(2, { recurrentActivation: 'hardsigmoid' as 'hard_sigmoid' });
  try {
    run(layer, randomNormal([1, 2, 3]));
    assert.unreachable('no error');
  } catch (e) {
    const m = (e as Error).message;
    for (const part of ['hardsigmoid', 'recurrentActivation', 'hard_sigmoid', 'hardSigmoid']) assert.ok(m.includes(part), `${part} in: ${m}`);
  }
});

test.run();
