/**
 * The cell classes of your own that model files may name. Saving an RNN of
 * a cell writes the cell's class name and its getConfig(); loading finds
 * the class here by that name and calls its fromConfig. The built-in cells
 * (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, PeepholeLSTMCell) need no registering.
 */
import { RNNCell, classNameOf, type CellClass } from './cell.ts';
import { PeepholeLSTMCell } from './peephole-lstm.ts';

const BUILT_IN = ['SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells'];
/** By class name; PeepholeLSTMCell, a cell written as yours would be, is registered from the start. */
const registered = new Map<string, CellClass>([['PeepholeLSTMCell', PeepholeLSTMCell]]);

/** Lets model files save and load cells of `cls`, under its static `className` or else its class name. */
export function registerCell(cls: CellClass): void {
  const ok = typeof cls === 'function' && (cls as unknown as { prototype: unknown }).prototype instanceof RNNCell;
  if (!ok) throw new Error(`registerCell: takes a class extending RNNCell, got ${typeof cls === 'function' ? `class ${cls.name}` : String(cls)}`);
  const name = classNameOf(cls);
  if (BUILT_IN.includes(name)) throw new Error(`registerCell: ${name} is a built-in cell's name; give your class another name (or a static className)`);
  const held = registered.get(name);
  if (held && held !== cls) throw new Error(`registerCell: another class is registered as ${name}`);
  registered.set(name, cls);
}

/** The class registered under `name`, if any. */
export function registeredCell(name: string): CellClass | undefined {
  return registered.get(name);
}
