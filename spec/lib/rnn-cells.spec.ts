/**
 * Cells of your own: PeepholeLSTMCell (the worked example) against its
 * equations worked by hand and against the LSTM it becomes with zero
 * peepholes, its gradients through a whole sequence by central differences,
 * a minimal user cell as docs/custom-cells.md writes it, the errors a cell
 * gets for returning the wrong thing, and gradcheck(layerOrModel) itself:
 * it names the worst element, catches a gradient that misses a weight, and
 * leaves a float32 model's weights as they were.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Bidirectional, Dense, Embedding, LSTM, PeepholeLSTMCell, RNN, RNNCell, Sequential, SimpleRNN, Tensor,
  LSTMCell, clearSession, gradcheck, initializers, ops, randomNormal, registerCell, regularizers, setSeed, tensor,
  type CellConfig, type ShapeSpec,
} from '../../lib/index.ts';
import { maxAbsDiff } from './helpers.ts';

test.before.each(() => clearSession());

const SAME_MATH = 1e-12;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

test('PeepholeLSTMCell, two steps worked by hand from its equations (D = 1, H = 1)', () => {
  const cell = new PeepholeLSTMCell(1);
  const layer = new RNN(cell, { returnSequences: true, returnState: true, dtype: 'float64' });
  layer.build([null, 2, 1]);
  // W = [W_i, W_f, W_c, W_o], U likewise, b, and the peepholes [p_i; p_f; p_o].
  const W = [0.5, -0.3, 0.8, 0.2];
  const U = [0.1, 0.4, -0.6, 0.3];
  const b = [0.05, 1, -0.1, 0.2];
  const p = [0.7, -0.4, 0.9];
  layer.setWeights([tensor([W], [1, 4], 'float64'), tensor([U], [1, 4], 'float64'), tensor(b, [4], 'float64'), tensor([[p[0]], [p[1]], [p[2]]], [3, 1], 'float64')]);
  const xs = [1.5, -0.5];
  let h = 0.3;
  let c = -0.2;
  const expected: number[] = [];
  for (const x of xs) {
    const i = sigmoid(x * W[0] + h * U[0] + c * p[0] + b[0]);
    const f = sigmoid(x * W[1] + h * U[1] + c * p[1] + b[1]);
    const g = Math.tanh(x * W[2] + h * U[2] + b[2]);
    c = f * c + i * g;
    const o = sigmoid(x * W[3] + h * U[3] + c * p[2] + b[3]); // the output gate sees the new c
    h = o * Math.tanh(c);
    expected.push(h);
  }
  const [y, hT, cT] = layer.apply(tensor([[[xs[0]], [xs[1]]]], [1, 2, 1], 'float64'), {
    initialState: [tensor([[0.3]], [1, 1], 'float64'), tensor([[-0.2]], [1, 1], 'float64')],
  }) as Tensor[];
  assert.ok(maxAbsDiff(y.data, expected) <= SAME_MATH, `outputs ${Array.from(y.data)} vs ${expected}`);
  assert.ok(Math.abs(hT.data[0] - h) <= SAME_MATH && Math.abs(cT.data[0] - c) <= SAME_MATH, 'final h and c');
});

test('PeepholeLSTMCell with zero peepholes is exactly the LSTM: outputs, states and the gradients of W, U, b and x', () => {
  setSeed(21);
  const x = randomNormal([3, 6, 2], 0, 1, 'float64');
  const lstm = new LSTM(4, { returnSequences: true, returnState: true, dtype: 'float64' });
  const peep = new RNN(new PeepholeLSTMCell(4), { returnSequences: true, returnState: true, dtype: 'float64' });
  lstm.build([null, 6, 2]);
  peep.build([null, 6, 2]);
  assert.equal(peep.weightLabels(), ['kernel', 'recurrent_kernel', 'bias', 'peepholes']);
  assert.equal(Array.from(peep.weights()[3].data), new Array(12).fill(0), 'peepholes start at zero');
  peep.setWeights([...lstm.getWeights(), peep.getWeights()[3]]);
  const grads = (layer: RNN): { outs: Tensor[]; dx: Float64Array; dw: Float64Array[] } => {
    const xi = new Tensor(x.data.slice(), x.shape, true);
    for (const w of layer.weights()) w.grad = null;
    const outs = layer.apply(xi) as unknown as Tensor[];
    const all = ops.concat(outs.map((o) => ops.reshape(o, [o.size])), 0);
    all.backward(Float64Array.from({ length: all.size }, (_, i) => Math.sin(0.3 + 0.71 * i)));
    return { outs, dx: xi.grad as Float64Array, dw: layer.weights().map((w) => w.grad as Float64Array) };
  };
  const a = grads(lstm);
  const b = grads(peep);
  a.outs.forEach((o, k) => assert.ok(maxAbsDiff(o.data, b.outs[k].data) <= SAME_MATH, `output ${k}`));
  assert.ok(maxAbsDiff(a.dx, b.dx) <= SAME_MATH, '∂L/∂x');
  a.dw.forEach((g, k) => assert.ok(maxAbsDiff(g, b.dw[k]) <= SAME_MATH, `∂L/∂${lstm.weightLabels()[k]}`));
  assert.ok(b.dw[3].some((v) => v !== 0), 'the peepholes get a gradient even at zero');
});

test('PeepholeLSTMCell: float64 gradient check through a whole sequence (8 steps, peepholes non-zero, a mask, goBackwards)', () => {
  setSeed(22);
  const layer = new RNN(new PeepholeLSTMCell(3, { peepholeInitializer: 'randomUniform' }), { returnSequences: true, goBackwards: true });
  const report = gradcheck(layer, randomNormal([2, 8, 2]));
  assert.ok(report.pass, report.text);
  assert.equal(report.names, ['input', 'rnn/kernel', 'rnn/recurrent_kernel', 'rnn/bias', 'rnn/peepholes']);
  assert.ok(report.worstAt !== null && /^(input|rnn\/\w+)\[\d+(, \d+)*\]$/.test(report.worstAt), `the worst element is named: ${report.worstAt}`);
});

/** The minimal cell of docs/custom-cells.md: h = tanh(x W + h U). */
class MinimalRNNCell extends RNNCell {
  readonly stateSize: number | readonly number[];
  readonly outputSize: number;

