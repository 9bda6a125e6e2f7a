/**
 * The functional API: symbolic tensors, layer.apply on them, Model with
 * several inputs and outputs, shared layers, nested models, the summary,
 * per-output losses and History keys, and the errors for graphs and data
 * that do not fit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Activation, Adam, Add, Average, Bidirectional, Concatenate, Dense, Multiply, Subtract, Dropout, Embedding, GRU, LSTM, Masking, Model, RepeatVector, SGD, Sequential, SimpleRNN,
  SymbolicTensor, Tensor, TimeDistributed, clearSession, input, model as makeModel, randomNormal, randomUniform, setSeed, tensor,
  type Layer, type ShapeSpec,
} from '../../lib/index.ts';
import { describe as describeCheck } from '../../autograd/gradcheck.ts';
import { functionalCases } from './functional-cases.ts';
import { maxAbsDiff } from './helpers.ts';

test.before.each(() => clearSession());

/** Float32 noise between two computations of the same numbers. */
const TOLERANCE = 1e-5;

function close(label: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance = TOLERANCE): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tolerance, `${label}: max |difference| ${d} > ${tolerance} (first values ${a[0]} and ${b[0]})`);
}

/** The concrete shape a symbolic shape stands for, with the batch and unknown lengths filled in. */
function concrete(shape: ShapeSpec, batch: number, length: number): number[] {
  return shape.map((d, i) => (i === 0 ? batch : d ?? length));
}

test('input() gives a symbolic tensor with the batch first, null where unknown; Input is the same function', () => {
  const x = input({ shape: [null, 32] });
  assert.instance(x, SymbolicTensor);
  assert.equal(x.shape, [null, null, 32]);
  assert.is(x.dtype, 'float32');
  assert.is(x.sourceLayer.className, 'InputLayer');
  const y = input({ batchShape: [4, 6], dtype: 'float64', name: 'fixed' });
  assert.equal(y.shape, [4, 6]);
  assert.is(y.dtype, 'float64');
  assert.is(y.name, 'fixed[0][0]');
  assert.throws(() => input({ shape: [0, 3] }), /input: shape must be a list of positive integers or null, got \[0,3\]/);
  assert.throws(() => input({ shape: [3], batchShape: [1, 3] }), /exactly one of shape/);
});

test('symbolic shapes through every layer, and the model computes tensors of those shapes', () => {
  setSeed(1);
  const ids = input({ shape: [7], name: 'ids' });
  const steps: Array<[Layer, ShapeSpec]> = [
    [new Embedding(20, 4, { maskZero: true }), [null, 7, 4]],
    [new SimpleRNN(5, { returnSequences: true }), [null, 7, 5]],
    [new GRU(3, { returnSequences: true, goBackwards: true }), [null, 7, 3]],
    [new Bidirectional(new LSTM(2, { returnSequences: true })), [null, 7, 4]],
    [new Bidirectional(new GRU(2, { returnSequences: true }), { mergeMode: 'sum' }), [null, 7, 2]],
    [new TimeDistributed(new Dense(6, { activation: 'relu' })), [null, 7, 6]],
    [new Dropout(0.2), [null, 7, 6]],
    [new Activation('tanh'), [null, 7, 6]],
    [new LSTM(8), [null, 8]],
    [new RepeatVector(3), [null, 3, 8]],
    [new Dense(2, { activation: 'softmax' }), [null, 3, 2]],
  ];
  let y: SymbolicTensor = ids;
  for (const [layer, shape] of steps) {
    y = layer.apply(y);
    assert.equal(y.shape, shape, `${layer.name} (${layer.className})`);
  }
  const features = input({ shape: [null, 3] });
  const masked = new Masking().apply(features);
  assert.equal(masked.shape, [null, null, 3]);
  const m = new Model({ inputs: [ids, features], outputs: [y, new LSTM(4, { returnSequences: true }).apply(masked)] });
  const idsData = tensor(Array.from({ length: 2 * 7 }, (_, i) => (i * 7) % 20), [2, 7]);
  const out = m.predict([idsData, randomNormal([2, 9, 3])]);
  assert.equal(out.map((t) => t.shape), [concrete(y.shape, 2, 0), [2, 9, 4]]);
});

