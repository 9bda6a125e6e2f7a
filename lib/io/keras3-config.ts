/**
 * config.json of a Keras 3 `.keras` file, both ways.
 *
 * Keras 3 writes every object as `serialize_keras_object` makes it:
 * `{ module, class_name, config, registered_name }`, with `build_config`
 * (the input shape a layer was built with) and, on the model,
 * `compile_config`. A functional model (`Functional`) lists each layer with
 * its `name` and `inbound_nodes`, every node `{ args, kwargs }` of
 * `__keras_tensor__` references. Reading turns the layers into the
 * `{ class_name, config }` entries `layerFromConfig` reads (and a
 * functional model's nodes into the list form TF.js and Keras 2 write,
 * which load.ts builds the graph from), after refusing what Keras's safe mode
 * would not load either: a lambda, a class from outside `keras.*`, a
 * registered (custom) object, a layer class Unrolled does not have.
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
 * Keras loads it as one layer (see `Serializer`). The compile settings
 * (compile_config) are written as `Trainer.get_compile_config()` does, loss
 * and metric objects with options as their classes' `get_config()`.
 */
import { canonicalActivation, type ActivationName } from '../../cells/common.ts';
import { initializerToKeras, type Initializer } from '../initializers.ts';
import type { Regularizer } from '../regularizers.ts';
import type { Optimizer } from '../../optim/index.ts';
import { Adadelta, Adagrad, Adam, Nadam, RMSprop, SGD } from '../../optim/index.ts';
import { Activation } from '../layers/activation.ts';
import { Bidirectional } from '../layers/bidirectional.ts';
import { Dense } from '../layers/dense.ts';
import { Dropout } from '../layers/dropout.ts';
import { Embedding } from '../layers/embedding.ts';
import { Layer, type ShapeSpec } from '../layers/layer.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { Masking } from '../layers/masking.ts';
import { Add, Average, Concatenate, Multiply, Subtract } from '../layers/merge.ts';
import { FusedRNN as RNN, GRU, LSTM, SimpleRNN } from '../layers/recurrent.ts';
import { RepeatVector } from '../layers/repeat-vector.ts';
import { TimeDistributed } from '../layers/time-distributed.ts';
import {
  BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy, lossNameOf, type LossName,
} from '../losses.ts';
import {
  AUC, BinaryAccuracy, CategoricalAccuracy, Metric, Precision, Recall, SparseCategoricalAccuracy, TopKCategoricalAccuracy, getMetric, metricKeyOf,
} from '../metrics.ts';
import { isModelLayer, nodeIndexAmong } from '../model/graph.ts';
import type { Model } from '../model/model.ts';
import type { Node, SymbolicTensor } from '../model/symbolic.ts';
import { metricNameOf } from './compile-objects.ts';
import { SUPPORTED_LAYERS, type LayerEntry } from './config.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

// ---------------------------------------------------------------- Python's json

/** A number Keras holds as a Python float: written `0.0`, `1e-07`, as Python's json writes it. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A value of config.json as Keras builds it before `json.dumps`. */
export type PyValue = null | boolean | number | string | PyFloat | PyValue[] | PyDict;
export interface PyDict { [key: string]: PyValue }

/** `repr(float)`: the shortest digits that round-trip, fixed notation for exponents -4 to 15, else `d.ddde±XX`. */
function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0.0';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = x < 0 ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction || '0'}`;
  }
  const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e}`;
}

/** A string as `json.dumps` writes it (ensure_ascii: everything outside space..~ escaped). */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)` with Python's defaults: `, ` and `: ` separators, ASCII only. */
export function pythonJson(value: PyValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`config.json: ${value} is not an integer; Keras's ints are written as ints`);
    return String(value);
  }
  if (value instanceof PyFloat) return pythonFloat(value.value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  return `{${Object.keys(value).map((k) => `${pythonString(k)}: ${pythonJson(value[k])}`).join(', ')}}`;
}

