/**
 * StackedRNNCells: several cells run as one, each step's output the input
 * of the next cell at the same timestep (Keras's StackedRNNCells; what
 * `new RNN([cellA, cellB])` makes). The states are every cell's states, in
 * the order of the cells (Keras 3's order; TF.js lists them last cell
 * first); the output is the last cell's. Weights are named by position as
 * TF.js names them: `RNNCell_0/kernel`, `RNNCell_1/kernel`, ….
 */
import type { Tensor } from '../../../autograd/index.ts';
import type { ShapeSpec } from '../layer.ts';
import { RNNCell, callCell, type CellConfig } from './cell.ts';

export class StackedRNNCells extends RNNCell {
  static readonly className = 'StackedRNNCells';
  readonly cells: readonly RNNCell[];
  readonly stateSize: readonly number[];
  readonly outputSize: number;

  constructor(cells: readonly RNNCell[], options: { name?: string } = {}) {
    super();
    if (!Array.isArray(cells) || cells.length === 0 || cells.some((c) => !(c instanceof RNNCell))) {
      throw new Error(`StackedRNNCells: takes a non-empty list of cells (RNNCell), got ${Array.isArray(cells) ? `[${cells.map((c) => (c instanceof RNNCell ? c.className : typeof c)).join(', ')}]` : typeof cells}`);
    }
    this.cells = [...cells];
    this.setName(options.name);
    this.stateSize = this.cells.flatMap((c) => c.stateSizes);
    this.outputSize = this.cells[this.cells.length - 1].outputSize;
  }

  override get stateNames(): string[] {
    return this.cells.flatMap((c, i) => c.stateNames.map((n) => `${n} of cell ${i}`));
  }

  override build(inputShape: ShapeSpec): void {
    let shape: ShapeSpec = inputShape;
    for (const cell of this.cells) {
      cell.buildFor(shape, this.dtype);
      shape = [shape[0], cell.outputSize];
    }
  }

  call(input: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    let x = input;
    let at = 0;
    const next: Tensor[] = [];
    for (const cell of this.cells) {
      const n = cell.stateSizes.length;
      const [output, own] = callCell(this.className, cell, x, states.slice(at, at + n));
      at += n;
      next.push(...own);
      x = output;
    }
    return [x, next];
  }

  override namedWeights(): Array<[string, Tensor]> {
    return this.cells.flatMap((cell, i) => cell.namedWeights().map(([n, t]): [string, Tensor] => [`RNNCell_${i}/${n}`, t]));
  }

  override weights(): Tensor[] {
    return this.namedWeights().map(([, t]) => t);
  }

  override getConfig(): CellConfig {
    return { cells: this.cells.map((c) => ({ className: c.className, config: c.getConfig() })) };
  }

  /** A copy of the stack from copies of its cells (each through its own class's fromConfig). */
  override clone(): StackedRNNCells {
    return new StackedRNNCells(this.cells.map((c) => c.clone()), { name: this.name });
  }

  static override fromConfig(): RNNCell {
    throw new Error('StackedRNNCells.fromConfig: a stack is made from cells: new StackedRNNCells([cellA, cellB]) (model files read it with each cell\'s class)');
  }
}
