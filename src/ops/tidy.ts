// Memory scopes for eager code. Inside a transform (grad, vmap, jit) there is nothing to free:
// the transform owns its values, so `tidy` just runs the function.
import { scoped, leafTensors } from "../core/index.js";
import { ValueError } from "../tensor/index.js";

/**
 * Runs `fn` in a memory scope: every tensor made inside is freed on return, except the
 * tensors in the returned tree (a tensor, array, record, ...), which the caller now owns.
 * ```ts
 * const loss = tidy(() => mean(square(sub(predict(params, x), y))));   // intermediates freed
 * ```
 */
export function tidy<T>(fn: () => T): T {
  return scoped(() => {
    const out = fn();
    if (out instanceof Promise)
      throw new ValueError(
        { op: "tidy", expected: "a synchronous function", got: "a Promise" },
        "tidy: fn must be synchronous, got a function that returned a Promise",
      );
    return out;
  }, leafTensors);
}