const float = (x: number): PyFloat => new PyFloat(x);

// ---------------------------------------------------------------- writing

/** `serialize_dict`: a fresh copy of every dict and list (the objects' own dicts stay with the sharing records). */
function copy(value: PyValue): PyValue {
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object' || value instanceof PyFloat) return value;
  const out: PyDict = {};
  for (const k of Object.keys(value)) out[k] = copy(value[k]);
  return out;
}

/** Stands for one Python object during a save, so that sharing is recorded as Keras records it. */
type KerasObject = object;

/**
 * `serialize_keras_object` inside an `ObjectSharingScope`, with one
 * departure: a layer in `everyOccurrence` (one the model holds more than
 * once) has its id from its first occurrence on. Keras's writer sets the id
 * on the first occurrence's dict when it meets the object again, which does
 * not reach that dict when it was first met inside a nested model (whose
 * config was copied when that model was done): Keras would then load the
 * file as two layers and fail on the weights of the second. Keras's loader
 * builds the first occurrence with an id and hands the same object to every
 * later one (`get_shared_object`), so with the id on every occurrence it
 * loads one layer.
 */
class Serializer {
  private readonly first = new Map<KerasObject, PyDict>();
  private readonly ids = new Map<KerasObject, number>();

  constructor(private readonly everyOccurrence: ReadonlySet<KerasObject> = new Set()) {}

  /** The layers this serializer met more than once. */
  repeatedLayers(): Set<KerasObject> {
    return new Set([...this.ids.keys()].filter((obj) => obj instanceof Layer));
  }

  /**
   * `{ module, class_name, config, registered_name }` for `obj`, its config
   * from `getConfig` (called now, as Keras calls `get_config()`), then any
   * build or compile config, then the sharing record.
   */
  object(obj: KerasObject, module: string, className: string, getConfig: () => PyDict, extra: () => PyDict = () => ({}), registered: string | null = null): PyDict {
    const out: PyDict = { module, class_name: className, config: copy(getConfig()), registered_name: registered };
    for (const [k, v] of Object.entries(extra())) out[k] = copy(v);
    const seen = this.first.get(obj);
    if (!seen) {
      this.first.set(obj, out);
      if (this.everyOccurrence.has(obj)) out.shared_object_id = this.idOf(obj);
    } else {
      const id = this.idOf(obj);
      out.shared_object_id = id;
      seen.shared_object_id = id;
    }
    return out;
  }

  /** A stand-in for Python's `id(obj)`: distinct per object, in the range CPython's addresses fall in. */
  private idOf(obj: KerasObject): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = 140_000_000_000_000 + 16 * (this.ids.size + 1);
      this.ids.set(obj, id);
    }
    return id;
  }
}

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

