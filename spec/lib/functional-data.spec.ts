/**
 * What users hand to fit / evaluate / predict / trainOnBatch, accepted or
 * refused with a message that says what was passed and where: strings and
 * nulls inside the data, typed-array rows, options of the wrong type, no
 * samples, a bare number for y, and sequences that do not fit the shape the
 * first layer declares.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense, GRU, LSTM, Sequential, clearSession, input, Model, setSeed, tensor } from '../../lib/index.ts';

test.before.each(() => clearSession());

function sequenceModel(): Sequential {
  setSeed(1);
  const model = new Sequential([new LSTM(4, { inputShape: [5, 3] }), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy' });
  return model;
}

const samples = (n: number, T = 5): number[][][] => Array.from({ length: n }, (_, i) => Array.from({ length: T }, (_, t) => [i, t, i * t].map((v) => Math.sin(v))));

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('a string or null in x says what it is and where, not that an array was expected', () => {
  const model = sequenceModel();
  const x: unknown[] = samples(2);
  (x[0] as unknown[][])[1] = [0.1, 'a', 0.3];
  assert.throws(() => model.predict(x as number[][][]), /^predict: x\[0\]\[1\]\[1\] is the string "a"; x must hold numbers only \(shape \[2,5,3\]\)$/);
  const y: unknown[] = samples(2);
  (y[1] as unknown[])[0] = null;
  assert.throws(() => model.predict(y as number[][][]), /^predict: x\[1\]\[0\] is null where x\[0\]\[0\] is a list of 3; x must be a rectangular array of numbers$/);
  assert.throws(() => model.predict([samples(1)[0], samples(1, 4)[0]]), /^predict: x\[1\] has 4 entries where x\[0\] has 5; x must be a rectangular array/);
  assert.throws(() => model.trainOnBatch(samples(2), [[1], ['0']] as unknown as number[][]), /^trainOnBatch: y\[1\]\[0\] is the string "0"; y must hold numbers only/);
});

test('an array of Float32Array rows is data (one row per sample, or one per timestep)', () => {
  const model = sequenceModel();
  const rows = samples(3).map((s) => s.map((r) => Float32Array.from(r)));
  const fromRows = model.predict(rows);
  const fromNumbers = model.predict(samples(3));
  assert.equal(Array.from(fromRows.data), Array.from(fromNumbers.data));
  const dense = new Sequential([new Dense(2, { inputShape: [3] })]);
  assert.equal(dense.predict([Float32Array.of(1, 2, 3), Float64Array.of(4, 5, 6)]).shape, [2, 2]);
});

test('options of the wrong type say what they got: epochs \'10\', verbose 3, shuffle \'yes\', batchSize 0', async () => {
  const model = sequenceModel();
  const y = [[1], [0]];
  await rejects(model.fit(samples(2), y, { epochs: '10' as unknown as number, verbose: 0 }), /^fit: epochs must be a number \(a positive integer\), got the string "10"$/);
  await rejects(model.fit(samples(2), y, { epochs: 2.5, verbose: 0 }), /^fit: epochs must be a positive integer, got 2\.5$/);
  await rejects(model.fit(samples(2), y, { verbose: 3 as unknown as 0 }), /^fit: verbose must be 0, 1 or 2, got the number 3$/);
  await rejects(model.fit(samples(2), y, { shuffle: 'yes' as unknown as boolean, verbose: 0 }), /^fit: shuffle must be true or false, got the string "yes"$/);
  await rejects(model.fit(samples(2), y, { validationSplit: 1, verbose: 0 }), /^fit: validationSplit must be a fraction in \[0, 1\), got 1$/);
  assert.throws(() => model.predict(samples(2), { batchSize: 0 }), /^predict: batchSize must be a positive integer, got 0$/);
  await rejects(model.evaluate(samples(2), y, { batchSize: '8' as unknown as number }), /^evaluate: batchSize must be a number \(a positive integer\), got the string "8"$/);
});

test('no samples: predict([]) and an empty tensor say so', () => {
  const model = sequenceModel();
  assert.throws(() => model.predict([]), /^predict: x has no samples \(an empty list\)$/);
  assert.throws(() => model.predict(tensor(new Float32Array(0), [0, 5, 3])), /^predict: x has no samples \(shape \[0,5,3\]\)$/);
  assert.throws(() => model.trainOnBatch(samples(2), new Float32Array(0)), /^trainOnBatch: y has no samples \(an empty Float32Array\)$/);
});

test('y = 5, x = \'text\', y = null: what was passed and what is expected', async () => {
  const model = sequenceModel();
  await rejects(model.fit(samples(2), 5 as unknown as number[], { verbose: 0 }), /^fit: y is the number 5; it must hold one entry per sample: a list, a typed array or a Tensor \[N, …\]$/);
  assert.throws(() => model.predict('text' as unknown as number[]), /^predict: x is the string "text"; expected a Tensor, a typed array or nested lists of numbers$/);
  assert.throws(() => model.trainOnBatch(samples(2), null as unknown as number[]), /^trainOnBatch: y is null; expected a Tensor/);
});

test('7 timesteps into a model whose first layer declares inputShape [5, 3]: the layer and both shapes', async () => {
  const model = sequenceModel();
  assert.throws(() => model.predict(samples(2, 7)), /^predict: lstm \(LSTM\) declares inputShape \[5, 3\] \(batch shape \(None, 5, 3\)\), but x has shape \[2,7,3\]: axis 1 is 7, not 5$/);
  await rejects(model.fit(samples(2, 7), [[1], [0]], { verbose: 0 }), /^fit: lstm \(LSTM\) declares inputShape \[5, 3\]/);
  // A sequence length left open (null) takes any length.
  const open = new Sequential([new GRU(2, { inputShape: [null, 3] })]);
  assert.equal(open.predict(samples(2, 7)).shape, [2, 2]);
  // A model built from its first batch checks only the rank afterwards, as before.
  const inferred = new Sequential([new GRU(2), new Dense(1)]);
  assert.equal(inferred.predict(samples(2, 4)).shape, [2, 1]);
  assert.equal(inferred.predict(samples(2, 9)).shape, [2, 1]);
  assert.throws(() => inferred.predict([[1, 2, 3]]), /^predict: gru_1 \(GRU\) was built for inputs of shape \[4, 3\] from the first batch \(batch shape \(None, 4, 3\)\), but x has shape \[1,3\]: rank 2/);
});

test('the same checks hold for a functional model\'s inputs, named by their input', () => {
  const a = input({ shape: [5, 3], name: 'frames' });
  const m = new Model({ inputs: a, outputs: new LSTM(2).apply(a) });
  assert.throws(() => m.predict({ frames: [[['x', 0, 0]]] as unknown as number[][][] }), /^predict: x\['frames'\]\[0\]\[0\]\[0\] is the string "x"/);
  assert.throws(() => m.predict({ frames: samples(2, 7) }), /^predict: input 'frames' expects shape \(None, 5, 3\), but x\['frames'\] is \[2,7,3\] \(axis 1 is 7, not 5\)$/);
});

test.run();
