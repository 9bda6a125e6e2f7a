import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, gradcheck } from '../../autograd/gradcheck.ts';
import { tensor, type Tensor } from '../../autograd/index.ts';
import { autogradCases } from './cases.ts';

for (const c of autogradCases) {
  test(`gradcheck ${c.name}`, () => {
    const report = c.run();
    assert.ok(report.worst !== null, `${c.name}: no element was checked`);
    assert.ok(report.pass, describe(report));
  });
}

test('gradcheck catches a wrong gradient and names the worst element', () => {
  // A deliberately wrong op: forward x², backward claims 3x.
  const wrongSquare = (x: Tensor): Tensor => {
    const out = tensor(x.data.map((v) => v * v), x.shape, 'float64');
    out.requiresGrad = true;
    out.node = {
      op: 'wrongSquare', inputs: [x], outputs: [out],
      backward: () => {
        const g = out.grad!;
        x.grad ??= new Float64Array(x.size);
        for (let i = 0; i < g.length; i++) x.grad[i] += 3 * x.data[i] * g[i];
      },
    };
    return out;
  };
  const x = tensor([1, -2, 3], [3], 'float64');
  x.requiresGrad = true;
  const report = gradcheck('wrongSquare', wrongSquare, [x]);
  assert.not.ok(report.pass);
  assert.ok(report.maxRel > 0.3);
  assert.match(describe(report), /worst: input 0 \[\d\]/);
});

test.run();
