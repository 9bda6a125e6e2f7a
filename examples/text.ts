/**
 * The walkthrough's text classification, on real data: the same three models
 * trained one after another on the SpamAssassin corpus (or on IMDB reviews
 * with `options.imdb`), and their test accuracies side by side.
 *
 * ```python
 * model = Sequential()
 * model.add(Embedding(max_features, 32))
 * model.add(SimpleRNN(32))                    # then LSTM(32), then GRU(32)
 * model.add(Dense(1, activation='sigmoid'))
 * model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['acc'])
 * history = model.fit(input_train, y_train, epochs=10, batch_size=128, validation_split=0.2)
 * ```
 *
 * Run alone: `npx tsx examples/text.ts [--full] [--smoke] [--imdb <dir>]`.
 */
import { pathToFileURL } from 'node:url';
import {
  Dense, Embedding, GRU, LSTM, SimpleRNN, Sequential, clearSession, setSeed, type Layer, type PadSide,
} from '../lib/index.ts';
import { loadImdb } from './data/imdb.ts';
import { loadSpam, type TextSplit } from './data/spam.ts';
import { say } from './terminal.ts';
import type { ExampleOptions, ExampleResult, TrainingRun } from './types.ts';

/** The seed's `max_features`: the vocabulary is the 9999 most frequent training words (id 0 pads). */
export const MAX_FEATURES = 10000;
export const BATCH_SIZE = 128;
export const VALIDATION_SPLIT = 0.2;
/** One seed for the split, the initial weights and the shuffles. */
export const SEED = 42;

/** What a run of the text example is sized by. */
export interface TextSettings {
  /** Words kept per text. */
  maxlen: number;
  epochs: number;
  /** Which end of a longer text is cut ('post' keeps its start). */
  truncating: PadSide;
  /** Use only this many texts (smoke test); all when undefined. */
  limit?: number;
}

/**
 * The sizes for `options`:
 * - default: maxlen 200, 5 epochs — about four minutes for the three models
 *   on two cores;
 * - `full`: the seed's maxlen 500 and 10 epochs;
 * - `smoke`: 200 texts, maxlen 20, one epoch.
 *
 * Truncation is Keras's 'pre' (a long text keeps its last words) throughout:
 * on the validation split it learned faster than 'post' (the start of the
 * body), since the end of a mail holds the mailing-list footer or the
 * "unsubscribe" lines, and it ended as good.
 */
export function textSettings(options: Pick<ExampleOptions, 'full' | 'smoke'>): TextSettings {
  if (options.smoke) return { maxlen: 20, epochs: 1, truncating: 'pre', limit: 200 };
  if (options.full) return { maxlen: 500, epochs: 10, truncating: 'pre' };
  return { maxlen: 200, epochs: 5, truncating: 'pre' };
}

/** The three recurrent layers compared, each between the same Embedding and Dense. */
export const TEXT_MODELS: ReadonlyArray<{ id: string; name: string; recurrent: () => Layer }> = [
  { id: 'text-simple-rnn', name: 'SimpleRNN(32)', recurrent: () => new SimpleRNN(32) },
  { id: 'text-lstm', name: 'LSTM(32)', recurrent: () => new LSTM(32) },
  { id: 'text-gru', name: 'GRU(32)', recurrent: () => new GRU(32) },
];

/** Embedding(10000, 32) + the recurrent layer + Dense(1, 'sigmoid'), compiled as in the seed. */
export function textModel(recurrent: Layer): Sequential {
  const model = new Sequential();
  model.add(new Embedding(MAX_FEATURES, 32));
  model.add(recurrent);
  model.add(new Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['acc'] });
  return model;
}

/** The data for `options`: SpamAssassin, or the aclImdb directory `options.imdb`. */
export function loadTextData(options: Pick<ExampleOptions, 'imdb'>, settings: TextSettings): TextSplit {
  const split = { maxlen: settings.maxlen, truncating: settings.truncating, numWords: MAX_FEATURES, seed: SEED, limit: settings.limit };
  return options.imdb ? loadImdb(options.imdb, split) : loadSpam(split);
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

function epochsText(n: number): string {
  return `${n} epoch${n === 1 ? '' : 's'}`;
}

/** Trains the three models on the same split and compares their test accuracies. */
export async function run(options: ExampleOptions): Promise<ExampleResult> {
  setSeed(SEED);
  const settings = textSettings(options);
  const started = Date.now();
  const data = loadTextData(options, settings);
  const [nTrain, maxlen] = data.xTrain.shape;
  const nFit = Math.floor(nTrain * (1 - VALIDATION_SPLIT));
  say(
    `${data.source}: ${nTrain + data.xTest.shape[0]} texts (${data.classNames[1]} = 1), ` +
    `${nFit} for training, ${nTrain - nFit} for validation, ${data.xTest.shape[0]} for testing; ` +
    `${MAX_FEATURES} words, maxlen ${maxlen} (truncating '${settings.truncating}'), ${epochsText(settings.epochs)}, ` +
    `batch ${BATCH_SIZE} (loaded in ${formatSeconds(Date.now() - started)})`,
  );

  const runs: TrainingRun[] = [];
  const rows: Array<{ name: string; acc: number; loss: number; valAcc: number; ms: number }> = [];
  for (const [k, spec] of TEXT_MODELS.entries()) {
    // Each model starts from the same seed, so its row does not depend on the ones before it.
    clearSession();
    setSeed(SEED);
    say(`\nModel ${k + 1}/${TEXT_MODELS.length}: Embedding(${MAX_FEATURES}, 32) + ${spec.name} + Dense(1, sigmoid)`);
    const model = textModel(spec.recurrent());
    model.summary();
    const t0 = Date.now();
    const history = await model.fit(data.xTrain, data.yTrain, {
      epochs: settings.epochs, batchSize: BATCH_SIZE, validationSplit: VALIDATION_SPLIT, verbose: 1,
    });
    const test = await model.evaluate(data.xTest, data.yTest, { batchSize: BATCH_SIZE });
    const ms = Date.now() - t0;
    say(`${spec.name}: test acc ${test.acc.toFixed(4)}, test loss ${test.loss.toFixed(4)} (${formatSeconds(ms)})`);
    rows.push({ name: spec.name, acc: test.acc, loss: test.loss, valAcc: history.history.val_acc.at(-1)!, ms });
    runs.push({ id: spec.id, title: `${spec.name} on ${data.source}`, history: history.history });
  }

  const header = ['model', 'test acc', 'test loss', 'val acc', 'time'];
  const cells = rows.map((r) => [r.name, r.acc.toFixed(4), r.loss.toFixed(4), r.valAcc.toFixed(4), formatSeconds(r.ms)]);
  const widths = header.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: string[]) => c.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  const summary = [
    `Text classification on ${data.source} (${data.xTest.shape[0]} test texts, maxlen ${maxlen}, ${epochsText(settings.epochs)}, ${formatSeconds(Date.now() - started)} in all)`,
    line(header),
    ...cells.map(line),
  ];
  say(`\n${summary.join('\n')}`);
  return { name: 'Text classification', runs, summary };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const imdbAt = args.indexOf('--imdb');
  await run({
    full: args.includes('--full'),
    smoke: args.includes('--smoke'),
    imdb: imdbAt >= 0 ? args[imdbAt + 1] : undefined,
    outDir: 'out',
  });
}
