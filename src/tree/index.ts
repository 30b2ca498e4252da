// Pytrees: nested arrays, tuples and plain records whose leaves are tensors.
// Anything else (numbers, strings, functions, null) is static: kept in the structure, not mapped.
import { Tensor, formatShape, type AnyTensor, ValueError, describeValue } from "../tensor/index.js";

/**
 * The structure of a tree without its leaves, as `flatten` returns it: leaves, static values
 * (kept), arrays, and records with sorted keys. `unflatten(def, leaves)` rebuilds the tree.
 */
export type TreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "static"; readonly value: unknown }
  | { readonly kind: "array"; readonly children: readonly TreeDef[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

const LEAF: TreeDef = { kind: "leaf" };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Leaves in a fixed order (arrays by index, records by sorted key) and the structure to rebuild them. */
export function flatten(tree: unknown): [AnyTensor[], TreeDef] {
  const leaves: AnyTensor[] = [];
  const walk = (x: unknown): TreeDef => {
    if (x instanceof Tensor) {
      leaves.push(x as AnyTensor);
      return LEAF;
    }
    if (Array.isArray(x)) return { kind: "array", children: x.map(walk) };
    if (isPlainObject(x)) {
      const keys = Object.keys(x).sort();
      return { kind: "object", keys, children: keys.map((k) => walk(x[k])) };
    }
    return { kind: "static", value: x };
  };
  const def = walk(tree);
  return [leaves, def];
}

/** Rebuilds a tree from its structure and leaves (in `flatten` order). */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  expectDef("unflatten", def);
  if (!Array.isArray(leaves)) {
    const got = describeValue(leaves);
    throw new ValueError({ op: "unflatten", expected: "an array of leaves", got }, `unflatten: expected an array of leaves, got ${got}`);
  }
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length)
          throw new ValueError(
            { op: "unflatten", expected: "more leaves", got: `${leaves.length} leaves` },
            `unflatten: the structure needs more than ${leaves.length} leaves`,
          );
        return leaves[i++];
      case "static":
        return d.value;
      case "array":
        return d.children.map(build);
      case "object": {
        const out: Record<string, unknown> = {};
        d.keys.forEach((k, j) => (out[k] = build(d.children[j])));
        return out;
      }
    }
  };
  const out = build(def);
  if (i !== leaves.length)
    throw new ValueError(
      { op: "unflatten", expected: `${i} leaves`, got: `${leaves.length} leaves` },
      `unflatten: the structure has ${i} leaves, got ${leaves.length}`,
    );
  return out as T;
}

/** The tensors of a tree, in `flatten` order. */
export function leaves(tree: unknown): AnyTensor[] {
  return flatten(tree)[0];
}

/** Paths of the leaves, e.g. `layers[0].kernel`, in `flatten` order. */
export function paths(tree: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown, path: string): void => {
    if (x instanceof Tensor) out.push(path || "(root)");
    else if (Array.isArray(x)) x.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (isPlainObject(x)) for (const k of Object.keys(x).sort()) walk(x[k], path ? `${path}.${k}` : k);
  };
  walk(tree, "");
  return out;
}

function describe(def: TreeDef): string {
  switch (def.kind) {
    case "leaf":
      return "Tensor";
    case "static":
      return JSON.stringify(def.value) ?? String(def.value);
    case "array":
      return `[${def.children.map(describe).join(", ")}]`;
    case "object":
      return `{ ${def.keys.map((k, i) => `${k}: ${describe(def.children[i])}`).join(", ")} }`;
  }
}