  constructor(readonly config: { units: number }) {
    super();
    this.stateSize = config.units;
    this.outputSize = config.units;
  }

  override build([, D]: ShapeSpec): void {
    this.addWeight('kernel', [D!, this.outputSize]);
    this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal');
  }

  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const y = ops.tanh(ops.add(ops.matmul(x, this.weight('kernel')), ops.matmul(h, this.weight('recurrent_kernel'))));
    return [y, [y]];
  }

  override getConfig(): CellConfig {
    return { ...this.config };
  }
}

test('a cell of your own: equals SimpleRNN without a bias given the same weights, passes gradcheck, and Bidirectional copies it from its config', () => {
  setSeed(23);
  const x = randomNormal([2, 5, 3], 0, 1, 'float64');
  const mine = new RNN(new MinimalRNNCell({ units: 4 }), { dtype: 'float64' });
  const simple = new SimpleRNN(4, { useBias: false, dtype: 'float64' });
  simple.build([null, 5, 3]);
  mine.build([null, 5, 3]);
  mine.setWeights(simple.getWeights());
  assert.ok(maxAbsDiff((mine.apply(x) as Tensor).data, (simple.apply(x) as Tensor).data) <= SAME_MATH);
  assert.ok(gradcheck(new RNN(new MinimalRNNCell({ units: 3 })), randomNormal([2, 4, 3])).pass);
  const bi = new Bidirectional(new RNN(new MinimalRNNCell({ units: 2 })));
  assert.equal((bi.apply(randomNormal([2, 4, 3])) as Tensor).shape, [2, 4]);
  assert.ok(bi.backwardLayer.cell instanceof MinimalRNNCell && bi.backwardLayer.cell !== bi.forwardLayer.cell);
  assert.equal((bi.backwardLayer.cell as MinimalRNNCell).config, { units: 2 });
});

class WrongCell extends MinimalRNNCell {
  override call(x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    const [y] = super.call(x, states);
    return [ops.slice(y, 1, 0, 1), [y]];
  }
}

test('a cell that returns the wrong shape, a weight name or shape addWeight refuses: errors naming the layer and the cell', () => {
  const layer = new RNN(new WrongCell({ units: 3 }), { name: 'w' });
  assert.throws(() => layer.apply(randomNormal([2, 4, 3])), /w \(RNN\): WrongCell.call returned the output float32 \[2,1\]; expected float32 \[2,3\]/);
  class BadWeights extends MinimalRNNCell {
    override build(): void {
      this.addWeight('kernel', [3, 0]);
    }
  }
  assert.throws(() => new RNN(new BadWeights({ units: 3 })).apply(randomNormal([2, 4, 3])), /BadWeights.addWeight\('kernel'\): shape must be a list of positive integers, got \[3,0\]/);
  class Twice extends MinimalRNNCell {
    override build(shape: ShapeSpec): void {
      super.build(shape);
      this.addWeight('kernel', [2]);
    }
  }
  assert.throws(() => new RNN(new Twice({ units: 3 })).apply(randomNormal([2, 4, 3])), /Twice.addWeight\('kernel'\): the cell already has a weight named 'kernel'/);
  class NoState extends MinimalRNNCell {
    override readonly stateSize: readonly number[] = [];
  }
  assert.throws(() => new RNN(new NoState({ units: 3 })), /outputSize and stateSize must be positive integers/);
});