test('layers, inputs, outputs, getLayer, inputNames and outputNames', () => {
  const a = input({ shape: [5, 3], name: 'a' });
  const b = input({ shape: [4], name: 'b' });
  const lstm = new LSTM(6, { name: 'encoder' });
  const out1 = new Dense(2, { name: 'reg' }).apply(lstm.apply(a));
  const out2 = new Dense(1, { activation: 'sigmoid', name: 'cls' }).apply(b);
  const m = new Model({ inputs: [a, b], outputs: [out1, out2], name: 'two_heads' });
  assert.is(m.name, 'two_heads');
  assert.equal(m.inputs, [a, b]);
  assert.equal(m.outputs, [out1, out2]);
  assert.equal(m.inputNames, ['a', 'b']);
  assert.equal(m.outputNames, ['reg', 'cls']);
  assert.equal(m.layers.map((l) => l.name).sort(), ['a', 'b', 'cls', 'encoder', 'reg']);
  assert.is(m.getLayer('encoder'), lstm);
  assert.is(m.getLayer(m.layers.indexOf(lstm)), lstm);
  assert.throws(() => m.getLayer('decoder'), /two_heads: no layer is named the string "decoder"; its layers are/);
  assert.throws(() => m.getLayer(9), /getLayer\(9\): the model has 5 layers/);
  assert.is(makeModel({ inputs: a, outputs: out1 }).outputs[0], out1);
});

test('a shared layer has one set of weights, counted once by countParams and summary', () => {
  const a = input({ shape: [4], name: 'a' });
  const b = input({ shape: [4], name: 'b' });
  const shared = new Dense(3, { name: 'shared' });
  const m = new Model({ inputs: [a, b], outputs: [shared.apply(a), shared.apply(b)] });
  assert.is(m.weights().length, 2);
  assert.is(m.countParams(), 15);
  assert.is(m.layers.filter((l) => l === shared).length, 1);
  const text = m.summary(() => {});
  assert.match(text, /shared \(Dense\)\s+\(None, 3\)\s+15\s+a\[0\]\[0\]\s*\n\s+b\[0\]\[0\]/);
  assert.match(text, /Total params: 15\n/);
  setSeed(2);
  const x = randomNormal([3, 4]);
  const [ya, yb] = m.predict([x, x]);
  assert.ok(maxAbsDiff(ya.data, yb.data) === 0, 'the same weights on the same data');
});

test('summary: the functional table with Connected to, several outputs and shared layers once', () => {
  const enc = input({ shape: [null, 3], name: 'enc_in' });
  const [, h, c] = new LSTM(4, { returnState: true, name: 'encoder' }).apply(enc);
  const dec = input({ shape: [null, 2], name: 'dec_in' });
  const seq = new LSTM(4, { returnSequences: true, name: 'decoder' }).apply(dec, { initialState: [h, c] });
  const out = new TimeDistributed(new Dense(2, { activation: 'softmax' }), { name: 'probs' }).apply(seq);
  const m = new Model({ inputs: [enc, dec], outputs: out, name: 'seq2seq' });
  const text = m.summary(() => {});
  const expected = [
    'Model: "seq2seq"',
    '_'.repeat(98),
    'Layer (type)                    Output Shape         Param #     Connected to                     ',
    '='.repeat(98),
    'enc_in (InputLayer)             (None, None, 3)      0                                            ',
    '_'.repeat(98),
    'dec_in (InputLayer)             (None, None, 2)      0                                            ',
    '_'.repeat(98),
    'encoder (LSTM)                  [(None, 4),          128                                          ',
    '                                 (None, 4),                       enc_in[0][0]                     ',
  ];
  // The exact rows of the encoder are checked field by field below, the rest line by line.
  assert.is(text.split('\n').slice(0, 8).join('\n'), expected.slice(0, 8).join('\n'));
  assert.match(text, /encoder \(LSTM\)\s+\[\(None, 4\),\s+128\s+enc_in\[0\]\[0\]\s*\n\s+\(None, 4\),\s*\n\s+\(None, 4\)\]\s*\n/);
  assert.match(text, /decoder \(LSTM\)\s+\(None, None, 4\)\s+112\s+dec_in\[0\]\[0\]\s*\n\s+encoder\[0\]\[1\]\s*\n\s+encoder\[0\]\[2\]\s*\n/);
  assert.match(text, /probs \(TimeDistributed\)\s+\(None, None, 2\)\s+10\s+decoder\[0\]\[0\]/);
  assert.match(text, /Total params: 250\nTrainable params: 250\nNon-trainable params: 0\n_{98}$/);
});

