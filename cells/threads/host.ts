/**
 * What the threads need of the platform, found at run time so that no
 * module of the package imports a Node builtin (the browser bundle stays
 * free of them): in Node, worker_threads through `process.getBuiltinModule`
 * (Node 20.16 and later); in browsers, Web Workers of type 'module'.
 *
 * Threads need SharedArrayBuffer (in browsers only on crossOriginIsolated
 * pages and their workers) and a thread that may block in Atomics.wait (not
 * a browser's main thread). Where either is missing, `threadSupport.max` is 1.
 */

/** A worker as the pool uses it. */
export interface WorkerHandle {
  post(message: unknown): void;
}

/** The side of a worker that talks to the thread which started it. */
export interface ParentPort {
  onMessage(handler: (message: unknown) => void): void;
}

interface NodeWorker {
  postMessage(message: unknown): void;
  unref(): void;
  on(event: 'error', handler: (error: Error) => void): void;
}
interface NodeWorkerThreads {
  Worker: new (code: string | URL, options?: { eval?: boolean }) => NodeWorker;
  parentPort: { on(event: 'message', handler: (message: unknown) => void): void } | null;
  isMainThread: boolean;
}
interface WebWorker {
  postMessage(message: unknown): void;
}
interface Globals {
  process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } };
  Worker?: new (url: URL, options: { type: 'module' }) => WebWorker;
  SharedArrayBuffer?: unknown;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  WorkerGlobalScope?: unknown;
  document?: unknown;
  onmessage?: ((event: { data: unknown }) => void) | null;
}

const g = globalThis as unknown as Globals;

function nodeThreads(): NodeWorkerThreads | null {
  const get = g.process?.getBuiltinModule;
  return get ? (get('node:worker_threads') as NodeWorkerThreads) : null;
}

function nodeCores(): number {
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus: () => unknown[] } | undefined;
  return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
}

/** Why threads cannot run here, or null when they can. */
function missing(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false) {
    return 'SharedArrayBuffer is not available (in a browser it needs a crossOriginIsolated page)';
  }
  if (g.process?.versions?.node) return nodeThreads() ? null : `Node ${g.process.versions.node} has no process.getBuiltinModule (Node 20.16 or later has)`;
  if (!g.Worker) return 'this platform has no Worker';
  if (g.document !== undefined && g.WorkerGlobalScope === undefined) return "a browser's main thread may not block in Atomics.wait (run Unrolled in a Web Worker)";
  return null;
}

const reason = missing();

/** Whether threads can run here, the cores available, and why not when they cannot. */
export const threadSupport: { readonly cores: number; readonly reason: string | null } = {
  cores: reason ? 1 : Math.max(1, g.process?.versions?.node ? nodeCores() : (g.navigator?.hardwareConcurrency ?? 1)),
  reason,
};

/** The worker script beside this module: worker.ts under the TypeScript sources, worker.js in dist/. */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
}

/**
 * Under the TypeScript sources (tsx), a worker does not inherit the loader in
 * Node 20, so it registers tsx's loader itself before it imports the worker.
 */
function nodeBootstrap(url: URL): { code: string | URL; eval: boolean } {
  if (!url.pathname.endsWith('.ts')) return { code: url, eval: false };
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return { code: url, eval: false };
  }
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return { code, eval: true };
}

/** Starts one worker; it holds no handle that keeps a Node process alive. `onError` hears of a worker that failed to start. */
export function spawnWorker(onError: (error: Error) => void): WorkerHandle {
  const threads = nodeThreads();
  if (threads) {
    const { code, eval: isCode } = nodeBootstrap(workerUrl());
    const worker = new threads.Worker(code, { eval: isCode });
    worker.unref();
    worker.on('error', onError);
    return { post: (message) => worker.postMessage(message) };
  }
  let url: URL;
  try {
    url = new URL('./worker.js', import.meta.url);
  } catch {
    throw new Error("worker threads need the package's worker script (dist/cells/threads/worker.js) beside this module, and this bundle has no URL for it (import.meta.url); keep new URL('./worker.js', import.meta.url) in the bundle, or setNumThreads(1)");
  }
  const worker = new g.Worker!(url, { type: 'module' });
  return { post: (message) => worker.postMessage(message) };
}

/** Inside a worker: the port to the thread that started it. */
export function parentPort(): ParentPort {
  const threads = nodeThreads();
  if (threads && !threads.isMainThread && threads.parentPort) {
    const port = threads.parentPort;
    return { onMessage: (handler) => port.on('message', handler) };
  }
  return { onMessage: (handler) => { g.onmessage = (event) => handler(event.data); } };
}