/** A cell with a bug users make: a weight read through `.data`, which the tape does not see. */
class DetachedCell extends MinimalRNNCell {
  override call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const U = this.weight('recurrent_kernel');
    const hu = ops.matmul(h, new Tensor(U.data.slice(), U.shape)); // a copy: no gradient reaches U
    const y = ops.tanh(ops.add(ops.matmul(x, this.weight('kernel')), hu));
    return [y, [y]];
  }
}

test('gradcheck catches a gradient that misses a weight, and names it', () => {
  setSeed(24);
  const report = gradcheck(new RNN(new DetachedCell({ units: 3 }), { name: 'd' }), randomNormal([2, 4, 3]));
  assert.not.ok(report.pass, report.text);
  assert.match(report.worstAt ?? '', /^d\/recurrent_kernel\[/);
  assert.match(report.text, /gradcheck d \(RNN\): FAIL, max rel error .* worst: d\/recurrent_kernel\[\d+, \d+\]: analytic 0\.000000e\+0/s);
});

test('gradcheck of a model: a float32 model is checked in float64 and keeps its own weights bit for bit; token ids are not checked', () => {
  setSeed(25);
  const model = new Sequential([new Embedding(10, 3, { inputLength: 4 }), new RNN(new PeepholeLSTMCell(2, { peepholeInitializer: 'randomUniform' })), new Dense(1)]);
  const ids = tensor([[1, 2, 3, 4], [5, 6, 0, 9]]);
  model.predict(ids);
  const before = model.weights().map((w) => [w.data, w.data.slice()] as const);
  const report = gradcheck(model, ids);
  assert.ok(report.pass, report.text);
  assert.not.ok(report.names.includes('input'), 'the ids have no gradient');
  assert.is(report.names.length, model.weights().length);
  model.weights().forEach((w, i) => {
    assert.ok(w.data === before[i][0] && w.dtype === 'float32', `weight ${i} is its own float32 array again`);
    assert.ok(maxAbsDiff(w.data, before[i][1]) === 0, `weight ${i} unchanged`);
  });
});

test('a built-in cell takes the layers\' initializers and regularizers: a constant kernel, and an L2 penalty on it in the loss', async () => {
  setSeed(26);
  const cell = new LSTMCell(2, { kernelInitializer: initializers.constant(0.5), kernelRegularizer: regularizers.l2(0.1) });
  const model = new Sequential([new RNN(cell, { inputShape: [3, 2] }), new Dense(1)]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = randomNormal([4, 3, 2]);
  const y = randomNormal([4, 1]);
  assert.equal(Array.from(cell.weights()[0].data), new Array(16).fill(0.5));
  const pred = model.predict(x) as Tensor;
  let mse = 0;
  for (let i = 0; i < 4; i++) mse += (pred.data[i] - y.data[i]) ** 2 / 4;
  const penalty = 0.1 * 16 * 0.25; // 0.1 · Σ W², W = 0.5 everywhere, [2, 8]
  const loss = (await model.evaluate(x, y)).loss as number;
  assert.ok(Math.abs(loss - (mse + penalty)) < 1e-6, `loss ${loss} = mse ${mse} + 0.1·ΣW² ${penalty}`);
  assert.throws(() => new RNN(new LSTMCell(2, { kernelInitializer: 'glorot' as 'glorotUniform' })).apply(x), /LSTMCell: kernelInitializer: initializer 'glorot' is unknown/);
});

test('registerCell takes classes extending RNNCell, under a name no built-in cell has', () => {
  assert.throws(() => registerCell({} as never), /registerCell: takes a class extending RNNCell/);
  class LSTMCellCopy extends MinimalRNNCell {
    static readonly className = 'LSTMCell';
  }
  assert.throws(() => registerCell(LSTMCellCopy), /registerCell: LSTMCell is a built-in cell's name/);
  registerCell(MinimalRNNCell);
  registerCell(MinimalRNNCell);
  const Other = class MinimalRNNCell extends RNNCell {
    readonly stateSize = 1;
    readonly outputSize = 1;
    call(x: Tensor, s: Tensor[]): [Tensor, Tensor[]] {
      return [x, s];
    }
  };
  assert.throws(() => registerCell(Other), /registerCell: another class is registered as MinimalRNNCell/);
});

test.run();
