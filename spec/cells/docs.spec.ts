/**
 * The code references of the guides (docs/gates.md, docs/architecture.md),
 * written [`lstm.ts:123`](../cells/lstm.ts#L123) `statement`, point at a line
 * that holds the quoted statement, so that the guides cannot drift from the
 * code they explain.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '../..');
const REFERENCE = /\[`([\w.-]+):(\d+)`\]\(\.\.\/([\w/.-]+)#L(\d+)\) `([^`]+)`/g;

for (const doc of ['docs/gates.md', 'docs/architecture.md']) {
  test(`${doc}: every code reference holds its quoted statement on its line`, () => {
    const text = readFileSync(join(root, doc), 'utf8');
    const wrong: string[] = [];
    let count = 0;
    for (const [, shown, line, path, anchor, quoted] of text.matchAll(REFERENCE)) {
      count++;
      const statement = quoted.replace(/\\\|/g, '|'); // a | inside a table cell is written \|
      const lines = readFileSync(join(root, path), 'utf8').split('\n');
      const at = Number(line);
      if (!path.endsWith(`/${shown}`) || anchor !== line) wrong.push(`${shown}:${line} links to ${path}#L${anchor}`);
      else if (!lines[at - 1]?.includes(statement)) {
        const found = lines.findIndex((l) => l.includes(statement));
        wrong.push(`${path}:${at} does not hold \`${statement}\`${found >= 0 ? ` (line ${found + 1} does)` : ' (no line does)'}`);
      }
    }
    assert.ok(count > 0, `${doc} has code references`);
    assert.is(wrong.length, 0, `${wrong.length} of ${count} references are wrong:\n  ${wrong.join('\n  ')}`);
  });
}

test.run();
