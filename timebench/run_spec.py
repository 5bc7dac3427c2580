"""What a run is asked to do: model specs (``--models`` / a suite's ``models:``), run options,
and the distributed-launch environment (rank, world size, one GPU per local rank)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError
from .redact import redact_command

__all__ = ["ModelSpec", "RunOptions", "parse_model_list", "shard_info", "pin_local_device"]


@dataclass(frozen=True)
class ModelSpec:
    """A model row of a leaderboard: display name, adapter, settings, optional task subset."""

    name: str
    adapter: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    tasks: tuple[str, ...] | None = None


_SPEC = re.compile(r"^\s*(?P<adapter>[^\[\]]+?)\s*(?:\[(?P<settings>[^\[\]]*)\])?\s*$")


def parse_model_list(text: str) -> list[ModelSpec]:
    """``"oracle,random[seed=1,latency=0.01]"`` -> model specs (settings read as safe YAML)."""
    from .commands._common import parse_settings

    specs, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            specs.append(cur)
            cur = ""
        else:
            cur += ch
    specs.append(cur)
    out = []
    for raw in specs:
        if not raw.strip():
            continue
        m = _SPEC.match(raw)
        if not m:
            raise InputError(f"cannot read model spec {raw!r}; expected NAME or NAME[key=value,...]",
                             field="--models")
        settings = parse_settings(m.group("settings") or "")
        # the display name (results keys, output folder) never holds a secret such as api_key=
        out.append(ModelSpec(name=redact_command(raw.strip()), adapter=m.group("adapter"),
                             settings=settings))
    return out


@dataclass
class RunOptions:
    out_dir: Path
    seed: int = 0
    batch_size: int | None = None
    bootstrap: int = 1000
    confidence: float = 0.95
    limit: int | None = None
    prefetch: int = 2
    progress: bool = True
    cache_dir: Path | None = None
    suite: str | None = None
    shard_timeout: float = 3600.0
    command: str = ""
    repeats: int = 1            # --repeats K: K decodes with seeds seed, seed+1, ...
    #: scoring protocol for every task (``--protocol``), else per task (a suite's ``protocols:``),
    #: else the task card's
    protocol: str | None = None
    protocols: Mapping[str, str] = field(default_factory=dict)

    def protocol_for(self, task) -> str:
        return self.protocol or self.protocols.get(task.name) or task.protocol

    @property
    def cache_root(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else Path(self.out_dir) / "cache"


def shard_info() -> tuple[int, int]:
    """``(rank, world_size)`` from torchrun / accelerate environment variables."""
    try:
        rank = int(os.environ.get("RANK", "0"))
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise InputError("RANK and WORLD_SIZE must be integers", field="environment") from None
    if world < 1 or not 0 <= rank < world:
        raise InputError(f"invalid RANK={rank} / WORLD_SIZE={world}", field="environment")
    return rank, world


def pin_local_device() -> None:
    """Give each local rank its own GPU: ``CUDA_VISIBLE_DEVICES`` -> the ``LOCAL_RANK``-th device.

    torchrun / accelerate set ``LOCAL_RANK`` but not ``CUDA_VISIBLE_DEVICES``, so adapters that
    ask for ``cuda`` would otherwise all land on GPU 0.  Does nothing on one process or when
    ``LOCAL_RANK`` is unset; never imports torch.
    """
    local = os.environ.get("LOCAL_RANK")
    if local is None or int(os.environ.get("WORLD_SIZE", "1")) <= 1 \
            or os.environ.get("TIMEBENCH_NO_DEVICE_PINNING"):
        return
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    devices = [d.strip() for d in visible.split(",") if d.strip()] if visible else None
    index = int(local)
    if devices is None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
    elif len(devices) > 1 and index < len(devices):
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[index]
