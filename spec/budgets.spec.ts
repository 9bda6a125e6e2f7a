/**
 * The size budgets of the core (scripts/budgets.ts): cell files and the
 * driver short enough to read, autograd/ in one sitting, no long or
 * many-parameter function in autograd/ or cells/, no block repeated inside
 * cells/. Also the scanner the budgets rest on, on code whose answer is known.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { budgetErrors, functionsOf } from '../scripts/budgets.ts';

test('every budget is kept', () => {
  const errors = budgetErrors(join(import.meta.dirname, '..'));
  assert.is(errors.length, 0, `${errors.length} budget(s) exceeded:\n  ${errors.join('\n  ')}`);
});

test('the function scanner: declarations, methods, arrows with a block body, their lines and parameters', () => {
  const source = [
    'export function plain<T extends A<B, C>>(a: T, { b, c }: D, e = f(1, 2), ...rest: number[]): Record<K, V> {', // 1
    '  const s = "a { string ( with, commas";', // 2
    '  const r = /\\{[(]/g; // a comment {', // 3
    '  return `template ${a} { ${(x: number, y: number) => { return x + y; }} }`;', // 4
    '}', // 5
    'const o = {', // 6
    '  method(x: number, y: number): { a: number } {', // 7
    '    return { a: x + y };', // 8
    '  },', // 9
    '  arrow: (p: number, q: number): number => {', // 10
    '    return p * q;', // 11
    '  },', // 12
    '};', // 13
    'const one = x => { return x; };', // 14
    'type Fn = (a: number, b: number) => number;', // 15
  ].join('\n');
  const found = functionsOf(source).map((f) => [f.name, f.line, f.lines, f.parameters]);
  assert.equal(found, [
    ['plain', 1, 5, 4],
    ['(arrow)', 4, 1, 2],
    ['method', 7, 3, 2],
    ['(arrow)', 10, 3, 2],
    ['(arrow)', 14, 1, 1],
  ]);
});

test.run();
