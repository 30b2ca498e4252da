// `npm run docs` builds the API reference (typedoc.json) with zero warnings: every exported symbol
// has a doc comment, every link resolves, and no public signature names a type that is neither
// exported nor listed in `intentionallyNotExported`. typedoc runs twice here without writing
// files: as `npm run docs` does, and with one rule stricter than typedoc.json: every *named*
// property (an option, a field of an exported interface or class) has a doc comment too.
// Properties of anonymous object types (an inferred return type, a conditional type's branch)
// have no place for a comment and are exempt.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const typedoc = join(root, "node_modules", ".bin", "typedoc");

const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")) as {
  entryPoints: string[];
  requiredToBeDocumented: string[];
  treatWarningsAsErrors: boolean;
};

/** Runs typedoc with typedoc.json and `args`, writing nothing; its warning and error lines. */
function typedocRun(args: string[]): { status: number | null; warnings: string[]; out: string } {
  const r = spawnSync(typedoc, ["--emit", "none", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeout: 600_000,
  });
  const escape = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
  const out = (r.stdout + r.stderr).replace(escape, "");
  const warnings = out.split("\n").filter((l) => /^\[(warning|error)\]/.test(l) && !/^\[\w+\] Found \d+ errors and \d+ warnings/.test(l));
  // every warning typedoc counted is one of the lines read
  const found = /Found (\d+) errors and (\d+) warnings/.exec(out);
  const counted = found === null ? 0 : Number(found[1]) + Number(found[2]);
  if (counted !== warnings.length)
    throw new Error(`typedoc counted ${counted} warnings, ${warnings.length} lines were read:\n${out.slice(-4000)}`);
  return { status: r.status, warnings, out };
}

describe("API reference (typedoc)", () => {
  it("documents every entry point of package.json's exports", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, string | { import?: string; default?: string }>;
    };
    const sources = Object.values(pkg.exports)
      .map((t) => (typeof t === "string" ? t : (t.import ?? t.default ?? "")))
      .filter((f) => f.startsWith("./dist/"))
      .map((f) => f.slice("./dist/".length).replace(/\.js$/, ".ts"));
    expect([...config.entryPoints].sort()).toEqual(sources.sort());
    expect(config.treatWarningsAsErrors).toBe(true);
  });

  it("builds with no warnings (npm run docs)", () => {
    const { status, warnings, out } = typedocRun([]);
    expect(warnings, out.slice(-4000)).toEqual([]);
    expect(status, out.slice(-4000)).toBe(0);
  }, 600_000);

  it("has a doc comment on every named property", () => {
    const kinds = [...config.requiredToBeDocumented, "Property"].flatMap((k) => ["--requiredToBeDocumented", k]);
    const { status, warnings, out } = typedocRun(["--treatWarningsAsErrors", "false", ...kinds]);
    // an anonymous object type's property (`f.__type.x`): nowhere to write its comment
    const exempt = /^\[warning\] \S+\.__type\.\S+ \(Property\), defined in .* does not have any documentation$/;
    expect(
      warnings.filter((l) => !exempt.test(l)),
      out.slice(-4000),
    ).toEqual([]);
    expect(status, out.slice(-4000)).toBe(0);
  }, 600_000);
});
