/**
 * Legacy Keras HDF5 model files (`model.save('model.h5')`) from Keras 1.2,
 * Keras 2.x and tf.keras 2.x: Sequential and functional models (`Model`,
 * tf.keras's `Functional`: `layers` with their `inbound_nodes` in Keras 2's
 * list form `[[["name", node, tensor, {}], …]]`, `input_layers`,
 * `output_layers`), read by the same code as TF.js's functional models.
 *
 * The model is the JSON in the root attribute `model_config`, with
 * `keras_version` (and `backend`) beside it. Keras 1 configs and weights are
 * first put in Keras 2's words (keras1.ts). `hard_sigmoid` means
 * clip(0.2x + 0.5) in every file written before Keras 3.
 *
 * Weights sit under `model_weights/<layer>/`, listed by the attribute
 * `weight_names` (weight names contain `/`, such as `lstm_1/kernel:0` or
 * tf.keras's `lstm/lstm_cell/kernel:0`), layers by `layer_names`; Keras
 * splits either list into `layer_names0`, `layer_names1`, … when it is
 * long. Weights are bound to the model's layers by layer name and, within
 * a layer, by position in Keras's order (kernel, recurrent kernel, bias;
 * a Bidirectional layer's forward weights, then its backward ones), after
 * checking that the last part of each name, where the name has parts, is
 * the weight's. Every layer's weight count and every shape is checked
 * before a value is read; a layer of the model without weights in the
 * file, or weights in the file for a layer the model does not have, is an
 * error naming the file, the layer, the weights and their shapes.
 *
 * A model used as a layer (a Sequential or functional model nested in the
 * outer one, in Sequential and functional models alike) has one group of its
 * own name, as Keras 2 writes it: `model_weights/<nested>/`, whose
 * `weight_names` list all its layers' weights in its layers' order, each at
 * `<nested>/<inner layer>/…` (`encoder/lstm/lstm_cell/kernel:0`). They are
 * bound as one layer's are, by position, checking each last name part and
 * each shape.
 *
 * `training_config`, when present and when Unrolled has its optimizer,
 * loss and metrics (Keras 2 names, such as RMSprop with lr, rho, epsilon
 * and a decay of 0), compiles the model. A training config Unrolled cannot
 * honour leaves the model uncompiled instead of refusing the file: it still
 * loads for inference, and `compile()` makes it trainable. The optimizer's
 * state (`optimizer_weights`) is restored into the compiled optimizer's
 * slots in the layout each Keras version wrote; state that fits none of
 * them leaves the model uncompiled too.
 */
import type { Layer } from '../layers/layer.ts';
import type { Model, ModelOutputs } from '../model/model.ts';
import type { SymbolicTensor } from '../model/symbolic.ts';
import { layerFromConfig, type ReadContext } from './config.ts';
import type { FloatArray } from '../../autograd/index.ts';
import { Adam, RMSprop, SGD, type Optimizer, type OptimizerSlots } from '../../optim/index.ts';
import { openHdf5, Hdf5Group } from './hdf5.ts';
import { describe, isObject, own, parseJson, type JsonObject, type JsonValue } from './json.ts';
import { keras1Entry, keras1Weights, type FileWeight } from './keras1.ts';
import { compileOptionsOf, modelFromEntry, sequentialOf, statefulInput } from './load.ts';
import { optimizerFromConfig } from './training-config.ts';

/** The class names of a model used as a layer. */
const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'];

/** A list attribute Keras may have split into `name0`, `name1`, … (each under HDF5's 64 KB header limit). */
function listAttribute(group: Hdf5Group, name: string): string[] | undefined {
  const whole = group.stringListAttribute(name);
  if (whole !== undefined) return whole;
  if (group.attribute(`${name}0`) === undefined) return undefined;
  const out: string[] = [];
  for (let i = 0; group.attribute(`${name}${i}`) !== undefined; i++) out.push(...group.stringListAttribute(`${name}${i}`)!);
  return out;
}

/** A weight name without TF's `:0` and without a cell segment before its last part (`lstm/lstm_cell/kernel:0` → `lstm/kernel`). */
function normalised(name: string): string {
  return name.replace(/:\d+$/, '').replace(/\/[^/]*cell[^/]*\/(?=[^/]+$)/, '/');
}

function listed(weights: ReadonlyArray<{ name: string; shape: readonly number[] }>): string {
  return weights.length === 0 ? 'none' : weights.map((w) => `'${w.name}' [${w.shape.join(', ')}]`).join(', ');
}

