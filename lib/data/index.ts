/** Data preparation: sequences and text, CSV and the Jena loader, timeseries windows, normalisation. */
export * from './sequences.ts';
export * from './tokenizer.ts';
export * from './csv.ts';
export * from './text-directory.ts';
export * from './timeseries.ts';
export * from './normalize.ts';
