/** The version the library reports (and writes into model files) is package.json's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VERSION } from '../../../lib/index.ts';

test('VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
  assert.is(VERSION, pkg.version);
});

test.run();
