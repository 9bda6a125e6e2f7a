/** What each walkthrough example gives back to `npm start`, which prints and plots it. */

export interface ExampleOptions {
  /** The seed's sizes (maxlen 500, 10/20/40 epochs) instead of the defaults sized for a few minutes. */
  full: boolean;
  /** A tiny slice for the smoke test: a few batches, one epoch. */
  smoke: boolean;
  /** A directory in the aclImdb layout (pos/ and neg/ sub-folders), for the text example. */
  imdb?: string;
  /** The path of jena_climate_2009_2016.csv, for the weather example. */
  jena?: string;
  /** Where plots and pages go (default out/). */
  outDir: string;
}

/** One training run: its name and the Keras History keys (loss, acc, val_loss, val_acc, mae, val_mae). */
export interface TrainingRun {
  /** A short identifier used in file names, e.g. `text-lstm`. */
  id: string;
  /** A title for the plots, e.g. `LSTM(32) on SpamAssassin`. */
  title: string;
  history: Record<string, number[]>;
  /** Where each history value was recorded, when not once per epoch (e.g. every 50 training steps). */
  x?: number[];
  /** The name of that axis (default `Epochs`). */
  xLabel?: string;
}

/** A figure an example drew itself, for the report page. */
export interface ExampleFigure {
  /** A file name in the output folder, e.g. `weather-gru.svg`. */
  file: string;
  /** The SVG document. */
  svg: string;
  /** What to see in it, in a sentence or two (not the figure's title again). */
  caption: string;
}

export interface ExampleResult {
  /** The example's name, e.g. `Text classification`. */
  name: string;
  /** Runs whose seed figures (accuracy, loss) `npm start` draws. */
  runs: TrainingRun[];
  /** Figures the example drew itself, shown after those of its runs. */
  figures?: ExampleFigure[];
  /** Lines of the results table printed at the end. */
  summary: string[];
}
