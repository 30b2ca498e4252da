# Known values for tests/nn-parity-pytorch.test.ts, computed by PyTorch (CPU, float64).
# Run: /usr/bin/python3 tests/reference/pytorch-parity.py > tests/reference/pytorch-parity.json
# (Debian's python3-torch; `apt-get install -y python3-torch`). Inputs are deterministic
# (seq below, the same formula as the test's), laid out as shapeflow lays them out (NHWC / NWC,
# kernels [kh, kw, cin, cout], transposed kernels [kh, kw, cout, cin]) and permuted here for torch.
import json
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def seq(shape, a, b, scale=1.0):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * i + b) for i in range(n)]).reshape(shape)


def flat(t):
    return [round(float(v), 12) for v in t.detach().reshape(-1)]


out = {"torch": torch.__version__}

# ---- GELU: exact (default) and tanh approximation
x = torch.linspace(-4, 4, 17)
out["gelu"] = {"x": flat(x), "none": flat(F.gelu(x)), "tanh": flat(F.gelu(x, approximate="tanh"))}

# ---- conv2dTranspose: strides [2, 3], padding (1, 0), dilations [2, 1], outputPadding [1, 2]
x = seq([1, 3, 4, 2], 0.37, 0.1).requires_grad_()  # NHWC
w = seq([3, 2, 3, 2], 0.53, 0.2, 0.5).requires_grad_()  # [kh, kw, cout, cin]
b = seq([3], 0.7, 0.3, 0.1).requires_grad_()
y = F.conv_transpose2d(
    x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(2, 1)
).permute(0, 2, 3, 1)
r = seq(list(y.shape), 0.29, 0.4)
(y * r).sum().backward()
out["conv2dTranspose"] = {"shape": list(y.shape), "y": flat(y), "dx": flat(x.grad), "dw": flat(w.grad), "db": flat(b.grad)}

# ---- conv1d: causal padding ([(k - 1) * d, 0]), dilations 2, groups 2, strides 1 and 2
for strides in (1, 2):
    x = seq([2, 7, 4], 0.41, 0.2).requires_grad_()  # NWC
    w = seq([3, 2, 4], 0.61, 0.1, 0.5).requires_grad_()  # [k, cin / groups, cout]
    xt = F.pad(x.permute(0, 2, 1), (4, 0))
    y = F.conv1d(xt, w.permute(2, 1, 0), stride=strides, dilation=2, groups=2).permute(0, 2, 1)
    r = seq(list(y.shape), 0.23, 0.5)
    (y * r).sum().backward()
    out[f"conv1dCausal{strides}"] = {"shape": list(y.shape), "y": flat(y), "dx": flat(x.grad), "dw": flat(w.grad)}

# ---- pools: ceil_mode, count_include_pad (NHWC in, NCHW for torch)
pools = {
    "maxCeil": lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
    "avgCeilIncl": lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=True),
    "avgCeilExcl": lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avgIncl": lambda t: F.avg_pool2d(t, 3, 1, 1, count_include_pad=True),
    "avgCeilNoPad": lambda t: F.avg_pool2d(t, (2, 3), (2, 2), 0, ceil_mode=True),
    "maxCeilNoPad": lambda t: F.max_pool2d(t, (2, 3), (2, 2), 0, ceil_mode=True),
}
out["pools"] = {}
for name, pool in pools.items():
    x = seq([2, 7, 6, 2], 0.77, 0.3).requires_grad_()
    y = pool(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    r = seq(list(y.shape), 0.31, 0.2)
    (y * r).sum().backward()
    out["pools"][name] = {"shape": list(y.shape), "y": flat(y), "dx": flat(x.grad)}

# ---- batchNorm: BatchNorm1d(3) on [N, C, L] (axis 1), two training steps, then eval
bn = torch.nn.BatchNorm1d(3, momentum=0.1, eps=1e-5)
with torch.no_grad():
    bn.weight.copy_(seq([3], 0.9, 0.4, 0.5) + 1)
    bn.bias.copy_(seq([3], 0.8, 0.1, 0.3))
bn.train()
steps = []
for i, (a, c) in enumerate([(0.43, 0.1), (0.57, 0.7)]):
    x = seq([4, 3, 5], a, c, 2.0) + 0.5 * i
    y = bn(x)
    steps.append({"y": flat(y), "mean": flat(bn.running_mean), "variance": flat(bn.running_var)})
bn.eval()
x = seq([4, 3, 5], 0.33, 0.9)
out["batchNorm"] = {"gamma": flat(bn.weight), "beta": flat(bn.bias), "steps": steps, "eval": flat(bn(x))}

# ---- layerNorm: LayerNorm([3, 4]) over the last two axes of [2, 3, 4]
ln = torch.nn.LayerNorm([3, 4], eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(seq([3, 4], 0.45, 0.2, 0.5) + 1)
    ln.bias.copy_(seq([3, 4], 0.35, 0.6, 0.3))
x = seq([2, 3, 4], 0.51, 0.3, 2.0).requires_grad_()
y = ln(x)
r = seq([2, 3, 4], 0.27, 0.1)
(y * r).sum().backward()
out["layerNorm"] = {
    "gamma": flat(ln.weight),
    "beta": flat(ln.bias),
    "y": flat(y),
    "dx": flat(x.grad),
    "dgamma": flat(ln.weight.grad),
    "dbeta": flat(ln.bias.grad),
}

# ---- RMSprop: eps outside the root (epsInSqrt: false), with and without momentum; 3 steps on
# the gradients g_t = seq(t) (fed directly, as the optimizer tests do)
out["rmsprop"] = {}
for momentum in (0.0, 0.9):
    p = torch.nn.Parameter(seq([5], 0.3, 0.2))
    opt = torch.optim.RMSprop([p], lr=0.01, alpha=0.9, eps=1e-3, momentum=momentum)
    traj = []
    for t in range(3):
        p.grad = seq([5], 0.7 + 0.1 * t, 0.5 * t)
        opt.step()
        traj.append(flat(p))
    out["rmsprop"][f"momentum{momentum}"] = traj

print(json.dumps(out, separators=(",", ":")))
