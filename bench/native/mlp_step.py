#!/usr/bin/python3
"""Native references for the MLP train step of bench/wasm.bench.ts.

Run by the bench with Debian's /usr/bin/python3, one process per library and thread count:

    /usr/bin/python3 bench/native/mlp_step.py --impl torch --threads 1 --data CASE.bin [--budget 0.6]
        [--warmup 0.15] [--check-steps 4]

``--impl torch`` is PyTorch: ``nn.Sequential`` of ``Linear``/``ReLU``, ``F.cross_entropy``,
``torch.optim.Adam(lr)`` and ``torch.set_num_threads(threads)``. ``--impl numpy`` is the same step written
by hand in NumPy, float32 throughout: forward, mean softmax cross-entropy, backward, and Adam in the form
PyTorch's ``Adam`` computes it (bias corrections, ``eps`` added after the square root is divided by
``sqrt(1 - beta2^t)``). The thread count goes into OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and their kin
before NumPy or PyTorch is imported: a process serves one thread count.

CASE.bin is written by the TypeScript side (bench/native/native.ts): one line of JSON (the sizes, the
hyperparameters and the list of arrays: name, dtype, shape), then the arrays' little-endian bytes in
that order. It holds the seeded batch and the initial parameters of bench/wasm/common.ts, so these
libraries train from the same numbers as nabla, TensorFlow.js and jax-js.

The step is run ``--check-steps`` times first (their losses are reported for the bench's training and
agreement checks), then for ``--warmup`` seconds, then timed in batches of steps until ``--budget``
seconds are spent (at least 5 batches); the result is the median over batches of the time per step.
Prints one JSON object on stdout; a library that cannot be imported gives ``"available": false`` and a
reason (exit status 3).
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--impl", choices=["torch", "numpy"], required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", required=True, help="the case file written by bench/native/native.ts")
    p.add_argument("--budget", type=float, default=0.6, help="seconds of timed steps")
    p.add_argument("--warmup", type=float, default=0.15, help="seconds of untimed steps before timing")
    p.add_argument("--check-steps", type=int, default=4, help="steps whose losses are reported")
    return p.parse_args()


ARGS = parse_args()

# Before any numerical library is loaded: OpenBLAS, BLIS and OpenMP read these once, at load time.
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[name] = str(ARGS.threads)


def unavailable(reason):
    print(json.dumps({"impl": ARGS.impl, "threads": ARGS.threads, "available": False, "reason": reason}))
    sys.exit(3)


try:
    import numpy as np
except Exception as err:  # ImportError, or a broken install (a missing shared library is an OSError)
    unavailable(f"numpy: {type(err).__name__}: {err}")


def read_case(path):
    """The header and a dict of arrays from the case file (see the module docstring)."""
    with open(path, "rb") as f:
        raw = f.read()
    end = raw.index(b"\n")
    header = json.loads(raw[:end].decode("utf-8"))
    offset = end + 1
    arrays = {}
    for a in header["arrays"]:
        dtype = np.dtype(a["dtype"]).newbyteorder("<")
        count = int(np.prod(a["shape"], dtype=np.int64))
        arrays[a["name"]] = np.frombuffer(raw, dtype, count, offset).reshape(a["shape"]).astype(a["dtype"])
        offset += count * dtype.itemsize
    if offset != len(raw):
        raise ValueError(f"{path}: {len(raw) - offset} bytes left after the arrays the header lists")
    return header, arrays


def numpy_step(header, arrays):
    """The MLP step by hand: returns ``step() -> loss`` (float)."""
    f32 = np.float32
    batch = header["batch"]
    beta1, beta2 = header["betas"]
    lr, eps = header["lr"], header["eps"]
    x = np.ascontiguousarray(arrays["x"], dtype=f32)
    y = arrays["y"].astype(np.intp)
    rows = np.arange(batch)
    layers = len(header["sizes"]) - 1
    # Parameters in the order W0, b0, W1, b1, ...; W as [in, out] so the forward is x·W + b.
    params = []
    for i in range(layers):
        params += [arrays[f"w{i}"].astype(f32, copy=True), arrays[f"b{i}"].astype(f32, copy=True)]
    grads = [np.empty_like(p) for p in params]
    exp_avg = [np.zeros_like(p) for p in params]
    exp_avg_sq = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    # Activations: pre-activations z[i] and outputs h[i] (h[0] is x), and their gradients.
    sizes = header["sizes"]
    z = [np.empty((batch, sizes[i + 1]), f32) for i in range(layers)]
    h = [x] + [np.empty((batch, sizes[i + 1]), f32) for i in range(layers - 1)]
    dz = [np.empty_like(a) for a in z]
    dh = [None] + [np.empty_like(a) for a in h[1:]]
    state = {"t": 0}

    def step():
        # Forward.
        for i in range(layers):
            np.matmul(h[i], params[2 * i], out=z[i])
            z[i] += params[2 * i + 1]
            if i < layers - 1:
                np.maximum(z[i], f32(0), out=h[i + 1])
        logits = z[-1]
        # Mean softmax cross-entropy; its gradient with respect to the logits is (softmax - onehot) / batch.
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -(shifted[rows, y] - np.log(total[:, 0])).mean(dtype=f32)
        g = dz[-1]
        np.divide(e, total, out=g)
        g[rows, y] -= f32(1)
        g *= f32(1 / batch)
        # Backward.
        for i in reversed(range(layers)):
            np.matmul(h[i].T, dz[i], out=grads[2 * i])
            np.sum(dz[i], axis=0, out=grads[2 * i + 1])
            if i > 0:
                np.matmul(dz[i], params[2 * i].T, out=dh[i])
                np.multiply(dh[i], z[i - 1] > 0, out=dz[i - 1])
        # Adam as torch.optim.Adam computes it (single-tensor path, amsgrad off, no weight decay).
        state["t"] += 1
        t = state["t"]
        step_size = f32(lr / (1 - beta1**t))
        bc2_sqrt = f32((1 - beta2**t) ** 0.5)
        for p, gr, m, v, s in zip(params, grads, exp_avg, exp_avg_sq, scratch):
            m *= f32(beta1)
            m += f32(1 - beta1) * gr
            v *= f32(beta2)
            np.multiply(gr, gr, out=s)
            s *= f32(1 - beta2)
            v += s
            np.sqrt(v, out=s)
            s /= bc2_sqrt
            s += f32(eps)
            np.divide(m, s, out=s)
            s *= -step_size
            p += s
        return float(loss)

    return step


def torch_step(header, arrays, threads):
    """The MLP step with torch.nn and torch.optim: returns ``step() -> loss`` (float)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(threads)
    sizes = header["sizes"]
    linears = [nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    with torch.no_grad():
        for i, lin in enumerate(linears):
            # The case holds W as [in, out]; torch's Linear keeps [out, in].
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(arrays[f"w{i}"].T)))
            lin.bias.copy_(torch.from_numpy(arrays[f"b{i}"]))
    parts = []
    for lin in linears:
        parts += [lin, nn.ReLU()]
    model = nn.Sequential(*parts[:-1])
    beta1, beta2 = header["betas"]
    opt = torch.optim.Adam(model.parameters(), lr=header["lr"], betas=(beta1, beta2), eps=header["eps"])
    x = torch.from_numpy(np.ascontiguousarray(arrays["x"]))
    y = torch.from_numpy(arrays["y"].astype(np.int64))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def time_steps(step, budget, warmup):
    """Median seconds per step over batches of steps, after ``warmup`` seconds of untimed steps."""
    t0 = time.perf_counter()
    warm = 0
    while True:
        step()
        warm += 1
        spent = time.perf_counter() - t0
        if spent >= warmup and warm >= 2:
            break
    per_step = spent / warm
    # About ten batches in the budget, each of whole steps.
    per_batch = max(1, int(budget / 10 / per_step))
    times = []
    total = 0.0
    while total < budget or len(times) < 5:
        t0 = time.perf_counter()
        for _ in range(per_batch):
            step()
        dt = time.perf_counter() - t0
        times.append(dt / per_batch)
        total += dt
    times.sort()
    return times[len(times) // 2], per_batch, len(times)


def dpkg_package(path):
    """``package version`` of the Debian package that installed ``path``, or None."""
    try:
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, timeout=10)
        if owner.returncode != 0:
            return None
        package = owner.stdout.split(":", 1)[0].strip()
        version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, timeout=10
        )
        return f"{package} {version.stdout.strip()}" if version.returncode == 0 else package
    except (OSError, subprocess.SubprocessError):
        return None


