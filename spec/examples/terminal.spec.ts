/**
 * What training prints (lib/progress.ts), read as a terminal or a log file
 * would show it: the live line on a TTY, the epoch lines and heartbeats
 * elsewhere, and prose folded to the width.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EpochProgress, HEARTBEAT_SECONDS, PIPED_WIDTH, columnsOf, formatDuration, formatRate, formatValue, metricsRepeatingLoss, outputWidth, wrapText,
  type OutputStream,
} from '../../lib/progress.ts';
import { Dense, GRU, Sequential, randomUniform, setSeed } from '../../lib/index.ts';
import { captured } from './smoke-run.ts';

/** A stream that records what is written, and a clock the test moves. */
function terminal(isTTY: boolean, columns?: number): { stream: OutputStream; written: string[]; clock: { t: number }; now: () => number } {
  const written: string[] = [];
  const clock = { t: 1_000_000 };
  return { stream: { isTTY, columns, write: (text: string) => written.push(text) }, written, clock, now: () => clock.t };
}

/** What a terminal shows after the writes: `\r` returns to the line start, `\x1b[K` clears to its end, text overwrites. */
function screen(written: readonly string[]): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let cursor = 0;
  for (const piece of written.join('').split(/(\r|\n|\x1b\[K)/)) {
    if (piece === '\n') {
      lines.push(line.join(''));
      line = [];
      cursor = 0;
    } else if (piece === '\r') cursor = 0;
    else if (piece === '\x1b[K') line = line.slice(0, cursor);
    else {
      for (const ch of piece) line[cursor++] = ch;
    }
  }
  if (line.length > 0) lines.push(line.join(''));
  return lines;
}

const LOGS = { loss: 0.451234, acc: 0.8125 };
const FINAL = { loss: 0.451234, acc: 0.8125, val_loss: 0.501234, val_acc: 0.80125 };

test('piped: one complete line per epoch when it ends, no header line before it', () => {
  const { stream, written, clock, now } = terminal(false);
  for (let epoch = 0; epoch < 3; epoch++) {
    const p = new EpochProgress({ epoch, epochs: 3, steps: 40, verbose: 1, stream, now });
    for (let s = 1; s <= 40; s++) {
      clock.t += 100;
      p.update(s, LOGS);
    }
    assert.is(written.length, epoch, `nothing is printed during a 4 s epoch (${JSON.stringify(written.slice(epoch))})`);
    clock.t += 500;
    p.end(FINAL);
  }
  assert.equal(written, [
    'Epoch 1/3 - 4.5s - loss: 0.4512 - acc: 0.8125 - val_loss: 0.5012 - val_acc: 0.8013\n',
    'Epoch 2/3 - 4.5s - loss: 0.4512 - acc: 0.8125 - val_loss: 0.5012 - val_acc: 0.8013\n',
    'Epoch 3/3 - 4.5s - loss: 0.4512 - acc: 0.8125 - val_loss: 0.5012 - val_acc: 0.8013\n',
  ]);
});

test(`piped: a long epoch prints a heartbeat at most every ${HEARTBEAT_SECONDS} s, with steps, time, ETA and the running loss`, () => {
  const { stream, written, clock, now } = terminal(false);
  const p = new EpochProgress({ epoch: 1, epochs: 5, steps: 500, verbose: 1, stream, now });
  const beats: number[] = [];
  for (let s = 1; s <= 500; s++) {
    clock.t += 130; // 65 s in all
    const before = written.length;
    p.update(s, LOGS);
    if (written.length > before) beats.push(clock.t);
  }
  p.end(FINAL);
  assert.is(beats.length, 6, `heartbeats: ${written.join('')}`);
  for (let i = 1; i < beats.length; i++) assert.ok(beats[i] - beats[i - 1] >= HEARTBEAT_SECONDS * 1000, `beats ${beats[i - 1]} and ${beats[i]} are too close`);
  assert.match(written[0], /^Epoch 2\/5 - 77\/500 steps - 10s, ETA 55s - loss: 0\.4512 - acc: 0\.8125\n$/);
  assert.match(written.at(-1)!, /^Epoch 2\/5 - 65s - loss: 0\.4512 - acc: 0\.8125 - val_loss: 0\.5012 - val_acc: 0\.8013\n$/);
  assert.ok(written.every((line) => columnsOf(line.trimEnd()) <= PIPED_WIDTH), 'every line fits 100 columns');
});