/** Keras's optimizer class, its name and config as `optimizer.get_config()` gives them. */
function optimizerConfig(optimizer: Optimizer): { className: string; config: PyDict } {
  const orNull = (v: number | undefined): PyValue => (v === undefined ? null : float(v));
  const base = (name: string): PyDict => ({
    name,
    learning_rate: float(optimizer.learningRate),
    weight_decay: orNull(optimizer.weightDecay),
    clipnorm: orNull(optimizer.clipnorm),
    global_clipnorm: orNull(optimizer.globalClipnorm),
    clipvalue: orNull(optimizer.clipvalue),
    use_ema: false,
    ema_momentum: float(0.99),
    ema_overwrite_frequency: null,
    loss_scale_factor: null,
    gradient_accumulation_steps: null,
  });
  if (optimizer instanceof RMSprop) {
    return {
      className: 'RMSprop',
      config: { ...base('rmsprop'), rho: float(optimizer.rho), momentum: float(optimizer.momentum), epsilon: float(optimizer.epsilon), centered: optimizer.centered },
    };
  }
  if (optimizer instanceof Adam) {
    return {
      className: 'Adam',
      config: { ...base('adam'), beta_1: float(optimizer.beta1), beta_2: float(optimizer.beta2), epsilon: float(optimizer.epsilon), amsgrad: optimizer.amsgrad },
    };
  }
  if (optimizer instanceof SGD) {
    return { className: 'SGD', config: { ...base('sgd'), momentum: float(optimizer.momentum), nesterov: optimizer.nesterov } };
  }
  if (optimizer instanceof Adagrad) {
    return { className: 'Adagrad', config: { ...base('adagrad'), initial_accumulator_value: float(optimizer.initialAccumulatorValue), epsilon: float(optimizer.epsilon) } };
  }
  if (optimizer instanceof Adadelta) {
    return { className: 'Adadelta', config: { ...base('adadelta'), rho: float(optimizer.rho), epsilon: float(optimizer.epsilon) } };
  }
  if (optimizer instanceof Nadam) {
    return { className: 'Nadam', config: { ...base('nadam'), beta_1: float(optimizer.beta1), beta_2: float(optimizer.beta2), epsilon: float(optimizer.epsilon) } };
  }
  throw new Error(`${optimizer.name}: this optimizer cannot be written to a .keras file; supported: SGD, RMSprop, Adam, Adagrad, Adadelta, Nadam`);
}

/** The name Keras gives a fresh optimizer of this class (`rmsprop`), which names its `vars` group. */
export function optimizerName(optimizer: Optimizer): string {
  return String(optimizerConfig(optimizer).config.name);
}

