/**
 * `getOptimizer`: an optimizer from its name, with Keras's defaults, or an
 * optimizer instance passed through unchanged. Names match without regard
 * to case, as Keras's do, so TF.js's spellings ('RMSProp', 'SGD', 'Adam')
 * and Keras's class names ('RMSprop') work too.
 */
import { Adadelta } from './adadelta.ts';
import { Adagrad } from './adagrad.ts';
import { Adam } from './adam.ts';
import { Nadam } from './nadam.ts';
import { Optimizer } from './optimizer.ts';
import { RMSprop } from './rmsprop.ts';
import { SGD } from './sgd.ts';

/** The names `getOptimizer` knows, in the spellings Keras and TF.js users write (any other case works too). */
export type OptimizerName = 'sgd' | 'SGD' | 'rmsprop' | 'RMSprop' | 'RMSProp' | 'adam' | 'Adam'
  | 'adagrad' | 'Adagrad' | 'adadelta' | 'Adadelta' | 'nadam' | 'Nadam';

/** A fresh optimizer of Keras's defaults for each lower-case name. */
const MAKERS: Readonly<Record<string, () => Optimizer>> = {
  sgd: () => new SGD(),
  rmsprop: () => new RMSprop(),
  adam: () => new Adam(),
  adagrad: () => new Adagrad(),
  adadelta: () => new Adadelta(),
  nadam: () => new Nadam(),
};

export const OPTIMIZER_NAMES: readonly string[] = Object.keys(MAKERS);

export function getOptimizer(nameOrInstance: OptimizerName | Optimizer): Optimizer {
  if (nameOrInstance instanceof Optimizer) return nameOrInstance;
  const name: unknown = nameOrInstance;
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  const make = Object.prototype.hasOwnProperty.call(MAKERS, key) ? MAKERS[key] : undefined;
  if (!make) throw new Error(`getOptimizer: unknown optimizer ${typeof name === 'string' ? `'${name}'` : String(name)}; known: ${OPTIMIZER_NAMES.join(', ')} (any case), or an optimizer object`);
  return make();
}
