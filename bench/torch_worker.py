"""The PyTorch reference as a worker, so `npm run bench` can alternate it with shapeflow in one run.

Builds the models, batches and step exactly as ../shared/peers/bench_torch.py (imported from
$PEERS_SRC for `build`, `BATCH` and the data layout) and answers one JSON line per request on stdin:
  {"cmd": "setup", "model": "M4"}          -> {"firstMs": ...}   (builds, warms up 3 steps)
  {"cmd": "run", "model": "M4", "steps": k} -> {"wallMs": ..., "cpuMs": ...}   (totals over k steps)
  {"cmd": "info"}                           -> {"torch": ..., "threads": ..., "blas": [...], "maxRssKb": ...}
Run with the thread count in the environment too (OMP_NUM_THREADS), as bench_torch.py asks.
"""
import json, os, resource, sys, time

sys.path.insert(0, os.environ["PEERS_SRC"])
import numpy as np
import torch
import torch.nn as nn
import bench_torch as ref

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(THREADS)
WORK = os.environ.get("PEERS_DIR", "/tmp/peers")
X = np.fromfile(os.path.join(WORK, "mnist_x.f32"), dtype=np.float32).reshape(-1, 784)
Y = np.fromfile(os.path.join(WORK, "mnist_y.u8"), dtype=np.uint8).astype(np.int64)
NB = 8
steps = {}


def setup(model):
    torch.manual_seed(0)
    B = ref.BATCH[model]
    shape = {"M1": (B, 784), "M2": (B, 784), "M3": (B, 1, 28, 28), "M4": (B, 28, 28)}[model]
    batches = [
        (torch.from_numpy(X[b * B:(b + 1) * B].copy()).reshape(shape), torch.from_numpy(Y[b * B:(b + 1) * B].copy()))
        for b in range(NB)
    ]
    net = ref.build(model)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    crit = nn.CrossEntropyLoss()
    it = [0]

    def step():
        x, y = batches[it[0] % NB]
        it[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        return loss

    t = time.perf_counter()
    step()
    first = (time.perf_counter() - t) * 1e3
    for _ in range(2):
        step()
    steps[model] = step
    return {"firstMs": first}


def run(model, k):
    step = steps[model]
    w, c = time.perf_counter(), time.process_time()
    for _ in range(k):
        step()
    return {"wallMs": (time.perf_counter() - w) * 1e3, "cpuMs": (time.process_time() - c) * 1e3}


def info():
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": ref.blas_lib(),
            "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


for line in sys.stdin:
    req = json.loads(line)
    try:
        if req["cmd"] == "setup":
            out = setup(req["model"])
        elif req["cmd"] == "run":
            out = run(req["model"], int(req["steps"]))
        elif req["cmd"] == "info":
            out = info()
        else:
            break
    except Exception as e:  # report, keep serving
        out = {"error": repr(e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
