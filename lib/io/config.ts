/**
 * Layers as Keras and TensorFlow.js describe them in a model file:
 * `{ class_name, config }` with snake_case keys. `layerToConfig` writes the
 * keys TF.js 4.x writes (nulls included); `layerFromConfig` reads what real
 * files hold, and refuses what Unrolled cannot honour (a regularizer, a
 * constraint, an activation it does not have) instead of dropping it.
 *
 * Initializers only matter before training starts; a loaded model takes its
 * weights from the file, so an initializer Unrolled does not have is read as
 * the layer's default.
 */
import { canonicalActivation, type ActivationName } from '../../cells/common.ts';
import { initializerFromFile, initializerToTfjs, type Initializer } from '../initializers.ts';
import { regularizerFromFile, regularizerToTfjs, type Regularizer } from '../regularizers.ts';
import { Activation } from '../layers/activation.ts';
import { Bidirectional, type MergeMode } from '../layers/bidirectional.ts';
import { DENSE_ACTIVATIONS, Dense, type DenseActivation } from '../layers/dense.ts';
import { Dropout } from '../layers/dropout.ts';
import { Embedding } from '../layers/embedding.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { Masking } from '../layers/masking.ts';
import { Add, Average, Concatenate, Multiply, Subtract } from '../layers/merge.ts';
import { RepeatVector } from '../layers/repeat-vector.ts';
import type { Layer } from '../layers/layer.ts';
import { FusedRNN, GRU, LSTM, RNN, SimpleRNN, type RecurrentOptions } from '../layers/recurrent.ts';
import { cellRnnConfig, cellRnnFromConfig, isCellRnn } from '../layers/rnn-config.ts';
import { TimeDistributed } from '../layers/time-distributed.ts';
import { ConfigReader, describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

/** A layer in a topology: `{ class_name, config }`. */
export interface LayerEntry {
  class_name: string;
  config: JsonObject;
}

/** The layer classes a model file may name. */
export const SUPPORTED_LAYERS = [
  'InputLayer', 'Embedding', 'Masking', 'SimpleRNN', 'LSTM', 'GRU', 'RNN', 'Bidirectional', 'TimeDistributed', 'Dense', 'Activation',
  'Dropout', 'RepeatVector', 'Concatenate', 'Add', 'Subtract', 'Multiply', 'Average',
] as const;

/** What reading a layer may ask of the file beyond its config. */
export interface ReadContext {
  /** The file (or handler) being read, for error messages. */
  file: string;
  /** The shape of a weight declared in the file, by its normalised name (`gru/bias`), if declared. */
  weightShape(name: string): readonly number[] | undefined;
  /**
   * What `hard_sigmoid` means in this file: clip(0.2x + 0.5) in TF.js and
   * Keras ≤ 2 files (the default), relu6(x + 3) / 6 in Keras 3 files.
   */
  hardSigmoid?: 'hard_sigmoid' | 'hard_sigmoid_keras3';
  /**
   * Puts a layer entry of the file in the words `layerFromConfig` reads
   * before it is read (Keras 1's keys, keras1.ts); `first` marks a
   * Sequential model's first layer. Absent: entries are read as they are.
   */
  entryOf?(entry: JsonValue, where: string, first: boolean): JsonValue;
  /**
   * The layer for an entry's config object: `make()`'s, or the layer already
   * made for the same object of the file (Keras 3's `shared_object_id`, one
   * layer used in several models). Absent: every entry is a layer of its own.
   */
  sharedLayer?(config: JsonObject, make: () => Layer): Layer;
}

// ---------------------------------------------------------------- writing

/** The cell activations a file may name; `hard_sigmoid` is read as the file's origin means it (see ReadContext). */
const FILE_CELL_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear', 'hard_sigmoid'] as const;

function cellActivation(r: ConfigReader, key: string, fallback: ActivationName, context: ReadContext): ActivationName {
  const name = r.oneOf(key, FILE_CELL_ACTIVATIONS, fallback === 'hard_sigmoid_keras3' ? 'hard_sigmoid' : fallback);
  return name === 'hard_sigmoid' ? (context.hardSigmoid ?? 'hard_sigmoid') : name;
}

/** A cell activation as TF.js names it; relu6(x + 3) / 6 has no TF.js name and is refused rather than renamed. */
function writtenActivation(layer: RNN, name: ActivationName): string {
  if (name === 'hard_sigmoid_keras3') {
    throw new Error(`${layer.name} (${layer.className}): hard_sigmoid_keras3 (relu6(x + 3) / 6) has no name in the TF.js format, whose hard_sigmoid is clip(0.2x + 0.5); saving it under that name would change what the model computes`);
  }
  return name;
}

/** An initializer as TF.js writes it (initializers.ts). */
function initializerConfig(init: Initializer): JsonObject {
  return initializerToTfjs(init);
}

function recurrentConfig(layer: FusedRNN): JsonObject {
  const o = layer.options;
  const config: JsonObject = {
    name: layer.name,
    trainable: layer.trainable,
    units: layer.units,
    activation: writtenActivation(layer, canonicalActivation(o.activation) ?? 'tanh'),
  };
  if (!(layer instanceof SimpleRNN)) config.recurrent_activation = writtenActivation(layer, canonicalActivation(o.recurrentActivation) ?? 'sigmoid');
  Object.assign(config, {
    use_bias: o.useBias ?? true,
    kernel_initializer: initializerConfig(layer.initializers.kernel),
    recurrent_initializer: initializerConfig(layer.initializers.recurrent),
    bias_initializer: initializerConfig(layer.initializers.bias),
  });
  if (layer instanceof LSTM) config.unit_forget_bias = layer.options.unitForgetBias ?? true;
  Object.assign(config, {
    kernel_regularizer: regularizerToTfjs(layer.regularizers.kernel),
    recurrent_regularizer: regularizerToTfjs(layer.regularizers.recurrent),
    bias_regularizer: regularizerToTfjs(layer.regularizers.bias),
    activity_regularizer: regularizerToTfjs(layer.activityRegularizer),
    kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
    dropout: layer.dropout,
    recurrent_dropout: layer.recurrentDropout,
  });
  if (!(layer instanceof SimpleRNN)) config.implementation = null;
  if (layer instanceof GRU) config.reset_after = layer.resetAfter;
  Object.assign(config, {
    return_sequences: layer.returnSequences,
    return_state: layer.returnState,
    go_backwards: layer.goBackwards,
    stateful: layer.stateful,
    unroll: false,
  });
  return config;
}

/**
 * The `{ class_name, config }` of `layer`. `batchInputShape` (batch first)
 * is written on the first layer of a Sequential model, as TF.js does.
 */
export function layerToConfig(layer: Layer, batchInputShape?: ReadonlyArray<number | null>): LayerEntry {
  let config: JsonObject;
  if (layer instanceof Embedding) {
    config = {
      input_dim: layer.inputDim,
      output_dim: layer.outputDim,
      embeddings_initializer: initializerConfig(layer.embeddingsInitializer),
      embeddings_regularizer: regularizerToTfjs(layer.embeddingsRegularizer),
      activity_regularizer: regularizerToTfjs(layer.activityRegularizer),
      embeddings_constraint: null,
      mask_zero: layer.maskZero,
      input_length: layer.inputShape?.[0] ?? null,
      name: layer.name,
      trainable: layer.trainable,
    };
  } else if (layer instanceof FusedRNN) {
    config = recurrentConfig(layer);
  } else if (isCellRnn(layer)) {
    config = cellRnnConfig(layer, layerToConfig);
  } else if (layer instanceof Dense) {
    config = {
      units: layer.units,
      activation: layer.activation,
      use_bias: layer.useBias,
      kernel_initializer: initializerConfig(layer.kernelInitializer),
      bias_initializer: initializerConfig(layer.biasInitializer),
      kernel_regularizer: regularizerToTfjs(layer.kernelRegularizer),
      bias_regularizer: regularizerToTfjs(layer.biasRegularizer),
      activity_regularizer: regularizerToTfjs(layer.activityRegularizer),
      kernel_constraint: null, bias_constraint: null,
      name: layer.name,
      trainable: layer.trainable,
    };
  } else if (layer instanceof Bidirectional) {
    const inner = layerToConfig(layer.forwardLayer);
    inner.config.name = layer.innerName;
    config = { merge_mode: layer.mergeMode, layer: { ...inner }, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof TimeDistributed) {
    config = { layer: { ...layerToConfig(layer.layer) }, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof Activation) {
    config = { activation: layer.activation, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof Dropout) {
    config = { rate: layer.rate, noise_shape: null, seed: null, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof Masking) {
    config = { mask_value: layer.maskValue, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof RepeatVector) {
    config = { n: layer.n, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof Concatenate) {
    config = { axis: layer.axis, name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof Add || layer instanceof Subtract || layer instanceof Multiply || layer instanceof Average) {
    config = { name: layer.name, trainable: layer.trainable };
  } else if (layer instanceof InputLayer) {
    return { class_name: 'InputLayer', config: { batch_input_shape: [...layer.batchInputShape], dtype: layer.dtype, sparse: false, name: layer.name } };
  } else {
    throw new Error(`${layer.name}: a ${layer.className} layer cannot be written to a model file; supported: ${SUPPORTED_LAYERS.join(', ')}`);
  }
  if (batchInputShape) {
    config.batch_input_shape = [...batchInputShape];
    config.dtype = 'float32';
  }
  return { class_name: layer.className, config };
}

// ---------------------------------------------------------------- reading

const CONSTRAINTS = ['kernel_constraint', 'recurrent_constraint', 'bias_constraint', 'embeddings_constraint'];
const NO_CONSTRAINTS = 'Unrolled has no weight constraints, and dropping one would train a different model';

/** The regularizer options of a layer from its config keys (`kernel_regularizer` → kernelRegularizer), each present one read. */
function regularizersOf(r: ConfigReader, keys: readonly string[]): Record<string, Regularizer> {
  const out: Record<string, Regularizer> = {};
  for (const key of keys) {
    const reg = regularizerFromFile(r.raw(key), `${r.where}: ${key}`);
    if (reg) out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = reg;
  }
  return out;
}

/** The initializer options of a layer from its config keys (`kernel_initializer` → kernelInitializer); one Unrolled does not have is left to the default. */
function initializersOf(r: ConfigReader, keys: readonly string[]): Record<string, Initializer> {
  const out: Record<string, Initializer> = {};
  for (const key of keys) {
    const init = initializerFromFile(r.raw(key), `${r.where}: ${key}`);
    if (init) out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = init;
  }
  return out;
}

/** `dtype`: a string (Keras 2, TF.js) or a DTypePolicy object `{ class_name, config: { name } }` (Keras 3); float32 only. */
function readDtype(r: ConfigReader): void {
  const v = r.raw('dtype');
  const policy = isObject(v) ? own(v, 'config') : undefined;
  const name = isObject(v) ? (isObject(policy) ? own(policy, 'name') : undefined) : v;
  if (name !== undefined && name !== 'float32') {
    throw new Error(`${r.where}: config key 'dtype' is ${describe(v)}; Unrolled loads float32 models`);
  }
}

/** The input shape (without the batch) a layer declares, from `batch_input_shape` (Keras 2, TF.js) or `batch_shape` (Keras 3). */
export function declaredInputShape(r: ConfigReader): Array<number | null> | undefined {
  const shape = r.shape('batch_input_shape') ?? r.shape('batch_shape');
  if (shape === undefined) return undefined;
  if (shape.length < 2) r.fail(r.has('batch_input_shape') ? 'batch_input_shape' : 'batch_shape', 'a shape [batch, ...] of rank 2 or more');
  return shape.slice(1);
}

function common(r: ConfigReader, withInput = true): { name?: string; inputShape?: Array<number | null> } {
  readDtype(r);
  const options: { name?: string; inputShape?: Array<number | null> } = {};
  const name = r.string('name');
  if (name !== undefined) options.name = name;
  const inputShape = withInput ? declaredInputShape(r) : undefined;
  if (inputShape) options.inputShape = inputShape;
  return options;
}

function readRecurrent(cls: string, r: ConfigReader, context: ReadContext): RNN {
  r.requireAbsent(CONSTRAINTS, NO_CONSTRAINTS);
  r.requireValue('time_major', false, 'Unrolled reads batch-major sequences only');
  const options: RecurrentOptions = {
    ...common(r),
    returnState: r.bool('return_state', false),
    activation: cellActivation(r, 'activation', 'tanh', context),
    useBias: r.bool('use_bias', true),
    returnSequences: r.bool('return_sequences', false),
    goBackwards: r.bool('go_backwards', false),
    stateful: r.bool('stateful', false),
    dropout: r.number('dropout', 0),
    recurrentDropout: r.number('recurrent_dropout', 0),
    ...initializersOf(r, ['kernel_initializer', 'recurrent_initializer', 'bias_initializer']),
    ...regularizersOf(r, ['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer']),
  };
  const units = r.positiveInt('units');
  if (cls === 'SimpleRNN') return new SimpleRNN(units, options);
  // TF.js and Keras 2 default to hard_sigmoid when the key is absent.
  options.recurrentActivation = cellActivation(r, 'recurrent_activation', 'hard_sigmoid', context);
  if (cls === 'LSTM') return new LSTM(units, { ...options, unitForgetBias: r.bool('unit_forget_bias', true) });
  return new GRU(units, { ...options, resetAfter: gruResetAfter(r, context, units) });
}

/**
 * `reset_after` as the file says it; when the key is absent (TF.js and older
 * Keras), the bias shape decides: [2, 3H] is reset-after, [3H] is not.
 */
function gruResetAfter(r: ConfigReader, context: ReadContext, units: number): boolean {
  if (r.has('reset_after')) return r.bool('reset_after', false);
  const name = r.string('name');
  const bias = name === undefined ? undefined : context.weightShape(`${name}/bias`);
  if (bias && bias.length === 2 && bias[0] === 2 && bias[1] === 3 * units) return true;
  return false;
}

function readEntry(entry: unknown, where: string): { cls: string; r: ConfigReader } {
  if (!isObject(entry)) throw new Error(`${where}: a layer must be an object { class_name, config }, got ${describe(entry)}`);
  const cls = own(entry, 'class_name');
  const config = own(entry, 'config');
  if (typeof cls !== 'string') throw new Error(`${where}: a layer's class_name must be a string, got ${describe(cls)}`);
  if (!isObject(config)) throw new Error(`${where}: the config of the ${cls} layer must be an object, got ${describe(config)}`);
  const name = own(config, 'name');
  return { cls, r: new ConfigReader(`${where}: layer ${typeof name === 'string' ? `'${name}' ` : ''}(${cls})`, config) };
}

/** Builds the layer an entry describes; errors name `context.file`, the layer and the key. */
export function layerFromConfig(entry: unknown, context: ReadContext, where = context.file): Layer {
  const make = (): Layer => {
    const { cls, r } = readEntry(entry, where);
    const layer = buildLayer(cls, r, context, where);
    layer.trainable = r.bool('trainable', true);
    return layer;
  };
  const config = isObject(entry) ? own(entry, 'config') : undefined;
  return context.sharedLayer && isObject(config) ? context.sharedLayer(config, make) : make();
}

function buildLayer(cls: string, r: ConfigReader, context: ReadContext, where: string): Layer {
  switch (cls) {
    case 'InputLayer': {
      readDtype(r);
      r.requireValue('sparse', false, 'Unrolled has no sparse inputs');
      r.requireValue('ragged', false, 'Unrolled has no ragged inputs');
      const inputShape = declaredInputShape(r);
      if (!inputShape) r.fail('batch_input_shape', 'a shape [batch, ...] (or batch_shape)');
      const name = r.string('name');
      const batch = (r.shape('batch_input_shape') ?? r.shape('batch_shape'))?.[0] ?? null;
      return new InputLayer({ inputShape, ...(name === undefined ? {} : { name }), ...(batch === null ? {} : { batchSize: batch }) });
    }
    case 'Embedding': {
      r.requireAbsent(CONSTRAINTS, NO_CONSTRAINTS);
      const options = common(r);
      const length = r.raw('input_length');
      const inputLength = Array.isArray(length) && length.length === 1 ? length[0] : length;
      if (inputLength !== undefined && inputLength !== null && !(typeof inputLength === 'number' && Number.isInteger(inputLength) && inputLength > 0)) {
        r.fail('input_length', 'a positive integer or null');
      }
      return new Embedding(r.positiveInt('input_dim'), r.positiveInt('output_dim'), {
        ...options,
        maskZero: r.bool('mask_zero', false),
        ...(typeof inputLength === 'number' && !options.inputShape ? { inputLength } : {}),
        ...initializersOf(r, ['embeddings_initializer']),
        ...regularizersOf(r, ['embeddings_regularizer', 'activity_regularizer']),
      });
    }
    case 'RNN':
      return cellRnnFromConfig(r, context, layerFromConfig, common(r));
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return readRecurrent(cls, r, context);
    case 'Dense': {
      r.requireAbsent(CONSTRAINTS, NO_CONSTRAINTS);
      return new Dense(r.positiveInt('units'), {
        ...common(r),
        activation: r.oneOf<DenseActivation>('activation', DENSE_ACTIVATIONS, 'linear'),
        useBias: r.bool('use_bias', true),
        ...initializersOf(r, ['kernel_initializer', 'bias_initializer']),
        ...regularizersOf(r, ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer']),
      });
    }
    case 'Activation':
      return new Activation(r.oneOf<DenseActivation>('activation', DENSE_ACTIVATIONS, 'linear'), common(r));
    case 'Dropout':
      r.requireAbsent(['noise_shape'], 'Unrolled drops elements independently');
      return new Dropout(r.number('rate', 0), common(r));
    case 'Masking':
      return new Masking({ ...common(r), maskValue: r.number('mask_value', 0) });
    case 'RepeatVector':
      return new RepeatVector(r.positiveInt('n'), common(r));
    case 'Concatenate': {
      const axis = r.number('axis', -1);
      if (!Number.isInteger(axis) || axis === 0) r.fail('axis', 'a non-zero integer');
      return new Concatenate({ ...common(r, false), axis });
    }
    case 'Add': return new Add(common(r, false));
    case 'Subtract': return new Subtract(common(r, false));
    case 'Multiply': return new Multiply(common(r, false));
    case 'Average': return new Average(common(r, false));
    case 'Bidirectional': {
      const options = common(r);
      // merge_mode null means both outputs, as a list (an absent key means the default, concat).
      const mergeMode = own(r.config, 'merge_mode') === null ? null : r.oneOf<MergeMode>('merge_mode', ['concat', 'sum', 'mul', 'ave'], 'concat');
      const inner = layerFromConfig(r.raw('layer'), context, `${r.where}, inner layer`);
      if (!(inner instanceof RNN)) throw new Error(`${r.where}: wraps a ${inner.className}; Bidirectional needs SimpleRNN, LSTM or GRU`);
      const backward = r.raw('backward_layer');
      const file = backward === undefined ? null : checkBackwardLayer(r, backward, inner, context);
      const layer = new Bidirectional(inner, { ...options, mergeMode });
      // A direction frozen on its own (Keras writes each direction's trainable) stays frozen.
      if (file && !file.trainable) layer.backwardLayer.trainable = false;
      return layer;
    }
    case 'TimeDistributed': {
      const options = common(r);
      const inner = layerFromConfig(r.raw('layer'), context, `${r.where}, inner layer`);
      return new TimeDistributed(inner, options);
    }
    default:
      throw new Error(`${where}: layer class '${cls}' is not supported; supported: ${SUPPORTED_LAYERS.join(', ')}`);
  }
}

/**
 * Keras may write the backward copy of a Bidirectional layer out in full.
 * Unrolled builds it from the forward one, so the file's copy must be that
 * one: same class and units, `go_backwards` flipped. Gives the file's copy.
 */
function checkBackwardLayer(r: ConfigReader, backward: JsonValue, forward: RNN, context: ReadContext): Layer {
  const built = layerFromConfig(backward, context, `${r.where}, backward layer`);
  if (!(built instanceof RNN) || built.className !== forward.className || (built as FusedRNN).units !== (forward as FusedRNN).units || built.goBackwards === forward.goBackwards) {
    throw new Error(`${r.where}: backward_layer (${built.className}, go_backwards ${String((built as RNN).goBackwards)}) is not the forward layer reversed; Unrolled supports only that`);
  }
  return built;
}
