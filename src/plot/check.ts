import { refused, ValueError } from "../tensor/errors.js";
// Input checks shared by the plots: errors name the plot, the series and the counts.

/** Numbers of a series, checked to be an array-like of numbers; NaN and ±Infinity become null (a gap). */
export function seriesValues(where: string, name: string, values: unknown): (number | null)[] {
  if (values === null || typeof values !== "object" || typeof (values as ArrayLike<unknown>).length !== "number") {
    throw refused(where, `series "${name}" must be an array of numbers`, `${describe(values)}`);
  }
  const list = Array.from(values as ArrayLike<unknown>);
  return list.map((v, i) => {
    if (typeof v !== "number")
      throw new ValueError(
        { op: where, expected: `numbers in series "${name}"`, got: `${describe(v)} at index ${i}` },
        `${where}: series "${name}" has a non-number at index ${i}: ${describe(v)}`,
      );
    return Number.isFinite(v) ? v : null;
  });
}

export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
  } catch {
    return String(value);
  }
}
