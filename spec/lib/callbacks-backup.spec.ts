/**
 * BackupAndRestore: a training process killed with SIGKILL after the backup
 * of epoch 3 resumes at epoch 4 and ends with the weights of an
 * uninterrupted run, bit for bit; a crash at any file-system step of a
 * backup leaves the previous backup or the new one, complete; resuming in
 * process; the errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { getRandomState, random, setRandomState } from '../../autograd/random.ts';
import { BackupAndRestore, readBackup, writeBackup, type BackupAndRestoreOptions, type TrainingBackup } from '../../lib/checkpoint.ts';
import {
  Adam, Dense, Embedding, LSTM, RMSprop, Sequential, Tensor, clearSession, setSeed, type Callback, type Optimizer,
} from '../../lib/index.ts';
import { files } from '../../lib/platform/node.ts';
import type { FileSystem } from '../../lib/platform/types.ts';
import { sameBits } from './helpers.ts';

const fs = files!;
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-backup-'));
  dirs.push(dir);
  return dir;
}

test.before.each(() => clearSession());
test.after.each(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

// ------------------------------------------------------------ the crash test, in child processes

const root = resolve(import.meta.dirname, '..', '..');
const script = join(root, 'spec', 'fixtures', 'backup-train.ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  child: ChildProcess;
  lines: string[];
  /** Resolves at the first stdout line `line`. */
  seen(line: string): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string; seconds: number }>;
}

const running = new Set<ChildProcess>();