test('multi-input, multi-output fit: per-output losses and lossWeights give the weighted loss computed by hand', async () => {
  setSeed(3);
  const seqIn = input({ shape: [5, 2], name: 'seq' });
  const vecIn = input({ shape: [3], name: 'vec' });
  const reg = new Dense(2, { name: 'reg' }).apply(new GRU(4).apply(seqIn));
  const cls = new Dense(1, { activation: 'sigmoid', name: 'cls' }).apply(new Dense(4, { activation: 'tanh' }).apply(vecIn));
  const m = new Model({ inputs: [seqIn, vecIn], outputs: [reg, cls] });
  m.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: { reg: 'mse', cls: 'binary_crossentropy' }, lossWeights: { reg: 0.3, cls: 2 }, metrics: { cls: ['acc'] } });
  const n = 16;
  const xs = randomNormal([n, 5, 2]);
  const xv = randomNormal([n, 3]);
  const yr = randomUniform([n, 2], -1, 1);
  const yc = tensor(Array.from({ length: n }, (_, i) => [i % 3 === 0 ? 1 : 0]));

  const [pr, pc] = m.predict({ seq: xs, vec: xv });
  let mse = 0;
  for (let i = 0; i < pr.size; i++) mse += (pr.data[i] - yr.data[i]) ** 2;
  mse /= pr.size;
  let bce = 0;
  for (let i = 0; i < pc.size; i++) bce -= yc.data[i] * Math.log(pc.data[i]) + (1 - yc.data[i]) * Math.log(1 - pc.data[i]);
  bce /= pc.size;
  const total = 0.3 * mse + 2 * bce;

  const scores = await m.evaluate([xs, xv], [yr, yc], { batchSize: n });
  close('reg_loss', [scores.reg_loss], [mse]);
  close('cls_loss', [scores.cls_loss], [bce]);
  close('loss = 0.3 · mse + 2 · bce', [scores.loss], [total]);
  assert.equal(Object.keys(scores).sort(), ['cls_acc', 'cls_loss', 'loss', 'reg_loss']);
  close('trainOnBatch returns the weighted loss before the update', [m.trainOnBatch({ seq: xs, vec: xv }, { reg: yr, cls: yc })], [total]);

  const h = await m.fit([xs, xv], [yr, yc], { epochs: 3, batchSize: 8, validationSplit: 0.25, verbose: 0 });
  assert.equal(Object.keys(h.history).sort(), ['cls_acc', 'cls_loss', 'loss', 'reg_loss', 'val_cls_acc', 'val_cls_loss', 'val_loss', 'val_reg_loss']);
  for (let e = 0; e < 3; e++) close(`epoch ${e}: loss is the weighted sum of the output losses (epoch means)`, [h.history.loss[e]], [0.3 * h.history.reg_loss[e] + 2 * h.history.cls_loss[e]]);
});

test('History keys per output as Keras names them: dense_1_loss, val_dense_1_acc', async () => {
  setSeed(4);
  const x = input({ shape: [3] });
  const hidden = new Dense(4, { activation: 'relu' }).apply(x);
  const m = new Model({ inputs: x, outputs: [new Dense(1, { activation: 'sigmoid' }).apply(hidden), new Dense(2, { activation: 'softmax' }).apply(hidden)] });
  assert.equal(m.outputNames, ['dense_1', 'dense_2']);
  m.compile({ optimizer: 'adam', loss: ['binary_crossentropy', 'sparse_categorical_crossentropy'], metrics: ['acc'] });
  const data = randomNormal([12, 3]);
  const h = await m.fit(data, [tensor(Array.from({ length: 12 }, (_, i) => [i % 2])), tensor(Array.from({ length: 12 }, (_, i) => i % 2))], {
    epochs: 2, batchSize: 4, validationData: [data, [tensor(Array.from({ length: 12 }, () => [1])), tensor(Array.from({ length: 12 }, () => 0))]], verbose: 0,
  });
  assert.equal(Object.keys(h.history), [
    'loss', 'dense_1_loss', 'dense_2_loss', 'dense_1_acc', 'dense_2_acc',
    'val_loss', 'val_dense_1_loss', 'val_dense_2_loss', 'val_dense_1_acc', 'val_dense_2_acc',
  ]);
  assert.is(m.loss, null, 'two different losses: no single loss');
  assert.equal(m.losses, ['binary_crossentropy', 'sparse_categorical_crossentropy']);
});

