"""Each local rank gets its own GPU; secrets never reach results.json's command line."""

from __future__ import annotations

import pytest

from timebench.runner import pin_local_device, redact


@pytest.mark.parametrize("env, expected", [
    ({"LOCAL_RANK": "2", "WORLD_SIZE": "4"}, "2"),
    ({"LOCAL_RANK": "1", "WORLD_SIZE": "2", "CUDA_VISIBLE_DEVICES": "4,5"}, "5"),
    ({"LOCAL_RANK": "0", "WORLD_SIZE": "1", "CUDA_VISIBLE_DEVICES": "4,5"}, "4,5"),
    ({"LOCAL_RANK": "1", "WORLD_SIZE": "2", "CUDA_VISIBLE_DEVICES": "3"}, "3"),
    ({"LOCAL_RANK": "1", "WORLD_SIZE": "2", "TIMEBENCH_NO_DEVICE_PINNING": "1"}, None),
])
def test_pin_local_device(monkeypatch, env, expected):
    for key in ("LOCAL_RANK", "WORLD_SIZE", "CUDA_VISIBLE_DEVICES", "TIMEBENCH_NO_DEVICE_PINNING"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pin_local_device()
    import os

    assert os.environ.get("CUDA_VISIBLE_DEVICES") == expected


def test_redact_api_keys():
    cmd = "timebench run --models 'openai[base_url=http://h/v1,api_key=sk-abc,model=m]'"
    assert "sk-abc" not in redact(cmd) and "api_key=***" in redact(cmd)
    assert redact("timebench run --models oracle") == "timebench run --models oracle"