/** The compile settings written to compile_config. */
export interface CompiledSettings {
  optimizer: Optimizer;
  /** Each output's loss and metrics, in output order. */
  outputs: ReadonlyArray<{ readonly name: string; readonly loss: Loss; readonly metrics: readonly Metric[] }>;
  /** One weight per output, or null when all are 1 (Keras's `loss_weights=None`). */
  lossWeights: readonly number[] | null;
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
 * A loss as compile_config holds it: its name when the name says all, else
 * the loss object as Keras 3.12's `get_config` gives it (`Loss`'s name and
 * reduction, then the class's own keys).
 */
function lossValue(s: Serializer, loss: Loss): PyValue {
  if (loss.isPlain) return loss.kind;
  const config: PyDict = { name: loss.name, reduction: 'sum_over_batch_size', from_logits: loss.fromLogits };
  if (loss instanceof SparseCategoricalCrossentropy) config.ignore_class = null;
  else Object.assign(config, { label_smoothing: float(loss.labelSmoothing), axis: -1 });
  return s.object(loss, 'keras.losses', loss.className, () => config);
}

/** The Keras metric class of an mse or mae metric (named 'mse', or 'mse_1' when the name was taken), or undefined. */
function errorMetricClass(m: Metric): string | undefined {
  const key = metricKeyOf(m.name.replace(/_\d+$/, ''));
  if (key === undefined || m.constructor !== getMetric(key, 'mse').constructor) return undefined;
  if (key === 'mse' || key === 'mean_squared_error') return 'MeanSquaredError';
  return key === 'mae' || key === 'mean_absolute_error' ? 'MeanAbsoluteError' : undefined;
}

/** `{ class_name, config }` of a metric object as Keras 3.12's `get_config` gives it (name, dtype, then its own keys). */
function metricObject(m: Metric, output: string): { className: string; config: PyDict } {
  const base: PyDict = { name: m.name, dtype: 'float32' };
  if (m instanceof BinaryAccuracy) return { className: 'BinaryAccuracy', config: { ...base, threshold: float(m.threshold) } };
  if (m instanceof CategoricalAccuracy) return { className: 'CategoricalAccuracy', config: base };
  if (m instanceof SparseCategoricalAccuracy) return { className: 'SparseCategoricalAccuracy', config: base };
  if (m instanceof TopKCategoricalAccuracy) return { className: 'TopKCategoricalAccuracy', config: { ...base, k: m.k } };
  if (m instanceof Precision || m instanceof Recall) {
    const thresholds = float(Number(m.changedOptions().thresholds ?? 0.5));
    return { className: m instanceof Precision ? 'Precision' : 'Recall', config: { ...base, thresholds, top_k: null, class_id: null } };
  }
  if (m instanceof AUC) {
    return {
      className: 'AUC',
      config: {
        ...base, num_thresholds: m.numThresholds, curve: 'ROC', summation_method: 'interpolation',
        multi_label: false, num_labels: null, label_weights: null, from_logits: m.fromLogits,
      },
    };
  }
  const error = errorMetricClass(m);
  if (error) return { className: error, config: base };
  throw new Error(`metric '${m.name}' of output '${output}' is a function or a metric class of its own, whose code a .keras file cannot hold; save without includeOptimizer, or compile with Keras's metrics`);
}

/** A metric as compile_config holds it: its name when the name says all, else the metric object. */
function metricValue(m: Metric, loss: LossName, output: string): PyValue {
  const name = metricNameOf(m, loss);
  if (name !== null) return name;
  const { className, config } = metricObject(m, output);
  return { module: 'keras.metrics', class_name: className, config, registered_name: null };
}

/**
 * `{ compile_config }` as `Trainer.get_compile_config()` gives it, or
 * nothing for a model saved without its compile settings: one loss when
 * every output has the same, else a list; one list of metrics when every
 * output has the same, else a list per output.
 */
function compileConfig(s: Serializer, compiled: ConfigSource['compiled']): PyDict {
  if (!compiled) return {};
  const { optimizer, outputs, lossWeights } = compiled;
  const { className, config } = optimizerConfig(optimizer);
  const optimizerObject = s.object(optimizer, 'keras.optimizers', className, () => config);
  const losses = outputs.map((o) => o.loss);
  const oneLoss = losses.every((l) => l === losses[0] || (l.isPlain && losses[0].isPlain && l.kind === losses[0].kind));
  const lists = outputs.map((o) => o.metrics.map((m) => metricValue(m, o.loss.kind, o.name)));
  const oneList = lists.every((l) => pythonJson(l) === pythonJson(lists[0]));
  return {
    compile_config: {
      optimizer: optimizerObject,
      loss: oneLoss ? lossValue(s, losses[0]) : losses.map((l) => lossValue(s, l)),
      loss_weights: lossWeights ? lossWeights.map(float) : null,
      metrics: oneList ? (lists[0].length === 0 ? null : lists[0]) : lists,
      weighted_metrics: null,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: true,
    },
  };
}

/** compile_config's text alone, for a check before saving (it throws what writing the whole config would throw about it). */
export function compileConfigText(compiled: CompiledSettings): string {
  return pythonJson(compileConfig(new Serializer(), compiled));
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

// ---------------------------------------------------------------- reading

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

function refuseSet(config: JsonObject, keys: readonly string[], where: string, why: string): void {
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
function objectOf(entries: ReadonlyArray<[string, JsonValue]>): JsonObject {
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

/** A key of a loss or metric object's config that must be absent or hold one of `allowed`, or the object is refused. */
function onlyDefault(config: JsonObject, key: string, allowed: readonly JsonValue[], at: string, why: string): void {
  const v = own(config, key);
  if (v !== undefined && !allowed.includes(v)) throw new Error(`${at}: config key '${key}' is ${describe(v)}; ${why}`);
}

function optionOf<T extends JsonValue>(config: JsonObject, key: string, kind: 'number' | 'boolean' | 'string', at: string): T | undefined {
  const v = own(config, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== kind) throw new Error(`${at}: config key '${key}' must be a ${kind}, got ${describe(v)}`);
  return v as T;
}

/** Keras 3's loss classes and how each is read into Unrolled's loss object. */
const LOSS_CLASSES: Readonly<Record<string, (c: JsonObject, at: string) => Loss>> = {
  BinaryCrossentropy: (c, at) => new BinaryCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at), labelSmoothing: optionOf(c, 'label_smoothing', 'number', at) }),
  CategoricalCrossentropy: (c, at) => new CategoricalCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at), labelSmoothing: optionOf(c, 'label_smoothing', 'number', at) }),
  SparseCategoricalCrossentropy: (c, at) => {
    onlyDefault(c, 'ignore_class', [null], at, 'Unrolled\'s sparse categorical cross-entropy ignores no class');
    return new SparseCategoricalCrossentropy({ fromLogits: optionOf(c, 'from_logits', 'boolean', at) });
  },
  MeanSquaredError: () => new MeanSquaredError(),
  MeanAbsoluteError: () => new MeanAbsoluteError(),
};

