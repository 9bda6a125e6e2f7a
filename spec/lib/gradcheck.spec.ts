import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../autograd/gradcheck.ts';
import { libCases } from './cases.ts';
import { rnnCellCases } from './cells/cases.ts';
import { trainingCases } from './training-cases.ts';

for (const c of [...libCases, ...rnnCellCases, ...trainingCases]) {
  test(`gradcheck ${c.name}`, () => {
    const report = c.run();
    assert.ok(report.worst !== null, `${c.name}: no element was checked`);
    assert.ok(report.pass, describe(report));
  });
}

test.run();
