// The runtime side of the functional API: symbolic nodes (an input, a layer applied to a node,
// a merge of nodes), their shapes with symbolic dims, and the graph walk `FunctionalModel` runs.
//
// NOTE: symbolic dims ("batch") have no size until apply. As in probe.ts, every node's shape is
// computed twice with large, distinct probe sizes per symbol (runs a and b): a dim equal to the
// probe in both runs *is* that symbol, a dim that differs otherwise derives from one ("?"). The
// symbol table is shared by all nodes, so "batch" of two inputs is the same symbol. A third run
// (symbols as 1) gives the shapes parameters are made for, as `Model.init` uses.
import { formatShape, reworded, ShapeError as ShapeErrorClass, ValueError, type DType } from "../tensor/index.js";
import type { Layer } from "./layer.js";
import type { InputDim } from "./probe.js";

const PROBE = 1 << 20;
const probeSize = (symbol: number, run: 0 | 1) => (run === 0 ? PROBE + 2 * symbol : 3 * PROBE + 2 * symbol + 1);
const symbols: string[] = [];
const symbolIndex = (name: string): number => {
  const i = symbols.indexOf(name);
  if (i >= 0) return i;
  symbols.push(name);
  return symbols.length - 1;
};

/** A message from run a with every probe size replaced by its symbol ("?" for sizes derived from one). */
function nameMessage(a: string, b: string | undefined): string {
  const ta = a.split(/(\d+)/);
  const tb = b?.split(/(\d+)/);
  return ta
    .map((t, i) => {
      if (i % 2 === 0) return t;
      const s = symbols.findIndex((_, j) => Number(t) === probeSize(j, 0));
      if (s >= 0) return symbols[s];
      return tb && tb.length === ta.length && tb[i] !== t ? "?" : t;
    })
    .join("");
}

/** The shapes of a node: run a, run b (probe sizes per symbol) and the small run (symbols as 1; absent when a layer rejects it). */
export interface NodeShapes {
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly small?: readonly number[];
}

/** What a node computes: a graph input, a layer applied to one node, or a merge of several. */
export type NodeOp =
  | { readonly kind: "input"; readonly name: string; readonly dtype: DType }
  | { readonly kind: "layer"; readonly layer: Layer; readonly name?: string; readonly parent: GraphNode }
  | { readonly kind: "merge"; readonly merge: "add" | "concat"; readonly axis: number; readonly parents: readonly GraphNode[] };

/** What a node is made of: its op and its shapes (the typed `Node` of functional.ts is constructed from them). */
export type NodeParts = [NodeOp, NodeShapes];

let nextId = 0;

/** A symbolic value of a functional model: what it computes and its shapes (the typed `Node` wraps it). */
export class GraphNode {
  /** A process-wide number: stable order for nodes made one after another. */
  readonly id = nextId++;
  /** The shape with symbolic dims by name ("?" for sizes derived from them). */
  readonly shape: InputDim[];
  constructor(
    /** What the node computes: an input, a layer applied to a node, or a merge. */
    readonly op: NodeOp,
    /** Its shapes at the probe sizes (runs a and b) and with symbolic dims as 1 (for params). */
    readonly shapes: NodeShapes,
  ) {
    this.shape = shapes.a.map((d, i) => {
      const k = symbols.findIndex((_, n) => d === probeSize(n, 0) && shapes.b[i] === probeSize(n, 1));
      return k >= 0 ? symbols[k] : d === shapes.b[i] ? d : "?";
    });
  }

  /** The nodes this one reads. */
  get parents(): readonly GraphNode[] {
    return this.op.kind === "input" ? [] : this.op.kind === "layer" ? [this.op.parent] : this.op.parents;
  }
}

/** The node of a graph input (dims: sizes, or names for sizes known at apply). */
export function inputNode(name: string, shape: readonly InputDim[], dtype: DType): NodeParts {
  const run = (r: 0 | 1) => shape.map((d) => (typeof d === "number" ? d : probeSize(symbolIndex(d), r)));
  return [
    { kind: "input", name, dtype },
    { a: run(0), b: run(1), small: shape.map((d) => (typeof d === "number" ? d : 1)) },
  ];
}

/** Runs `f` on the shapes of runs a and b (and small); an error reads with the symbolic dims. */
function shapesOf(f: (run: readonly (readonly number[])[]) => number[], inputs: readonly NodeShapes[]): NodeShapes {
  let a: number[];
  try {
    a = f(inputs.map((s) => s.a));
  } catch (e) {
    let b: string | undefined;
    try {
      f(inputs.map((s) => s.b));
    } catch (eb) {
      b = (eb as Error).message;
    }
    throw reworded(e, nameMessage((e as Error).message, b));
  }
  const b = f(inputs.map((s) => s.b));
  let small: number[] | undefined;
  if (inputs.every((s) => s.small !== undefined)) {
    try {
      small = f(inputs.map((s) => s.small!));
    } catch {
      small = undefined;
    }
  }
  return { a, b, small };
}