test('verbose 2: only the epoch lines, also on a terminal', () => {
  for (const isTTY of [false, true]) {
    const { stream, written, clock, now } = terminal(isTTY, 120);
    const p = new EpochProgress({ epoch: 0, epochs: 1, steps: 500, verbose: 2, stream, now });
    for (let s = 1; s <= 500; s++) {
      clock.t += 130;
      p.update(s, LOGS);
    }
    p.end(FINAL);
    assert.equal(written, ['Epoch 1/1 - 65s - loss: 0.4512 - acc: 0.8125 - val_loss: 0.5012 - val_acc: 0.8013\n'], `isTTY ${isTTY}`);
  }
});

test('a metric that is the loss itself is not printed twice (loss mae, metric mae)', () => {
  assert.equal(metricsRepeatingLoss('mae', ['mae']), ['mae']);
  assert.equal(metricsRepeatingLoss('mean_absolute_error', ['acc', 'mae']), ['mae']);
  assert.equal(metricsRepeatingLoss('mse', ['mae']), []);
  assert.equal(metricsRepeatingLoss('binary_crossentropy', ['acc']), []);
  assert.equal(metricsRepeatingLoss(null, ['mae']), []);
  const { stream, written, now } = terminal(false);
  const p = new EpochProgress({ epoch: 0, epochs: 2, steps: 3, verbose: 1, stream, now, hide: metricsRepeatingLoss('mae', ['mae']) });
  p.end({ loss: 0.2681, mae: 0.2681, val_loss: 0.31, val_mae: 0.31 });
  assert.equal(written, ['Epoch 1/2 - 0.0s - loss: 0.2681 - val_loss: 0.3100\n']);
});

test('terminal: the live line has the bar, the rate and the ETA, is redrawn in place, and never reaches the last column', () => {
  for (const columns of [40, 60, 80, 100, 132, 200]) {
    const { stream, written, clock, now } = terminal(true, columns);
    const p = new EpochProgress({ epoch: 2, epochs: 10, steps: 400, verbose: 1, stream, now });
    for (let s = 1; s <= 400; s++) {
      clock.t += 25;
      p.update(s, { loss: 0.451234, acc: 0.8125, mae: 0.123456 });
    }
    const live = written.filter((w) => w.startsWith('\r') && !w.endsWith('\n'));
    assert.ok(live.length >= 50 && live.length <= 101, `${columns} columns: ${live.length} redraws of a 10 s epoch (at most one per 100 ms)`);
    for (const w of live) {
      const text = w.slice(1).replace('\x1b[K', '');
      assert.ok(!text.includes('\n'), 'one line');
      assert.ok(columnsOf(text) <= Math.min(columns, 160) - 1, `${columns} columns: ${columnsOf(text)}: ${text}`);
      assert.ok(text.startsWith('Epoch 3/10 '), text);
      if (columns >= 60) assert.match(text, /ETA \d/);
    }
    const mid = live[Math.floor(live.length / 2)].slice(1).replace('\x1b[K', '');
    if (columns >= 100) assert.match(mid, /\[=+>\.+\] \d+ms\/step ETA \d/, `${columns} columns: ${mid}`);
    p.end(FINAL);
    const shown = screen(written);
    assert.ok(shown[0].startsWith('Epoch 3/10 - 10s - loss: '), `${columns} columns: the live line is replaced by the epoch line: ${JSON.stringify(shown)}`);
    const final = shown.join(' ');
    for (const key of [/\bloss: /, /\bacc: /, /\b(val|v)_loss: /, /\b(val|v)_acc: /]) {
      assert.match(final, key, `${columns} columns: the epoch line has ${key}: ${JSON.stringify(shown)}`);
    }
    for (const line of shown) assert.ok(columnsOf(line) <= Math.min(columns, 160), `${columns} columns: ${JSON.stringify(line)}`);
    assert.ok(!final.includes('…'), `${columns} columns: the epoch line is complete: ${JSON.stringify(shown)}`);
  }
});

