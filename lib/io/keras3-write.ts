/**
 * The writer of a Keras 3 `.keras` file's config.json (and metadata.json):
 * the model and its layers as `serialize_keras_object` makes them,
 * `{ module, class_name, config, registered_name }` with `build_config`,
 * a functional model (`Functional`) listing each layer with its `name` and
 * `inbound_nodes`. The compile settings are keras3-write-compile.ts's; the
 * reader is keras3-read.ts.
 *
 * Writing reproduces Keras 3.12's output for the same model built in a fresh
 * Python session: the same keys in the same order, Python's float spelling
 * (`0.0`, `1e-07`), and `shared_object_id` where Keras would write one. That
 * last part follows Keras's own algorithm: an object serialized twice (the
 * global DTypePolicy of a model, the initializers a recurrent layer shares
 * with its cell) gets its id on every occurrence whose dict is still part of
 * the output when the next one is recorded — which is every occurrence but
 * a first one already copied into its layer's config. A layer the model
 * holds twice is the exception: it has its id on every occurrence, so that
 * Keras loads it as one layer (see `Serializer`).
 */
import { canonicalActivation, type ActivationName } from '../../cells/common.ts';
import { initializerToKeras, type Initializer } from '../initializers.ts';
import type { Regularizer } from '../regularizers.ts';
import { Activation } from '../layers/activation.ts';
import { Bidirectional } from '../layers/bidirectional.ts';
import { Dense } from '../layers/dense.ts';
import { Dropout } from '../layers/dropout.ts';
import { Embedding } from '../layers/embedding.ts';
import type { Layer, ShapeSpec } from '../layers/layer.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { Masking } from '../layers/masking.ts';
import { Add, Average, Concatenate, Multiply, Subtract } from '../layers/merge.ts';
import { FusedRNN as RNN, GRU, LSTM, SimpleRNN } from '../layers/recurrent.ts';
import { RepeatVector } from '../layers/repeat-vector.ts';
import { TimeDistributed } from '../layers/time-distributed.ts';
import { isModelLayer, nodeIndexAmong } from '../model/graph.ts';
import type { Model } from '../model/model.ts';
import type { Node, SymbolicTensor } from '../model/symbolic.ts';
import { SUPPORTED_LAYERS } from './config.ts';
import { Serializer, copy, float, pythonJson, type KerasObject, type PyDict, type PyValue } from './keras3-serializer.ts';
import { compileConfig, type CompiledSettings } from './keras3-write-compile.ts';

/** Where a layer's DTypePolicy comes from: the session's global policy, or (inside Bidirectional) its own. */
interface LayerObjects {
  layerPolicy: KerasObject;
  cellPolicy: KerasObject;
}

function dtypePolicy(s: Serializer, policy: KerasObject): PyDict {
  return s.object(policy, 'keras', 'DTypePolicy', () => ({ name: 'float32' }));
}

/** `Layer.get_config()`: name, trainable, dtype. */
function layerBase(s: Serializer, name: string, trainable: boolean, policy: KerasObject): PyDict {
  return { name, trainable, dtype: dtypePolicy(s, policy) };
}

/** An initializer as Keras 3 serializes it (initializers.ts), its numbers Python floats. */
function initializer(s: Serializer, obj: KerasObject, init: Initializer): PyDict {
  const { className, config } = initializerToKeras(init);
  const py: PyDict = {};
  for (const [k, v] of Object.entries(config)) py[k] = typeof v === 'number' ? float(v) : v;
  return s.object(obj, 'keras.initializers', className, () => py);
}

/** A regularizer as Keras 3 serializes it (L1L2 { l1, l2 }), or null. */
function regularizer(s: Serializer, r: Regularizer | null): PyDict | null {
  if (r === null) return null;
  const config: PyDict = {};
  for (const [k, v] of Object.entries(r.getConfig())) config[k] = float(v);
  return s.object(r, 'keras.regularizers', r.className, () => config);
}

