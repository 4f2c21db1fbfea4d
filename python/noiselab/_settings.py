"""The run's settings, as noiselab passes them to the script in environment variables."""
import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

SOURCES = ("init", "shuffle", "augment", "dropout", "batchOrder")
_SEED_VARIABLES = {
    "init": "NOISELAB_SEED_INIT",
    "shuffle": "NOISELAB_SEED_SHUFFLE",
    "augment": "NOISELAB_SEED_AUGMENT",
    "dropout": "NOISELAB_SEED_DROPOUT",
    "batchOrder": "NOISELAB_SEED_BATCH_ORDER",
}


@dataclass(frozen=True)
class Trace:
    dir: str
    steps: int
    dump: Optional[Tuple[int, int]]


@dataclass(frozen=True)
class Settings:
    output_dir: str
    seeds: Dict[str, int]
    free: Tuple[str, ...]
    deterministic_algorithms: bool
    cudnn_deterministic: bool
    cudnn_benchmark: bool
    allow_tf32: bool
    device: str
    threads: Optional[int]
    precision: str
    onednn: bool
    trace: Optional[Trace]


def _flag(env, name, default):
    value = env.get(name)
    return default if value is None else value == "1"


def read(env=None) -> Optional[Settings]:
    """The settings noiselab gave this process, or None when the script runs on its own."""
    env = os.environ if env is None else env
    output_dir = env.get("NOISELAB_OUTPUT_DIR")
    if not output_dir:
        return None
    trace = None
    if env.get("NOISELAB_TRACE_DIR"):
        dump = env.get("NOISELAB_TRACE_DUMP")
        trace = Trace(
            dir=env["NOISELAB_TRACE_DIR"],
            steps=int(env.get("NOISELAB_TRACE_STEPS", "10")),
            dump=tuple(int(x) for x in dump.split(":")) if dump else None,
        )
    threads = env.get("NOISELAB_THREADS")
    return Settings(
        output_dir=output_dir,
        seeds={source: int(env.get(name, "0")) for source, name in _SEED_VARIABLES.items()},
        free=tuple(s for s in env.get("NOISELAB_FREE_SOURCES", "").split(",") if s),
        deterministic_algorithms=_flag(env, "NOISELAB_DETERMINISTIC_ALGORITHMS", True),
        cudnn_deterministic=_flag(env, "NOISELAB_CUDNN_DETERMINISTIC", True),
        cudnn_benchmark=_flag(env, "NOISELAB_CUDNN_BENCHMARK", False),
        allow_tf32=_flag(env, "NOISELAB_ALLOW_TF32", False),
        device=env.get("NOISELAB_DEVICE", "cpu"),
        threads=int(threads) if threads else None,
        precision=env.get("NOISELAB_PRECISION", "fp32"),
        onednn=_flag(env, "NOISELAB_ONEDNN", True),
        trace=trace,
    )
