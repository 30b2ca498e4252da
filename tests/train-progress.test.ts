// Progress output: plain lines (one per epoch) in CI or when piped, nothing when silent.
import { afterEach, describe, expect, test } from "vitest";
import { train } from "../src/index.js";
import { isInteractive, progressBar } from "../src/node.js";

const savedCI = process.env.CI;
afterEach(() => {
  if (savedCI === undefined) delete process.env.CI;
  else process.env.CI = savedCI;
});

function record(mode?: train.ProgressMode) {
  const out: string[] = [];
  const p = train.makeProgress({ mode, write: (s) => void out.push(s) });
  for (let e = 0; e < 2; e++) {
    p.startEpoch(e, 2, 3);
    for (let i = 1; i <= 3; i++) p.step(i, { loss: 1 / i }, 5);
    p.endEpoch(`loss ${(0.5 - e / 10).toFixed(4)} | 5.0 ms/step`);
  }
  p.stop();
  return out;
}

describe("progress", () => {
  test("CI=true means not interactive, and the default mode writes one plain line per epoch", () => {
    process.env.CI = "true";
    expect(isInteractive()).toBe(false);
    expect(record()).toEqual(["epoch 1/2 loss 0.5000 | 5.0 ms/step\n", "epoch 2/2 loss 0.4000 | 5.0 ms/step\n"]);
  });

  test("silent writes nothing", () => {
    expect(record("silent")).toEqual([]);
  });

  test("epoch numbers are padded to the width of the total", () => {
    const out: string[] = [];
    const p = train.makeProgress({ mode: "lines", write: (s) => void out.push(s) });
    p.startEpoch(2, 12, 1);
    p.endEpoch("loss 1.0000");
    expect(out).toEqual(["epoch  3/12 loss 1.0000\n"]);
  });

  test("progressBar (shapeflow/node) falls back to one line per epoch when not interactive; unknown modes are refused", () => {
    process.env.CI = "true";
    const out: string[] = [];
    const p = progressBar({ write: (s) => void out.push(s) });
    p.startEpoch(0, 2, 3);
    p.step(1, { loss: 1 }, 5);
    p.endEpoch("loss 0.5000");
    p.stop();
    expect(out).toEqual(["epoch 1/2 loss 0.5000\n"]);
    expect(() => train.makeProgress({ mode: "bar" as train.ProgressMode })).toThrow(
      'makeProgress: mode must be "lines" or "silent", got "bar"',
    );
  });
});
