/**
 * Sequential: a stack of layers, each reading the one before — a Model
 * whose graph is a chain. The chain is drawn as soon as the input shape is
 * known (the first layer's `inputShape`, an InputLayer, `build()`, or the
 * first batch), and each layer added after that extends it.
 */
import { formatShape, type DType, type Tensor } from '../../autograd/index.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { Layer, formatShapeSpec, type ShapeSpec } from '../layers/layer.ts';
import { describeValue } from './inputs.ts';
import { GRAPH_LATER, Model, tableRow, type ModelArgs } from './model.ts';
import type { SymbolicTensor } from './symbolic.ts';

export {
  History,
  type Batch, type BatchSource, type CompileOptions, type DataBatch, type EvaluateOptions, type FitGeneratorOptions, type FitOptions, type ModelData,
} from './model.ts';

function listShape(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

export class Sequential extends Model<SymbolicTensor> {
  override readonly className: string = 'Sequential';
  private readonly stack: Layer[] = [];
  /** The InputLayer given first, if any. */
  private inputLayer: InputLayer | null = null;
  /** True when the input shape came from the first batch rather than from the model: then only its rank is checked. */
  private inferred = false;

  constructor(layers: readonly Layer[] = [], options: { name?: string } = {}) {
    super({ [GRAPH_LATER]: 'sequential', ...(options.name === undefined ? {} : { name: options.name }) } as unknown as ModelArgs<SymbolicTensor>);
    if (!Array.isArray(layers)) throw new Error(`${this.name}: new Sequential(layers) takes a list of layers, got ${describeValue(layers)}`);
    for (const layer of layers) this.add(layer);
  }

  /** The layers in order (an InputLayer, which only declares the input, is not one of them). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** The end of the chain, while it is drawn. */
  private get tip(): SymbolicTensor | null {
    return this.graph?.outputs[0] ?? this.inputLayer?.output ?? null;
  }

  /**
   * Appends a layer (or a model); if the shapes are known it is built now,
   * and a mismatch is an error here. An InputLayer, first, only declares the
   * input shape.
   */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error(`${this.name}: add() takes a layer (or a model), got ${describeValue(layer)}`);
    if (layer === this) throw new Error(`${this.name}: a model cannot be added to itself`);
    if (this.stack.includes(layer)) throw new Error(`${this.name}: layer ${layer.name} is already in the model`);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.inputLayer) throw new Error(`${this.name}: an InputLayer (${layer.name}) must come first, before any other layer`);
      this.inputLayer = layer;
      return;
    }
    if (this.stack.length > 0 && layer.inputShape && !(layer instanceof Model)) {
      throw new Error(`${this.name}: inputShape is only for the first layer, but ${layer.name} has one`);
    }
    let start = this.tip;
    if (this.stack.length === 0) {
      const declared = layer instanceof Model ? undefined : layer.inputShape;
      if (declared && this.inputLayer) {
        const own = this.inputLayer.inputShape;
        if (own.length !== declared.length || declared.some((d, i) => d !== null && d !== own[i])) {
          throw new Error(`${this.name}: the InputLayer declares ${formatShapeSpec(this.inputLayer.batchInputShape)}, but ${layer.name} has inputShape ${formatShapeSpec([null, ...declared])}`);
        }
      } else if (declared) {
        start = this.startOf([null, ...declared], layer.dtype, layer);
      } else if (layer instanceof Model && !this.inputLayer && layer.built && layer.inputs.length === 1) {
        start = this.startOf(layer.inputs[0].shape, layer.inputs[0].dtype, layer);
      }
    }
    if (start) this.setGraph([this.chainInput(start)], [this.extend(start, layer)], false);
    this.stack.push(layer);
  }

  /** A fresh input for a chain that starts with `first`. */
  private startOf(batchShape: ShapeSpec, dtype: DType, first: Layer): SymbolicTensor {
    this.inferred = false;
    return new InputLayer({ inputShape: batchShape.slice(1), dtype, name: `${first.name}_input` }).output;
  }

  private chainInput(tip: SymbolicTensor): SymbolicTensor {
    return this.graph?.inputs[0] ?? this.inputLayer?.output ?? tip;
  }

  /** Applies `layer` to the end of the chain `from`; a layer that does not fit is an error naming it and what it was given. */
  private extend(from: SymbolicTensor, layer: Layer): SymbolicTensor {
    try {
      layer.build(from.shape, from.dtype);
      const shapes = layer.outputShapes([from.shape]);
      if (shapes.length !== 1) {
        throw new Error(`it gives ${shapes.length} tensors (${shapes.map(formatShapeSpec).join(', ')}); a Sequential model passes one tensor from layer to layer: use the functional API (input(), layer.apply(), new Model()) for it`);
      }
    } catch (e) {
      const previous = this.stack[this.stack.length - 1];
      const of = previous ? `the output ${formatShapeSpec(from.shape)} of ${previous.name}` : `the input ${formatShapeSpec(from.shape)}`;
      throw new Error(`${this.name}: ${layer.name} (${layer.className}) does not fit ${of}: ${(e as Error).message}`);
    }
    const out: SymbolicTensor | SymbolicTensor[] = layer.apply(from);
    return Array.isArray(out) ? out[0] : out;
  }

  /** Builds every layer for inputs of `inputShape` (batch first), drawing the chain anew. */
  override build(inputShape: ShapeSpec, dtype?: DType): void {
    if (this.stack.length === 0) throw new Error(`${this.name}: build() on a model with no layers`);
    this.inferred = false;
    const start = this.inputLayer && shapesAgree(this.inputLayer.batchInputShape, inputShape)
      ? this.inputLayer.output
      : this.startOf(inputShape, dtype ?? this.stack[0].dtype, this.stack[0]);
    let tip = start;
    for (const layer of this.stack) tip = this.extend(tip, layer);
    this.setGraph([start], [tip], false);
  }

  protected override ensureBuilt(xs: readonly Tensor[]): void {
    if (this.built) return;
    if (this.stack.length === 0) throw new Error(`${this.name}: a model with no layers cannot run`);
    this.build([null, ...xs[0].shape.slice(1)]);
    this.inferred = true;
  }

  protected override feedNames(): string[] {
    if (this.stack.length === 0) return [];
    return [this.graph?.inputs[0].node.layer.name ?? `${this.stack[0].name}_input`];
  }

  protected override feedOutputNames(): string[] {
    return this.graph ? super.feedOutputNames() : [this.stack[this.stack.length - 1]?.name ?? 'output'];
  }

  protected override feedDtype(i: number): DType {
    return this.graph ? super.feedDtype(i) : this.stack[0].dtype;
  }

  protected override checksInputShape(): boolean {
    return !this.inferred;
  }

  protected override feedMismatch(where: string, label: string, t: Tensor, x: SymbolicTensor, detail: string): string {
    const first = this.stack[0];
    const declarer = this.inputLayer && x === this.inputLayer.output
      ? `the InputLayer ${this.inputLayer.name} declares input shape ${listShape(this.inputLayer.inputShape)}`
      : this.inferred
        ? `${first.name} (${first.className}) was built for inputs of shape ${listShape(x.shape.slice(1))} from the first batch`
        : `${first.name} (${first.className}) declares inputShape ${listShape(x.shape.slice(1))}`;
    let reason = '';
    try {
      first.outputShapes([[null, ...t.shape.slice(1)]]);
    } catch (e) {
      reason = `; ${(e as Error).message}`;
    }
    return `${where}: ${declarer} (batch shape ${formatShapeSpec(x.shape)}), but ${label} has shape ${formatShape(t.shape)}: ${detail}${reason}`;
  }

  override setWeights(values: readonly Tensor[]): void {
    let at = 0;
    for (const layer of this.stack) {
      const n = layer.weights().length;
      layer.setWeights(values.slice(at, at + n));
      at += n;
    }
    if (at !== values.length) throw new Error(`${this.name}: setWeights got ${values.length} tensors, the model has ${at}`);
  }

  /** Prints the Keras table of a Sequential model and returns it. */
  override summary(print: (line: string) => void = console.log): string {
    const graph = this.graph;
    if (!graph || this.stack.length === 0) {
      throw new Error(`${this.name}: summary() needs a built model: give the first layer an inputShape, or call build(), fit() or predict() first`);
    }
    const width = 65;
    const stops = [29, 55, 65];
    const row = (fields: string[]): string => tableRow(fields, stops);
    const lines = [`Model: "${this.name}"`, '_'.repeat(width), row(['Layer (type)', 'Output Shape', 'Param #']), '='.repeat(width)];
    // The chain's nodes after the input, one per layer, in order.
    const nodes = graph.nodes.filter((n) => n.inputs.length > 0);
    nodes.forEach((node, i) => {
      const layer = node.layer;
      lines.push(row([`${layer.name} (${layer.className})`, formatShapeSpec(node.outputs[0].shape), String(layer.countParams())]));
      lines.push(i === nodes.length - 1 ? '='.repeat(width) : '_'.repeat(width));
    });
    lines.push(...this.paramLines(), '_'.repeat(width));
    const text = lines.join('\n');
    print(text);
    return text;
  }
}

function shapesAgree(a: ShapeSpec, b: ShapeSpec): boolean {
  return a.length === b.length && a.every((d, i) => i === 0 || d === b[i]);
}

/** TF.js's `tf.sequential({ layers })`. */
export function sequential(options: { layers?: readonly Layer[]; name?: string } = {}): Sequential {
  return new Sequential(options.layers ?? [], options.name === undefined ? {} : { name: options.name });
}
