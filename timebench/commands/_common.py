"""Argument helpers shared by subcommands."""

from __future__ import annotations

from typing import Any

from ..errors import InputError


def parse_metric_args(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["grounding.mode=top1", "event_f1.t_collar=0.25"]`` -> ``{suite: {key: value}}``.

    Values are read with ``yaml.safe_load`` so numbers, booleans and lists keep their types.
    """
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        suite, dot, param = key.partition(".")
        if not sep or not dot or not suite or not param:
            raise InputError(f"expected SUITE.PARAM=VALUE, got {item!r}", field="--metric-arg")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InputError(f"cannot read the value {raw!r}", field="--metric-arg") from None
        out.setdefault(suite, {})[param] = value
    return out


def parse_settings(text: str) -> dict[str, Any]:
    """``"key=value,key2=value2"`` -> dict with YAML-typed values (safe_load)."""
    import yaml

    out: dict[str, Any] = {}
    if not text:
        return out
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, raw = part.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected key=value, got {part!r}", field="model settings")
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InputError(f"cannot read the value {raw!r}", field=key.strip()) from None
    return out