/** A cell activation under its Keras 3 name; TF.js's hard_sigmoid has none and is refused rather than renamed. */
function kerasActivation(layer: RNN, name: ActivationName): string {
  if (name === 'hard_sigmoid') {
    throw new Error(`${layer.name} (${layer.className}): its hard_sigmoid is TF.js's clip(0.2x + 0.5), which Keras 3 does not have (Keras 3's hard_sigmoid is relu6(x + 3) / 6); saving it as a .keras file would change what the model computes. Use 'hard_sigmoid_keras3' or save in the TF.js format`);
  }
  return name === 'hard_sigmoid_keras3' ? 'hard_sigmoid' : name;
}

const CELL_CLASS: Readonly<Record<string, string>> = { SimpleRNN: 'SimpleRNNCell', LSTM: 'LSTMCell', GRU: 'GRUCell' };

/** The name Keras gives the cell of a recurrent layer (`lstm_cell`). */
export function cellName(layer: RNN): string {
  return layer instanceof SimpleRNN ? 'simple_rnn_cell' : layer instanceof LSTM ? 'lstm_cell' : 'gru_cell';
}

/**
 * A recurrent layer's config as `LSTM.get_config()` builds it: its own keys
 * first (serializing the cell's initializers), then `RNN.get_config()`,
 * which serializes the cell (the initializers' second occurrence) and the
 * layer's dtype, and drops the cell.
 */
function recurrentConfig(s: Serializer, layer: RNN, objects: LayerObjects, zeroOutputForMask: boolean): PyDict {
  const o = layer.options;
  // The layer and its cell hold the same three initializer objects.
  const kernel = {};
  const recurrent = {};
  const bias = {};
  const activation = kerasActivation(layer, canonicalActivation(o.activation) ?? 'tanh');
  const recurrentActivation = layer instanceof SimpleRNN ? null : kerasActivation(layer, canonicalActivation(o.recurrentActivation) ?? 'sigmoid');
  const ownKeys = (): PyDict => {
    const c: PyDict = { units: layer.units, activation };
    if (recurrentActivation !== null) c.recurrent_activation = recurrentActivation;
    c.use_bias = o.useBias ?? true;
    c.kernel_initializer = initializer(s, kernel, layer.initializers.kernel);
    c.recurrent_initializer = initializer(s, recurrent, layer.initializers.recurrent);
    c.bias_initializer = initializer(s, bias, layer.initializers.bias);
    if (layer instanceof LSTM) c.unit_forget_bias = layer.options.unitForgetBias ?? true;
    Object.assign(c, {
      kernel_regularizer: regularizer(s, layer.regularizers.kernel),
      recurrent_regularizer: regularizer(s, layer.regularizers.recurrent),
      bias_regularizer: regularizer(s, layer.regularizers.bias),
      activity_regularizer: regularizer(s, layer.activityRegularizer),
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
      dropout: float(layer.dropout), recurrent_dropout: float(layer.recurrentDropout),
    });
    if (layer instanceof GRU) c.reset_after = layer.resetAfter;
    if (!(layer instanceof SimpleRNN)) c.seed = null;
    return c;
  };
  const layerKeys = ownKeys();
  const rnnKeys: PyDict = {
    return_sequences: layer.returnSequences,
    return_state: layer.returnState,
    go_backwards: layer.goBackwards,
    stateful: layer.stateful,
    unroll: false,
    zero_output_for_mask: zeroOutputForMask,
  };
  // The cell: serialized (its initializers' second occurrence, then its dtype), then dropped from the config.
  s.object({}, 'keras.layers', CELL_CLASS[layer.className], () => ({ ...ownKeys(), ...layerBase(s, cellName(layer), layer.trainable, objects.cellPolicy) }));
  return { ...layerBase(s, layer.name, layer.trainable, objects.layerPolicy), ...rnnKeys, ...layerKeys };
}

/** What the writer needs to know besides the layer: its input shape and the session's global policy. */
interface WriteContext {
  s: Serializer;
  global: KerasObject;
  /** True when a timestep mask may reach the layer (a Masking or Embedding(maskZero) layer before it). */
  masked: boolean;
}

