// Axis arguments as ops take them: one axis or a list, negative counting from the end.
import type { Shape, NormalizeAxis } from "./shape.js";

/** The normalized axes of `Axes` for shape S as a union, or `{ bad: axis }` for the first one out of range. */
export type ResolveAxes<S extends Shape, Axes extends number | readonly number[]> = Axes extends number
  ? ResolveList<S, [Axes]>
  : Axes extends readonly number[]
    ? ResolveList<S, Axes>
    : never;
type ResolveList<S extends Shape, Axes extends readonly number[], Acc extends number = never> = Axes extends readonly [
  infer A extends number,
  ...infer Rest extends number[],
]
  ? [NormalizeAxis<S, A>] extends [never]
    ? { bad: A }
    : ResolveList<S, Rest, Acc | NormalizeAxis<S, A>>
  : Acc;

/** true when Axes is a literal axis or a tuple of them (so the result rank is known). */
export type KnownAxes<Axes> = Axes extends number
  ? number extends Axes
    ? false
    : true
  : Axes extends readonly number[]
    ? number extends Axes["length"]
      ? false
      : number extends Axes[number]
        ? false
        : true
    : false;
