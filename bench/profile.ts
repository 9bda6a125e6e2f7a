/**
 * A workload to profile, and a reader for the profile.
 *
 *   node --cpu-prof --cpu-prof-dir=bench/out/prof --import tsx bench/profile.ts run lstm 32 128 100 step 20 [threads]
 *     runs 20 times, at H units, batch B, T steps, D = 32, on `threads` threads (default: getNumThreads()), one of:
 *       step   a training step (trainOnBatch) of <cell>(H) + Dense(1, sigmoid), RMSprop, binary cross-entropy
 *       fused  the fused cell's forward + backward (with dX), as bench/cells.ts times it
 *       ref    the reference cell's forward + backward through the tape, likewise
 *       infer  the fused cell's forward without gradients
 *     (cell: simpleRnn | lstm | gru | gruResetBefore); the workload runs inside `workload`.
 *   npx tsx bench/profile.ts read bench/out/prof/<file>.cpuprofile [top] [root]
 *     prints the functions with the most self time and their inclusive time, as a
 *     share of the time under `root` (default: workload), so module loading does not count.
 */
import { readFileSync } from 'node:fs';
import { backward, noGrad, randomUniform, setSeed } from '../autograd/index.ts';
import { Workspace } from '../cells/common.ts';
import { Dense, RMSprop, Sequential, setNumThreads, tensor } from '../lib/index.ts';
import { fmt, markdownTable } from './timing.ts';
import { variant, type VariantKey } from './variants.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function run(args: readonly string[]): void {
  const [cell = 'lstm', h = '32', b = '128', t = '100', what = 'step', count = '20', threads] = args;
  if (threads !== undefined) setNumThreads(Number(threads));
  const [H, B, T, D, n] = [Number(h), Number(b), Number(t), 32, Number(count)];
  const v = variant(cell as VariantKey);
  setSeed(1);
  const x = randomUniform([B, T, D], -1, 1);
  let call: () => unknown;
  if (what === 'step') {
    const model = new Sequential();
    model.add(v.layer(H, [T, D]));
    model.add(new Dense(1, { activation: 'sigmoid' }));
    model.compile({ optimizer: new RMSprop(), loss: 'binary_crossentropy' });
    const y = tensor(Float32Array.from({ length: B }, (_, i) => i % 2), [B, 1]);
    call = () => model.trainOnBatch(x, y);
  } else {
    const w = v.init(D, H);
    const dOut = randomUniform([B, H], -1, 1).data;
    const workspace = new Workspace();
    x.requiresGrad = what !== 'infer';
    if (what === 'fused') call = () => backward(v.fused(x, w, { workspace }).output, dOut);
    else if (what === 'ref') call = () => backward(v.reference(x, w).output, dOut);
    else if (what === 'infer') call = () => noGrad(() => v.fused(x, w, { workspace }));
    else throw new Error(`profile: unknown workload '${what}'; known: step, fused, ref, infer`);
  }
  call(); // warm-up, outside the workload
  const t0 = performance.now();
  workload(call, n);
  process.stderr.write(`${n} × ${what} of ${v.label}(${H}) B=${B} T=${T}: ${fmt((performance.now() - t0) / n)} ms each (wall)\n`);
}

/** The profiled loop; `read` measures shares against its inclusive time. */
function workload(call: () => unknown, n: number): void {
  for (let i = 0; i < n; i++) call();
}

/** Self and inclusive time per function (name and file), over the samples taken under `root`. */
function read(args: readonly string[]): void {
  const [path, topArg = '25', root = 'workload'] = args;
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/main\//, '')}`;
  const stackOf = (id: number): string[] => {
    const names: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) names.push(key(byId.get(at)!));
    return names;
  };
  // Time per sampled node, then per function: self, and inclusive (once per function on a stack).
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const hasRoot = profile.nodes.some((n) => key(n).startsWith(`${root} `));
  const selfBy = new Map<string, number>();
  const inclusiveBy = new Map<string, number>();
  let base = 0;
  for (const [id, us] of perNode) {
    const stack = stackOf(id);
    // GC samples have no JS stack: they count when they fall between the root's samples, i.e. always here.
    const isGc = stack[0].startsWith('(garbage collector)');
    if (hasRoot && !isGc && !stack.some((k) => k.startsWith(`${root} `))) continue;
    if (stack[0].startsWith('(idle)') || stack[0].startsWith('(program)')) continue;
    base += us;
    selfBy.set(stack[0], (selfBy.get(stack[0]) ?? 0) + us);
    for (const k of new Set(stack)) inclusiveBy.set(k, (inclusiveBy.get(k) ?? 0) + us);
  }
  const rows = [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))
    .map(([k, us]) => [k, `${(100 * us / base).toFixed(1)}%`, `${(100 * (inclusiveBy.get(k) ?? 0) / base).toFixed(1)}%`]);
  console.log(`${fmt(base / 1000)} ms sampled under '${hasRoot ? root : 'everything'}' (garbage collection included, idle excluded)\n`);
  console.log(markdownTable(['function', 'self', 'inclusive'], rows, [false, true, true]));
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'run') run(rest);
else if (command === 'read') read(rest);
else throw new Error('profile: usage: profile.ts run <cell> <H> <B> <T> <step|fused|ref|infer> <count> [threads] | read <file.cpuprofile> [top] [root]');
