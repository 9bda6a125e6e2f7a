/**
 * `model.save(target)`: a model as TF.js LayersModel artifacts, handed to an
 * IOHandler or written to a folder. The topology is what TF.js 4.x writes:
 * for a Sequential model `{ class_name: 'Sequential', config: { name,
 * layers } }` with `batch_input_shape` on the first layer; for a functional
 * model `{ class_name: 'Model', config: { name, layers, input_layers,
 * output_layers } }`, each layer with its `inbound_nodes` (one list per
 * application: `[layer, node index, output index, {}]` for every tensor it
 * reads, a recurrent layer's initial states after its input). A model used
 * as a layer is written in place, as its own topology. `tf.loadLayersModel`
 * reads both.
 */
import { files, hdf5Writer } from '#platform';
import type { Tensor } from '../../autograd/index.ts';
import type { Optimizer } from '../../optim/index.ts';
import type { Layer, ShapeSpec } from '../layers/layer.ts';
import type { LossName } from '../losses.ts';
import type { MetricName } from '../metrics.ts';
import { nodeIndexAmong } from '../model/graph.ts';
import type { Model } from '../model/model.ts';
import type { SymbolicTensor } from '../model/symbolic.ts';
import { requireFiles } from '../platform/types.ts';
import { VERSION } from '../version.ts';
import { artifactsInfo, encodeWeights, weightBytes, type IOHandler, type ModelArtifacts, type SaveResult, type TrainingConfig, type WeightSpec } from './artifacts.ts';
import { layerToConfig, type LayerEntry } from './config.ts';
import { kerasFileKind } from './keras-paths.ts';
import type { JsonObject, JsonValue } from './json.ts';
import { writeModelFiles } from './model-files.ts';
import { optimizerWeights, trainingConfigOf } from './training-config.ts';

export interface SaveOptions {
  /** Also store the optimizer's state and the compile settings, so training can go on after loading (default false). */
  includeOptimizer?: boolean;
}

/** What writing a model needs of it (Sequential and functional models provide it). */
export interface SavableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly built: boolean;
  /** The input shape, batch first (null for a model with several inputs). */
  readonly batchInputShape: ShapeSpec | null;
  readonly optimizer: Optimizer | null;
  /** The loss when one loss serves every output. */
  readonly loss: LossName | null;
  readonly metricNames: readonly MetricName[];
  namedWeights(): Array<[string, Tensor]>;
  trainableNamedWeights(): Array<[string, Tensor]>;
}