function sequentialEntries(model: JsonValue, where: string): { name: string | undefined; entries: JsonValue[] } {
  const cls = isObject(model) ? own(model, 'class_name') : undefined;
  if (!isObject(model) || cls !== 'Sequential') {
    throw new Error(`${where}: the model is a ${isObject(model) ? describe(cls) : describe(model)}; Unrolled reads Sequential and functional (Model, Functional) models`);
  }
  const config = own(model, 'config');
  if (Array.isArray(config)) return { name: undefined, entries: config };
  if (isObject(config) && Array.isArray(own(config, 'layers'))) {
    const name = own(config, 'name');
    return { name: typeof name === 'string' ? name : undefined, entries: own(config, 'layers') as JsonValue[] };
  }
  throw new Error(`${where}: the Sequential config must be a list of layers or { name, layers }, got ${describe(config)}`);
}

/** The weights the file holds for each layer it lists, in `weight_names` order; shapes known, values read on demand. */
function storedWeights(root: Hdf5Group, where: string): { group: Hdf5Group; layers: Map<string, FileWeight[]> } {
  // Whole-model files keep the weights in model_weights/; weights-only files at the root.
  const group = listAttribute(root, 'layer_names') === undefined && root.get('model_weights') ? root.group('model_weights') : root;
  const names = listAttribute(group, 'layer_names');
  if (names === undefined) throw new Error(`${where}: no list of layers with weights ('layer_names' on model_weights/)`);
  const layers = new Map<string, FileWeight[]>();
  for (const name of names) {
    if (layers.has(name)) throw new Error(`${where}: layer_names lists '${name}' twice`);
    const layer = group.group(name);
    const weightNames = listAttribute(layer, 'weight_names') ?? [];
    layers.set(name, weightNames.map((w) => {
      const dataset = layer.dataset(w);
      return { name: w, shape: dataset.shape, read: () => dataset.float32() };
    }));
  }
  return { group, layers };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The direction segment of a Bidirectional weight name (`forward_lstm`, `backward_lstm`), if any. */
function direction(name: string): 'forward' | 'backward' | undefined {
  const part = name.split('/').find((p) => p.startsWith('forward_') || p.startsWith('backward_'));
  return part === undefined ? undefined : part.startsWith('forward_') ? 'forward' : 'backward';
}

/** Binds the file's weights to the model, layer by layer, as the file comment says; checks all before reading any value. */
function bindWeights(model: Model, stored: Map<string, FileWeight[]>, keras1: boolean, where: string): void {
  const plan: Array<{ layer: Layer; file: FileWeight[] }> = [];
  const used = new Set<string>();
  for (const layer of model.layers) {
    const own = layer.namedWeights();
    const file = stored.get(layer.name);
    used.add(layer.name);
    const expected = own.map(([n, t]) => ({ name: n, shape: t.shape }));
    const at = `${where}: layer '${layer.name}' (${layer.className})`;
    if (file === undefined) {
      if (own.length === 0) continue;
      throw new Error(`${at} needs weights ${listed(expected)}, and the file has none for it; it has weights for ${[...stored.keys()].join(', ') || 'no layer'}`);
    }
    const weights = keras1 ? keras1Weights(layer, file, where) : file;
    if (weights.length !== own.length) {
      throw new Error(`${at}: the file holds ${weights.length} weights (${listed(file)}), the layer has ${own.length} (${listed(expected)})`);
    }
    weights.forEach((w, i) => {
      const [name, t] = own[i];
      const label = name.slice(name.lastIndexOf('/') + 1);
      const stem = normalised(w.name);
      if (stem.includes('/') && stem.slice(stem.lastIndexOf('/') + 1) !== label) {
        throw new Error(`${at}: weight ${i} in the file is '${w.name}' [${w.shape.join(', ')}], where the layer has ${name} [${t.shape.join(', ')}]`);
      }
      const side = direction(stem);
      if (side !== undefined && direction(name) !== undefined && side !== direction(name)) {
        throw new Error(`${at}: weight ${i} in the file is '${w.name}', a ${side} weight, where the layer has ${name}; forward weights come first`);
      }
      if (!sameShape(w.shape, t.shape)) {
        throw new Error(`${at}: weight '${w.name}' is [${w.shape.join(', ')}] in the file, the layer's ${name} is [${t.shape.join(', ')}] (from the model config)`);
      }
    });
    plan.push({ layer, file: weights });
  }
  for (const [name, weights] of stored) {
    if (!used.has(name) && weights.length > 0) {
      throw new Error(`${where}: the file holds weights ${listed(weights)} for a layer '${name}' that the model config does not have; its layers are ${model.layers.map((l) => l.name).join(', ')}`);
    }
  }
  for (const { layer, file } of plan) {
    layer.namedWeights().forEach(([, t], i) => t.data.set(file[i].read()));
  }
}

/**
 * Compiles `model` with the file's training config, when Unrolled can
 * honour all of it, optimizer state included; returns whether it did.
 */
function compileFrom(model: Model, text: string, state: OptimizerWeights | undefined, where: string): boolean {
  try {
    const training = parseJson(text, `${where}, training_config`);
    if (!isObject(training)) return false;
    for (const key of ['sample_weight_mode', 'weighted_metrics']) {
      if (own(training, key) !== undefined && own(training, key) !== null) return false;
    }
    const optimizer = optimizerFromConfig(own(training, 'optimizer_config'), `${where}, training config`, true);
    const options = compileOptionsOf(model, training, optimizer, `${where}, training config`);
    if (state && !restoreOptimizerWeights(model, optimizer, state)) return false;
    model.compile(options);
    return true;
  } catch {
    return false;
  }
}

/** The `optimizer_weights` group of a file, with what binding it needs. */
interface OptimizerWeights {
  /** The datasets in `weight_names` order. */
  weights: FileWeight[];
  /** The file's weights of each layer (Keras 1 orders the optimizer's by their names). */
  layers: Map<string, FileWeight[]>;
  keras1: boolean;
  where: string;
}

function optimizerWeightsOf(root: Hdf5Group, layers: Map<string, FileWeight[]>, keras1: boolean, where: string): OptimizerWeights | undefined {
  const node = root.get('optimizer_weights');
  if (!(node instanceof Hdf5Group)) return undefined;
  const names = listAttribute(node, 'weight_names') ?? [];
  const weights = names.map((n): FileWeight => {
    const ds = node.dataset(n);
    return { name: n, shape: ds.shape, read: () => (ds.dtype === 'int' || ds.dtype === 'uint' ? Float32Array.from(ds.integers()) : ds.float32()) };
  });
  return { weights, layers, keras1, where };
}

/** The optimizer's slots in the order Keras 1 and 2 (and tf.keras 2) create them: each slot for every weight, slot after slot. */
function legacySlots(optimizer: Optimizer): string[] {
  if (optimizer instanceof RMSprop) return ['velocity', ...(optimizer.momentum > 0 ? ['momentum'] : []), ...(optimizer.centered ? ['averageGrad'] : [])];
  if (optimizer instanceof Adam) return ['momentum', 'velocity', ...(optimizer.amsgrad ? ['velocityHat'] : [])];
  if (optimizer instanceof SGD) return optimizer.momentum > 0 ? ['velocity'] : [];
  return [];
}

/**
 * Puts the file's optimizer state into `optimizer` for `model`'s trainable
 * weights, as Keras does on `load_model(compile=True)`; false when the list
 * does not have one of the layouts Keras wrote (then the model loads
 * uncompiled). The layouts: an optional iteration count first (Keras 1's
 * and Keras ≤ 2.2's RMSprop keep none), then each slot for every trainable
 * weight, slot after slot (RMSprop: mean squares, momentums, mean
 * gradients; Adam: m, v, v̂; SGD: momentums); Keras 2.1–2.2's Adam adds one
 * [1] placeholder per weight without amsgrad, and Keras ≤ 2.2's SGD keeps
 * momentums even at momentum 0 (nothing to restore then). The trainable
 * weights are in the model's order, but Keras 1 sorts them by name and
 * keeps its LSTM and GRU per gate (put together as the weights are, keras1.ts).
 */
function restoreOptimizerWeights(model: Model, optimizer: Optimizer, state: OptimizerWeights): boolean {
  const params = model.trainableWeightTensors();
  const slots = legacySlots(optimizer);
  // Keras 1 counts its arrays per gate.
  const P = state.keras1 ? keras1Names(model, state).length : params.length;
  let list = state.weights;
  const iterationFirst = list.length > 0 && list[0].shape.length === 0;
  const counter = iterationFirst ? list[0] : undefined;
  if (counter) list = list.slice(1);
  if (optimizer instanceof Adam && !optimizer.amsgrad && list.length === 3 * P && list.slice(2 * P).every((w) => sameShape(w.shape, [1]))) list = list.slice(0, 2 * P);
  if (optimizer instanceof SGD && optimizer.momentum === 0 && list.length === P) list = [];
  if (list.length !== slots.length * P) return false;
  const groups = slots.map((_, g) => list.slice(g * P, (g + 1) * P));
  const arrays = state.keras1 ? keras1SlotArrays(model, groups, state) : groups.map((group) => group.map((w, i) => (sameShape(w.shape, params[i].shape) ? w : null)));
  if (!arrays || arrays.some((group) => group.some((w) => w === null))) return false;
  const iterations = counter ? counter.read()[0] : 0;
  if (!Number.isSafeInteger(iterations) || iterations < 0) return false;
  const saved: OptimizerSlots = {
    iterations,
    slots: optimizer.slotNames.map((name) => ({ name, values: arrays[slots.indexOf(name)].map((w) => w!.read() as FloatArray) })),
  };
  optimizer.setSlots(params, saved);
  return true;
}

function keras1Trainable(model: Model): Layer[] {
  return model.layers.filter((l) => l.trainable && l.trainableWeights().length > 0);
}

/** The names of the file's arrays of the model's trainable layers (Keras 1 keeps LSTM and GRU weights per gate). */
function keras1Names(model: Model, state: OptimizerWeights): string[] {
  return keras1Trainable(model).flatMap((l) => (state.layers.get(l.name) ?? []).map((w) => w.name));
}

/**
 * Keras 1's slot arrays in Unrolled's weight order: Keras 1 gives the
 * optimizer the weights sorted by name, so the k-th array of a group
 * belongs to the k-th name in that order; each layer's arrays are then put
 * together as its weights are (per-gate LSTM and GRU arrays joined).
 */
function keras1SlotArrays(model: Model, groups: FileWeight[][], state: OptimizerWeights): Array<Array<FileWeight | null>> | null {
  const layers = keras1Trainable(model);
  const sorted = [...keras1Names(model, state)].sort();
  if (groups.some((g) => g.length !== sorted.length)) return null;
  return groups.map((group) => layers.flatMap((layer) => {
    const file = (state.layers.get(layer.name) ?? []).map((w): FileWeight => {
      const slot = group[sorted.indexOf(w.name)];
      return { name: w.name, shape: slot.shape, read: slot.read };
    });
    const joined = keras1Weights(layer, file, state.where);
    const own = layer.trainableWeights();
    return own.map((t, i) => (joined[i] && sameShape(joined[i].shape, t.shape) ? joined[i] : null));
  }));
}

/**
 * Reads a legacy Keras HDF5 model file (Keras 1.2, Keras 2.x, tf.keras 2.x)
 * from its bytes; `where` names the file in every error. Sequential and
 * functional models. The model comes back compiled when the file's training config maps
 * onto Unrolled, uncompiled otherwise (see the file comment).
 */
export async function readKerasH5<O extends ModelOutputs = SymbolicTensor>(bytes: Uint8Array, where: string): Promise<Model<O>> {
  const file = openHdf5(bytes, where);
  const configText = file.stringAttribute('model_config');
  if (configText === undefined) {
    const weightsOnly = file.attribute('layer_names') !== undefined || file.attribute('layer_names0') !== undefined;
    throw new Error(`${where}: no model_config attribute${weightsOnly ? '; the file holds weights only (save_weights), not a model' : ''}`);
  }
  const { group, layers: stored } = storedWeights(file, where);
  const version = file.stringAttribute('keras_version') ?? group.stringAttribute('keras_version') ?? '1';
  const major = Number.parseInt(version, 10);
  const keras1 = major === 1;

  const config = parseJson(configText, `${where}, model_config`);
  const shapes = new Map<string, readonly number[]>();
  for (const weights of stored.values()) for (const w of weights) shapes.set(normalised(w.name), w.shape);
  const context: ReadContext = {
    file: where,
    weightShape: (n) => shapes.get(n) ?? [...shapes].find(([k]) => k.endsWith(`/forward_${n}`))?.[1],
    hardSigmoid: major >= 3 ? 'hard_sigmoid_keras3' : 'hard_sigmoid',
    ...(keras1 ? { entryOf: keras1Entry } : {}),
  };
  const cls = isObject(config) ? own(config, 'class_name') : undefined;
  let model: Model;
  try {
    if (isObject(config) && (cls === 'Model' || cls === 'Functional')) {
      model = modelFromEntry(config, context, where);
    } else {
      const { name, entries } = sequentialEntries(config, where);
      const layers = entries.map((entry, i) => {
        const at = `${where}, layer ${i}`;
        // A model used as a layer (its weights are all in its one group; see bindWeights).
        if (isObject(entry) && MODEL_CLASSES.includes(own(entry, 'class_name') as string)) return modelFromEntry(entry, context, at);
        return layerFromConfig(keras1 ? keras1Entry(entry, at, i === 0) : entry, context, at);
      });
      model = sequentialOf([...statefulInput(entries), ...layers], name, where);
    }
  } catch (err) {
    // A layer that does not fit its input is the model's error; it is the file's too.
    const text = (err as Error).message;
    throw new Error(text.startsWith(where) ? text : `${where}: ${text}`);
  }
  bindWeights(model, stored, keras1, where);

  const training = file.stringAttribute('training_config');
  if (training !== undefined) compileFrom(model, training, optimizerWeightsOf(file, stored, keras1, where), where);
  return model as Model<O>;
}