test('one output given as a list is a list; one given alone is a tensor (apply and predict)', () => {
  const x = input({ shape: [2] });
  const y = new Dense(3).apply(x);
  const listed = new Model({ inputs: [x], outputs: [y] });
  const alone = new Model({ inputs: x, outputs: y });
  const data = tensor([[1, 2], [3, 4]]);
  assert.ok(Array.isArray(listed.predict(data)));
  assert.ok(alone.predict(data) instanceof Tensor);
  assert.ok(alone.apply(data) instanceof Tensor);
  assert.ok(Array.isArray(listed.apply(data)));
});

test('nested models: a Model and a Sequential used as layers, a nested model applied twice shares its weights', async () => {
  setSeed(5);
  const inner = input({ shape: [6, 3] });
  const encoder = new Model({ inputs: inner, outputs: new LSTM(4).apply(inner), name: 'encoder' });
  const head = new Sequential([new Dense(5, { activation: 'relu', inputShape: [4] }), new Dense(1)], { name: 'head' });
  const a = input({ shape: [6, 3], name: 'a' });
  const b = input({ shape: [6, 3], name: 'b' });
  const ea = encoder.apply(a);
  const eb = encoder.apply(b);
  assert.equal(ea.shape, [null, 4]);
  const outer = new Model({ inputs: [a, b], outputs: [head.apply(ea), head.apply(eb)] });
  assert.is(outer.countParams(), encoder.countParams() + head.countParams());
  assert.match(outer.summary(() => {}), /encoder \(Model\)\s+\(None, 4\)\s+128\s+a\[0\]\[0\]\s*\n\s+b\[0\]\[0\]/);
  const xa = randomNormal([3, 6, 3]);
  const xb = randomNormal([3, 6, 3]);
  const [ya, yb] = outer.predict([xa, xb]);
  close('outer(a) = head(encoder(a))', ya.data, head.predict(encoder.predict(xa)).data);
  close('outer(b) = head(encoder(b))', yb.data, head.predict(encoder.predict(xb)).data);

  // Training the outer model moves the nested models' own weights; both applications of the encoder learn together.
  outer.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'mse' });
  const before = encoder.getWeights().map((w) => Float32Array.from(w.data));
  const first = outer.trainOnBatch([xa, xb], [tensor([[1], [0], [1]]), tensor([[0], [1], [0]])]);
  assert.ok(Number.isFinite(first));
  assert.ok(encoder.getWeights().some((w, i) => maxAbsDiff(w.data, before[i]) > 0), 'the encoder was trained');

  // A model inside a Sequential.
  const stacked = new Sequential([encoder, new Dense(2)]);
  assert.equal(stacked.predict(xa).shape, [3, 2]);
  assert.match(stacked.summary(() => {}), /encoder \(Model\)\s+\(None, 4\)\s+128/);
});

test('fit and predict take a list, or an object keyed by input name; targets keyed by output name', async () => {
  setSeed(6);
  const a = input({ shape: [2], name: 'left' });
  const b = input({ shape: [2], name: 'right' });
  const m = new Model({ inputs: [a, b], outputs: [new Dense(1, { name: 'sum_l' }).apply(a), new Dense(1, { name: 'sum_r' }).apply(b)] });
  m.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
  const x = { left: [[0.1, 0.2], [0.3, 0.4], [0.5, -0.6]], right: [[0, 1], [1, 0], [1, 1]] };
  const y = { sum_l: [[0.3], [0.7], [-0.1]], sum_r: [[1], [1], [2]] };
  const byName = m.predict(x);
  const byList = m.predict([x.left, x.right]);
  byName.forEach((t, i) => assert.ok(maxAbsDiff(t.data, byList[i].data) === 0));
  const h = await m.fit(x, y, { epochs: 40, batchSize: 3, verbose: 0 });
  assert.ok(h.history.loss.at(-1)! < 0.2 * h.history.loss[0], `loss ${h.history.loss[0]} → ${h.history.loss.at(-1)}`);
});

