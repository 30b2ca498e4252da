// Reverse mode: a tape of primitive applications per trace level; the backward pass runs each
// primitive's vjp rule, which binds primitives one level down, so it can be differentiated again.
import * as tf from "@tensorflow/tfjs-core";
import {
  Concrete,
  formatShape,
  sameShape,
  type AnyTensor,
  type Tensor,
  type TfTensor,
  describeValue,
  DTypeError,
  ShapeError,
  ValueError,
} from "../tensor/index.js";
import { flatten, unflatten } from "../tree/index.js";
import { bind, bindMulti, scoped, Tracer, withTrace, type Trace } from "./trace.js";
import type { MultiPrimitive, Primitive } from "./primitive.js";
import { add } from "./primitives/elementwise.js";
import { zerosLike, onesLike } from "./primitives/broadcast.js";
import { call, expectFunction, leafTensors, type AnyFunction } from "./util.js";

interface Node {
  /** One tracer per output (null: an output with no derivative, such as an int32 one). */
  readonly outs: readonly (GradTracer | null)[];
  readonly inputs: readonly (GradTracer | null)[];
  /** Input cotangents from the output cotangents (null = zero). */
  readonly vjp: (cts: readonly (AnyTensor | null)[]) => readonly (AnyTensor | null)[];
  /** Values the vjp reads (kept alive for a later pullback). */
  readonly residuals: readonly AnyTensor[];
  readonly name: string;
}

export class GradTrace implements Trace {
  readonly kind = "grad";
  alive = true;
  readonly tape: Node[] = [];
  constructor(readonly level: number) {}

  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor {
    const values = args.map((a) => this.unwrap(a));
    const out = bind(prim, values, params);
    const inputs = args.map((a) => (a instanceof GradTracer && a.trace === this && a.dtype === "float32" ? a : null));
    if (out.dtype !== "float32" || inputs.every((i) => i === null)) return out;
    const tracer = new GradTracer(this, out);
    this.tape.push({
      outs: [tracer],
      inputs,
      vjp: ([ct]) => prim.vjp(ct!, values, params, out),
      residuals: [...values, out],
      name: prim.name,
    });
    return tracer;
  }

  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
    const values = args.map((a) => this.unwrap(a));
    const inputs = args.map((a) => (a instanceof GradTracer && a.trace === this && a.dtype === "float32" ? a : null));
    if (inputs.every((i) => i === null)) return bindMulti(prim, values, params);
    const r = prim.vjp(
      values,
      inputs.map((i) => i !== null),
      params,
    );
    const outs = r.outs.map((o) => (o.dtype === "float32" ? new GradTracer(this, o) : null));
    this.tape.push({ outs, inputs, vjp: r.pullback, residuals: [...values, ...r.outs, ...r.residuals], name: prim.name });
    return r.outs.map((o, i) => outs[i] ?? o);
  }

  /**
   * Records a function with its own reverse rule (customVjp, remat): `outs` are its outputs
   * (values one level down), `vjp` maps their cotangents (null = zero) to the inputs' cotangents.
   */
  recordMulti(
    outs: readonly AnyTensor[],
    inputs: (GradTracer | null)[],
    vjp: Node["vjp"],
    residuals: AnyTensor[],
    name: string,
  ): AnyTensor[] {
    const tracers = outs.map((o) => (o.dtype === "float32" ? new GradTracer(this, o) : null));
    this.tape.push({ outs: tracers, inputs, vjp, residuals, name });
    return outs.map((o, i) => tracers[i] ?? o);
  }

  unwrap(x: AnyTensor): AnyTensor {
    return x instanceof GradTracer && x.trace === this ? x.value : x;
  }

  /** Records an application with a hand-written vjp (customVjp). */
  record(
    out: AnyTensor,
    inputs: (GradTracer | null)[],
    vjp: (ct: AnyTensor) => readonly (AnyTensor | null)[],
    residuals: AnyTensor[],
    name: string,
  ): AnyTensor {
    const tracer = new GradTracer(this, out);
    this.tape.push({ outs: [tracer], inputs, vjp: ([ct]) => vjp(ct!), residuals, name });
    return tracer;
  }

  /** Cotangents of the given tracers, from seeds on the outputs. */
  backward(seeds: Map<GradTracer, AnyTensor>): Map<GradTracer, AnyTensor> {
    const cts = new Map(seeds);
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const node = this.tape[i];
      let any = false;
      const outCts = node.outs.map((o) => {
        const c = o === null ? undefined : cts.get(o);
        if (c === undefined) return null;
        any = true;
        cts.delete(o!);
        return c;
      });
      if (!any) continue;
      const inCts = node.vjp(outCts);
      node.inputs.forEach((input, j) => {
        const c = inCts[j];
        if (input === null || c === null || c === undefined) return;
        if (!sameShape(c.shape, input.shape)) {
          throw new Error(
            `internal: vjp of ${node.name} gave a cotangent of shape ${formatShape(c.shape)} for input ${j} of shape ${formatShape(input.shape)}`,
          );
        }
        const prev = cts.get(input);
        cts.set(input, prev === undefined ? c : add(prev, c));
      });
    }
    return cts;
  }
}

