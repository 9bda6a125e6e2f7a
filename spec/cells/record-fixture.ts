/**
 * Records what every cell configuration computes (harness.ts `measure`) into
 * spec/cells/fixture.json, for fixture.spec.ts: the SHA-256 digest of the
 * bytes of every quantity, float64 and float32, and for the configurations
 * of REGROUPED the float64 gradients themselves.
 *
 *   npx tsx spec/cells/record-fixture.ts <commit>
 *
 * Run it on the commit whose numbers are to be kept, and name that commit.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatArray } from '../../autograd/index.ts';
import { CONFIGS, caseName, type CellKey } from './configs.ts';
import { digest, measure, problem } from './harness.ts';
import { UNDER_TEST } from './under-test.ts';

/**
 * The LSTM configurations with both a mask and returnSequences. There, at a
 * step after a masked one, ∂L/∂h sums three gradients — the output's carried
 * from the masked steps, the output's own, and the state's from step t+1 —
 * and one driver now adds them in one order for every cell,
 * (δout carried + δout_t) + δh_{t+1}, the order of GRU and SimpleRNN; the
 * LSTM used to add (δh_{t+1} + δout carried) + δout_t. In float64 its
 * gradients there move by a rounding; everything else keeps its bits.
 */
export const REGROUPED: readonly string[] = CONFIGS.lstm.filter((c) => c.mask && c.returnSequences).map((c) => caseName('lstm', c));

/** A quantity that is a gradient (or the probe's norms of gradients). */
export function isGradient(quantity: string): boolean {
  return /^d|^probe/.test(quantity);
}

export function encode(a: Readonly<FloatArray>): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decode(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export interface Fixture {
  commit: string;
  /** case → dtype → quantity → digest. */
  cases: Record<string, Record<string, Record<string, string>>>;
  /** case → quantity → float64 values (base64 of the bytes). */
  values: Record<string, Record<string, string>>;
}

function record(commit: string): Fixture {
  const fixture: Fixture = { commit, cases: {}, values: {} };
  for (const key of Object.keys(CONFIGS) as CellKey[]) {
    for (const config of CONFIGS[key]) {
      const name = caseName(key, config);
      const entry: Record<string, Record<string, string>> = {};
      for (const dtype of ['float64', 'float32'] as const) {
        const values = measure(problem(UNDER_TEST[key], config, dtype));
        entry[dtype] = Object.fromEntries([...values].map(([q, a]) => [q, digest(a)]));
        if (dtype === 'float64' && REGROUPED.includes(name)) {
          fixture.values[name] = Object.fromEntries([...values].filter(([q]) => isGradient(q)).map(([q, a]) => [q, encode(a)]));
        }
      }
      fixture.cases[name] = entry;
    }
  }
  return fixture;
}

if (import.meta.filename === process.argv[1]) {
  const fixture = record(process.argv[2] ?? 'unknown');
  const file = join(import.meta.dirname, 'fixture.json');
  writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${Object.keys(fixture.cases).length} configurations recorded in ${file} (commit ${fixture.commit})`);
}
