"""noiselab's side of a PyTorch training script.

noiselab runs the script once per run with the run's settings in environment variables; these
functions apply them and save what noiselab reads. Run without noiselab, every function does
nothing (or returns what the script would use anyway), so the script still works alone.

    import noiselab
    noiselab.setup()                                   # seeds, determinism switches, threads
    loader = DataLoader(train, batch_size=64, shuffle=True, **noiselab.loader_kwargs())
    model = noiselab.start_training(Net().to(device))  # after the model is built: dropout seed, traces
    ...
    noiselab.save_predictions(test_logits, epoch=epoch, labels=test_labels)
    noiselab.save_weights(model)
"""
import atexit
import contextlib
import json
import os
import random
import re
import threading
import time

import numpy as np
import torch

from . import _safetensors, _settings
from ._trace import Tracer

__all__ = ["active", "setup", "device", "autocast", "generator", "loader_kwargs", "start_training", "save_predictions", "save_weights", "save_metrics"]

_state = {"tracer": None, "permutation": None}


def active() -> bool:
    """Whether noiselab runs this script."""
    return _settings.read() is not None


def _seed(source: str):
    s = _settings.read()
    return None if s is None else s.seeds[source]


def setup() -> None:
    """Seeds init (the global torch RNG), Python's and NumPy's RNGs (with the augment seed), sets the
    determinism switches and thread counts. Call it first, before the model or data are made."""
    s = _settings.read()
    if s is None:
        return
    torch.manual_seed(s.seeds["init"])
    random.seed(s.seeds["augment"])
    np.random.seed(s.seeds["augment"] % 2**32)
    if s.deterministic_algorithms:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # While tracing, an op without a deterministic kernel is named in the trace instead of stopping the script.
    torch.use_deterministic_algorithms(s.deterministic_algorithms, warn_only=s.trace is not None)
    torch.backends.cudnn.deterministic = s.cudnn_deterministic
    torch.backends.cudnn.benchmark = s.cudnn_benchmark
    torch.backends.cuda.matmul.allow_tf32 = s.allow_tf32
    torch.backends.cudnn.allow_tf32 = s.allow_tf32
    torch.backends.mkldnn.enabled = s.onednn
    if s.threads is not None:
        torch.set_num_threads(s.threads)
    _write_torch_info(s.output_dir)
    _stop_with_parent()


def _write_torch_info(output_dir: str) -> None:
    """The script's libtorch, for the run's fingerprint (noiselab cannot see which torch a script imports)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
        blas = sorted(p for p in paths if re.search(r"/lib[^/]*(blas|lapack|mkl_)[^/]*\.so", p))
    except OSError:
        blas = []
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    info = {
        "torchVersion": torch.__version__,
        "cudnnVersion": -1 if cudnn is None else cudnn,
        "config": torch.__config__.show(),
        # The lines of torch's build config that libtorch's own version getters return, word for word.
        "onednnVersion": _config_line(r"Intel\(R\) MKL-DNN v|oneDNN v"),
        "mklVersion": _config_line(r"Intel\(R\) (oneAPI )?Math Kernel Library"),
        "openmpVersion": _config_line(r"OpenMP "),
        "blasLibraries": blas,
    }
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "torch-info.json"), "w") as f:
        json.dump(info, f)


def _config_line(start: str) -> str:
    match = re.search(r"^\s*- ((?:" + start + r").*)$", torch.__config__.show(), re.M)
    return match.group(1).strip() if match else ""


def autocast():
    """The run's precision as an autocast context for the forward pass and loss: bf16 (CPU or CUDA) or
    fp16 (CUDA) autocast where the environment asks for it, else (and outside noiselab) a no-op."""
    s = _settings.read()
    if s is None or s.precision not in ("bf16", "fp16"):
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if s.precision == "bf16" else torch.float16
    return torch.autocast(device_type=torch.device(s.device).type, dtype=dtype)


def _stop_with_parent():
    """A script whose noiselab worker was killed stops too, instead of training for nobody."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def device(default: str = "cpu") -> torch.device:
    """The run's device (noiselab's environment), or `default` outside noiselab."""
    s = _settings.read()
    return torch.device(default if s is None else s.device)