test('TimeDistributed of any layer: an LSTM over [B, T, T2, F], an Embedding, a model', () => {
  setSeed(9);
  const frames = input({ shape: [3, 4, 2] });
  const lstm = new LSTM(5);
  const perFrame = new TimeDistributed(lstm).apply(frames);
  const ids = input({ shape: [3, 6] });
  const embedded = new TimeDistributed(new Embedding(10, 4)).apply(ids);
  const inner = input({ shape: [4, 2] });
  const encoder = new Model({ inputs: inner, outputs: new Dense(3).apply(new LSTM(2).apply(inner)) });
  const encoded = new TimeDistributed(encoder).apply(frames);
  assert.equal([perFrame.shape, embedded.shape, encoded.shape], [[null, 3, 5], [null, 3, 6, 4], [null, 3, 3]]);
  const m = new Model({ inputs: [frames, ids], outputs: [perFrame, embedded, encoded] });
  const x = randomNormal([2, 3, 4, 2]);
  const [a, , c] = m.predict([x, tensor(Array.from({ length: 36 }, (_, i) => i % 10), [2, 3, 6])]);
  for (let b = 0; b < 2; b++) for (let t = 0; t < 3; t++) {
    const step = new Tensor(x.data.slice((b * 3 + t) * 8, (b * 3 + t + 1) * 8), [1, 4, 2]);
    close(`TimeDistributed(LSTM) [${b}, ${t}]`, a.data.subarray((b * 3 + t) * 5, (b * 3 + t + 1) * 5), (lstm.apply(step) as Tensor).data);
    close(`TimeDistributed(model) [${b}, ${t}]`, c.data.subarray((b * 3 + t) * 3, (b * 3 + t + 1) * 3), encoder.predict(step).data);
  }
});

test('merge layers join branches: Concatenate along an axis, Add, Subtract, Multiply, Average; shapes that do not fit are refused', () => {
  setSeed(8);
  const a = input({ shape: [4, 3], name: 'a' });
  const b = input({ shape: [4, 2], name: 'b' });
  const joined = new Concatenate().apply([a, b]);
  assert.equal(joined.shape, [null, 4, 5]);
  assert.equal(new Concatenate({ axis: 1 }).apply([a, input({ shape: [6, 3] })]).shape, [null, 10, 3]);
  const p = new Dense(3).apply(a);
  const q = new Dense(3).apply(a);
  const sums = [new Add().apply([p, q]), new Subtract().apply([p, q]), new Multiply().apply([p, q]), new Average().apply([p, q, p])];
  const m = new Model({ inputs: [a, b], outputs: [joined, p, q, ...sums] });
  const [xa, xb] = [randomNormal([2, 4, 3]), randomNormal([2, 4, 2])];
  const [j, pv, qv, sum, diff, prod, avg] = m.predict([xa, xb]);
  for (let r = 0; r < 8; r++) {
    close(`concat row ${r}`, j.data.subarray(r * 5, r * 5 + 3), xa.data.subarray(r * 3, r * 3 + 3));
    close(`concat row ${r}, second part`, j.data.subarray(r * 5 + 3, r * 5 + 5), xb.data.subarray(r * 2, r * 2 + 2));
  }
  close('add', sum.data, pv.data.map((v, i) => v + qv.data[i]));
  close('subtract', diff.data, pv.data.map((v, i) => v - qv.data[i]));
  close('multiply', prod.data, pv.data.map((v, i) => v * qv.data[i]));
  close('average', avg.data, pv.data.map((v, i) => (2 * v + qv.data[i]) / 3));
  assert.throws(() => new Add().apply([a, b]), /add_1 \(Add\) cannot be applied to a\[0\]\[0\] \(None, 4, 3\), b\[0\]\[0\] \(None, 4, 2\): add_1 \(Add\) combines inputs of one shape/);
  assert.throws(() => new Concatenate({ axis: 1 }).apply([a, b]), /joins along axis 1 inputs that agree on every other axis, got \(None, 4, 3\), \(None, 4, 2\)/);
  assert.throws(() => new Concatenate().apply([a]), /merges two or more inputs, got 1/);
  assert.throws(() => new Subtract().apply([p, q, p]), /takes exactly two inputs, got 3/);
});

