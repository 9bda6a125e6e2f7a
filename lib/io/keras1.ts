/**
 * Keras 1 model files in Keras 2's words, so that `layerFromConfig` and the
 * weight binding read them as they read Keras 2 files.
 *
 * Config: Keras 1 named what Keras 2 renamed. `output_dim` → `units` (not
 * for Embedding, where it stays), `init` → `kernel_initializer`
 * (`embeddings_initializer`), `inner_init` → `recurrent_initializer`,
 * `inner_activation` → `recurrent_activation`, `dropout_W` / `dropout_U` →
 * `dropout` / `recurrent_dropout`, `forget_bias_init: 'one'` →
 * `unit_forget_bias: true`, Dense's `bias` → `use_bias`, Dropout's `p` →
 * `rate`, `input_dtype` → `dtype`; on the first layer without
 * `batch_input_shape`, `input_dim` (and `input_length`) declare it.
 * `consume_less` chose between equivalent implementations and is dropped.
 * The regularizers and constraints (`W_regularizer`, `U_regularizer`,
 * `b_regularizer`, `activity_regularizer`, `W_constraint`, `U_constraint`,
 * `b_constraint`) must be null, and so must an Embedding's `dropout`:
 * Unrolled has none of them, and dropping one would train another model.
 *
 * Weights: Keras 1 stored an LSTM (with `consume_less` 'cpu' or 'mem') as
 * 12 per-gate arrays W_i U_i b_i W_c U_c b_c W_f U_f b_f W_o U_o b_o, and a
 * GRU as 9, W_z U_z b_z W_r U_r b_r W_h U_h b_h. Concatenated along the last
 * axis in Keras 2's gate order (LSTM i, f, c, o; GRU z, r, h) they are the
 * kernel [D, G·H], the recurrent kernel [H, G·H] and the bias [G·H]. A
 * Keras 1 GRU computes ĥ from r⊙h (reset before the matmul): Keras 2's
 * `reset_after: false`. With `consume_less: 'gpu'` both already stored the
 * three concatenated arrays, as does SimpleRNN (W, U, b). Bidirectional
 * holds the forward layer's arrays, then the backward layer's.
 */
import { Bidirectional } from '../layers/bidirectional.ts';
import type { Layer } from '../layers/layer.ts';
import { GRU, LSTM } from '../layers/recurrent.ts';
import { TimeDistributed } from '../layers/time-distributed.ts';
import { describe, isObject, own, type JsonObject, type JsonValue } from './json.ts';

/** A weight as the file stores it: a name, a shape, and its values on demand. */
export interface FileWeight {
  name: string;
  shape: readonly number[];
  read(): Float32Array;
}

const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];

/** Keras 1 key → Keras 2 key, by layer class. */
const RENAMED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Dense: { output_dim: 'units', init: 'kernel_initializer', bias: 'use_bias' },
  Embedding: { init: 'embeddings_initializer' },
  Dropout: { p: 'rate' },
  ...Object.fromEntries(RECURRENT.map((cls) => [cls, {
    output_dim: 'units', init: 'kernel_initializer', inner_init: 'recurrent_initializer',
    inner_activation: 'recurrent_activation', dropout_W: 'dropout', dropout_U: 'recurrent_dropout',
  }])),
};

const KERAS1_REGULARIZERS = ['W_regularizer', 'U_regularizer', 'b_regularizer', 'activity_regularizer', 'W_constraint', 'U_constraint', 'b_constraint'];

/** A null-prototype object: keys copied from a file stay keys. */
function entries(pairs: ReadonlyArray<[string, JsonValue | undefined]>): JsonObject {
  const out = Object.create(null) as JsonObject;
  for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * A Keras 1 layer entry `{ class_name, config }` as Keras 2 writes it;
 * `first` marks the model's first layer (the one that may declare the input
 * from `input_dim`). Entries that are not objects are passed on for
 * `layerFromConfig` to refuse.
 */
