/**
 * `.keras` files from a stranger and broken ones. Refused, each with an
 * error naming the file and what is wrong: code (a Lambda, a custom or
 * registered class, a class from outside Keras), zip entries whose names
 * leave the archive (nothing is written anywhere), entries declaring more
 * bytes than the file holds (refused by arithmetic, before allocating),
 * prototype keys in config.json (they reach no prototype); a file that is
 * not a zip, a truncated one, config.json that is not JSON, a weight whose
 * shape disagrees with the config, a layer class Unrolled does not read,
 * and, on writing, TF.js's hard_sigmoid, which Keras 3 does not have.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Bidirectional, Dense, Embedding, InputLayer, LSTM, Masking, Sequential, clearSession,
} from '../../../lib/index.ts';
import { readKeras, readKerasWeights, writeKeras, writeKerasWeights } from '../../../lib/io/keras3.ts';
import { readZip, writeZip } from '../../../lib/io/zip.ts';
import { assertMentions, errorOf, fixtureBytes, rezip, withEntry } from './keras3-helpers.ts';

test.before.each(() => clearSession());

const FILE = 'stranger.keras';

/** The embedding_lstm fixture with its config.json parsed, changed by `edit`, and written back. */
function editConfig(edit: (config: any) => void): Uint8Array {
  return withEntry(fixtureBytes('embedding_lstm'), 'config.json', (text) => {
    const config = JSON.parse(text);
    edit(config);
    return JSON.stringify(config);
  });
}

/** Where each central-directory header of an archive starts, by entry name. */
function centralHeaders(bytes: Uint8Array): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength - 22;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint16(at + 28, true);
    out.set(new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)), at);
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

/** `bytes` with every occurrence of `from` replaced by `to` (same length): names in local and central headers. */
function renameEntry(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.is(from.length, to.length);
  const out = bytes.slice();
  const a = new TextEncoder().encode(from);
  const b = new TextEncoder().encode(to);
  let replaced = 0;
  for (let i = 0; i + a.length <= out.length; i++) {
    if (a.every((x, k) => out[i + k] === x)) {
      out.set(b, i);
      replaced++;
    }
  }
  assert.is(replaced, 2, 'the name is in the local and the central header');
  return out;
}

// ---------------------------------------------------------------- code in the file

test('a Lambda layer is refused, naming the class, where it sits and what Unrolled reads', async () => {
  const bytes = editConfig((c) => {
    c.config.layers.splice(2, 0, {
      module: 'keras.layers', class_name: 'Lambda', registered_name: null,
      config: { name: 'lambda', function: { class_name: '__lambda__', config: { value: ['4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwCpAk7pAgAAAKkAqQHaAXhyAgAAAHICAAAA'] } } },
    });
  });
  const message = await errorOf(() => readKeras(bytes, FILE));
  assertMentions(message, [FILE, 'config.json → layers[2]', "'Lambda'", 'Python code', 'Embedding', 'LSTM', 'Bidirectional']);
});

test('a lambda inside a built-in layer (an activation) is refused', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[3].config.activation = { class_name: '__lambda__', config: { value: ['4wEAAAAA'] } };
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json → layers[3].config.activation', 'lambda']);
});

test('a custom layer class (a module outside keras.*) is refused', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[3] = { module: 'my_package.layers', class_name: 'MyAttention', config: { name: 'att', units: 4 }, registered_name: 'MyPackage>MyAttention' };
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json → layers[3]', "'MyAttention'", 'my_package.layers', 'custom', 'Embedding']);
});

test('a registered object, even under keras.layers, is refused', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[3].registered_name = 'Custom>Dense';
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json → layers[3]', 'registered', 'Custom>Dense']);
});

test('a custom object nested in a built-in layer (an initializer) is refused', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[2].config.kernel_initializer = { module: 'my_inits', class_name: 'MyInit', config: {}, registered_name: 'my_inits>MyInit' };
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json → layers[2].config.kernel_initializer', "'MyInit'", 'my_inits']);
});

