// Shape inference at run time for a model's input shape, symbolic dims included.
//
// NOTE: symbolic dims ("batch", "time") have no size until apply. Shapes are computed twice with
// large, distinct probe sizes per symbol: a dim equal to the probe in both runs *is* that symbol,
// a dim that differs otherwise derives from one ("?"; the run-b sizes are about 3x the run-a ones,
// so halving or striding cannot make them agree). Messages are named the same way, so run-time
// errors read like the compile-time ones. Run a (powers of two) is the one checked at build time.
import { formatShape, reworded, ValueError } from "../tensor/index.js";
import type { Layer } from "./layer.js";

const PROBE = 1 << 20;
const probeSize = (symbol: number, run: 0 | 1) => (run === 0 ? PROBE + 2 * symbol : 3 * PROBE + 2 * symbol + 1);

/** A dim of a model's input: a size, or a name for a size known only at run time. */
export type InputDim = number | string;

interface Run {
  shapes: number[][];
  /** The first layer that threw, and its message. */
  error?: { layer: number; message: string; cause: unknown };
}

/** The shapes a list of layers gives an input shape with symbolic dims, and the errors they throw. */
export class ShapeProbe {
  private readonly symbols: string[] = [];
  private paramShapes?: number[][];

  constructor(
    readonly inputShape: readonly InputDim[],
    readonly layers: readonly Layer[],
  ) {
    for (const d of inputShape) if (typeof d === "string" && !this.symbols.includes(d)) this.symbols.push(d);
  }

  private probe(run: 0 | 1): number[] {
    return this.inputShape.map((d) => (typeof d === "number" ? d : probeSize(this.symbols.indexOf(d), run)));
  }

  private run(inShape: readonly number[]): Run {
    const shapes = [[...inShape]];
    for (let i = 0; i < this.layers.length; i++) {
      try {
        shapes.push(this.layers[i].outputShape(shapes[i]));
      } catch (e) {
        return { shapes, error: { layer: i, message: (e as Error).message, cause: e } };
      }
    }
    return { shapes };
  }

  /** A message from run a with every probe size replaced by its symbol (or "?" for sizes derived from one). */
  private nameMessage(a: string, b: string | undefined): string {
    const ta = a.split(/(\d+)/);
    const tb = b?.split(/(\d+)/);
    return ta
      .map((t, i) => {
        if (i % 2 === 0) return t;
        const s = this.symbols.findIndex((_, j) => Number(t) === probeSize(j, 0));
        if (s >= 0) return this.symbols[s];
        return tb && tb.length === ta.length && tb[i] !== t ? "?" : t;
      })
      .join("");
  }

  /** Throws the first layer error, worded with the symbolic dims; errors that depend on symbolic sizes wait for apply. */
  check(): void {
    const a = this.run(this.probe(0));
    if (a.error) throw reworded(a.error.cause, this.nameMessage(a.error.message, this.run(this.probe(1)).error?.message));
  }

  /**
   * Shapes before and after every layer for `inShape`. Without an argument: the shapes used for
   * parameters, symbolic dims as 1 (or large when 1 is too small for a layer).
   */
  shapes(inShape?: readonly number[]): number[][] {
    if (inShape !== undefined) {
      const r = this.run(inShape);
      if (r.error) throw reworded(r.error.cause, r.error.message);
      return r.shapes;
    }
    if (this.paramShapes) return this.paramShapes;
    const small = this.run(this.inputShape.map((d) => (typeof d === "number" ? d : 1)));
    this.paramShapes = small.error ? this.shapes(this.probe(0)) : small.shapes;
    return this.paramShapes;
  }

  /** Shapes before and after every layer, symbolic dims kept by name ("?" for sizes derived from them). */
  symbolicShapes(): InputDim[][] {
    const a = this.shapes(this.probe(0));
    const b = this.shapes(this.probe(1));
    return a.map((s, j) =>
      s.map((d, i) => {
        const k = this.symbols.findIndex((_, n) => d === probeSize(n, 0) && b[j][i] === probeSize(n, 1));
        return k >= 0 ? this.symbols[k] : d === b[j][i] ? d : "?";
      }),
    );
  }

  /** Parameter shapes may depend on literal dims only: the feature/channel dim must be a number. */
  checkParamShapes(): void {
    const a = this.shapes(this.probe(0));
    const b = this.shapes(this.probe(1));
    const named = this.symbolicShapes();
    this.layers.forEach((l, i) => {
      const last = a[i].length - 1;
      if (l.needsKey && !l.fixedParamShapes && last >= 0 && a[i][last] !== b[i][last]) {
        throw new ValueError(
          { op: "init", expected: "a number for the last input dim", got: formatShape(named[i]) },
          `init: ${l.name} needs a known size for the last dim of its input ${formatShape(named[i])}; give it as a number in nn.input(...)`,
        );
      }
    });
  }
}
