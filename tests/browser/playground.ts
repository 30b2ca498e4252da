// Browser test of the playground (npm run test:browser; not part of `npm test`, which stays
// Node-only): builds the page, serves it on a free port, drives it in headless Chromium with
// playwright-core, and checks that
//   - the page is cross-origin isolated and tfjs fetched its .wasm from the page's own origin,
//   - spirals train to >= 0.95 test accuracy in the page (the worker trains, the page draws),
//   - the page stays responsive meanwhile (longest gap between animation frames),
//   - the decision-boundary canvas is drawn (both class colours present).
// Chromium: CHROMIUM=/path/to/chrome, default /usr/bin/chromium (Debian's package; Playwright
// cannot download its own browsers here). SCREENSHOT=out/playground.png saves the page at the end;
// THREADS=2 (or auto) runs tfjs's threaded WASM build (the page's ?threads=2) and checks that the
// threads came up (the page is cross-origin isolated, so they must).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { buildPlayground } from "../../examples/playground/build.js";
import { servePlayground, type PlaygroundServer } from "../../examples/playground/serve.js";
import type { PlaygroundState } from "../../examples/playground/page.js";

const TARGET_ACCURACY = 0.95;
const TRAIN_TIMEOUT_MS = 90_000;
const STEADY_MS = 3_000;
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

function log(line: string): void {
  console.log(`[test:browser] ${line}`);
}

