/**
 * Runs every *.spec.ts under spec/ with uvu in one process and ends with the
 * line `N passed, N failed`. Optional arguments filter the spec files by
 * substring: `npm test -- cells`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Outcome = [errors: string, ran: number, skipped: number, total: number];
type Runner = () => Promise<Outcome>;
type Group = Array<string | null | Runner>;

declare global {
  var UVU_DEFER: number | undefined;
  var UVU_INDEX: number | undefined;
  var UVU_QUEUE: Group[] | undefined;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : specFiles(path);
    return name.endsWith('.spec.ts') ? [path] : [];
  });
}

const root = resolve(import.meta.dirname);
const filters = process.argv.slice(2);
const files = specFiles(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [];
const uvu = await import('uvu');

for (const [index, file] of files.entries()) {
  globalThis.UVU_INDEX = index;
  globalThis.UVU_QUEUE.push([relative(root, file)]);
  await import(pathToFileURL(file).href);
}

let passed = 0;
let failed = 0;
for (const group of globalThis.UVU_QUEUE) {
  for (let i = 1; i < group.length; i++) {
    const run = group[i] as Runner;
    group[i] = async () => {
      const outcome = await run();
      passed += outcome[1];
      failed += outcome[3] - outcome[1] - outcome[2];
      return outcome;
    };
  }
}

await uvu.exec(false);
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0 || files.length === 0) process.exitCode = 1;
