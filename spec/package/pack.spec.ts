/**
 * The npm package from the outside: `npm pack` (whose prepack builds dist/),
 * a fresh project that installs the tarball, a plain-JavaScript program run
 * by bare `node`, and a TypeScript program compiled with `tsc --init`'s
 * defaults (strict, nodenext).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { packed, run, tsc, type RunResult } from './packed.ts';

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path).map((p) => join(name, p)) : [name];
  });
}

function notice(output: string, label: string): string {
  const m = new RegExp(`${label}:\\s*(.+)`).exec(output);
  return m ? m[1].trim() : '?';
}

test('npm pack: dist/ holds ESM with .js imports, declarations and maps of the library, whose sources ship beside it', () => {
  const { packOutput, project, tarball, timings } = packed();
  const installed = join(project, 'node_modules', 'unrolled');
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.is(pkg.name, 'unrolled');
  assert.is(pkg.type, 'module');
  for (const file of ['README.md', 'LICENSE', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/index.js.map', 'dist/lib/index.d.ts.map',
    'dist/lib/platform/node.js', 'dist/lib/platform/browser.js', 'dist/autograd/tensor.js', 'dist/cells/lstm.js', 'dist/optim/adam.js']) {
    assert.ok(existsSync(join(installed, file)), `the package lacks ${file}`);
  }
  const dist = filesBelow(join(installed, 'dist'));
  const tops = [...new Set(dist.map((f) => f.split(/[\\/]/)[0]))].sort();
  assert.equal(tops, ['autograd', 'cells', 'lib', 'optim']);
  assert.ok(!dist.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'TypeScript sources in dist/');

  // Relative imports of the JavaScript end in .js; #platform stays bare for the package's `imports` map.
  // (Declarations keep the sources' .ts specifiers, which TypeScript resolves to the .d.ts beside them.)
  const bad: string[] = [];
  let platformImports = 0;
  for (const f of dist.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    const declaration = f.endsWith('.d.ts');
    const text = readFileSync(join(installed, 'dist', f), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|^import|\bimport\s*\()\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec === '#platform') platformImports += declaration ? 0 : 1;
      else if (spec.startsWith('#')) bad.push(`${f}: ${spec}`);
      else if (spec.startsWith('.') && !(spec.endsWith('.js') || (declaration && spec.endsWith('.ts')))) bad.push(`${f}: ${spec}`);
      else if (spec.startsWith('.') && !existsSync(join(installed, 'dist', f, '..', declaration ? spec.replace(/\.[jt]s$/, '.d.ts') : spec))) {
        bad.push(`${f}: ${spec} (no such file)`);
      }
    }
  }
  assert.equal(bad, [], `imports that do not load from dist/:\n${bad.join('\n')}`);
  assert.ok(platformImports > 0, 'no module of dist/ imports #platform');

  // Every source map and declaration map points at a source that ships beside dist/.
  const missing: string[] = [];
  for (const f of dist.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(installed, 'dist', f), 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of map.sources) {
      if (!existsSync(join(installed, 'dist', dirname(f), map.sourceRoot ?? '', source))) missing.push(`${f}: ${source}`);
    }
  }
  assert.equal(missing, [], `maps point at missing sources:\n${missing.join('\n')}`);

  const size = notice(packOutput, 'package size');
  const unpacked = notice(packOutput, 'unpacked size');
  console.log(`  ${basename(tarball)}: package size ${size}, unpacked size ${unpacked}, ${dist.length} files in dist/; `
    + `copy ${(timings.copy / 1000).toFixed(1)} s, pack ${(timings.pack / 1000).toFixed(1)} s, install ${(timings.install / 1000).toFixed(1)} s`);
});

const APP_MJS = `
import { Sequential, Embedding, LSTM, Dense, setSeed, tensor, loadJenaClimate } from 'unrolled';
import { writeFileSync } from 'node:fs';

setSeed(3);
const model = new Sequential();
model.add(new Embedding(20, 4));
model.add(new LSTM(5));
model.add(new Dense(1, { activation: 'sigmoid' }));
model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['acc'] });
const x = tensor([[1, 2, 3, 4, 5, 6], [0, 0, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16], [0, 17, 18, 19, 1, 2]]);
const y = tensor([1, 0, 1, 0]);
const first = model.trainOnBatch(x, y);
const history = await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
const p = model.predict(x);
const summary = model.summary(() => {});

// A file through the package's #platform: the Node file system.
writeFileSync('weather.csv', 'Date Time,p (mbar),T (degC)\\n01.01.2009 00:10:00,996.52,-8.02\\n01.01.2009 00:20:00,996.57,-8.41\\n');
const weather = loadJenaClimate('weather.csv');

console.log(JSON.stringify({
  shape: p.shape, values: Array.from(p.data), first, loss: history.history.loss,
  params: /Total params: [\\d,]+/.exec(summary)?.[0], weather: [weather.header, weather.floatData.shape],
}));
`;

test('plain JavaScript: bare node imports unrolled, trains, predicts and reads a file', () => {
  const { project } = packed();
  writeFileSync(join(project, 'app.mjs'), APP_MJS);
  const { stdout } = run(process.execPath, ['app.mjs'], project);
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.equal(out.shape, [4, 1]);
  assert.is(out.values.length, 4);
  assert.ok(out.values.every((v: number) => Number.isFinite(v) && v > 0 && v < 1), `predictions ${out.values}`);
  assert.ok(Number.isFinite(out.first) && out.loss.length === 1 && Number.isFinite(out.loss[0]), `losses ${out.first}, ${out.loss}`);
  // Embedding 20·4 + LSTM 4·5·(4+5+1) + Dense 5+1
  assert.is(out.params, 'Total params: 286');
  assert.equal(out.weather, [['p (mbar)', 'T (degC)'], [2, 2]]);
});

/** Runs tsc; on errors, fails with everything it printed. */
function compile(args: string[], cwd: string, what: string): RunResult {
  try {
    return run(tsc, args, cwd);
  } catch (err) {
    throw new Error(`${what}:\n${(err as Error).message}`);
  }
}

