/**
 * PyTorch as a peer, where the system Python has it (Debian's python3-torch,
 * with libopenblas0-pthread for a threaded BLAS): the same training step as
 * peers.ts — recurrent layer + Linear(1) + sigmoid, binary cross-entropy,
 * RMSprop (lr 0.001, α 0.9, ε 1e-7) — on one PyTorch thread, timed in its own
 * process after Unrolled's initial weights and batch are copied in. Checked
 * first: the first step's loss and every weight after it, against Unrolled's.
 *
 * torch.optim.RMSprop adds ε outside the root (Keras inside, which matters
 * for small gradients), so the step writes Keras's update with torch ops;
 * PyTorch's LSTM and RNN have a second bias (bias_hh), held at zero and not
 * trained. Its GRU is the resetAfter=true form (gate order r, z, n); GRU
 * resetAfter=false has no PyTorch counterpart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '../lib/index.ts';
import type { VariantKey } from './variants.ts';

export const PYTHON = '/usr/bin/python3';
export const TORCH_HINT = `PyTorch not timed: ${PYTHON} cannot import torch; on Debian or Ubuntu, apt-get install python3-torch libopenblas0-pthread enables it.`;

/** The first loss must agree this closely, and the weights after one step. */
export const TORCH_LOSS_TOLERANCE = 1e-4;
export const TORCH_WEIGHT_TOLERANCE = 1e-4;

export interface TorchInfo {
  version: string;
  blas: string;
}

export interface TorchTiming {
  firstLoss: number;
  weightDiff: number;
  cpuMs: number;
  wallMs: number;
  threads: number;
}

/** The cells PyTorch has: its LSTM and RNN(tanh) are Keras's; its GRU is resetAfter=true. */
export function torchHas(cell: VariantKey): boolean {
  return cell === 'lstm' || cell === 'simpleRnn' || cell === 'gru';
}

/** PyTorch's version and BLAS, or null when the system Python cannot import it. */
export function torchInfo(): TorchInfo | null {
  // Debian's torch calls the system BLAS (libblas.so.3), which the alternatives point at OpenBLAS or the reference BLAS.
  const code = 'import ctypes.util, os, torch; print(torch.__version__); n = ctypes.util.find_library("blas"); print(os.path.realpath("/usr/lib/x86_64-linux-gnu/" + n) if n else "unknown")';
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return null;
  const [version, blas] = r.stdout.trim().split('\n');
  return { version, blas };
}

const SCRIPT = String.raw`
import json, sys, time
import numpy as np
import torch
torch.set_num_threads(1)
spec = json.load(open(sys.argv[1]))
d = spec["dir"]
B, T, D, H = spec["B"], spec["T"], spec["D"], spec["H"]
load = lambda name, shape: torch.from_numpy(np.fromfile(d + "/" + name, dtype=np.float32).reshape(shape))
x, y = load("x.f32", (B, T, D)), load("y.f32", (B, 1))
w = [load("w%d.f32" % i, s) for i, s in enumerate(spec["shapes"])]
after = [load("after%d.f32" % i, s) for i, s in enumerate(spec["shapes"])]
cell = spec["cell"]
rnn = {"lstm": lambda: torch.nn.LSTM(D, H, batch_first=True), "simpleRnn": lambda: torch.nn.RNN(D, H, batch_first=True),
       "gru": lambda: torch.nn.GRU(D, H, batch_first=True)}[cell]()
dense = torch.nn.Linear(H, 1)
# Keras's z | r | h gate blocks are PyTorch's r | z | n.
perm = (lambda m: torch.cat([m[..., H:2 * H], m[..., :H], m[..., 2 * H:]], -1)) if cell == "gru" else (lambda m: m)
def to_torch(ws):
    W, U, b, Wd, bd = ws
    bx, bh = (b[0], b[1]) if cell == "gru" else (b, torch.zeros_like(b))
    return [perm(W).T, perm(U).T, perm(bx), perm(bh), Wd.T, bd]
params = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, dense.weight, dense.bias]
with torch.no_grad():
    for p, v in zip(params, to_torch(w)):
        p.copy_(v)
# Keras's LSTM and SimpleRNN have one bias: PyTorch's second (bias_hh) stays zero and is not trained.
trained = [p for i, p in enumerate(params) if cell == "gru" or i != 3]
rnn.bias_hh_l0.requires_grad_(cell == "gru")
# Keras's RMSprop, epsilon inside the root (torch.optim.RMSprop adds it outside): v = 0.9 v + 0.1 g^2, p -= 0.001 g / sqrt(v + 1e-7).
slots = [torch.zeros_like(p) for p in trained]
def step():
    for p in trained:
        p.grad = None
    out, _ = rnn(x)
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(dense(out[:, -1])), y)
    loss.backward()
    with torch.no_grad():
        for p, v in zip(trained, slots):
            v.mul_(0.9).addcmul_(p.grad, p.grad, value=0.1)
            p.addcdiv_(p.grad, (v + 1e-7).sqrt_(), value=-0.001)
    return loss.item()
first = step()
with torch.no_grad():
    diff = max(float((p - v).abs().max()) for p, v in zip(params, to_torch(after)))
for _ in range(spec["warmup"]):
    step()
cpu, wall = [], []
for _ in range(spec["runs"]):
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(spec["reps"]):
        step()
    cpu.append((time.process_time() - c0) * 1000 / spec["reps"])
    wall.append((time.perf_counter() - w0) * 1000 / spec["reps"])
print(json.dumps({"firstLoss": first, "weightDiff": diff, "cpuMs": float(np.median(cpu)), "wallMs": float(np.median(wall)), "threads": torch.get_num_threads()}))
`;

/**
 * Times one PyTorch training step of `cell` from Unrolled's initial weights
 * (Keras order: W, U, b, dense W, dense b) on the batch x, y; `after` are
 * Unrolled's weights after its first step on that batch, for the check.
 */
export function timeTorch(
  cell: VariantKey, dims: { B: number; T: number; D: number; H: number }, data: { x: Float32Array; y: Float32Array },
  weights: readonly Tensor[], after: readonly Tensor[], timing: { runs: number; warmup: number; reps: number },
): TorchTiming {
  const dir = mkdtempSync(join(tmpdir(), 'unrolled-torch-'));
  try {
    const bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(dir, 'x.f32'), bytes(data.x));
    writeFileSync(join(dir, 'y.f32'), bytes(data.y));
    weights.forEach((w, i) => writeFileSync(join(dir, `w${i}.f32`), bytes(Float32Array.from(w.data))));
    after.forEach((w, i) => writeFileSync(join(dir, `after${i}.f32`), bytes(Float32Array.from(w.data))));
    const spec = { dir, cell, ...dims, shapes: weights.map((w) => w.shape), ...timing };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    writeFileSync(join(dir, 'step.py'), SCRIPT);
    // One thread: torch.set_num_threads(1) in the script holds PyTorch's own pool; OpenBLAS and OpenMP keep pools of their own.
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const r = spawnSync(PYTHON, [join(dir, 'step.py'), join(dir, 'spec.json')], { encoding: 'utf8', timeout: 600_000, env });
    if (r.status !== 0) throw new Error(`PyTorch ${cell}: the step script failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
