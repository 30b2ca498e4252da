// PROTOTYPE (bench only, `--fast-slice`): a WASM Slice kernel that reads its input through a view
// of the WASM heap. tfjs-backend-wasm 4.22's Slice starts with `backend.readSync(x.dataId)`, which
// copies the WHOLE input out of the heap into a fresh ArrayBuffer: slicing one step out of a
// [1792, 256] sequence costs milliseconds, and every small slice pays an allocation the GC must
// collect. LANDED for shapeflow's own slices as the "ShapeflowSlice" kernel in
// src/core/primitives/slice.ts (the slice primitive and conv's crops call it on WASM); this
// replacement of tfjs' Slice (`--fast-slice`) now only changes tfjs-internal slices (tfjs-layers).
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Replaces tfjs' WASM Slice kernel (strings fall back to it). Returns false off WASM. */
export function installViewSlice(): boolean {
  const original = tf.getKernel("Slice", "wasm");
  if (original === undefined || tf.getBackend() !== "wasm") return false;
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({
    kernelName: "Slice",
    backendName: "wasm",
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === "string") return original.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackend;
      const attrs = args.attrs as unknown as { begin: number[]; size: number[] };
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
      const out = backend.makeOutput(size, x.dtype);
      const n = size.reduce((a, b) => a * b, 1);
      if (n === 0) return out;
      const xs = backend.typedArrayFromHeap(x);
      const os = backend.typedArrayFromHeap(out);
      const strides = tf.util.computeStrides(x.shape);
      if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
        const off = tf.slice_util.computeFlatOffset(begin, strides);
        os.set(xs.subarray(off, off + n));
        return out;
      }
      // runs along the last axis, odometer over the others
      const rank = x.shape.length;
      const run = size[rank - 1];
      const idx = new Array<number>(rank - 1).fill(0);
      for (let o = 0; ; o += run) {
        let off = begin[rank - 1];
        for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
        os.set(xs.subarray(off, off + run), o);
        let d = rank - 2;
        while (d >= 0 && ++idx[d] === size[d]) idx[d--] = 0;
        if (d < 0) break;
      }
      return out;
    },
  });
  return true;
}
