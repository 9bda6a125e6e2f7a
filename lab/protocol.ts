/**
 * The messages between the lab's page (main.ts) and its worker (worker.ts).
 * The worker owns the model and trains it; the page owns the DOM and draws
 * what the worker sends. Shapes: T timesteps, H units.
 */
import type { TaskName } from '../examples/tasks.ts';

export type CellName = 'SimpleRNN' | 'LSTM' | 'GRU';

/** Everything a run is made from: the same settings and seed give the same run, step for step. */
export interface LabSettings {
  task: TaskName;
  cell: CellName;
  /** H. */
  units: number;
  /** T. */
  length: number;
  seed: number;
  /** Adam's learning rate (gradients clipped to a global norm of 1). */
  learningRate: number;
  batchSize: number;
  /** Redraw the curves, the heatmaps and the gradient flow every this many steps. */
  every: number;
  /** Training pauses by itself at this step. */
  stopAt: number;
  /** Which of the example sequences the heatmaps show (0-based). */
  sequence: number;
}

/** One traced activation of one sequence, as units × time. */
export interface Heat {
  /** The trace's key: i, f, g, o, c, h (LSTM); z, r, hh, h (GRU); h (SimpleRNN). */
  name: string;
  rows: number;
  cols: number;
  /** [rows, cols] row-major: unit r at step t is values[r · cols + t]. */
  values: number[];
}

export interface Trace {
  cell: string;
  heats: Heat[];
  /** Steps the answer depends on (drawn as marks above the heatmaps). */
  marks: number[];
  /** The model's output for the sequence. */
  prediction: number[];
}

export interface Curve {
  step: number[];
  /** Mean training loss over the steps since the previous point. */
  train: number[];
  /** Loss on the fixed validation sequences. */
  validation: number[];
}

/** ‖∂L/∂h_t‖ against the distance T − 1 − t from the last step. */
export interface Flow {
  cell: CellName;
  step: number;
  distance: number[];
  norm: number[];
}

export type ToWorker =
  | { type: 'reset'; settings: LabSettings }
  | { type: 'run'; stopAt: number; every: number }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'inspect'; sequence: number }
  | { type: 'save' }
  | { type: 'open'; files: Array<{ name: string; data: ArrayBuffer }> }
  | { type: 'trace'; text: string };

export type FromWorker =
  | { type: 'ready'; settings: LabSettings; baseline: number; baselineText: string; params: number; description: string }
  | { type: 'progress'; step: number; running: boolean; curve: Curve }
  | { type: 'view'; step: number; trace: Trace; target: number; flow: Flow }
  | { type: 'saved'; modelJson: string; weights: ArrayBuffer }
  | { type: 'opened'; description: string; example: string; expects: string }
  | { type: 'traced'; trace: Trace; input: number[][] }
  | { type: 'error'; where: string; message: string };
