/**
 * `npm run gradcheck`: every gradient check of the project, as a table
 * (op, shapes, max abs error, max rel error, pass). Exits non-zero if any fails.
 */
import { describe } from '../autograd/gradcheck.ts';
import type { GradCase } from './gradcases.ts';
import { autogradCases } from './autograd/cases.ts';
import { gruCases, lstmCases, simpleRnnCases } from './cells/cases.ts';
import { libCases } from './lib/cases.ts';
import { functionalCases } from './lib/functional-cases.ts';
import { rnnCellCases } from './lib/cells/cases.ts';
import { trainingCases } from './lib/training-cases.ts';

const suites: Array<[string, GradCase[]]> = [
  ['autograd', autogradCases],
  ['simple-rnn', simpleRnnCases],
  ['lstm', lstmCases],
  ['gru', gruCases],
  ['lib', libCases],
  ['functional', functionalCases],
  ['rnn-cells', rnnCellCases],
  ['training', trainingCases],
];

const rows: string[][] = [];
const failures: string[] = [];
for (const [, cases] of suites) {
  for (const c of cases) {
    const r = c.run();
    rows.push([r.name, r.shapes, r.maxAbs.toExponential(2), r.maxRel.toExponential(2), r.pass ? 'pass' : 'FAIL']);
    if (!r.pass) failures.push(describe(r));
  }
}

const header = ['op', 'shapes', 'max abs error', 'max rel error', 'pass'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`\n${rows.length - failures.length} of ${rows.length} checks pass (central differences, float64, eps 1e-6)`);
for (const f of failures) console.log(`\n${f}`);
if (failures.length > 0) process.exitCode = 1;
