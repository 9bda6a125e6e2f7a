/** The optimizers (SGD, RMSprop, Adam, Adagrad, Adadelta, Nadam), their base class, and gradient clipping. */
export * from './optimizer.ts';
export * from './clip.ts';
export * from './sgd.ts';
export * from './rmsprop.ts';
export * from './adam.ts';
export * from './adagrad.ts';
export * from './adadelta.ts';
export * from './nadam.ts';
export * from './get.ts';
