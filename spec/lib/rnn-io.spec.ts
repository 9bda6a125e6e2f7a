/**
 * RNN(cell) in model files. In the TF.js format (model.json) an RNN of the
 * built-in cells or of a StackedRNNCells is what TF.js writes and reads —
 * proven by TF.js 4.22 itself in this process, both ways. A cell of your own
 * saves once its class is registered and is refused, by name, when it is
 * not; loading finds it by the same name. A .keras file refuses RNN(cell)
 * with a clear error.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Bidirectional, Dense, GRUCell, LSTMCell, PeepholeLSTMCell, RNN, RNNCell, Sequential, SimpleRNNCell, Tensor,
  L1L2, clearSession, loadModel, ops, randomUniform, registerCell, regularizers, setSeed, type CellConfig, type ModelArtifacts, type ShapeSpec,
} from '../../lib/index.ts';
import { assertClose, filesHandler, maxAbsDiff } from './io/tfjs-helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'unrolled-rnn-io-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.before.each(() => clearSession());

/** Asserts that `promise` fails with a message matching `pattern`. */
async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

function features(B: number, T: number, D: number, seed: number): Tensor {
  setSeed(seed);
  return randomUniform([B, T, D], -1, 1);
}

test('Unrolled → TF.js: RNN(LSTMCell) then RNN([GRUCell, SimpleRNNCell]) load in TF.js, which predicts the same; and back bit for bit', async () => {
  setSeed(31);
  const model = new Sequential([
    new RNN(new LSTMCell(4, { recurrentActivation: 'hard_sigmoid' }), { inputShape: [6, 3], returnSequences: true }),
    new RNN([new GRUCell(3, { resetAfter: false }), new SimpleRNNCell(2)], { goBackwards: true }),
    new Dense(2),
  ]);
  const x = features(4, 6, 3, 32);
  const ours = model.predict(x) as Tensor;
  const dir = join(scratch, 'cells');
  await model.save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }; weightsManifest: Array<{ weights: Array<{ name: string }> }> };
  const [first, second] = json.modelTopology.config.layers;
  assert.is(first.class_name, 'RNN');
  assert.is((first.config.cell as { class_name: string }).class_name, 'LSTMCell');
  assert.is((second.config.cell as { class_name: string }).class_name, 'StackedRNNCells');
  assert.equal(json.weightsManifest[0].weights.map((w) => w.name).slice(0, 6), [
    'rnn/kernel', 'rnn/recurrent_kernel', 'rnn/bias', 'rnn_1/RNNCell_0/kernel', 'rnn_1/RNNCell_0/recurrent_kernel', 'rnn_1/RNNCell_0/bias',
  ]);
  const theirs = await tf.loadLayersModel(filesHandler(dir));
  const out = theirs.predict(tf.tensor(Array.from(x.data), x.shape)) as tf.Tensor;
  assert.equal(out.shape, ours.shape);
  assertClose('RNN(cells)', ours.data, out.dataSync());
  const back = await loadModel(dir);
  assert.ok(maxAbsDiff((back.predict(x) as Tensor).data, ours.data).diff === 0, 'bit for bit');
  const cell = (back.layers[0] as RNN).cell;
  assert.ok(cell instanceof LSTMCell && cell.options.recurrentActivation === 'hard_sigmoid');
});

test('TF.js → Unrolled: tf.layers.rnn of an lstmCell and of a stack of cells (TF.js\'s own files) predict the same here', async () => {
  const theirs = tf.sequential({ layers: [
    tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 3 }), inputShape: [5, 2], returnSequences: true }),
    tf.layers.rnn({ cell: [tf.layers.simpleRNNCell({ units: 3 }), tf.layers.gruCell({ units: 2 })] }),
  ] });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await theirs.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const model = await loadModel(artifacts! as unknown as ModelArtifacts);
  const x = features(3, 5, 2, 33);
  const expected = (theirs.predict(tf.tensor(Array.from(x.data), x.shape)) as tf.Tensor).dataSync();
  assertClose('tf.layers.rnn', (model.predict(x) as Tensor).data, expected);
  assert.ok((model.layers[1] as RNN).cell.className === 'StackedRNNCells');
});

