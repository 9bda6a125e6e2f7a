/**
 * The base of every optimizer.
 *
 * An optimizer updates a list of parameters in place from their `.grad`.
 * `step(params)` does three things, in this order:
 *
 * 1. clips the gradients (at most one of `clipnorm`, `globalClipnorm`,
 *    `clipvalue`; see clip.ts) — in place, so the clipped values stay visible
 *    in `.grad`, and before the update, as Keras does;
 * 2. with `weightDecay` (Keras 3's decoupled weight decay), shrinks each
 *    parameter that has a gradient: θ ← θ − θ·wd·η, with η this step's
 *    learning rate, before the update (Keras 3's `_apply_weight_decay`);
 * 3. calls the subclass's `updateParam` on each parameter that has a gradient,
 *    with that parameter's state (created on its first update, then reused:
 *    a step allocates nothing after the first);
 * 4. counts the iteration.
 *
 * Parameters whose `grad` is null are skipped: neither their values nor
 * their state change. Zeroing the gradients between steps is the caller's job.
 */
import type { FloatArray, Tensor } from '../autograd/index.ts';
import { checkRange } from './check.ts';
import { clipGradsByGlobalNorm, clipGradsByNorm, clipGradsByValue } from './clip.ts';

/** Gradient clipping; set at most one of the three. Leave them out for no clipping. */
export interface ClipOptions {
  /** Rescale each tensor's gradient so that its L2 norm is at most this (> 0). */
  clipnorm?: number;
  /** Rescale all gradients by one factor so that their global L2 norm is at most this (> 0). */
  globalClipnorm?: number;
  /** Clamp every gradient element to [−clipvalue, clipvalue] (> 0). */
  clipvalue?: number;
}

/** Options every optimizer takes. */
export interface OptimizerOptions extends ClipOptions {
  /** Step size (≥ 0). */
  learningRate?: number;
  /** Decoupled weight decay wd ≥ 0: θ ← θ − θ·wd·η before each update (Keras 3's weight_decay); leave it out for none. */
  weightDecay?: number;
}

/** What `getConfig()` returns at least: the learning rate, any weight decay and any clipping that is set. */
export interface OptimizerConfig extends ClipOptions {
  learningRate: number;
  weightDecay?: number;
}

const CLIP_KEYS = ['clipnorm', 'globalClipnorm', 'clipvalue'] as const;

/** An optimizer's whole state for a list of parameters, as `getSlots` gives it and `setSlots` takes it. */
export interface OptimizerSlots {
  /** Steps taken so far. */
  iterations: number;
  /** One entry per name of `slotNames`, in that order; `values[i]` belongs to `params[i]`. */
  slots: Array<{ name: string; values: FloatArray[] }>;
}

export abstract class Optimizer<State = unknown> {
  /** The Keras class name: 'SGD', 'RMSprop', 'Adam'. Error messages start with it. */
  readonly name: string;
  readonly clipnorm: number | undefined;
  readonly globalClipnorm: number | undefined;
  readonly clipvalue: number | undefined;
  /** The decoupled weight decay, or undefined for none. */
  readonly weightDecay: number | undefined;
  /** Per-parameter state, created on a parameter's first update. */
  protected readonly state = new Map<Tensor, State>();
  private lr: number;
  private count = 0;

