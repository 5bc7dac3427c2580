"""The public benchmarks timebench knows by name: layout under the data root, loader, sources.

Each :class:`Benchmark` lives in ``<data root>/<folder>/`` with the files in the layout of its
official release (``docs/DATASETS.md`` draws every tree).  Its ``sources`` say where the files are
published and how to check them:

* ``url``: one file over HTTPS, with the sha256 **computed from the published file** where we
  could (the Lighthouse releases, at a pinned commit); ``None`` where no checksum is published
  and none could be computed here (then ``verify`` checks counts and structure instead);
* ``zenodo``: a Zenodo record; the file list and each file's md5 are read from the record's own
  API at download time (checksums as published, none invented here);
* ``hf``: a Hugging Face dataset snapshot at a pinned revision (``huggingface_hub``, extra
  ``hf``).

``manual`` says plainly what cannot be fetched automatically (audio from video sites, splits
that are not public) and where it must go.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, UnknownNameError

__all__ = ["Source", "Benchmark", "BENCHMARKS", "get_benchmark", "load_benchmark",
           "benchmark_status"]

_LIGHTHOUSE_COMMIT = "d095eaa552cecef240897a8b750306b3b2a08740"
_LIGHTHOUSE_RAW = f"https://raw.githubusercontent.com/line/lighthouse/{_LIGHTHOUSE_COMMIT}/data"
_AUDIOSET_STRONG = "http://storage.googleapis.com/us_audioset/youtube_corpus/strong"


@dataclass(frozen=True)
class Source:
    """Where (part of) a benchmark is published."""

    kind: str                       # url | zenodo | hf
    url: str | None = None
    target: str | None = None       # file name under the benchmark folder (url)
    sha256: str | None = None
    record: str | None = None       # Zenodo record id
    files: tuple[str, ...] | None = None   # Zenodo file-name patterns (None: all files)
    repo: str | None = None         # Hugging Face dataset id
    revision: str | None = None
    note: str = ""
    automatic: bool = True          # False: published there, but not what the task needs

    def describe(self) -> str:
        if self.kind == "url":
            check = f"sha256 {self.sha256[:12]}..." if self.sha256 else "no published checksum"
            return f"{self.url} ({check})"
        if self.kind == "zenodo":
            which = ", ".join(self.files) if self.files else "all files"
            return f"Zenodo record {self.record} ({which}; md5 from the record)"
        return f"Hugging Face dataset {self.repo}@{(self.revision or 'main')[:12]}"


@dataclass(frozen=True)
class Benchmark:
    """One public benchmark: its files under the data root and how to load them."""

    name: str
    title: str
    folder: str
    format: str
    annotations: tuple[str, ...]            # candidates, relative to the folder; first found
    tasks: tuple[str, ...]
    audio_dir: str | None = "audio"         # dataset root for audio paths (relative)
    options: Mapping[str, Any] = field(default_factory=dict)
    side_files: Mapping[str, str] = field(default_factory=dict)  # option -> relative path
    expected: int | None = None             # published number of samples (None: not known)
    expected_unit: str = "queries"
    sources: tuple[Source, ...] = ()
    manual: str = ""
    paper: str = ""

    def folder_path(self, root: Path) -> Path:
        return Path(root) / self.folder

    def annotation_path(self, root: Path) -> Path | None:
        base = self.folder_path(root)
        for rel in self.annotations:
            if (base / rel).is_file():
                return base / rel
        return None

    def loader_options(self, root: Path, **overrides: Any) -> dict[str, Any]:
        base = self.folder_path(root)
        opts: dict[str, Any] = dict(self.options)
        for key, rel in self.side_files.items():
            if (base / rel).is_file():
                opts[key] = str(base / rel)
        if self.audio_dir is not None:
            opts["root"] = str(base / self.audio_dir)
        opts.update(overrides)
        return opts


BENCHMARKS: dict[str, Benchmark] = {}


def _add(b: Benchmark) -> None:
    BENCHMARKS[b.name] = b


_add(Benchmark(
    name="ftar", title="FTAR test (TimeAudio): tag, dac, tss, tqa", folder="ftar",
    format="ftar", annotations=("test.json", "test.jsonl"),
    tasks=("ftar-tag", "ftar-dac", "ftar-tss", "ftar-tqa"),
    options={"strip_prefix": "/data/WavCaps/"},
    sources=(Source("hf", repo="lysanderism/FTAR", revision="main", automatic=False,
                    note="the Hub holds only train/*.json"),),
    manual="The FTAR test split is not on the Hub (lysanderism/FTAR has only train/*.json) and "
           "its audio points to the authors' copies (/data/WavCaps/...). Put the test file in "
           "FTAR's own JSON format at ftar/test.json and the audio at ftar/audio/<path after "
           "/data/WavCaps/>.",
    paper="TimeAudio, arXiv 2511.11039"))

_add(Benchmark(
    name="spotsound-bench", title="SpotSound-Bench", folder="spotsound-bench",
    format="spotsound", annotations=("annotations_processed.json", "SpotSound-Bench.json",
                                     "test.json"),
    tasks=("spotsound-bench",), options={"basename": True}, expected=400, expected_unit="rows",
    sources=(Source("hf", repo="Loie/SpotSound-Bench",
                    revision="2e64ad197b90d6bd3b43efc73738cb9f86810735"),),
    paper="SpotSound, arXiv 2604.13023"))

for _name, _fmt, _file, _n, _manual in (
        ("clotho-moment", "clotho_moment", "clotho_moment/clotho_moment_test_release.jsonl",
         6649, "Clotho-Moment audio (60 s mixtures) is published by the Lighthouse authors on "
               "Hugging Face (lighthouse-emnlp2024/Clotho-Moment) as a WebDataset; unpack the "
               "test clips to clotho-moment/audio/<vid without dots>.wav."),
        ("unav100-subset", "unav100_subset", "unav100-subset/unav100-subset_test_release.jsonl",
         100, "UnAV-100 clips come from YouTube videos and cannot be downloaded automatically; "
              "put the audio of each video as unav100-subset/audio/<vid>.wav."),
        ("tut2017", "tut2017", "tut2017/tut2017_test_release.jsonl", 104,
         "The 60 s segments are cut from TUT Sound Events 2017 (Zenodo 814831 development, "
         "1040179 evaluation) as the Lighthouse authors did ('a002_60_120' = recording a002, "
         "60-120 s); put them at tut2017/audio/<vid>.wav.")):
    _add(Benchmark(
        name=_name, title=f"{_name} (Lighthouse audio moment retrieval test release)",
        folder=_name, format=_fmt, annotations=(Path(_file).name,), tasks=(_name,),
        expected=_n,
        sources=(Source("url", url=f"{_LIGHTHOUSE_RAW}/{_file}", target=Path(_file).name,
                        sha256={"clotho-moment": "a055da00539903a2374b2deebc0ef3b5"
                                                 "12695610b6832cc7cbb8ed61abb29c41",
                                "unav100-subset": "e7e471117f658108e92adb313238e260"
                                                  "9234ef5f85c9df26d6c09d14d10ffdec",
                                "tut2017": "1c4bd8af44b370dc8b462ab14fa20614"
                                           "5f59acdc1f93346c1f026c7e42c24898"}[_name],
                        note=f"line/lighthouse at {_LIGHTHOUSE_COMMIT[:12]}"),),
        manual=_manual, paper="Munakata et al., Language-based audio moment retrieval, "
                              "arXiv 2409.15672"))

_add(Benchmark(
    name="audiogrounding", title="AudioGrounding v2 test", folder="audiogrounding",
    format="audiogrounding", annotations=("test.json", "data/test.json"),
    tasks=("audiogrounding",), side_files={"durations": "duration.tsv"},
    sources=(Source("zenodo", record="7269161"),),
    manual="If the record's audio is not under audiogrounding/audio/ after extraction, put "
           "the clips there as <audio_id> (Y<ytid>.wav).",
    paper="Xu et al., text-to-audio grounding (wsntxxn/TextToAudioGrounding)"))

_add(Benchmark(
    name="tacos", title="TACOS strong captions", folder="tacos", format="tacos",
    annotations=("annotations_strong.csv",), tasks=("tacos-grounding",),
    audio_dir=".", side_files={"metadata": "metadata.csv"}, expected_unit="clips",
    sources=(Source("zenodo", record="15379789"),),
    manual="Audio goes to tacos/audio/<sound_id>.mp3 (the official loader's layout).",
    paper="Primus et al., TACOS, arXiv 2505.07609"))

_add(Benchmark(
    name="desed-public-eval", title="DESED public evaluation set", folder="desed-public-eval",
    format="desed", annotations=("dataset/metadata/eval/public.tsv",),
    tasks=("desed-public-eval",), audio_dir="dataset/audio/eval/public",
    side_files={"durations": "dataset/metadata/eval/public_durations.tsv"},
    expected=692, expected_unit="clips",
    sources=(Source("zenodo", record="3588172", files=("DESEDpublic_eval.tar.gz",)),),
    paper="Turpault et al., DESED; DCASE Task 4"))

_add(Benchmark(
    name="audioset-strong-eval", title="AudioSet-Strong evaluation set",
    folder="audioset-strong-eval", format="audioset_strong",
    annotations=("audioset_eval_strong.tsv",), tasks=("audioset-strong-eval", "tacos-sed"),
    side_files={"label_map": "mid_to_display_name.tsv"}, expected_unit="clips",
    sources=(Source("url", url=f"{_AUDIOSET_STRONG}/audioset_eval_strong.tsv",
                    target="audioset_eval_strong.tsv"),
             Source("url", url=f"{_AUDIOSET_STRONG}/mid_to_display_name.tsv",
                    target="mid_to_display_name.tsv")),
    manual="AudioSet audio comes from YouTube and cannot be downloaded automatically; put each "
           "10 s segment at audioset-strong-eval/audio/<segment_id>.wav.",
    paper="Hershey et al., AudioSet strong labels (ICASSP 2021)"))


def get_benchmark(name: str) -> Benchmark:
    if name not in BENCHMARKS:
        raise UnknownNameError("benchmark", name, BENCHMARKS)
    return BENCHMARKS[name]


def load_benchmark(name: str, *, data_root: str | os.PathLike | None = None, **overrides: Any):
    """Load a benchmark's annotations from the data root (a ``LoadedDataset``)."""
    from ..datasets import load_dataset
    from .root import resolve_data_root

    bench = get_benchmark(name)
    root = Path(data_root) if data_root else resolve_data_root()[0]
    path = bench.annotation_path(root)
    if path is None:
        want = " or ".join(str(bench.folder_path(root) / a) for a in bench.annotations)
        raise InputError(f"benchmark '{name}' is not in the data root: {want} not found; "
                         f"run `timebench data download {name}` or see docs/DATASETS.md",
                         path=str(bench.folder_path(root)), field="data")
    return load_dataset(bench.format, path, **bench.loader_options(root, **overrides))


def benchmark_status(bench: Benchmark, root: Path) -> tuple[bool, str]:
    """``(ready, why)``: ready when the annotations are present; ``why`` says whether the
    audio folder is there too (each file is checked by ``timebench data verify``)."""
    path = bench.annotation_path(root)
    if path is None:
        return False, (f"missing {bench.folder}/{bench.annotations[0]} "
                       f"(`timebench data download {bench.name}`"
                       + (" + manual audio" if bench.manual else "") + ")")
    sub = bench.audio_dir if bench.audio_dir not in (None, ".") else "audio"
    if not (bench.folder_path(root) / sub).is_dir():
        return True, f"annotations only: no audio folder {bench.folder}/{sub}"
    return True, "annotations and audio folder found (`timebench data verify` checks each file)"