/** `serialize_keras_object(layer)` with its build config, for a layer built for `inputShape` (batch first). */
function serializeLayer(
  c: WriteContext, layer: Layer, inputShape: ShapeSpec, objects: LayerObjects = { layerPolicy: c.global, cellPolicy: c.global }, buildConfig?: PyDict,
): PyDict {
  const { s } = c;
  if (isModelLayer(layer)) return nestedModelObject(s, c.global, layer);
  const build = (): PyDict => ({ build_config: buildConfig ?? { input_shape: [...inputShape] } });
  const base = (): PyDict => layerBase(s, layer.name, layer.trainable, objects.layerPolicy);
  if (layer instanceof RNN) {
    return s.object(layer, 'keras.layers', layer.className, () => recurrentConfig(s, layer, objects, false), build);
  }
  if (layer instanceof Dense) {
    if (layer.activityRegularizer) throw new Error(`${layer.name} (Dense): Keras 3's Dense config has no activity_regularizer, so a .keras file would lose it; save in the TF.js format`);
    return s.object(layer, 'keras.layers', 'Dense', () => ({
      ...base(),
      units: layer.units,
      activation: layer.activation,
      use_bias: layer.useBias,
      kernel_initializer: initializer(s, {}, layer.kernelInitializer),
      bias_initializer: initializer(s, {}, layer.biasInitializer),
      kernel_regularizer: regularizer(s, layer.kernelRegularizer),
      bias_regularizer: regularizer(s, layer.biasRegularizer),
      kernel_constraint: null, bias_constraint: null,
    }), build);
  }
  if (layer instanceof Embedding) {
    return s.object(layer, 'keras.layers', 'Embedding', () => ({
      ...base(),
      input_dim: layer.inputDim,
      output_dim: layer.outputDim,
      embeddings_initializer: initializer(s, {}, layer.embeddingsInitializer),
      embeddings_regularizer: regularizer(s, layer.embeddingsRegularizer),
      activity_regularizer: regularizer(s, layer.activityRegularizer),
      embeddings_constraint: null,
      mask_zero: layer.maskZero,
    }), build);
  }
  if (layer instanceof Bidirectional) {
    const inner = (rnn: Layer): PyDict => {
      if (!(rnn instanceof RNN)) throw new Error(`${layer.name} (Bidirectional): wraps an RNN of a ${(rnn as { cell?: { className?: string } }).cell?.className ?? 'cell'}; a .keras file holds Bidirectional SimpleRNN, LSTM or GRU only (save in the TF.js format)`);
      // Keras rebuilds both copies from a config, so each has DTypePolicy objects of its own.
      const own: LayerObjects = { layerPolicy: {}, cellPolicy: {} };
      return s.object(rnn, 'keras.layers', rnn.className, () => recurrentConfig(s, rnn, own, rnn.returnSequences), build);
    };
    if (layer.forwardLayer.returnSequences && c.masked) {
      throw new Error(`${layer.name} (Bidirectional): Keras zeroes the masked timesteps of a Bidirectional layer's sequences (zero_output_for_mask), where Unrolled repeats the previous output; with a mask reaching this layer, Keras would compute something else from this file`);
    }
    return s.object(layer, 'keras.layers', 'Bidirectional', () => {
      const config: PyDict = { merge_mode: layer.mergeMode };
      config.layer = inner(layer.forwardLayer);
      config.backward_layer = inner(layer.backwardLayer);
      return { ...base(), ...config };
    }, build);
  }
  if (layer instanceof TimeDistributed) {
    return s.object(layer, 'keras.layers', 'TimeDistributed', () => {
      const config: PyDict = { layer: serializeLayer(c, layer.layer, [inputShape[0], ...inputShape.slice(2)]) };
      return { ...base(), ...config };
    }, build);
  }
  if (layer instanceof Activation) {
    return s.object(layer, 'keras.layers', 'Activation', () => {
      const config: PyDict = { activation: layer.activation };
      return { ...base(), ...config };
    }, build);
  }
  if (layer instanceof Dropout) {
    return s.object(layer, 'keras.layers', 'Dropout', () => ({ ...base(), rate: float(layer.rate), seed: null, noise_shape: null }), build);
  }
  if (layer instanceof Masking) {
    return s.object(layer, 'keras.layers', 'Masking', () => ({ ...base(), mask_value: float(layer.maskValue) }), build);
  }
  if (layer instanceof RepeatVector) {
    return s.object(layer, 'keras.layers', 'RepeatVector', () => {
      const config: PyDict = { n: layer.n };
      return { ...base(), ...config };
    }, build);
  }
  if (layer instanceof Concatenate) {
    return s.object(layer, 'keras.layers', 'Concatenate', () => ({ ...base(), axis: layer.axis }), build);
  }
  if (layer instanceof Add || layer instanceof Subtract || layer instanceof Multiply || layer instanceof Average) {
    return s.object(layer, 'keras.layers', layer.className, base, build);
  }
  throw new Error(`${layer.name}: a ${layer.className} layer cannot be written to a .keras file; supported: ${SUPPORTED_LAYERS.join(', ')}`);
}

