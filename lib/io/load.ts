/**
 * `loadModel(source)`: a model from TF.js LayersModel artifacts — a folder
 * or model.json on disk (Node), an IOHandler with `load()`, or the
 * artifacts themselves. It reads every variant real files show: the
 * Sequential config as a bare list or `{ name, layers }`, the Python
 * converter's `model_config` wrapper with its `training_config`, weights
 * bound by name with or without a cell segment (`lstm/lstm_cell/kernel`) and
 * `:0`. The model is returned only when every weight has found its place;
 * anything that does not fit is an error naming the file, the weight and
 * the numbers.
 */
import { files } from '#platform';
import { Tensor } from '../../autograd/index.ts';
import { InputLayer } from '../layers/input-layer.ts';
import type { Layer } from '../layers/layer.ts';
import { Sequential } from '../model/sequential.ts';
import { requireFiles } from '../platform/types.ts';
import { checkWeightSpec, decodeWeights, topologyOf, weightBytes, type DecodedWeight, type IOHandler, type ModelArtifacts } from './artifacts.ts';
import { layerFromConfig, type ReadContext } from './config.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';
import { isHdf5 } from './hdf5.ts';
import { readKerasH5 } from './keras-h5.ts';
import { readModelFiles } from './model-files.ts';
import { compileSettingsOf, optimizerFromConfig, restoreOptimizerWeights } from './training-config.ts';

/** A weight name without TF's `:0` suffix. */
function withoutIndex(name: string): string {
  return name.replace(/:\d+$/, '');
}

/** A weight name without a cell segment before its last part (`lstm/lstm_cell/kernel` → `lstm/kernel`). */
function withoutCell(name: string): string {
  return name.replace(/\/[^/]*cell[^/]*\/(?=[^/]+$)/, '/');
}

function describeSource(source: unknown): string {
  return typeof source === 'string' ? source : 'the artifacts';
}

async function artifactsOf(source: string | IOHandler | ModelArtifacts): Promise<{ artifacts: ModelArtifacts; where: string }> {
  if (typeof source === 'string') {
    const path = source.startsWith('file://') ? source.slice('file://'.length) : source;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      throw new Error(`loadModel('${source}'): only file paths and file:// are read; fetch other URLs yourself and pass the artifacts`);
    }
    if (/\.keras$/i.test(path)) {
      throw new Error(`loadModel('${source}'): .keras files are not supported yet; convert to the TF.js format or load a folder with model.json`);
    }
    const fs = requireFiles(files, `loadModel('${source}')`);
    const st = fs.stat(path);
    const json = st?.isDirectory ? fs.join(path, 'model.json') : path;
    return { artifacts: readModelFiles(fs, path), where: json };
  }
  if (source !== null && typeof source === 'object' && typeof (source as IOHandler).load === 'function') {
    return { artifacts: await (source as IOHandler).load!(), where: 'loadModel(handler)' };
  }
  if (source !== null && typeof source === 'object' && 'modelTopology' in source) {
    return { artifacts: source as ModelArtifacts, where: 'loadModel(artifacts)' };
  }
  throw new Error(`loadModel: expected a path, an IOHandler with load(), or ModelArtifacts { modelTopology, weightSpecs, weightData }, got ${source === null ? 'null' : typeof source}`);
}

/** Unwraps the converter's `{ model_config, training_config }`; returns the model's `{ class_name, config }` and any training config. */
function modelConfigOf(topology: JsonObject, artifacts: ModelArtifacts, where: string): { model: JsonObject; training: JsonObject | null } {
  const wrapped = own(topology, 'model_config');
  const model = wrapped === undefined ? topology : wrapped;
  if (!isObject(model)) throw new Error(`${where}: model_config must be an object, got ${describe(model)}`);
  const training = own(topology, 'training_config') ?? (artifacts.trainingConfig as unknown as JsonValue | undefined) ?? null;
  if (training !== null && !isObject(training)) throw new Error(`${where}: the training config must be an object, got ${describe(training)}`);
  return { model, training };
}

function sequentialLayers(model: JsonObject, where: string): { name: string | undefined; entries: JsonValue[] } {
  const cls = own(model, 'class_name');
  if (cls !== 'Sequential') {
    const known = cls === 'Model' || cls === 'Functional' ? 'functional models are not supported yet' : 'only Sequential models are supported';
    throw new Error(`${where}: the model is a ${describe(cls)}; ${known}`);
  }
  const config = own(model, 'config');
  if (Array.isArray(config)) return { name: undefined, entries: config };
  if (isObject(config)) {
    const layers = own(config, 'layers');
    const name = own(config, 'name');
    if (!Array.isArray(layers)) throw new Error(`${where}: the Sequential config has no list of layers (got ${describe(layers)})`);
    return { name: typeof name === 'string' ? name : undefined, entries: layers };
  }
  throw new Error(`${where}: the Sequential config must be a list of layers or { name, layers }, got ${describe(config)}`);
}

/**
 * Binds every model weight to exactly one weight of the file — by its name,
 * else by its name without the cell segment — checking shapes; lists what is
 * missing or left over.
 */