def generator(source: str):
    """A torch.Generator seeded for one noise source (init, shuffle, augment, dropout, batchOrder),
    for random numbers the script draws itself; None outside noiselab (torch then uses its global RNG)."""
    if source not in _settings.SOURCES:
        raise ValueError(f"noiselab.generator: unknown source {source!r} (sources: {', '.join(_settings.SOURCES)})")
    seed = _seed(source)
    return None if seed is None else torch.Generator().manual_seed(seed)


def _augment_worker_init(worker_id: int) -> None:
    seed = _seed("augment") + worker_id
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def loader_kwargs(collate_fn=None) -> dict:
    """Arguments for the training DataLoader: the shuffle generator, the augment seed for its workers
    and, where batch order is free, a collate function that permutes the examples inside each batch.
    `collate_fn`: the script's own, wrapped. Outside noiselab: {} (or just `collate_fn`)."""
    s = _settings.read()
    if s is None:
        return {} if collate_fn is None else {"collate_fn": collate_fn}
    kwargs = {"generator": generator("shuffle"), "worker_init_fn": _augment_worker_init}
    if "batchOrder" in s.free:
        kwargs["collate_fn"] = _permuting_collate(collate_fn or torch.utils.data.default_collate, generator("batchOrder"))
    elif collate_fn is not None:
        kwargs["collate_fn"] = collate_fn
    return kwargs


def _permuting_collate(collate, gen):
    def permute(examples):
        perm = torch.randperm(len(examples), generator=gen)
        _state["permutation"] = perm
        return collate([examples[i] for i in perm.tolist()])

    return permute


def start_training(model: torch.nn.Module) -> torch.nn.Module:
    """Call once the model is built: from here on the global torch RNG (dropout masks) draws from the
    dropout seed, and under `noiselab check` the model's outputs and gradients are traced."""
    s = _settings.read()
    if s is None:
        return model
    torch.manual_seed(s.seeds["dropout"])
    if s.trace is not None and _state["tracer"] is None:
        tracer = Tracer(s.trace, lambda: _state["permutation"])
        tracer.watch(model)
        atexit.register(tracer.finish)
        _state["tracer"] = tracer
    return model


def _output_path(name: str):
    s = _settings.read()
    if s is None:
        return None
    os.makedirs(s.output_dir, exist_ok=True)
    return os.path.join(s.output_dir, name)


def _save_npy(name: str, array: np.ndarray) -> None:
    path = _output_path(name)
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def save_predictions(outputs, *, epoch: int, labels=None) -> None:
    """Test-set outputs after `epoch` (1, 2, …; the highest saved is the run's final epoch): n×C logits
    (saved as softmax probabilities) or n predicted labels. `labels`: the n true labels, once is enough."""
    if _settings.read() is None:
        return
    if not isinstance(epoch, int) or epoch < 1:
        raise ValueError(f"noiselab.save_predictions: epoch must be a positive integer, got {epoch!r}")
    t = torch.as_tensor(outputs).detach().to("cpu")
    if t.is_floating_point():
        if t.dim() != 2:
            raise ValueError(f"noiselab.save_predictions: float outputs must be n×C logits, got shape {list(t.shape)}")
        array = torch.softmax(t.double(), dim=1).float().numpy()
    else:
        array = t.long().numpy()
    _save_npy(f"predictions-e{epoch}.npy", array)
    if labels is not None:
        _save_npy("labels.npy", torch.as_tensor(labels).detach().to("cpu").long().numpy())


def save_weights(model: torch.nn.Module) -> None:
    """The model's state dict (parameters and buffers) as weights.safetensors."""
    path = _output_path("weights.safetensors")
    if path is None:
        return
    with open(path + ".tmp", "wb") as f:
        f.write(_safetensors.encode(dict(model.state_dict())))
    os.replace(path + ".tmp", path)


def save_metrics(metrics=None, **more) -> None:
    """The script's own numbers (a dict and/or keywords), kept with the run as script-metrics.json."""
    path = _output_path("metrics.json")
    if path is None:
        return
    values = {**(metrics or {}), **more}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1, default=float)
    os.replace(path + ".tmp", path)
