// check: a value check that works under every transform (checkify.ts collects and reports them).
// `check(x, ok, params)` passes `x` through; its impl works out whether every entry of the bool
// `ok` is true (on WASM and CPU by reading a small `ok` outright, elsewhere as a flag computed on
// the device) and hands that (with x and ok when it may have failed, to name the first failure
// later) to the collector. NOTE: effectful, so jit never drops it as dead code, even when `x` goes unused.
import { DTypeError, formatShape, sameShape, ShapeError, ValueError, type AnyTensor } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { recordCheck, type CheckParams } from "../checkify.js";
import { withBatchAxis } from "./broadcast.js";
import { equal, sub } from "./elementwise.js";

export const checkP: Primitive<CheckParams> = definePrimitive<CheckParams>({
  name: "check",
  effectful: true,
  abstractEval([x, ok], p) {
    if (typeof p.op !== "string" || typeof p.message !== "string" || typeof p.expected !== "string") {
      throw new ValueError(
        { op: "check", expected: "{ op, message, expected } strings", got: JSON.stringify(p) ?? String(p) },
        `check: params must be { op, message, expected } strings, got ${JSON.stringify(p) ?? String(p)}`,
      );
    }
    if (ok.dtype !== "bool") {
      throw new DTypeError(
        { op: "check", expected: "bool", got: ok.dtype },
        `check (${p.op}): the predicate must be bool, got ${ok.dtype}`,
      );
    }
    if (!sameShape(ok.shape, x.shape)) {
      throw new ShapeError(
        { op: "check", expected: formatShape(x.shape), got: formatShape(ok.shape) },
        `check (${p.op}): the predicate ${formatShape(ok.shape)} must have the checked value's shape ${formatShape(x.shape)}`,
      );
    }
    return x;
  },
  impl([x, ok], p) {
    // NOTE: at most one kernel per check (all); which entry failed is worked out only when one did
    recordCheck(x, ok, p);
    return x;
  },
  jvp: (_primals, [xDot]) => xDot,
  vjp: (yBar) => [yBar, null],
  batch([x, ok], [xBatched, okBatched], p, n) {
    return bind(checkP, [xBatched ? x : withBatchAxis(x, n), okBatched ? ok : withBatchAxis(ok, n)], p);
  },
});

/**
 * `x`, checked: every entry of the bool `ok` (shaped like `x`) must be true, else the check fails
 * with `params.message` (which may name the first failing entry's {value}, {index}, {position}
 * and the {count} of failures). Works eagerly (throws at once), and under jit, vmap and grad,
 * where the failure is reported after the call (see `checkify`).
 * ```ts
 * const safe = check(labels, inRange, { op: "myLoss", message: "label {value} at index {index} is out of range", expected: "labels in 0..9" });
 * ```
 */
export function check(x: AnyTensor, ok: AnyTensor, params: CheckParams): AnyTensor {
  return bind(checkP, [x, ok], { op: params.op, message: params.message, expected: params.expected });
}

/** True where `x` is finite (not NaN or ±Infinity): `x - x == 0`. */
export function finiteMask(x: AnyTensor): AnyTensor {
  if (x.dtype !== "float32")
    throw new DTypeError({ op: "finiteMask", expected: "float32", got: x.dtype }, `finiteMask: expects float32, got ${x.dtype}`);
  return equal(sub(x, x), 0);
}
