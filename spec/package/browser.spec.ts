/**
 * The package in a browser: a user's bundler (esbuild, platform 'browser')
 * bundles `import ... from 'unrolled'` from a project that installed the
 * tarball. No Node builtin may be reachable, the `browser` condition must
 * pick the file-system-free platform, and the bundle must run where there is
 * no `process` and no `require`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import * as esbuild from 'esbuild';
import { packed } from './packed.ts';

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

function isBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]);
}

interface Bundle {
  /** The ESM bundle's text. */
  code: string;
  /** Every input file, relative to the project. */
  inputs: string[];
  /** Builtin imports the bundle would need, as `specifier ← importer`. */
  builtins: string[];
  /** Builtin imports that a package's `browser` field turns into empty modules. */
  disabled: string[];
}

/**
 * A plugin that sees every import before esbuild resolves it: a builtin is
 * resolved as esbuild would for the browser, and unless a `browser` field
 * disables it, it is recorded with its importer and left external, so one
 * build lists every offender.
 */
function builtinGuard(project: string, builtins: string[], disabled: string[]): esbuild.Plugin {
  return {
    name: 'builtin-guard',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.guarded || !isBuiltin(args.path)) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { guarded: true },
        });
        const where = `${args.path} ← ${relative(project, args.importer)}`;
        if (resolved.errors.length === 0 && resolved.namespace === '') {
          disabled.push(where);
          return undefined;
        }
        builtins.push(where);
        return { path: args.path, external: true };
      });
    },
  };
}

let bundled: Bundle | null = null;

async function bundle(): Promise<Bundle> {
  if (bundled) return bundled;
  const { project } = packed();
  const entry = join(project, 'browser-entry.js');
  writeFileSync(entry, "export * from 'unrolled';\n");
  const builtins: string[] = [];
  const disabled: string[] = [];
  const result = await esbuild.build({
    absWorkingDir: project,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [builtinGuard(project, builtins, disabled)],
  });
  bundled = {
    code: result.outputFiles[0].text,
    inputs: Object.keys(result.metafile.inputs),
    builtins,
    disabled,
  };
  return bundled;
}

test('browser bundle: no Node builtin is reachable from the package entry', async () => {
  const { builtins, disabled } = await bundle();
  assert.equal(builtins, [], `the browser bundle reaches Node builtins:\n  ${builtins.join('\n  ')}`);
  // seedrandom's optional require('crypto') is switched off by its own browser field.
  for (const d of disabled) assert.match(d, /^crypto ← node_modules[\\/]seedrandom[\\/]/);
});

test('browser bundle: the browser condition picks platform/browser.js, not node.js', async () => {
  const { inputs } = await bundle();
  const platform = inputs.filter((p) => /[\\/]platform[\\/]/.test(p)).map((p) => p.replace(/\\/g, '/'));
  assert.ok(platform.includes('node_modules/unrolled/dist/lib/platform/browser.js'), `platform files bundled: ${platform.join(', ')}`);
  assert.ok(!platform.some((p) => p.endsWith('/platform/node.js')), `platform files bundled: ${platform.join(', ')}`);
  assert.ok(inputs.every((p) => !p.startsWith('lib/') && !p.includes('/lib/platform/node.ts')), 'sources outside the package were bundled');
});

/** Runs in the bundle's context: what a page would do with the package. */
const PAGE = `(async () => {
  const u = globalThis.unrolled;
  u.setSeed(2);
  const model = new u.Sequential();
  model.add(new u.Embedding(12, 3));
  model.add(new u.LSTM(4, { returnSequences: true }));
  model.add(new u.GRU(4));
  model.add(new u.Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['acc'] });
  const x = u.tensor([[1, 2, 3, 4], [0, 5, 6, 7], [8, 9, 10, 11]]);
  const y = u.tensor([1, 0, 1]);
  const loss = model.trainOnBatch(x, y);
  const logs = await model.evaluate(x, y);
  const p = model.predict(x);
  let fileError = '';
  try {
    u.loadJenaClimate('jena_climate_2009_2016.csv');
  } catch (err) {
    fileError = err.message;
  }
  return JSON.stringify({
    process: typeof process, require: typeof require,
    shape: p.shape, values: Array.from(p.data), loss, logs, fileError,
  });
})()`;

test('browser bundle: runs without process or require, trains one batch and predicts', async () => {
  const { code } = await bundle();
  const script = await esbuild.transform(code, { format: 'iife', globalName: 'unrolled', platform: 'browser', logLevel: 'silent' });
  const context = createContext({ console, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask });
  runInContext(`${script.code}\nglobalThis.unrolled = unrolled;`, context, { filename: 'unrolled.bundle.js' });
  const out = JSON.parse(await runInContext(PAGE, context, { filename: 'page.js' }));
  assert.is(out.process, 'undefined');
  assert.is(out.require, 'undefined');
  assert.equal(out.shape, [3, 1]);
  assert.ok(out.values.every((v: number) => Number.isFinite(v) && v > 0 && v < 1), `predictions ${out.values}`);
  assert.ok(Number.isFinite(out.loss) && Number.isFinite(out.logs.loss) && Number.isFinite(out.logs.acc), JSON.stringify(out));
  assert.match(out.fileError, /^loadJenaClimate\("jena_climate_2009_2016\.csv"\): file paths need Node\.js, and this is the browser build of Unrolled; .*readCsv/);
});

test.run();
