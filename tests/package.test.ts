// The published package, tried as a consumer would: `npm pack` (prepack builds dist/), the
// tarball's contents, an offline install into a fresh project (its own package.json, ESM,
// TypeScript strict + NodeNext, skipLibCheck off), a type check with default `types` and with
// `types: ["node"]` (zero errors, and a shape mistake that must fail), a run with plain `node`,
// and an esbuild browser bundle of the installed root entry. One pack per run (~1-2 min).
//
// NOTE: no network. npm resolves a package's dependencies from full registry documents, which
// an offline cache may not hold; the consumer therefore gets a package-lock.json cut from this
// repository's lock (the transitive closure of shapeflow's dependencies, same versions and
// integrity), and `npm ci --offline` installs it from the tarballs `npm ci` already cached here.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPTIONAL_PEERS } from "../src/peers/index.js";

const root = new URL("..", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "shapeflow-package-"));
const consumer = join(work, "consumer");
const env = { ...process.env, CI: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
let tarball = "";
let files: string[] = [];

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Lock entries (by path) of everything `deps` needs, resolved from `from` as Node would (nearest node_modules up). */
function closure(packages: Record<string, LockEntry>, from: string, deps: Record<string, string>, out: Record<string, LockEntry>): void {
  const resolve = (base: string, name: string): string | undefined => {
    for (let dir = base; ; dir = dir.includes("/node_modules/") ? dir.slice(0, dir.lastIndexOf("/node_modules/")) : "") {
      const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (packages[path]) return path;
      if (!dir) return undefined;
    }
  };
  for (const name of Object.keys(deps)) {
    const path = resolve(from, name);
    if (!path) throw new Error(`package-lock.json has no ${name} (needed from ${from || "the root"})`);
    if (out[path]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[path];
    out[path] = entry;
    closure(packages, path, requiredOf(entry), out);
    for (const optional of Object.keys(entry.optionalDependencies ?? {})) {
      if (resolve(path, optional)) closure(packages, path, { [optional]: "*" }, out);
    }
  }
}

/** Dependencies plus the peers npm installs (the non-optional ones). */
function requiredOf(entry: LockEntry): Record<string, string> {
  const peers = Object.entries(entry.peerDependencies ?? {}).filter(([name]) => !entry.peerDependenciesMeta?.[name]?.optional);
  return { ...entry.dependencies, ...Object.fromEntries(peers) };
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** tsc in the consumer: its diagnostics, one per line (tsc exits non-zero when there are any). */
function typeCheck(project: string): string[] {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: consumer, env, encoding: "utf8" });
  return result.stdout.split("\n").filter((line) => /error TS\d+/.test(line));
}

const mainTs = `import { init, nn, optim, losses, train, data, random, tensor, type Tensor } from "shapeflow";
import { loadIris, loadMnist, renderPng, progressBar, MissingPeerError } from "shapeflow/node";
import { linePlot } from "shapeflow/plot";

await init();
const table = data.xor();
const model = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.relu()).add(nn.dense(2));
const result = await train.fit({
  model, params: model.init(random.key(1)), optimizer: optim.adam(0.05), loss: losses.sparseCategoricalCrossEntropy,
  train: table, epochs: 150, batchSize: 4, metrics: ["accuracy"], progress: "silent",
});
const logits: Tensor<["batch", 2]> = model.apply(result.params, tensor(table.x.data, [4, 2]));
const iris = loadIris();
const irisShape: [number, 4] = iris.x.shape;

// the optional peers are not installed here: each feature names the package to add
const missing: string[] = [];
const expectMissing = async (attempt: () => unknown) => {
  try {
    await attempt();
    missing.push("no error");
  } catch (error) {
    missing.push(error instanceof MissingPeerError ? error.peer : String(error));
  }
};
await expectMissing(() => loadMnist({ limit: 10 }));
await expectMissing(() => renderPng({ svg: "<svg/>" }));
await expectMissing(() => linePlot({ y: [1, 2, 3] }));
const lines: string[] = [];
const bar = progressBar({ write: (s) => void lines.push(s) }); // CI: plain lines, no cli-progress needed
bar.startEpoch(0, 1, 1);
bar.endEpoch("loss 0.1000");

console.log(JSON.stringify({ accuracy: result.history.accuracy.at(-1), logits: logits.shape, iris: irisShape, missing, lines }));
`;

/**
 * The project's type corpus (programs that must compile, and `@ts-expect-error` lines that must
 * not), as a consumer meets it: imports point at the installed package. A must-fail line that
 * compiles is an unused `@ts-expect-error` (TS2578), so the check expects zero errors.
 */
const corpusFiles = [
  "types-corpus.test-d.ts",
  "types-trees.test-d.ts",
  "types-generic.test-d.ts",
  "vmap-types.test-d.ts",
  "train-types.test-d.ts",
];
function asConsumer(source: string): string {
  return source
    .replace('import type { Key } from "../src/random/index.js";', 'import type { random } from "shapeflow";\ntype Key = random.Key;')
    .replaceAll('from "../src/index.js"', 'from "shapeflow"')
    .replaceAll('from "../src/node.js"', 'from "shapeflow/node"')
    .replaceAll('from "../typelevel/index.js"', 'from "shapeflow/typelevel"');
}

const badTs = `import { nn } from "shapeflow";
// a shape mistake: conv2d needs [batch, H, W, C]
export const broken = nn.input(["batch", 784]).add(nn.conv2d({ filters: 8, kernel: 3 }));
`;

beforeAll(() => {
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], root)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, basename(packed[0].filename));
  files = packed[0].files.map((f) => f.path);

  const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" })) as LockEntry & {
    name: string;
    license: string;
  };
  const repoLock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const spec = `file:../${basename(tarball)}`;
  const self: LockEntry = {
    version: manifest.version,
    resolved: spec,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: manifest.license,
  };
  for (const key of ["dependencies", "peerDependencies", "peerDependenciesMeta", "engines"]) if (manifest[key]) self[key] = manifest[key];
  const locked: Record<string, LockEntry> = { "node_modules/shapeflow": self };
  const extras = { "@types/node": repoLock.packages["node_modules/@types/node"].version as string };
  closure(repoLock.packages, "node_modules/shapeflow", requiredOf(self), locked);
  closure(repoLock.packages, "", extras, locked);
  const dependencies = { shapeflow: spec, ...extras };
  mkdirSync(join(consumer, "src"), { recursive: true });
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module", dependencies }),
  );
  writeFileSync(
    join(consumer, "package-lock.json"),
    JSON.stringify({
      name: "consumer",
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "consumer", version: "1.0.0", dependencies }, ...locked },
    }),
  );
  const compilerOptions = {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: false,
    outDir: "out",
    rootDir: "src",
  };
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }));
  writeFileSync(
    join(consumer, "tsconfig.node-types.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { types: ["node"], noEmit: true } }),
  );
  writeFileSync(join(consumer, "src", "main.ts"), mainTs);
  writeFileSync(join(consumer, "src", "bad.ts"), badTs);
  mkdirSync(join(consumer, "corpus"), { recursive: true });
  for (const file of corpusFiles) {
    const source = asConsumer(readFileSync(join(root, "tests", file), "utf8"));
    expect(source, file).not.toMatch(/from "\.\.?\//); // every import rewritten to the package
    writeFileSync(join(consumer, "corpus", file.replace(".test-d.ts", ".ts")), source);
  }
  writeFileSync(
    join(consumer, "tsconfig.corpus.json"),
    JSON.stringify({ compilerOptions: { ...compilerOptions, types: ["node"], noEmit: true, rootDir: "corpus" }, include: ["corpus"] }),
  );
  run("npm", ["ci", "--offline"], consumer);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the npm package", () => {
  test("the tarball holds dist (JS + .d.ts), README, LICENSE and package.json only", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "LICENSE",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "dist/src/node.js",
        "dist/src/node.d.ts",
        "dist/src/plot/index.d.ts",
        "dist/typelevel/index.d.ts",
      ]),
    );
    const unexpected = files.filter(
      (f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/(src|typelevel)\/.*\.(js|d\.ts)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /\.test|\/bench\//.test(f))).toEqual([]);
  });

  test("no published declaration file mentions vega, resvg, cli-progress or tfjs-backend-wasm", () => {
    const dist = join(consumer, "node_modules", "shapeflow", "dist");
    const declarations = files.filter((f) => f.endsWith(".d.ts"));
    // an import, export-from, import() type or reference directive naming one of them
    const pulls =
      /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|types=)["'](?:vega|vega-lite|@resvg\/resvg-js|cli-progress|@tensorflow\/tfjs-backend-wasm)(?:\/[^"']*)?["']/m;
    const code = (f: string) =>
      readFileSync(join(dist, "..", f), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "") // doc comments (their examples may show an import)
        .replace(/^\s*\/\/(?!\/).*$/gm, ""); // line comments, not /// directives
    const offending = declarations.filter((f) => pulls.test(code(f)));
    expect(offending).toEqual([]);
  });

  test("installs offline without the optional peers", () => {
    const modules = join(consumer, "node_modules");
    expect(existsSync(join(modules, "shapeflow", "dist", "src", "index.js"))).toBe(true);
    for (const peer of Object.keys(OPTIONAL_PEERS)) expect(existsSync(join(modules, peer)), peer).toBe(false);
  });

  test('type-checks with skipLibCheck off: zero errors but the shape mistake, with default types and with types: ["node"]', () => {
    for (const project of ["tsconfig.json", "tsconfig.node-types.json"]) {
      const errors = typeCheck(project);
      expect(errors, project).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^src\/bad\.ts\(3,\d+\): error TS2345: .*ShapeError<"conv2d\(8, 3x3\) expects \[batch, H, W, C\], got \[batch, 784\]">/,
      );
    }
  });

  test("the type corpus holds on the built package: every must-fail line fails, every assertion holds", () => {
    expect(typeCheck("tsconfig.corpus.json")).toEqual([]);
  });

  test("runs with plain node: trains XOR, reads Iris, and each missing optional peer is named", () => {
    const out = JSON.parse(
      run(process.execPath, [join("out", "main.js")], consumer)
        .trim()
        .split("\n")
        .at(-1)!,
    ) as Record<string, unknown>;
    expect(out).toEqual({
      accuracy: 1,
      logits: [4, 2],
      iris: [150, 4],
      missing: ["mnist", "@resvg/resvg-js", "vega"],
      lines: ["epoch 1/1 loss 0.1000\n"],
    });
  });

  test("the installed root entry bundles for the browser (esbuild, no aliases or externals)", async () => {
    const result = await build({
      stdin: {
        contents: `import { init, nn, train } from "shapeflow";\nexport { init, nn, train };\n`,
        resolveDir: consumer,
        loader: "ts",
      },
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes("node_modules/shapeflow/dist/src/index.js"))).toBe(true);
    expect(inputs.filter((path) => path.startsWith("node:"))).toEqual([]);
  });
});
