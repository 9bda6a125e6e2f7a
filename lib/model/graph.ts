/**
 * A model's graph: the nodes between its inputs and outputs, ordered so
 * that each runs after the nodes it reads from, and the walk that runs them
 * on real tensors (or on shapes).
 *
 * Every application of a layer is one node, so a layer applied twice runs
 * twice. Each node runs under its own slot (CallContext.slot): a recurrent
 * layer keeps one workspace per slot, so both applications' caches live
 * until the backward. A model used as a layer inside another passes its
 * slot down, and its nodes' slots are made from it, so a nested model
 * applied twice also keeps its applications apart.
 */
import { formatShape, type FloatArray, type Tensor } from '../../autograd/index.ts';
import { InputLayer } from '../layers/input-layer.ts';
import { formatShapeSpec, type Layer, type ShapeSpec } from '../layers/layer.ts';
import { describeValue } from './inputs.ts';
import { SymbolicTensor, type Node } from './symbolic.ts';

export interface Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Every node the model holds, each after the nodes it reads from (the inputs' nodes first). */
  readonly nodes: readonly Node[];
  /** Every layer once, in Keras's order: by depth from the outputs, deepest (the inputs) first. */
  readonly layers: readonly Layer[];
}

function describeTensor(x: unknown): string {
  return x instanceof SymbolicTensor ? `${x.name} ${formatShapeSpec(x.shape)}` : describeValue(x);
}

/**
 * The graph from `inputs` to `outputs`, checked: every input comes from
 * `input()` (once), and every output can be computed from the inputs alone.
 * `where` (the model's name) starts every error.
 */
export function buildGraph(where: string, inputs: readonly unknown[], outputs: readonly unknown[]): Graph {
  if (inputs.length === 0) throw new Error(`${where}: a model needs at least one input`);
  if (outputs.length === 0) throw new Error(`${where}: a model needs at least one output`);
  inputs.forEach((x, i) => {
    if (!(x instanceof SymbolicTensor)) throw new Error(`${where}: inputs[${i}] is ${describeValue(x)}; the inputs of a model are symbolic tensors from input()`);
    if (!(x.node.layer instanceof InputLayer)) {
      throw new Error(`${where}: inputs[${i}] is ${x.name}, the output of ${x.node.layer.name} (${x.node.layer.className}); a model's inputs must come from input()`);
    }
    if (inputs.indexOf(x) !== i) throw new Error(`${where}: input ${x.node.layer.name} is listed twice (inputs[${inputs.indexOf(x)}] and inputs[${i}])`);
  });
  outputs.forEach((y, i) => {
    if (!(y instanceof SymbolicTensor)) throw new Error(`${where}: outputs[${i}] is ${describeValue(y)}; the outputs of a model are symbolic tensors made by layer.apply()`);
  });
  const ins = inputs as readonly SymbolicTensor[];
  const outs = outputs as readonly SymbolicTensor[];
  const inputNodes = new Set(ins.map((x) => x.node));

  // Depth-first from each output; post-order puts every node after the nodes it reads from.
  const order: Node[] = [];
  const done = new Set<Node>();
  for (const [k, output] of outs.entries()) {
    const stack: Array<{ node: Node; next: number }> = [];
    const visit = (node: Node): void => {
      if (done.has(node) || stack.some((s) => s.node === node)) return;
      if (node.inputs.length === 0 && !inputNodes.has(node)) {
        const names = ins.map((x) => x.node.layer.name).join(', ');
        throw new Error(`${where}: the graph is disconnected: outputs[${k}] (${describeTensor(output)}) depends on ${node.layer.name} (${node.layer.className}), which is not one of the model's inputs (${names}); pass it in inputs, or build the output from those inputs`);
      }
      stack.push({ node, next: 0 });
    };
    visit(output.node);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!inputNodes.has(top.node) && top.next < top.node.inputs.length) {
        visit(top.node.inputs[top.next++].node);
      } else {
        stack.pop();
        done.add(top.node);
        order.push(top.node);
      }
    }
  }
  for (const x of ins) {
    if (!done.has(x.node)) {
      done.add(x.node);
      order.unshift(x.node);
    }
  }

  // Depth: 0 for the nodes of the outputs, one more than the deepest node reading from it for the others.
  const depth = new Map<Node, number>(order.map((n) => [n, 0]));
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (inputNodes.has(node)) continue;
    for (const x of node.inputs) depth.set(x.node, Math.max(depth.get(x.node)!, depth.get(node)! + 1));
  }
  const position = new Map(order.map((n, i) => [n, i]));
  const nodes = [...order].sort((a, b) => depth.get(b)! - depth.get(a)! || position.get(a)! - position.get(b)!);
  const layerDepth = new Map<Layer, number>();
  const firstSeen = new Map<Layer, number>();
  nodes.forEach((n, i) => {
    layerDepth.set(n.layer, Math.max(layerDepth.get(n.layer) ?? 0, depth.get(n)!));
    if (!firstSeen.has(n.layer)) firstSeen.set(n.layer, i);
  });
  const layers = [...firstSeen.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
  const names = new Map<string, Layer>();
  for (const layer of layers) {
    const other = names.get(layer.name);
    if (other && other !== layer) throw new Error(`${where}: two different layers are named '${layer.name}' (${other.className} and ${layer.className}); layer names in a model must be unique`);
    names.set(layer.name, layer);
  }
  return { inputs: ins, outputs: outs, nodes, layers };
}