/** Where two structures first differ, or undefined when equal. */
export function structureDiff(a: TreeDef, b: TreeDef, path = ""): string | undefined {
  // NOTE: checked at every level (a cheap test): `path` may be anything a caller passed
  expectDef("structureDiff", a);
  expectDef("structureDiff", b);
  const at = path || "the root";
  if (a.kind !== b.kind) return `at ${at}: ${describe(a)} vs ${describe(b)}`;
  if (a.kind === "static" && b.kind === "static") {
    return Object.is(a.value, b.value) ? undefined : `at ${at}: ${describe(a)} vs ${describe(b)}`;
  }
  if (a.kind === "array" && b.kind === "array") {
    if (a.children.length !== b.children.length) return `at ${at}: array of ${a.children.length} vs array of ${b.children.length}`;
    for (let i = 0; i < a.children.length; i++) {
      const d = structureDiff(a.children[i], b.children[i], `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (a.kind === "object" && b.kind === "object") {
    const ka = a.keys.join(","),
      kb = b.keys.join(",");
    if (ka !== kb) return `at ${at}: keys {${ka}} vs {${kb}}`;
    for (let i = 0; i < a.keys.length; i++) {
      const d = structureDiff(a.children[i], b.children[i], path ? `${path}.${a.keys[i]}` : a.keys[i]);
      if (d) return d;
    }
  }
  return undefined;
}

/** Throws a message naming the first difference when two trees differ in structure. */
export function assertSameStructure(a: unknown, b: unknown, what = "tree"): void {
  const diff = structureDiff(flatten(a)[1], flatten(b)[1]);
  if (diff) throw new ValueError({ op: what, expected: "the same tree structure", got: diff }, `${what}: structures differ ${diff}`);
}

/**
 * Applies `fn` to every tensor leaf; the result has the tree's type.
 * ```ts
 * const halved = tree.map(params, (p) => mul(p, 0.5));
 * ```
 */
export function map<T>(tree: T, fn: (leaf: AnyTensor, path: string) => AnyTensor): T {
  expectFn("map", fn);
  const [ls, def] = flatten(tree);
  const ps = paths(tree);
  return unflatten<T>(
    def,
    ls.map((l, i) => fn(l, ps[i])),
  );
}

/** Applies `fn` to matching leaves of trees with the same structure. */
export function map2<T>(a: T, b: T, fn: (x: AnyTensor, y: AnyTensor, path: string) => AnyTensor): T {
  expectFn("map2", fn);
  const [la, da] = flatten(a);
  const [lb, db] = flatten(b);
  const diff = structureDiff(da, db);
  if (diff) throw new ValueError({ op: "map2", expected: "the same tree structure", got: diff }, `map2: structures differ ${diff}`);
  const ps = paths(a);
  return unflatten<T>(
    da,
    la.map((x, i) => fn(x, lb[i], ps[i])),
  );
}

/** Like map2 over any number of trees of one structure. */
export function zipMap<T>(trees: readonly T[], fn: (xs: AnyTensor[], path: string) => AnyTensor): T {
  expectFn("zipMap", fn);
  if (!Array.isArray(trees)) {
    const got = describeValue(trees);
    throw new ValueError({ op: "zipMap", expected: "an array of trees", got }, `zipMap: expected an array of trees, got ${got}`);
  }
  if (trees.length === 0)
    throw new ValueError({ op: "zipMap", expected: "at least one tree", got: "none" }, "zipMap: needs at least one tree");
  const flat = trees.map((t) => flatten(t));
  flat.forEach(([, d], i) => {
    const diff = structureDiff(flat[0][1], d);
    if (diff)
      throw new ValueError(
        { op: "zipMap", expected: "the same tree structure", got: diff },
        `zipMap: tree ${i} differs from tree 0 ${diff}`,
      );
  });
  const ps = paths(trees[0]);
  return unflatten<T>(
    flat[0][1],
    flat[0][0].map((_, j) =>
      fn(
        flat.map(([l]) => l[j]),
        ps[j],
      ),
    ),
  );
}

/** Frees every concrete tensor in a tree. */
export function dispose(tree: unknown): void {
  for (const l of leaves(tree)) l.dispose();
}

/** Shapes of the leaves, for messages. */
export function shapes(tree: unknown): string {
  return leaves(tree)
    .map((l) => formatShape(l.shape))
    .join(", ");
}

/** A key for caching by structure (static leaves by value). */
export function structureKey(def: TreeDef): string {
  expectDef("structureKey", def);
  return describe(def);
}

/** Which leaves an operation touches, by path (e.g. `layers[0].kernel`): a RegExp tested on the path, or a predicate. */
export type PathFilter = RegExp | ((path: string) => boolean);

/**
 * A predicate from a PathFilter (undefined selects every leaf); `op` and `what` name the caller's
 * option in the error for anything else.
 * ```ts
 * const isKernel = pathPredicate(/kernel$/, "l2Penalty", "filter");   // isKernel("layers[0].kernel") === true
 * ```
 */
export function pathPredicate(filter: PathFilter | undefined, op: string, what: string): (path: string) => boolean {
  if (filter === undefined) return () => true;
  if (filter instanceof RegExp) {
    return (p) => {
      filter.lastIndex = 0;
      return filter.test(p);
    };
  }
  if (typeof filter === "function") return filter;
  throw new ValueError(
    { op: op, expected: "a RegExp or a (path) => boolean function", got: filter === null ? "null" : typeof filter },
    `${op}: ${what} must be a RegExp or a (path) => boolean function, got ${filter === null ? "null" : typeof filter}`,
  );
}

/** A TreeDef is what `flatten` returns second; anything else is a caller's mistake, not a TypeError deep inside. */
function expectDef(op: string, def: unknown): asserts def is TreeDef {
  if (typeof def !== "object" || def === null || typeof (def as { kind?: unknown }).kind !== "string") {
    const got = describeValue(def);
    throw new ValueError(
      { op, expected: "a tree structure from flatten", got },
      `${op}: expected a tree structure (the second result of flatten), got ${got}`,
    );
  }
}

function expectFn(op: string, fn: unknown): void {
  if (typeof fn !== "function") {
    const got = describeValue(fn);
    throw new ValueError({ op, expected: "a function", got }, `${op}: expected a function to apply to the leaves, got ${got}`);
  }
}
