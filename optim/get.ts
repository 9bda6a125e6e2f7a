/**
 * `getOptimizer`: an optimizer from its Keras name, with Keras's defaults,
 * or an optimizer instance passed through unchanged.
 */
import { Adam } from './adam.ts';
import { Optimizer } from './optimizer.ts';
import { RMSprop } from './rmsprop.ts';
import { SGD } from './sgd.ts';

/** The names `getOptimizer` knows (matched without regard to case, as Keras does). */
export type OptimizerName = 'sgd' | 'rmsprop' | 'adam';

export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'rmsprop', 'adam'];

export function getOptimizer(nameOrInstance: OptimizerName | Optimizer): Optimizer {
  if (nameOrInstance instanceof Optimizer) return nameOrInstance;
  const name: unknown = nameOrInstance;
  switch (typeof name === 'string' ? name.toLowerCase() : name) {
    case 'sgd':
      return new SGD();
    case 'rmsprop':
      return new RMSprop();
    case 'adam':
      return new Adam();
  }
  throw new Error(`getOptimizer: unknown optimizer '${String(name)}'; known: ${OPTIMIZER_NAMES.join(', ')}`);
}
