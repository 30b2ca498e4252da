// What tfjs-layers needs to train the CNN on WASM at all: tfjs-backend-wasm 4.22 has no
// Conv2DBackpropFilter kernel. The bench registers one (bench only, never the library) that
// computes the filter gradient as a forward convolution, as shapeflow's own rule does (x with
// batch and channels swapped, convolved with the output gradient as the filter).
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackend {
  incRef(dataId: object): void;
}

export function registerWasmConv2DBackpropFilter(): boolean {
  if (tf.getBackend() !== "wasm" || tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined) return false;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as WasmBackend;
      const engine = tf.engine();
      // NOTE: wrap the inputs' buffers as tensors with a reference of their own, so disposing them leaves the data
      const wrap = (info: tf.TensorInfo) => {
        be.incRef(info.dataId);
        return engine.makeTensorFromTensorInfo(info) as tf.Tensor4D;
      };
      const x = wrap(inputs.x as tf.TensorInfo);
      const dy = wrap(inputs.dy as tf.TensorInfo);
      const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
        strides: number | [number, number];
        pad: "same" | "valid" | number;
        dimRoundingMode?: "floor" | "round" | "ceil";
        filterShape: [number, number, number, number];
        dataFormat: "NHWC" | "NCHW";
      };
      if (dataFormat !== "NHWC") throw new Error("bench Conv2DBackpropFilter: NHWC only");
      const [kh, kw] = filterShape;
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
      const { top, bottom, left, right } = info.padInfo;
      const out = tf.tidy(() => {
        const xp = tf.pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ]);
        // [C, H, W, B] * [OH, OW, B, F] (dilated by the stride) -> [C, kh', kw', F]
        const g = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "valid", "NHWC", [
          info.strideHeight,
          info.strideWidth,
        ]);
        return tf.transpose(tf.slice(g, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
      });
      x.dispose();
      dy.dispose();
      be.incRef(out.dataId);
      const result: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
      out.dispose();
      return result;
    },
  });
  return true;
}
