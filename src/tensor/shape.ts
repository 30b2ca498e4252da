// Shape helpers shared by every folder. No tfjs here, so data/ can use them too.

/** `[10, 784]`, the way shapes are printed in error messages. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

/** Product of the dims: the number of values a shape holds. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function sameShape(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