export function keras1Entry(entry: JsonValue, where: string, first: boolean): JsonValue {
  if (!isObject(entry)) return entry;
  const cls = own(entry, 'class_name');
  const config = own(entry, 'config');
  if (typeof cls !== 'string' || !isObject(config)) return entry;
  const name = own(config, 'name');
  const at = `${where}: layer ${typeof name === 'string' ? `'${name}' ` : ''}(${cls}, Keras 1)`;
  for (const key of KERAS1_REGULARIZERS) {
    const v = own(config, key);
    if (v !== undefined && v !== null) {
      throw new Error(`${at}: config key '${key}' is ${describe(v)}; Unrolled has no regularizers or constraints, and dropping one would train a different model`);
    }
  }
  const renamed = Object.prototype.hasOwnProperty.call(RENAMED, cls) ? RENAMED[cls] : {};
  const out: Array<[string, JsonValue | undefined]> = [];
  for (const key of Object.keys(config)) {
    const v = config[key];
    if (KERAS1_REGULARIZERS.includes(key) || key === 'consume_less' || key === 'forget_bias_init') continue;
    if (key === 'input_dim' && cls !== 'Embedding') continue;
    if (key === 'input_length' && cls !== 'Embedding') continue;
    if (key === 'dropout' && cls === 'Embedding') {
      if (v !== null && v !== 0) throw new Error(`${at}: config key 'dropout' is ${describe(v)}; Unrolled's Embedding has no dropout of whole embeddings`);
      continue;
    }
    if (key === 'input_dtype') {
      if (own(config, 'dtype') === undefined) out.push(['dtype', v]);
      continue;
    }
    const target = Object.prototype.hasOwnProperty.call(renamed, key) ? renamed[key] : key;
    if (target !== key && own(config, target) !== undefined) continue;
    out.push([target, v]);
  }
  if (cls === 'LSTM') out.push(['unit_forget_bias', own(config, 'forget_bias_init') === 'one']);
  if (cls === 'GRU') out.push(['reset_after', false]);
  if (first && own(config, 'batch_input_shape') == null) {
    const dim = own(config, 'input_dim');
    if (typeof dim === 'number' && cls === 'Dense') out.push(['batch_input_shape', [null, dim]]);
    if (typeof dim === 'number' && RECURRENT.includes(cls)) out.push(['batch_input_shape', [null, own(config, 'input_length') ?? null, dim]]);
  }
  const inner = own(config, 'layer');
  if ((cls === 'Bidirectional' || cls === 'TimeDistributed') && inner !== undefined) {
    const i = out.findIndex(([k]) => k === 'layer');
    out[i] = ['layer', keras1Entry(inner, `${at}, inner layer`, false)];
  }
  return entries([['class_name', cls], ['config', entries(out)]]);
}

/** `parts` concatenated along their last axis; every leading dimension must agree. */
function concatLast(parts: readonly FileWeight[], where: string): FileWeight {
  const lead = parts[0].shape.slice(0, -1);
  for (const p of parts) {
    if (p.shape.length === 0 || p.shape.slice(0, -1).join(',') !== lead.join(',')) {
      throw new Error(`${where}: the per-gate arrays ${parts.map((q) => `'${q.name}' [${q.shape.join(', ')}]`).join(', ')} cannot be joined along their last axis`);
    }
  }
  const widths = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const rows = lead.reduce((a, b) => a * b, 1);
  return {
    name: parts.map((p) => p.name).join(' + '),
    shape: [...lead, total],
    read: () => {
      const out = new Float32Array(rows * total);
      let column = 0;
      parts.forEach((p, k) => {
        const values = p.read();
        const w = widths[k];
        for (let r = 0; r < rows; r++) out.set(values.subarray(r * w, (r + 1) * w), r * total + column);
        column += w;
      });
      return out;
    },
  };
}

/**
 * Keras 1's weights of `layer` in Keras 2's layout: per-gate LSTM and GRU
 * arrays concatenated in Keras 2's gate order, inside Bidirectional (each
 * half) and TimeDistributed too; any other list is returned as it is.
 */
export function keras1Weights(layer: Layer, weights: readonly FileWeight[], where: string): FileWeight[] {
  const at = `${where}: layer '${layer.name}' (${layer.className}, Keras 1)`;
  if (layer instanceof Bidirectional && weights.length % 2 === 0) {
    const half = weights.length / 2;
    return [...keras1Weights(layer.forwardLayer, weights.slice(0, half), where), ...keras1Weights(layer.backwardLayer, weights.slice(half), where)];
  }
  if (layer instanceof TimeDistributed) return keras1Weights(layer.layer, weights, where);
  const pick = (order: readonly number[]): FileWeight[] => order.map((i) => weights[i]);
  if (layer instanceof LSTM && weights.length === 12) {
    // Stored i, c, f, o; Keras 2 is i, f, c, o.
    return [concatLast(pick([0, 6, 3, 9]), at), concatLast(pick([1, 7, 4, 10]), at), concatLast(pick([2, 8, 5, 11]), at)];
  }
  if (layer instanceof GRU && weights.length === 9) {
    return [concatLast(pick([0, 3, 6]), at), concatLast(pick([1, 4, 7]), at), concatLast(pick([2, 5, 8]), at)];
  }
  return [...weights];
}
