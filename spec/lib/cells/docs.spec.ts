/**
 * docs/custom-cells.md: its code references, written
 * [`rnn.ts:84`](../lib/layers/rnn.ts#L84) `statement`, point at a line that
 * holds the quoted statement, so that the page cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '../../..');
const REFERENCE = /\[`([\w.-]+):(\d+)`\]\(\.\.\/([\w/.-]+)#L(\d+)\) `([^`]+)`/g;

test('docs/custom-cells.md: every code reference holds its quoted statement on its line', () => {
  const text = readFileSync(join(root, 'docs/custom-cells.md'), 'utf8');
  const refs = [...text.matchAll(REFERENCE)];
  assert.ok(refs.length >= 5, `the page has code references (${refs.length})`);
  const wrong = refs.flatMap(([, shown, line, path, anchor, quoted]) => {
    const lines = readFileSync(join(root, path), 'utf8').split('\n');
    if (!path.endsWith(`/${shown}`) || anchor !== line) return [`${shown}:${line} links to ${path}#L${anchor}`];
    if (lines[Number(line) - 1]?.includes(quoted)) return [];
    const found = lines.findIndex((l) => l.includes(quoted));
    return [`${path}:${line} does not hold \`${quoted}\`${found >= 0 ? ` (line ${found + 1} does)` : ' (no line does)'}`];
  });
  assert.is(wrong.length, 0, `${wrong.length} of ${refs.length} references are wrong:\n  ${wrong.join('\n  ')}`);
});

test.run();