/** The node of `layer` applied to `parent`; throws the layer's message (symbolic dims by name) when it does not fit. */
export function layerNode(layer: Layer, parent: GraphNode, name: string | undefined): NodeParts {
  const shapes = shapesOf(([s]) => layer.outputShape(s), [parent.shapes]);
  if (layer.needsKey) {
    const last = parent.shapes.a.length - 1;
    if (last >= 0 && parent.shapes.a[last] !== parent.shapes.b[last]) {
      throw new ValueError(
        { op: "pipe", expected: "a number for the last input dim", got: formatShape(parent.shape) },
        `pipe: ${layer.name} needs a known size for the last dim of its input ${formatShape(parent.shape)}; give it as a number in nn.input(...)`,
      );
    }
  }
  return [{ kind: "layer", layer, name, parent }, shapes];
}

/** The shape `nn.add` gives equal shapes; throws naming the merge and both shapes. */
function addShape(shapes: readonly (readonly number[])[]): number[] {
  const first = shapes[0];
  for (const s of shapes.slice(1)) {
    const bad = s.length !== first.length ? -1 : s.findIndex((d, i) => d !== first[i]);
    if (s.length !== first.length || bad >= 0) {
      const why = bad < 0 ? "different ranks" : `differ at axis ${bad} (${first[bad]} vs ${s[bad]})`;
      throw new ShapeErrorClass(
        { op: "nn.add", expected: formatShape(first), got: formatShape(s) },
        `nn.add: shapes ${formatShape(first)} and ${formatShape(s)} ${bad < 0 ? "have " : ""}${why}`,
      );
    }
  }
  return [...first];
}

/** The shape `nn.concat` gives (axis normalised); throws naming the merge and both shapes. */
function concatShape(shapes: readonly (readonly number[])[], axis: number): number[] {
  const first = shapes[0];
  const rank = first.length;
  const i = axis < 0 ? axis + rank : axis;
  if (!(i >= 0 && i < rank)) {
    throw new ShapeErrorClass(
      { op: "nn.concat", expected: `an axis in -${rank}..${rank - 1}`, got: String(axis) },
      `nn.concat: axis ${axis} is out of range for ${formatShape(first)} (rank ${rank})`,
    );
  }
  const out = [...first];
  for (const s of shapes.slice(1)) {
    if (s.length !== rank) {
      throw new ShapeErrorClass(
        { op: "nn.concat", expected: `rank ${rank}`, got: formatShape(s) },
        `nn.concat: all shapes need rank ${rank}, got ${formatShape(first)} and ${formatShape(s)}`,
      );
    }
    const bad = s.findIndex((d, j) => j !== i && d !== first[j]);
    if (bad >= 0) {
      throw new ShapeErrorClass(
        { op: "nn.concat", expected: formatShape(first), got: formatShape(s) },
        `nn.concat: dims differ at axis ${bad} (${first[bad]} vs ${s[bad]}) in ${formatShape(first)} and ${formatShape(s)}; only axis ${i} may differ`,
      );
    }
    out[i] += s[i];
  }
  return out;
}

/** The shape a merge gives (`add`: equal shapes; `concat`: joined on `axis`); throws naming the merge and the shapes. */
export function mergeShape(merge: "add" | "concat", shapes: readonly (readonly number[])[], axis: number): number[] {
  return merge === "add" ? addShape(shapes) : concatShape(shapes, axis);
}

/** The node merging `parents` (`nn.add`: equal shapes; `nn.concat`: joined on `axis`). */
export function mergeNode(merge: "add" | "concat", parents: readonly GraphNode[], axis: number): NodeParts {
  const shapes = shapesOf(
    (s) => mergeShape(merge, s, axis),
    parents.map((p) => p.shapes),
  );
  const rank = parents[0].shapes.a.length;
  return [{ kind: "merge", merge, axis: axis < 0 ? axis + rank : axis, parents }, shapes];
}

/** The nodes `outputs` depend on, each after the nodes it reads (inputs first, then by creation). */
export function topoOrder(outputs: readonly GraphNode[]): GraphNode[] {
  const seen = new Set<GraphNode>();
  const all: GraphNode[] = [];
  const visit = (n: GraphNode) => {
    if (seen.has(n)) return;
    seen.add(n);
    n.parents.forEach(visit);
    all.push(n);
  };
  outputs.forEach(visit);
  // NOTE: a node is made after the nodes it reads, so creation order is a topological order
  return all.sort((x, y) => x.id - y.id);
}

/** The shape parameters are made for: the small run when every layer accepts it, else run a. */
export function paramShape(n: GraphNode): readonly number[] {
  return n.shapes.small ?? n.shapes.a;
}