export class GradTracer extends Tracer {
  constructor(
    override readonly trace: GradTrace,
    readonly value: AnyTensor,
  ) {
    super(trace, { shape: value.shape, dtype: value.dtype });
  }
  concrete(): TfTensor {
    return this.value.concrete();
  }
}

export interface VjpResult {
  /** f's output tree, with values (no tracers of this transform). */
  out: unknown;
  /** Cotangents of every input leaf, given cotangents of the output leaves (null = zero). */
  pullback(outCts: readonly (AnyTensor | null)[]): AnyTensor[];
  inputDef: ReturnType<typeof flatten>[1];
  residuals(): AnyTensor[];
}

/** Traces `f(...args)` for reverse mode over every tensor leaf of `args`. */
export function vjpCore(f: AnyFunction, args: readonly unknown[], hasAux = false): VjpResult & { aux: unknown } {
  return withTrace(
    (level) => new GradTrace(level),
    (t) => {
      const trace = t as GradTrace;
      const [leaves, def] = flatten(args);
      const inTracers = leaves.map((l) => new GradTracer(trace, l));
      const result = call(f, unflatten<unknown[]>(def, inTracers));
      let out = result;
      let aux: unknown = undefined;
      if (hasAux) {
        if (!Array.isArray(result) || result.length !== 2)
          throw new ValueError(
            {
              op: "hasAux",
              expected: "[output, aux]",
              got: Array.isArray(result) ? `an array of ${(result as unknown[]).length}` : describeValue(result),
            },
            "hasAux: the function must return [output, aux]",
          );
        [out, aux] = result;
        const [auxLeaves, auxDef] = flatten(aux);
        aux = unflatten(
          auxDef,
          auxLeaves.map((l) => trace.unwrap(l)),
        );
      }
      const [outLeaves, outDef] = flatten(out);
      const outValues = outLeaves.map((l) => trace.unwrap(l));
      return {
        out: unflatten(outDef, outValues),
        aux,
        inputDef: def,
        pullback(outCts) {
          if (outCts.length !== outLeaves.length)
            throw new ValueError(
              { op: "vjp", expected: `${outLeaves.length} output cotangents`, got: String(outCts.length) },
              `vjp: expected ${outLeaves.length} output cotangents, got ${outCts.length}`,
            );
          const seeds = new Map<GradTracer, AnyTensor>();
          outLeaves.forEach((o, i) => {
            const c = outCts[i];
            if (c === null || !(o instanceof GradTracer) || o.trace !== trace) return;
            if (!sameShape(c.shape, o.shape)) {
              throw new ShapeError(
                { op: "vjp", expected: formatShape(o.shape), got: formatShape(c.shape) },
                `vjp: cotangent ${i} has shape ${formatShape(c.shape)}, expected ${formatShape(o.shape)}`,
              );
            }
            const prev = seeds.get(o);
            seeds.set(o, prev === undefined ? c : add(prev, c));
          });
          const cts = trace.backward(seeds);
          return inTracers.map((t) => cts.get(t) ?? zerosLike(t));
        },
        residuals: () => trace.tape.flatMap((n) => n.residuals),
      };
    },
  );
}

