"""Package discovery that pyproject.toml alone cannot express.

The task cards live in the top-level ``tasks/`` folder and the suites in ``leaderboards/`` (the
layout the project mandates); installed, they become the data packages
``timebench.task_cards`` and ``timebench.leaderboards`` (see ``[tool.setuptools.package-dir]``).
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["timebench", "timebench.*", "model_adapters",
                                      "model_adapters.*"])
      + ["timebench.task_cards", "timebench.leaderboards"])