def classify_blas(path):
    name = path.lower()
    for key, label in (("openblas", "OpenBLAS"), ("blis", "BLIS"), ("mkl", "MKL"), ("atlas", "ATLAS")):
        if key in name:
            return label
    if re.search(r"/blas/libblas\.so", name) or re.search(r"/libblas\.so", name):
        return "reference BLAS (netlib)"
    return None


def openblas_details(path):
    """OpenBLAS's own description (build options, core kernels) and thread count, through ctypes."""
    try:
        import ctypes

        lib = ctypes.CDLL(path)
        out = {}
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            out["config"] = lib.openblas_get_config().decode()
        if hasattr(lib, "openblas_get_corename"):
            lib.openblas_get_corename.restype = ctypes.c_char_p
            out["core"] = lib.openblas_get_corename().decode()
        if hasattr(lib, "openblas_get_num_threads"):
            out["threads"] = lib.openblas_get_num_threads()
        return out
    except OSError:
        return {}


def blas_info(impl):
    """The BLAS this process loaded (from /proc/self/maps), with what the libraries say about themselves."""
    info = {"summary": "unknown"}
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[-1].startswith("/"):
                    path = os.path.realpath(parts[-1])
                    if path not in libs and re.search(r"blas|lapack|mkl|blis|gomp|iomp|dnnl", path, re.I):
                        libs.append(path)
    except OSError:
        pass
    info["libraries"] = libs
    blas = [(p, classify_blas(p)) for p in libs if classify_blas(p) and "lapack" not in os.path.basename(p)]
    if blas:
        path, label = blas[0]
        info["library"] = label
        info["path"] = path
        package = dpkg_package(path)
        if package:
            info["package"] = package
        if label == "OpenBLAS":
            info.update({f"openblas_{k}": v for k, v in openblas_details(path).items()})
        info["summary"] = f"{label} ({package or path})"
        if "openblas_core" in info:
            info["summary"] += f", core {info['openblas_core']}"
    try:
        from threadpoolctl import threadpool_info

        info["threadpoolctl"] = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "filepath")}
            for d in threadpool_info()
        ]
    except ImportError:
        pass
    if impl == "torch":
        import torch

        shown = torch.__config__.show()
        settings = re.search(r"BLAS_INFO=([^,\s]+)", shown)
        capability = re.search(r"CPU capability usage: (\S+)", shown)
        info["torch_blas_info"] = settings.group(1) if settings else None
        info["torch_cpu_capability"] = capability.group(1) if capability else None
        info["torch_mkldnn"] = torch.backends.mkldnn.is_available()
        info["torch_parallel"] = " ".join(
            line.strip() for line in torch.__config__.parallel_info().splitlines() if "get_num" in line
        )
    else:
        import contextlib
        import io

        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            np.show_config()
        found = re.search(r"^\s*found = (.*)$", text.getvalue(), re.M)
        info["numpy_simd"] = found.group(1).strip() if found else None
    return info