test('a built-in cell\'s regularizer is written in its cell config and read back (TF.js reads the file too)', async () => {
  setSeed(40);
  const model = new Sequential([new RNN(new GRUCell(2, { resetAfter: false, recurrentRegularizer: regularizers.l1l2({ l1: 0.01, l2: 0.02 }) }), { inputShape: [3, 2] })]);
  const dir = join(scratch, 'regularized');
  await model.save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ config: { cell: { config: Record<string, unknown> } } }> } } };
  assert.equal(json.modelTopology.config.layers[0].config.cell.config.recurrent_regularizer, { class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } });
  const back = await loadModel(dir);
  const r = ((back.layers[0] as RNN).cell as GRUCell).options.recurrentRegularizer;
  assert.ok(r instanceof L1L2 && r.l1 === 0.01 && r.l2 === 0.02, 'the regularizer comes back');
  const theirs = await tf.loadLayersModel(filesHandler(dir));
  const x = features(2, 3, 2, 41);
  assertClose('regularized GRUCell', (model.predict(x) as Tensor).data, (theirs.predict(tf.tensor(Array.from(x.data), x.shape)) as tf.Tensor).dataSync());
});

/** h = tanh(x W + h U) ⊙ scale, a cell with a config of its own. */
class ScaledRNNCell extends RNNCell {
  readonly stateSize: number;
  readonly outputSize: number;

  constructor(readonly config: { units: number; scale: number }) {
    super();
    this.stateSize = config.units;
    this.outputSize = config.units;
  }

  override build([, D]: ShapeSpec): void {
    this.addWeight('kernel', [D!, this.outputSize]);
    this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal');
  }

  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const z = ops.add(ops.matmul(x, this.weight('kernel')), ops.matmul(h, this.weight('recurrent_kernel')));
    const y = ops.mulScalar(ops.tanh(z), this.config.scale);
    return [y, [y]];
  }

  override getConfig(): CellConfig {
    return { ...this.config };
  }
}

test('a cell of your own: saving refuses it unregistered, naming the class; registered, it saves and loads bit for bit (in Bidirectional too)', async () => {
  setSeed(34);
  const make = (): Sequential => new Sequential([new Bidirectional(new RNN(new ScaledRNNCell({ units: 3, scale: 0.5 })), { inputShape: [4, 2] }), new Dense(1)]);
  const dir = join(scratch, 'own');
  await rejects(Promise.resolve().then(() => make().save(dir)), /forward_rnn \(RNN\): its cell ScaledRNNCell is not registered; call registerCell\(ScaledRNNCell\)/);
  registerCell(ScaledRNNCell);
  const model = make();
  const x = features(2, 4, 2, 35);
  const ours = model.predict(x) as Tensor;
  await model.save(dir);
  const back = await loadModel(dir);
  assert.ok(maxAbsDiff((back.predict(x) as Tensor).data, ours.data).diff === 0, 'bit for bit');
  const inner = (back.layers[0] as Bidirectional).backwardLayer.cell as ScaledRNNCell;
  assert.ok(inner instanceof ScaledRNNCell);
  assert.equal(inner.config, { units: 3, scale: 0.5 });
});

test('PeepholeLSTMCell saves and loads without registering; a cell class no one registered is refused on loading, by name', async () => {
  setSeed(36);
  const model = new Sequential([new RNN(new PeepholeLSTMCell(3, { peepholeInitializer: 'randomUniform' }), { inputShape: [4, 2] })]);
  const x = features(2, 4, 2, 37);
  const dir = join(scratch, 'peephole');
  await model.save(dir);
  const back = await loadModel(dir);
  assert.ok(maxAbsDiff((back.predict(x) as Tensor).data, (model.predict(x) as Tensor).data).diff === 0, 'bit for bit');
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: unknown; weightsManifest: unknown };
  const text = JSON.stringify(json).replace(/PeepholeLSTMCell/g, 'UnknownCell');
  await rejects(loadModel({ modelTopology: (JSON.parse(text) as { modelTopology: ModelArtifacts['modelTopology'] }).modelTopology }), /no cell class is registered as 'UnknownCell'; call registerCell\(UnknownCell\)/);
});

test('a .keras file refuses RNN(cell) and Bidirectional(RNN(cell)), naming the layer', async () => {
  const plain = new Sequential([new RNN(new LSTMCell(2), { inputShape: [3, 2] })]);
  plain.predict(features(1, 3, 2, 38));
  await rejects(plain.save(join(scratch, 'x.keras')), /rnn: a RNN layer cannot be written to a .keras file/);
  const bi = new Sequential([new Bidirectional(new RNN(new LSTMCell(2)), { inputShape: [3, 2] })]);
  bi.predict(features(1, 3, 2, 39));
  await rejects(bi.save(join(scratch, 'y.keras')), /bidirectional \(Bidirectional\): wraps an RNN of a LSTMCell; a .keras file holds Bidirectional SimpleRNN, LSTM or GRU only/);
});

test.run();
