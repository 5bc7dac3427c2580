"""Small adapters for runner tests (importable as tests.helpers.fake_adapters:Name)."""

from __future__ import annotations

import time

from model_adapters.base import Generation, ModelAdapter


class SlowEcho(ModelAdapter):
    """Answers with the reference windows shifted by a per-sample amount (deterministic)."""

    name = "slow-echo"
    outputs = frozenset({"text"})
    sample_rate = 16000
    needs_reference = True

    def generate(self, requests):
        time.sleep(float(self.settings.get("latency", 0.0)))
        out = []
        for r in requests:
            shift = (r.seed % 7) * 0.1
            parts = [f"{e.onset + shift:.2f} - {e.offset + shift:.2f}" for e in r.reference.events]
            out.append(Generation(text=", ".join(parts) if parts else "not present",
                                  meta={"audio_samples": 0 if r.waveform is None else int(r.waveform.size)}))
        return out


class Flaky(ModelAdapter):
    """Raises for ids listed in `fail` (comma-separated) and answers '1 - 2' otherwise."""

    name = "flaky"
    outputs = frozenset({"text"})
    sample_rate = None

    def generate(self, requests):
        fail = set(str(self.settings.get("fail", "")).split(","))
        if any(r.id in fail for r in requests):
            raise RuntimeError("boom on " + ",".join(r.id for r in requests if r.id in fail))
        return [Generation(text="1.0 - 2.0") for r in requests]


class FailOnce(ModelAdapter):
    """Raises for sample `id` in the first `times` calls that include it (counted in `marker`)."""

    name = "fail-once"
    outputs = frozenset({"text"})
    sample_rate = None
    runtime_settings = ModelAdapter.runtime_settings | {"marker"}

    def generate(self, requests):
        from pathlib import Path

        marker = Path(str(self.settings["marker"]))
        target = str(self.settings["id"])
        times = int(self.settings.get("times", 2))  # the batch call and the per-sample retry
        if any(r.id == target for r in requests):
            count = int(marker.read_text()) if marker.exists() else 0
            if count < times:
                marker.write_text(str(count + 1))
                raise RuntimeError(f"attempt {count + 1} at {target} fails")
        return [Generation(text="1.0 - 2.0") for r in requests]


class Cutter(ModelAdapter):
    """Declares a ``limit`` (seconds) and an ``over_limit`` policy; marks the clips it would cut."""

    name = "cutter"
    outputs = frozenset({"text"})
    sample_rate = None

    def __init__(self, **settings):
        super().__init__(**settings)
        self.max_audio_seconds = float(settings.get("limit", 5.0))
        self.over_limit = str(settings.get("over_limit", "truncate"))

    def generate(self, requests):
        from model_adapters.base import mark_truncated

        out = []
        for r in requests:
            long = r.duration is not None and r.duration > self.max_audio_seconds
            out.append(mark_truncated(Generation(text="1.0 - 2.0"), r.duration if long else None,
                                      self.max_audio_seconds))
        return out
class Dead(ModelAdapter):
    """Every request fails, like a server that refuses connections."""

    name = "dead"
    outputs = frozenset({"text"})
    sample_rate = None

    def generate(self, requests):
        raise ConnectionRefusedError(111, "Connection refused")
