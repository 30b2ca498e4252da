// Node conveniences around the platform-neutral exports: model.json + weights.bin for
// tfjs-layers, and .onnx files. Everything here only moves bytes between files and the
// functions of tfjs-layers.ts and onnx.ts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Model, ParamsOf, ModelStateOf } from "../nn/index.js";
import { exportOnnx, type OnnxExportOptions } from "./onnx.js";
import { fromTfjsLayers, tfjsLayersModelJson, toTfjsLayers, type TfjsLayersExportOptions, type TfjsLayersSource } from "./tfjs-layers.js";
import { ShapeflowError } from "../tensor/errors.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model, as in tfjs-layers.ts and onnx.ts
type AnyModel = Model<any, any, any, any, any>;
/** What `exportOnnx` takes: a sequential or a functional model. */
type OnnxModel = Parameters<typeof exportOnnx>[0];

/** Writes `bytes` next to `path` first, then renames: a reader never sees half a file. */
function writeWhole(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
}

/**
 * Writes a sequential model as tfjs-layers files in `dir`: `model.json` (topology and weights
 * manifest) and `weights.bin`. `tf.loadLayersModel("file://.../model.json")` (tfjs-node), an
 * http URL in a browser, or the tfjs converter (to Keras) read them.
 * ```ts
 * io.exportTfjsLayers(model, params, "out/mnist-cnn", { state });
 * ```
 */
export function exportTfjsLayers<M extends AnyModel>(
  model: M,
  params: ParamsOf<M>,
  dir: string,
  options: TfjsLayersExportOptions<ModelStateOf<M>> = {},
): { modelJson: string; weights: string } {
  const artifacts = toTfjsLayers(model, params, options);
  const weights = join(dir, "weights.bin");
  const modelJson = join(dir, "model.json");
  writeWhole(weights, new Uint8Array(artifacts.weightData));
  writeWhole(modelJson, JSON.stringify(tfjsLayersModelJson(artifacts, "weights.bin")));
  return { modelJson, weights };
}

/**
 * Weights of a tfjs-layers model into a matching shapeflow model, from a folder (or a model.json
 * path) written by `exportTfjsLayers` or the tfjs converter, or from artifacts in memory.
 * ```ts
 * const { params, state } = io.importTfjsLayers("out/mnist-cnn", model);
 * ```
 */
export function importTfjsLayers<M extends AnyModel>(
  source: string | TfjsLayersSource,
  model: M,
): { params: ParamsOf<M>; state: ModelStateOf<M> } {
  if (typeof source !== "string") return fromTfjsLayers(source, model);
  const path = source.endsWith(".json") ? source : join(source, "model.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ShapeflowError(
      { op: "importTfjsLayers", expected: `a readable ${path}`, got: `${(e as Error).message}` },
      `importTfjsLayers: cannot read ${path} (${(e as Error).message})`,
      { cause: e },
    );
  }
  const manifest = (json as { weightsManifest?: { paths?: string[] }[] }).weightsManifest;
  const files = (Array.isArray(manifest) ? manifest : []).flatMap((g) => g.paths ?? []);
  const weightFiles = files.map((f) => {
    const p = resolve(dirname(path), f);
    try {
      return new Uint8Array(readFileSync(p));
    } catch (e) {
      throw new ShapeflowError(
        { op: "importTfjsLayers", expected: `a readable weights file ${p}`, got: `${(e as Error).message}` },
        `importTfjsLayers: cannot read the weights file ${p} (${(e as Error).message})`,
        { cause: e },
      );
    }
  });
  return fromTfjsLayers({ modelJson: json, weightFiles }, model);
}

/**
 * Writes `exportOnnx`'s bytes to `path` (folders made, written whole or not at all).
 * ```ts
 * io.saveOnnx("out/mlp.onnx", model, params);
 * ```
 */
export function saveOnnx<M extends OnnxModel>(
  path: string,
  model: M,
  params: ParamsOf<M>,
  options: OnnxExportOptions<ModelStateOf<M>> = {},
): void {
  writeWhole(path, exportOnnx(model, params, options));
}
