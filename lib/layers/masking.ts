/**
 * Masking: a timestep whose features all equal `maskValue` is skipped by the
 * recurrent layers after it (its mask is 0), and its output is zeroed, as
 * Keras's Masking does.
 */
import { Tensor, allocate, mulMask, type FloatArray } from '../../autograd/index.ts';
import { Layer, checkOptions, formatShapeSpec, type LayerOptions, type ShapeSpec } from './layer.ts';

export interface MaskingOptions extends LayerOptions {
  /** The value that marks a padded timestep (default 0). */
  maskValue?: number;
}

export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    checkOptions('Masking', options, ['name', 'inputShape', 'dtype', 'maskValue']);
    super('masking', options);
    const maskValue = options.maskValue ?? 0;
    if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) throw new Error(`Masking: maskValue must be a number, got ${String(maskValue)}`);
    this.maskValue = maskValue;
  }

  computeOutputShape(inputShape: ShapeSpec): ShapeSpec {
    if (inputShape.length !== 3) throw new Error(`${this.name} (Masking): expects input [batch, timesteps, features], got ${formatShapeSpec(inputShape)}`);
    return inputShape;
  }

  /** [B, T]: 1 where some feature differs from maskValue. */
  private timestepMask(x: Tensor): FloatArray {
    const [B, T, F] = x.shape;
    const mask = allocate(x.dtype, B * T);
    for (let s = 0; s < B * T; s++) {
      for (let f = 0; f < F; f++) {
        if (x.data[s * F + f] !== this.maskValue) {
          mask[s] = 1;
          break;
        }
      }
    }
    return mask;
  }

  call(x: Tensor): Tensor {
    if (x.rank !== 3) throw new Error(`${this.name} (Masking): expects input [batch, timesteps, features], got shape [${x.shape.join(',')}]`);
    const F = x.shape[2];
    const steps = this.timestepMask(x);
    const keep = allocate(x.dtype, x.size);
    for (let i = 0; i < x.size; i++) keep[i] = steps[Math.floor(i / F)];
    return mulMask(x, keep);
  }

  override computeMask(x: Tensor): FloatArray | null {
    return this.timestepMask(x);
  }
}
