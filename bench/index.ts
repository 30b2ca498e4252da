// `npm run bench`: every figure measured in one run on the same backend.
import { init, backendName } from "../src/backend/index.js";
import { table } from "./harness.js";
import { benchMlp } from "./mlp.js";
import { benchModels } from "./models.js";

await init();
console.log(`backend: ${backendName()}, node ${process.version}`);
console.log("\n## MLP 784-128-128-128-10, batch 128, one training step (SGD)\n");
console.log(table(await benchMlp(), "tfjs-layers trainOnBatch"));
for (const { name, rows } of await benchModels()) {
  console.log(`\n## ${name}, one training step (Adam)\n`);
  console.log(table(rows, "tfjs-layers trainOnBatch"));
}
