/**
 * The reader of a Keras 3 `.keras` file's config.json. Keras 3 writes every
 * object as `serialize_keras_object` makes it:
 * `{ module, class_name, config, registered_name }`, with `build_config`
 * (the input shape a layer was built with) and, on the model,
 * `compile_config`. A functional model (`Functional`) lists each layer with
 * its `name` and `inbound_nodes`, every node `{ args, kwargs }` of
 * `__keras_tensor__` references. Reading turns the layers into the
 * `{ class_name, config }` entries `layerFromConfig` reads (and a
 * functional model's nodes into the list form TF.js and Keras 2 write,
 * which load.ts builds the graph from), after refusing what Keras's safe mode
 * would not load either: a lambda, a class from outside `keras.*`, a
 * registered (custom) object, a layer class Unrolled does not have. Also
 * the `shared_object_id`s of layers held twice. The compile_config is
 * keras3-read-compile.ts's; the writer is keras3-write.ts.
 */
import { SUPPORTED_LAYERS, type LayerEntry } from './config.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

/** The layer classes, and for each what it is, named in refusals. */
const READ_CLASSES = `Unrolled reads the built-in Keras layers ${SUPPORTED_LAYERS.join(', ')}`;

/** The Python modules of Keras's public API (what `module` holds for a built-in object). */
function isKerasModule(module: JsonValue | undefined): boolean {
  return typeof module === 'string' && /^keras(\.|$)/.test(module);
}

/**
 * Refuses what Keras's safe mode refuses, and what is not Keras's own: a
 * lambda, an object of a module outside keras.*, a registered (custom)
 * object. `where` says where the value sits (e.g. `config.json → layers[2]`).
 */
function checkObjects(value: JsonValue | undefined, where: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkObjects(v, `${where}[${i}]`));
    return;
  }
  if (!isObject(value)) return;
  const cls = own(value, 'class_name');
  if (typeof cls === 'string') {
    const module = own(value, 'module');
    const registered = own(value, 'registered_name');
    if (cls === '__lambda__') {
      throw new Error(`${where}: a Python lambda; a file's code is never run (Keras refuses it too in safe mode). ${READ_CLASSES}`);
    }
    if (cls.startsWith('__')) {
      throw new Error(`${where}: a serialized ${cls.slice(2, -2) || cls} value, which no layer Unrolled reads takes`);
    }
    if (module !== undefined && module !== null && !isKerasModule(module)) {
      throw new Error(`${where}: '${cls}' comes from module ${describe(module)}, not from Keras: a custom object, whose code Unrolled does not have. ${READ_CLASSES}`);
    }
    const builtinFunction = cls === 'function' && registered === own(value, 'config');
    if (registered !== undefined && registered !== null && !builtinFunction) {
      throw new Error(`${where}: '${cls}' is a registered custom object (${describe(registered)}), whose code Unrolled does not have. ${READ_CLASSES}`);
    }
    if ((module === undefined || module === null) && own(value, 'registered_name') !== undefined) {
      throw new Error(`${where}: '${cls}' has no module: a custom object, whose code Unrolled does not have. ${READ_CLASSES}`);
    }
  }
  for (const key of Object.keys(value)) checkObjects(value[key], `${where}.${key}`);
}

/** A fresh null-prototype copy of a config object. */
function clone(config: JsonObject): JsonObject {
  const out = Object.create(null) as JsonObject;
  for (const key of Object.keys(config)) out[key] = config[key];
  return out;
}

/** An activation as a name: Keras writes built-ins as strings; `{ class_name: 'function', config: 'relu' }` is the same. */
function activationName(config: JsonObject, key: string, where: string): void {
  const v = own(config, key);
  if (!isObject(v)) return;
  const name = own(v, 'config');
  if (own(v, 'class_name') === 'function' && typeof name === 'string' && isKerasModule(own(v, 'module'))) {
    config[key] = name;
    return;
  }
  throw new Error(`${where}: config key '${key}' is ${describe(v)}, an activation Unrolled does not have`);
}

export function refuseSet(config: JsonObject, keys: readonly string[], where: string, why: string): void {
  for (const key of keys) {
    const v = own(config, key);
    if (v !== undefined && v !== null && v !== false) throw new Error(`${where}: config key '${key}' is ${describe(v)}; ${why}`);
  }
}

/** A layer as `layerFromConfig` reads it, with whether Keras zeroes masked outputs in it. */
export interface ReadLayer {
  entry: LayerEntry;
  /** Where it sits, for errors: `config.json → layers[2]`. */
  where: string;
  /** `zero_output_for_mask` of the layer, or of either copy inside a Bidirectional. */
  zeroOutputForMask: boolean;
  /** For a model used as a layer: its own model, as read (its layers in the file's order). */
  nested?: ReadModel;
}

