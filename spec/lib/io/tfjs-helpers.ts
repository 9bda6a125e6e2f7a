/**
 * What the TF.js interop specs share: TF.js on its CPU backend, the worst
 * difference between two outputs, a closeness assertion that names the worst
 * element, and an IOHandler that reads model files with node:fs, so that TF.js
 * sees Unrolled's files without Unrolled's reader.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

/** Predictions agree within this (float32 arithmetic in two engines). */
export const PREDICTION_TOLERANCE = 1e-6;

await tf.setBackend('cpu');
await tf.ready();

/** The largest |a − b| and where it is. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; at: number } {
  assert.is(a.length, b.length, `lengths ${a.length} and ${b.length}`);
  let diff = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) {
      diff = d;
      at = i;
    }
  }
  return { diff, at };
}

/** Asserts |Unrolled − TF.js| ≤ tolerance everywhere, naming the worst element; returns the worst difference. */
export function assertClose(label: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tolerance = PREDICTION_TOLERANCE): number {
  const { diff, at } = maxAbsDiff(ours, theirs);
  assert.ok(diff <= tolerance, `${label}: worst |Unrolled − TF.js| = ${diff} at ${at} (Unrolled ${ours[at]}, TF.js ${theirs[at]}); tolerance ${tolerance}`);
  return diff;
}

/** An IOHandler for TF.js that reads model.json and its shards with node:fs, independently of Unrolled's reader. */
export function filesHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      const all = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      return artifacts;
    },
  };
}
