// while: loops `carry = body(carry)` while `cond(carry)` holds; the number of steps is known only
// at run time (one host read of the predicate per step). Inputs [condConsts..., bodyConsts...,
// carry...] -> [carry...]; cond maps [condConsts..., carry...] -> [pred], body
// [bodyConsts..., carry...] -> [carry...]. jvp carries the tangents along; batching runs until
// every example's predicate is false, updating only the examples still running; reverse mode is
// refused (as in JAX): the steps to store are not known ahead.
import * as tf from "@tensorflow/tfjs-core";
import { ShapeError, ValueError, type AnyTensor } from "../../tensor/index.js";
import { bindMulti } from "../trace.js";
import { defineMultiPrimitive, type Aval, type MultiPrimitive } from "../primitive.js";
import { batchBody, describeAval, evalBody, jvpFlat, runBody, sameAval, traceBody, type Body } from "../body.js";
import { zerosLike, withBatchAxis } from "./broadcast.js";
import { cast, where } from "./elementwise.js";
import { max } from "./reduce.js";
import { reshape } from "./shape.js";

export interface WhileParams {
  /** [condConsts..., carry...] -> [pred] (a bool scalar) */
  readonly cond: Body;
  /** [bodyConsts..., carry...] -> [carry...] */
  readonly body: Body;
  readonly nCond: number;
  readonly nBody: number;
}

const isFloat = (a: Aval) => a.dtype === "float32";

