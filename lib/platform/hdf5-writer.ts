/**
 * HDF5 writing under Node, with h5wasm (the HDF5 C library compiled to
 * WebAssembly). The 4 MB module is imported on the first write, not when
 * Unrolled is imported, and only Node's platform file refers to this one,
 * so browser bundles never contain it. Files are made in h5wasm's in-memory
 * file system and read back as bytes; nothing touches the disk.
 *
 * The file has what h5py writes by default: the earliest file-format
 * versions that hold the objects (superblock 0), contiguous datasets without
 * filters, and groups indexed by name.
 */
import type { Hdf5Node, Hdf5Writer } from './types.ts';

type H5wasm = typeof import('h5wasm');
type H5Group = InstanceType<H5wasm['Group']>;

let loaded: Promise<H5wasm> | null = null;
let files = 0;

async function load(): Promise<H5wasm> {
  loaded ??= import('h5wasm').then(
    async (h5) => {
      await h5.ready;
      return h5;
    },
    (err: unknown) => {
      loaded = null;
      throw new Error(`writing HDF5 needs the h5wasm package (npm install h5wasm@0.10.3): ${err instanceof Error ? err.message : String(err)}`);
    },
  );
  return loaded;
}

/** The group at `path` (created with its missing parents). */
function groupAt(root: H5Group, path: string): H5Group {
  let group = root;
  for (const name of path.split('/').filter((s) => s !== '')) {
    const child = group.get(name);
    group = child === null ? group.create_group(name) : (child as H5Group);
  }
  return group;
}

function parentAndName(path: string): { parent: string; name: string } {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? { parent: '', name: path } : { parent: path.slice(0, cut), name: path.slice(cut + 1) };
}

export const hdf5Writer: Hdf5Writer | null = {
  async write(nodes: readonly Hdf5Node[]): Promise<Uint8Array> {
    const h5 = await load();
    const fs = (await h5.ready).FS;
    const name = `/unrolled-${(files++).toString(36)}.h5`;
    const file = new h5.File(name, 'w', { libver: ['earliest', 'latest'] });
    try {
      for (const node of nodes) {
        const { parent, name: last } = parentAndName(node.path);
        if (node.kind === 'group') {
          const group = groupAt(file, node.path);
          for (const [key, value] of Object.entries(node.attributes)) group.create_attribute(key, value);
        } else {
          const size = node.shape.reduce((a, d) => a * d, 1);
          if (size !== node.data.length) throw new Error(`HDF5 dataset '${node.path}': shape [${node.shape.join(', ')}] holds ${size} values, got ${node.data.length}`);
          groupAt(file, parent).create_dataset({ name: last, data: node.data, shape: [...node.shape], dtype: node.dtype === 'float32' ? '<f' : '<i' });
        }
      }
    } catch (err) {
      file.close();
      fs.unlink(name);
      throw err;
    }
    file.close();
    const bytes = fs.readFile(name);
    fs.unlink(name);
    return bytes;
  },
};
