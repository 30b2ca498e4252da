// A tiny static server for the playground (node:http, no dependency): builds the page, then
// serves out/playground/ on localhost with the cross-origin isolation headers (COOP/COEP), so
// a threaded WASM build can run (SharedArrayBuffer needs them).
//   npm run playground              PORT=9000 npm run playground
import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { buildPlayground, playgroundOut } from "./build.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  // instantiateStreaming needs this exact type
  ".wasm": "application/wasm",
};

export interface PlaygroundServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1:`port` (0: a free port). Resolves once listening. */
export function servePlayground(options: { root?: string; port?: number } = {}): Promise<PlaygroundServer> {
  const root = options.root ?? playgroundOut;
  const server = createServer((request, response) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(request.method === "GET" || request.method === "HEAD" ? 403 : 405, headers).end();
      return;
    }
    stat(file)
      .then((s) => (s.isFile() ? readFile(file) : Promise.reject(new Error("not a file"))))
      .then(
        (body) => {
          response.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
          response.end(request.method === "HEAD" ? undefined : body);
        },
        () => response.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not found: ${path}\n`),
      );
  });
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolveServer({
        url: `http://localhost:${port}/`,
        server,
        close: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildPlayground();
  const { url } = await servePlayground({ port: Number(process.env.PORT ?? 8080) });
  console.log(`shapeflow playground: ${url}  (Ctrl-C stops)`);
}
