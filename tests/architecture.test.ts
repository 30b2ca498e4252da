// The dependency rule of ARCHITECTURE.md, checked on every import of every source file:
// folders import only from below them, and nothing outside src/core reaches into core's files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

/** What each folder may import (besides itself). Order follows the layers, bottom up. */
export const allowedImports: Record<string, readonly string[]> = {
  typelevel: [],
  tensor: ["typelevel"],
  tree: ["tensor", "typelevel"],
  core: ["tensor", "tree", "typelevel"],
  ops: ["core", "tensor", "tree", "typelevel"],
  random: ["core", "tensor", "tree", "typelevel"],
  testing: ["core", "ops", "random", "tensor", "tree", "typelevel"],
  nn: ["core", "ops", "random", "tensor", "tree", "typelevel"],
  losses: ["core", "ops", "tensor", "tree", "typelevel"],
  optim: ["core", "ops", "tensor", "tree", "typelevel"],
  // io exports models (tfjs-layers, ONNX): it reads nn's layers and traces with core's makeGraph.
  // nn never imports io.
  io: ["core", "nn", "ops", "tensor", "tree", "typelevel"],
  peers: [],
  data: ["peers", "tensor", "typelevel"],
  backend: [],
  train: ["backend", "core", "data", "io", "losses", "nn", "ops", "optim", "peers", "random", "tensor", "tree", "typelevel"],
  // plot draws what training records: it imports train's History type (type-only, so plot's
  // runtime still loads nothing from src; tests/plot-charts checks that), and train never imports plot.
  plot: ["peers", "train"],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "dist" && !name.startsWith(".")) out.push(...sourceFiles(path));
    } else if (/\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

/** Relative module specifiers of every import / export-from / dynamic import in a file. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) specs.push(m[1]);
  return specs;
}

/** The folder a path belongs to: "typelevel", a folder of src/, "src" for src's own files, or null. */
function folderOf(path: string): string | null {
  const rel = relative(root, path).split(sep);
  if (rel[0] === "typelevel") return "typelevel";
  if (rel[0] !== "src") return null;
  return rel.length > 2 ? rel[1] : "src";
}

interface Edge {
  file: string;
  spec: string;
  target: string;
}

function edges(dirs: readonly string[]): Edge[] {
  const out: Edge[] = [];
  for (const d of dirs) {
    for (const file of sourceFiles(join(root, d))) {
      for (const spec of relativeImports(file)) out.push({ file: relative(root, file), spec, target: resolve(dirname(file), spec) });
    }
  }
  return out;
}

const coreDir = join(root, "src", "core");
const coreIndex = join(coreDir, "index.js");
// The error classes import nothing, so every folder may throw them (plot and backend too).
const errorsFile = join(root, "src", "tensor", "errors.js");

/** Imports that break the rule, as readable lines (empty when the tree is clean). */
export function violations(all: readonly Edge[]): string[] {
  const bad: string[] = [];
  for (const e of all) {
    const from = folderOf(join(root, e.file));
    const to = folderOf(e.target);
    const fromCore = e.file.startsWith(`src${sep}core${sep}`);
    if (!fromCore && e.target.startsWith(coreDir + sep) && e.target !== coreIndex) {
      bad.push(`${e.file}: imports core's internal file ${e.spec}; use core/index.js`);
    }
    if (from === null || from === "src" || to === null || from === to || e.target === errorsFile) continue;
    if (to === "src") {
      bad.push(`${e.file}: imports the package root (${e.spec})`);
      continue;
    }
    const allowed = allowedImports[from];
    if (allowed === undefined) bad.push(`${e.file}: folder ${from} has no entry in allowedImports`);
    else if (!allowed.includes(to))
      bad.push(`${e.file}: ${from} may not import ${to} (${e.spec}); ${from} may import ${allowed.join(", ") || "nothing from src"}`);
  }
  return bad;
}

describe("architecture", () => {
  const all = edges(["src", "typelevel", "tests", "examples", "bench"]);

  it("reads the imports of the whole tree", () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((e) => e.file.startsWith(`src${sep}nn`) && e.spec.endsWith("core/index.js"))).toBe(true);
  });

  it("every src folder has an entry in the dependency table", () => {
    const folders = readdirSync(join(root, "src")).filter((n) => statSync(join(root, "src", n)).isDirectory());
    expect(folders.filter((f) => !(f in allowedImports))).toEqual([]);
  });

  it("folders import only from below them, and only core's index from outside core", () => {
    expect(violations(all)).toEqual([]);
  });

  it("every folder README says what the folder may import, as allowedImports does", () => {
    // The paragraph starting "**May import:**"; a folder counts when its name is in backticks there.
    const said = (folder: string): string[] | string => {
      const readme = join(root, folder === "typelevel" ? "" : "src", folder, "README.md");
      const m = /(?:^|\n)\*\*May import:\*\*([^]*?)(?:\n\s*\n|$)/.exec(readFileSync(readme, "utf8"));
      if (m === null) return `${relative(root, readme)} has no "**May import:**" paragraph`;
      const names = [...m[1].matchAll(/`([^`]+)`/g)].map((x) => x[1].replace(/\/$/, ""));
      return [...new Set(names.filter((n) => n in allowedImports))].sort();
    };
    for (const [folder, allowed] of Object.entries(allowedImports)) expect(said(folder), folder).toEqual([...allowed].sort());
  });

  it("the error classes import nothing (which is what lets every folder import them)", () => {
    expect(relativeImports(join(root, "src", "tensor", "errors.ts"))).toEqual([]);
    expect(readFileSync(join(root, "src", "tensor", "errors.ts"), "utf8")).not.toMatch(/^import /m);
  });

  it("library code throws the error classes: a plain Error only for an internal invariant, marked as one", () => {
    // A user catches ShapeError / DTypeError / ValueError (or ShapeflowError); `new Error(` stays
    // only where a broken invariant of ours is reported, and those messages start with "internal"
    // or say "a bug", so a reader knows it is not their input. tensor/errors.ts rewraps foreign errors.
    const plain: string[] = [];
    for (const file of sourceFiles(join(root, "src"))) {
      const rel = relative(root, file);
      if (rel.startsWith(`src${sep}testing${sep}`) || rel === join("src", "tensor", "errors.ts")) continue;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/new Error\(([^]{0,160})/g)) {
        if (!/internal|a bug/.test(m[1])) plain.push(`${rel}: new Error(${m[1].split("\n")[0]}`);
      }
    }
    expect(plain).toEqual([]);
  });

  it("flags an upward import and a reach into core's files", () => {
    const fake = (file: string, spec: string): Edge => ({ file, spec, target: resolve(root, dirname(file), spec) });
    expect(violations([fake("src/ops/x.ts", "../nn/index.js")])).toEqual([
      "src/ops/x.ts: ops may not import nn (../nn/index.js); ops may import core, tensor, tree, typelevel",
    ]);
    expect(violations([fake("src/nn/x.ts", "../core/primitives/conv.js")])).toEqual([
      "src/nn/x.ts: imports core's internal file ../core/primitives/conv.js; use core/index.js",
    ]);
    expect(violations([fake("tests/x.test.ts", "../src/core/trace.js")])).toHaveLength(1);
    expect(violations([fake("typelevel/x.ts", "../src/tensor/index.js")])).toHaveLength(1);
    expect(violations([fake("src/core/grad.ts", "./trace.js"), fake("src/nn/x.ts", "../core/index.js")])).toEqual([]);
  });
});
