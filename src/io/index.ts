// Saving and loading parameter trees as JSON (values base64-encoded, bit-exact).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { tensor, formatShape, type AnyTensor, type DType } from "../tensor/index.js";
import { flatten, paths, unflatten, structureDiff, type TreeDef } from "../tree/index.js";

interface SavedLeaf {
  path: string;
  shape: number[];
  dtype: DType;
  data: string;
}

interface SavedTree {
  format: "shapeflow-params/1";
  structure: TreeDef;
  leaves: SavedLeaf[];
}

function encode(t: AnyTensor): string {
  const d = t.dataSync();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64");
}

function decode(leaf: SavedLeaf): AnyTensor {
  const bytes = Buffer.from(leaf.data, "base64");
  const copy = new Uint8Array(bytes); // aligned copy
  const data = leaf.dtype === "float32" ? new Float32Array(copy.buffer) : leaf.dtype === "int32" ? new Int32Array(copy.buffer) : copy;
  return tensor(data, leaf.shape, leaf.dtype);
}

/** A JSON string holding a params tree (structure, shapes, dtypes and exact values). */
export function serialize(tree: unknown): string {
  const [leaves, def] = flatten(tree);
  const ps = paths(tree);
  const saved: SavedTree = {
    format: "shapeflow-params/1",
    structure: def,
    leaves: leaves.map((l, i) => ({ path: ps[i], shape: [...l.shape], dtype: l.dtype, data: encode(l) })),
  };
  return JSON.stringify(saved);
}

/**
 * Rebuilds a tree from `serialize`'s output. With `like`, the structure and every shape must
 * match it (a typed load).
 */
export function deserialize<T>(json: string, like?: T): T {
  let saved: SavedTree;
  try {
    saved = JSON.parse(json) as SavedTree;
  } catch (e) {
    throw new Error(`deserialize: not JSON (${(e as Error).message})`);
  }
  if (saved?.format !== "shapeflow-params/1")
    throw new Error(`deserialize: expected format "shapeflow-params/1", got ${JSON.stringify(saved?.format)}`);
  if (like !== undefined) {
    const [ls, def] = flatten(like);
    const diff = structureDiff(def, saved.structure);
    if (diff) throw new Error(`deserialize: the saved tree differs from the expected one ${diff}`);
    ls.forEach((l, i) => {
      const want = l.shape;
      const got = saved.leaves[i].shape;
      if (want.length !== got.length || want.some((d, j) => d !== got[j])) {
        throw new Error(`deserialize: ${saved.leaves[i].path} has shape ${formatShape(got)}, expected ${formatShape(want)}`);
      }
    });
  }
  return unflatten<T>(saved.structure, saved.leaves.map(decode));
}

/** Writes a params tree to a JSON file (parent folders created). */
export function saveParams(path: string, tree: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, serialize(tree));
}

/** Reads a params tree written by `saveParams`; `like` checks structure and shapes. */
export function loadParams<T>(path: string, like?: T): T {
  return deserialize(readFileSync(path, "utf8"), like);
}