/**
 * One Keras 3 loss: a name passes as it is; a loss object (Keras 3.12's
 * config: name, reduction, from_logits, label_smoothing, axis,
 * ignore_class) is read into the loss object, its name when its options
 * are the defaults. A reduction other than Keras's default
 * 'sum_over_batch_size' (Unrolled's), an axis other than −1, an ignored
 * class are refused.
 */
function lossOf(value: JsonValue | undefined, at: string): JsonValue | Loss | undefined {
  if (!isObject(value)) return value;
  const cls = own(value, 'class_name');
  const make = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(LOSS_CLASSES, cls) ? LOSS_CLASSES[cls] : undefined;
  if (!make) throw new Error(`${at}: loss ${describe(cls)} is not supported; supported: ${Object.keys(LOSS_CLASSES).join(', ')} (or their names)`);
  const lc = own(value, 'config');
  const config = isObject(lc) ? lc : objectOf([]);
  const where = `${at} (${cls})`;
  onlyDefault(config, 'reduction', [null, 'sum_over_batch_size'], where, "Unrolled reduces a loss as Keras's default 'sum_over_batch_size' does (Σ w·l / N)");
  onlyDefault(config, 'axis', [null, -1], where, 'Unrolled reduces a loss over the last axis');
  onlyDefault(config, 'dtype', [null, 'float32'], where, 'Unrolled computes losses in the dtype of the predictions');
  const loss = make(config, where);
  return loss.isPlain ? loss.kind : loss;
}

/** Keras 3's metric classes and how each is read into Unrolled's metric object (Keras 3.12's config keys). */
const METRIC_CLASSES: Readonly<Record<string, (c: JsonObject, name: string | undefined, at: string) => Metric>> = {
  BinaryAccuracy: (c, name, at) => new BinaryAccuracy({ name, threshold: optionOf(c, 'threshold', 'number', at) }),
  CategoricalAccuracy: (_c, name) => new CategoricalAccuracy({ name }),
  SparseCategoricalAccuracy: (_c, name) => new SparseCategoricalAccuracy({ name }),
  TopKCategoricalAccuracy: (c, name, at) => new TopKCategoricalAccuracy({ name, k: optionOf(c, 'k', 'number', at) }),
  Precision: (c, name, at) => new Precision({ name, thresholds: confusionThreshold(c, at) }),
  Recall: (c, name, at) => new Recall({ name, thresholds: confusionThreshold(c, at) }),
  AUC: (c, name, at) => {
    onlyDefault(c, 'curve', ['ROC'], at, 'Unrolled computes the area under the ROC curve');
    onlyDefault(c, 'summation_method', ['interpolation'], at, "Unrolled sums by the trapezoid rule (Keras's 'interpolation')");
    onlyDefault(c, 'multi_label', [false, null], at, 'Unrolled computes one curve over every label');
    for (const key of ['num_labels', 'label_weights', 'thresholds']) onlyDefault(c, key, [null], at, `Unrolled's AUC takes num_thresholds evenly spaced thresholds, without ${key}`);
    return new AUC({ name, numThresholds: optionOf(c, 'num_thresholds', 'number', at), fromLogits: optionOf(c, 'from_logits', 'boolean', at) });
  },
  MeanSquaredError: (_c, name) => getMetric('mse', 'mse', name ?? 'mean_squared_error'),
  MeanAbsoluteError: (_c, name) => getMetric('mae', 'mse', name ?? 'mean_absolute_error'),
};

