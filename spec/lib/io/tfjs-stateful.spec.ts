/**
 * A stateful Sequential model in the TF.js format: TF.js writes the fixed
 * batch size in the first layer's `batch_input_shape` and builds a stateful
 * layer's states for it, so the batch size travels both ways, and the states
 * carry from batch to batch in both engines alike.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GRU, InputLayer, LSTM, Sequential, clearSession, loadModel, randomUniform, setSeed, type ModelArtifacts, type Tensor } from '../../../lib/index.ts';
import { assertClose, filesHandler, maxAbsDiff } from './tfjs-helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'unrolled-tfjs-stateful-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.before.each(() => {
  clearSession();
  setSeed(5);
});

/** Two batches of 2 samples, [2, 4, 3] each. */
function batches(): Tensor[] {
  return [randomUniform([2, 4, 3], -1, 1), randomUniform([2, 4, 3], -1, 1)];
}

test('Unrolled → TF.js: the batch size of a stateful model is in batch_input_shape; TF.js builds it and carries the states alike', async () => {
  const model = new Sequential([new InputLayer({ inputShape: [4, 3], batchSize: 2 }), new LSTM(5, { stateful: true, returnSequences: true }), new GRU(3, { stateful: true, resetAfter: false })]);
  const xs = batches();
  const ours = xs.map((x) => model.predict(x));
  const dir = join(scratch, 'ours');
  model.resetStates();
  await model.save(dir);
  const theirs = await tf.loadLayersModel(filesHandler(dir));
  assert.equal(theirs.inputs[0].shape, [2, 4, 3], 'TF.js input shape');
  xs.forEach((x, i) => assertClose(`batch ${i}`, ours[i].data, (theirs.predict(tf.tensor(x.data, x.shape)) as tf.Tensor).dataSync()));
  // The second batch differs from a fresh start: the states were carried.
  theirs.resetStates();
  const fresh = (theirs.predict(tf.tensor(xs[1].data, xs[1].shape)) as tf.Tensor).dataSync();
  assert.ok(maxAbsDiff(fresh, ours[1].data).diff > 1e-3, 'states carried between batches');
  // And back into Unrolled: the batch size is kept, the states carry, bit for bit.
  const back = await loadModel(dir);
  assert.equal(back.batchInputShape, [2, 4, 3]);
  xs.forEach((x, i) => assert.ok(maxAbsDiff(back.predict(x).data, ours[i].data).diff === 0, `reloaded, batch ${i} bit for bit`));
});

test('TF.js → Unrolled: a stateful model written by TF.js keeps its batch size and reproduces TF.js batch after batch', async () => {
  const theirs = tf.sequential({ layers: [
    tf.layers.lstm({ units: 4, batchInputShape: [2, 4, 3], stateful: true, returnSequences: true }),
    tf.layers.gru({ units: 2, stateful: true }),
  ] });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await theirs.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const ours = await loadModel(artifacts! as unknown as ModelArtifacts);
  assert.equal(ours.batchInputShape, [2, 4, 3]);
  for (const [i, x] of batches().entries()) {
    assertClose(`batch ${i}`, ours.predict(x).data, (theirs.predict(tf.tensor(x.data, x.shape)) as tf.Tensor).dataSync());
  }
  const message = (() => {
    try {
      ours.predict(randomUniform([3, 4, 3], -1, 1), { batchSize: 3 });
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  })();
  assert.match(message, 'is stateful and the model\'s batch size is fixed at 2');
});

test('without stateful layers a fixed batch size in batch_input_shape is dropped: any batch size predicts', async () => {
  const theirs = tf.sequential({ layers: [tf.layers.lstm({ units: 4, batchInputShape: [2, 4, 3] })] });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await theirs.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const ours = await loadModel(artifacts! as unknown as ModelArtifacts);
  assert.equal(ours.batchInputShape, [null, 4, 3]);
  assert.equal(ours.predict(randomUniform([5, 4, 3], -1, 1)).shape, [5, 4]);
});

test.run();
