/**
 * `gradcheck(layerOrModel, inputs)`: the gradient check of autograd/ on a
 * whole layer or model, in one call. The analytic gradient (one backward of
 * the tape, which for an RNN of your cell is its backprop through time) is
 * compared with central differences for every weight and every input that
 * the tape reaches, in float64:
 *
 *   L = Σ y ⊙ w (y every output, w a fixed uneven projection),
 *   ∂L/∂θ_i ≈ (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε.
 *
 * The inputs are cast to float64. A layer or model not built yet is then
 * built in float64; one built in float32 has its weights cast to float64 for
 * the check and its own arrays put back afterwards, bit for bit. The model
 * runs as at inference (training false: no dropout).
 */
import { Tensor, concat, formatShape, reshape, type FloatArray } from '../autograd/index.ts';
import { TOLERANCE, gradcheck as checkFunction, type GradcheckReport, type GradPair } from '../autograd/gradcheck.ts';
import type { Layer } from './layers/layer.ts';

export interface GradcheckOptions {
  /** Largest accepted relative error (default 1e-6, the smooth ops' tolerance). */
  tolerance?: number;
  /** The central difference's step (default 1e-6). */
  eps?: number;
  /** Check at most this many elements of each weight and input, evenly spaced (default: all). */
  sample?: number;
  /** Print the report (default false). */
  print?: boolean;
}

export interface LayerGradcheckReport extends GradcheckReport {
  /** What each checked tensor is: `input`, `input 1`, `rnn/kernel`, … (GradPair.input indexes this list). */
  names: string[];
  /** The worst element named, e.g. `rnn/peepholes[2, 0]`; null when nothing was checked. */
  worstAt: string | null;
  /** The report to read: the worst element, the errors and the tolerance. */
  text: string;
}

function at(shape: readonly number[], index: number): string {
  const parts: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    parts.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${parts.join(', ')}]`;
}

function asFloat64(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
}

/** Points `t` at `data` (its dtype following) and `grad`, for the check only. */
function repoint(t: Tensor, data: FloatArray, grad: FloatArray | null): void {
  Object.assign(t, { data, dtype: data instanceof Float64Array ? 'float64' : 'float32', grad });
}

function describeReport(r: GradcheckReport, title: string, names: readonly string[], shapes: ReadonlyArray<readonly number[]>): string {
  const fmt = (p: GradPair): string =>
    `${names[p.input]}${at(shapes[p.input], p.index)}: analytic ${p.analytic.toExponential(6)}, numeric ${p.numeric.toExponential(6)}, rel ${p.relError.toExponential(2)}`;
  return [
    `gradcheck ${title}: ${r.pass ? 'pass' : 'FAIL'}, max rel error ${r.maxRel.toExponential(2)} (tolerance ${r.tolerance.toExponential(0)}), max abs error ${r.maxAbs.toExponential(2)} over ${names.join(', ')}`,
    r.worst ? `  worst: ${fmt(r.worst)}` : '  no element was checked',
  ].join('\n');
}

/**
 * Checks the gradients of `target` (a layer, or a model) on `inputs`
 * against central differences; gives the report, whose `pass` says whether
 * every element is within the tolerance and `text` names the worst one.
 */
export function gradcheck(target: Layer, inputs: Tensor | readonly Tensor[], options: GradcheckOptions = {}): LayerGradcheckReport {
  const title = `${target.name} (${target.className})`;
  const list = Array.isArray(inputs) ? [...(inputs as readonly Tensor[])] : [inputs as Tensor];
  if (list.length === 0 || list.some((t) => !(t instanceof Tensor))) throw new Error(`gradcheck ${title}: inputs must be a Tensor or a non-empty list of Tensors`);
  const xs = list.map((t) => new Tensor(asFloat64(t).slice(), t.shape, true));
  const run = (): Tensor => {
    const y = target.apply(xs.length === 1 ? xs[0] : xs, { training: false }) as Tensor | Tensor[];
    const outs = Array.isArray(y) ? y : [y];
    return outs.length === 1 ? outs[0] : concat(outs.map((o) => reshape(o, [o.size])), 0);
  };
  if (!target.built) run(); // builds in float64, the inputs' dtype
  const named = target.namedWeights();
  const originals = named.map(([, w]) => [w.data, w.grad] as const);
  for (const [, w] of named) repoint(w, asFloat64(w).slice(), null);
  try {
    // Inputs the tape does not reach (token ids into an Embedding) have no gradient to check.
    const y = run();
    y.backward(new Float64Array(y.size).fill(1));
    const reached = xs.filter((x) => x.grad !== null);
    const tensors = [...reached, ...named.map(([, w]) => w)];
    const names = [...reached.map((x) => (xs.length === 1 ? 'input' : `input ${xs.indexOf(x)}`)), ...named.map(([n]) => n)];
    const shapes = tensors.map((t) => t.shape);
    const core = checkFunction(title, run, tensors, {
      tolerance: options.tolerance ?? TOLERANCE.smooth, eps: options.eps, sample: options.sample, check: tensors.map(() => true),
    });
    const worstAt = core.worst ? `${names[core.worst.input]}${at(shapes[core.worst.input], core.worst.index)}` : null;
    const report: LayerGradcheckReport = { ...core, shapes: shapes.map(formatShape).join(' '), names, worstAt, text: describeReport(core, title, names, shapes) };
    if (options.print) console.log(report.text);
    return report;
  } finally {
    named.forEach(([, w], i) => repoint(w, originals[i][0], originals[i][1]));
  }
}
