// einsum: Einstein summation over a subscript string, checked at compile time (typelevel/einsum.ts)
// and again here with the same messages, then lowered to the fast paths: transpose + reshape +
// matmul for each contraction (batched when letters are shared and kept), broadcast multiply for
// products without a summed letter, sum for letters only one operand names, and a strided
// slice for a letter repeated within one operand (diagonals, traces). No per-element loop, so
// gradients, jvp, vmap and jit come from those primitives.
import type { Check, Einsum, Out, Shape } from "../../typelevel/index.js";
import {
  formatShape,
  type AnyTensor,
  type Tensor,
  describeValue,
  DTypeError,
  expectTensor,
  ShapeError,
  ValueError,
} from "../tensor/index.js";
import * as P from "../core/index.js";
import { tidy } from "./tidy.js";
import { owned, typed } from "./result.js";
import type { NumericDType } from "./types.js";

/** One term's tokens: letters, and at most one "...". */
function tokens(sub: string, term: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith("...", i)) {
      out.push("...");
      i += 2;
    } else if (/^[a-zA-Z]$/.test(term[i])) out.push(term[i]);
    else
      throw new ValueError(
        { op: "einsum", expected: 'letters, "," "->" and "..."', got: JSON.stringify(term[i]) },
        `einsum "${sub}": invalid character "${term[i]}" (subscripts are letters, "," "->" and "...")`,
      );
  }
  return out;
}

interface Parsed {
  /** Each operand's axes, named: letters, and "...k" for the k-th broadcast dim (counted from the end). */
  readonly axes: readonly string[][];
  /** The output's axes, named the same way. */
  readonly output: readonly string[];
  /** The size of each name. */
  readonly sizes: ReadonlyMap<string, number>;
}

const ell = (k: number) => `...${k}`;

/** Parses and checks `sub` against the operands' shapes: the same rules and messages as the type `Einsum`. */
function parse(sub: string, shapes: readonly (readonly number[])[]): Parsed {
  const arrow = sub.indexOf("->");
  const ins = arrow < 0 ? sub : sub.slice(0, arrow);
  const terms = ins.split(",");
  if (terms.length !== shapes.length)
    throw new ValueError(
      { op: "einsum", expected: `${terms.length} operands`, got: String(shapes.length) },
      `einsum "${sub}": expects ${terms.length} operands, got ${shapes.length}`,
    );
  const sizes = new Map<string, number>();
  const firstIn = new Map<string, number>();
  const counts = new Map<string, number>();
  let ellDims: number[] = [];
  let hasEll = false;
  const axes = terms.map((term, i) => {
    const tk = tokens(sub, term);
    const s = shapes[i];
    const at = tk.indexOf("...");
    const letters = tk.filter((t) => t !== "...");
    if (at >= 0 && tk.indexOf("...", at + 1) >= 0)
      throw new ValueError(
        { op: "einsum", expected: 'at most one "..." per term', got: term },
        `einsum "${sub}": "..." appears twice in "${term}"`,
      );
    if (at < 0 ? s.length !== letters.length : s.length < letters.length)
      throw new ShapeError(
        { op: "einsum", expected: `rank ${at < 0 ? "" : ">= "}${letters.length} for operand ${i}`, got: formatShape(s) },
        `einsum "${sub}": operand ${i} has rank ${s.length} (${formatShape(s)}) but "${term}" names ${at < 0 ? "" : "at least "}${letters.length} dims`,
      );
    const nEll = s.length - letters.length;
    const names = at < 0 ? tk : [...tk.slice(0, at), ...Array.from({ length: nEll }, (_, k) => ell(nEll - 1 - k)), ...tk.slice(at + 1)];
    names.forEach((name, axis) => {
      if (name.startsWith("...")) return;
      const d = s[axis];
      const d0 = sizes.get(name);
      if (d0 !== undefined && d0 !== d)
        throw new ShapeError(
          { op: "einsum", expected: `${name} = ${d0} (operand ${firstIn.get(name)})`, got: `${d} in operand ${i}` },
          `einsum "${sub}": ${name} is ${d0} in operand ${firstIn.get(name)} but ${d} in operand ${i}`,
        );
      if (d0 === undefined) {
        sizes.set(name, d);
        firstIn.set(name, i);
      }
      counts.set(name, (counts.get(name) ?? 0) + 1);
    });
    if (at >= 0) {
      hasEll = true;
      const mid = s.slice(at, at + nEll);
      // numpy broadcasting, right-aligned
      const rank = Math.max(ellDims.length, mid.length);
      const next: number[] = [];
      for (let k = 0; k < rank; k++) {
        const a = k < rank - ellDims.length ? 1 : ellDims[k - (rank - ellDims.length)];
        const b = k < rank - mid.length ? 1 : mid[k - (rank - mid.length)];
        if (a !== b && a !== 1 && b !== 1)
          throw new ShapeError(
            { op: "einsum", expected: 'dims under "..." that broadcast', got: `${a} vs ${b}` },
            `einsum "${sub}": the dims under "..." do not broadcast (${a} vs ${b})`,
          );
        next.push(a === 1 ? b : a);
      }
      ellDims = next;
    }
    return names;
  });
  ellDims.forEach((d, k) => sizes.set(ell(ellDims.length - 1 - k), d));
  const ellNames = ellDims.map((_, k) => ell(ellDims.length - 1 - k));
  let output: string[];
  if (arrow < 0) {
    const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l);
    // numpy's order: by code point, so upper case first
    output = [...(hasEll ? ellNames : []), ...once.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))];
  } else {
    output = [];
    const seen = new Set<string>();
    for (const t of tokens(sub, sub.slice(arrow + 2))) {
      if (seen.has(t))
        throw new ValueError(
          { op: "einsum", expected: "each output letter once", got: t },
          `einsum "${sub}": output letter ${t} appears twice`,
        );
      seen.add(t);
      if (t === "...") output.push(...ellNames);
      else if (!sizes.has(t))
        throw new ValueError(
          { op: "einsum", expected: "output letters named by the inputs", got: t },
          `einsum "${sub}": output letter ${t} is not in the inputs`,
        );
      else output.push(t);
    }
  }
  return { axes, output, sizes };
}

