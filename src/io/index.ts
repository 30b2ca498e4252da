// Checkpoints: trees to and from safetensors, checked on the way in.
// safetensors.ts is platform-neutral (bytes); files.ts is Node-only (node:fs).
export { toBytes, toBytesAsync, fromBytes, metadataOf, FORMAT_VERSION, type SaveOptions, type FromBytesOptions } from "./safetensors.js";
export { save, saveAsync, load, loadAsync, readMetadata } from "./files.js";

// Leaving shapeflow: tfjs-layers / Keras and ONNX (bytes and objects; export-files.ts is Node-only).
export {
  toTfjsLayers,
  fromTfjsLayers,
  tfjsLayersModelJson,
  type TfjsLayersArtifacts,
  type TfjsLayersModelJson,
  type TfjsLayersSource,
  type TfjsLayersExportOptions,
  type TfjsWeightSpec,
  type KerasLayerJson,
  type KerasTopology,
} from "./tfjs-layers.js";
export { exportOnnx, ONNX_OPSET, type OnnxExportOptions } from "./onnx.js";
export { exportTfjsLayers, importTfjsLayers, saveOnnx } from "./export-files.js";
