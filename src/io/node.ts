// io for Node (shapeflow/node exports it as `io`): the bytes of index.ts plus checkpoint files
// (files.ts: atomic saves, checked loads, on node:fs).
export * from "./index.js";
export { save, saveAsync, load, loadAsync, readMetadata } from "./files.js";
