// io for Node (shapeflow/node exports it as `io`): everything of index.ts plus files: checkpoint
// files (files.ts: atomic saves, checked loads) and exported models (export-files.ts), on node:fs.
export * from "./index.js";
export { save, saveAsync, load, loadAsync, readMetadata } from "./files.js";
export { exportTfjsLayers, importTfjsLayers, saveOnnx } from "./export-files.js";
