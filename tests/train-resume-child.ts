// Run by tests/train-resume.test.ts in a child process: trains tests/train-resume-run.ts's run for
// up to 1,000 epochs with a checkpoint to argv[2] after every epoch, printing "epoch <e> <ms>"
// once epoch e's checkpoint is on disk, until it is killed (SIGKILL).
import { init, train } from "../src/index.js";
import { checkpoint } from "../src/node.js";
import { run } from "./train-resume-run.js";

await init(); // SHAPEFLOW_BACKEND, as the parent's
const path = process.argv[2];
let t0 = performance.now();
await train.fit({
  ...run(Number(process.argv[3])),
  epochs: 1000,
  callbacks: [
    checkpoint({ path }),
    {
      onEpochEnd: (logs) => {
        process.stdout.write(`epoch ${logs.epoch} ${Math.round(performance.now() - t0)}\n`);
        t0 = performance.now();
      },
    },
  ],
});