/** For each layer, whether a timestep mask may reach it (as Unrolled passes masks along). */
export function masksReaching(layers: readonly Layer[]): boolean[] {
  let masked = false;
  return layers.map((layer) => {
    const reaches = masked;
    if (layer instanceof Masking || (layer instanceof Embedding && layer.maskZero)) masked = true;
    else if (layer instanceof RNN) masked = masked && layer.returnSequences;
    else if (layer instanceof Bidirectional) masked = masked && layer.forwardLayer.returnSequences;
    else if (layer instanceof RepeatVector) masked = false;
    return reaches;
  });
}

/** What `writeConfig` needs of a model. */
export interface ConfigSource {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly batchInputShape: ShapeSpec;
  /** The compile settings, when they are to be saved. */
  readonly compiled: CompiledSettings | null;
}

/** A model's object, serialized twice: first to find the layers met more than once, then with their ids on every occurrence. */
function withSharing(serialize: (s: Serializer) => PyDict): PyDict {
  const probe = new Serializer();
  serialize(probe);
  return serialize(new Serializer(probe.repeatedLayers()));
}

/** config.json's text for a Sequential model, as Keras 3.12 writes it. */
export function writeConfig(model: ConfigSource): string {
  return pythonJson(withSharing((s) => sequentialObject(s, {}, model)));
}

/** `serialize_keras_object` of a Sequential model (the top one, or one used as a layer, then without compile settings). */
function sequentialObject(s: Serializer, global: KerasObject, model: ConfigSource & { readonly trainable?: boolean }): PyDict {
  const batchShape = [...model.batchInputShape];
  const reaching = masksReaching(model.layers);
  const modelObject: KerasObject = {};
  const top = s.object(modelObject, 'keras', 'Sequential', () => {
    // Sequential.get_config: the layers (InputLayer first), then Layer.get_config, then the build shape.
    const first = model.layers[0];
    const inputLayer: PyDict = s.object({}, 'keras.layers', 'InputLayer', () => ({
      batch_shape: batchShape,
      dtype: first instanceof Embedding ? 'int32' : 'float32',
      sparse: false,
      ragged: false,
      name: 'input_layer',
    }));
    const layers: PyValue[] = [inputLayer];
    let shape: ShapeSpec = batchShape;
    model.layers.forEach((layer, i) => {
      layers.push(serializeLayer({ s, global, masked: reaching[i] }, layer, shape));
      const output: ShapeSpec | readonly ShapeSpec[] = layer.computeOutputShape(shape);
      if (output.length > 0 && Array.isArray(output[0])) throw new Error(`${layer.name} (${layer.className}): gives several tensors; a Sequential model passes one between layers`);
      shape = output as ShapeSpec;
    });
    const config = layerBase(s, model.name, model.trainable ?? true, global);
    config.layers = copy(layers);
    config.build_input_shape = batchShape;
    return config;
  }, () => ({ build_config: { input_shape: batchShape }, ...compileConfig(s, model.compiled) }));
  return top;
}

/**
 * A model used as a layer, as Keras serializes it inside its outer model:
 * a Sequential with its build config, a functional model (Keras's
 * `Functional`) without one (Keras never calls its `build`), neither with
 * compile settings. Its layers are written as the outer model's are, in the
 * same sharing scope.
 */
