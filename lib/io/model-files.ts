/**
 * The TF.js LayersModel format on disk: `model.json` (the topology and a
 * weights manifest) beside the binary shard files it lists.
 *
 * Writing is atomic (platform/atomic.ts): the shard, then model.json, each
 * to a temporary name first. Reading checks everything before it reads a
 * byte of weights: every shard path stays inside the model's folder, every
 * declared shape is sane, and the shards' sizes on disk add up to exactly
 * what the manifest declares.
 */
import { writeFilesAtomically } from '../platform/atomic.ts';
import type { FileSystem } from '../platform/types.ts';
import { checkWeightSpec, topologyOf, type ModelArtifacts, type TrainingConfig, type WeightSpec } from './artifacts.ts';
import { describe, isObject, own, parseJson, type JsonObject } from './json.ts';

/** Where `target` (a folder, or a path ending in .json) puts model.json and its shard. */
export function modelPaths(fs: FileSystem, target: string): { dir: string; json: string; shard: string } {
  if (target.toLowerCase().endsWith('.json')) {
    const dir = fs.dirname(target);
    const stem = fs.basename(target).slice(0, -'.json'.length);
    return { dir, json: target, shard: stem === 'model' ? 'weights.bin' : `${stem}.weights.bin` };
  }
  return { dir: target, json: fs.join(target, 'model.json'), shard: 'weights.bin' };
}

/** Writes `artifacts` as model.json + one shard at `target`, atomically. */
export function writeModelFiles(fs: FileSystem, target: string, artifacts: ModelArtifacts, bytes: Uint8Array): void {
  const { dir, json, shard } = modelPaths(fs, target);
  const st = fs.stat(dir);
  if (st && !st.isDirectory) throw new Error(`model.save('${target}'): ${dir} exists and is not a folder`);
  if (!st) fs.mkdirp(dir);
  const modelJson: JsonObject = {
    modelTopology: artifacts.modelTopology ?? null,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? null,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [shard], weights: (artifacts.weightSpecs ?? []).map((s) => ({ ...s, shape: [...s.shape] })) }],
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig as unknown as JsonObject;
  writeFilesAtomically(fs, [
    { path: fs.join(dir, shard), data: bytes },
    { path: json, data: `${JSON.stringify(modelJson)}\n` },
  ]);
}

/**
 * A shard path from a manifest, resolved inside `dir`; anything that could
 * leave the folder (absolute paths, `..`, URLs, drive letters) is refused.
 */
export function shardPath(fs: FileSystem, dir: string, path: unknown, file: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`${file}: a weightsManifest path must be a non-empty string, got ${describe(path)}`);
  const segments = path.split(/[\\/]/);
  const outside = fs.isAbsolute(path) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.startsWith('\\') || segments.includes('..');
  if (outside) throw new Error(`${file}: weight file '${path}' is outside the model's folder; only paths inside it are read`);
  return fs.join(dir, ...segments.filter((s) => s !== '' && s !== '.'));
}

/** The model at `source` (a folder holding model.json, or the .json file) as artifacts, checked as the file comment says. */
export function readModelFiles(fs: FileSystem, source: string): ModelArtifacts {
  const st = fs.stat(source);
  if (!st) throw new Error(`loadModel: nothing at ${source} (expected a folder with model.json, or a model.json file)`);
  const json = st.isDirectory ? fs.join(source, 'model.json') : source;
  const jst = st.isDirectory ? fs.stat(json) : st;
  if (!jst || !jst.isFile) throw new Error(`loadModel: ${source} has no model.json`);
  const doc = parseJson(fs.readText(json), json);
  if (!isObject(doc)) throw new Error(`${json}: a model.json must be an object { modelTopology, weightsManifest }, got ${describe(doc)}`);
  const topology = topologyOf(own(doc, 'modelTopology'), json);
  const manifest = own(doc, 'weightsManifest') ?? [];
  if (!Array.isArray(manifest)) throw new Error(`${json}: weightsManifest must be a list of groups { paths, weights }, got ${describe(manifest)}`);
  const dir = fs.dirname(json);

  // First every check, then the reads.
  const specs: WeightSpec[] = [];
  const groups = manifest.map((group, g) => {
    const where = `${json}, weightsManifest[${g}]`;
    if (!isObject(group)) throw new Error(`${where}: a group must be an object { paths, weights }, got ${describe(group)}`);
    const paths = own(group, 'paths');
    const weights = own(group, 'weights');
    if (!Array.isArray(paths) || paths.length === 0) throw new Error(`${where}: paths must be a non-empty list, got ${describe(paths)}`);
    if (!Array.isArray(weights)) throw new Error(`${where}: weights must be a list, got ${describe(weights)}`);
    const root = fs.realpath(dir);
    const files = paths.map((p) => {
      const path = shardPath(fs, dir, p, json);
      const size = fs.stat(path);
      if (!size || !size.isFile) throw new Error(`${json}: weight file '${String(p)}' is missing (looked for ${path})`);
      // A link inside the folder may point out of it.
      if (!fs.realpath(path).startsWith(root + fs.separator)) {
        throw new Error(`${json}: weight file '${String(p)}' is a link to a file outside the model's folder; only files inside it are read`);
      }
      return { path, size: size.size };
    });
    const onDisk = files.reduce((n, f) => n + f.size, 0);
    let declared = 0;
    for (const w of weights) {
      const { spec, bytes } = checkWeightSpec(w, where);
      if (bytes > onDisk) {
        throw new Error(`${where}: weight '${spec.name}' [${spec.shape.join(', ')}] declares ${bytes} bytes, more than the ${onDisk} bytes its weight files (${paths.join(', ')}) hold`);
      }
      specs.push(spec);
      declared += bytes;
    }
    if (onDisk !== declared) {
      const kind = onDisk < declared ? 'truncated' : 'larger than the manifest declares';
      throw new Error(`${json}: the weight files of group ${g} (${paths.join(', ')}) are ${kind}: the manifest declares ${declared} bytes, the files hold ${onDisk}`);
    }
    return { files, declared };
  });

  const total = groups.reduce((n, g) => n + g.declared, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const group of groups) {
    for (const f of group.files) {
      const bytes = fs.readFile(f.path);
      if (bytes.byteLength !== f.size) throw new Error(`${f.path}: changed while it was read (${f.size} bytes, then ${bytes.byteLength})`);
      data.set(bytes, at);
      at += bytes.byteLength;
    }
  }
  const artifacts: ModelArtifacts = { modelTopology: topology, weightSpecs: specs, weightData: data.buffer };
  for (const key of ['format', 'generatedBy'] as const) {
    const v = own(doc, key);
    if (typeof v === 'string') artifacts[key] = v;
  }
  const training = own(doc, 'trainingConfig');
  if (isObject(training)) artifacts.trainingConfig = training as unknown as TrainingConfig;
  return artifacts;
}