/** Options of `grad` and `valueAndGrad`: `grad(f, { argnums: [0, 1] })`, `valueAndGrad(f, { hasAux: true })`. */
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0). */
  argnums?: number | readonly number[];
  /** f returns [loss, aux]; aux is passed through without gradient. */
  hasAux?: boolean;
}

function pickArgnums(n: number, argnums: number | readonly number[] = 0): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= n)
      throw new ValueError(
        { op: "grad", expected: `argnums in 0..${n - 1}`, got: String(a) },
        `grad: argnums ${a} is out of range for ${n} argument(s)`,
      );
  }
  return list;
}

/** value, aux and gradients (by argnums) of a scalar function. */
export function valueAndGradCore(
  f: AnyFunction,
  args: unknown[],
  opts: GradOptions,
  who: string,
): { value: AnyTensor; aux: unknown; grads: unknown } {
  const nums = pickArgnums(args.length, opts.argnums);
  const diffArgs = nums.map((i) => args[i]);
  const closed = (...d: unknown[]) => {
    const full = [...args];
    nums.forEach((n, j) => (full[n] = d[j]));
    return call(f, full);
  };
  const r = vjpCore(closed, diffArgs, opts.hasAux ?? false);
  const value = r.out;
  if (!(value instanceof Concrete) && !(value instanceof Tracer)) {
    throw new ValueError(
      { op: who, expected: "a scalar tensor", got: typeof value },
      `${who}: the function must return a scalar tensor${opts.hasAux ? " as the first element of [loss, aux]" : ""}, got ${typeof value}`,
    );
  }
  const v = value as AnyTensor;
  if (v.rank !== 0)
    throw new ShapeError(
      { op: who, expected: "a scalar (shape [])", got: formatShape(v.shape) },
      `${who}: the function must return a scalar (shape []), got shape ${formatShape(v.shape)}; sum or average it first`,
    );
  if (v.dtype !== "float32")
    throw new DTypeError(
      { op: who, expected: "float32", got: v.dtype },
      `${who}: the function must return a float32 scalar, got ${v.dtype}`,
    );
  const cts = r.pullback([onesLike(v)]);
  const perArg = unflatten<unknown[]>(r.inputDef, cts);
  const grads = typeof opts.argnums === "number" || opts.argnums === undefined ? perArg[0] : perArg;
  return { value: v, aux: r.aux, grads };
}

type Scalar = Tensor<[], "float32">;

/**
 * The gradient of a scalar function w.r.t. argument 0 (or `argnums`); it has the argument's type.
 * ```ts
 * const g = grad((p: Params, x: Tensor<[B, 784]>) => loss(p, x))(params, x);   // g: Params
 * const g2 = grad(grad((x: Tensor<[]>) => mul(x, mul(x, x))))(scalar(2));     // 12
 * ```
 */
export function grad<A extends unknown[]>(f: (...args: A) => Scalar, opts?: { argnums?: 0; hasAux?: false }): (...args: A) => A[0];
export function grad<A extends unknown[], const N extends readonly number[]>(
  f: (...args: A) => Scalar,
  opts: { argnums: N; hasAux?: false },
): (...args: A) => { [K in keyof N]: A[N[K] & number] };
export function grad<A extends unknown[], N extends number>(
  f: (...args: A) => Scalar,
  opts: { argnums: N; hasAux?: false },
): (...args: A) => A[N];
export function grad<A extends unknown[], Aux>(
  f: (...args: A) => [Scalar, Aux],
  opts: { argnums?: 0; hasAux: true },
): (...args: A) => [A[0], Aux];
export function grad(f: AnyFunction, opts: GradOptions = {}): (...args: unknown[]) => unknown {
  expectFunction("grad", f);
  return (...args) =>
    scoped(() => {
      const r = valueAndGradCore(f, args, opts, "grad");
      return opts.hasAux ? [r.grads, r.aux] : r.grads;
    }, leafTensors);
}

