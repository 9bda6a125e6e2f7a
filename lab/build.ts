/**
 * `npm run lab`: builds the gate lab with esbuild and serves it on 127.0.0.1.
 *
 *   npm run lab                        build to out/lab/ and serve it (http://127.0.0.1:8123/)
 *   npm run lab -- --build-only        build only; open out/lab/index.html, or copy the folder to any static host
 *   npm run lab -- --port 9000 --out DIR
 *
 * The lab bundles Unrolled from its sources as a user's bundler would bundle
 * the package for a browser: `#platform` resolves to the browser platform
 * (lib/platform/browser.ts, through lab/tsconfig.json's paths, the source of
 * package.json's `browser` target), and a build that reaches any Node
 * builtin fails, naming the import. The worker's bundle is inlined into the
 * page's script, which starts it from a blob URL: the built folder is three
 * static files that need no server-side code and no cross-origin isolation.
 */
import { createServer, type Server } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { extname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const LAB = resolve(import.meta.dirname);
const REPO = resolve(LAB, '..');
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

export interface LabBuild {
  dir: string;
  /** The files written, relative to `dir`, with their sizes in bytes. */
  files: Array<{ file: string; bytes: number }>;
  milliseconds: number;
}

/** Fails the build on any import of a Node builtin, naming the importer (seedrandom's optional crypto is off through its own `browser` field). */
const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '').split('/')[0];
      if (!(args.path.startsWith('node:') || BUILTINS.has(bare))) return undefined;
      if (args.path === 'crypto' && /[\\/]node_modules[\\/]seedrandom[\\/]/.test(args.importer)) return undefined;
      return { errors: [{ text: `the lab must run in a browser, but ${relative(REPO, args.importer)} imports the Node builtin '${args.path}'` }] };
    });
  },
};

async function bundle(entry: string, define: Record<string, string> = {}): Promise<string> {
  const result = await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: [join(LAB, entry)],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    tsconfig: join(LAB, 'tsconfig.json'),
    define,
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  return result.outputFiles[0].text;
}

/** Builds the lab into `dir`: index.html, lab.css and lab.js (the page's script with the worker inside). */
export async function buildLab(dir: string = join(REPO, 'out', 'lab')): Promise<LabBuild> {
  const start = performance.now();
  const worker = await bundle('worker.ts');
  const page = await bundle('main.ts', { WORKER_SOURCE: JSON.stringify(worker) });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.js'), page);
  for (const file of ['index.html', 'lab.css']) copyFileSync(join(LAB, file), join(dir, file));
  const files = ['index.html', 'lab.css', 'lab.js'].map((file) => ({ file, bytes: statSync(join(dir, file)).size }));
  return { dir, files, milliseconds: performance.now() - start };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.bin': 'application/octet-stream',
};

/**
 * Serves the files below `dir` on 127.0.0.1 as a plain static host does:
 * GET and HEAD only, no cross-origin-isolation headers, nothing outside
 * `dir`. Port 0 takes a free port; the server's address says which.
 */
export function serveDirectory(dir: string, port = 0): Promise<Server> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = resolve(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${path}: not found\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveServer(server));
  });
}

const USAGE = `Usage: npm run lab -- [--build-only] [--port N] [--out DIR]

Builds the gate lab into DIR (default out/lab/) and serves it on
http://127.0.0.1:N/ (default 8123); --build-only stops after the build.`;

async function main(argv: readonly string[]): Promise<number> {
  let buildOnly = false;
  let port = 8123;
  let out = join(REPO, 'out', 'lab');
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--build-only') buildOnly = true;
    else if (flag === '--port' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) < 65536) port = Number(argv[++i]);
    else if (flag === '--out' && argv[i + 1] && !argv[i + 1].startsWith('--')) out = resolve(argv[++i]);
    else if (flag === '--help') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`npm run lab: '${flag}' is not a flag here (or lacks its value)\n\n${USAGE}`);
      return 2;
    }
  }
  const built = await buildLab(out);
  console.log(`Built the gate lab in ${(built.milliseconds / 1000).toFixed(1)} s: ${built.dir}`);
  for (const f of built.files) console.log(`  ${f.file.padEnd(10)} ${(f.bytes / 1024).toFixed(0).padStart(5)} KiB`);
  if (buildOnly) {
    console.log(`Open ${join(built.dir, 'index.html')} in a browser, or copy the folder to any static host.`);
    return 0;
  }
  let server: Server;
  try {
    server = await serveDirectory(built.dir, port);
  } catch (e) {
    console.error(`npm run lab: cannot serve on 127.0.0.1:${port} (${(e as Error).message}); pass another --port`);
    return 1;
  }
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  console.log(`Serving ${built.dir} at ${url} (Ctrl-C stops it)`);
  return 0; // the server keeps the process running
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
