// Buffer assignment for the static plan on WASM (core/plan.ts), the way XLA assigns buffers: a
// value made by a direct call (core/plan-direct.ts) and read only by direct calls gets a backend
// buffer chosen at lowering time, the same heap memory and tensor id on every call, so the call
// neither allocates (makeOutput: a data id, the backend's map, malloc, the id registered in the
// WASM module) nor frees it. Values whose lifetimes do not overlap share a buffer of their size
// and dtype (a linear scan over the steps: a buffer goes back to its pool after the step that
// last reads its value). Kept out: the plan's outputs (the caller owns them), values any other
// step reads (a kernel function or an impl could keep a reference: tfjs' Reshape shares its
// input's data), values a direct Reshape reads (its output aliases the buffer), and a matmul's
// right operand (tfjs caches XNNPACK's packed weights by tensor id).
import type { TfDataType, TfTensorInfo } from "../tensor/index.js";
import { makeBuffer, type Pinned } from "./plan-direct.js";
import type { Step } from "./plan.js";

/** Each slot's pinned buffer (or undefined), and the buffers the plan owns. */
export interface Buffers {
  readonly pins: readonly (Pinned | undefined)[];
  readonly owned: TfTensorInfo[];
}

export function assignBuffers(
  backend: unknown,
  steps: readonly Step[],
  outputs: readonly number[],
  firstSlot: number,
  nSlots: number,
): Buffers {
  const pins = new Array<Pinned | undefined>(nSlots).fill(undefined);
  const owned: TfTensorInfo[] = [];
  const unpinnable = new Set(outputs);
  for (const st of steps) {
    if (st.kind === "equation" || st.direct === undefined || st.direct.aliases) for (const s of st.srcs) unpinnable.add(s);
    // NOTE: tfjs' WASM matmul keeps XNNPACK's packed copy of `b` under b's tensor id until the id is
    // disposed: a pinned buffer keeps its id while its data changes, so a matmul's `b` gets none
    else if (st.name === "BatchMatMul") unpinnable.add(st.srcs[1]);
  }
  type Buffer = { readonly buffer: TfTensorInfo; readonly id: number; readonly offset: number; readonly key: string };
  const pools = new Map<string, Buffer[]>();
  const holder = new Map<number, Buffer>();
  for (const st of steps) {
    if (st.kind === "call" && st.direct !== undefined && !st.direct.aliases && st.outs.length === 1) {
      const o = st.outs[0];
      const { shape, dtype } = st.direct;
      const size = shape.reduce((a, b) => a * b, 1);
      if (o >= firstSlot && !unpinnable.has(o) && size > 0) {
        const key = `${size} ${dtype}`;
        const buf = pools.get(key)?.pop() ?? newBuffer(backend, size, dtype, key, owned);
        if (buf !== undefined) {
          pins[o] = { info: { dataId: buf.buffer.dataId, shape: [...shape], dtype }, id: buf.id, offset: buf.offset };
          holder.set(o, buf);
        }
      }
    }
    // NOTE: after this step's output took its buffer: an output never shares memory with an input of its own step
    for (const s of st.free) {
      const buf = holder.get(s);
      if (buf === undefined) continue;
      holder.delete(s);
      const pool = pools.get(buf.key) ?? [];
      pool.push(buf);
      pools.set(buf.key, pool);
    }
  }
  return { pins, owned };
}

function newBuffer(
  backend: unknown,
  size: number,
  dtype: TfDataType,
  key: string,
  owned: TfTensorInfo[],
): { buffer: TfTensorInfo; id: number; offset: number; key: string } | undefined {
  const made = makeBuffer(backend, size, dtype);
  if (made === undefined) return undefined;
  owned.push(made.buffer);
  return { ...made, key };
}