def main():
    header, arrays = read_case(ARGS.data)
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    if ARGS.impl == "torch":
        try:
            import torch
        except Exception as err:  # as for numpy above
            unavailable(f"torch: {type(err).__name__}: {err}")
        versions["torch"] = torch.__version__
        step = torch_step(header, arrays, ARGS.threads)
    else:
        step = numpy_step(header, arrays)
    for package in ("python3-torch", "python3-numpy") if ARGS.impl == "torch" else ("python3-numpy",):
        try:
            got = subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, timeout=10
            )
            if got.returncode == 0 and got.stdout:
                versions[f"debian {package}"] = got.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    losses = [step() for _ in range(ARGS.check_steps)]
    seconds, per_batch, batches = time_steps(step, ARGS.budget, ARGS.warmup)
    out = {
        "impl": ARGS.impl,
        "threads": ARGS.threads,
        "available": True,
        "stepsPerSecond": 1 / seconds,
        "msPerStep": seconds * 1000,
        "stepsPerBatch": per_batch,
        "batches": batches,
        "losses": losses,
        "versions": versions,
        "blas": blas_info(ARGS.impl),
    }
    if ARGS.impl == "torch":
        import torch

        out["torchThreads"] = torch.get_num_threads()
    print(json.dumps(out))


main()
