// Pytrees: the public surface (also `shapeflow`'s `tree` namespace). `structureKey`, jit's cache
// key, stays in tree.ts for core.
export {
  flatten,
  unflatten,
  leaves,
  paths,
  map,
  map2,
  zipMap,
  dispose,
  shapes,
  structureDiff,
  assertSameStructure,
  pathPredicate,
  type TreeDef,
  type PathFilter,
} from "./tree.js";