/**
 * The `{ class_name, config }` entry that `layerFromConfig` reads for one
 * Keras 3 layer object, with the keys Keras 3 adds mapped and its defaults
 * filled in where they differ from TF.js's.
 */
export function readLayer(value: JsonValue | undefined, where: string): ReadLayer {
  if (!isObject(value)) throw new Error(`${where}: a layer must be an object { module, class_name, config }, got ${describe(value)}`);
  const cls = own(value, 'class_name');
  const module = own(value, 'module');
  const registered = own(value, 'registered_name');
  const c = own(value, 'config');
  if (typeof cls !== 'string') throw new Error(`${where}: a layer's class_name must be a string, got ${describe(cls)}`);
  if (module !== undefined && module !== null && module !== 'keras.layers' && !String(module).startsWith('keras.src.layers')) {
    throw new Error(`${where}: layer '${cls}' comes from module ${describe(module)}, not keras.layers: a custom layer, whose code Unrolled does not have. ${READ_CLASSES}`);
  }
  if (registered !== undefined && registered !== null) {
    throw new Error(`${where}: layer '${cls}' is a registered custom object (${describe(registered)}), whose code Unrolled does not have. ${READ_CLASSES}`);
  }
  if (cls === 'Lambda') {
    throw new Error(`${where}: layer class 'Lambda' runs Python code from the file, which Unrolled never does (Keras refuses it too in safe mode). ${READ_CLASSES}`);
  }
  if (!(SUPPORTED_LAYERS as readonly string[]).includes(cls)) {
    throw new Error(`${where}: layer class '${cls}' is not supported. ${READ_CLASSES}`);
  }
  if (!isObject(c)) throw new Error(`${where}: the config of the ${cls} layer must be an object, got ${describe(c)}`);
  checkObjects(c, `${where}.config`);
  const config = clone(c);
  let zero = own(config, 'zero_output_for_mask') === true;
  refuseSet(config, ['lora_rank', 'quantization_config'], where, 'Unrolled has no LoRA or quantized layers');
  switch (cls) {
    case 'InputLayer': {
      const dtype = own(config, 'dtype');
      if (dtype !== undefined && dtype !== null && !['float32', 'int32', 'int64'].includes(String(dtype))) {
        throw new Error(`${where}: the InputLayer's dtype is ${describe(dtype)}; Unrolled reads float32 inputs (and int32/int64 ids)`);
      }
      refuseSet(config, ['optional'], where, 'Unrolled has no optional inputs');
      config.dtype = 'float32';
      delete config.optional;
      break;
    }
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      activationName(config, 'activation', where);
      activationName(config, 'recurrent_activation', where);
      // Keras 3's defaults where TF.js's differ.
      if (cls !== 'SimpleRNN' && own(config, 'recurrent_activation') == null) config.recurrent_activation = 'sigmoid';
      if (cls === 'GRU' && own(config, 'reset_after') == null) config.reset_after = true;
      break;
    case 'Dense':
    case 'Activation':
      activationName(config, 'activation', where);
      break;
    case 'Bidirectional': {
      if (own(config, 'merge_mode') === null) {
        throw new Error(`${where}: merge_mode is None, so the layer returns two tensors; a Sequential model passes one between layers`);
      }
      const forward = readLayer(own(config, 'layer'), `${where}.config.layer`);
      const name = own(forward.entry.config, 'name');
      if (typeof name === 'string' && name.startsWith('forward_')) forward.entry.config.name = name.slice('forward_'.length);
      config.layer = { class_name: forward.entry.class_name, config: forward.entry.config };
      zero ||= forward.zeroOutputForMask;
      if (own(config, 'backward_layer') != null) {
        const backward = readLayer(own(config, 'backward_layer'), `${where}.config.backward_layer`);
        config.backward_layer = { class_name: backward.entry.class_name, config: backward.entry.config };
        zero ||= backward.zeroOutputForMask;
      }
      break;
    }
    case 'TimeDistributed': {
      const inner = readLayer(own(config, 'layer'), `${where}.config.layer`);
      config.layer = { class_name: inner.entry.class_name, config: inner.entry.config };
      zero ||= inner.zeroOutputForMask;
      break;
    }
    default:
      break;
  }
  const shared = own(value, 'shared_object_id') ?? LOST_IDS.get(value);
  if (typeof shared === 'number') SHARED_IDS.set(config, shared);
  return { entry: { class_name: cls, config }, where, zeroOutputForMask: zero };
}

