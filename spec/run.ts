/**
 * Runs every *.spec.ts under spec/ through uvu's own command line (in a
 * child process, with tsx's loader), passes its report through, and ends
 * with the line `N passed, N failed` from uvu's totals. Optional arguments
 * keep the spec files whose path holds one of them: `npm test -- cells`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = import.meta.dirname;
const filters = process.argv.slice(2).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const pattern = filters.length > 0 ? `^(?=.*(${filters.join('|')})).*\\.spec\\.ts$` : '\\.spec\\.ts$';
const uvu = join(dirname(createRequire(import.meta.url).resolve('uvu/run')), '..', 'bin.js'); // the package's command line

const colour = process.stdout.isTTY ? [] : ['--no-color'];
const child = spawn(process.execPath, ['--import', 'tsx', uvu, root, pattern, '--ignore', '^fixtures', ...colour], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
let report = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  report += chunk.toString();
});
const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));

// uvu's totals: "Total: N", "Passed: N", "Skipped: N" (colours stripped).
const plain = report.replace(/\u001b\[[0-9;]*m/g, '');
const count = (label: string): number | null => {
  const m = new RegExp(`${label}:\\s+(\\d+)`).exec(plain);
  return m ? Number(m[1]) : null;
};
const [total, passed, skipped] = [count('Total'), count('Passed'), count('Skipped')];
if (total === null || passed === null) {
  // uvu stopped before its totals (a spec crashed the process): count its suites' "(passed / total)" lines, and the crash.
  const suites = [...plain.matchAll(/\((\d+) \/ (\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const done = suites.reduce((n, [a]) => n + a, 0);
  const lost = suites.reduce((n, [a, b]) => n + b - a, 0);
  console.log(`${done} passed, ${lost + 1} failed (uvu stopped before its totals and exited with ${code})`);
  process.exitCode = 1;
} else {
  const failed = total - passed - (skipped ?? 0);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0 || total === 0 || code !== 0) process.exitCode = 1;
}
