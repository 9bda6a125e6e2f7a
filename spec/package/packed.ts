/**
 * The package as a user receives it, made at most once per test process and
 * shared by the package specs:
 *
 * 1. the files that `npm pack` reads (package.json's `files`, the sources
 *    that tsconfig.build.json compiles, the tsconfigs) are copied to a
 *    temporary directory, so packing never touches this tree's dist/;
 * 2. `npm pack` runs there: its prepack cleans dist/ and builds it;
 * 3. a fresh project in another temporary directory installs the tarball.
 *
 * Every temporary directory is removed when the process exits.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '..', '..');

export interface Packed {
  /** The copy of the package that was packed (holds the built dist/). */
  source: string;
  tarball: string;
  /** What `npm pack` printed (npm writes its file list and sizes to stderr). */
  packOutput: string;
  /** A fresh project with the tarball installed in node_modules/unrolled. */
  project: string;
  /** Wall-clock milliseconds of each stage. */
  timings: { copy: number; pack: number; install: number };
}

const temporary: string[] = [];
process.on('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `unrolled-${prefix}-`));
  temporary.push(dir);
  return dir;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a failure throws with the command, its exit and everything it printed. */
export function run(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): RunResult {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: process.env });
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  if (r.error || r.status !== 0) {
    const how = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${how}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  }
  return { stdout, stderr };
}

export const npm = 'npm';
/** This repository's TypeScript compiler. */
export const tsc = join(repo, 'node_modules', '.bin', 'tsc');

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The top-level entries `npm pack` needs: the package's files and what the build compiles. */
function packageInputs(): string[] {
  const pkg = readJson(join(repo, 'package.json'));
  const build = readJson(join(repo, 'tsconfig.build.json'));
  const names = new Set(['package.json', 'tsconfig.json', 'tsconfig.build.json']);
  for (const entry of [...(pkg.files as string[]), ...(build.include as string[])]) {
    const top = entry.replace(/^\.\//, '').split('/')[0];
    if (top !== 'dist' && !top.includes('*')) names.add(top);
  }
  return [...names].filter((name) => existsSync(join(repo, name)));
}

function pack(): Packed {
  let t = performance.now();
  const source = temporaryDirectory('source');
  for (const name of packageInputs()) cpSync(join(repo, name), join(source, name), { recursive: true });
  // The build's compiler comes from this repository's install.
  symlinkSync(join(repo, 'node_modules'), join(source, 'node_modules'));
  const copy = performance.now() - t;

  t = performance.now();
  const out = temporaryDirectory('pack');
  const packed = run(npm, ['pack', '--pack-destination', out], source);
  const name = packed.stdout.trim().split('\n').pop()!.trim();
  const tarball = join(out, name);
  if (!existsSync(tarball)) throw new Error(`npm pack printed ${JSON.stringify(name)}, but ${tarball} does not exist`);
  const pack = performance.now() - t;

  t = performance.now();
  const project = temporaryDirectory('consumer');
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  run(npm, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], project);
  const install = performance.now() - t;

  return { source, tarball, packOutput: packed.stderr, project, timings: { copy, pack, install } };
}

let made: { packed: Packed } | { error: unknown } | null = null;

/** The packed and installed package, made on the first call (a failure is kept and thrown again). */
export function packed(): Packed {
  if (made === null) {
    try {
      made = { packed: pack() };
    } catch (error) {
      made = { error };
    }
  }
  if ('error' in made) throw made.error;
  return made.packed;
}
