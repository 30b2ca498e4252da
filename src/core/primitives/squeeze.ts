// Inserting and removing size-1 axes: composites of reshape (no primitive of their own).
import { formatShape, type AnyTensor, ShapeError, ValueError, describeValue } from "../../tensor/index.js";
import { reshape } from "./shape.js";

/**
 * `x` with a new axis of size 1 at `axis`, in -(rank+1)..rank (-1 appends it last).
 * ```ts
 * expandDims(x, -1);   // [B, 10] -> [B, 10, 1]
 * ```
 */
export function expandDims(x: AnyTensor, axis: number): AnyTensor {
  const s = x.shape;
  const rank = s.length;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new ShapeError(
      { op: "expandDims", expected: `an axis in ${-(rank + 1)}..${rank}`, got: String(axis) },
      `expandDims: axis ${axis} is out of range for ${formatShape(s)} (rank ${rank}; expected ${-(rank + 1)}..${rank})`,
    );
  }
  const a = axis < 0 ? axis + rank + 1 : axis;
  return reshape(x, [...s.slice(0, a), 1, ...s.slice(a)]);
}

/**
 * `x` without the given size-1 axes (negative counts from the end), or without every size-1
 * axis when none are given.
 * ```ts
 * squeeze(x);        // [B, 1, 10] -> [B, 10]
 * squeeze(x, -1);    // [B, 10, 1] -> [B, 10]
 * ```
 */
export function squeeze(x: AnyTensor, axes?: number | readonly number[]): AnyTensor {
  const s = x.shape;
  const rank = s.length;
  let drop: Set<number>;
  if (axes === undefined) {
    drop = new Set(s.flatMap((d, i) => (d === 1 ? [i] : [])));
  } else {
    if (typeof axes !== "number" && !Array.isArray(axes)) {
      const got = describeValue(axes);
      throw new ValueError(
        { op: "squeeze", expected: "an axis or a list of axes", got },
        `squeeze: expected an axis or a list of axes, got ${got}`,
      );
    }
    const list: readonly number[] = typeof axes === "number" ? [axes] : axes;
    drop = new Set();
    for (const axis of list) {
      if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
        throw new ShapeError(
          { op: "squeeze", expected: `an axis in ${-rank}..${rank - 1}`, got: String(axis) },
          `squeeze: axis ${axis} is out of range for ${formatShape(s)} (rank ${rank})`,
        );
      }
      const a = axis < 0 ? axis + rank : axis;
      if (s[a] !== 1)
        throw new ShapeError(
          { op: "squeeze", expected: `size 1 at axis ${a}`, got: String(s[a]) },
          `squeeze: axis ${a} has size ${s[a]}, expected 1 (shape ${formatShape(s)})`,
        );
      drop.add(a);
    }
  }
  return reshape(
    x,
    s.filter((_, i) => !drop.has(i)),
  );
}
