// Every ```ts block of every Markdown file in the repository (README.md, ARCHITECTURE.md, the
// folder READMEs, ...) is type-checked as a module importing from the repo's sources, and the
// blocks marked `<!-- run -->` are run with tsx in a child process. A block's imports from
// "shapeflow" and "shapeflow/<subpath>" are rewritten to the source file that package.json's
// `exports` names for them, so a block reads as a consumer writes it.
//
// Markers: HTML comments (invisible on GitHub) on the lines right above the fence.
//   <!-- run -->                     also run it (it must call `await init()`; cwd is a scratch folder)
//   <!-- prelude: <code> -->         code checked (and run) before the block, e.g. the declarations
//                                    of a fragment's free names; may span lines
//   <!-- checked as <file> -->       the block is that test file verbatim but for the import path
//                                    (the file is type-checked and run by `npm test`)
//   <!-- not checked: <reason> -->   skipped; counted, and kept to a few
// A line followed by a `//   ~~~~ error ...` line must NOT compile (checked as `@ts-expect-error`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const outDir = join(root, "out", "readme-blocks");
const tsx = join(root, "node_modules", ".bin", "tsx");

/** Blocks that are neither checked nor run may exist, but only this many. */
const MAX_NOT_CHECKED = 2;

interface Block {
  /** Markdown file, relative to the repo root (with `/`). */
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
  run: boolean;
  prelude: string;
  checkedAs: string | null;
  notChecked: string | null;
}

/** The ```ts blocks of one Markdown text with their markers; throws on an unknown marker. */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (open[1] === "ts" || open[1] === "typescript") {
      const block: Block = {
        file,
        line: i + 2,
        code: lines.slice(i + 1, end).join("\n"),
        run: false,
        prelude: "",
        checkedAs: null,
        notChecked: null,
      };
      for (const marker of markersAbove(lines, i)) {
        let m: RegExpExecArray | null;
        if (marker === "run") block.run = true;
        else if ((m = /^prelude:\s*([^]*)$/.exec(marker))) block.prelude += m[1] + "\n";
        else if ((m = /^checked as\s+(\S+)$/.exec(marker))) block.checkedAs = m[1];
        else if ((m = /^not checked:\s*(\S[^]*)$/.exec(marker))) block.notChecked = m[1];
        else throw new Error(`${file}:${i + 1}: unknown block marker <!-- ${marker} --> (run, prelude:, checked as, not checked:)`);
      }
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

/** The contents of the HTML comments stacked directly above line `fence`, top to bottom. */
function markersAbove(lines: readonly string[], fence: number): string[] {
  const out: string[] = [];
  let j = fence - 1;
  while (j >= 0 && lines[j].trimEnd().endsWith("-->")) {
    let start = j;
    while (start >= 0 && !lines[start].includes("<!--")) start--;
    if (start < 0) break;
    const text = lines.slice(start, j + 1).join("\n");
    out.unshift(text.slice(text.indexOf("<!--") + 4, text.lastIndexOf("-->")).trim());
    j = start - 1;
  }
  return out;
}

/** "shapeflow" and "shapeflow/<subpath>" to repo files (without extension change), from package.json's exports. */
function packageEntries(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | { import?: string; default?: string }>;
  };
  const entries = new Map<string, string>();
  for (const [key, target] of Object.entries(pkg.exports)) {
    const file = typeof target === "string" ? target : (target.import ?? target.default);
    // ./dist/src/index.js is built from src/index.ts; other files (./package.json) are not modules to rewrite
    if (file?.startsWith("./dist/")) entries.set(pkg.name + key.slice(1), file.slice("./dist/".length));
  }
  return entries;
}

/** The block's imports of the package, pointed at the sources relative to `fromDir`. */
export function rewriteImports(code: string, fromDir: string, entries: Map<string, string>): string {
  return code.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\bdeclare module\s+)(["'])(shapeflow(?:\/[^"']*)?)\2/gm,
    (all, pre: string, q: string, spec: string) => {
      const target = entries.get(spec);
      if (target === undefined)
        throw new Error(`import of "${spec}": package.json exports no such entry (${[...entries.keys()].join(", ")})`);
      let rel = relative(fromDir, join(root, target)).split(sep).join("/");
      if (!rel.startsWith(".")) rel = "./" + rel;
      return `${pre}${q}${rel}${q}`;
    },
  );
}

interface Generated {
  block: Block;
  path: string;
  /** For each line of the generated file, the Markdown line it came from (null: prelude or inserted). */
  mdLines: (number | null)[];
}

/** The module to check for a block: prelude, block, `@ts-expect-error` above lines marked `~~~`. */
function generate(block: Block, path: string, entries: Map<string, string>): Generated {
  const out: string[] = [];
  const mdLines: (number | null)[] = [];
  for (const l of rewriteImports(block.prelude, dirname(path), entries).split("\n")) {
    out.push(l);
    mdLines.push(null);
  }
  const code = rewriteImports(block.code, dirname(path), entries).split("\n");
  code.forEach((l, k) => {
    if (k + 1 < code.length && /^\s*\/\/\s*~+/.test(code[k + 1])) {
      out.push("// @ts-expect-error: the README shows that this line does not compile");
      mdLines.push(block.line + k);
    }
    out.push(l);
    mdLines.push(block.line + k);
  });
  if (!/^\s*(import|export)\s/m.test(out.join("\n"))) out.push("export {};");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out.join("\n") + "\n");
  return { block, path, mdLines };
}