/** The `shared_object_id` of each layer config `readLayer` gave out, where the file has one. */
const SHARED_IDS = new WeakMap<JsonObject, number>();

/** The ids `lostSharedIds` found for layer objects of a file that Keras wrote without theirs. */
const LOST_IDS = new WeakMap<JsonObject, number>();

/** A layer object of config.json and the model objects it sits in, outermost first. */
interface LayerSite { layer: JsonObject; models: JsonObject[] }

/** Every layer object of a model object, nested models' included, in the file's order. */
function layerSites(model: JsonObject, models: readonly JsonObject[], out: LayerSite[]): LayerSite[] {
  const config = own(model, 'config');
  const layers = isObject(config) ? own(config, 'layers') : undefined;
  if (!Array.isArray(layers)) return out;
  const inside = [...models, model];
  for (const layer of layers) {
    if (!isObject(layer)) continue;
    const cls = own(layer, 'class_name');
    if (typeof cls === 'string' && MODEL_CLASSES.includes(cls)) layerSites(layer, inside, out);
    else out.push({ layer, models: inside });
  }
  return out;
}

/** The same value as Keras objects: the same keys and values, their `shared_object_id`s aside. */
function sameObject(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameObject(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = (o: JsonObject): string[] => Object.keys(o).filter((k) => k !== 'shared_object_id').sort();
    const [ka, kb] = [keys(a), keys(b)];
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameObject(own(a, k), own(b, k)));
  }
  return a === b;
}

/**
 * The layer objects whose `shared_object_id` Keras's writer lost. Keras
 * records an object's first dict and gives it the id when the object is
 * serialized again; but a nested model's config is copied when that model
 * is done, so a layer met first inside a nested model and again outside it
 * keeps its id only on the later occurrences. Such a first occurrence is
 * the one earlier layer object without an id, of the same class and config,
 * in a model that does not hold the first occurrence with the id; when two
 * or more fit, none is taken (they stay separate layers).
 */
function lostSharedIds(top: JsonObject): Array<[JsonObject, number]> {
  const sites = layerSites(top, [], []);
  const found: Array<[JsonObject, number]> = [];
  const seen = new Set<number>();
  sites.forEach((site, i) => {
    const id = own(site.layer, 'shared_object_id');
    if (typeof id !== 'number' || seen.has(id)) return;
    seen.add(id);
    const candidates = sites.slice(0, i).filter((s) => own(s.layer, 'shared_object_id') === undefined
      && !site.models.includes(s.models[s.models.length - 1])
      && own(s.layer, 'class_name') === own(site.layer, 'class_name')
      && sameObject(own(s.layer, 'config'), own(site.layer, 'config')));
    if (candidates.length === 1) found.push([candidates[0].layer, id]);
  });
  return found;
}

/** How many layer objects of config.json's top object lost their `shared_object_id` to Keras's writer (see `lostSharedIds`). */
export function lostIdCount(top: JsonValue): number {
  return isObject(top) ? lostSharedIds(top).length : 0;
}

/**
 * The `shared_object_id` of the layer object a config read by `readLayer`
 * came from: Keras writes one object that is serialized twice (a layer of
 * the outer model also inside a nested model) in full both times, with the
 * same id, and loads it as one object.
 */
export function sharedObjectId(config: JsonObject): number | undefined {
  return SHARED_IDS.get(config);
}

/** The model of config.json: its name, its layers, its compile config (null when not compiled). */
export interface ReadModel {
  name: string | undefined;
  /** The layers in the file's order (for a functional model, InputLayers included: the order its weights are in). */
  layers: ReadLayer[];
  compile: JsonObject | null;
  /**
   * A functional model's config in the form TF.js and Keras 2 write
   * (`{ name, layers: [{ name, class_name, config, inbound_nodes }], input_layers, output_layers }`,
   * each node a list of `[layer, node index, tensor index, {}]`), which
   * load.ts's functional reader builds the model from; null for a Sequential model.
   */
  functional: JsonObject | null;
}