/** Precision's or Recall's one threshold (a list of thresholds, top_k and class_id are refused). */
function confusionThreshold(c: JsonObject, at: string): number | undefined {
  onlyDefault(c, 'top_k', [null], at, 'Unrolled counts every prediction, not the top k');
  onlyDefault(c, 'class_id', [null], at, 'Unrolled counts over every class');
  const t = own(c, 'thresholds');
  if (Array.isArray(t)) throw new Error(`${at}: config key 'thresholds' is ${describe(t)}; Unrolled's ${String(own(c, 'name') ?? 'metric')} takes one threshold`);
  return optionOf<number>(c, 'thresholds', 'number', at);
}

/**
 * A list of Keras 3 metrics (names, or metric objects read into Unrolled's:
 * a name when the object's name and options are that name's defaults for
 * the output's loss, else the object under its own name as log key).
 */
function metricsOf(list: JsonValue, loss: JsonValue | Loss | undefined, at: string): Array<JsonValue | Metric> {
  if (!Array.isArray(list)) throw new Error(`${at}: metrics must be a list, got ${describe(list)}`);
  const kind: LossName = loss instanceof Loss ? loss.kind : (typeof loss === 'string' ? lossNameOf(loss) : undefined) ?? 'mse';
  return list.map((m, i) => {
    if (!isObject(m)) return m;
    const cls = own(m, 'class_name');
    const make = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(METRIC_CLASSES, cls) ? METRIC_CLASSES[cls] : undefined;
    if (!make) throw new Error(`${at}[${i}]: metric ${describe(cls)} is not supported; supported: ${Object.keys(METRIC_CLASSES).join(', ')} (or their names)`);
    const mc = own(m, 'config');
    const config = isObject(mc) ? mc : objectOf([]);
    const where = `${at}[${i}] (${cls})`;
    onlyDefault(config, 'dtype', [null, 'float32'], where, 'Unrolled computes metrics in float64');
    const metric = make(config, optionOf<string>(config, 'name', 'string', where), where);
    return metricNameOf(metric, kind) ?? metric;
  });
}

/** A loss of compile_config as read: a name (or null), or a loss object with options. */
type LossValue = JsonValue | Loss;
/** A metric of compile_config as read: a name, or a metric object that no name describes. */
type MetricValue = JsonValue | Metric;

/** compile_config's settings, in the training-config shape load.ts's `compileOptionsOf` reads. */
export interface KerasCompileSettings {
  [key: string]: JsonValue | Loss | Metric | LossValue[] | MetricValue[] | Record<string, LossValue> | Record<string, MetricValue[]> | undefined;
  optimizer_config: JsonObject;
  loss: LossValue | LossValue[] | Record<string, LossValue>;
  metrics: MetricValue[] | Record<string, MetricValue[]>;
  loss_weights: JsonValue;
}

/**
 * The compile settings of a compile_config, in the training-config shape
 * `optimizerFromConfig` and load.ts's `compileOptionsOf` read:
 * `{ optimizer_config, loss, metrics, loss_weights }`. The loss is one
 * loss, a list of one per output, or an object keyed by output name; a
 * loss object is read into Unrolled's (its name when its options are the
 * defaults), and so is a metric object. Metrics are one list for every
 * output, a list of lists (one per output, given here as an object keyed by
 * `outputNames`), or an object keyed by output name. `loss_weights`
 * (a list or an object) passes as it is. What Unrolled cannot honour
 * (weighted metrics, EMA, gradient accumulation, a learning-rate
 * schedule, a loss or metric option it does not have) throws; the reader then leaves the
 * model uncompiled.
 */