test('a recurrent layer applied twice in one forward keeps both caches: training works and the gradient is exact', () => {
  setSeed(7);
  const a = input({ shape: [4, 3], dtype: 'float64' });
  const b = input({ shape: [4, 3], dtype: 'float64' });
  const shared = new LSTM(3);
  const out = new Dense(1).apply(new RepeatVector(2).apply(shared.apply(a)));
  const m = new Model({ inputs: [a, b], outputs: [out, shared.apply(b)] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const xa = randomNormal([2, 4, 3], 0, 1, 'float64');
  const xb = randomNormal([2, 4, 3], 0, 1, 'float64');
  const loss = m.trainOnBatch([xa, xb], [tensor(new Float64Array(4), [2, 2, 1], 'float64'), tensor(new Float64Array(6), [2, 3], 'float64')]);
  assert.ok(Number.isFinite(loss), `loss ${loss}`);
});

test('Sequential.add of something that is not a layer says what it was; a model can be added', () => {
  const s = new Sequential();
  assert.throws(() => s.add(5 as unknown as Layer), /sequential: add\(\) takes a layer \(or a model\), got the number 5/);
  assert.throws(() => s.add('dense' as unknown as Layer), /got the string "dense"/);
  assert.throws(() => s.add(Dense as unknown as Layer), /got the class Dense itself \(pass an instance: new Dense\(…\)\)/);
  assert.throws(() => s.add({ units: 3 } as unknown as Layer), /got an object with keys units/);
  assert.throws(() => s.add(null as unknown as Layer), /got null/);
  const x = input({ shape: [3] });
  const inner = new Model({ inputs: x, outputs: new Dense(2).apply(x) });
  s.add(inner);
  s.add(new Dense(1));
  assert.is(s.built, true);
  assert.equal(s.predict([[1, 2, 3]]).shape, [1, 1]);
  assert.throws(() => new Sequential([new LSTM(3, { inputShape: [4, 2], returnState: true })]), /sequential_\d: lstm \(LSTM\) does not fit the input \(None, 4, 2\): it gives 3 tensors \(\(None, 3\), \(None, 3\), \(None, 3\)\); a Sequential model passes one tensor from layer to layer: use the functional API/);
});

test('bad graphs: outputs that do not depend on the inputs, inputs not from input(), a layer on shapes it cannot take', () => {
  const a = input({ shape: [3], name: 'a' });
  const b = input({ shape: [3], name: 'b' });
  const fromB = new Dense(2).apply(b);
  assert.throws(() => new Model({ inputs: a, outputs: fromB }),
    /model: the graph is disconnected: outputs\[0\] \(dense\[0\]\[0\] \(None, 2\)\) depends on b \(InputLayer\), which is not one of the model's inputs \(a\)/);
  assert.throws(() => new Model({ inputs: fromB, outputs: fromB }), /inputs\[0\] is dense\[0\]\[0\], the output of dense \(Dense\); a model's inputs must come from input\(\)/);
  assert.throws(() => new Model({ inputs: a, outputs: [] }), /a model needs at least one output/);
  assert.throws(() => new Model({ inputs: a, outputs: tensor([1]) as unknown as SymbolicTensor }), /outputs\[0\] is a Tensor \[1\]; the outputs of a model are symbolic tensors/);

  const lstm = new LSTM(4);
  lstm.apply(input({ shape: [5, 3] }));
  assert.throws(() => lstm.apply(input({ shape: [5, 4], name: 'wide' })),
    /lstm \(LSTM\) cannot be applied to wide\[0\]\[0\] \(None, 5, 4\): lstm \(LSTM\): input has 4 features but the kernel is \[3,16\]/);
  assert.throws(() => new Dense(2).apply(input({ shape: [null, 4] })).shape && new LSTM(2).apply(input({ shape: [4] })),
    /cannot be applied to .*\(None, 4\): .*expects input \[batch, timesteps, features\]/);
  assert.throws(() => new Dense(2).apply([a, b]), /dense_\d \(Dense\) cannot be applied to a\[0\]\[0\] \(None, 3\), b\[0\]\[0\] \(None, 3\): dense_\d \(Dense\) takes one input, got 2/);
  assert.throws(() => new Dense(2).apply([a, tensor([[1, 2, 3]])] as unknown as SymbolicTensor[]), /got symbolic and real tensors together/);
});

test('data that does not fit: an input of the wrong shape (named), the wrong number of arrays, unknown names', async () => {
  const a = input({ shape: [5, 3], name: 'enc_in' });
  const b = input({ shape: [2], name: 'extra' });
  const m = new Model({ inputs: [a, b], outputs: [new LSTM(2, { name: 'h' }).apply(a), new Dense(1, { name: 'd' }).apply(b)] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const good = [randomNormal([2, 5, 3]), randomNormal([2, 2])];
  assert.throws(() => m.predict([randomNormal([2, 7, 3]), good[1]]),
    /predict: input 'enc_in' expects shape \(None, 5, 3\), but x\[0\] is \[2,7,3\] \(axis 1 is 7, not 5\)/);
  assert.throws(() => m.predict({ enc_in: randomNormal([2, 5]), extra: good[1] }), /input 'enc_in' expects shape \(None, 5, 3\), but x\['enc_in'\] is \[2,5\] \(rank 2/);
  assert.throws(() => m.predict([good[0]]), /predict: the model has 2 inputs \('enc_in', 'extra'\), but x is a list of 1; pass one array per input/);
  assert.throws(() => m.predict([good[0], good[1], good[1]]), /but x is a list of 3/);
  assert.throws(() => m.predict(good[0]), /predict: the model has 2 inputs \('enc_in', 'extra'\); x must be a list of 2 arrays or an object keyed by input name, got a Tensor \[2,5,3\]/);
  assert.throws(() => m.predict({ enc_in: good[0] }), /predict: x has no data for input 'extra'/);
  assert.throws(() => m.predict({ enc_in: good[0], extra: good[1], other: good[1] }), /predict: x has 'other', which is not an input of the model; its inputs are 'enc_in', 'extra'/);
  assert.throws(() => m.trainOnBatch(good, [randomNormal([2, 2])]), /trainOnBatch: the model has 2 outputs \('h', 'd'\), but y is a list of 1/);
  assert.throws(() => m.trainOnBatch(good, [randomNormal([2, 2]), randomNormal([3, 1])]), /trainOnBatch: x\[0\] \[2,5,3\] and y\[1\] \[3,1\] have different batch sizes \(2 and 3\)/);
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: ['mse'] }), /compile: loss is a list of 1, but model has 2 outputs \(h, d\)/);
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: { h: 'mse', e: 'mse' } }), /compile: loss names 'e', not an output of model; its outputs are 'h', 'd'/);
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: { h: 'mse' } }), /compile: loss has no entry for output 'd'/);
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1, -2] }), /lossWeights for output 'd' must be a non-negative number, got the number -2/);
  assert.throws(() => m.apply([good[0]]), /model takes 2 inputs \(enc_in, extra\), got 1/);
});

test('README "The functional API" runs as written (on the sources) and learns to reverse the digits', () => {
  const repo = join(import.meta.dirname, '../..');
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The functional API\n');
  assert.ok(start >= 0, 'README.md has the section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 4));
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.is(blocks.length, 1);
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-readme-functional-'));
  try {
    const program = join(dir, 'example.mts');
    writeFileSync(program, blocks[0].replace("from 'unrolled'", `from '${join(repo, 'lib/index.ts')}'`));
    const out = execFileSync(process.execPath, ['--import', 'tsx', program], { cwd: repo, encoding: 'utf8' });
    assert.match(out, /Connected to/);
    const accuracies = (out.slice(out.lastIndexOf('[')).match(/\d\.\d+/g) ?? []).map(Number);
    assert.is(accuracies.length, 10, `val_acc per epoch: ${out}`);
    assert.ok(accuracies.at(-1)! > 0.8, `validation accuracy ${accuracies.at(-1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const c of functionalCases) {
  test(`gradcheck ${c.name}`, () => {
    const report = c.run();
    assert.ok(report.worst !== null, `${c.name}: no element was checked`);
    assert.ok(report.pass, describeCheck(report));
  });
}

test.run();
