/**
 * `model.save(target)`: a model as TF.js LayersModel artifacts, handed to an
 * IOHandler or written to a folder. The topology is what TF.js 4.x writes
 * for a Sequential model (`{ class_name: 'Sequential', config: { name,
 * layers } }`, `batch_input_shape` on the first layer), so
 * `tf.loadLayersModel` reads it.
 */
import { files } from '#platform';
import type { Tensor } from '../../autograd/index.ts';
import type { Optimizer } from '../../optim/index.ts';
import type { Layer, ShapeSpec } from '../layers/layer.ts';
import type { LossName } from '../losses.ts';
import type { MetricName } from '../metrics.ts';
import { requireFiles } from '../platform/types.ts';
import { VERSION } from '../version.ts';
import { artifactsInfo, encodeWeights, weightBytes, type IOHandler, type ModelArtifacts, type SaveResult, type WeightSpec } from './artifacts.ts';
import { layerToConfig } from './config.ts';
import { writeModelFiles } from './model-files.ts';
import { optimizerWeights, trainingConfigOf } from './training-config.ts';

export interface SaveOptions {
  /** Also store the optimizer's state and the compile settings, so training can go on after loading (default false). */
  includeOptimizer?: boolean;
}

/** What saving needs of a model. */
export interface SavableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly built: boolean;
  /** The input shape, batch first. */
  readonly batchInputShape: ShapeSpec | null;
  readonly optimizer: Optimizer | null;
  readonly loss: LossName | null;
  readonly metricNames: readonly MetricName[];
  namedWeights(): Array<[string, Tensor]>;
  trainableNamedWeights(): Array<[string, Tensor]>;
}

/** The model as TF.js ModelArtifacts. */
export function modelArtifacts(model: SavableModel, options: SaveOptions = {}): ModelArtifacts {
  for (const key of Object.keys(options)) {
    if (key !== 'includeOptimizer') throw new Error(`model.save: unknown option '${key}'; known: includeOptimizer`);
  }
  if (!model.built || !model.batchInputShape) {
    throw new Error(`${model.name}: save() needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
  }
  const named = model.namedWeights();
  for (const [name, t] of named) {
    if (t.dtype !== 'float32') throw new Error(`${model.name}: weight ${name} is ${t.dtype}; the TF.js format stores float32 weights only`);
  }
  const layers = model.layers.map((layer, i) => layerToConfig(layer, i === 0 ? model.batchInputShape! : undefined));
  const artifacts: ModelArtifacts = {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, layers: layers.map((l) => ({ ...l })) },
      keras_version: `unrolled ${VERSION}`,
      backend: 'unrolled',
    },
    format: 'layers-model',
    generatedBy: `Unrolled ${VERSION}`,
    convertedBy: null,
  };
  const specs: WeightSpec[] = named.map(([name, t]) => ({ name, shape: [...t.shape], dtype: 'float32' }));
  const values: Array<ArrayLike<number>> = named.map(([, t]) => t.data);
  if (options.includeOptimizer) {
    if (!model.optimizer || !model.loss) throw new Error(`${model.name}: save({ includeOptimizer: true }) needs a compiled model; call compile() first`);
    artifacts.trainingConfig = trainingConfigOf(model.optimizer, model.loss, model.metricNames);
    const state = optimizerWeights(model.optimizer, model.trainableNamedWeights());
    specs.push(...state.specs);
    values.push(...state.values);
  }
  artifacts.weightSpecs = specs;
  artifacts.weightData = encodeWeights(specs, values);
  return artifacts;
}

function isHandler(target: unknown): target is IOHandler {
  return target !== null && typeof target === 'object' && typeof (target as IOHandler).save === 'function';
}

/**
 * Saves `model` to `target`: an IOHandler (`{ save(artifacts) }`, e.g. from
 * `tf.io.withSaveHandler`), or under Node a folder (`model.json` +
 * `weights.bin`), a path ending in `.json`, or a `file://` URL.
 */
export async function saveModel(model: SavableModel, target: string | IOHandler, options: SaveOptions = {}): Promise<SaveResult> {
  if (isHandler(target)) return target.save!(modelArtifacts(model, options));
  if (typeof target !== 'string' || target.length === 0) {
    throw new Error(`${model.name}: save() takes a folder path or an IOHandler with a save(artifacts) method, got ${target === null ? 'null' : typeof target}`);
  }
  const path = target.startsWith('file://') ? target.slice('file://'.length) : target;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new Error(`${model.name}: save('${target}'): only folder paths and file:// are supported; for other storage pass an IOHandler`);
  }
  if (/\.(h5|keras)$/i.test(path)) {
    throw new Error(`${model.name}: save('${target}'): Keras files are not supported; save to a folder (the TF.js format)`);
  }
  const fs = requireFiles(files, `${model.name}.save('${target}')`);
  const artifacts = modelArtifacts(model, options);
  writeModelFiles(fs, path, artifacts, weightBytes(artifacts.weightData));
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}