test('a Functional model without input_layers, a broken nested model, a subclassed model and an unknown call argument are refused', async () => {
  const functional = editConfig((c) => {
    c.class_name = 'Functional';
  });
  assertMentions(await errorOf(() => readKeras(functional, FILE)), [FILE, 'config.json', "Functional config's input_layers", 'got nothing']);
  const nested = editConfig((c) => {
    c.config.layers[1] = { module: 'keras.src.models.functional', class_name: 'Functional', config: {}, registered_name: 'Functional' };
  });
  assertMentions(await errorOf(() => readKeras(nested, FILE)), [FILE, 'config.json → layers[1]', 'Functional config has no list of layers']);
  const subclassed = editConfig((c) => {
    c.module = 'my_models';
    c.class_name = 'Functional';
  });
  assertMentions(await errorOf(() => readKeras(subclassed, FILE)), [FILE, "module \"my_models\"", 'custom subclass']);
  const called = editConfig((c) => {
    c.class_name = 'Functional';
    c.config.input_layers = [['input_layer', 0, 0]];
    c.config.output_layers = [['dense', 0, 0]];
    c.config.layers.forEach((l: { inbound_nodes?: unknown }) => { l.inbound_nodes = []; });
    c.config.layers[1].inbound_nodes = [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 5], dtype: 'float32', keras_history: ['input_layer', 0, 0] } }], kwargs: { constants: 3 } }];
  });
  assertMentions(await errorOf(() => readKeras(called, FILE)), [FILE, 'layers[1].inbound_nodes[0]', "call argument 'constants'", 'not supported']);
});

// ---------------------------------------------------------------- the zip

test('entry names with .., an absolute path, a backslash or a drive letter are refused, and nothing is written', async () => {
  const base = fixtureBytes('gru_reset_after');
  const outside = resolve(process.cwd(), '..', 'unrolled-evil.txt');
  const absolute = '/tmp/unrolled-evil-abs.txt';
  const cases: Array<[string, string, string]> = [
    ['xx/unrolled-evil.txt', '../unrolled-evil.txt', "'..' segment"],
    [`x${absolute.slice(1)}`, absolute, 'absolute path'],
    ['a_b.txt', 'a\\b.txt', 'backslash'],
    ['C_/evil.txt', 'C:/evil.txt', 'drive letter'],
  ];
  for (const [placeholder, name, why] of cases) {
    const bytes = renameEntry(rezip(base, (entries) => [...entries, { name: placeholder, data: new TextEncoder().encode('pwned') }]), placeholder, name);
    assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, name, why]);
  }
  assert.not.ok(existsSync(outside), `${outside} exists`);
  assert.not.ok(existsSync(absolute), `${absolute} exists`);
});

test('an entry declaring more bytes than the file is refused before anything is allocated', async () => {
  const bytes = fixtureBytes('embedding_lstm').slice();
  const at = centralHeaders(bytes).get('model.weights.h5')!;
  const view = new DataView(bytes.buffer);
  view.setUint32(at + 20, 0x7ffffff0, true);
  view.setUint32(at + 24, 0x7ffffff0, true);
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, "'model.weights.h5'", `${0x7ffffff0} bytes`, `${bytes.byteLength} bytes`]);
});

test('a local header that disagrees with the central directory is refused', async () => {
  const bytes = fixtureBytes('embedding_lstm').slice();
  const view = new DataView(bytes.buffer);
  const local = view.getUint32(centralHeaders(bytes).get('config.json')! + 42, true);
  view.setUint32(local + 22, 0x7ffffff0, true);
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, "'config.json'", 'local header', String(0x7ffffff0)]);
});

test('a deflated entry is inflated only up to the size it declares', async () => {
  const { zipSync } = await import('fflate');
  const zip = readZip(fixtureBytes('embedding_lstm'), 'x');
  const deflated = zipSync(Object.fromEntries(zip.names.map((n) => [n, zip.read(n)])), { level: 6 });
  const view = new DataView(deflated.buffer, deflated.byteOffset, deflated.byteLength);
  const at = centralHeaders(deflated).get('config.json')!;
  const local = view.getUint32(at + 42, true);
  view.setUint32(at + 24, 100, true);
  view.setUint32(local + 22, 100, true);
  assertMentions(await errorOf(() => readKeras(deflated, FILE)), [FILE, "'config.json'", 'more than the 100 bytes it declares']);
  // A declared size no deflate stream can reach is refused by arithmetic.
  view.setUint32(at + 24, 0x7ffffff0, true);
  view.setUint32(local + 22, 0x7ffffff0, true);
  assertMentions(await errorOf(() => readKeras(deflated, FILE)), [FILE, "'config.json'", '1032:1']);
});

