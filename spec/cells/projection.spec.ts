/**
 * Projection.gradWeights: the weight gradients of several products over one
 * dOut (the input kernel's dW and the recurrent kernel's dU, both over
 * dGates) with dOut packed once, the same bits as one gradWeight per product;
 * with masks none, shared and per block, and a product that reads other
 * columns of dOut (GRU's U_z|U_r, 2 of 3 blocks), which takes gradWeight.
 *
 * Letters: B batch, T timesteps, D input features, H units, G gate blocks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSeed, uniform, type FloatArray } from '../../autograd/index.ts';
import { Projection } from '../../cells/projection.ts';
import { Workspace } from '../../cells/workspace.ts';

const [B, T, D, H, G] = [3, 5, 4, 6, 3];
const rows = T * B;
const random = (n: number): Float64Array => Float64Array.from({ length: n }, () => uniform(-1, 1));

function projection(W: FloatArray, K: number, first: number, count: number, masks: FloatArray[] | null, ws: Workspace | null): Projection {
  return new Projection({
    W, K, colsW: G * H, H, first, count, masks, B, outCols: count * H, outStart: 0, gradCols: G * H, gradStart: first * H,
    scratchK: new Float64Array(rows * K), scratchH: new Float64Array(rows * H), packIn: ws && { workspace: ws, name: 'U' },
  });
}

for (const layout of ['none', 'shared', 'perBlock'] as const) {
  test(`gradWeights, masks ${layout}: dW and dU the same bits as gradWeight each, also with a product over other columns`, () => {
    setSeed(`gradWeights ${layout}`);
    const [W, U] = [random(D * G * H), random(H * G * H)];
    const [x, h, dGates] = [random(rows * D), random(rows * H), random(rows * G * H)];
    const mask = (K: number): FloatArray[] | null => {
      if (layout === 'none') return null;
      const one = random(B * K);
      return layout === 'shared' ? [one, one, one] : [one, random(B * K), random(B * K)];
    };
    const [mx, mh] = [mask(D), mask(H)];
    for (const [first, count] of [[0, G], [0, 2]] as const) {
      const input = projection(W, D, 0, G, mx, null);
      const rec = projection(U, H, first, count, mh && mh.slice(first, first + count), new Workspace());
      const [dW0, dU0] = [random(D * G * H), random(H * G * H)];
      const [dW1, dU1] = [dW0.slice(), dU0.slice()];
      input.gradWeight(dW0, x, dGates, rows);
      rec.gradWeight(dU0, h, dGates, rows);
      Projection.gradWeights([[input, dW1, x], [rec, dU1, h]], dGates, rows);
      for (const [name, want, got] of [['dW', dW0, dW1], ['dU', dU0, dU1]] as const) {
        const i = want.findIndex((v, j) => !Object.is(v, got[j]));
        assert.is(i, -1, `${name} (U blocks ${first}…${first + count - 1}) at [${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  });
}

test.run();