/** A null-prototype object of the given entries. */
export function objectOf(entries: ReadonlyArray<[string, JsonValue]>): JsonObject {
  const out = Object.create(null) as JsonObject;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/**
 * A `__keras_tensor__` of a node as the reference `[layer, node index, tensor index, {}]`;
 * `shift` gives what to add to a layer's node index (1 for a nested model:
 * Keras 3 counts its applications from 0 there, Keras 2 and TF.js from 1).
 */
function tensorReference(value: JsonValue, where: string, shift: (layer: string) => number): JsonValue {
  const config = isObject(value) && own(value, 'class_name') === '__keras_tensor__' ? own(value, 'config') : undefined;
  const history = isObject(config) ? own(config, 'keras_history') : undefined;
  if (!Array.isArray(history) || history.length !== 3 || typeof history[0] !== 'string'
    || !Number.isSafeInteger(history[1]) || !Number.isSafeInteger(history[2])) {
    throw new Error(`${where}: expected a tensor { class_name: '__keras_tensor__', config: { keras_history: [layer, node index, tensor index] } }, got ${describe(value)}; Unrolled reads layers called on tensors only`);
  }
  return [history[0], (history[1] as number) + shift(history[0]), history[2], objectOf([])];
}

/** Every tensor of a node argument (one tensor, or a list of them), in order. */
function tensorReferences(value: JsonValue, where: string, shift: (layer: string) => number): JsonValue[] {
  return Array.isArray(value) ? value.flatMap((v, i) => tensorReferences(v, `${where}[${i}]`, shift)) : [tensorReference(value, where, shift)];
}

/**
 * One inbound node of a Keras 3 layer, `{ args, kwargs }`, as the list of
 * tensor references Keras 2 writes: the positional tensors (a merge layer's
 * list flattened), then `kwargs.initial_state`. `mask` may only be null
 * (Unrolled passes masks along by itself) and `training` is a mode, not an
 * input; any other keyword is refused. The legacy list form passes as it is.
 */
function nodeReferences(value: JsonValue, where: string, shift: (layer: string) => number): JsonValue {
  if (Array.isArray(value)) return value;
  if (!isObject(value)) throw new Error(`${where}: a node must be an object { args, kwargs }, got ${describe(value)}`);
  const args = own(value, 'args');
  const kwargs = own(value, 'kwargs') ?? objectOf([]);
  if (!Array.isArray(args) || args.length === 0) throw new Error(`${where}: the node's args must be a non-empty list of tensors, got ${describe(args)}`);
  if (!isObject(kwargs)) throw new Error(`${where}: the node's kwargs must be an object, got ${describe(kwargs)}`);
  const refs = tensorReferences(args, `${where}.args`, shift);
  for (const key of Object.keys(kwargs)) {
    const v = kwargs[key] ?? null;
    if (key === 'initial_state' && v !== null) refs.push(...tensorReferences(v, `${where}.kwargs.initial_state`, shift));
    else if ((key === 'mask' && v === null) || (key === 'training' && (v === null || typeof v === 'boolean')) || key === 'initial_state') continue;
    else throw new Error(`${where}: the call argument '${key}' (${describe(v)}) is not supported; Unrolled reads a layer's inputs and a recurrent layer's initial_state`);
  }
  return refs;
}

/** `input_layers` / `output_layers`: one reference `[layer, node, tensor]` or a list of them (a dict of them is refused). */
function endpointReferences(value: JsonValue | undefined, key: string, where: string, shift: (layer: string) => number): JsonValue {
  // A nested Sequential counts from 0 here in Keras 3 (a Functional from 1, as in Keras 2).
  const shifted = (r: JsonValue): JsonValue => (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' ? [r[0], r[1] + shift(r[0]), ...r.slice(2)] : r);
  if (Array.isArray(value)) return typeof value[0] === 'string' ? shifted(value) : value.map(shifted);
  throw new Error(`${where}: the Functional config's ${key} must be a reference [layer, node index, tensor index] or a list of them, got ${describe(value)}; Unrolled's models take their inputs and outputs as lists`);
}

/** Refuses a model object that is not Keras's own Sequential or Functional. */
function checkModelObject(value: JsonObject, cls: string, at: string): void {
  const module = own(value, 'module');
  if (module !== undefined && module !== null && !isKerasModule(module)) {
    throw new Error(`${at}: the ${cls} model comes from module ${describe(module)}, not from Keras: a custom subclass, whose code Unrolled does not have`);
  }
  const registered = own(value, 'registered_name');
  // Keras writes Functional with its own class name as the registered name; anything else is a custom class.
  if (registered !== undefined && registered !== null && !(cls === 'Functional' && registered === 'Functional')) {
    throw new Error(`${at}: the model is a registered custom class (${describe(registered)}), whose code Unrolled does not have`);
  }
}

/**
 * Reads config.json's top object: a Sequential or a functional model
 * (`where` names the file). With `recoverLostIds`, a layer object whose
 * `shared_object_id` Keras's writer lost is given it (see `lostSharedIds`):
 * the reader asks for that only when the file does not load as written,
 * since a file with the id on every occurrence needs no guess.
 */
export function readModelConfig(value: JsonValue, where: string, recoverLostIds = false): ReadModel {
  if (recoverLostIds && isObject(value)) for (const [layer, id] of lostSharedIds(value)) LOST_IDS.set(layer, id);
  return readModelObject(value, `${where}: config.json`, true);
}

const MODEL_CLASSES = ['Sequential', 'Functional', 'Model'];

/**
 * A model object of config.json: the top one, or (`top` false) a model used
 * as a layer of another, whose layers are read the same way and whose
 * compile settings, if any, are ignored as Keras ignores them.
 */
function readModelObject(value: JsonValue, at: string, top: boolean): ReadModel {
  if (!isObject(value)) throw new Error(`${at} must hold an object { module, class_name, config }, got ${describe(value)}`);
  let cls = own(value, 'class_name');
  if (!top && cls === 'Model') cls = 'Functional';
  if (cls !== 'Sequential' && cls !== 'Functional') {
    throw new Error(`${at}: the model is ${describe(cls)}; Unrolled reads Sequential and Functional models (a subclassed or custom model's code is not in the file)`);
  }
  checkModelObject(value, cls, at);
  const config = own(value, 'config');
  if (!isObject(config)) throw new Error(`${at}: the ${cls} config must be an object { name, layers${cls === 'Functional' ? ', input_layers, output_layers' : ''} }, got ${describe(config)}`);
  const layers = own(config, 'layers');
  if (!Array.isArray(layers)) throw new Error(`${at}: the ${cls} config has no list of layers (got ${describe(layers)})`);
  const name = own(config, 'name');
  const compile = top ? own(value, 'compile_config') : undefined;
  if (compile !== undefined && compile !== null && !isObject(compile)) {
    throw new Error(`${at}: compile_config must be an object, got ${describe(compile)}`);
  }
  if (isObject(compile)) checkObjects(compile, `${at} → compile_config`);
  const read = layers.map((layer, i): ReadLayer => {
    const where = `${at} → layers[${i}]`;
    const lc = isObject(layer) ? own(layer, 'class_name') : undefined;
    if (typeof lc === 'string' && MODEL_CLASSES.includes(lc)) {
      const nested = readModelObject(layer, where, false);
      const entry: LayerEntry = nested.functional
        ? { class_name: 'Functional', config: nested.functional }
        : { class_name: 'Sequential', config: objectOf([['name', nested.name ?? null], ['layers', nested.layers.map((l) => ({ class_name: l.entry.class_name, config: l.entry.config }))]]) };
      return { entry, where, zeroOutputForMask: false, nested };
    }
    return readLayer(layer, where);
  });
  let functional: JsonObject | null = null;
  if (cls === 'Functional') {
    const classOf = new Map<string, string>();
    layers.forEach((layer, i) => {
      const layerName = isObject(layer) ? own(layer, 'name') : undefined;
      if (typeof layerName === 'string') classOf.set(layerName, read[i].entry.class_name);
    });
    const inNodes = (layer: string): number => (['Sequential', 'Functional'].includes(classOf.get(layer) ?? '') ? 1 : 0);
    const inEndpoints = (layer: string): number => (classOf.get(layer) === 'Sequential' ? 1 : 0);
    const entries = layers.map((layer, i) => {
      const where = `${at} → layers[${i}]`;
      const layerName = isObject(layer) ? own(layer, 'name') : undefined;
      const inbound = isObject(layer) ? own(layer, 'inbound_nodes') ?? [] : [];
      if (!Array.isArray(inbound)) throw new Error(`${where}: inbound_nodes must be a list, got ${describe(inbound)}`);
      return objectOf([
        ['name', layerName ?? null],
        ['class_name', read[i].entry.class_name],
        ['config', read[i].entry.config],
        ['inbound_nodes', inbound.map((n, k) => nodeReferences(n, `${where}.inbound_nodes[${k}]`, inNodes))],
      ]);
    });
    functional = objectOf([
      ['name', typeof name === 'string' ? name : null],
      ['layers', entries],
      ['input_layers', endpointReferences(own(config, 'input_layers'), 'input_layers', at, () => 0)],
      ['output_layers', endpointReferences(own(config, 'output_layers'), 'output_layers', at, inEndpoints)],
    ]);
  }
  return {
    name: typeof name === 'string' ? name : undefined,
    layers: read,
    compile: isObject(compile) && Object.keys(compile).length > 0 ? compile : null,
    functional,
  };
}
