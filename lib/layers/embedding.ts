/** Embedding: integer ids [B, T] → vectors [B, T, outputDim], a row lookup in a trainable table. */
import { Tensor, allocate, gather, type FloatArray } from '../../autograd/index.ts';
import { initialize } from '../../cells/init.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export interface EmbeddingOptions extends LayerOptions {
  /** Treat id 0 as padding: the next layers skip those timesteps. */
  maskZero?: boolean;
  /** Length of the input sequences, when fixed (shown by summary()). */
  inputLength?: number;
}

const KNOWN = ['name', 'inputShape', 'dtype', 'maskZero', 'inputLength'];

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  /** [inputDim, outputDim], uniform(−0.05, 0.05) as Keras. */
  embeddings: Tensor | null = null;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    checkOptions('Embedding', options, KNOWN);
    // Keras's Embedding declares its input as (batch, inputLength) so a model starting with it is built at once.
    super('embedding', { ...options, inputShape: options.inputShape ?? [options.inputLength ?? null] });
    for (const [arg, v] of [['inputDim', inputDim], ['outputDim', outputDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Embedding: ${arg} must be a positive integer, got ${v}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.maskZero = options.maskZero ?? false;
  }

  override weights(): Tensor[] {
    return this.embeddings ? [this.embeddings] : [];
  }

  override weightLabels(): string[] {
    return ['embeddings'];
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    if (inputShape.length !== 2) {
      throw new Error(`${this.name} (Embedding): expects input [batch, timesteps] of integer ids, got shape ${JSON.stringify(inputShape)}`);
    }
    return [...inputShape, this.outputDim];
  }

  protected override buildWeights(): void {
    const table = initialize('randomUniform', [this.inputDim, this.outputDim], this.dtype);
    table.requiresGrad = true;
    this.embeddings = table;
  }

  call(x: Tensor): Tensor {
    if (x.rank !== 2) {
      throw new Error(`${this.name} (Embedding): expects input [batch, timesteps], got shape [${x.shape.join(',')}]`);
    }
    // The backward of gather scatter-adds into the rows that were used.
    return gather(this.embeddings!, x.data, x.shape, `${this.name} (Embedding)`);
  }

  override computeMask(x: Tensor, mask: FloatArray | null): FloatArray | null {
    if (!this.maskZero) return mask;
    const m = allocate(this.dtype, x.size);
    for (let i = 0; i < x.size; i++) m[i] = x.data[i] === 0 ? 0 : 1;
    return m;
  }
}
