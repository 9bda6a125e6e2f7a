/**
 * Keras 3's `.keras` files and `.weights.h5` files.
 *
 * A `.keras` file is a zip of `metadata.json`, `config.json` (the model as
 * `serialize_keras_object` writes it; see keras3-write.ts) and
 * `model.weights.h5`. The weights file has no weight names: Keras walks the
 * model and gives every object that saves variables a `vars` group, at a
 * path made of attribute names and, for the layers of a model, the snake_case
 * class name made unique in layer order (`layers/lstm`, `layers/lstm_1`; a
 * functional model's layers, InputLayers included, in the order of Keras's
 * `Functional.operations`, see `kerasOperations`):
 *
 *   vars                                   the model (empty), attribute name = model name
 *   layers/embedding/vars/0                Embedding: embeddings
 *   layers/lstm/vars                       a recurrent layer: empty …
 *   layers/lstm/cell/vars/0, 1, 2          … its cell: kernel, recurrent kernel, bias
 *   layers/bidirectional/backward_layer/…  Bidirectional: each copy as a recurrent layer
 *   layers/bidirectional/forward_layer/…
 *   layers/time_distributed/layer/vars/…   TimeDistributed: the wrapped layer
 *   layers/functional/vars                 a model used as a layer (`sequential` for a Sequential): empty …
 *   layers/functional/layers/lstm/…        … its own layers, named and walked as a top model's are
 *   optimizer/vars/0, 1, 2, …              iterations, learning rate, then the slots
 *
 * Every `vars` group carries a `name` attribute (the object's name) and
 * exists even when empty, as Keras ≥ 3.6 writes it. A `.weights.h5` file
 * (`model.save_weights`) is the same tree on its own.
 *
 * Reading works anywhere (the zip and the HDF5 file are read in memory);
 * writing needs the platform's HDF5 writer, which only Node has.
 */
import { hdf5Writer } from '#platform';
import type { FloatArray, Tensor } from '../../autograd/index.ts';
import { Adadelta, Adagrad, Adam, Nadam, RMSprop, SGD, type Optimizer, type OptimizerSlots } from '../../optim/index.ts';
import { Bidirectional } from '../layers/bidirectional.ts';
import { formatShapeSpec, type Layer, type ShapeSpec } from '../layers/layer.ts';
import { FusedRNN, RNN } from '../layers/recurrent.ts';
import { TimeDistributed } from '../layers/time-distributed.ts';
import { isModelLayer } from '../model/graph.ts';
import type { Model, ModelOutputs } from '../model/model.ts';
import type { SymbolicTensor } from '../model/symbolic.ts';
import type { Hdf5Node, Hdf5Writer } from '../platform/types.ts';
import { layerFromConfig, type ReadContext } from './config.ts';
import { openHdf5, Hdf5Dataset, Hdf5Group, type Hdf5File } from './hdf5.ts';
import { describe, isObject, own, parseJson, type JsonObject, type JsonValue } from './json.ts';
import { lostIdCount, readModelConfig, sharedObjectId, type ReadLayer, type ReadModel } from './keras3-read.ts';
import { compileSettingsFromKeras } from './keras3-read-compile.ts';
import { cellName, kerasOperations, graphMasksReaching, masksReaching, writeConfig, writeFunctionalConfig, writeMetadata } from './keras3-write.ts';
import { optimizerName, type CompiledSettings } from './keras3-write-compile.ts';
import { compileOptionsOf, modelFromEntry, sequentialOf } from './load.ts';
import type { SaveOptions } from './save.ts';
import { Loss } from '../losses.ts';
import { optimizerFromConfig } from './training-config.ts';
import { readZip, writeZip } from './zip.ts';

export { kerasOperations } from './keras3-write.ts';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

// ---------------------------------------------------------------- Keras's walk

