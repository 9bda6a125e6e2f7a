/**
 * Whether a compiled model's training settings fit a file format, asked
 * before anything is trained: ModelCheckpoint checks at the start of `fit`
 * what `model.save` would refuse only at the end of the first epoch.
 */
import { Model } from '../model/model.ts';
import { compileConfigText } from './keras3-write-compile.ts';
import { compiledSettings, kerasOptimizerLayout } from './keras3.ts';
import { kerasFileKind } from './keras-paths.ts';
import { tfjsTrainingConfig } from './save.ts';

/**
 * Throws what saving `model` to `path` with its optimizer would throw about
 * its loss, metrics and optimizer: a `.keras` file (compile_config and the
 * optimizer's variables), a `.weights.h5` file (the optimizer's variables),
 * or the TF.js format (its training config and optimizer weights). Weights
 * alone in the TF.js manifest hold no training settings. A model that is
 * not compiled has nothing to check here.
 */
export function checkTrainingSavable(model: unknown, path: string, weightsOnly: boolean): void {
  if (!(model instanceof Model) || !model.optimizer) return;
  const kind = kerasFileKind(path);
  if (kind === 'keras' && !weightsOnly) {
    compileConfigText(compiledSettings(model, model.optimizer));
    kerasOptimizerLayout(model.optimizer, 0);
  } else if (kind === 'weights.h5') {
    kerasOptimizerLayout(model.optimizer, 0);
  } else if (!weightsOnly) {
    tfjsTrainingConfig(model);
  }
}
