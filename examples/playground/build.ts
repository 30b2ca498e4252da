// Builds the playground into out/playground/: page.js and worker.js bundled by esbuild (from
// the repo's sources), index.html, style.css, and tfjs's .wasm binaries, so the page loads
// everything from its own origin.
//   npx tsx examples/playground/build.ts
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const playgroundOut = resolve(here, "../../out/playground");

/** The folder of tfjs-backend-wasm's .wasm binaries (dist/ of the installed package). */
function wasmFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
}

/** Bundles and copies everything the page needs into `out` (default out/playground). */
export async function buildPlayground(out = playgroundOut): Promise<{ out: string; wasm: string[] }> {
  mkdirSync(join(out, "wasm"), { recursive: true });
  const common = {
    outdir: out,
    bundle: true,
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
  } as const;
  // the page is a module script; the worker a classic one (module workers are not everywhere yet)
  await Promise.all([
    build({ ...common, entryPoints: { page: join(here, "page.ts") }, format: "esm" }),
    build({ ...common, entryPoints: { worker: join(here, "worker.ts") }, format: "iife" }),
  ]);
  for (const file of ["index.html", "style.css"]) copyFileSync(join(here, file), join(out, file));
  const from = wasmFolder();
  const wasm = readdirSync(from).filter((f) => f.endsWith(".wasm"));
  for (const file of wasm) copyFileSync(join(from, file), join(out, "wasm", file));
  return { out, wasm };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { out, wasm } = await buildPlayground();
  console.log(`playground built in ${out} (${wasm.length} .wasm binaries)`);
}