/** `keras.src.utils.naming.to_snake_case`: `SimpleRNN` → `simple_rnn`, `TimeDistributed` → `time_distributed`. */
export function toSnakeCase(name: string): string {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** One `vars` group of the walk: where it is, the `name` attribute, and the weights it holds in order. */
export interface VarsGroup {
  /** The saved object's path ('' for the model); the group is `<path>/vars`. */
  path: string;
  name: string;
  /** The weights, with the model's names for them (for errors). */
  weights: Array<[string, Tensor]>;
}

export function varsPath(path: string): string {
  return path === '' ? 'vars' : `${path}/vars`;
}

/**
 * The groups of one layer at `path`. `visited` holds the objects already
 * saved: as Keras's `_save_state` does, an object met again (a layer used
 * both in the outer model and inside a model nested in it) is skipped, with
 * all it holds, so that its weights are written once, where it is met first.
 */
function walkLayer(layer: Layer, path: string, out: VarsGroup[], visited: Set<Layer>): void {
  if (visited.has(layer)) return;
  visited.add(layer);
  if (isModelLayer(layer)) {
    // A model used as a layer: its own (empty) vars, then its layers under its own layers/ subtree.
    const model = layer as Model;
    walkLayers(model.name, kerasLayers(model), path, out, visited);
  } else if (layer instanceof FusedRNN) {
    // A stateful layer's states are not among its variables (Keras creates them untracked): its vars stay empty.
    out.push({ path, name: layer.name, weights: [] });
    out.push({ path: `${path}/cell`, name: cellName(layer), weights: layer.namedWeights() });
  } else if (layer instanceof Bidirectional) {
    out.push({ path, name: layer.name, weights: [] });
    // Keras visits attributes in sorted order: backward_layer before forward_layer.
    walkLayer(layer.backwardLayer, `${path}/backward_layer`, out, visited);
    walkLayer(layer.forwardLayer, `${path}/forward_layer`, out, visited);
  } else if (layer instanceof TimeDistributed) {
    out.push({ path, name: layer.name, weights: [] });
    walkLayer(layer.layer, `${path}/layer`, out, visited);
  } else {
    out.push({ path, name: layer.name, weights: layer.namedWeights() });
  }
}

/** A model's layers as Keras walks them: a Sequential model's in order, a functional model's as `kerasOperations` orders them. */
export function kerasLayers(model: Model): Layer[] {
  return model.className === 'Sequential' ? model.layers : kerasOperations(model);
}

/**
 * The trainable weights in the order of Keras's `model.trainable_variables`
 * (layer by layer, each once, a nested model's in its own layers' order):
 * the optimizer's order.
 */
export function kerasTrainable(model: Model, layers: readonly Layer[]): Tensor[] {
  const of = (layer: Layer): Tensor[] => {
    if (!isModelLayer(layer)) return layer.trainableWeights();
    const inner = layer as Model;
    return kerasTrainable(inner, kerasLayers(inner));
  };
  return model.trainable ? [...new Set(layers.flatMap(of))] : [];
}

/** The snake_case name Keras's walk gives a layer's group: of its Keras class (a functional model is Keras's `Functional`). */
function kerasGroupName(layer: Layer): string {
  return toSnakeCase(layer.className === 'Model' ? 'Functional' : layer.className);
}

/**
 * The groups of a model's own vars (at `prefix`) and of its layers (at
 * `prefix/layers/<name>`). A layer already visited still takes its name
 * (`lstm`, then `lstm_1` for the next), as in Keras's `_save_container_state`,
 * which names every entry before it skips a visited one.
 */
function walkLayers(name: string, layers: readonly Layer[], prefix: string, out: VarsGroup[], visited: Set<Layer>): void {
  out.push({ path: prefix, name, weights: [] });
  const used = new Map<string, number>();
  const under = prefix === '' ? 'layers' : `${prefix}/layers`;
  for (const layer of layers) {
    const base = kerasGroupName(layer);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    walkLayer(layer, `${under}/${n === undefined ? base : `${base}_${n + 1}`}`, out, visited);
  }
}

/** The `vars` groups of a model, in the order Keras's `_save_state` visits them (the optimizer aside); `layers` in Keras's order. */
export function kerasVarsGroups(model: { readonly name: string; readonly layers: readonly Layer[] }): VarsGroup[] {
  const out: VarsGroup[] = [];
  walkLayers(model.name, model.layers, '', out, new Set());
  return out;
}

/**
 * The optimizer's variables after `iterations` and `learning_rate`, in
 * Keras 3's order, as (slot, parameter index): RMSprop all velocities, then
 * momentums (momentum > 0), then average gradients (centered); Adam a
 * momentum and a velocity per parameter, interleaved, then the velocity
 * maxima (amsgrad); SGD the momentums (momentum > 0); Adagrad the
 * accumulators; Adadelta an accumulated gradient and an accumulated delta
 * per parameter, interleaved; Nadam a momentum and a velocity per
 * parameter, interleaved (its `u_product` follows them: see
 * `nadamProductOf`). Interleaving is `add_optimizer_variables` with two
 * names (keras/src/optimizers/base_optimizer.py). Slots are Unrolled's
 * names (`getSlots`).
 */
export function kerasOptimizerLayout(optimizer: Optimizer, count: number): Array<{ slot: string; param: number }> {
  const each = (slot: string): Array<{ slot: string; param: number }> => Array.from({ length: count }, (_, param) => ({ slot, param }));
  if (optimizer instanceof RMSprop) {
    return [...each('velocity'), ...(optimizer.momentum > 0 ? each('momentum') : []), ...(optimizer.centered ? each('averageGrad') : [])];
  }
  const pairs = (a: string, b: string): Array<{ slot: string; param: number }> => Array.from({ length: count }, (_, param) => [{ slot: a, param }, { slot: b, param }]).flat();
  if (optimizer instanceof Adam) return [...pairs('momentum', 'velocity'), ...(optimizer.amsgrad ? each('velocityHat') : [])];
  if (optimizer instanceof SGD) return optimizer.momentum > 0 ? each('velocity') : [];
  if (optimizer instanceof Adagrad) return each('accumulator');
  if (optimizer instanceof Adadelta) return pairs('accumulatedGrad', 'accumulatedDelta');
  if (optimizer instanceof Nadam) return pairs('momentum', 'velocity');
  throw new Error(`${optimizer.name}: this optimizer cannot be saved in a Keras file; supported: SGD, RMSprop, Adam, Adagrad, Adadelta, Nadam`);
}

/**
 * Nadam's `u_product` after `iterations` steps: Π μ_t over t = 1 … n with
 * μ_t = β₁·(1 − ½·0.96ᵗ), as Keras 3 multiplies it in before each step
 * (`Nadam._backend_update_step`). Unrolled's Nadam computes it from the step
 * count, so the file's value is written for Keras and checked on reading.
 */
export function nadamProductOf(optimizer: Nadam, iterations: number): number {
  let product = 1;
  for (let t = 1; t <= iterations; t++) product *= optimizer.beta1 * (1 - 0.5 * 0.96 ** t);
  return product;
}

// ---------------------------------------------------------------- writing

function float32Of(data: FloatArray, what: string): Float32Array {
  if (data instanceof Float32Array) return data;
  throw new Error(`${what} is ${data.constructor.name}; Keras files hold float32 weights`);
}

/** The HDF5 objects of the weights file: the walk's groups and datasets, then the optimizer's when given. */
function weightNodes(model: Model, optimizer: Optimizer | null): Hdf5Node[] {
  const nodes: Hdf5Node[] = [];
  const layers = kerasLayers(model);
  for (const group of kerasVarsGroups({ name: model.name, layers })) {
    const vars = varsPath(group.path);
    nodes.push({ kind: 'group', path: vars, attributes: { name: group.name } });
    group.weights.forEach(([name, t], i) => {
      nodes.push({ kind: 'dataset', path: `${vars}/${i}`, shape: [...t.shape], dtype: 'float32', data: float32Of(t.data, `${model.name}: weight ${name}`) });
    });
  }
  if (optimizer) {
    const params = kerasTrainable(model, layers);
    const saved = optimizer.getSlots(params);
    const slots = new Map(saved.slots.map((s) => [s.name, s.values]));
    nodes.push({ kind: 'group', path: 'optimizer/vars', attributes: { name: optimizerName(optimizer) } });
    nodes.push({ kind: 'dataset', path: 'optimizer/vars/0', shape: [], dtype: 'int32', data: Int32Array.of(saved.iterations) });
    nodes.push({ kind: 'dataset', path: 'optimizer/vars/1', shape: [], dtype: 'float32', data: Float32Array.of(optimizer.learningRate) });
    const layout = kerasOptimizerLayout(optimizer, params.length);
    layout.forEach(({ slot, param }, k) => {
      const values = slots.get(slot)![param];
      nodes.push({
        kind: 'dataset', path: `optimizer/vars/${2 + k}`, shape: [...params[param].shape], dtype: 'float32',
        data: values instanceof Float32Array ? values : Float32Array.from(values),
      });
    });
    if (optimizer instanceof Nadam) {
      nodes.push({ kind: 'dataset', path: `optimizer/vars/${2 + layout.length}`, shape: [], dtype: 'float32', data: Float32Array.of(nadamProductOf(optimizer, saved.iterations)) });
    }
  }
  return nodes;
}

/**
 * The compile settings compile_config is written from: each output's loss
 * and metric objects (keras3-write-compile.ts writes names where the names say
 * all), loss weights only when one is not 1.
 */
export function compiledSettings(model: Model, optimizer: Optimizer): CompiledSettings {
  const metrics = model.outputMetrics;
  const names = model.outputNames.length === model.lossObjects.length ? model.outputNames : model.lossObjects.map((_, i) => `output_${i}`);
  return {
    optimizer,
    outputs: model.lossObjects.map((loss, i) => ({ name: names[i], loss, metrics: metrics[i] })),
    lossWeights: model.lossWeights.every((w) => w === 1) ? null : model.lossWeights,
  };
}

/** The stateful recurrent layers of a model, those of Bidirectional layers and nested models included. */
function statefulLayers(layers: readonly Layer[]): RNN[] {
  return layers.flatMap((layer): RNN[] => {
    if (isModelLayer(layer)) return statefulLayers((layer as Model).layers);
    if (layer instanceof Bidirectional) return [layer.forwardLayer, layer.backwardLayer].filter((l) => l.stateful);
    if (layer instanceof RNN && layer.stateful) return [layer];
    return [];
  });
}

/**
 * The batch shape config.json gives a model's input. Keras builds a
 * stateful layer's states for a fixed batch size and cannot load one
 * without it, so a model with stateful layers is written with its input's
 * fixed batch size, or else the batch size of the states they hold; with
 * neither it is refused. States are not written: Keras 3 creates them
 * untracked (`RNN._create_state_variables`), so they are not among the
 * saved variables, and a loaded model starts from zeros, as in Keras.
 */
function statefulBatchShape(model: Model, shape: ShapeSpec): ShapeSpec {
  const stateful = statefulLayers(kerasLayers(model));
  if (stateful.length === 0 || shape[0] !== null) return shape;
  const held = stateful.find((l) => l.states)?.states?.[0].shape[0];
  if (held !== undefined) return [held, ...shape.slice(1)];
  const first = stateful[0];
  throw new Error(`${model.name}: ${first.name} (${first.className}) is stateful, and Keras needs a fixed batch size to load a stateful layer; give the model an InputLayer with batchSize (or input({ batchShape })), or run a batch through it first`);
}

/** A functional model with stateful layers needs inputs of a fixed batch size, which its InputLayers write. */
function requireFixedInputs(model: Model): void {
  const stateful = statefulLayers(kerasLayers(model));
  const free = model.inputs.find((t) => t.shape[0] === null);
  if (stateful.length > 0 && free) {
    throw new Error(`${model.name}: ${stateful[0].name} (${stateful[0].className}) is stateful, and Keras needs a fixed batch size to load a stateful layer, but input '${free.node.layer.name}' has batch shape ${formatShapeSpec(free.shape)}; make it with input({ batchShape })`);
  }
}

/**
 * A model used as a layer is built in Keras from its own inputs, so one
 * with stateful layers needs a fixed batch size of its own: the outer
 * model's does not reach it.
 */
function requireFixedNested(model: Model): void {
  for (const layer of model.layers) {
    if (!isModelLayer(layer)) continue;
    const inner = layer as Model;
    const stateful = statefulLayers(inner.layers);
    const shapes = inner.className === 'Sequential' ? [inner.batchInputShape!] : inner.inputs.map((t) => t.shape);
    const free = shapes.find((s) => s[0] === null);
    if (stateful.length > 0 && free) {
      throw new Error(`${model.name}: ${stateful[0].name} (${stateful[0].className}) in the nested model '${inner.name}' is stateful, and Keras needs a fixed batch size to load a stateful layer, but '${inner.name}' takes inputs of batch shape ${formatShapeSpec(free)}; build '${inner.name}' with a fixed batch size too (an InputLayer with batchSize, or input({ batchShape }))`);
    }
    requireFixedNested(inner);
  }
}

function requireWriter(model: Model, what: string, writer: Hdf5Writer | null): Hdf5Writer {
  if (writer) return writer;
  throw new Error(`${model.name}: writing ${what} needs Node.js (its HDF5 writer), and this is the browser build of Unrolled; save in the TF.js format (an IOHandler) instead`);
}

function requireBuilt(model: Model, what: string): void {
  if (!model.built || (model.className === 'Sequential' && !model.batchInputShape)) {
    throw new Error(`${model.name}: ${what} needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
  }
}

/**
 * A `.keras` file of `model`, as Keras 3.12 writes it: metadata.json,
 * config.json, model.weights.h5, stored (not compressed). With
 * `includeOptimizer`, the compile settings (one loss or a list of one per
 * output, loss weights, metrics) and the optimizer's state are in it too
 * (Node only). Models used as layers are written nested, as Keras does.
 */
export async function writeKeras(model: Model, options: SaveOptions = {}, writer: Hdf5Writer | null = hdf5Writer): Promise<Uint8Array> {
  for (const key of Object.keys(options)) {
    if (key !== 'includeOptimizer') throw new Error(`${model.name}: save: unknown option '${key}'; known: includeOptimizer`);
  }
  const h5 = requireWriter(model, 'a .keras file', writer);
  requireBuilt(model, 'saving a .keras file');
  requireFixedNested(model);
  let compiled = null;
  if (options.includeOptimizer) {
    if (!model.optimizer) throw new Error(`${model.name}: save({ includeOptimizer: true }) needs a compiled model; call compile() first`);
    compiled = compiledSettings(model, model.optimizer);
  }
  const config = model.className === 'Sequential'
    ? writeConfig({ name: model.name, layers: model.layers, batchInputShape: statefulBatchShape(model, model.batchInputShape!), compiled })
    : (requireFixedInputs(model), writeFunctionalConfig({
      name: model.name, trainable: model.trainable, layers: kerasOperations(model), nodes: model.nodes,
      inputs: model.inputs, outputs: model.outputs, outputsListed: model.multipleOutputs, compiled,
    }));
  const weights = await h5.write(weightNodes(model, compiled ? compiled.optimizer : null));
  const saved = new Date();
  const text = new TextEncoder();
  return writeZip([
    { name: METADATA, data: text.encode(writeMetadata(saved)) },
    { name: CONFIG, data: text.encode(config) },
    { name: WEIGHTS, data: weights, modified: saved },
  ]);
}

/**
 * A `.weights.h5` file of `model`, as Keras 3's `model.save_weights` writes
 * it: the layers' tree and, for a compiled model, the optimizer's state (Node only).
 */
export async function writeKerasWeights(model: Model, writer: Hdf5Writer | null = hdf5Writer): Promise<Uint8Array> {
  const h5 = requireWriter(model, 'a .weights.h5 file', writer);
  requireBuilt(model, 'saving weights');
  return h5.write(weightNodes(model, model.optimizer));
}

// ---------------------------------------------------------------- reading

/** An open weights file and the name its errors start with. */
interface WeightsFile {
  root: Hdf5File;
  where: string;
}

function at(file: WeightsFile, path: string): string {
  return `${file.where}, '/${path}'`;
}

function groupAt(file: WeightsFile, path: string): Hdf5Group | undefined {
  const node = file.root.get(path);
  if (node === undefined || node instanceof Hdf5Group) return node;
  throw new Error(`${at(file, path)} is a dataset, where Keras writes a group`);
}

/** The datasets `0` … `n-1` of a vars group, checked: exactly those names, nothing else. */
function varsDatasets(file: WeightsFile, group: Hdf5Group, path: string, expected: number, whose: string): Hdf5Dataset[] {
  const names = group.children();
  const wanted = Array.from({ length: expected }, (_, i) => String(i));
  const extra = names.filter((n) => !wanted.includes(n));
  const missing = wanted.filter((n) => !names.includes(n));
  if (extra.length > 0 || missing.length > 0) {
    throw new Error(`${at(file, path)} holds ${names.length} variable${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}); ${whose} has ${expected}${missing.length > 0 ? `, so ${missing.map((n) => `'${n}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing` : ''}`);
  }
  return wanted.map((n) => {
    const node = group.get(n);
    if (!(node instanceof Hdf5Dataset)) throw new Error(`${at(file, `${path}/${n}`)} is a group, where Keras writes a dataset`);
    return node;
  });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Puts the weights of the file into `model` by Keras's walk, after checking
 * every group, every count and every shape (nothing is changed when one does
 * not fit). Layer groups the model has no layer for are refused.
 */
function bindWeights(model: Model, layers: readonly Layer[], file: WeightsFile): void {
  const groups = kerasVarsGroups({ name: model.name, layers });
  const assignments: Array<{ target: Tensor; source: Hdf5Dataset }> = [];
  for (const group of groups) {
    const path = varsPath(group.path);
    const vars = groupAt(file, path);
    if (!vars) {
      // An object without variables loses nothing when a writer leaves its empty group out.
      if (group.weights.length === 0) continue;
      throw new Error(`${at(file, path)} is missing: the file has no weights for ${group.name} (${group.weights.map(([n, t]) => `${n} [${t.shape.join(', ')}]`).join(', ')})`);
    }
    const datasets = varsDatasets(file, vars, path, group.weights.length, `${group.name} in the model`);
    group.weights.forEach(([name, t], i) => {
      const ds = datasets[i];
      if (!sameShape(ds.shape, t.shape)) {
        throw new Error(`${at(file, `${path}/${i}`)}: shape [${ds.shape.join(', ')}] in the file, the model's ${name} is [${t.shape.join(', ')}]`);
      }
      assignments.push({ target: t, source: ds });
    });
  }
  const stored = groupAt(file, 'layers');
  if (stored) {
    const known = new Set(groups.map((g) => g.path.split('/')[1]).filter((n) => n !== undefined));
    const extra = stored.children().filter((n) => !known.has(n));
    if (extra.length > 0) {
      throw new Error(`${at(file, 'layers')} has ${extra.map((n) => `'${n}'`).join(', ')}, which the model has no layer for (its layers: ${[...known].join(', ') || 'none'})`);
    }
  }
  const values = assignments.map(({ source }) => source.float32());
  assignments.forEach(({ target }, i) => target.data.set(values[i]));
}

function readIterations(file: WeightsFile, ds: Hdf5Dataset): number {
  if (ds.shape.length !== 0 || (ds.dtype !== 'int' && ds.dtype !== 'uint')) {
    throw new Error(`${at(file, 'optimizer/vars/0')}: the iteration count must be an integer scalar, got ${ds.dtype} [${ds.shape.join(', ')}]`);
  }
  const n = ds.integers()[0];
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${at(file, 'optimizer/vars/0')}: the iteration count is ${n}`);
  return n;
}

/**
 * Restores `optimizer`'s state from `optimizer/vars`, when the file has it:
 * the iteration count and every slot in Keras's order (see
 * `kerasOptimizerLayout`). A group of two variables (an optimizer saved
 * before its first step) restores the count alone.
 */
function restoreOptimizer(file: WeightsFile, optimizer: Optimizer, params: readonly Tensor[]): void {
  const vars = groupAt(file, 'optimizer/vars');
  if (!vars) return;
  const layout = kerasOptimizerLayout(optimizer, params.length);
  const count = vars.children().length;
  const product = optimizer instanceof Nadam ? 1 : 0;
  const full = 2 + layout.length + product;
  if (count !== 2 && count !== full) {
    throw new Error(`${at(file, 'optimizer/vars')} holds ${count} variables; ${optimizer.name} (${describeOptimizer(optimizer)}) over ${params.length} trainable weights keeps ${full} (the iteration count, the learning rate and ${layout.length} slot arrays${product ? ', then u_product' : ''}), or 2 before its first step`);
  }
  const datasets = varsDatasets(file, vars, 'optimizer/vars', count, optimizer.name);
  const iterations = readIterations(file, datasets[0]);
  if (datasets[1].shape.length !== 0) {
    throw new Error(`${at(file, 'optimizer/vars/1')}: the learning rate must be a scalar, got [${datasets[1].shape.join(', ')}]`);
  }
  // Before the first step the file has no slots: they start as a fresh optimizer's (Adagrad's initial accumulator).
  const slots = optimizer.getSlots(params).slots;
  const sources: Array<{ slot: number; param: number; ds: Hdf5Dataset }> = [];
  if (count === full) {
    layout.forEach(({ slot, param }, k) => {
      const ds = datasets[2 + k];
      if (!sameShape(ds.shape, params[param].shape)) {
        throw new Error(`${at(file, `optimizer/vars/${2 + k}`)}: shape [${ds.shape.join(', ')}] in the file, but it is the ${slot} of trainable weight ${param}, [${params[param].shape.join(', ')}]`);
      }
      sources.push({ slot: optimizer.slotNames.indexOf(slot), param, ds });
    });
  }
  if (count === full && optimizer instanceof Nadam) checkNadamProduct(file, optimizer, iterations, datasets[full - 1], full - 1);
  for (const { slot, param, ds } of sources) slots[slot].values[param] = ds.float32();
  const saved: OptimizerSlots = { iterations, slots };
  optimizer.setSlots(params, saved);
}

/**
 * Nadam's `u_product` must be the product its step count gives (to float32
 * precision: Keras multiplies it in float32), since Unrolled's Nadam
 * computes it from the count; anything else is a file whose state does not
 * follow from its own steps.
 */
function checkNadamProduct(file: WeightsFile, optimizer: Nadam, iterations: number, ds: Hdf5Dataset, index: number): void {
  const path = `optimizer/vars/${index}`;
  if (ds.shape.length !== 0) throw new Error(`${at(file, path)}: Nadam's u_product must be a scalar, got [${ds.shape.join(', ')}]`);
  const stored = ds.float32()[0];
  const expected = nadamProductOf(optimizer, iterations);
  if (!(Math.abs(stored - expected) <= 1e-5)) {
    throw new Error(`${at(file, path)}: Nadam's u_product is ${stored}, but after ${iterations} steps with beta_1 ${optimizer.beta1} it is ${expected}; Unrolled's Nadam follows the step count and cannot take another product`);
  }
}

function describeOptimizer(optimizer: Optimizer): string {
  if (optimizer instanceof RMSprop) return `momentum ${optimizer.momentum}, centered ${optimizer.centered}`;
  if (optimizer instanceof Adam) return `amsgrad ${optimizer.amsgrad}`;
  if (optimizer instanceof SGD) return `momentum ${optimizer.momentum}`;
  return optimizer.name;
}

/** The text of a JSON entry of the archive, strictly UTF-8. */
function entryText(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${where}: not valid UTF-8 text`);
  }
}

/** The model of config.json, its layers in the weights' order, and how many lost ids were recovered (`readModelConfig`). */
function modelOfConfig(config: JsonValue, where: string, recoverLostIds: boolean): { model: Model; layers: Layer[]; read: ReadModel; recovered: number } {
  const read = readModelConfig(config, where, recoverLostIds);
  // One layer object for the entries of one shared object (a layer of the outer model inside a nested one too).
  const shared = new Map<number, Layer>();
  const context: ReadContext = {
    file: where,
    weightShape: () => undefined,
    hardSigmoid: 'hard_sigmoid_keras3',
    sharedLayer: (layerConfig, make) => {
      const id = sharedObjectId(layerConfig);
      if (id === undefined) return make();
      const layer = shared.get(id) ?? make();
      shared.set(id, layer);
      return layer;
    },
  };
  let model: Model;
  let layers: Layer[];
  if (read.functional) {
    try {
      model = modelFromEntry({ class_name: 'Functional', config: read.functional }, context, `${where}: ${CONFIG}`);
    } catch (err) {
      const text = (err as Error).message;
      throw new Error(text.startsWith(where) ? text : `${where}: ${CONFIG}: ${text}`);
    }
    // The weights are in the file's order of layers, which is Keras's.
    layers = fileOrder(model, read);
  } else {
    model = sequentialOf(read.layers.map((l) => (l.nested ? modelFromEntry(l.entry as unknown as JsonObject, context, l.where) : layerFromConfig(l.entry, context, l.where))), read.name, where);
    layers = model.layers;
  }
  checkModelMasking(model, read, layers, false, where);
  return { model, layers, read, recovered: recoverLostIds ? lostIdCount(config) : 0 };
}

/**
 * A model from the bytes of a `.keras` file (`where` names it in errors):
 * the layers of config.json (models used as layers included), the weights
 * of model.weights.h5 bound by Keras's walk, and, when the file was saved
 * compiled, the compile settings (one loss or one per output, loss weights,
 * metrics) and the optimizer's state. A compile_config Unrolled cannot
 * honour (a learning-rate schedule, weighted metrics, an unsupported loss
 * or optimizer option, losses that do not match the outputs) leaves the
 * model uncompiled rather than refusing the file, as the legacy .h5 reader
 * does. Works in browsers too.
 */
export async function readKeras<O extends ModelOutputs = SymbolicTensor>(bytes: Uint8Array, where: string): Promise<Model<O>> {
  const zip = readZip(bytes, where);
  if (zip.has(METADATA)) {
    const metadata = parseJson(entryText(zip.read(METADATA), `${where}: ${METADATA}`), `${where}: ${METADATA}`);
    const version = isObject(metadata) ? own(metadata, 'keras_version') : undefined;
    if (typeof version === 'string' && !version.startsWith('3.')) {
      throw new Error(`${where}: ${METADATA} says Keras ${describe(version)}; Unrolled reads the .keras files of Keras 3`);
    }
  }
  const config = parseJson(entryText(zip.read(CONFIG), `${where}: ${CONFIG}`), `${where}: ${CONFIG}`);
  let built = modelOfConfig(config, where, false);
  const weightsWhere = `${where}: ${WEIGHTS}`;
  const file = { root: openHdf5(zip.read(WEIGHTS), weightsWhere), where: weightsWhere };
  try {
    bindWeights(built.model, built.layers, file);
  } catch (err) {
    // Keras's writer leaves a shared layer's id off its first occurrence when that is inside a nested model;
    // read as written, the layer is two and the second one's weights are missing: read it again as one.
    built = modelOfConfig(config, where, true);
    if (built.recovered === 0) throw err;
    bindWeights(built.model, built.layers, file);
  }
  const { model, layers, read } = built;
  if (read.compile) {
    const optimizer = compileFromKeras(model, read.compile, where);
    if (optimizer) restoreOptimizer(file, optimizer, kerasTrainable(model, layers));
  }
  return model as Model<O>;
}

/**
 * Compiles `model` with the file's compile_config when Unrolled can honour
 * all of it (one loss or one per output, as a list or keyed by output name,
 * loss weights, metrics), and returns the optimizer; otherwise leaves the
 * model uncompiled and returns null, as the legacy .h5 reader does: it
 * still loads for inference, and `compile()` makes it trainable.
 */
function compileFromKeras(model: Model, compile: JsonObject, where: string): Optimizer | null {
  try {
    const training = compileSettingsFromKeras(compile, where, model.outputNames);
    const optimizer = optimizerFromConfig(training.optimizer_config, `${where}: ${CONFIG} → compile_config.optimizer`);
    const weights = training.loss_weights;
    const one = training.loss;
    // One loss with per-output weights or metrics: the same loss per output, which compileOptionsOf reads with them.
    const single = typeof one === 'string' || one instanceof Loss;
    if (single && ((weights !== undefined && weights !== null) || !Array.isArray(training.metrics))) {
      training.loss = model.outputNames.map(() => one);
    }
    model.compile(compileOptionsOf(model, training, optimizer, `${where}: ${CONFIG} → compile_config`));
    return optimizer;
  } catch {
    return null;
  }
}

/** A functional model's layers in the file's order (Keras's `operations`), looked up by name. */
function fileOrder(model: Model, read: ReadModel): Layer[] {
  return read.layers.map((l) => model.getLayer(String(own(l.entry.config, 'name'))));
}

/**
 * `checkMasking` over a model's layers, and over the layers of each model
 * used as a layer (a mask reaching that model counts as reaching all of its
 * layers, which may refuse more than Keras would compute differently).
 */
function checkModelMasking(model: Model, read: ReadModel, layers: readonly Layer[], outer: boolean, where: string): void {
  let entries: Array<{ layer: Layer; reached: boolean; read: ReadLayer | undefined }>;
  if (read.functional) {
    const reaching = graphMasksReaching(model.nodes);
    entries = layers.map((layer, i) => ({ layer, reached: outer || (reaching.get(layer) ?? false), read: read.layers[i] }));
  } else {
    const reaching = masksReaching(layers);
    const own = read.layers.filter((l) => l.entry.class_name !== 'InputLayer');
    entries = layers.map((layer, i) => ({ layer, reached: outer || reaching[i], read: own[i] }));
  }
  checkMasking(entries, where);
  for (const { layer, reached, read: r } of entries) {
    if (r?.nested && isModelLayer(layer)) {
      const inner = layer as Model;
      checkModelMasking(inner, r.nested, r.nested.functional ? fileOrder(inner, r.nested) : inner.layers, reached, where);
    }
  }
}

/** Refuses a layer where Keras zeroes masked outputs (zero_output_for_mask) and a mask reaches it: Unrolled repeats the previous output there. */
function checkMasking(layers: ReadonlyArray<{ layer: Layer; reached: boolean; read: ReadLayer | undefined }>, where: string): void {
  for (const { layer, reached, read } of layers) {
    if (reached && read?.zeroOutputForMask) {
      throw new Error(`${read.where || where}: ${layer.name} (${layer.className}) has zero_output_for_mask, and a mask reaches it: Keras outputs zeros at masked timesteps there, Unrolled repeats the previous output`);
    }
  }
}

/**
 * Reads a `.weights.h5` file (Keras 3's `save_weights`) into `model`, which
 * must be built with the same layers. The optimizer's state, when the file
 * has it, is restored into a compiled model; an uncompiled one ignores it.
 */
export async function readKerasWeights(model: Model, bytes: Uint8Array, where: string): Promise<void> {
  if (!model.built) throw new Error(`${model.name}: loading weights needs a built model: build() it first`);
  const file = { root: openHdf5(bytes, where), where };
  const layers = kerasLayers(model);
  bindWeights(model, layers, file);
  if (model.optimizer) restoreOptimizer(file, model.optimizer, kerasTrainable(model, layers));
}