test('numbers: small values do not print as zero; durations and rates read at a glance', () => {
  assert.is(formatValue(0.45123), '0.4512');
  assert.is(formatValue(0), '0.0000');
  assert.is(formatValue(1.234e-5), '1.234e-5');
  assert.is(formatValue(12.5), '12.5000');
  assert.is(formatDuration(4.23), '4.2s');
  assert.is(formatDuration(42.4), '42s');
  assert.is(formatDuration(125), '2m05s');
  assert.is(formatDuration(3725), '1h02m');
  assert.is(formatRate(0.3251), '325ms/step');
  assert.is(formatRate(1.26), '1.3s/step');
});

test('outputWidth: the terminal\'s columns, 100 when piped', () => {
  assert.is(outputWidth({ isTTY: true, columns: 80, write: () => 0 }), 80);
  assert.is(outputWidth({ isTTY: false, columns: 80, write: () => 0 }), 100);
  assert.is(outputWidth({ write: () => 0 }), 100);
  assert.is(outputWidth(null), 100);
});

test('wrapText: prose folded at spaces with a hanging indent, every word kept, tables left alone', () => {
  const prose = 'Ridge regression on the flattened windows (14 × 8 inputs): λ = 31.6 chosen on validation (MAE 2.21 °C), refitted on train + validation: test MAE 0.3085 = 2.18 °C';
  for (const width of [40, 60, 80, 100]) {
    const lines = wrapText(`  ${prose}`, width).split('\n');
    assert.ok(lines.length > 1, `${width}: folded`);
    assert.ok(lines.every((l) => columnsOf(l) <= width), `${width}: ${JSON.stringify(lines)}`);
    assert.ok(lines.slice(1).every((l) => l.startsWith('    ') && l[4] !== ' '), `${width}: continuation lines indented by the line's indent plus two`);
    assert.is(lines.map((l) => l.trim()).join(' '), prose, `${width}: the words, in order`);
  }
  const table = 'model          test acc  test loss\nSimpleRNN(32)    0.6500     0.6591';
  assert.is(wrapText(table, 80), table);
  const long = wrapText(`see ${'x'.repeat(130)}`, 50).split('\n');
  assert.ok(long.every((l) => columnsOf(l) <= 50), 'a word longer than the line is cut');
  assert.is(long.join('').replace(/ /g, ''), `see${'x'.repeat(130)}`);
  assert.throws(() => wrapText('a', 5), /width must be an integer ≥ 20/);
});

test('fit, piped: one complete line per epoch and no bare header; a metric that is the loss is printed once', async () => {
  setSeed(5);
  const model = new Sequential([new GRU(4, { inputShape: [null, 3] }), new Dense(1)]);
  model.compile({ optimizer: 'rmsprop', loss: 'mae', metrics: ['mae'] });
  const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  try {
    const { output } = await captured(() => model.fit(randomUniform([64, 5, 3]), randomUniform([64, 1]), { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 1 }));
    const lines = output.split('\n').filter((l) => l !== '');
    assert.is(lines.length, 3, output);
    lines.forEach((line, e) => assert.match(line, new RegExp(`^Epoch ${e + 1}/3 - [\\d.]+s - loss: \\d\\.\\d{4} - val_loss: \\d\\.\\d{4}$`)));
  } finally {
    if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
});

test.run();
