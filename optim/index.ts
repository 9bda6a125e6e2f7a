/** The optimizers (SGD, RMSprop, Adam), their base class, and gradient clipping. */
export * from './optimizer.ts';
export * from './clip.ts';
export * from './sgd.ts';
export * from './rmsprop.ts';
export * from './adam.ts';
export * from './get.ts';
