/**
 * Losses and metrics in model files: names written so that the other
 * engine reads them back (TF.js in process), names read in Keras's and
 * TF.js's spellings and as serialized loss objects, and a clear error for
 * what a file's compile settings cannot hold.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AUC, BinaryCrossentropy, Dense, Sequential, clearSession, loadModel, type IOHandler, type MetricName, type ModelArtifacts,
} from '../../lib/index.ts';
import { readKeras, writeKeras } from '../../lib/io/keras3.ts';
import { compileSettingsOf } from '../../lib/io/training-config.ts';

test.before.each(() => clearSession());

async function saved(model: Sequential): Promise<ModelArtifacts> {
  let artifacts: ModelArtifacts | null = null;
  const handler: IOHandler = {
    save: async (a: ModelArtifacts) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
  await model.save(handler, { includeOptimizer: true });
  return artifacts!;
}

function classifier(metrics: MetricName[] | Array<MetricName | AUC>): Sequential {
  const model = new Sequential([new Dense(1, { inputShape: [3], activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics });
  return model;
}

test('TF.js format: metrics written in names TF.js reads back; TF.js compiles the model from them', async () => {
  const artifacts = await saved(classifier(['binaryAccuracy', 'mean_squared_error', 'acc', 'precision']));
  assert.equal(artifacts.trainingConfig!.metrics, ['binary_accuracy', 'mse', 'acc', 'precision']);
  assert.is(artifacts.trainingConfig!.loss, 'binary_crossentropy');
  const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
  assert.ok(theirs.optimizer, 'TF.js compiled the model');
  const back = await loadModel(artifacts);
  assert.equal(back.metricNames, ['binary_accuracy', 'mse', 'acc', 'precision']);
});

test('TF.js format: a metric TF.js cannot read back, a loss object with options, a metric object with options: errors before writing', async () => {
  const errorOf = async (model: Sequential): Promise<string> => {
    try {
      await saved(model);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.match(await errorOf(classifier(['auc'])), /save: metric 'auc' cannot be written to a TF.js model file, which TF.js reads with the metrics acc, accuracy, binary_accuracy, categorical_accuracy, precision, mse, mae only/);
  const logits = new Sequential([new Dense(1, { inputShape: [3] })]);
  logits.compile({ optimizer: 'adam', loss: new BinaryCrossentropy({ fromLogits: true }) });
  assert.match(await errorOf(logits), /has loss BinaryCrossentropy \{ fromLogits: true \}, which no loss name describes/);
  assert.match(await errorOf(classifier([new AUC({ numThresholds: 10 })])), /metric 'auc' of output 'dense(_\d+)?' is not described by a name alone/);
});

test('.keras: Keras\'s metric names written and read back (auc, precision, recall, top-k), TF.js spellings as Keras\'s', async () => {
  const model = classifier(['auc', 'Precision', 'recall', 'binaryAccuracy']);
  const back = await readKeras(await writeKeras(model, { includeOptimizer: true }), 'metrics.keras');
  assert.equal(back.metricNames, ['auc', 'precision', 'recall', 'binary_accuracy']);
  assert.is(back.loss, 'binary_crossentropy');
});

test('training configs: loss names in any spelling, loss objects of default options (as tf.keras writes them), options refused by name', () => {
  const read = (loss: unknown, metrics: unknown[] = []): { loss: string; metrics: string[] } => compileSettingsOf({ loss: loss as never, metrics: metrics as never }, 'model.json');
  assert.is(read('meanSquaredError').loss, 'mse');
  assert.is(read('sparseCategoricalCrossentropy').loss, 'sparse_categorical_crossentropy');
  assert.is(read({ class_name: 'BinaryCrossentropy', config: { reduction: 'auto', name: 'binary_crossentropy', from_logits: false, label_smoothing: 0 } }).loss, 'binary_crossentropy');
  assert.throws(
    () => read({ class_name: 'CategoricalCrossentropy', config: { from_logits: true, label_smoothing: 0 } }),
    /model.json: loss CategoricalCrossentropy has from_logits true; a training config is read by loss names, which mean from_logits false/,
  );
  assert.throws(() => read('hinge'), /model.json: loss 'hinge' is not supported; supported: binary_crossentropy/);
  assert.equal(read('mse', ['binaryAccuracy', 'auc', 'top_k_categorical_accuracy', 'MAE']).metrics, ['binary_accuracy', 'auc', 'top_k_categorical_accuracy', 'mae']);
  assert.throws(() => read('mse', ['f1']), /model.json: metric "f1" is not supported; supported: acc, accuracy/);
});

test.run();