/** A model's topology: what `class_name` and `config` say of it in a file. */
export function modelEntry(model: Model): LayerEntry {
  if (!model.built) {
    throw new Error(`${model.name}: save() needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
  }
  if (model.className === 'Sequential') {
    const shape = model.batchInputShape!;
    const layers = model.layers.map((layer, i) => layerEntry(layer, i === 0 ? shape : undefined));
    return { class_name: 'Sequential', config: { name: model.name, layers: layers.map((l) => ({ ...l })) } };
  }
  const nodes = model.nodes;
  const reference = (x: SymbolicTensor): [string, number, number] => [x.node.layer.name, nodeIndexAmong(nodes, x.node), x.outputIndex];
  const layers: JsonValue[] = model.layers.map((layer) => {
    const inbound = layer.inboundNodes.filter((n) => n.inputs.length > 0 && nodes.includes(n))
      .map((n) => n.inputs.map((x): JsonValue => [...reference(x), {}]));
    const entry = layerEntry(layer);
    return { name: layer.name, class_name: entry.class_name, config: entry.config, inbound_nodes: inbound };
  });
  return {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: model.inputs.map(reference), output_layers: model.outputs.map(reference) },
  };
}

function isModel(layer: Layer): layer is Model {
  return layer.className === 'Model' || layer.className === 'Sequential';
}

function layerEntry(layer: Layer, batchInputShape?: ReadonlyArray<number | null>): LayerEntry {
  return isModel(layer) ? modelEntry(layer) : layerToConfig(layer, batchInputShape);
}

/**
 * The training config of a compiled model as TF.js writes it: one loss and
 * one list of metrics, or (several outputs) losses, metrics and loss
 * weights keyed by output name, as Keras writes them. TF.js reads the
 * losses and metrics; it refuses loss_weights, so they are written only
 * when some weight is not 1. Each output's loss and metrics pass through
 * `trainingConfigOf`, which refuses what TF.js cannot read back (a loss or
 * metric with options, a metric TF.js does not know) and an optimizer it
 * cannot hold or would train differently (weight decay, Nadam).
 */
export function tfjsTrainingConfig(model: Model): TrainingConfig {
  const optimizer = model.optimizer;
  const losses = model.lossObjects;
  if (!optimizer || losses.length === 0) throw new Error(`${model.name}: save({ includeOptimizer: true }) needs a compiled model; call compile() first`);
  const names = model.outputNames.length === losses.length ? model.outputNames : losses.map((_, i) => `output_${i}`);
  const metrics = model.outputMetrics;
  const configs = losses.map((loss, i) => trainingConfigOf(optimizer, loss, metrics[i], names[i]));
  const config = configs[0];
  const byOutput = <T>(values: readonly T[]): Record<string, T> => Object.fromEntries(values.map((v, i) => [names[i], v]));
  const same = <T>(values: readonly T[]): boolean => values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));
  if (!same(configs.map((c) => c.loss))) Object.assign(config, { loss: byOutput(configs.map((c) => c.loss)) });
  if (!same(configs.map((c) => c.metrics))) Object.assign(config, { metrics: byOutput(configs.map((c) => c.metrics)) });
  if (model.lossWeights.some((w) => w !== 1)) Object.assign(config, { loss_weights: byOutput(model.lossWeights) });
  return config;
}

/** The model as TF.js ModelArtifacts. */
export function modelArtifacts(model: Model, options: SaveOptions = {}): ModelArtifacts {
  for (const key of Object.keys(options)) {
    if (key !== 'includeOptimizer') throw new Error(`model.save: unknown option '${key}'; known: includeOptimizer`);
  }
  if (!model.built) {
    throw new Error(`${model.name}: save() needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
  }
  const named = model.namedWeights();
  const seen = new Map<string, Tensor>();
  for (const [name, t] of named) {
    if (t.dtype !== 'float32') throw new Error(`${model.name}: weight ${name} is ${t.dtype}; the TF.js format stores float32 weights only`);
    if (seen.has(name)) throw new Error(`${model.name}: two weights are named ${name}; give the layers unique names (a file binds weights by name)`);
    seen.set(name, t);
  }
  const entry = modelEntry(model);
  const artifacts: ModelArtifacts = {
    modelTopology: { ...entry, keras_version: `unrolled ${VERSION}`, backend: 'unrolled' } as unknown as JsonObject,
    format: 'layers-model',
    generatedBy: `Unrolled ${VERSION}`,
    convertedBy: null,
  };
  const specs: WeightSpec[] = named.map(([name, t]) => ({ name, shape: [...t.shape], dtype: 'float32' }));
  const values: Array<ArrayLike<number>> = named.map(([, t]) => t.data);
  if (options.includeOptimizer) {
    artifacts.trainingConfig = tfjsTrainingConfig(model);
    const state = optimizerWeights(model.optimizer!, model.trainableNamedWeights());
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
 * `weights.bin`), a path ending in `.json`, a `.keras` file (Keras 3), or a
 * `file://` URL.
 */
export async function saveModel(model: Model, target: string | IOHandler, options: SaveOptions = {}): Promise<SaveResult> {
  if (isHandler(target)) return target.save!(modelArtifacts(model, options));
  if (typeof target !== 'string' || target.length === 0) {
    throw new Error(`${model.name}: save() takes a folder path or an IOHandler with a save(artifacts) method, got ${target === null ? 'null' : typeof target}`);
  }
  const path = target.startsWith('file://') ? target.slice('file://'.length) : target;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new Error(`${model.name}: save('${target}'): only folder paths and file:// are supported; for other storage pass an IOHandler`);
  }
  if (kerasFileKind(path) !== null) {
    // Loaded here, not at the top: the Keras readers import the model classes, which import this file.
    const { saveKerasFile } = await import('./keras-files.ts');
    return saveKerasFile(model, path, target, options, { files, hdf5Writer });
  }
  const fs = requireFiles(files, `${model.name}.save('${target}')`);
  const artifacts = modelArtifacts(model, options);
  writeModelFiles(fs, path, artifacts, weightBytes(artifacts.weightData));
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}