interface Named {
  readonly x: AnyTensor;
  readonly axes: readonly string[];
}

const sizeOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Broadcast dims of size 1 under "..." are dropped (the name then comes from the other operands). */
function dropBroadcastOnes({ x, axes }: Named, sizes: ReadonlyMap<string, number>): Named {
  const keep = axes.map((a, i) => !(a.startsWith("...") && x.shape[i] === 1 && sizes.get(a) !== 1));
  if (keep.every(Boolean)) return { x, axes };
  return {
    x: P.reshape(
      x,
      x.shape.filter((_, i) => keep[i]),
    ),
    axes: axes.filter((_, i) => keep[i]),
  };
}

/** A name repeated within one operand: its diagonal, until every name appears once. */
function diagonals({ x, axes }: Named): Named {
  for (;;) {
    const p = axes.findIndex((a, i) => axes.indexOf(a) !== i);
    if (p < 0) return { x, axes };
    const q = axes.indexOf(axes[p]);
    const n = x.shape[q];
    const rest = axes.map((_, i) => i).filter((i) => i !== p && i !== q);
    // [..., n, n] -> [..., n * n], then every (n + 1)-th entry: the diagonal
    const moved = P.transpose(x, [...rest, q, p]);
    const lead = rest.map((i) => x.shape[i]);
    const flat = P.reshape(moved, [...lead, n * n]);
    x = P.stridedSlice(flat, [...lead.map(() => 0), 0], [...lead, n * n], [...lead.map(() => 1), n + 1]);
    axes = [...rest.map((i) => axes[i]), axes[q]];
  }
}

/** Sums the axes whose names are not in `keep`. */
function sumOthers({ x, axes }: Named, keep: ReadonlySet<string>): Named {
  const summed = axes.map((a, i) => (keep.has(a) ? -1 : i)).filter((i) => i >= 0);
  if (summed.length === 0) return { x, axes };
  return { x: P.sum(x, summed), axes: axes.filter((a) => keep.has(a)) };
}

/** x with its axes in the order `names` (each present). */
function arrange({ x, axes }: Named, names: readonly string[]): AnyTensor {
  return P.transpose(
    x,
    names.map((n) => axes.indexOf(n)),
  );
}