function bindWeights(model: Sequential, weights: readonly DecodedWeight[], where: string): void {
  const exact = new Map<string, DecodedWeight>();
  const loose = new Map<string, DecodedWeight[]>();
  for (const w of weights) {
    const key = withoutIndex(w.spec.name);
    if (exact.has(key)) throw new Error(`${where}: two weights are named '${key}' (${exact.get(key)!.spec.name} and ${w.spec.name})`);
    exact.set(key, w);
    const short = withoutCell(key);
    loose.set(short, [...(loose.get(short) ?? []), w]);
  }
  const named = model.namedWeights();
  const found = new Map<string, DecodedWeight>();
  const missing: string[] = [];
  for (const [name, t] of named) {
    const candidates = exact.has(name) ? [exact.get(name)!] : (loose.get(name) ?? []);
    if (candidates.length > 1) throw new Error(`${where}: weights ${candidates.map((c) => `'${c.spec.name}'`).join(' and ')} both fit ${name}`);
    if (candidates.length === 0) missing.push(`${name} [${t.shape.join(', ')}]`);
    else found.set(name, candidates[0]);
  }
  if (missing.length > 0) {
    throw new Error(`${where}: the file has no weight for ${missing.join(', ')}; it has ${[...exact.keys()].join(', ')}`);
  }
  const used = new Set(found.values());
  const extra = weights.filter((w) => !used.has(w));
  if (extra.length > 0) {
    throw new Error(`${where}: the model has no place for weight ${extra.map((w) => `'${w.spec.name}' [${w.spec.shape.join(', ')}]`).join(', ')}; its weights are ${named.map(([n]) => n).join(', ')}`);
  }
  for (const [name, t] of named) {
    const w = found.get(name)!;
    if (w.spec.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`${where}: weight '${w.spec.name}' is [${w.spec.shape.join(', ')}] in the file, the model's ${name} is [${t.shape.join(', ')}]`);
    }
    if (w.spec.dtype !== 'float32') throw new Error(`${where}: weight '${w.spec.name}' is ${w.spec.dtype}; model weights are float32`);
  }
  for (const [name, t] of named) t.data.set(found.get(name)!.values);
}

/**
 * A Sequential model of `layers` read from a file (an InputLayer, if any,
 * first), built from the input shape they declare; `where` names the file.
 */
export function sequentialOf(layers: readonly Layer[], name: string | undefined, where: string): Sequential {
  const model = new Sequential([], name === undefined ? {} : { name });
  for (const layer of layers) {
    if (layer instanceof InputLayer && model.layers.length > 0) {
      throw new Error(`${where}: an InputLayer (${layer.name}) after other layers; it must come first`);
    }
    model.add(layer);
  }
  if (!model.built) {
    const first = model.layers[0];
    throw new Error(`${where}: the topology declares no input shape (no batch_input_shape on the first layer${first ? `, '${first.name}' (${first.className})` : ''}, no InputLayer), so the weights have no shapes to fit`);
  }
  return model;
}

/**
 * Loads a model: from a folder or model.json path (Node), an IOHandler
 * (`{ load() }`, e.g. `tf.io.fromMemory(…)`), or ModelArtifacts. With a
 * training config in the file, the model comes back compiled, with its
 * optimizer's state when that was saved too.
 */
export async function loadModel(source: string | IOHandler | ModelArtifacts | Uint8Array | ArrayBuffer): Promise<Sequential> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    if (isHdf5(bytes)) return readKerasH5(bytes, 'loadModel(bytes)');
    throw new Error(`loadModel(bytes): ${bytes.byteLength} bytes without the HDF5 signature, so not a legacy Keras .h5 file; other formats are passed as a path, an IOHandler or ModelArtifacts`);
  }
  if (typeof source === 'string') {
    const path = source.startsWith('file://') ? source.slice('file://'.length) : source;
    if (/\.(h5|hdf5)$/i.test(path) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      const fs = requireFiles(files, `loadModel('${source}')`, "pass the file's bytes (a Uint8Array or ArrayBuffer) instead");
      const st = fs.stat(path);
      if (!st || !st.isFile) throw new Error(`loadModel('${source}'): no file at ${path}`);
      return readKerasH5(fs.readFile(path), path);
    }
  }
  const { artifacts, where } = await artifactsOf(source);
  if (artifacts === null || typeof artifacts !== 'object') throw new Error(`${describeSource(source)}: the handler gave no artifacts`);
  const topology = topologyOf(artifacts.modelTopology as JsonValue | undefined, where);
  const { model: modelConfig, training } = modelConfigOf(topology, artifacts, where);
  const { name, entries } = sequentialLayers(modelConfig, where);

  const declared: unknown = artifacts.weightSpecs ?? [];
  if (!Array.isArray(declared)) throw new Error(`${where}: weightSpecs must be a list, got ${describe(declared)}`);
  const specs = declared.map((spec) => checkWeightSpec(spec, where).spec);
  const weights = decodeWeights(specs, weightBytes(artifacts.weightData), where);
  const modelWeights = weights.filter((w) => w.spec.group !== 'optimizer');
  const shapes = new Map(modelWeights.map((w) => [withoutCell(withoutIndex(w.spec.name)), w.spec.shape]));
  const context: ReadContext = {
    file: where,
    weightShape: (n) => shapes.get(n) ?? [...shapes].find(([k]) => k.endsWith(`/forward_${n}`))?.[1],
  };

  const layers: Layer[] = entries.map((entry, i) => layerFromConfig(entry, context, `${where}, layer ${i}`));
  const model = sequentialOf(layers, name, where);
  bindWeights(model, modelWeights, where);

  if (training) {
    const optimizer = optimizerFromConfig(own(training, 'optimizer_config'), `${where}, training config`);
    const { loss, metrics } = compileSettingsOf(training, `${where}, training config`);
    model.compile({ optimizer, loss, metrics });
    const state = weights.filter((w) => w.spec.group === 'optimizer');
    if (state.length > 0) {
      const values = new Map<string, ArrayLike<number>>(state.map((w) => [w.spec.name, w.values]));
      restoreOptimizerWeights(optimizer, model.trainableNamedWeights(), values, `${where}, optimizer weights`);
    }
  }
  return model;
}

/** Copies of the model's weights keyed as in a file, for comparisons. */
export function weightsByName(model: Sequential): Map<string, Tensor> {
  return new Map(model.namedWeights().map(([n, t]) => [n, t.detach()]));
}