async function main(): Promise<void> {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium (apt-get install chromium) or set CHROMIUM`);
  }
  const started = performance.now();
  const { out } = await buildPlayground();
  let server: PlaygroundServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await servePlayground({ root: out, port: 0 });
    const origin = new URL(server.url).origin;
    log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s, serving ${server.url}`);
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], headless: true });
    const context = await browser.newContext();
    // NOTE: tsx compiles this file with esbuild's keepNames, which wraps the functions passed to
    // page.evaluate in calls to a `__name` helper that only exists on the Node side.
    await context.addInitScript("globalThis.__name = (fn) => fn;");
    const page = await context.newPage();

    // every request of the page and its worker, with the status it got
    const wasm: { url: string; status: number }[] = [];
    const problems: string[] = [];
    context.on("requestfinished", (request) => {
      if (!new URL(request.url()).pathname.endsWith(".wasm")) return;
      void request.response().then((response) => wasm.push({ url: request.url(), status: response?.status() ?? 0 }));
    });
    context.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    context.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });

    const threads = process.env.THREADS;
    await page.goto(threads === undefined ? server.url : `${server.url}?threads=${threads}`);
    await page.waitForFunction(() => window.__playground.status !== "loading", undefined, { timeout: 60_000 });
    const ready = await page.evaluate(() => ({ ...window.__playground, isolated: window.crossOriginIsolated }));
    assert.equal(ready.status, "paused", `the page did not become ready: ${ready.error ?? ready.status}`);
    assert.equal(ready.backend, "wasm");
    assert.ok(ready.isolated, "the page is not cross-origin isolated (COOP/COEP headers missing?)");
    log(
      `ready after ${((performance.now() - started) / 1000).toFixed(1)} s: backend ${ready.backend}, ${ready.threads} thread(s), native kernels ${JSON.stringify(ready.native)}`,
    );
    // our own WASM kernels instantiate in the browser too (the spirals MLP trains with the Adam one)
    assert.ok(
      ready.native !== undefined && Object.keys(ready.native).length >= 3,
      `native status missing: ${JSON.stringify(ready.native)}`,
    );
    for (const [name, status] of Object.entries(ready.native)) assert.equal(status, "ok", `native module ${name}: ${status}`);
    if (threads !== undefined && threads !== "off") {
      const expected =
        threads === "auto" ? Math.min(await page.evaluate(() => navigator.hardwareConcurrency), 8) : Math.min(Number(threads), 8);
      assert.equal(ready.threads, expected, `asked for ${threads} threads, got ${ready.threads} (the worker's console says why)`);
    }

    await page.selectOption("#dataset", "spirals");
    await page.waitForFunction(() => window.__playground.config.dataset === "spirals");
    await page.click("#play");
    const trainStart = performance.now();
    // while training: the longest gap between two animation frames on the main thread
    const longestFrameGapMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let last = performance.now();
          let longest = 0;
          const end = last + 2000;
          const tick = (now: number) => {
            longest = Math.max(longest, now - last);
            last = now;
            if (now < end) requestAnimationFrame(tick);
            else resolve(longest);
          };
          requestAnimationFrame(tick);
        }),
    );
    // the state at the moment the target was reached (accuracy wobbles a little from chunk to chunk)
    const reached = await page.waitForFunction(
      (target) => {
        const s = window.__playground;
        const hit = s.status === "error" || (s.config.dataset === "spirals" && (s.scores?.testAccuracy ?? 0) >= target);
        return hit ? JSON.stringify(s) : false;
      },
      TARGET_ACCURACY,
      { timeout: TRAIN_TIMEOUT_MS, polling: 100 },
    );
    const trainSeconds = (performance.now() - trainStart) / 1000;
    const snapshot = await reached.jsonValue();
    assert.ok(snapshot, "waitForFunction resolved without a state");
    const done = JSON.parse(snapshot) as PlaygroundState;
    // ms/step once the WASM code has tiered up: train on for a few seconds (the first seconds
    // run Chromium's baseline-compiled WASM, and the first chunk traces the jitted step)
    await page.waitForTimeout(STEADY_MS);
    const later: PlaygroundState = await page.evaluate(() => window.__playground);
    await page.click("#play"); // pause
    const steadyMsPerStep = (later.timed.ms - done.timed.ms) / Math.max(1, later.timed.steps - done.timed.steps);
    assert.notEqual(done.status, "error", `training failed: ${done.error}`);
    assert.notEqual(later.status, "error", `training failed: ${later.error}`);
    const accuracy = done.scores?.testAccuracy ?? 0;
    assert.ok(accuracy >= TARGET_ACCURACY, `test accuracy ${accuracy} < ${TARGET_ACCURACY}`);

    // the boundary canvas shows both classes' colours (a heat map, not a blank or uniform canvas)
    await page.waitForFunction((step) => window.__playground.frames > 0 && window.__playground.step >= step, done.step);
    const pixels = await page.evaluate(() => {
      const canvas = document.getElementById("boundary") as HTMLCanvasElement;
      const ctx = canvas.getContext("2d");
      if (!ctx) return { orange: 0, blue: 0, total: 0, distinct: 0 };
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let orange = 0;
      let blue = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (r > b + 40) orange++;
        else if (b > r + 40) blue++;
        colours.add((r << 16) | (g << 8) | b);
      }
      return { orange, blue, total: data.length / 4, distinct: colours.size };
    });
    assert.ok(pixels.orange > pixels.total * 0.1, `too few class-0 (orange) pixels on the boundary canvas: ${JSON.stringify(pixels)}`);
    assert.ok(pixels.blue > pixels.total * 0.1, `too few class-1 (blue) pixels on the boundary canvas: ${JSON.stringify(pixels)}`);
    assert.ok(pixels.distinct > 50, `the boundary canvas has only ${pixels.distinct} colours`);

    // the WASM binary came from the page's own origin, and nothing else was fetched from elsewhere
    assert.ok(wasm.length > 0, "no .wasm was fetched");
    for (const w of wasm) {
      assert.equal(new URL(w.url).origin, origin, `.wasm fetched from another origin: ${w.url}`);
      assert.equal(w.status, 200, `.wasm ${w.url} answered ${w.status}`);
    }
    assert.deepEqual(problems, [], `the page reported problems:\n${problems.join("\n")}`);
    // NOTE: training on the main thread would freeze the page for seconds; the bound is loose
    // because a busy 2-core machine delays frames by a few hundred ms anyway.
    assert.ok(longestFrameGapMs < 1000, `the page was blocked for ${longestFrameGapMs.toFixed(0)} ms while training`);

    log(
      `spirals: test accuracy ${accuracy.toFixed(3)} (train ${done.scores?.trainAccuracy.toFixed(3)}) after ${done.step} steps, ` +
        `${trainSeconds.toFixed(1)} s at ${done.meanMsPerStep?.toFixed(2)} ms/step`,
    );
    log(
      `ms/step in Chromium: ${steadyMsPerStep.toFixed(2)} over the next ${later.step - done.step} steps ` +
        `(batch ${done.config.batchSize}, hidden [${done.config.hidden.join(", ")}] ${done.config.activation}, ${done.config.optimizer})`,
    );
    log(
      `wasm: ${wasm.map((w) => new URL(w.url).pathname).join(", ")} from ${origin}; longest frame gap ${longestFrameGapMs.toFixed(0)} ms`,
    );
    log(`boundary canvas: ${pixels.orange} orange, ${pixels.blue} blue of ${pixels.total} pixels, ${pixels.distinct} colours`);
    if (process.env.SCREENSHOT) {
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
      log(`screenshot: ${process.env.SCREENSHOT}`);
    }
    log(`passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await browser?.close();
    await server?.close();
  }
}

main().catch((error: unknown) => {
  console.error(`[test:browser] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
