// The error classes of the library: what a user can catch. Each names the op and both sides
// (what was expected, what came), so a program can react to the kind and a person can read the
// message. No tfjs here, so every folder (data too) can throw them.

/** The op, the expected value and the value that came, as short texts ("[2, 3]", "float32"). */
export interface ErrorParts {
  /** The op, layer or function that refused its input ("add", "conv2d(32, 3x3)", "fit"). */
  readonly op: string;
  /** What it needed ("[2, 3]", "float32", "labels in 0..9"). */
  readonly expected: string;
  /** What came instead ("[3]", "int32", "12 at index 3"). */
  readonly got: string;
}

/**
 * Every error shapeflow throws on bad input. `message` is the full text; `op`, `expected` and
 * `got` are its parts, for programs.
 * ```ts
 * try { add(ones([2]), ones([3])); } catch (e) {
 *   if (e instanceof ShapeError) console.log(e.op, e.expected, e.got);   // "add" "[2]" "[3]"
 * }
 * ```
 */
export class ShapeflowError extends Error {
  /** The op, layer or function that refused its input ("add", "conv2d(32, 3x3)", "fit"). */
  readonly op: string;
  /** What it needed ("[2, 3]", "float32", "labels in 0..9"). */
  readonly expected: string;
  /** What came instead ("[3]", "int32", "12 at index 3"). */
  readonly got: string;

  /** `message` defaults to `op: expected <expected>, got <got>`; `cause` is the error underneath, if any. */
  constructor(parts: ErrorParts, message?: string, options?: { cause?: unknown }) {
    super(message ?? `${parts.op}: expected ${parts.expected}, got ${parts.got}`, options);
    this.op = parts.op;
    this.expected = parts.expected;
    this.got = parts.got;
  }
}

/** A shape that does not fit: wrong rank, dims that differ, shapes that do not broadcast, a size too large. */
export class ShapeError extends ShapeflowError {}

/** A dtype that does not fit (int32 where float32 is needed, dtypes that differ). */
export class DTypeError extends ShapeflowError {}

/** A value that does not fit: not a tensor, NaN in data, a label out of range, a bad option. */
export class ValueError extends ShapeflowError {}

// NOTE: `name` on the prototype, not a class field: it survives minification and stays off the
// instance (test runners and loggers print the own fields).
for (const [cls, name] of [
  [ShapeflowError, "ShapeflowError"],
  [ShapeError, "ShapeError"],
  [DTypeError, "DTypeError"],
  [ValueError, "ValueError"],
] as const) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/** How a value that is not what an op wanted reads in a message: "null", "a plain object", "a Map", "number". */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") {
    const proto: unknown = Object.getPrototypeOf(x);
    return proto === Object.prototype || proto === null ? "a plain object" : `a ${x.constructor?.name ?? "object"}`;
  }
  return typeof x;
}

/**
 * The same error reworded (a prefix naming the layer, say): a ShapeflowError keeps its class and
 * parts, so rewording never turns a ShapeError into a plain Error; anything else becomes an Error.
 */
export function reworded(e: unknown, message: string): Error {
  if (e instanceof ShapeflowError) {
    const Kind = e.constructor as new (parts: ErrorParts, message?: string) => ShapeflowError;
    const out = new Kind({ op: e.op, expected: e.expected, got: e.got }, message);
    out.cause = e;
    return out;
  }
  return new Error(message, { cause: e });
}

/**
 * Throws unless `opts` is an options object (or undefined, unless `required`): `null`, a number or
 * an array would fail later as a TypeError.
 */
export function expectOptions(op: string, opts: unknown, required = false): void {
  if ((required || opts !== undefined) && (typeof opts !== "object" || opts === null || Array.isArray(opts))) {
    const got = describeValue(opts);
    throw new ValueError({ op, expected: "an options object", got }, `${op}: expected an options object, got ${got}`);
  }
}

/**
 * The error for `op` refusing a value, worded `op: <expected>, got <got>` (e.g. "split: fraction
 * must be in (0, 1), got 2"); `Kind` picks the class (ValueError unless a shape or dtype is at fault).
 */
export function refused(op: string, expected: string, got: string, Kind: typeof ShapeflowError = ValueError): ShapeflowError {
  return new Kind({ op, expected, got }, `${op}: ${expected}, got ${got}`);
}
