// scan: a loop over the leading axis of its `xs`, its body traced once (see ../body.ts).
// Inputs [consts..., carry..., xs...] -> outputs [carry..., ys...]; the body maps
// [consts..., carry..., x...] -> [carry..., y...]. Every rule builds a new scan:
//   jvp    a scan of the jvp'd body, carrying the tangents along (forward mode in one pass);
//   vjp    the body's vjp traced once as a joint program and split by what each value depends
//          on: the forward scan runs the primal part and stacks, per step, the values the
//          backward part reads (residuals); the pullback is a reverse scan of the backward part,
//          carrying the carry's cotangent and summing the consts' cotangents. Values that depend
//          only on the consts are recomputed in the backward body instead of stacked T times;
//   batch  a scan of the vmapped body, with the batch axis moved behind the scan axis of xs.
import * as tf from "@tensorflow/tfjs-core";
import { ShapeError, type AnyTensor, type TfTensor } from "../../tensor/index.js";
import { bindMulti } from "../trace.js";
import { defineMultiPrimitive, type Aval, type MultiPrimitive } from "../primitive.js";
import { batchBody, describeAval, evalBody, jvpFlat, runBody, sameAval, slotAvals, subBody, traceBody, type Body } from "../body.js";
import { vjpCore } from "../grad.js";
import { zerosLike, withBatchAxis } from "./broadcast.js";
import { moveAxis } from "./shape.js";
import { add } from "./elementwise.js";

export interface ScanParams {
  /** [consts..., carry..., x...] -> [carry..., y...] */
  readonly body: Body;
  readonly nConsts: number;
  readonly nCarry: number;
  readonly length: number;
  readonly reverse: boolean;
}

const isFloat = (a: Aval) => a.dtype === "float32";
const stacked = (length: number, a: Aval): Aval => ({ shape: [length, ...a.shape], dtype: a.dtype });

function counts(p: ScanParams) {
  const nXs = p.body.inAvals.length - p.nConsts - p.nCarry;
  const nYs = p.body.outAvals.length - p.nCarry;
  return { nXs, nYs };
}

/** Splits a flat list into consecutive parts of the given sizes. */
function split<T>(list: readonly T[], ...sizes: number[]): T[][] {
  const parts: T[][] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(list.slice(at, at + n));
    at += n;
  }
  if (at !== list.length) throw new Error(`internal: scan split ${list.length} values into parts of ${sizes.join("+")}`);
  return parts;
}

