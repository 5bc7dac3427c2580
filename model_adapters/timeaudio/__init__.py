"""TimeAudio (lysanderism/TimeAudio) for timebench: model parts, loading, token merging, adapter.

Modules (one job each):

* :mod:`.config`        released settings (``infer_config.yaml``), tiny test configuration
* :mod:`.markers`       ``<a_d>``/``<f_d>`` marker tokens: seconds <-> text (no torch)
* :mod:`.fbank`         Kaldi fbank in torch (BEATs input)
* :mod:`.beats`         BEATs encoder (official checkpoint names)
* :mod:`.qformer`       window-level Q-Former (checkpoint names)
* :mod:`.encoder`       Whisper + BEATs + Q-Former stack shared with SALMONN; chunking rules
* :mod:`.time_table`    absolute time-table row per window
* :mod:`.merging`       token merging, reference path;  :mod:`.merging_fast` batched path
* :mod:`.tokenizer`     Vicuna tokenizer with the markers; tiny offline tokenizer
* :mod:`.model`         ``TimeAudioModel`` (+ tiny builder);  :mod:`.loading` files and checkpoints
* :mod:`.adapter`       ``TimeAudioAdapter`` (``name = "timeaudio"``)

Importing this package imports no torch; the adapter class is resolved lazily.
"""

from __future__ import annotations

__all__ = ["TimeAudioAdapter"]


def __getattr__(name: str):
    if name == "TimeAudioAdapter":
        from .adapter import TimeAudioAdapter

        return TimeAudioAdapter
    raise AttributeError(name)
