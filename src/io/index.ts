// Checkpoints: trees to and from safetensors, checked on the way in.
// safetensors.ts is platform-neutral (bytes); files.ts is Node-only (node:fs).
export { toBytes, toBytesAsync, fromBytes, metadataOf, FORMAT_VERSION, type SaveOptions, type FromBytesOptions } from "./safetensors.js";
export { save, saveAsync, load, loadAsync, readMetadata } from "./files.js";
