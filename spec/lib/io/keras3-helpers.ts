/**
 * Helpers for the Keras 3 specs (keras3*.spec.ts): the fixtures Keras
 * 3.12.2 wrote, their entries, a listing of an HDF5 file's tree read back
 * with the HDF5 reader, and assertions that print what they got.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { tensor, type Model, type Tensor } from '../../../lib/index.ts';
import { Hdf5Dataset, Hdf5Group, openHdf5 } from '../../../lib/io/hdf5.ts';
import { readZip, writeZip, type ZipInput } from '../../../lib/io/zip.ts';

export const KERAS3_FIXTURES = join(import.meta.dirname, '../../fixtures/models/keras3');
export const FIXTURE_NAMES = ['embedding_lstm', 'gru_reset_after'] as const;

/** The bytes of `<name>.keras`. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(KERAS3_FIXTURES, `${name}.keras`)));
}

export interface Reference {
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
}

/** The inputs and Keras's own predictions beside a fixture. */
export function reference(name: string): Reference {
  return JSON.parse(readFileSync(join(KERAS3_FIXTURES, `${name}.reference.json`), 'utf8')) as Reference;
}

/** One entry of a zip archive as text. */
export function entryText(bytes: Uint8Array, entry: string): string {
  return new TextDecoder().decode(readZip(bytes, 'archive').read(entry));
}

/** The entries of a zip archive, for rebuilding it with some replaced (`edit` returns the new entries). */
export function rezip(bytes: Uint8Array, edit: (entries: ZipInput[]) => ZipInput[]): Uint8Array {
  const zip = readZip(bytes, 'archive');
  return writeZip(edit(zip.names.map((name) => ({ name, data: zip.read(name) }))));
}

/** The archive with entry `name`'s text replaced by `change(text)`. */
export function withEntry(bytes: Uint8Array, name: string, change: (text: string) => string): Uint8Array {
  return rezip(bytes, (entries) => entries.map((e) => (e.name === name ? { name, data: new TextEncoder().encode(change(new TextDecoder().decode(e.data))) } : e)));
}

/**
 * Every object of an HDF5 file, one line each, sorted: `group <path> name=<value>`
 * (all its attributes) and `dataset <path> <dtype> [<shape>]`.
 */
export function hdf5Layout(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  const walk = (group: Hdf5Group): void => {
    const attrs = group.attributeNames().sort().map((a) => `${a}=${JSON.stringify(group.attribute(a))}`);
    lines.push(`group ${group.path}${attrs.length > 0 ? ` ${attrs.join(' ')}` : ''}`);
    for (const name of group.children()) {
      const node = group.get(name);
      if (node instanceof Hdf5Group) walk(node);
      else if (node instanceof Hdf5Dataset) {
        const attrs = node.attributeNames();
        lines.push(`dataset ${node.path} ${node.dtype} [${node.shape.join(', ')}]${attrs.length > 0 ? ` attributes ${attrs.join(',')}` : ''}`);
      }
    }
  };
  walk(openHdf5(bytes, 'weights'));
  return lines.sort();
}

/** The layout of a .keras file's model.weights.h5. */
export function kerasLayout(bytes: Uint8Array): string[] {
  return hdf5Layout(readZip(bytes, 'archive').read('model.weights.h5'));
}

/** Asserts two sorted listings are equal, printing both differences. */
export function assertSameLines(actual: readonly string[], expected: readonly string[], what: string): void {
  const missing = expected.filter((l) => !actual.includes(l));
  const extra = actual.filter((l) => !expected.includes(l));
  if (missing.length > 0 || extra.length > 0) {
    assert.unreachable(`${what}:\n  missing:\n    ${missing.join('\n    ') || '-'}\n  unexpected:\n    ${extra.join('\n    ') || '-'}`);
  }
}

/** The message of what `run` throws (or rejects with); fails when it does not. */
export async function errorOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    return (err as Error).message;
  }
  return assert.unreachable('expected an error') as never;
}

/** Asserts `message` contains every one of `parts`, printing the message when one is missing. */
export function assertMentions(message: string, parts: readonly string[]): void {
  for (const part of parts) {
    if (!message.includes(part)) assert.unreachable(`the error should mention ${JSON.stringify(part)}; it was:\n  ${message}`);
  }
}

/** Asserts two tensors are equal bit for bit, printing the first differing element. */
export function assertSameBits(actual: Tensor, expected: Tensor, what: string): void {
  assert.equal(actual.shape, expected.shape, `${what}: shapes`);
  for (let i = 0; i < expected.size; i++) {
    if (!Object.is(actual.data[i], expected.data[i])) {
      assert.unreachable(`${what}: element ${i} is ${actual.data[i]}, expected ${expected.data[i]} (of ${expected.size})`);
    }
  }
}

/** Asserts every weight of `a` equals the weight at the same place in `b`, bit for bit. */
export function assertSameWeights(a: Model, b: Model, what: string): void {
  const wa = a.namedWeights();
  const wb = b.namedWeights();
  assert.is(wa.length, wb.length, `${what}: weight count`);
  wa.forEach(([name, t], i) => assertSameBits(t, wb[i][1], `${what}: ${name}`));
}

/** Keras's input batch of a fixture as a tensor. */
export function referenceInput(ref: Reference): Tensor {
  return tensor(ref.x.data, ref.x.shape);
}
