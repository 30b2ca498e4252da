// Checkpoints: trees to and from safetensors, checked on the way in; models to tfjs-layers and ONNX.
// This is the platform-neutral part (bytes and objects), in the root entry "shapeflow"; the files
// (files.ts, export-files.ts: node:fs) are added by node.ts, which shapeflow/node exports as `io`.
export { toBytes, toBytesAsync, fromBytes, metadataOf, FORMAT_VERSION, type SaveOptions, type FromBytesOptions } from "./safetensors.js";

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