/** True for a model used as a layer (Model, Sequential). */
export function isModelLayer(layer: Layer): boolean {
  return layer.className === 'Model' || layer.className === 'Sequential';
}

/**
 * The index of `node` among its layer's nodes that are in `nodes` (a
 * model's): the node index a model file and the summary use. Keras and
 * TF.js count a nested model's applications from 1, its node 0 being the
 * model's own graph, so a model's first application is node 1.
 */
export function nodeIndexAmong(nodes: readonly Node[], node: Node): number {
  let k = isModelLayer(node.layer) ? 1 : 0;
  for (const n of node.layer.inboundNodes) {
    if (n === node) return k;
    if (nodes.includes(n)) k++;
  }
  return -1;
}

const childSlots = new WeakMap<object, WeakMap<Node, object>>();

/** The slot a node runs under: the node itself at the top, else one made from the enclosing application's slot. */
function slotOf(parent: object | undefined, node: Node): object {
  if (parent === undefined) return node;
  let children = childSlots.get(parent);
  if (!children) childSlots.set(parent, (children = new WeakMap()));
  let slot = children.get(node);
  if (!slot) children.set(node, (slot = {}));
  return slot;
}

export interface RunContext {
  training: boolean;
  /** The slot of the enclosing application when this graph runs inside another model. */
  slot?: object;
}

/** Runs the graph on `feeds` (one tensor per input, already checked) and returns the outputs and their masks. */
export function runGraph(
  graph: Graph, feeds: readonly Tensor[], context: RunContext, feedMasks: ReadonlyArray<FloatArray | null> = [],
): { outputs: Tensor[]; masks: Array<FloatArray | null> } {
  const values = new Map<SymbolicTensor, Tensor>();
  const masks = new Map<SymbolicTensor, FloatArray | null>();
  graph.inputs.forEach((x, i) => {
    values.set(x, feeds[i]);
    masks.set(x, feedMasks[i] ?? null);
  });
  for (const node of graph.nodes) {
    if (node.inputs.length === 0) continue;
    const inputs = node.inputs.map((x) => values.get(x)!);
    const run = node.layer.invoke(inputs, node.inputs.map((x) => masks.get(x) ?? null), {
      training: context.training, mask: null, slot: slotOf(context.slot, node),
    });
    if (run.outputs.length !== node.outputs.length) {
      throw new Error(`${node.layer.name} (${node.layer.className}) gave ${run.outputs.length} outputs where its node has ${node.outputs.length}`);
    }
    node.outputs.forEach((y, i) => {
      values.set(y, run.outputs[i]);
      masks.set(y, run.masks[i] ?? null);
    });
  }
  return { outputs: graph.outputs.map((y) => values.get(y)!), masks: graph.outputs.map((y) => masks.get(y) ?? null) };
}

/** The output shapes for inputs of these shapes (batch first), through every node. */
export function inferShapes(graph: Graph, inputShapes: readonly ShapeSpec[]): ShapeSpec[] {
  const shapes = new Map<SymbolicTensor, ShapeSpec>();
  graph.inputs.forEach((x, i) => shapes.set(x, inputShapes[i]));
  for (const node of graph.nodes) {
    if (node.inputs.length === 0) continue;
    const out = node.layer.outputShapes(node.inputs.map((x) => shapes.get(x)!));
    node.outputs.forEach((y, i) => shapes.set(y, out[i]));
  }
  return graph.outputs.map((y) => shapes.get(y)!);
}

/** `t` fits `x` when the ranks agree and every known dimension but the batch matches; returns what does not fit, or null. */
export function shapeMismatch(t: Tensor, x: SymbolicTensor, checkDims: boolean): string | null {
  if (t.rank !== x.rank) return `rank ${t.rank} (${formatShape(t.shape)}) where ${formatShapeSpec(x.shape)} has rank ${x.rank}`;
  if (!checkDims) return null;
  // The batch axis is free, as Keras's input_spec leaves it: data is cut into batches, and a stateful layer checks its own batch size.
  const axes = x.shape.flatMap((d, i) => (i > 0 && d !== null && d !== t.shape[i] ? [i] : []));
  if (axes.length === 0) return null;
  return axes.map((i) => `axis ${i} is ${t.shape[i]}, not ${x.shape[i]}`).join('; ');
}
