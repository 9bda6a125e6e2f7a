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
import { files, hdf5Writer } from '#platform';
import { Tensor } from '../../autograd/index.ts';
import { InputLayer } from '../layers/input-layer.ts';
import type { Layer } from '../layers/layer.ts';
import { Loss, type LossName } from '../losses.ts';
import { Metric, type MetricIdentifier } from '../metrics.ts';
import { isModelLayer } from '../model/graph.ts';
import { Model, type CompileOptions, type ModelOutputs } from '../model/model.ts';
import { Sequential } from '../model/sequential.ts';
import type { Node, SymbolicTensor } from '../model/symbolic.ts';
import type { Optimizer } from '../../optim/index.ts';
import { requireFiles } from '../platform/types.ts';
import { checkWeightSpec, decodeWeights, topologyOf, weightBytes, type DecodedWeight, type IOHandler, type ModelArtifacts } from './artifacts.ts';
import { layerFromConfig, type ReadContext } from './config.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';
import { loadKerasFile, readKerasBytes } from './keras-files.ts';
import { kerasFileKind } from './keras-paths.ts';
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
function bindWeights(model: Model, weights: readonly DecodedWeight[], where: string): void {
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
 * The InputLayer that keeps a stateful Sequential model's fixed batch size
 * (TF.js and Keras ≤ 2 write it in the first layer's `batch_input_shape`):
 * Keras and TF.js build a stateful layer's states for that batch size and
 * take batches of that size only, so the model keeps it (and writes it
 * again). Without a stateful layer, a fixed batch size is dropped and any
 * batch size predicts.
 */
export function statefulInput(entries: readonly JsonValue[]): InputLayer[] {
  if (!JSON.stringify(entries).includes('"stateful":true')) return [];
  const first = entries[0];
  // An InputLayer entry keeps its batch size itself.
  if (!isObject(first) || own(first, 'class_name') === 'InputLayer') return [];
  const config = own(first, 'config');
  const shape = isObject(config) ? own(config, 'batch_input_shape') : undefined;
  if (!Array.isArray(shape) || shape.length < 2 || !Number.isSafeInteger(shape[0]) || (shape[0] as number) <= 0) return [];
  const rest = shape.slice(1);
  if (!rest.every((d) => d === null || (Number.isSafeInteger(d) && (d as number) > 0))) return [];
  const name = own(config as JsonObject, 'name');
  return [new InputLayer({ inputShape: rest as Array<number | null>, batchSize: shape[0] as number, ...(typeof name === 'string' ? { name: `${name}_input` } : {}) })];
}

/** The class names of a model inside a model file. */
const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'];

/** A layer entry of the file, read after `context.entryOf` has put it in Keras 2's words. */
function layerOf(entry: JsonValue, context: ReadContext, where: string, first: boolean): Layer {
  return layerFromConfig(context.entryOf ? context.entryOf(entry, where, first) : entry, context, where);
}

/** The model an entry `{ class_name, config }` describes: Sequential, or functional (`Model`, Keras's `Functional`). */
export function modelFromEntry(entry: JsonObject, context: ReadContext, where: string): Model {
  const cls = own(entry, 'class_name');
  if (cls === 'Sequential') {
    const { name, entries } = sequentialLayers(entry, where);
    const layers = entries.map((e, i) => (isObject(e) && MODEL_CLASSES.includes(own(e, 'class_name') as string)
      ? modelFromEntry(e, context, `${where}, layer ${i}`)
      : layerOf(e, context, `${where}, layer ${i}`, i === 0)));
    return sequentialOf([...statefulInput(entries), ...layers], name, where);
  }
  if (cls === 'Model' || cls === 'Functional') return functionalOf(own(entry, 'config'), context, where);
  throw new Error(`${where}: the model is a ${describe(cls)}; supported: ${MODEL_CLASSES.join(', ')}`);
}

/** One `[layer, node index, output index]` reference of a file, checked. */
function referenceOf(value: JsonValue, where: string): { layer: string; node: number; output: number; kwargs: JsonValue | undefined } {
  if (!Array.isArray(value) || value.length < 3 || value.length > 4 || typeof value[0] !== 'string'
    || !Number.isSafeInteger(value[1]) || (value[1] as number) < 0 || !Number.isSafeInteger(value[2]) || (value[2] as number) < 0) {
    throw new Error(`${where}: a tensor reference must be [layer name, node index, output index], got ${describe(value)}`);
  }
  return { layer: value[0], node: value[1] as number, output: value[2] as number, kwargs: value[3] };
}

/** `input_layers` / `output_layers`: a list of references, or one reference alone. */
function referencesOf(value: JsonValue | undefined, key: string, where: string): JsonValue[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${where}: the functional config's ${key} must be a non-empty list of [layer name, node index, output index], got ${describe(value)}`);
  return typeof value[0] === 'string' ? [value] : value;
}

/**
 * A functional model from its config `{ name, layers, input_layers,
 * output_layers }`: every layer is made, then each of its inbound nodes is
 * applied, in file order per layer, as soon as the tensors it reads exist
 * (a shared layer may read from nodes further down the list, as TF.js
 * allows).
 */
function functionalOf(config: JsonValue | undefined, context: ReadContext, where: string): Model {
  if (!isObject(config)) throw new Error(`${where}: the functional model's config must be an object { name, layers, input_layers, output_layers }, got ${describe(config)}`);
  const entries = own(config, 'layers');
  if (!Array.isArray(entries)) throw new Error(`${where}: the functional config has no list of layers (got ${describe(entries)})`);
  const byName = new Map<string, Layer>();
  const pending: Array<{ layer: Layer; nodes: JsonValue[]; at: string }> = [];
  // A file numbers a layer's nodes among this model's applications of it (a layer may be applied in other models too).
  const applied = new Map<Layer, Node[]>();
  entries.forEach((entry, i) => {
    const at = `${where}, layer ${i}`;
    if (!isObject(entry)) throw new Error(`${at}: a layer must be an object { name, class_name, config, inbound_nodes }, got ${describe(entry)}`);
    const name = own(entry, 'name');
    if (typeof name !== 'string' || name.length === 0) throw new Error(`${at}: a layer of a functional model needs a name, got ${describe(name)}`);
    if (byName.has(name)) throw new Error(`${at}: two layers are named '${name}'`);
    const cls = own(entry, 'class_name');
    const layer = MODEL_CLASSES.includes(cls as string) ? modelFromEntry(entry, context, `${at} ('${name}')`) : layerOf(entry, context, at, false);
    if (layer.name !== name) throw new Error(`${at}: the layer is named '${name}' but its config names it '${layer.name}'`);
    const inbound = own(entry, 'inbound_nodes') ?? [];
    if (!Array.isArray(inbound)) throw new Error(`${at} ('${name}'): inbound_nodes must be a list, got ${describe(inbound)}`);
    byName.set(name, layer);
    // An InputLayer's node is its own, not an application.
    applied.set(layer, layer.inboundNodes.filter((n) => n.inputs.length === 0));
    pending.push({ layer, nodes: [...inbound], at: `${at} ('${name}')` });
  });
  const tensorOf = (ref: ReturnType<typeof referenceOf>, at: string, done: boolean): SymbolicTensor | null => {
    const source = byName.get(ref.layer);
    if (!source) throw new Error(`${at}: reads from a layer '${ref.layer}' that the file does not have; its layers are ${[...byName.keys()].join(', ')}`);
    // A nested model's applications count from 1 in a file (its node 0 is its own graph).
    const first = isModelLayer(source) ? 1 : 0;
    const node = applied.get(source)?.[ref.node - first];
    if (!node) {
      if (!done && ref.node >= first) return null;
      const count = applied.get(source)?.length ?? 0;
      throw new Error(`${at}: reads node ${ref.node} of '${ref.layer}', which has ${count === 0 ? 'no nodes' : `node${count === 1 ? '' : 's'} ${first} to ${first + count - 1}`}`);
    }
    const tensor = node.outputs[ref.output];
    if (!tensor) throw new Error(`${at}: reads output ${ref.output} of '${ref.layer}' node ${ref.node}, which has ${node.outputs.length} output(s)`);
    return tensor;
  };
  for (let progress = true; progress;) {
    progress = false;
    for (const p of pending) {
      while (p.nodes.length > 0) {
        const node = p.nodes[0];
        const at = `${p.at}, inbound node ${(applied.get(p.layer)?.length ?? 0) + (isModelLayer(p.layer) ? 1 : 0)}`;
        if (!Array.isArray(node) || node.length === 0) throw new Error(`${at}: a node must be a non-empty list of tensor references, got ${describe(node)}`);
        const refs = node.map((r) => referenceOf(r, at));
        for (const r of refs) {
          if (r.kwargs !== undefined && r.kwargs !== null && !(isObject(r.kwargs) && Object.keys(r.kwargs).every((k) => k === 'training' || (k === 'mask' && own(r.kwargs as JsonObject, k) === null)))) {
            throw new Error(`${at}: call arguments ${describe(r.kwargs)} are not supported; Unrolled reads a layer's inputs (and a recurrent layer's initial states) from the node's tensor list`);
          }
        }
        const inputs = refs.map((r) => tensorOf(r, at, false));
        if (inputs.some((t) => t === null)) break;
        try {
          p.layer.apply(inputs.length === 1 ? inputs[0]! : (inputs as SymbolicTensor[]));
          applied.set(p.layer, [...(applied.get(p.layer) ?? []), p.layer.inboundNodes[p.layer.inboundNodes.length - 1]]);
        } catch (e) {
          throw new Error(`${at}: ${(e as Error).message}`);
        }
        p.nodes.shift();
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.nodes.length > 0);
  if (stuck) {
    const refs = (stuck.nodes[0] as JsonValue[]).map((r) => referenceOf(r, stuck.at));
    refs.forEach((r) => tensorOf(r, `${stuck.at}, inbound node ${applied.get(stuck.layer)?.length ?? 0}`, true));
  }
  const endpoints = (key: string): SymbolicTensor[] => referencesOf(own(config, key), key, where).map((r) => {
    const ref = referenceOf(r, `${where}, ${key}`);
    return tensorOf(ref, `${where}, ${key}`, true)!;
  });
  const inputs = endpoints('input_layers');
  const outputs = endpoints('output_layers');
  const name = own(config, 'name');
  const args = { inputs, outputs: (outputs.length === 1 ? outputs[0] : outputs) as ModelOutputs };
  try {
    return new Model(typeof name === 'string' && name.length > 0 ? { ...args, name } : args);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/**
 * A value of the compile settings `compileOptionsOf` reads: JSON as a file
 * spells it, or a loss or metric object already read from one (a .keras
 * file's loss and metric objects with options).
 */
export type SettingsValue = JsonValue | Loss | Metric | readonly SettingsValue[] | { readonly [key: string]: SettingsValue | undefined };
/** Compile settings in the training-config shape: `{ loss, metrics, loss_weights, … }`. */
export interface TrainingSettings { readonly [key: string]: SettingsValue | undefined }

function field(o: { readonly [key: string]: SettingsValue | undefined }, key: string): SettingsValue | undefined {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function isPlainObject(v: SettingsValue | undefined): v is { readonly [key: string]: SettingsValue | undefined } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Loss) && !(v instanceof Metric);
}

/** One loss of the settings: an object as it is, a name (or a serialized loss of default options) as its name. */
function settingsLoss(entry: SettingsValue | undefined, where: string): LossName | Loss {
  if (entry instanceof Loss) return entry;
  return compileSettingsOf({ loss: (entry ?? null) as JsonValue, metrics: [] }, where).loss;
}

/** A list of metrics of the settings (one entry stands for a list of one): objects as they are, names as Unrolled spells them. */
function settingsMetrics(list: SettingsValue, where: string): MetricIdentifier[] {
  const entries: readonly SettingsValue[] = Array.isArray(list) ? list : [list];
  return entries.map((m) => (m instanceof Metric ? m : compileSettingsOf({ loss: 'mse', metrics: [m as JsonValue] }, where).metrics[0]));
}

/** The compile settings of a training config: one loss, or one per output (a list, or keyed by output name). */
export function compileOptionsOf(model: Model, training: TrainingSettings, optimizer: Optimizer, where: string): CompileOptions {
  const loss = field(training, 'loss');
  const names = model.outputNames;
  const m = field(training, 'metrics');
  if (typeof loss === 'string' || loss === undefined || loss === null || loss instanceof Loss) {
    // TF.js writes {} for a model compiled without metrics.
    const list = m === undefined || m === null || (isPlainObject(m) && Object.keys(m).length === 0) ? [] : m;
    if (!Array.isArray(list)) throw new Error(`${where}: training config metrics must be a list of names, got ${describe(list as JsonValue)}`);
    return { optimizer, loss: settingsLoss(loss, where), metrics: settingsMetrics(list, where) };
  }
  let losses: Array<LossName | Loss>;
  if (Array.isArray(loss)) {
    if (loss.length !== names.length) throw new Error(`${where}: the training config has ${loss.length} losses for ${names.length} outputs (${names.join(', ')})`);
    losses = loss.map((l, i) => settingsLoss(l, `${where}, loss of output '${names[i]}'`));
  } else if (isPlainObject(loss)) {
    losses = names.map((n) => {
      if (field(loss, n) === undefined) throw new Error(`${where}: the training config has no loss for output '${n}'; it names ${Object.keys(loss).join(', ')}`);
      return settingsLoss(field(loss, n), `${where}, loss of output '${n}'`);
    });
  } else {
    throw new Error(`${where}: training config loss must be a name, a list or an object keyed by output name, got ${describe(loss as JsonValue)}`);
  }
  let metrics: CompileOptions['metrics'] = [];
  if (isPlainObject(m) && Object.keys(m).length > 0) {
    const byOutput: Record<string, MetricIdentifier[]> = {};
    for (const n of names) {
      const list = field(m, n);
      if (list !== undefined) byOutput[n] = settingsMetrics(list, `${where}, metrics of '${n}'`);
    }
    metrics = byOutput;
  } else if (Array.isArray(m)) {
    metrics = settingsMetrics(m, where);
  }
  const w = field(training, 'loss_weights');
  let lossWeights: number[] | undefined;
  if (Array.isArray(w)) lossWeights = w.map((v) => v as number);
  else if (isPlainObject(w)) lossWeights = names.map((n) => (field(w, n) ?? 1) as number);
  return { optimizer, loss: losses, metrics, ...(lossWeights ? { lossWeights } : {}) };
}

/**
 * Loads a model: from a folder or model.json path (Node), an IOHandler
 * (`{ load() }`, e.g. `tf.io.fromMemory(…)`), or ModelArtifacts; from a
 * Keras file, by its path (`.keras`, `.h5`; Node) or its bytes (anywhere:
 * the zip signature means .keras, the HDF5 signature legacy .h5). Sequential
 * and functional models; for a model with several outputs, type it as
 * `loadModel<SymbolicTensor[]>(…)` to have `predict` typed as a list. With a
 * training config in the file, the model comes back compiled, with its
 * optimizer's state when that was saved too.
 */
export async function loadModel<O extends ModelOutputs = SymbolicTensor>(source: string | IOHandler | ModelArtifacts | Uint8Array | ArrayBuffer): Promise<Model<O>> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    return await readKerasBytes(source instanceof Uint8Array ? source : new Uint8Array(source), 'loadModel(bytes)') as Model<O>;
  }
  if (typeof source === 'string') {
    const path = source.startsWith('file://') ? source.slice('file://'.length) : source;
    if (kerasFileKind(path) !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      return await loadKerasFile(path, source, { files, hdf5Writer }) as Model<O>;
    }
  }
  const { artifacts, where } = await artifactsOf(source);
  if (artifacts === null || typeof artifacts !== 'object') throw new Error(`${describeSource(source)}: the handler gave no artifacts`);
  const topology = topologyOf(artifacts.modelTopology as JsonValue | undefined, where);
  const { model: modelConfig, training } = modelConfigOf(topology, artifacts, where);

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

  const model = modelFromEntry(modelConfig, context, where);
  bindWeights(model, modelWeights, where);

  if (training) {
    const optimizer = optimizerFromConfig(own(training, 'optimizer_config'), `${where}, training config`);
    model.compile(compileOptionsOf(model, training, optimizer, `${where}, training config`));
    const state = weights.filter((w) => w.spec.group === 'optimizer');
    if (state.length > 0) {
      const values = new Map<string, ArrayLike<number>>(state.map((w) => [w.spec.name, w.values]));
      restoreOptimizerWeights(optimizer, model.trainableNamedWeights(), values, `${where}, optimizer weights`);
    }
  }
  return model as Model<O>;
}

/** Copies of the model's weights keyed as in a file, for comparisons. */
export function weightsByName(model: Model): Map<string, Tensor> {
  return new Map(model.namedWeights().map(([n, t]) => [n, t.detach()]));
}
