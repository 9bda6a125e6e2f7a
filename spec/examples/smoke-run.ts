/**
 * `npm start -- --smoke` in-process, run at most once per test process and
 * shared by the specs that read its output (the smoke spec, the browser
 * spec's page screenshots): every example on a tiny slice, then the figures
 * and the report, in a temporary folder removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_NAMES, runExamples, writeReport, type Outcome } from '../../examples/main.ts';

export interface SmokeRun {
  outDir: string;
  outcomes: Outcome[];
  /** Everything printed on stdout and stderr, in order. */
  output: string;
  /** The path of index.html. */
  page: string;
  seconds: number;
}

/** Runs `fn` with console.log and stderr captured. */
export async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  console.error = console.log;
  process.stderr.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    return { value: await fn(), output: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

let made: Promise<SmokeRun> | null = null;

export function smokeRun(): Promise<SmokeRun> {
  made ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'unrolled-smoke-'));
    process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
    const start = performance.now();
    let page = '';
    const { value: outcomes, output } = await captured(async () => {
      const ran = await runExamples(EXAMPLE_NAMES, { smoke: true, full: false, outDir }, { log: console.log });
      page = writeReport(ran, outDir, 'npm start -- --smoke', new Date(0));
      return ran;
    });
    return { outDir, outcomes, output, page, seconds: (performance.now() - start) / 1000 };
  })();
  return made;
}