const APP_TS = `
import {
  Sequential, Embedding, LSTM, GRU, Dense, setSeed, tensor, Tensor, RMSprop,
  type Shape, type History, type CompileOptions, type FitOptions, type LayerOptions,
} from 'unrolled';

setSeed(5);
const inputShape: Shape = [3];
const options: LayerOptions = { name: 'words' };
const model = new Sequential();
model.add(new Embedding(10, 4, options));
model.add(new LSTM(3, { returnSequences: true }));
model.add(new GRU(3));
model.add(new Dense(2, { activation: 'softmax' }));
const compile: CompileOptions = { optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['acc'] };
model.compile(compile);
const x: Tensor = tensor([[1, 2, 3], [4, 5, 6]]);
const fit: FitOptions = { epochs: 1, batchSize: 2, verbose: 0 };
const history: History = await model.fit(x, tensor([0, 1]), fit);
const p = model.predict(x);
const shape: Shape = p.shape;
const loss: number | undefined = history.history['loss']?.[0];
console.log(JSON.stringify({ inputShape, shape, loss, finite: Array.from(p.data).every(Number.isFinite) }));
`;

test('TypeScript: tsc --init defaults with module nodenext compile a program against the declarations, which runs', () => {
  const { project } = packed();
  run(tsc, ['--init'], project);
  const configPath = join(project, 'tsconfig.json');
  let config = readFileSync(configPath, 'utf8');
  if (/^\s*"module":/m.test(config)) config = config.replace(/^(\s*)"module":\s*"[^"]*"/m, '$1"module": "nodenext"');
  else config = config.replace(/"compilerOptions":\s*\{/, '"compilerOptions": {\n    "module": "nodenext",');
  // nodenext's own module resolution is the default that goes with it; any other setting is dropped.
  config = config.replace(/^\s*"moduleResolution":.*\n/m, '');
  writeFileSync(configPath, config);
  assert.match(config, /"strict":\s*true/);
  writeFileSync(join(project, 'app.ts'), APP_TS);

  const r = compile(['-p', '.'], project, 'tsc reported errors');
  assert.is(r.stdout.trim(), '');
  const { stdout } = run(process.execPath, ['app.js'], project);
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.equal(out.shape, [2, 2]);
  assert.ok(out.finite && Number.isFinite(out.loss), stdout);
});

test('the public declarations need neither @types/node nor the DOM: they check with skipLibCheck off, types [] and lib esnext', () => {
  const { project } = packed();
  if (!existsSync(join(project, 'tsconfig.json'))) run(tsc, ['--init'], project);
  // Every public declaration, and nothing else that would need a runtime's globals.
  writeFileSync(join(project, 'declarations.ts'), "import * as unrolled from 'unrolled';\nexport const api: typeof unrolled = unrolled;\n");
  writeFileSync(join(project, 'tsconfig.libcheck.json'), `${JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: { module: 'nodenext', skipLibCheck: false, noEmit: true, types: [], lib: ['esnext'] },
    files: ['declarations.ts'],
  }, null, 2)}\n`);
  assert.ok(!existsSync(join(project, 'node_modules', '@types', 'node')), '@types/node reached the consumer');
  compile(['-p', 'tsconfig.libcheck.json'], project, 'the declarations do not check on their own');
});

test.run();