export const whileP: MultiPrimitive<WhileParams> = defineMultiPrimitive<WhileParams>({
  name: "while",
  abstractEval(avals, p) {
    const carry = p.body.outAvals;
    if (avals.length !== p.nCond + p.nBody + carry.length)
      throw new Error(`internal: while got ${avals.length} operands for ${p.nCond + p.nBody + carry.length}`);
    const want = [...p.cond.inAvals.slice(0, p.nCond), ...p.body.inAvals];
    avals.forEach((a, i) => {
      if (!sameAval(a, want[i]))
        throw new ShapeError(
          { op: "whileLoop", expected: describeAval(want[i]), got: describeAval(a) },
          `whileLoop: operand ${i} is ${describeAval(a)}, the traced loop expects ${describeAval(want[i])}`,
        );
    });
    return [...carry];
  },

  impl(inputs, p) {
    const condConsts = inputs.slice(0, p.nCond);
    const bodyConsts = inputs.slice(p.nCond, p.nCond + p.nBody);
    let carry = inputs.slice(p.nCond + p.nBody);
    let owned = false;
    try {
      for (;;) {
        const [pred] = runBody(p.cond, [...condConsts, ...carry]);
        // NOTE: the one host read per step: the loop's length is data
        const go = pred.dataSync()[0] !== 0;
        pred.dispose();
        if (!go) break;
        const next = runBody(p.body, [...bodyConsts, ...carry]);
        if (owned) for (const c of carry) c.dispose();
        carry = next;
        owned = true;
      }
      const out = owned ? carry : carry.map((c) => tf.clone(c));
      owned = false;
      return out;
    } finally {
      if (owned) for (const c of carry) c.dispose();
    }
  },

  jvp(primals, tangents, p) {
    const { nCond, nBody } = p;
    const carry = primals.slice(nCond + nBody);
    const bodyDots = tangents.slice(nCond, nCond + nBody);
    const carryDotsIn = tangents.slice(nCond + nBody);
    const constOn = bodyDots.map((d) => d !== null);
    const carryOn = carry.map(isFloat);
    const nC = carry.length;
    const count = (m: boolean[]) => m.filter(Boolean).length;
    const bodyConstAvals = p.body.inAvals.slice(0, nBody);
    const carryAvals = p.body.inAvals.slice(nBody);
    // body over [bodyConsts, bodyConstDots, carry, carryDots] -> [carry, carryDots]
    const body = traceBody(
      "whileLoop",
      (flat) => {
        const bc = flat.slice(0, nBody);
        const bd = flat.slice(nBody, nBody + count(constOn));
        const k = flat.slice(nBody + count(constOn), nBody + count(constOn) + nC);
        const kd = flat.slice(nBody + count(constOn) + nC);
        let i = 0,
          j = 0;
        const [outs, dots] = jvpFlat(
          (a) => evalBody(p.body, a),
          [...bc, ...k],
          [...bc.map((_, n) => (constOn[n] ? bd[i++] : null)), ...k.map((_, n) => (carryOn[n] ? kd[j++] : null))],
        );
        return [...outs, ...outs.flatMap((o, n) => (carryOn[n] ? [dots[n] ?? zerosLike(o)] : []))];
      },
      [...bodyConstAvals, ...bodyConstAvals.filter((_, n) => constOn[n]), ...carryAvals, ...carryAvals.filter((_, n) => carryOn[n])],
    );
    // cond over [condConsts, carry, carryDots] ignores the tangents
    const cond = traceBody("whileLoop", (flat) => evalBody(p.cond, flat.slice(0, nCond + nC)), [
      ...p.cond.inAvals,
      ...carryAvals.filter((_, n) => carryOn[n]),
    ]);
    const args = [
      ...cond.captured,
      ...primals.slice(0, nCond),
      ...body.captured,
      ...primals.slice(nCond, nCond + nBody),
      ...bodyDots.filter((d): d is AnyTensor => d !== null),
      ...carry,
      ...carry.flatMap((c, n) => (carryOn[n] ? [carryDotsIn[n] ?? zerosLike(c)] : [])),
    ];
    const outs = bindMulti(whileP, args, {
      cond: cond.body,
      body: body.body,
      nCond: cond.captured.length + nCond,
      nBody: body.captured.length + nBody + count(constOn),
    });
    let j = 0;
    const dots = carryOn.map((on) => (on ? outs[nC + j++] : null));
    return [outs.slice(0, nC), dots];
  },

  vjp() {
    throw new ValueError(
      { op: "whileLoop", expected: "forward-mode differentiation (jvp)", got: "reverse mode (grad/vjp)" },
      "whileLoop: reverse-mode differentiation (grad, vjp) is not supported: the number of steps is known only at run time, so " +
        "there is no fixed set of values to store; use scan, or foriLoop with number bounds (which lowers to scan), or jvp",
    );
  },

  batch(inputs, batched, p, n) {
    const { nCond, nBody } = p;
    const nC = p.body.outAvals.length;
    const carry = inputs.slice(nCond + nBody).map((c, i) => (batched[nCond + nBody + i] ? c : withBatchAxis(c, n)));
    const condB = batchBody("whileLoop", p.cond, [...batched.slice(0, nCond), ...carry.map(() => true)], n);
    const bodyB = batchBody("whileLoop", p.body, [...batched.slice(nCond, nCond + nBody), ...carry.map(() => true)], n);
    const nCondAll = condB.captured.length + nCond;
    // NOTE: the batched loop runs while any example runs; an example that has stopped keeps its carry
    const cond = traceBody(
      "whileLoop",
      (flat) => {
        const [pred] = evalBody(condB.body, flat);
        return [cast(max(cast(pred, "float32"), [0]), "bool")];
      },
      condB.body.inAvals,
    );
    const body = traceBody(
      "whileLoop",
      (flat) => {
        const cc = flat.slice(0, nCondAll);
        const bc = flat.slice(nCondAll, flat.length - nC);
        const k = flat.slice(flat.length - nC);
        const [pred] = evalBody(condB.body, [...cc, ...k]);
        const next = evalBody(bodyB.body, [...bc, ...k]);
        return next.map((x, i) => where(reshape(pred, [n, ...x.shape.slice(1).map(() => 1)]), x, k[i]));
      },
      [...condB.body.inAvals.slice(0, nCondAll), ...bodyB.body.inAvals],
    );
    return bindMulti(
      whileP,
      [
        ...cond.captured,
        ...condB.captured,
        ...inputs.slice(0, nCond),
        ...body.captured,
        ...condB.captured,
        ...inputs.slice(0, nCond),
        ...bodyB.captured,
        ...inputs.slice(nCond, nCond + nBody),
        ...carry,
      ],
      {
        cond: cond.body,
        body: body.body,
        nCond: cond.captured.length + nCondAll,
        nBody: body.captured.length + nCondAll + bodyB.captured.length + nBody,
      },
    );
  },
});