function nestedModelObject(s: Serializer, global: KerasObject, layer: Layer): PyDict {
  const model = layer as Model;
  if (model.className === 'Sequential') {
    if (!model.batchInputShape) throw new Error(`${model.name} (Sequential): a nested Sequential model needs an input shape to be written to a .keras file`);
    return sequentialObject(s, global, { name: model.name, trainable: model.trainable, layers: model.layers, batchInputShape: model.batchInputShape, compiled: null });
  }
  return functionalObject(s, global, {
    name: model.name, trainable: model.trainable, layers: kerasOperations(model), nodes: model.nodes,
    inputs: model.inputs, outputs: model.outputs, outputsListed: model.multipleOutputs, compiled: null,
  });
}

/**
 * The layers of a functional model in the order of Keras's
 * `Functional.operations` (`map_graph` in keras/src/ops/function.py):
 * by depth, deepest (the inputs) first, and within a depth in the order a
 * depth-first walk from the outputs first reaches them. InputLayers are
 * among them, as in Keras. This order names the layers' weight groups
 * (`layers/lstm`, `layers/lstm_1`) and orders the optimizer's variables.
 */
export function kerasOperations(model: Model): Layer[] {
  const inputs = new Set(model.inputs);
  const finished = new Set<Node>();
  const ordered: Node[] = [];
  const index = new Map<Layer, number>();
  const visit = (x: SymbolicTensor): void => {
    const node = x.node;
    if (finished.has(node)) return;
    if (!index.has(node.layer)) index.set(node.layer, index.size);
    if (node.inputs.length > 0 && !inputs.has(x)) for (const t of node.inputs) visit(t);
    finished.add(node);
    ordered.push(node);
  };
  for (const y of model.outputs) visit(y);
  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...ordered].reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const x of node.inputs) nodeDepth.set(x.node, Math.max(depth + 1, nodeDepth.get(x.node) ?? 0));
  }
  for (const x of model.inputs) {
    if (!layerDepth.has(x.node.layer)) {
      layerDepth.set(x.node.layer, 0);
      index.set(x.node.layer, -1);
    }
  }
  return [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || index.get(a)! - index.get(b)!);
}

/** For each layer of a graph, whether a timestep mask may reach one of its applications (as Unrolled passes masks along). */
export function graphMasksReaching(nodes: readonly Node[]): Map<Layer, boolean> {
  const masked = new Map<SymbolicTensor, boolean>();
  const reaching = new Map<Layer, boolean>();
  for (const node of nodes) {
    const layer = node.layer;
    const inputs = node.inputs.map((x) => masked.get(x) ?? false);
    const first = inputs[0] ?? false;
    reaching.set(layer, (reaching.get(layer) ?? false) || inputs.some((m) => m));
    let out = first;
    if (layer instanceof Masking || (layer instanceof Embedding && layer.maskZero)) out = true;
    else if (layer instanceof RNN) out = first && layer.returnSequences;
    else if (layer instanceof Bidirectional) out = first && layer.forwardLayer.returnSequences;
    else if (layer instanceof RepeatVector || layer instanceof InputLayer) out = false;
    else if (inputs.length > 1) out = inputs.some((m) => m);
    // Only a layer's main output carries the mask; returned states do not.
    node.outputs.forEach((y, i) => masked.set(y, i === 0 ? out : false));
  }
  return reaching;
}

/** The graph a functional model's config is written from: its layers in Keras's order (InputLayers included) and its nodes. */
export interface FunctionalSource {
  readonly name: string;
  readonly trainable: boolean;
  /** Every layer once, in the order of Keras's `Functional.operations` (see kerasOperations). */
  readonly layers: readonly Layer[];
  /** The model's nodes, each after the nodes it reads from. */
  readonly nodes: readonly Node[];
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** True when the outputs are a list (`output_layers` is then a list of references). */
  readonly outputsListed: boolean;
  readonly compiled: ConfigSource['compiled'];
}

function kerasDtype(dtype: string): string {
  return dtype === 'int32' ? 'int32' : 'float32';
}

/**
 * config.json's text for a functional model, as Keras 3.12's
 * `Functional.get_config()` writes it: every layer's object with its
 * `name` and `inbound_nodes`, each node `{ args, kwargs }` holding
 * `__keras_tensor__` references `[layer, node index, tensor index]` (a
 * recurrent layer's initial states under `kwargs.initial_state`, a merge
 * layer's inputs as one list), then `input_layers` and `output_layers`.
 */