/** Contracts two operands over the names they share and `keep` does not hold. */
function contract(a: Named, b: Named, keep: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Named {
  const shared = a.axes.filter((n) => b.axes.includes(n));
  const batch = shared.filter((n) => keep.has(n));
  const summed = shared.filter((n) => !keep.has(n));
  const aFree = a.axes.filter((n) => !shared.includes(n));
  const bFree = b.axes.filter((n) => !shared.includes(n));
  const dims = (names: readonly string[]) => names.map((n) => sizes.get(n)!);
  const [nb, na, nk, nn] = [batch, aFree, summed, bFree].map((g) => sizeOf(dims(g)));
  const outAxes = [...batch, ...aFree, ...bFree];
  const outShape = dims(outAxes);
  let x: AnyTensor;
  if (summed.length === 0) {
    // no summed letter: a broadcast product
    const xa = P.reshape(arrange(a, [...batch, ...aFree]), [...dims(batch), ...dims(aFree), ...bFree.map(() => 1)]);
    const xb = P.reshape(arrange(b, [...batch, ...bFree]), [...dims(batch), ...aFree.map(() => 1), ...dims(bFree)]);
    x = P.mul(xa, xb);
  } else if ((na === 1 && nn === 1) || a.x.dtype === "int32") {
    // a batch of dot products (no [1, k] x [k, 1] products), and int32 (WASM's matmul is float32
    // only): multiply with broadcasting, sum the summed letters
    const xa = P.reshape(arrange(a, [...batch, ...aFree, ...summed]), [nb, na, 1, nk]);
    const xb = P.reshape(arrange(b, [...batch, ...bFree, ...summed]), [nb, 1, nn, nk]);
    x = P.reshape(P.sum(P.mul(xa, xb), [3]), outShape);
  } else {
    // NOTE: with no batch letter this is one [m, k] x [k, n] product, the kernel's fast path
    const lead = nb === 1 ? [] : [nb];
    const xa = P.reshape(arrange(a, [...batch, ...aFree, ...summed]), [...lead, na, nk]);
    const xb = P.reshape(arrange(b, [...batch, ...summed, ...bFree]), [...lead, nk, nn]);
    x = P.reshape(P.matmul(xa, xb), outShape);
  }
  return { x, axes: outAxes };
}

/** The lowering: every operand prepared (broadcast ones dropped, diagonals, lone names summed), contracted left to right. */
function lower(operands: readonly AnyTensor[], { axes, output, sizes }: Parsed): AnyTensor {
  const outSet = new Set(output);
  /** Names still needed after operand i: the output's and those of the operands after i. */
  const neededAfter = (i: number) => new Set([...output, ...axes.slice(i + 1).flat()]);
  const neededBesides = (i: number) => new Set([...output, ...axes.filter((_, j) => j !== i).flat()]);
  const prepared = operands.map((x, i) => sumOthers(diagonals(dropBroadcastOnes({ x, axes: axes[i] }, sizes)), neededBesides(i)));
  let acc = prepared[0];
  for (let i = 1; i < prepared.length; i++) acc = sumOthers(contract(acc, prepared[i], neededAfter(i), sizes), neededAfter(i));
  acc = sumOthers(acc, outSet);
  // output names no operand kept (size-1 broadcast dims) come back as 1s
  const present = output.filter((n) => acc.axes.includes(n));
  const arranged = arrange(acc, present);
  return P.reshape(
    arranged,
    output.map((n) => sizes.get(n)!),
  );
}

/** The shapes of a tuple of tensors. */
type ShapesOf<T extends readonly Tensor<Shape, NumericDType>[]> = {
  [K in keyof T]: T[K] extends Tensor<infer S, NumericDType> ? S : never;
};
/** The dtype of the first operand (the run time checks that every operand has it). */
type DTypeOfFirst<T extends readonly Tensor<Shape, NumericDType>[]> = T extends readonly [Tensor<Shape, infer D>, ...unknown[]]
  ? D
  : NumericDType;

/**
 * Einstein summation: `subscripts` names each operand's axes with letters; letters shared by
 * operands are multiplied together, letters missing from the output are summed. Explicit form
 * `"bij,bjk->bik"`; implicit form `"ij,jk"` (the output is the letters named once, in
 * alphabetical order); `"..."` stands for leading dims that broadcast; a letter repeated in one
 * operand takes its diagonal (`"ii->i"`, trace `"ii"`). Checked at compile time: a letter bound
 * to two sizes, a wrong rank or operand count does not compile, with the message the run-time
 * ShapeError carries (`einsum "bij,bjk->bik": j is 5 in operand 0 but 6 in operand 1`).
 * Lowered to transposes, reshapes and (batched) matmul, contracted left to right.
 * ```ts
 * const scores = einsum("bqd,bkd->bqk", q, k);   // [batch, q, d] x [batch, k, d] -> [batch, q, k]
 * const trace = einsum("ii", m);                 // Tensor<[]>
 * ```
 */
export function einsum<const Sub extends string, T extends readonly Tensor<Shape, NumericDType>[]>(
  subscripts: Sub & Check<Einsum<Sub, ShapesOf<T>>>,
  ...operands: T
): Tensor<Out<Einsum<Sub, ShapesOf<T>>>, DTypeOfFirst<T>> {
  if (typeof subscripts !== "string")
    throw new ValueError(
      { op: "einsum", expected: "a subscript string", got: describeValue(subscripts) },
      `einsum: subscripts must be a string such as "ij,jk->ik", got ${describeValue(subscripts)}`,
    );
  const xs = operands as readonly unknown[];
  xs.forEach((x, i) => expectTensor("einsum", x, `operand ${i}`));
  const ts = xs as readonly AnyTensor[];
  ts.forEach((x, i) => {
    if (x.dtype === "bool")
      throw new DTypeError({ op: "einsum", expected: "float32 or int32", got: "bool" }, `einsum: operand ${i} is bool; cast it first`);
    if (x.dtype !== ts[0].dtype)
      throw new DTypeError(
        { op: "einsum", expected: ts[0].dtype, got: x.dtype },
        `einsum: dtypes differ (${ts[0].dtype} in operand 0, ${x.dtype} in operand ${i}); cast one first`,
      );
  });
  const parsed = parse(
    subscripts,
    ts.map((x) => x.shape),
  );
  return typed(
    owned(
      tidy(() => lower(ts, parsed)),
      ...ts,
    ),
  );
}