/** Type errors of the generated modules, as `file.md:line: message` (one program, so src is read once). */
function typeErrors(gens: readonly Generated[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (config === undefined) throw new Error("tsconfig.json could not be read");
  const program = ts.createProgram({ rootNames: gens.map((g) => g.path), options: { ...config.options, noEmit: true } });
  const errors: string[] = program.getOptionsDiagnostics().map((d) => `options: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  for (const g of gens) {
    const sf = program.getSourceFile(g.path);
    if (sf === undefined) throw new Error(`${g.path} is not in the program`);
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const md = g.mdLines[line];
      const where = md === null ? `${g.block.file}:${g.block.line} (prelude line ${line + 1})` : `${g.block.file}:${md}`;
      errors.push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    }
  }
  return errors;
}

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // docs/api is typedoc's output; the hand-written pages beside it are checked
      const generated =
        ["node_modules", "dist", "out", "coverage"].includes(name) || relative(root, path).split(sep).join("/") === "docs/api";
      if (!generated && !name.startsWith(".")) out.push(...markdownFiles(path));
    } else if (name.endsWith(".md")) out.push(path);
  }
  return out;
}

const blocks = markdownFiles(root).flatMap((p) => extractBlocks(relative(root, p).split(sep).join("/"), readFileSync(p, "utf8")));
const fileName = (b: Block) => `${b.file.replace(/\.md$/, "").replace(/[^\w]+/g, "_")}_L${b.line}.ts`;

describe("code blocks in the docs", () => {
  rmSync(outDir, { recursive: true, force: true });
  const entries = packageEntries();
  const checked = blocks.filter((b) => b.notChecked === null && b.checkedAs === null);
  const gens = checked.map((b) => generate(b, join(outDir, fileName(b)), entries));

  // Canaries: a wrong block must be reported at its Markdown line, and a `~~~` line that compiles too.
  const canaryText = [
    "```ts",
    'import { scalar } from "shapeflow";',
    "const n: string = scalar(1);",
    "const ok = 1;",
    "//         ~~ error: (this line compiles, so the check must fail)",
    "```",
  ].join("\n");
  const canaries = extractBlocks("canary.md", canaryText).map((b) => generate(b, join(outDir, "canary", fileName(b)), entries));

  it("finds the blocks of README.md, ARCHITECTURE.md and the folder READMEs", () => {
    const files = new Set(blocks.map((b) => b.file));
    for (const f of ["README.md", "src/nn/README.md", "src/testing/README.md", "typelevel/README.md"]) expect(files).toContain(f);
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it("type-checks every block as a module importing the package", () => {
    const errors = typeErrors([...gens, ...canaries]);
    const [real, canary] = [errors.filter((e) => !e.startsWith("canary.md")), errors.filter((e) => e.startsWith("canary.md"))];
    expect(real).toEqual([]);
    expect(canary).toEqual([
      "canary.md:3: Type 'Tensor<[], \"float32\">' is not assignable to type 'string'.",
      "canary.md:4: Unused '@ts-expect-error' directive.",
    ]);
  }, 300_000);

  it("runs the blocks marked run, each with `await init()`", () => {
    const runs = gens.filter((g) => g.block.run);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const g of runs) {
      const where = `${g.block.file}:${g.block.line}`;
      expect(g.block.prelude + g.block.code, `${where} runs without await init()`).toMatch(/await init\(/);
      const cwd = join(outDir, "cwd", fileName(g.block).replace(/\.ts$/, ""));
      mkdirSync(cwd, { recursive: true });
      const r = spawnSync(tsx, [g.path], { cwd, env: { ...process.env, CI: "true" }, encoding: "utf8", timeout: 180_000 });
      expect(r.status, `${where} exited with ${r.status}${r.signal ? ` (${r.signal})` : ""}:\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 600_000);

  it("blocks checked as a test file are that file verbatim but for the import path", () => {
    for (const b of blocks.filter((x) => x.checkedAs !== null)) {
      const path = join(root, b.checkedAs!);
      const test = readFileSync(path, "utf8").replace(/^\/\/.*\n/, ""); // the file's header comment is its own
      expect(rewriteImports(b.code, dirname(path), entries).trim(), `${b.file}:${b.line} vs ${b.checkedAs}`).toBe(test.trim());
    }
  });

  it("keeps unchecked blocks few, each with a reason", () => {
    const skipped = blocks.filter((b) => b.notChecked !== null);
    const summary = `${blocks.length} blocks: ${checked.length} type-checked (${checked.filter((b) => b.run).length} also run), ${
      blocks.length - checked.length - skipped.length
    } checked as test files, ${skipped.length} not checked`;
    console.log(`docs code blocks: ${summary}`);
    expect(skipped.map((b) => `${b.file}:${b.line}: ${b.notChecked}`).length, summary).toBeLessThanOrEqual(MAX_NOT_CHECKED);
  });
});
