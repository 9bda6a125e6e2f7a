/**
 * A real headless Chromium for the browser specs: the binary that the npm
 * package @sparticuz/chromium ships (bin/chromium.br, brotli), unpacked once
 * into the temporary folder under a name with the package's version, and
 * driven by puppeteer-core. Nothing is downloaded.
 *
 * The unpacking is this file's own rather than the package's
 * `executablePath()`, which reuses whatever file is at /tmp/chromium, of any
 * version, and writes it in place (a run stopped half-way leaves a broken
 * binary that every later run would take): here the binary is written to a
 * temporary name and renamed, and its version is checked against the
 * package's.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import puppeteer, { type Browser } from 'puppeteer-core';

/** The flags that work on this project's machines: no sandbox as root, no GPU, no network of Chromium's own. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** The package's folder and version. */
function chromiumPackage(): { dir: string; version: string } {
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium'); // <dir>/build/cjs/index.cjs
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@sparticuz/chromium' && pkg.version) return { dir, version: pkg.version };
  }
  throw new Error(`no package.json of @sparticuz/chromium above ${entry}`);
}

/** The path of the unpacked binary, unpacking it on the first call on this machine. */
export async function chromiumPath(): Promise<string> {
  const { dir, version } = chromiumPackage();
  const home = join(tmpdir(), `unrolled-chromium-${version}`);
  const binary = join(home, 'chromium');
  if (!existsSync(binary)) {
    const packed = join(dir, 'bin', 'chromium.br');
    if (!existsSync(packed)) throw new Error(`@sparticuz/chromium ${version} has no ${packed}; reinstall it with npm ci`);
    mkdirSync(home, { recursive: true });
    const partial = join(home, `chromium.${process.pid}.partial`);
    try {
      await pipeline(createReadStream(packed), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
      renameSync(partial, binary);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  const printed = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim(); // "Chromium 143.0.7499.0"
  const major = version.split('.')[0];
  if (!printed.includes(` ${major}.`)) throw new Error(`${binary} says '${printed}', but @sparticuz/chromium is ${version}; remove ${home} to unpack it again`);
  return binary;
}

/** A fresh headless Chromium with its own empty profile, removed when the browser closes. */
export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'unrolled-chromium-profile-'));
  const browser = await puppeteer.launch({
    executablePath: await chromiumPath(),
    headless: 'shell',
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    timeout: 30_000,
  });
  // Chromium may still be writing its profile when the connection closes: remove it once the process has exited,
  // retrying, and never let a leftover file fail the run.
  const removeProfile = (): void => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // A profile left in the temporary folder harms nothing.
    }
  };
  const child = browser.process();
  if (child && child.exitCode === null) child.once('exit', removeProfile);
  else browser.once('disconnected', removeProfile);
  return browser;
}