test('an entry whose bytes do not match its CRC-32 is refused', async () => {
  const bytes = fixtureBytes('gru_reset_after').slice();
  const view = new DataView(bytes.buffer);
  const local = view.getUint32(centralHeaders(bytes).get('config.json')! + 42, true);
  const data = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  bytes[data + 10] ^= 0x01;
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, "'config.json'", 'CRC-32']);
});

test('__proto__, constructor and prototype keys in config.json reach no prototype', async () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const evil = '"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "prototype": {"polluted": "yes"}';
  const bytes = withEntry(fixtureBytes('embedding_lstm'), 'config.json', (text) => {
    let out = text.replace(/^\{/, `{${evil}, `);
    out = out.replace('"config": {"name": "sequential",', `"config": {${evil}, "name": "sequential",`);
    out = out.replace('"config": {"name": "lstm",', `"config": {${evil}, "name": "lstm",`);
    out = out.replace('"compile_config": {', `"compile_config": {${evil}, `);
    out = out.replace('"config": {"name": "rmsprop",', `"config": {${evil}, "name": "rmsprop",`);
    return out;
  });
  assert.ok(new TextDecoder().decode(readZip(bytes, 'x').read('config.json')).split('__proto__').length === 6);
  const model = await readKeras(bytes, FILE);
  assert.equal(model.layers.map((l) => l.className), ['Embedding', 'LSTM', 'Dense']);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is((Object.prototype as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort(), before);
});

// ---------------------------------------------------------------- broken files

test('not a zip', async () => {
  const bytes = new TextEncoder().encode('{"class_name": "Sequential"} is JSON, not a .keras file');
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'not a zip archive', `${bytes.byteLength} bytes`]);
});

test('a truncated file', async () => {
  const bytes = fixtureBytes('embedding_lstm');
  const cut = bytes.subarray(0, Math.floor(bytes.byteLength / 2));
  assertMentions(await errorOf(() => readKeras(cut, FILE)), [FILE, 'truncated']);
  // Cut inside the central directory: the end record survives only if copied; here its offsets point past the cut.
  const tail = bytes.subarray(bytes.byteLength - 22);
  const spliced = new Uint8Array(cut.byteLength + 22);
  spliced.set(cut);
  spliced.set(tail, cut.byteLength);
  assertMentions(await errorOf(() => readKeras(spliced, FILE)), [FILE, 'truncated or damaged']);
});

test('an archive without model.weights.h5 names what is missing', async () => {
  const bytes = rezip(fixtureBytes('gru_reset_after'), (entries) => entries.filter((e) => e.name !== 'model.weights.h5'));
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, "'model.weights.h5'", 'metadata.json, config.json']);
});

test('config.json that is not JSON', async () => {
  const bytes = withEntry(fixtureBytes('gru_reset_after'), 'config.json', (text) => text.slice(0, 100));
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json', 'not valid JSON']);
});

test('model.weights.h5 that is not HDF5', async () => {
  const bytes = rezip(fixtureBytes('gru_reset_after'), (entries) => entries.map((e) => (e.name === 'model.weights.h5' ? { name: e.name, data: new Uint8Array(64).fill(7) } : e)));
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'model.weights.h5', 'not an HDF5 file']);
});

test('a weight whose shape disagrees with the config names the path and both shapes', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[3].config.units = 2;
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'model.weights.h5', "'/layers/dense/vars/0'", '[5, 1] in the file', 'dense/kernel is [5, 2]']);
});

test('a layer the config lists but the weights file lacks, and a weights group no layer claims', async () => {
  const extra = editConfig((c) => {
    c.config.layers.push({ ...c.config.layers[3], config: { ...c.config.layers[3].config, name: 'dense_1' } });
  });
  assertMentions(await errorOf(() => readKeras(extra, FILE)), [FILE, "'/layers/dense_1/vars'", 'missing', 'dense_1']);
  const fewer = editConfig((c) => {
    c.config.layers.pop();
  });
  assertMentions(await errorOf(() => readKeras(fewer, FILE)), [FILE, "'/layers'", "'dense'", 'no layer for']);
});

test('a layer class Unrolled does not read', async () => {
  const bytes = editConfig((c) => {
    c.config.layers[3].class_name = 'Conv1D';
  });
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'config.json → layers[3]', "'Conv1D'", 'not supported', 'InputLayer, Embedding']);
});

