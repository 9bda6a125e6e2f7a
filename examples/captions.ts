/**
 * Captions that say what a figure shows, read off its numbers: where the
 * validation curve is best, whether it turns while the training curve goes
 * on improving (overfitting), or whether both still improve at the end.
 */

/** Whether larger values of a History key are better: accuracy yes, losses and errors no. */
function higherIsBetter(metric: string): boolean {
  return metric === 'acc' || metric === 'accuracy';
}

function quantity(metric: string): string {
  return metric === 'acc' || metric === 'accuracy' ? 'accuracy' : metric === 'loss' ? 'loss' : metric.toUpperCase();
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/**
 * The caption of one seed figure (`metric` and `val_metric` of a History,
 * recorded at `x`, by default epochs 1, 2, …; `unit` names a point of x:
 * 'epoch' or 'step').
 */
export function curveCaption(
  history: Readonly<Record<string, readonly number[]>>, metric: string, x?: readonly number[], unit = 'epoch',
): string {
  const train = history[metric] ?? [];
  const val = history[`val_${metric}`];
  const what = quantity(metric);
  const at = (i: number): number => x?.[i] ?? i + 1;
  const n = train.length;
  if (n === 0) return `No ${what} was recorded.`;
  if (!val || val.length !== n) {
    return `Training ${what} goes from ${fmt(train[0])} to ${fmt(train[n - 1])} over ${n} ${unit}s; no validation values were recorded.`;
  }
  if (n === 1) return `One ${unit} only: training ${what} ${fmt(train[0])}, validation ${fmt(val[0])}; run without --smoke for curves.`;
  const better = higherIsBetter(metric) ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  let best = 0;
  for (let i = 1; i < n; i++) if (better(val[i], val[best])) best = i;
  const spread = Math.max(...val) - Math.min(...val);
  if (best === n - 1) {
    return better(train[n - 1], train[n - 2])
      ? `Training and validation ${what} still improve at the last ${unit} (${fmt(train[n - 1])} and ${fmt(val[n - 1])}): more ${unit}s would help.`
      : `Validation ${what} is best at the last ${unit} (${fmt(val[n - 1])}); training ${what} ends at ${fmt(train[n - 1])}.`;
  }
  if (Math.abs(val[n - 1] - val[best]) > 0.2 * spread) {
    const why = better(train[n - 1], train[best])
      ? `, while training ${what} keeps improving to ${fmt(train[n - 1])}: the model overfits after ${unit} ${at(best)}`
      : '';
    return `Validation ${what} is best at ${unit} ${at(best)} (${fmt(val[best])}) and worse by the end (${fmt(val[n - 1])})${why}.`;
  }
  return `Validation ${what} levels off at about ${fmt(val[best])} from ${unit} ${at(best)} on; training ${what} ends at ${fmt(train[n - 1])}.`;
}
