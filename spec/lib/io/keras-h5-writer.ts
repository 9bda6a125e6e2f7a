/**
 * Legacy Keras HDF5 files written for the specs with h5wasm (the HDF5 C
 * library), laid out as Keras writes them: root attributes, `model_weights/`
 * with `layer_names`, and per layer `weight_names` and the datasets at those
 * (slash-separated) paths.
 */
import h5wasm, { File as H5File, type Group as H5Group } from 'h5wasm';

const { FS } = await h5wasm.ready;

/** One weight as a layer group stores it. */
export interface Stored {
  name: string;
  values: Float32Array | Float64Array;
  shape: number[];
}

let files = 0;

/** An HDF5 file built by `build` in h5wasm's in-memory file system, as bytes. */
export function h5(build: (file: H5File) => void, options: { libver?: 'latest' } = {}): Uint8Array {
  const path = `/spec-${files++}.h5`;
  const file = new H5File(path, 'w', options);
  build(file);
  file.close();
  const bytes = FS!.readFile(path);
  FS!.unlink(path);
  return bytes;
}

/** A list of fixed-length, NUL-padded byte strings, as h5py stores Keras's name lists. */
export function fixedStrings(group: H5Group, name: string, values: readonly string[]): void {
  if (values.length === 0) {
    // h5py stores an empty list as a float64 array of shape (0,).
    group.create_attribute(name, new Float64Array(0), [0], '<d');
    return;
  }
  group.create_attribute(name, [...values], [values.length], `A${Math.max(...values.map((v) => v.length))}`);
}

/** A Keras model file: root attributes, model_weights/ with layer_names and, per layer, weight_names and the datasets. */
export function kerasFile(attributes: Record<string, string>, layers: ReadonlyArray<{ name: string; weights: Stored[] }>): Uint8Array {
  return h5((file) => {
    for (const [k, v] of Object.entries(attributes)) file.create_attribute(k, v);
    const weights = file.create_group('model_weights');
    fixedStrings(weights, 'layer_names', layers.map((l) => l.name));
    for (const layer of layers) {
      const group = weights.create_group(layer.name);
      fixedStrings(group, 'weight_names', layer.weights.map((w) => w.name));
      for (const w of layer.weights) {
        const parts = w.name.split('/');
        let parent = group;
        // create_group makes one level: parents first.
        for (const p of parts.slice(0, -1)) parent = (parent.keys().includes(p) ? parent.get(p) : parent.create_group(p)) as H5Group;
        parent.create_dataset({ name: parts.at(-1)!, data: w.values, shape: w.shape, dtype: w.values instanceof Float64Array ? '<d' : '<f' });
      }
    }
  });
}