test('a layer option Unrolled cannot honour is refused, not dropped (a constraint); a compile_config it cannot honour (a schedule) loads the model uncompiled', async () => {
  const constrained = editConfig((c) => {
    c.config.layers[3].config.kernel_constraint = { module: 'keras.constraints', class_name: 'MaxNorm', config: { max_value: 2, axis: 0 }, registered_name: null };
  });
  assertMentions(await errorOf(() => readKeras(constrained, FILE)), [FILE, 'layers[3]', 'kernel_constraint', 'constraints']);
  const scheduled = editConfig((c) => {
    c.compile_config.optimizer.config.learning_rate = {
      module: 'keras.optimizers.schedules', class_name: 'ExponentialDecay', config: { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.9 }, registered_name: null,
    };
  });
  const uncompiled = await readKeras(scheduled, FILE);
  assert.is(uncompiled.optimizer, null, 'a learning-rate schedule leaves the model uncompiled');
  assert.ok(uncompiled.layers.length > 0);
});

test('zero_output_for_mask where a mask reaches the layer is refused on reading and on writing', async () => {
  const make = (maskZero: boolean): Sequential => new Sequential([
    new InputLayer({ inputShape: [5] }), new Embedding(10, 3, { maskZero }), new Bidirectional(new LSTM(2, { returnSequences: true })),
  ]);
  assertMentions(await errorOf(() => writeKeras(make(true))), ['bidirectional', 'zero_output_for_mask', 'mask']);
  const written = await writeKeras(make(false));
  const masked = withEntry(written, 'config.json', (text) => text.replace('"mask_zero": false', '"mask_zero": true'));
  assertMentions(await errorOf(() => readKeras(masked, FILE)), [FILE, 'zero_output_for_mask', 'repeats the previous output']);
  const afterMasking = new Sequential([new InputLayer({ inputShape: [5, 2] }), new Masking(), new LSTM(2)]);
  assert.ok((await writeKeras(afterMasking)).byteLength > 0, 'a plain recurrent layer after Masking is written');
});

test('optimizer state that does not fit the compiled optimizer is refused, naming both counts', async () => {
  const make = (): Sequential => new Sequential([new InputLayer({ inputShape: [4, 2] }), new LSTM(2)]);
  const saved = make();
  saved.compile({ optimizer: 'rmsprop', loss: 'mse' });
  const bytes = await writeKerasWeights(saved);
  const other = make();
  other.compile({ optimizer: 'adam', loss: 'mse' });
  assertMentions(await errorOf(() => readKerasWeights(other, bytes, 'lstm.weights.h5')), ['lstm.weights.h5', "'/optimizer/vars'", 'holds 5 variables', 'Adam', 'keeps 8']);
});

test('a .keras file of another Keras major version is refused', async () => {
  const bytes = withEntry(fixtureBytes('gru_reset_after'), 'metadata.json', (text) => text.replace('3.12.2', '2.15.0'));
  assertMentions(await errorOf(() => readKeras(bytes, FILE)), [FILE, 'metadata.json', '2.15.0', 'Keras 3']);
});

// ---------------------------------------------------------------- writing

test("TF.js's hard_sigmoid is refused on writing, naming the layer", async () => {
  const model = new Sequential([new InputLayer({ inputShape: [4, 2] }), new LSTM(3, { recurrentActivation: 'hard_sigmoid', name: 'gates' })]);
  assertMentions(await errorOf(() => writeKeras(model)), ['gates', 'LSTM', 'hard_sigmoid', 'clip(0.2x + 0.5)', 'relu6(x + 3) / 6', 'hard_sigmoid_keras3']);
});

test('writing needs a built model and knows its options', async () => {
  const unbuilt = new Sequential([new Dense(2)]);
  assertMentions(await errorOf(() => writeKeras(unbuilt)), ['built model']);
  const model = new Sequential([new InputLayer({ inputShape: [3] }), new Dense(2)]);
  assertMentions(await errorOf(() => writeKeras(model, { includeOptimizer: true })), ['compiled model']);
  assertMentions(await errorOf(() => writeKeras(model, { overwrite: true } as never)), ["unknown option 'overwrite'"]);
});

test('the zip writer refuses names that leave the archive', () => {
  for (const name of ['../x', '/x', 'a\\b', 'C:/x']) {
    assert.throws(() => writeZip([{ name, data: new Uint8Array(1) }]), /writeZip: entry name/);
  }
});

test.run();
