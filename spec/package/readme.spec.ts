/**
 * The README's programs, taken from README.md as they stand and run by bare
 * `node` in a project that installed the packed tarball: "Use it in your
 * project" (train.mjs, then predict.mjs in a new process) and "An example".
 * So the README cannot go stale.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packed, repo, run } from './packed.ts';

/** The ```js blocks of the README section headed `## title`, in order. */
function jsBlocks(title: string): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md has no section "## ${title}"`);
  const next = readme.indexOf('\n## ', start + 4);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function workspace(name: string): string {
  const dir = join(packed().project, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('README "Use it in your project": train.mjs trains and saves, predict.mjs loads in a new process and scores new text', () => {
  const blocks = jsBlocks('Use it in your project');
  assert.is(blocks.length, 2, 'two programs: train.mjs and predict.mjs');
  const dir = workspace('readme-use');
  writeFileSync(join(dir, 'train.mjs'), blocks[0]);
  writeFileSync(join(dir, 'predict.mjs'), blocks[1]);

  const trained = run(process.execPath, ['train.mjs'], dir);
  assert.match(trained.stdout, /training accuracy 1\b/, `train.mjs printed:\n${trained.stdout}`);
  for (const file of ['model.json', 'weights.bin', 'tokenizer.json']) {
    assert.ok(existsSync(join(dir, 'sentiment', file)), `train.mjs did not write sentiment/${file}`);
  }
  const tokenizer = JSON.parse(readFileSync(join(dir, 'sentiment', 'tokenizer.json'), 'utf8'));
  assert.is(tokenizer.class_name, 'Tokenizer');

  const predicted = run(process.execPath, ['predict.mjs'], dir);
  const scores = [...predicted.stdout.matchAll(/^(\d\.\d{3}) {2}(.+)$/gm)].map((m) => ({ p: Number(m[1]), text: m[2] }));
  assert.is(scores.length, 2, `predict.mjs printed:\n${predicted.stdout}`);
  assert.ok(scores[0].p > 0.5, `the positive review scores ${scores[0].p}: ${predicted.stdout}`);
  assert.ok(scores[1].p < 0.5, `the negative review scores ${scores[1].p}: ${predicted.stdout}`);
});

test('README "An example" runs as written', () => {
  const blocks = jsBlocks('An example');
  assert.is(blocks.length, 1);
  const dir = workspace('readme-example');
  writeFileSync(join(dir, 'example.mjs'), blocks[0]);
  const result = run(process.execPath, ['example.mjs'], dir);
  assert.match(result.stdout, /Total params: 330,433/, result.stdout);
  const accuracies = result.stdout.slice(result.stdout.lastIndexOf('[')).match(/\d\.\d+/g) ?? [];
  assert.is(accuracies.length, 10, `val_acc per epoch: ${result.stdout}`);
});

test.run();