  /**
   * Checks the options common to all optimizers and rejects any key that is
   * neither common nor in `ownKeys` (the subclass's own options, in the order
   * they should be listed in the error).
   */
  protected constructor(name: string, options: OptimizerOptions, ownKeys: readonly string[], defaultLearningRate: number) {
    this.name = name;
    const known = ['learningRate', ...ownKeys, 'weightDecay', ...CLIP_KEYS];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) {
        throw new Error(`${name}: unknown option '${key}'; known: ${known.join(', ')}`);
      }
    }
    const lr = options.learningRate ?? defaultLearningRate;
    checkRange(name, 'learningRate', lr, 0, Infinity);
    this.lr = lr;
    if (options.weightDecay !== undefined) checkRange(name, 'weightDecay', options.weightDecay, 0, Infinity);
    this.weightDecay = options.weightDecay;
    const set = CLIP_KEYS.filter((key) => options[key] !== undefined);
    if (set.length > 1) {
      throw new Error(`${name}: set at most one of clipnorm, globalClipnorm, clipvalue; got ${set.join(' and ')}`);
    }
    for (const key of set) {
      const value = options[key];
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
        throw new Error(`${name}: ${key} must be a positive finite number (leave it out for no clipping), got ${String(value)}`);
      }
    }
    this.clipnorm = options.clipnorm;
    this.globalClipnorm = options.globalClipnorm;
    this.clipvalue = options.clipvalue;
  }

  /** The step size used by the next `step` (≥ 0). Can be changed between steps. */
  get learningRate(): number {
    return this.lr;
  }

  set learningRate(value: number) {
    checkRange(this.name, 'learningRate', value, 0, Infinity);
    this.lr = value;
  }

  /** How many steps have been taken. */
  get iterations(): number {
    return this.count;
  }

  /** Updates every parameter that has a gradient, in place. See the file comment. */
  step(params: readonly Tensor[]): void {
    if (params.length === 0) return;
    let withGrad = 0;
    for (const p of params) {
      if (p.grad === null) continue;
      if (p.grad.length !== p.size) {
        throw new Error(`${this.name}.step: a parameter of size ${p.size} has a gradient of length ${p.grad.length}`);
      }
      withGrad++;
    }
    if (withGrad === 0) {
      throw new Error(`${this.name}.step: none of the ${params.length} parameters has a gradient; run backward() before step()`);
    }

    if (this.clipnorm !== undefined) clipGradsByNorm(params, this.clipnorm);
    else if (this.globalClipnorm !== undefined) clipGradsByGlobalNorm(params, this.globalClipnorm);
    else if (this.clipvalue !== undefined) clipGradsByValue(params, this.clipvalue);

    const t = this.count + 1;
    const wd = this.weightDecay;
    if (wd !== undefined && wd > 0) {
      for (const p of params) {
        if (p.grad === null) continue;
        const theta = p.data;
        for (let i = 0; i < theta.length; i++) theta[i] -= theta[i] * wd * this.lr;
      }
    }
    this.beforeUpdate(t);
    for (const p of params) {
      if (p.grad === null) continue;
      let s = this.state.get(p);
      if (s === undefined) {
        s = this.createState(p);
        this.state.set(p, s);
      }
      this.updateParam(p.data, p.grad, s, this.lr, t);
    }
    this.count = t;
  }

  /**
   * The state of `params`, slot by slot (see `slotNames`), with the fresh
   * state (zeros; Adagrad's initial accumulator) for a parameter not updated
   * yet: what a checkpoint stores.
   */
  getSlots(params: readonly Tensor[]): OptimizerSlots {
    const slots = this.slotNames.map((name) => ({ name, values: [] as FloatArray[] }));
    for (const p of params) {
      const s = this.state.get(p);
      const arrays = this.slotArrays(s ?? this.createState(p));
      slots.forEach((slot, k) => slot.values.push(s ? arrays[k].slice() : arrays[k]));
    }
    return { iterations: this.count, slots };
  }

  /**
   * Restores a state written by `getSlots` (for the same parameters in the
   * same order): the step count and every slot, checked name by name and
   * size by size before anything changes.
   */
  setSlots(params: readonly Tensor[], saved: OptimizerSlots): void {
    const names = saved.slots.map((s) => s.name);
    if (names.join(',') !== this.slotNames.join(',')) {
      throw new Error(`${this.name}.setSlots: this configuration keeps [${this.slotNames.join(', ')}] per parameter, got [${names.join(', ')}]`);
    }
    if (!Number.isSafeInteger(saved.iterations) || saved.iterations < 0) {
      throw new Error(`${this.name}.setSlots: iterations must be a non-negative integer, got ${saved.iterations}`);
    }
    for (const slot of saved.slots) {
      if (slot.values.length !== params.length) {
        throw new Error(`${this.name}.setSlots: slot '${slot.name}' has ${slot.values.length} arrays for ${params.length} parameters`);
      }
      slot.values.forEach((v, i) => {
        if (v.length !== params[i].size) {
          throw new Error(`${this.name}.setSlots: slot '${slot.name}' of parameter ${i} has ${v.length} values, the parameter ${params[i].size}`);
        }
      });
    }
    params.forEach((p, i) => {
      const s = this.createState(p);
      this.slotArrays(s).forEach((a, k) => a.set(saved.slots[k].values[i]));
      this.state.set(p, s);
    });
    this.count = saved.iterations;
  }

  /** The names of the arrays kept per parameter in this configuration, e.g. RMSprop's ['velocity']. */
  abstract get slotNames(): readonly string[];

  /** The arrays of one parameter's state, in the order of `slotNames`. */
  protected abstract slotArrays(state: State): FloatArray[];

  /** The state kept for `param`, or undefined before its first update. */
  stateOf(param: Tensor): Readonly<State> | undefined {
    return this.state.get(param);
  }

  /** The options as resolved (defaults filled in); `new X(x.getConfig())` builds an equal optimizer. */
  abstract getConfig(): OptimizerConfig;

  /** The learning rate and the clipping that is set, for the subclasses' `getConfig`. */
  protected baseConfig(): OptimizerConfig {
    const config: OptimizerConfig = { learningRate: this.lr };
    if (this.weightDecay !== undefined) config.weightDecay = this.weightDecay;
    if (this.clipnorm !== undefined) config.clipnorm = this.clipnorm;
    if (this.globalClipnorm !== undefined) config.globalClipnorm = this.globalClipnorm;
    if (this.clipvalue !== undefined) config.clipvalue = this.clipvalue;
    return config;
  }

  /** What a step does once before the parameters' updates (Nadam's momentum-schedule product); `t` counts from 1. */
  protected beforeUpdate(_t: number): void {}

  /** Fresh (zero) state for a parameter on its first update. */
  protected abstract createState(param: Tensor): State;

  /**
   * Updates one parameter in place.
   * @param theta the parameter's values [size]
   * @param g its gradient [size], already clipped
   * @param state its state
   * @param lr the learning rate of this step
   * @param t the number of this step, counting from 1
   */
  protected abstract updateParam(theta: FloatArray, g: Readonly<FloatArray>, state: State, lr: number, t: number): void;
}
