/**
 * Merge layers: several tensors in, one out — what joins the branches of a
 * functional model. Concatenate joins along an axis (the last by default);
 * Add, Subtract, Multiply and Average combine tensors of one shape element
 * by element. A timestep mask that reaches them is kept where every input
 * keeps the step (Keras's merge of masks).
 */
import { Tensor, add, concat, mul, mulScalar, sub, type FloatArray } from '../../autograd/index.ts';
import { Layer, checkOptions, formatShapeSpec, type CallContext, type LayerOptions, type ShapeSpec } from './layer.ts';

abstract class Merge extends Layer {
  /** No weights: nothing to build, whatever the inputs (they are checked when the layer is applied). */
  override build(): void {
    this.built = true;
  }

  /** The merged shape of inputs of these shapes; throws naming them when they do not fit. */
  protected abstract mergedShape(shapes: readonly ShapeSpec[]): ShapeSpec;

  /** The merge itself. */
  protected abstract merge(inputs: readonly Tensor[]): Tensor;

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    return this.mergedShape([inputShape]);
  }

  override outputShapes(inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
    if (inputShapes.length < 2) throw new Error(`${this.name} (${this.className}) merges two or more inputs, got ${inputShapes.length}`);
    return [this.mergedShape(inputShapes)];
  }

  call(): Tensor {
    throw new Error(`${this.name} (${this.className}) merges two or more inputs, got one`);
  }

  override callAll(inputs: readonly Tensor[], _context: CallContext): Tensor[] {
    if (inputs.length < 2) throw new Error(`${this.name} (${this.className}) merges two or more inputs, got ${inputs.length}`);
    this.mergedShape(inputs.map((t) => [null, ...t.shape.slice(1)]));
    return [this.merge(inputs)];
  }

  override computeMasks(_inputs: readonly Tensor[], masks: ReadonlyArray<FloatArray | null>): Array<FloatArray | null> {
    const present = masks.filter((m): m is FloatArray => m !== null);
    if (present.length === 0) return [null];
    const out = present[0].slice();
    for (const m of present.slice(1)) for (let i = 0; i < out.length; i++) out[i] = out[i] !== 0 && m[i] !== 0 ? 1 : 0;
    return [out];
  }
}

/** Element-wise merges: every input has the same shape. */
abstract class ElementWise extends Merge {
  protected mergedShape(shapes: readonly ShapeSpec[]): ShapeSpec {
    const [first] = shapes;
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i > 0 && d !== null && first[i] !== null && d !== first[i])) {
        throw new Error(`${this.name} (${this.className}) combines inputs of one shape, got ${shapes.map(formatShapeSpec).join(', ')}`);
      }
    }
    return first.map((d, i) => d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null);
  }
}

export class Add extends ElementWise {
  readonly className = 'Add';

  constructor(options: LayerOptions = {}) {
    checkOptions('Add', options, ['name', 'dtype']);
    super('add', options);
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return inputs.reduce((sum, t) => add(sum, t));
  }
}

/** Subtract: the first input minus the second. */
export class Subtract extends ElementWise {
  readonly className = 'Subtract';

  constructor(options: LayerOptions = {}) {
    checkOptions('Subtract', options, ['name', 'dtype']);
    super('subtract', options);
  }

  protected override mergedShape(shapes: readonly ShapeSpec[]): ShapeSpec {
    if (shapes.length !== 2) throw new Error(`${this.name} (Subtract) takes exactly two inputs, got ${shapes.length}`);
    return super.mergedShape(shapes);
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return sub(inputs[0], inputs[1]);
  }
}

export class Multiply extends ElementWise {
  readonly className = 'Multiply';

  constructor(options: LayerOptions = {}) {
    checkOptions('Multiply', options, ['name', 'dtype']);
    super('multiply', options);
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return inputs.reduce((product, t) => mul(product, t));
  }
}

export class Average extends ElementWise {
  readonly className = 'Average';

  constructor(options: LayerOptions = {}) {
    checkOptions('Average', options, ['name', 'dtype']);
    super('average', options);
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return mulScalar(inputs.reduce((sum, t) => add(sum, t)), 1 / inputs.length);
  }
}

export interface ConcatenateOptions extends LayerOptions {
  /** The axis to join along, counted with the batch as axis 0; negative from the end (default −1, the features). */
  axis?: number;
}

export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  readonly axis: number;

  constructor(options: ConcatenateOptions = {}) {
    checkOptions('Concatenate', options, ['name', 'dtype', 'axis']);
    super('concatenate', options);
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis) || axis === 0) throw new Error(`Concatenate: axis must be a non-zero integer (axis 0 is the batch), got ${String(axis)}`);
    this.axis = axis;
  }

  protected mergedShape(shapes: readonly ShapeSpec[]): ShapeSpec {
    const rank = shapes[0].length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    const bad = (): Error => new Error(`${this.name} (Concatenate) joins along axis ${this.axis} inputs that agree on every other axis, got ${shapes.map(formatShapeSpec).join(', ')}`);
    if (axis <= 0 || axis >= rank) throw bad();
    for (const s of shapes) {
      if (s.length !== rank || s.some((d, i) => i !== axis && i > 0 && d !== null && shapes[0][i] !== null && d !== shapes[0][i])) throw bad();
    }
    const joined = shapes.every((s) => s[axis] !== null) ? shapes.reduce((n, s) => n + (s[axis] as number), 0) : null;
    return shapes[0].map((d, i) => (i === axis ? joined : d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null));
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    const rank = inputs[0].rank;
    return concat(inputs, this.axis < 0 ? rank + this.axis : this.axis);
  }
}
