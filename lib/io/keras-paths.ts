/**
 * Which Keras file a path names, by its ending. Kept apart from the
 * readers and writers (keras-files.ts) so that the model classes can ask
 * without importing them: those are loaded when a Keras file is used.
 */

/** The kind of Keras file a path names: `.keras`, `.weights.h5`, legacy `.h5` / `.hdf5`; null for any other path. */
export function kerasFileKind(path: string): 'keras' | 'weights.h5' | 'h5' | null {
  if (/\.keras$/i.test(path)) return 'keras';
  if (/\.weights\.h5$/i.test(path)) return 'weights.h5';
  if (/\.(h5|hdf5)$/i.test(path)) return 'h5';
  return null;
}