function train(backupDir: string, weightsOut: string, holdAfterBackup?: number): Run {
  const started = performance.now();
  const args = ['--import', tsxLoader, script, backupDir, weightsOut, ...(holdAfterBackup === undefined ? [] : [String(holdAfterBackup)])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  const waiting = new Map<string, () => void>();
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      waiting.get(line)?.();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string; seconds: number }>((ok) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      ok({ code, signal, lines, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
  return {
    child, lines, done,
    seen: (line) => new Promise<void>((ok, fail) => {
      if (lines.includes(line)) return ok();
      waiting.set(line, ok);
      void done.then((r) => fail(new Error(`the training process ended (${r.signal ?? `exit ${r.code}`}) without printing '${line}'; it printed ${JSON.stringify(r.lines)}\n${r.stderr}`)));
    }),
  };
}

test('killed with SIGKILL after the backup of epoch 3, training resumes at epoch 4 and ends bit for bit as an uninterrupted run', async () => {
  const dir = tempDir();
  const guard = setTimeout(() => { for (const c of running) c.kill('SIGKILL'); }, 90_000);
  try {
    // The uninterrupted run and the run to be killed, side by side.
    const whole = train(join(dir, 'backup-whole'), join(dir, 'whole.json'));
    const crashing = train(join(dir, 'backup'), join(dir, 'resumed.json'), 3);
    await crashing.seen('backup 3');
    crashing.child.kill('SIGKILL');
    const killed = await crashing.done;
    assert.is(killed.signal, 'SIGKILL', `the first run was killed (${killed.stderr})`);
    assert.equal(killed.lines.slice(0, 4), ['start 1', 'backup 1', 'backup 2', 'backup 3']);
    assert.not.ok(killed.lines.includes('backup 4') || killed.lines.some((l) => l.startsWith('done')), `killed before epoch 4 completed: ${killed.lines.join(' | ')}`);
    assert.not.ok(existsSync(join(dir, 'resumed.json')));
    const left = readBackup(fs, join(dir, 'backup'));
    assert.ok(left, 'the kill left a backup');
    assert.is(left.epoch, 3);
    assert.equal(readdirSync(join(dir, 'backup')), ['backup-3'], 'one backup, complete, and no debris');

    const resumed = await train(join(dir, 'backup'), join(dir, 'resumed.json')).done;
    assert.is(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.lines, ['start 4', 'backup 4', 'backup 5', 'backup 6', 'done 4,5,6'], 'resumed at epoch 4 and ran 3 epochs');
    const full = await whole.done;
    assert.is(full.code, 0, full.stderr);
    assert.equal(full.lines, ['start 1', 'backup 1', 'backup 2', 'backup 3', 'backup 4', 'backup 5', 'backup 6', 'done 1,2,3,4,5,6']);

    const a = readFileSync(join(dir, 'whole.bin'));
    const b = readFileSync(join(dir, 'resumed.bin'));
    assert.ok(a.length > 0 && a.equals(b), 'the final weights are identical, bit for bit');
    assert.equal(JSON.parse(readFileSync(join(dir, 'resumed.json'), 'utf8')).weights, JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')).weights);
    assert.not.ok(existsSync(join(dir, 'backup')), 'a completed fit deletes its backup');
    assert.not.ok(existsSync(join(dir, 'backup-whole')));
    console.log(`  crash test: killed run ${killed.seconds.toFixed(1)} s, resumed run ${resumed.seconds.toFixed(1)} s, uninterrupted run ${full.seconds.toFixed(1)} s (side by side)`);
  } finally {
    clearTimeout(guard);
    for (const c of running) c.kill('SIGKILL');
  }
});

// ------------------------------------------------------------ a crash at every step of a backup

class Crash extends Error {}

/** The real file system, dying at its `at`-th change (a write then leaves half its bytes), and refusing every change after. */
function dyingAt(at: number): FileSystem & { changes: number } {
  let dead = false;
  const out = { ...fs, changes: 0 };
  const change = <A extends unknown[]>(name: string, real: (...args: A) => void, partial?: (...args: A) => void) => (...args: A): void => {
    if (dead) throw new Crash(`${name} after the crash`);
    if (out.changes++ === at) {
      dead = true;
      partial?.(...args);
      throw new Crash(`crash at ${name} ${String(args[0])}`);
    }
    real(...args);
  };
  out.writeFlushed = change('writeFlushed', fs.writeFlushed, (path, data) => {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
  });
  out.rename = change('rename', fs.rename);
  out.remove = change('remove', fs.remove);
  out.mkdirp = change('mkdirp', fs.mkdirp);
  out.syncDirectory = change('syncDirectory', fs.syncDirectory);
  return out;
}

function backupOf(epoch: number, seed: number): TrainingBackup {
  setSeed(seed);
  const values = (n: number, f64 = false): Float32Array | Float64Array => {
    const a = f64 ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = random() - 0.5;
    return a;
  };
  return {
    epoch,
    random: getRandomState(),
    weights: [{ name: 'lstm/kernel', shape: [3, 8], values: values(24) }, { name: 'dense/bias', shape: [1], values: values(1, true) }],
    optimizer: { name: 'Adam', learningRate: 0.01 * epoch, iterations: 10 * epoch, slots: [{ name: 'momentum', values: [values(24), values(1, true)] }, { name: 'velocity', values: [values(24), values(1, true)] }] },
  };
}

function assertSameBackup(got: TrainingBackup, want: TrainingBackup, what: string): void {
  assert.is(got.epoch, want.epoch, what);
  assert.equal(got.random, want.random, what);
  assert.equal(got.optimizer.name, want.optimizer.name);
  assert.is(got.optimizer.iterations, want.optimizer.iterations, what);
  assert.is(got.optimizer.learningRate, want.optimizer.learningRate, what);
  got.weights.forEach((w, i) => {
    assert.is(w.name, want.weights[i].name);
    assert.equal(w.shape, want.weights[i].shape);
    assert.ok(sameBits(w.values, want.weights[i].values), `${what}: weight ${i}`);
  });
  got.optimizer.slots.forEach((s, k) => s.values.forEach((v, i) => assert.ok(sameBits(v, want.optimizer.slots[k].values[i]), `${what}: slot ${s.name} ${i}`)));
}

test('a crash at any file-system step of a backup leaves the previous backup or the new one, complete; the next backup clears the debris', () => {
  const previous = backupOf(2, 1);
  const next = backupOf(3, 2);
  const counting = dyingAt(Infinity);
  const probe = tempDir();
  writeBackup(fs, probe, previous);
  writeBackup(counting, probe, next);
  const steps = counting.changes;
  assert.ok(steps >= 8, `a backup takes ${steps} file-system changes`);
  const outcomes: number[] = [];
  for (let at = 0; at <= steps; at++) {
    const dir = tempDir();
    writeBackup(fs, dir, previous);
    let crashed = false;
    try {
      writeBackup(dyingAt(at), dir, next);
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
      crashed = true;
    }
    assert.is(crashed, at < steps);
    const found = readBackup(fs, dir);
    assert.ok(found, `a backup is there after a crash at step ${at}`);
    assertSameBackup(found, found.epoch === 3 ? next : previous, `crash at step ${at}`);
    outcomes.push(found.epoch);
    const after = backupOf(4, 3);
    writeBackup(fs, dir, after);
    assertSameBackup(readBackup(fs, dir)!, after, `the backup after a crash at step ${at}`);
    assert.is(readdirSync(dir).length, 1, `debris of the crash at step ${at} is gone: ${readdirSync(dir).join(', ')}`);
  }
  assert.ok(outcomes.includes(2) && outcomes.includes(3), `both outcomes occur: ${outcomes.join('')}`);
  // Before the first backup is complete there is none at all.
  for (let at = 0; at < steps; at++) {
    const dir = tempDir();
    try { writeBackup(dyingAt(at), dir, previous); } catch (e) { if (!(e instanceof Crash)) throw e; }
    const found = readBackup(fs, dir);
    if (found) assertSameBackup(found, previous, `first backup, crash at step ${at}`);
  }
});

test('getRandomState / setRandomState: the generator continues exactly; setSeed sequences are unchanged; bad states are refused', () => {
  setSeed(42);
  const plain = seedrandom('42');
  for (let i = 0; i < 1000; i++) assert.is(random(), plain(), 'setSeed(n) draws what seedrandom(String(n)) draws');
  const state = getRandomState();
  const ahead = Array.from({ length: 1000 }, random);
  setRandomState(JSON.parse(JSON.stringify(state)));
  assert.equal(Array.from({ length: 1000 }, random), ahead);
  assert.throws(() => setRandomState({ i: 0, j: 300, S: state.S }), /i and j must be integers in \[0, 255\]/);
  assert.throws(() => setRandomState({ i: 0, j: 0, S: state.S.slice(1) }), /S must be a list of 256 integers, got a list of 255/);
  assert.throws(() => setRandomState({ i: 0, j: 0, S: state.S.map(() => 7) }), /S must be a permutation of 0..255/);
});

// ------------------------------------------------------------ in process

function data(): { x: Tensor; y: Tensor } {
  const n = 96;
  const T = 6;
  const x = new Tensor(new Float32Array(n * T), [n, T]);
  const y = new Tensor(new Float32Array(n), [n, 1]);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < T; t++) {
      const token = 1 + ((i * 7 + t * 3 + (i >> 2)) % 9);
      x.data[i * T + t] = token;
      s += token < 5 ? 1 : -1;
    }
    y.data[i] = s > 0 ? 1 : 0;
  }
  return { x, y };
}

function model(units = 6, optimizer: Optimizer = new Adam({ learningRate: 0.02 })): Sequential {
  setSeed(11);
  const m = new Sequential([new Embedding(10, 4, { inputShape: [6] }), new LSTM(units, { dropout: 0.25, recurrentDropout: 0.25 }), new Dense(1, { activation: 'sigmoid' })]);
  m.compile({ optimizer, loss: 'binary_crossentropy', metrics: ['acc'] });
  return m;
}

const failAt = (epoch: number): Callback => ({ onEpochBegin: (e) => { if (e === epoch) throw new Error(`interrupted at epoch ${e}`); } });

test('in process: fit interrupted by an error resumes after the last backed-up epoch, with the uninterrupted result; the backup is deleted at the end', async () => {
  const { x, y } = data();
  const options = { epochs: 5, batchSize: 16, validationSplit: 0.25, verbose: 0 as const };
  const whole = model();
  const wholeHistory = await whole.fit(x, y, options);

  const dir = join(tempDir(), 'backup');
  const backup = new BackupAndRestore({ backupDir: dir });
  await rejects(model().fit(x, y, { ...options, callbacks: [backup, failAt(3)] }), /interrupted at epoch 3/);
  assert.is(readBackup(fs, dir)!.epoch, 3, 'an error keeps the backup');
  assert.is(backup.resumedAt, null);

  const again = model();
  const h = await again.fit(x, y, { ...options, callbacks: [backup] });
  assert.is(backup.resumedAt, 3);
  assert.equal(h.epoch, [3, 4], 'History holds the resumed epochs');
  assert.equal(h.history.loss, wholeHistory.history.loss.slice(3));
  assert.equal(h.history.val_acc, wholeHistory.history.val_acc.slice(3));
  assert.is(again.optimizer!.iterations, whole.optimizer!.iterations);
  again.weightTensors().forEach((t, i) => assert.ok(sameBits(t.data, whole.weightTensors()[i].data), `weight ${i}`));
  assert.not.ok(existsSync(dir), 'deleteCheckpoint (default) removes the backup folder');
});

test('in process: deleteCheckpoint false keeps the last backup; a fit whose epochs are all done runs none; the learning rate comes back', async () => {
  const { x, y } = data();
  const dir = join(tempDir(), 'kept');
  const keep = new BackupAndRestore({ backupDir: dir, deleteCheckpoint: false });
  const first = model(6, new RMSprop({ learningRate: 0.01 }));
  const lowerRate: Callback = { onEpochEnd: (e) => { if (e === 0) first.optimizer!.learningRate = 0.004; } };
  await first.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [lowerRate, keep] });
  assert.is(readBackup(fs, dir)!.epoch, 2);
  const second = model(6, new RMSprop({ learningRate: 0.01 }));
  const h = await second.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [keep] });
  assert.equal(h.epoch, []);
  assert.is(second.optimizer!.learningRate, 0.004);
  assert.is(second.optimizer!.iterations, 6);
  second.weightTensors().forEach((t, i) => assert.ok(sameBits(t.data, first.weightTensors()[i].data), `weight ${i}`));
  assert.is(readBackup(fs, dir)!.epoch, 2, 'the backup is still there');
});

