/**
 * An RNN of a cell in a model file, as TF.js writes it: `{ class_name: 'RNN',
 * config: { name, return_sequences, …, cell: { class_name, config } } }`.
 * The built-in cells' configs are their layers' cell keys (an LSTMCell's are
 * the LSTM layer's without the sequence keys), read and written by the
 * layers' own code (io/config.ts) so that the two never drift apart; a
 * StackedRNNCells holds `cells`, a list of such entries. A cell of your own
 * is written as its class name and its getConfig(), and read back through
 * the class registered under that name (registerCell).
 */
import { describe, isObject, own, type JsonObject, type JsonValue } from '../io/json.ts';
import type { ReadContext } from '../io/config.ts';
import type { ConfigReader } from '../io/json.ts';
import { BuiltinCell, GRUCell, LSTMCell, SimpleRNNCell, cellOptionsOf } from './cells/builtin.ts';
import { RNNCell, type CellConfig } from './cells/cell.ts';
import { registeredCell } from './cells/registry.ts';
import { StackedRNNCells } from './cells/stacked.ts';
import type { Layer } from './layer.ts';
import { FusedRNN, GRU, LSTM, SimpleRNN } from './recurrent.ts';
import { RNN } from './rnn.ts';

type Entry = { class_name: string; config: JsonObject };
/** io/config.ts's layerToConfig and layerFromConfig, handed in (they call back into this file). */
export type WriteLayer = (layer: Layer) => Entry;
export type ReadLayer = (entry: unknown, context: ReadContext, where?: string) => Layer;

/** The keys of a recurrent layer's config that are the layer's, not its cell's. */
const LAYER_KEYS = ['return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'batch_input_shape', 'dtype'];

/** True for an RNN of a cell (not SimpleRNN, LSTM or GRU, which are written as themselves). */
export function isCellRnn(layer: Layer): layer is RNN {
  return layer instanceof RNN && !(layer instanceof FusedRNN);
}

function builtinLayer(cell: BuiltinCell): FusedRNN {
  const options = { ...cell.options, name: cell.name };
  if (cell instanceof LSTMCell) return new LSTM(cell.units, options);
  if (cell instanceof GRUCell) return new GRU(cell.units, options);
  return new SimpleRNN(cell.units, options);
}

function cellEntry(where: string, cell: RNNCell, write: WriteLayer): Entry {
  if (cell instanceof StackedRNNCells) {
    return { class_name: 'StackedRNNCells', config: { name: cell.name, trainable: true, cells: cell.cells.map((c) => cellEntry(where, c, write)) } };
  }
  if (cell instanceof BuiltinCell) {
    const { config } = write(builtinLayer(cell));
    for (const key of LAYER_KEYS) delete config[key];
    return { class_name: cell.className, config };
  }
  if (registeredCell(cell.className) !== (cell.constructor as unknown)) {
    throw new Error(`${where}: its cell ${cell.className} is not registered; call registerCell(${cell.className}) so that a model file can name it (and loading can make it again)`);
  }
  const config = cell.getConfig();
  const text = JSON.stringify(config);
  if (!isObject(config) || text === undefined) throw new Error(`${where}: ${cell.className}.getConfig() must give an object of plain JSON values, got ${describe(config)}`);
  return { class_name: cell.className, config: JSON.parse(text) as JsonObject };
}

/** The config of an RNN of a cell, in the TF.js layout. */
export function cellRnnConfig(layer: RNN, write: WriteLayer): JsonObject {
  return {
    name: layer.name,
    trainable: layer.trainable,
    return_sequences: layer.returnSequences,
    return_state: layer.returnState,
    go_backwards: layer.goBackwards,
    stateful: layer.stateful,
    unroll: false,
    cell: cellEntry(`${layer.name} (RNN)`, layer.cell, write),
  };
}

const BUILT_IN: Readonly<Record<string, 'SimpleRNN' | 'LSTM' | 'GRU'>> = { SimpleRNNCell: 'SimpleRNN', LSTMCell: 'LSTM', GRUCell: 'GRU' };

/** The cell an entry of the file describes; `prefix` is where its weights sit under the layer (`rnn/RNNCell_0/`). */
function cellFromEntry(where: string, entry: JsonValue | undefined, context: ReadContext, read: ReadLayer, prefix: string): RNNCell {
  const cls = isObject(entry) ? own(entry, 'class_name') : undefined;
  const config = isObject(entry) ? own(entry, 'config') : undefined;
  if (typeof cls !== 'string' || !isObject(config)) throw new Error(`${where}: a cell must be an object { class_name, config }, got ${describe(entry)}`);
  const at = `${where}, cell ${cls}`;
  if (cls === 'StackedRNNCells') {
    const cells = own(config, 'cells');
    if (!Array.isArray(cells) || cells.length === 0) throw new Error(`${at}: 'cells' must be a non-empty list of cells, got ${describe(cells)}`);
    return new StackedRNNCells(cells.map((c, i) => cellFromEntry(`${at} ${i}`, c, context, read, `${prefix}RNNCell_${i}/`)));
  }
  const kind = Object.prototype.hasOwnProperty.call(BUILT_IN, cls) ? BUILT_IN[cls] : undefined;
  if (kind) {
    // The cell's weights are the RNN layer's: `rnn/bias`, not `<cell name>/bias`.
    const weightShape = (name: string): readonly number[] | undefined => context.weightShape(`${prefix}${name.slice(name.lastIndexOf('/') + 1)}`);
    const layer = read({ class_name: kind, config: { ...config } }, { file: context.file, hardSigmoid: context.hardSigmoid, weightShape }, at) as FusedRNN;
    const name = own(config, 'name');
    const options = { ...cellOptionsOf(kind, layer.options), ...(typeof name === 'string' ? { name } : {}) };
    return kind === 'LSTM' ? new LSTMCell(layer.units, options) : kind === 'GRU' ? new GRUCell(layer.units, options) : new SimpleRNNCell(layer.units, options);
  }
  const registered = registeredCell(cls);
  if (!registered) throw new Error(`${at}: no cell class is registered as '${cls}'; call registerCell(${cls}) before loading (built-in cells: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells)`);
  const cell = registered.fromConfig(config as CellConfig);
  if (!(cell instanceof RNNCell)) throw new Error(`${at}: ${cls}.fromConfig gave ${describe(cell)}, not a cell`);
  return cell;
}

/** The RNN of a cell an entry's config describes (class_name 'RNN'). */
export function cellRnnFromConfig(r: ConfigReader, context: ReadContext, read: ReadLayer, options: { name?: string; inputShape?: Array<number | null> }): RNN {
  r.requireValue('time_major', false, 'Unrolled reads batch-major sequences only');
  if (r.has('num_constants') && r.raw('num_constants') !== null) r.fail('num_constants', 'null (Unrolled\'s cells take no constants)');
  const prefix = `${options.name ?? ''}/`;
  const cell = cellFromEntry(r.where, r.raw('cell'), context, read, prefix);
  return new RNN(cell, {
    ...options,
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
    stateful: r.bool('stateful', false),
  });
}

