// The type-level cost budget: the CNN chain must type-check in < 15k instantiations, the einsum file in < 30k, and
// the 50-op deep chain must compile. Instantiation counts are deterministic; times are not asserted.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const script = fileURLToPath(new URL("../typelevel/bench/check-cost.mjs", import.meta.url));

interface ChainCost {
  ok: boolean;
  instantiations: number;
  checkTimeSeconds: number;
  errors: string[];
}

test("typelevel bench chains type-check within the instantiation budget", () => {
  let output: string;
  let exitCode = 0;
  try {
    output = execFileSync(process.execPath, [script, "--json"], { encoding: "utf8" });
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    exitCode = failed.status;
    output = failed.stdout;
  }
  const summary = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as {
    cnn: ChainCost;
    deep: ChainCost;
    einsum: ChainCost;
    failures: string[];
  };
  expect(summary.failures).toEqual([]);
  expect(exitCode).toBe(0);
  expect(summary.cnn.ok).toBe(true);
  expect(summary.deep.ok).toBe(true);
  expect(summary.cnn.instantiations).toBeGreaterThan(0);
  expect(summary.cnn.instantiations).toBeLessThan(15_000);
  expect(summary.einsum.ok).toBe(true);
  expect(summary.einsum.instantiations).toBeLessThan(30_000);
});
