/**
 * Nothing lost: every configuration of the cell specs, in float64 and
 * float32, computes the same bits as when fixture.json was recorded (at its
 * `commit`): output, final states, every gradient of the loss, the gradient
 * probe, and the inference plan's output and states. Bits, not a tolerance:
 * a change that reorders one sum shows here. The one exception is named
 * (REGROUPED, record-fixture.ts) and held to a rounding instead. Re-record
 * only for a change of the numbers that is meant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from '../autograd/expect.ts';
import { CONFIGS, caseName, type CellKey } from './configs.ts';
import { digest, measure, problem } from './harness.ts';
import { REGROUPED, decode, isGradient, type Fixture } from './record-fixture.ts';
import { UNDER_TEST } from './under-test.ts';

/** A float64 sum of three terms in another order: |Δ| ≤ this · max(1, |value|). */
const REGROUPING = 1e-15;

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixture.json'), 'utf8')) as Fixture;

for (const key of Object.keys(CONFIGS) as CellKey[]) {
  for (const config of CONFIGS[key]) {
    const name = caseName(key, config);
    const regrouped = REGROUPED.includes(name);
    test(`${name}: the same bits as commit ${fixture.commit.slice(0, 7)} (float64 and float32)${regrouped ? ', float64 gradients within a rounding' : ''}`, () => {
      const recorded = fixture.cases[name];
      assert.ok(recorded, `${name} is not in fixture.json`);
      const changed: string[] = [];
      for (const dtype of ['float64', 'float32'] as const) {
        const values = measure(problem(UNDER_TEST[key], config, dtype));
        assert.equal([...values.keys()], Object.keys(recorded[dtype]), `${dtype}: the quantities measured`);
        for (const [what, a] of values) {
          if (digest(a) === recorded[dtype][what]) continue;
          if (regrouped && dtype === 'float64' && isGradient(what)) {
            assertClose(`${name} ${what}`, a, Array.from(decode(fixture.values[name][what])), REGROUPING);
          } else {
            changed.push(`${dtype} ${what} (now ${Array.from(a.slice(0, 3)).join(', ')}, …)`);
          }
        }
      }
      assert.is(changed.length, 0, `${name}: ${changed.length} quantities differ from the recorded bits: ${changed.join('; ')}`);
    });
  }
}

test('fixture.json holds exactly the configurations of configs.ts', () => {
  const names = (Object.keys(CONFIGS) as CellKey[]).flatMap((key) => CONFIGS[key].map((c) => caseName(key, c)));
  assert.equal(Object.keys(fixture.cases).sort(), names.sort());
  assert.equal(Object.keys(fixture.values).sort(), [...REGROUPED].sort());
});

test.run();
