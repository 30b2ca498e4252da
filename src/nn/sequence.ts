// A list of layers run one after another, at run time: their shapes, params, state and forward
// pass. The one runtime fold behind `Model` and the combinators (`chain`, `residual`,
// `concatBranches`), as `Chain` (layer.ts) is the one type-level fold.
import type { AnyTensor } from "../tensor/index.js";
import { foldIn, split } from "../random/index.js";
import type { ApplyContext, Key, Layer } from "./layer.js";
import { ValueError } from "../tensor/index.js";

/** The layer itself, or an error saying what came instead (`where`: "add", "sequential: argument 2"). */
export function expectLayer(where: string, l: unknown): Layer {
  if (isLayer(l)) return l;
  // a factory passed uncalled (`nn.relu` for `nn.relu()`) is the likely mistake: name it
  const what = typeof l === "function" ? `a function (call it: nn.${l.name}(), not nn.${l.name})` : l === null ? "null" : typeof l;
  throw new ValueError({ op: where, expected: "a layer", got: what }, `${where}: expected a layer, got ${what}`);
}

function isLayer(l: unknown): l is Layer {
  if (l === null || typeof l !== "object") return false;
  const { outputShape, apply } = l as Partial<Layer>;
  return typeof outputShape === "function" && typeof apply === "function";
}

/** Shapes before and after every layer; throws the first layer's own message when one does not fit. */
export function layerShapes(layers: readonly Layer[], inShape: readonly number[]): number[][] {
  const out = [[...inShape]];
  for (const l of layers) out.push(l.outputShape(out[out.length - 1]));
  return out;
}

/** Fresh params, one tree per layer; each layer gets its own key split from `key`. */
export function initLayers(layers: readonly Layer[], key: Key, shapes: readonly (readonly number[])[]): unknown[] {
  const keys = split(key, Math.max(layers.length, 1));
  return layers.map((l, i) => l.init(keys[i], shapes[i]));
}

/** Fresh state, one tree per layer (`{}` for stateless layers). */
export function initLayerStates(layers: readonly Layer[], shapes: readonly (readonly number[])[]): unknown[] {
  return layers.map((l, i) => l.initState(shapes[i]));
}

/**
 * The forward pass through the layers: the output and the new state tuple. Layer i gets
 * `params[i]`, `state[i]` (`{}` when absent) and the key folded with i. Each layer checks the
 * shape it gets first, so a mismatch reads as the layer's own message, not a primitive's.
 */
export function applyLayers(
  layers: readonly Layer[],
  params: readonly unknown[],
  x: AnyTensor,
  ctx: ApplyContext<readonly unknown[]>,
): [AnyTensor, unknown[]] {
  let h = x;
  const next: unknown[] = [];
  layers.forEach((l, i) => {
    l.outputShape(h.shape);
    const [y, s] = l.apply(params[i], h, {
      training: ctx.training,
      key: ctx.key === undefined ? undefined : foldIn(ctx.key, i),
      state: ctx.state?.[i] ?? {},
      mask: ctx.mask,
    });
    h = y;
    next.push(s);
  });
  return [h, next];
}
