/**
 * Symbolic tensors: what a functional model is drawn with. `input()` makes
 * one; `layer.apply(symbolic)` records a Node (this layer, on these
 * tensors) and returns the node's outputs, symbolic too, with their shapes
 * worked out from the layer. No number is computed until a Model runs the
 * graph on real tensors.
 *
 * Shapes are batch first, `null` where a dimension is not known in advance:
 * `input({ shape: [null, 32] })` is `(None, None, 32)`.
 */
import type { DType } from '../../autograd/index.ts';
import type { Layer, ShapeSpec } from '../layers/layer.ts';

let created = 0;

/** One application of a layer in a graph: the tensors it read and the ones it made. */
export class Node {
  /** Creation order, which breaks ties when graphs are sorted. */
  readonly id = created++;
  readonly layer: Layer;
  /** What the layer read: its input, then (recurrent layers) the initial states. */
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];

  constructor(layer: Layer, inputs: readonly SymbolicTensor[], outputShapes: readonly ShapeSpec[], dtypes: readonly DType[]) {
    this.layer = layer;
    this.inputs = inputs;
    this.outputs = outputShapes.map((shape, i) => new SymbolicTensor(this, i, shape, dtypes[i]));
    layer.inboundNodes.push(this);
  }

  /** This node's index among its layer's nodes: Keras's node index (0 for a layer applied once). */
  get index(): number {
    return this.layer.inboundNodes.indexOf(this);
  }
}

/** A placeholder for a batch of values: its shape (batch first), its dtype, and the node that makes it. */
export class SymbolicTensor {
  readonly shape: ShapeSpec;
  readonly dtype: DType;
  readonly node: Node;
  /** Which of the node's outputs this is (LSTM with returnState: 0 output, 1 h, 2 c). */
  readonly outputIndex: number;

  constructor(node: Node, outputIndex: number, shape: ShapeSpec, dtype: DType) {
    this.node = node;
    this.outputIndex = outputIndex;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  /** The layer that computes it. */
  get sourceLayer(): Layer {
    return this.node.layer;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Keras's reference to it: `<layer>[<node index>][<output index>]`, e.g. `lstm[0][1]`. */
  get name(): string {
    return `${this.node.layer.name}[${this.node.index}][${this.outputIndex}]`;
  }
}

export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}
