"""Public benchmarks by name: the data root, the catalog, download and verify.

* :mod:`.root`: where benchmark files live (``--data-root``, ``$TIMEBENCH_DATA_ROOT``, the
  ``data_root`` key of the config file, else ``~/.cache/timebench/data``);
* :mod:`.catalog`: each benchmark's official layout under the root, its loader, its sources;
* :mod:`.fetch`: resumable HTTPS downloads with published checksums, Zenodo records, Hugging
  Face snapshots (``huggingface_hub`` imported lazily);
* :mod:`.verify`: counts, missing or unreadable audio, duration mismatches, repaired rows.

``docs/DATASETS.md`` describes the layouts and the decisions.
"""