/**
 * `[value, gradient]` in one pass. With `hasAux`, `[[value, aux], gradient]`.
 * ```ts
 * const [loss, g] = valueAndGrad(lossFn)(params, batch);
 * ```
 */
export function valueAndGrad<A extends unknown[]>(
  f: (...args: A) => Scalar,
  opts?: { argnums?: 0; hasAux?: false },
): (...args: A) => [Scalar, A[0]];
export function valueAndGrad<A extends unknown[], const N extends readonly number[]>(
  f: (...args: A) => Scalar,
  opts: { argnums: N; hasAux?: false },
): (...args: A) => [Scalar, { [K in keyof N]: A[N[K] & number] }];
export function valueAndGrad<A extends unknown[], N extends number>(
  f: (...args: A) => Scalar,
  opts: { argnums: N; hasAux?: false },
): (...args: A) => [Scalar, A[N]];
export function valueAndGrad<A extends unknown[], Aux>(
  f: (...args: A) => [Scalar, Aux],
  opts: { argnums?: 0; hasAux: true },
): (...args: A) => [[Scalar, Aux], A[0]];
export function valueAndGrad(f: AnyFunction, opts: GradOptions = {}): (...args: unknown[]) => unknown {
  expectFunction("valueAndGrad", f);
  return (...args) =>
    scoped(() => {
      const r = valueAndGradCore(f, args, opts, "valueAndGrad");
      return opts.hasAux ? [[r.value, r.aux], r.grads] : [r.value, r.grads];
    }, leafTensors);
}

/** A pullback: cotangent of the output in, cotangents of every primal out. Call `dispose()` when done. */
export interface Pullback<A extends unknown[], Out> {
  (cotangent: Out): A;
  /** Frees the residuals (the forward values the pullback keeps); do not call the pullback afterwards. */
  dispose(): void;
}

/**
 * Reverse mode at a point: `[f(...primals), pullback]`.
 * ```ts
 * const [y, back] = vjp((x: Tensor<[3]>) => sin(x), x);
 * const [xBar] = back(ones([3]));
 * back.dispose();
 * ```
 */
export function vjp<A extends unknown[], Out>(f: (...args: A) => Out, ...primals: A): [Out, Pullback<A, Out>] {
  expectFunction("vjp", f);
  let result!: VjpResult;
  let kept: TfTensor[] = [];
  // NOTE: residuals may include tensors the caller closed over; only those made by this call are ours to free
  const marker = tf.scalar(0);
  const firstId = marker.id;
  marker.dispose();
  const out = scoped(
    () => {
      result = vjpCore(f, primals);
      return result.out;
    },
    (o) => {
      kept = [...leafTensors(o), ...leafTensors(result.residuals())];
      return kept;
    },
  ) as Out;
  const inputs = new Set(leafTensors(primals));
  const outputs = new Set(leafTensors(out));
  const pullback = (ct: Out): A => {
    const [ctLeaves, ctDef] = flatten(ct);
    const [, outDef] = flatten(out);
    const diff = JSON.stringify(ctDef) === JSON.stringify(outDef) ? undefined : "the cotangent must have the output's structure";
    if (diff)
      throw new ValueError({ op: "vjp", expected: "a cotangent with the output's structure", got: "another structure" }, `vjp: ${diff}`);
    return scoped(() => unflatten<A>(result.inputDef, result.pullback(ctLeaves)), leafTensors);
  };
  const dispose = () => {
    for (const t of new Set(kept)) if (t.id > firstId && !inputs.has(t) && !outputs.has(t) && !t.isDisposed) t.dispose();
    kept = [];
  };
  return [out, Object.assign(pullback, { dispose })];
}
