// Type-checking cost of the bench chains (CNN, deep, einsum), each compiled alone with --extendedDiagnostics.
// Fails (exit 1) if a chain has a type error, or the CNN (einsum) chain needs more than
// CNN_BUDGET (EINSUM_BUDGET) instantiations. Instantiation counts are deterministic; check time is not.
// Usage: node typelevel/bench/check-cost.mjs [--json]   (--json: last line is a JSON summary)
/* global process, console -- a Node script */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CNN_BUDGET = 15_000;
/** 12 einsum calls (attention and the classic forms) over mock-ops' ~10k baseline: ~22.6k measured. */
const EINSUM_BUDGET = 30_000;
const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");

function measure(name, config) {
  const run = spawnSync(process.execPath, [tsc, "-p", join(here, config), "--extendedDiagnostics"], { encoding: "utf8" });
  const output = `${run.stdout}${run.stderr}`;
  const field = (label) => output.match(new RegExp(`^${label}:\\s+([\\d.]+)`, "m"))?.[1];
  const errors = output.split("\n").filter((line) => /error TS\d+/.test(line));
  return {
    name,
    ok: run.status === 0 && errors.length === 0,
    instantiations: Number(field("Instantiations") ?? NaN),
    checkTimeSeconds: Number(field("Check time") ?? NaN),
    errors,
  };
}

const cnn = measure("cnn-chain", "tsconfig.cnn.json");
const deep = measure("deep-chain", "tsconfig.deep.json");
const einsum = measure("einsum-chain", "tsconfig.einsum.json");
const failures = [];
for (const result of [cnn, deep, einsum]) {
  console.log(
    `${result.name}: ${result.instantiations} instantiations, check time ${result.checkTimeSeconds}s${result.ok ? "" : " (FAILED)"}`,
  );
  for (const error of result.errors) console.log(`  ${error}`);
  if (!result.ok) failures.push(`${result.name} does not type-check`);
}
if (!(cnn.instantiations <= CNN_BUDGET)) failures.push(`cnn-chain needs ${cnn.instantiations} instantiations, budget ${CNN_BUDGET}`);
if (!(einsum.instantiations <= EINSUM_BUDGET))
  failures.push(`einsum-chain needs ${einsum.instantiations} instantiations, budget ${EINSUM_BUDGET}`);
for (const failure of failures) console.log(`FAIL: ${failure}`);
if (process.argv.includes("--json"))
  console.log(JSON.stringify({ cnn, deep, einsum, budget: CNN_BUDGET, einsumBudget: EINSUM_BUDGET, failures }));
process.exitCode = failures.length === 0 ? 0 : 1;