export function compileSettingsFromKeras(compile: JsonObject, where: string, outputNames: readonly string[] = []): KerasCompileSettings {
  const at = `${where}: config.json → compile_config`;
  const weighted = own(compile, 'weighted_metrics');
  if (weighted !== undefined && weighted !== null && !(Array.isArray(weighted) && weighted.length === 0)) {
    throw new Error(`${at}: weighted_metrics is ${describe(weighted)}; Unrolled weights the losses by sample weights but has no weighted metrics (its metrics are Keras's unweighted \`metrics\`)`);
  }
  let optimizer = own(compile, 'optimizer');
  if (typeof optimizer === 'string') optimizer = { class_name: optimizer, config: {} };
  if (!isObject(optimizer)) throw new Error(`${at}: optimizer must be a name or { class_name, config }, got ${describe(optimizer)}`);
  const oc = own(optimizer, 'config');
  if (isObject(oc)) {
    const lr = own(oc, 'learning_rate');
    if (isObject(lr)) throw new Error(`${at}.optimizer: the learning rate is a schedule (${describe(own(lr, 'class_name'))}); Unrolled has constant learning rates`);
    refuseSet(oc, ['use_ema'], `${at}.optimizer`, 'Unrolled keeps no moving average of the weights');
    for (const key of ['gradient_accumulation_steps', 'loss_scale_factor']) {
      const v = own(oc, key);
      if (v !== undefined && v !== null && v !== 0) throw new Error(`${at}.optimizer: config key '${key}' is ${describe(v)}; Unrolled's optimizers have no such option`);
    }
  }
  const rawLoss = own(compile, 'loss');
  let loss: LossValue | LossValue[] | Record<string, LossValue>;
  let keyed: Record<string, LossValue> | null = null;
  if (Array.isArray(rawLoss)) loss = rawLoss.map((l, i) => lossOf(l, `${at}: loss[${i}]`) ?? null);
  else if (isObject(rawLoss) && own(rawLoss, 'class_name') === undefined) {
    keyed = Object.fromEntries(Object.keys(rawLoss).map((k) => [k, lossOf(rawLoss[k], `${at}: loss['${k}']`) ?? null]));
    loss = keyed;
  } else loss = lossOf(rawLoss, `${at}: loss`) ?? null;
  const one = loss as LossValue;
  // The loss of output i (or the one loss), for the metrics' names.
  const lossAt = (i: number, name?: string): LossValue | undefined => {
    if (Array.isArray(loss)) return loss[i];
    if (keyed) return name === undefined ? undefined : keyed[name];
    return one;
  };
  const m = own(compile, 'metrics') ?? [];
  let metrics: MetricValue[] | Record<string, MetricValue[]>;
  if (Array.isArray(m) && m.length > 0 && m.every((x) => Array.isArray(x) || x === null)) {
    if (m.length === 1 && outputNames.length <= 1) metrics = metricsOf(m[0] ?? [], lossAt(0, outputNames[0]), `${at}: metrics[0]`);
    else {
      if (m.length !== outputNames.length) throw new Error(`${at}: metrics has ${m.length} lists for ${outputNames.length} outputs`);
      metrics = Object.fromEntries(m.map((list, i) => [outputNames[i], metricsOf(list ?? [], lossAt(i, outputNames[i]), `${at}: metrics[${i}]`)]));
    }
  } else if (isObject(m)) {
    metrics = Object.fromEntries(Object.keys(m).map((k) => {
      const v = m[k];
      return [k, metricsOf(Array.isArray(v) ? v : [v ?? null], lossAt(outputNames.indexOf(k), k), `${at}: metrics['${k}']`)];
    }));
  } else {
    metrics = metricsOf(m, lossAt(0, outputNames[0]), `${at}: metrics`);
  }
  return { optimizer_config: optimizer, loss, metrics, loss_weights: own(compile, 'loss_weights') ?? null };
}
