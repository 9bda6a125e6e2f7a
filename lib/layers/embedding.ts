/** Embedding: integer ids [B, T] → vectors [B, T, outputDim], a row lookup in a trainable table. */
import { Tensor, allocate, gather, type FloatArray } from '../../autograd/index.ts';
import { getInitializer, type Initializer, type InitializerSpec } from '../initializers.ts';
import { getRegularizer, weightRegularizers, type Regularizer, type RegularizerSpec } from '../regularizers.ts';
import { Layer, checkOptions, type LayerOptions, type ShapeSpec } from './layer.ts';

export interface EmbeddingOptions extends LayerOptions {
  /** Treat id 0 as padding: the next layers skip those timesteps. */
  maskZero?: boolean;
  /** Length of the input sequences, when fixed (shown by summary()). */
  inputLength?: number;
  /** How the table starts (default 'randomUniform', U(−0.05, 0.05) as Keras): a name, an initializer or { className, config }. */
  embeddingsInitializer?: InitializerSpec;
  /** A penalty on the table added to the loss: 'l1', 'l2', 'l1_l2' or a regularizer. */
  embeddingsRegularizer?: RegularizerSpec;
  /** A penalty on the looked-up vectors (divided by the batch size) added to the loss. */
  activityRegularizer?: RegularizerSpec;
}

const KNOWN = ['name', 'inputShape', 'dtype', 'maskZero', 'inputLength', 'embeddingsInitializer', 'embeddingsRegularizer', 'activityRegularizer'];

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  /** [inputDim, outputDim]. */
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
    const where = `${this.name} (Embedding)`;
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? 'randomUniform', `${where}: embeddingsInitializer`);
    const reg = options.embeddingsRegularizer;
    this.embeddingsRegularizer = reg === undefined ? null : getRegularizer(reg, `${where}: embeddingsRegularizer`);
    this.setActivityRegularizer(options.activityRegularizer);
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
    const table = this.embeddingsInitializer.apply([this.inputDim, this.outputDim], this.dtype);
    table.requiresGrad = true;
    if (this.embeddingsRegularizer) weightRegularizers.set(table, this.embeddingsRegularizer);
    this.embeddings = table;
  }

  call(x: Tensor): Tensor {
    if (x.rank !== 2) {
      throw new Error(`${this.name} (Embedding): expects input [batch, timesteps], got shape [${x.shape.join(',')}]`);
    }
    // The backward of gather scatter-adds into the rows that were used.
    const y = gather(this.embeddings!, x.data, x.shape, `${this.name} (Embedding)`);
    this.penalizeActivity([y]);
    return y;
  }

  override computeMask(x: Tensor, mask: FloatArray | null): FloatArray | null {
    if (!this.maskZero) return mask;
    const m = allocate(this.dtype, x.size);
    for (let i = 0; i < x.size; i++) m[i] = x.data[i] === 0 ? 0 : 1;
    return m;
  }
}
