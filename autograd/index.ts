/** The autograd: tensors, the tape, differentiable ops, kernels and gradient checks. */
export * from './tensor.ts';
export * from './ops.ts';
export * from './random.ts';
export * from './kernels.ts';
export * from './gradcheck.ts';