test('a backup restores only into the model it was made from, a built one; bad backups and options are errors that say why', async () => {
  const { x, y } = data();
  const dir = join(tempDir(), 'b');
  await rejects(model().fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, callbacks: [new BackupAndRestore({ backupDir: dir }), failAt(1)] }), /interrupted/);
  const restore = (m: Sequential): Promise<unknown> => m.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, callbacks: [new BackupAndRestore({ backupDir: dir })] });

  await rejects(restore(model(5)), /the backup in .* does not fit sequential\w*: weight 1 is lstm\w*\/kernel \[4,24\] in the backup, the model's lstm\w*\/kernel is \[4,20\]/);
  await rejects(restore(model(6, new RMSprop())), /the backup was made with Adam, the model is compiled with RMSprop/);
  setSeed(11);
  const unbuilt = new Sequential([new LSTM(6), new Dense(1, { activation: 'sigmoid' })]);
  unbuilt.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  await rejects(restore(unbuilt), /must be built before fit\(\) to restore the backup/);

  const [folder] = readdirSync(dir);
  assert.match(folder, /^backup-\d+$/);
  const stateJson = join(dir, folder, 'state.json');
  const saved = readFileSync(stateJson, 'utf8');
  rmSync(stateJson);
  await rejects(restore(model()), /the backup .*backup-\d+ lacks state.json/);
  writeFileSync(stateJson, '{"format":');
  await rejects(restore(model()), /state.json: not valid JSON/);
  writeFileSync(stateJson, saved.replace('"unrolled-backup"', '"something-else"'));
  await rejects(restore(model()), /state.json is not a version 1 Unrolled backup/);
  writeFileSync(stateJson, saved);
  writeFileSync(join(dir, folder, 'state.bin'), new Uint8Array(3));
  await rejects(restore(model()), /state.bin holds 3 bytes, the backup declares \d+/);

  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'x');
  await rejects(model().fit(x, y, { epochs: 1, verbose: 0, callbacks: [new BackupAndRestore({ backupDir: file })] }), /backupDir .*a-file exists and is not a folder/);

  const bad: Array<[unknown, RegExp]> = [
    [undefined, /expected an options object \{ backupDir, deleteCheckpoint \}/],
    [{}, /the option 'backupDir' is required/],
    [{ backupDir: '' }, /backupDir must be a non-empty string, got ''/],
    [{ backupDir: 'b', deleteCheckpoints: false }, /unknown option 'deleteCheckpoints'; known: backupDir, deleteCheckpoint/],
    [{ backupDir: 'b', deleteCheckpoint: 'no' }, /deleteCheckpoint must be true or false, got "no"/],
  ];
  for (const [options, pattern] of bad) assert.throws(() => new BackupAndRestore(options as BackupAndRestoreOptions), pattern);
});

test.run();