export const scanP: MultiPrimitive<ScanParams> = defineMultiPrimitive<ScanParams>({
  name: "scan",
  abstractEval(avals, p) {
    const { nXs, nYs } = counts(p);
    const { body, nConsts, nCarry, length } = p;
    if (avals.length !== nConsts + nCarry + nXs)
      throw new Error(`internal: scan got ${avals.length} operands for a body of ${body.inAvals.length} inputs`);
    avals.forEach((a, i) => {
      const want = i < nConsts + nCarry ? body.inAvals[i] : stacked(length, body.inAvals[i]);
      if (!sameAval(a, want)) {
        const what =
          i < nConsts ? `closed-over value ${i}` : i < nConsts + nCarry ? `carry leaf ${i - nConsts}` : `xs leaf ${i - nConsts - nCarry}`;
        throw new ShapeError(
          { op: "scan", expected: describeAval(want), got: describeAval(a) },
          `scan: ${what} is ${describeAval(a)}, the traced body expects ${describeAval(want)}`,
        );
      }
    });
    const outs = body.outAvals;
    return [...outs.slice(0, nCarry), ...outs.slice(nCarry, nCarry + nYs).map((a) => stacked(length, a))];
  },

  impl(inputs, p) {
    const { nYs } = counts(p);
    const { body, nConsts, nCarry, length, reverse } = p;
    const consts = inputs.slice(0, nConsts);
    let carry = inputs.slice(nConsts, nConsts + nCarry);
    const xs = inputs.slice(nConsts + nCarry);
    // NOTE: one unstack per xs leaf and one stack per ys leaf; the body is replayed per step, never re-traced
    const slices = length === 0 ? xs.map(() => []) : xs.map((x) => tf.unstack(x));
    const ys = Array.from({ length: nYs }, () => new Array<TfTensor>(length));
    let owned = false;
    try {
      for (let k = 0; k < length; k++) {
        const t = reverse ? length - 1 - k : k;
        const outs = runBody(body, [...consts, ...carry, ...slices.map((s) => s[t])]);
        if (owned) for (const c of carry) c.dispose();
        carry = outs.slice(0, nCarry);
        owned = true;
        outs.slice(nCarry).forEach((y, j) => (ys[j][t] = y));
      }
      const carryOut = owned ? carry : carry.map((c) => tf.clone(c));
      owned = false;
      const ysOut = ys.map((steps, j) => {
        const a = body.outAvals[nCarry + j];
        return length === 0 ? tf.zeros([0, ...a.shape], a.dtype) : tf.stack(steps);
      });
      return [...carryOut, ...ysOut];
    } finally {
      if (owned) for (const c of carry) c.dispose();
      for (const s of slices) for (const x of s) x.dispose();
      for (const steps of ys) for (const y of steps) y?.dispose();
    }
  },

  jvp(primals, tangents, p) {
    const { nXs, nYs } = counts(p);
    const { body, nConsts, nCarry } = p;
    const [consts, carry, xs] = split(primals, nConsts, nCarry, nXs);
    const [constDots, , xDots] = split(tangents, nConsts, nCarry, nXs);
    const carryDotsIn = tangents.slice(nConsts, nConsts + nCarry);
    const constOn = constDots.map((d) => d !== null);
    // NOTE: every float carry gets a tangent, so a tangent that appears after step 0 has a place
    const carryOn = carry.map(isFloat);
    const xOn = xDots.map((d) => d !== null);
    const yOn = body.outAvals.slice(nCarry).map(isFloat);
    const ins = split(body.inAvals, nConsts, nCarry, nXs);
    const avals = [
      ...ins[0],
      ...ins[0].filter((_, i) => constOn[i]),
      ...ins[1],
      ...ins[1].filter((_, i) => carryOn[i]),
      ...ins[2],
      ...ins[2].filter((_, i) => xOn[i]),
    ];
    const count = (m: boolean[]) => m.filter(Boolean).length;
    const traced = traceBody(
      "scan",
      (flat) => {
        const [c, cd, k, kd, x, xd] = split(flat, nConsts, count(constOn), nCarry, count(carryOn), nXs, count(xOn));
        const dots = (vals: AnyTensor[], on: boolean[], given: AnyTensor[]) => {
          let j = 0;
          return vals.map((_, i) => (on[i] ? given[j++] : null));
        };
        const [outs, outDots] = jvpFlat(
          (a) => evalBody(body, a),
          [...c, ...k, ...x],
          [...dots(c, constOn, cd), ...dots(k, carryOn, kd), ...dots(x, xOn, xd)],
        );
        const carryOut = outs.slice(0, nCarry);
        const yOut = outs.slice(nCarry);
        const inst = (o: AnyTensor, d: AnyTensor | null) => d ?? zerosLike(o);
        return [
          ...carryOut,
          ...carryOut.flatMap((o, i) => (carryOn[i] ? [inst(o, outDots[i])] : [])),
          ...yOut,
          ...yOut.flatMap((o, j) => (yOn[j] ? [inst(o, outDots[nCarry + j])] : [])),
        ];
      },
      avals,
    );
    const args = [
      ...traced.captured,
      ...consts,
      ...constDots.filter((d): d is AnyTensor => d !== null),
      ...carry,
      ...carry.flatMap((c, i) => (carryOn[i] ? [carryDotsIn[i] ?? zerosLike(c)] : [])),
      ...xs,
      ...xDots.filter((d): d is AnyTensor => d !== null),
    ];
    const outs = bindMulti(scanP, args, {
      ...p,
      body: traced.body,
      nConsts: traced.captured.length + nConsts + count(constOn),
      nCarry: nCarry + count(carryOn),
    });
    const [carryOut, carryDots, ys, yDots] = split(outs, nCarry, count(carryOn), nYs, count(yOn));
    const spread = (on: boolean[], given: AnyTensor[]) => {
      let j = 0;
      return on.map((b) => (b ? given[j++] : null));
    };
    return [
      [...carryOut, ...ys],
      [...spread(carryOn, carryDots), ...spread(yOn, yDots)],
    ];
  },

  vjp(primals, wanted, p) {
    const { nXs, nYs } = counts(p);
    const { body, nConsts, nCarry, length, reverse } = p;
    const [consts, carry] = split(primals, nConsts, nCarry, nXs);
    const ins = split(body.inAvals, nConsts, nCarry, nXs);
    const carryOn = ins[1].map(isFloat);
    const yOn = body.outAvals.slice(nCarry).map(isFloat);
    // which of [consts, carry, x] the joint program differentiates
    const diff = body.inAvals.map((a, i) => (i < nConsts ? wanted[i] : i < nConsts + nCarry ? carryOn[i - nConsts] : wanted[i]));
    const diffIdx = diff.flatMap((d, i) => (d ? [i] : []));
    const nCarryCt = carryOn.filter(Boolean).length;
    const nYCt = yOn.filter(Boolean).length;
    const carryOutAvals = body.outAvals.slice(0, nCarry).filter((_, i) => carryOn[i]);
    const yAvals = body.outAvals.slice(nCarry).filter((_, j) => yOn[j]);
    // the joint program: [consts, carry, x, carry cotangent, y cotangent] -> [carry, y, cotangents of diffIdx]
    const joint = traceBody(
      "scan",
      (flat) => {
        const [primal, ctCarry, ctY] = split(flat, body.inAvals.length, nCarryCt, nYCt);
        const r = vjpCore(
          (...d: AnyTensor[]) => {
            const full = [...primal];
            diffIdx.forEach((idx, j) => (full[idx] = d[j]));
            return evalBody(body, full);
          },
          diffIdx.map((i) => primal[i]),
        );
        const outs = r.out as AnyTensor[];
        let kc = 0,
          yc = 0;
        const outCts = outs.map((_, i) => (i < nCarry ? (carryOn[i] ? ctCarry[kc++] : null) : yOn[i - nCarry] ? ctY[yc++] : null));
        return [...outs, ...r.pullback(outCts)];
      },
      [...body.inAvals, ...carryOutAvals, ...yAvals],
    );
    const J = joint.body;
    const nJc = joint.captured.length;
    // classify J's slots: 0 invariant (captured, consts), 1 per step (carry, x), 2 backward (cotangents)
    const level = new Map<number, number>();
    const nInv = nJc + nConsts;
    for (let s = 0; s < J.graph.nInputs; s++) level.set(s, s < nInv ? 0 : s < nJc + body.inAvals.length ? 1 : 2);
    for (const e of J.graph.eqns) {
      const l = Math.max(0, ...e.inputs.map((s) => level.get(s)!));
      for (const o of e.multi === undefined ? [e.out] : e.multi.outs) level.set(o, l);
    }
    const outSlots = J.graph.outputs;
    const nOut = nCarry + nYs;
    const ctSlots = outSlots.slice(nOut);
    // walk back from the cotangents: per-step values they read are residuals (stacked by the forward scan)
    const producer = new Map<number, readonly number[]>();
    for (const e of J.graph.eqns) for (const o of e.multi === undefined ? [e.out] : e.multi.outs) producer.set(o, e.inputs);
    const residuals: number[] = [];
    const seen = new Set<number>();
    const visit = (s: number) => {
      if (seen.has(s)) return;
      seen.add(s);
      const l = level.get(s)!;
      if (l === 1) residuals.push(s);
      else if (s >= J.graph.nInputs) producer.get(s)!.forEach(visit);
    };
    ctSlots.forEach(visit);
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    const invSlots = range(0, nInv);
    const primalSlots = range(0, nJc + body.inAvals.length);
    const ctInSlots = range(nJc + body.inAvals.length, nCarryCt + nYCt);
    const forward = subBody(J, primalSlots, [...outSlots.slice(0, nOut), ...residuals]);
    const backward = subBody(J, [...invSlots, ...residuals, ...ctInSlots], ctSlots);
    const avalOf = slotAvals(J);
    const fwdOuts = bindMulti(scanP, [...joint.captured, ...primals], { ...p, body: forward, nConsts: nInv });
    const outs = fwdOuts.slice(0, nOut);
    const stackedRes = fwdOuts.slice(nOut);
    const invValues = [...joint.captured, ...consts];
    // where each differentiated input's cotangent sits among the backward body's outputs
    const constCt = diffIdx.flatMap((idx, j) => (idx < nConsts ? [j] : []));
    const carryCt = diffIdx.flatMap((idx, j) => (idx >= nConsts && idx < nConsts + nCarry ? [j] : []));
    const xCt = diffIdx.flatMap((idx, j) => (idx >= nConsts + nCarry ? [j] : []));
    const constAvals = constCt.map((j) => ins[0][diffIdx[j]]);

    const pullback = (cts: readonly (AnyTensor | null)[]): (AnyTensor | null)[] => {
      const ctCarry = carry.flatMap((c, i) => (carryOn[i] ? [cts[i] ?? zerosLike(body.outAvals[i])] : []));
      const ctYs = yOn.flatMap((on, j) => (on ? [cts[nCarry + j] ?? zerosLike(stacked(length, body.outAvals[nCarry + j]))] : []));
      const resAvals = residuals.map((s) => avalOf(s));
      const back = traceBody(
        "scan",
        (flat) => {
          const [inv, ctK, acc, res, ctY] = split(flat, nInv, nCarryCt, constCt.length, residuals.length, nYCt);
          const g = evalBody(backward, [...inv, ...res, ...ctK, ...ctY]);
          return [...carryCt.map((j) => g[j]), ...constCt.map((j, i) => add(acc[i], g[j])), ...xCt.map((j) => g[j])];
        },
        [...invSlots.map((s) => avalOf(s)), ...carryOutAvals, ...constAvals, ...resAvals, ...yAvals],
      );
      const r = bindMulti(
        scanP,
        [...back.captured, ...invValues, ...ctCarry, ...constAvals.map((a) => zerosLike(a)), ...stackedRes, ...ctYs],
        { body: back.body, nConsts: back.captured.length + nInv, nCarry: nCarryCt + constCt.length, length, reverse: !reverse },
      );
      const [carryBar, constBar, xBar] = split(r, carryCt.length, constCt.length, xCt.length);
      const result: (AnyTensor | null)[] = primals.map(() => null);
      carryCt.forEach((j, i) => (result[diffIdx[j]] = carryBar[i]));
      constCt.forEach((j, i) => (result[diffIdx[j]] = constBar[i]));
      xCt.forEach((j, i) => (result[diffIdx[j]] = xBar[i]));
      // only the inputs the caller asked for
      return result.map((c, i) => (wanted[i] ? c : null));
    };
    return { outs, residuals: [...joint.captured, ...stackedRes], pullback };
  },

  batch(inputs, batched, p, n) {
    const { nXs, nYs } = counts(p);
    const { body, nConsts, nCarry } = p;
    const [consts, carry, xs] = split(inputs, nConsts, nCarry, nXs);
    const [constB, , xB] = split(batched, nConsts, nCarry, nXs);
    const carryB = carry.map((c, i) => (batched[nConsts + i] ? c : withBatchAxis(c, n)));
    // NOTE: xs carry the batch at axis 0; the scan walks axis 0, so the batch goes behind it
    const xsB = xs.map((x, i) => (xB[i] ? moveAxis(x, 0, 1) : x));
    const traced = batchBody("scan", body, [...constB, ...carry.map(() => true), ...xB], n);
    const outs = bindMulti(scanP, [...traced.captured, ...consts, ...carryB, ...xsB], {
      ...p,
      body: traced.body,
      nConsts: traced.captured.length + nConsts,
    });
    const [carryOut, ys] = split(outs, nCarry, nYs);
    return [...carryOut, ...ys.map((y) => moveAxis(y, 1, 0))];
  },
});