export function writeFunctionalConfig(model: FunctionalSource): string {
  return pythonJson(withSharing((s) => functionalObject(s, {}, model)));
}

/**
 * `serialize_keras_object` of a functional model. A model used as a layer
 * is referenced as Keras 3's `Functional.get_config` does: in a node's
 * arguments by its index among the outer model's applications of it (from
 * 0), in `output_layers` from 1 when it is a Functional (which Keras counts
 * as starting with a node of its own) and from 0 when it is a Sequential.
 */
function functionalObject(s: Serializer, global: KerasObject, model: FunctionalSource): PyDict {
  const reaching = graphMasksReaching(model.nodes);
  const own = model.nodes;
  // nodeIndexAmong counts a nested model's applications from 1, as Keras 2 and TF.js do.
  const history = (x: SymbolicTensor): PyValue[] => [x.node.layer.name, nodeIndexAmong(own, x.node) - (isModelLayer(x.node.layer) ? 1 : 0), x.outputIndex];
  const endpoint = (x: SymbolicTensor): PyValue[] => [x.node.layer.name, nodeIndexAmong(own, x.node) - (x.node.layer.className === 'Sequential' ? 1 : 0), x.outputIndex];
  const tensor = (x: SymbolicTensor): PyDict => ({
    class_name: '__keras_tensor__', config: { shape: [...x.shape], dtype: kerasDtype(x.dtype), keras_history: history(x) },
  });
  const takesStates = (layer: Layer): boolean => layer instanceof RNN || layer instanceof Bidirectional;
  const nodeConfig = (node: Node): PyDict => {
    const [first, ...rest] = node.inputs;
    if (takesStates(node.layer)) return { args: [tensor(first)], kwargs: rest.length > 0 ? { initial_state: rest.map(tensor) } : {} };
    if (rest.length > 0) return { args: [node.inputs.map(tensor)], kwargs: {} };
    return { args: [tensor(first)], kwargs: {} };
  };
  const buildConfig = (node: Node): PyDict => {
    const shapes = node.inputs.map((x) => [...x.shape] as PyValue);
    if (takesStates(node.layer)) {
      return shapes.length > 1 ? { shapes_dict: { sequences_shape: shapes[0], initial_state_shape: shapes.slice(1) } } : { input_shape: shapes[0] };
    }
    return { input_shape: shapes.length > 1 ? shapes : shapes[0] };
  };
  const top = s.object({}, 'keras.src.models.functional', 'Functional', () => {
    const layers: PyValue[] = model.layers.map((layer) => {
      const nodes = layer.inboundNodes.filter((n) => own.includes(n));
      let out: PyDict;
      if (layer instanceof InputLayer) {
        out = s.object(layer, 'keras.layers', 'InputLayer', () => ({
          batch_shape: [...layer.batchInputShape], dtype: kerasDtype(layer.dtype), sparse: false, ragged: false, name: layer.name,
        }));
      } else {
        out = serializeLayer({ s, global, masked: reaching.get(layer) ?? false }, layer, nodes[0].inputs[0].shape, undefined, buildConfig(nodes[0]));
      }
      out.name = layer.name;
      out.inbound_nodes = nodes.filter((n) => n.inputs.length > 0).map(nodeConfig);
      return out;
    });
    const references = (xs: readonly SymbolicTensor[], listed: boolean): PyValue => (listed ? xs.map(endpoint) : endpoint(xs[0]));
    return {
      name: model.name,
      trainable: model.trainable,
      layers: copy(layers),
      input_layers: references(model.inputs, model.inputs.length > 1),
      output_layers: references(model.outputs, model.outputsListed),
    };
  }, () => compileConfig(s, model.compiled), 'Functional');
  return top;
}

/** metadata.json's text: the Keras version whose layout the file follows, and the local time of saving. */
export function writeMetadata(saved: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const date = `${saved.getFullYear()}-${two(saved.getMonth() + 1)}-${two(saved.getDate())}@${two(saved.getHours())}:${two(saved.getMinutes())}:${two(saved.getSeconds())}`;
  return pythonJson({ keras_version: KERAS_VERSION, date_saved: date });
}

/** The Keras release whose files these are written like (config keys, weight paths, zip headers). */
export const KERAS_VERSION = '3.12.2';
