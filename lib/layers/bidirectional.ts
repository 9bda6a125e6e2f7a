/**
 * Bidirectional: runs a recurrent layer forwards and a copy of it backwards
 * over the same input and merges the two outputs. With returnSequences the
 * backward outputs are put back in input order before merging, so step t of
 * the result sees the whole sequence on both sides.
 */
import { Tensor, add, concat, mulScalar, mul, reverse, type FloatArray } from '../../autograd/index.ts';
import { Layer, checkOptions, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';
import type { RNN } from './recurrent.ts';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalOptions extends LayerOptions {
  mergeMode?: MergeMode;
}

const MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode;
  /** The name of the wrapped layer; the copies are `forward_<name>` and `backward_<name>`. */
  readonly innerName: string;

  constructor(layer: RNN, options: BidirectionalOptions = {}) {
    checkOptions('Bidirectional', options, ['name', 'inputShape', 'dtype', 'mergeMode']);
    super(`bidirectional`, { ...options, inputShape: options.inputShape ?? layer.inputShape, dtype: options.dtype ?? layer.dtype });
    const mode = options.mergeMode ?? 'concat';
    if (!MODES.includes(mode)) throw new Error(`Bidirectional: mergeMode '${String(mode)}' is unknown; known: ${MODES.join(', ')}`);
    if (layer.stateful) throw new Error(`Bidirectional: wrapping the stateful layer ${layer.name} is not supported`);
    this.mergeMode = mode;
    this.innerName = layer.name;
    this.forwardLayer = layer.cloneWith({ name: `forward_${layer.name}` });
    this.backwardLayer = layer.cloneWith({ name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
  }

  weights(): Tensor[] {
    return [...this.forwardLayer.weights(), ...this.backwardLayer.weights()];
  }

  override namedWeights(): Array<[string, Tensor]> {
    return [...this.forwardLayer.namedWeights(), ...this.backwardLayer.namedWeights()].map(([n, w]) => [`${this.name}/${n}`, w]);
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    const shape = this.forwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode !== 'concat') return shape;
    const last = shape[shape.length - 1] as number;
    return [...shape.slice(0, -1), 2 * last];
  }

  protected buildWeights(inputShape: ShapeSpec): void {
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
  }

  call(x: Tensor, context: CallContext): Tensor {
    const forward = this.forwardLayer.call(x, context);
    let backward = this.backwardLayer.call(x, context);
    if (this.forwardLayer.returnSequences) backward = reverse(backward, 1);
    switch (this.mergeMode) {
      case 'concat': return concat([forward, backward], -1);
      case 'sum': return add(forward, backward);
      case 'mul': return mul(forward, backward);
      case 'ave': return mulScalar(add(forward, backward), 0.5);
    }
  }

  override computeMask(_x: Tensor, mask: FloatArray | null): FloatArray | null {
    return this.forwardLayer.returnSequences ? mask : null;
  }
}
