/**
 * End to end: the tape trains a small network. A 2 → 8 (tanh) → 1 network in
 * float64 learns XOR on the four corners of the square with plain SGD written
 * here (θ ← θ − lr · ∂L/∂θ, gradients zeroed between steps).
 *
 * Letters: N examples (4), D inputs (2), H hidden units (8).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../../autograd/ops.ts';
import { Tensor, randomNormal, setSeed, tensor, zeros } from '../../autograd/index.ts';

const D = 2;
const H = 8;
const STEPS = 300;
const LEARNING_RATE = 0.05;
/** The final loss must be at most this fraction of the initial loss. */
const REQUIRED_REDUCTION = 0.1;

// XOR on ±1 corners: the target is the product of the inputs.
const X = tensor([[-1, -1], [-1, 1], [1, -1], [1, 1]], undefined, 'float64'); // [N, D]
const Y = tensor([[1], [-1], [-1], [1]], undefined, 'float64'); // [N, 1]

function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

test('SGD on a 2 → 8 tanh → 1 network cuts the XOR loss at least tenfold', () => {
  setSeed(2024);
  // Weights scaled by 1/√fan-in.
  const w1 = parameter(randomNormal([D, H], 0, 1 / Math.sqrt(D), 'float64')); // [D, H]
  const b1 = parameter(zeros([H], 'float64')); // [H]
  const w2 = parameter(randomNormal([H, 1], 0, 1 / Math.sqrt(H), 'float64')); // [H, 1]
  const b2 = parameter(zeros([1], 'float64')); // [1]
  const params = [w1, b1, w2, b2];

  // L = mean over the N examples of (ŷ − y)², ŷ = tanh(X·W1 + b1)·W2 + b2.
  const forward = (): { loss: Tensor; prediction: Tensor } => {
    const h = ops.tanh(ops.add(ops.matmul(X, w1), b1)); // [N, H]
    const prediction = ops.add(ops.matmul(h, w2), b2); // [N, 1]
    const err = ops.sub(prediction, Y); // [N, 1]
    return { loss: ops.mean(ops.mul(err, err)), prediction };
  };

  const initial = forward().loss.item();
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const { loss } = forward();
    losses.push(loss.item());
    loss.backward();
    for (const p of params) {
      const g = p.grad!;
      for (let i = 0; i < p.size; i++) p.data[i] -= LEARNING_RATE * g[i];
      p.zeroGrad();
    }
  }
  const { loss, prediction } = forward();
  const final = loss.item();
  console.log(`  XOR 2 → ${H} tanh → 1, SGD lr ${LEARNING_RATE}, ${STEPS} steps: initial loss ${initial.toFixed(6)}, final loss ${final.toExponential(3)}`);

  assert.ok(Number.isFinite(initial) && initial > 0, `initial loss ${initial}`);
  assert.is(losses[0], initial, 'the first step sees the initial loss');
  assert.ok(Number.isFinite(final), `final loss ${final}`);
  assert.ok(final <= REQUIRED_REDUCTION * initial, `final loss ${final} is more than ${REQUIRED_REDUCTION} × initial loss ${initial}`);
  // Every corner ends on the right side of zero.
  for (let n = 0; n < 4; n++) {
    assert.ok(prediction.data[n] * Y.data[n] > 0, `example ${n}: prediction ${prediction.data[n]}, target ${Y.data[n]}`);
  }
  // Plain SGD with a small step mostly goes downhill: the loss falls over every 50-step stretch.
  for (let s = 50; s < STEPS; s += 50) {
    assert.ok(losses[s] < losses[s - 50], `loss rose from ${losses[s - 50]} at step ${s - 50} to ${losses[s]} at step ${s}`);
  }
});

test.run();
