/**
 * The walkthrough's first three models, shown with `model.summary()`:
 *
 *   Embedding(10000, 32) + SimpleRNN(32)                          the last state, (None, 32)
 *   Embedding(10000, 32) + SimpleRNN(32, returnSequences: true)   every state, (None, None, 32)
 *   Embedding(10000, 32) + 3 × SimpleRNN(32, returnSequences: true) + SimpleRNN(32)   stacked
 *
 * Nothing is trained; the summary lines give each model's total parameter count
 * (the seed: 322,080 for the first two).
 */
import { Embedding, Sequential, SimpleRNN, clearSession } from '../lib/index.ts';
import type { ExampleOptions, ExampleResult } from './types.ts';

interface Described {
  /** One line: what the model is. */
  label: string;
  build: () => Sequential;
}

const MODELS: Described[] = [
  {
    label: 'Embedding(10000, 32) + SimpleRNN(32)',
    build: () => new Sequential([new Embedding(10000, 32), new SimpleRNN(32)]),
  },
  {
    label: 'Embedding(10000, 32) + SimpleRNN(32, returnSequences)',
    build: () => new Sequential([new Embedding(10000, 32), new SimpleRNN(32, { returnSequences: true })]),
  },
  {
    label: 'Embedding(10000, 32) + 4 stacked SimpleRNN(32)',
    build: () => new Sequential([
      new Embedding(10000, 32),
      new SimpleRNN(32, { returnSequences: true }),
      new SimpleRNN(32, { returnSequences: true }),
      new SimpleRNN(32, { returnSequences: true }),
      new SimpleRNN(32),
    ]),
  },
];

export async function run(_options: ExampleOptions): Promise<ExampleResult> {
  const summary: string[] = [];
  for (const { label, build } of MODELS) {
    clearSession(); // each table starts from `embedding`, `simple_rnn`
    const model = build();
    console.log(`\n${label}\n`);
    model.summary();
    summary.push(`${label}: ${model.countParams().toLocaleString('en-US')} params`);
  }
  return { name: 'Model summaries', runs: [], summary };
}
