"""The data root: the folder under which every benchmark has its official layout.

Resolution order (first that is set wins):

1. ``--data-root DIR`` on the command line (the CLI exports it as ``TIMEBENCH_DATA_ROOT`` so
   that ranks started by torchrun and the task loader see the same value);
2. the environment variable ``TIMEBENCH_DATA_ROOT``;
3. ``data_root:`` in the config file ``$TIMEBENCH_CONFIG``, else
   ``$XDG_CONFIG_HOME/timebench/config.yaml`` (default ``~/.config/timebench/config.yaml``),
   read with ``yaml.safe_load`` (a relative path there is relative to the config file);
4. ``~/.cache/timebench/data`` (``$TIMEBENCH_CACHE/data`` when that is set).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

__all__ = ["ENV_VAR", "config_path", "resolve_data_root", "set_data_root"]

ENV_VAR = "TIMEBENCH_DATA_ROOT"


def config_path() -> Path:
    env = os.environ.get("TIMEBENCH_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "timebench" / "config.yaml"


def _from_config() -> tuple[Path, str] | None:
    path = config_path()
    if not path.is_file():
        return None
    from ..io import read_yaml_file

    raw = read_yaml_file(path)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError("the config file must be a mapping", path=str(path))
    value = raw.get("data_root")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError("expected a folder path", path=str(path), field="data_root")
    root = Path(value).expanduser()
    if not root.is_absolute():
        root = path.parent / root
    return root, f"config file {path}"


def resolve_data_root(cli: str | os.PathLike | None = None) -> tuple[Path, str]:
    """``(root, where it came from)`` following the order in the module docstring."""
    if cli:
        return Path(cli).expanduser().absolute(), "--data-root"
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().absolute(), f"${ENV_VAR}"
    found = _from_config()
    if found is not None:
        return found[0].absolute(), found[1]
    from ..datasets.base import cache_root

    return cache_root() / "data", "default (~/.cache/timebench/data)"


def set_data_root(value: str | os.PathLike | None) -> None:
    """Make ``--data-root`` visible to the task loader (and to child processes)."""
    if value:
        os.environ[ENV_VAR] = str(Path(value).expanduser().absolute())
