"""Downloads for ``timebench data download``: resumable, checked, standard library only.

* :func:`download_file`: HTTP(S) with ``urllib``; the bytes go to ``<file>.part`` and a rerun
  resumes with a ``Range: bytes=N-`` request (a server that answers 200 instead of 206 restarts
  the file); the result is checked against the published sha256/md5 before it is renamed into
  place.  Without a published checksum the sha256 of what arrived is reported, never stored as
  if it were published.
* :func:`fetch_zenodo`: reads the record's file list and md5 checksums from Zenodo's API
  (``/api/records/<id>``), downloads the files asked for and unpacks ``.zip``/``.tar.gz``
  archives safely (no member may leave the target folder).
* :func:`fetch_hf`: a Hugging Face dataset snapshot at a pinned revision via
  ``huggingface_hub.snapshot_download`` (imported lazily; extra ``hf``).

``$TIMEBENCH_DOWNLOAD_MIRROR`` (a base URL) rewrites every ``https://host/path`` to
``<mirror>/host/path``: for institutional mirrors, and for the tests, which serve the same
layout from a local server on 127.0.0.1.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Callable
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from ..errors import InputError, MissingDependencyError, TimebenchError

__all__ = ["DownloadError", "mirror_url", "download_file", "fetch_zenodo", "fetch_hf",
           "download_benchmark", "file_digest", "safe_extract"]

MIRROR_ENV = "TIMEBENCH_DOWNLOAD_MIRROR"
ZENODO_API = "https://zenodo.org/api/records/{record}"
CHUNK = 1 << 20


class DownloadError(TimebenchError):
    """A download failed or did not match its published checksum (exit 2)."""


def mirror_url(url: str) -> str:
    base = os.environ.get(MIRROR_ENV)
    if not base:
        return url
    parts = urlsplit(url)
    tail = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + "/" + tail


def file_digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _checks(sha256: str | None, md5: str | None) -> list[tuple[str, str]]:
    return [(a, v.lower()) for a, v in (("sha256", sha256), ("md5", md5)) if v]


def download_file(url: str, dest: str | os.PathLike, *, sha256: str | None = None,
                  md5: str | None = None, timeout: float = 60.0,
                  progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``), check it, return what happened."""
    from .. import __version__

    dest = Path(dest)
    checks = _checks(sha256, md5)
    if dest.is_file():
        if not checks:
            return {"file": str(dest), "status": "present (no published checksum to compare)"}
        if all(file_digest(dest, a) == v for a, v in checks):
            return {"file": str(dest), "status": "present, checksum ok"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    req = Request(mirror_url(url), headers={"User-Agent": f"timebench/{__version__}"})
    if offset:
        req.add_header("Range", f"bytes={offset}-")
    resumed = False
    try:
        with urlopen(req, timeout=timeout) as resp:  # noqa: S310 - https URLs from the catalog
            if offset and resp.status == 206:
                start = resp.headers.get("Content-Range", "").split(" ")[-1].split("-")[0]
                resumed = start == str(offset)
            mode = "ab" if resumed else "wb"
            with open(part, mode) as fh:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    fh.write(block)
                    if progress is not None:
                        progress(len(block))
    except HTTPError as exc:
        if exc.code != 416 or not offset:  # 416: the part is already complete
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (URLError, OSError, TimeoutError) as exc:
        raise DownloadError(f"{url}: {getattr(exc, 'reason', exc)}; rerun to resume "
                            f"({part.stat().st_size if part.exists() else 0} bytes kept)") \
            from None
    for algo, want in checks:
        got = file_digest(part, algo)
        if got != want:
            part.unlink()
            raise DownloadError(f"{url}: {algo} {got} does not match the published {want}; "
                                "the partial file was removed")
    os.replace(part, dest)
    out = {"file": str(dest), "status": "resumed" if resumed else "downloaded",
           "checked": [a for a, _ in checks] or None}
    if not checks:
        out["sha256_observed"] = file_digest(dest, "sha256")
    return out


def _read_json(url: str, timeout: float) -> Any:
    try:
        with urlopen(Request(mirror_url(url)), timeout=timeout) as resp:  # noqa: S310
            return json.loads(resp.read().decode("utf-8"))
    except HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (URLError, OSError, TimeoutError, ValueError) as exc:
        raise DownloadError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def safe_extract(archive: Path, target: Path) -> int:
    """Unpack a zip or tar archive into ``target``; refuse members that would leave it."""
    target = target.resolve()

    def inside(name: str) -> bool:
        p = (target / name).resolve()
        return p == target or target in p.parents

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            bad = [n for n in names if not inside(n)]
            if bad:
                raise DownloadError(f"{archive}: member {bad[0]!r} would leave {target}")
            zf.extractall(target)
            return len(names)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            bad = [m.name for m in members if not inside(m.name)]
            if bad:
                raise DownloadError(f"{archive}: member {bad[0]!r} would leave {target}")
            tf.extractall(target, filter="data")
            return len(members)
    return 0


def _is_archive(name: str) -> bool:
    return name.endswith((".zip", ".tar.gz", ".tgz", ".tar"))


def fetch_zenodo(record: str, dest: Path, *, patterns: tuple[str, ...] | None = None,
                 timeout: float = 60.0) -> list[dict[str, Any]]:
    """Download a Zenodo record's files (md5 from the record) into ``dest`` and unpack them."""
    meta = _read_json(ZENODO_API.format(record=record), timeout)
    files = meta.get("files") if isinstance(meta, dict) else None
    if isinstance(files, dict):  # some API versions nest the list under "entries"
        files = files.get("entries")
        files = list(files.values()) if isinstance(files, dict) else files
    if not isinstance(files, list) or not files:
        raise DownloadError(f"Zenodo record {record}: no file list in the API answer")
    out = []
    for entry in files:
        key = entry.get("key") or entry.get("filename")
        if not isinstance(key, str) or "/" in key or key.startswith("."):
            continue
        if patterns and not any(fnmatch.fnmatch(key, p) for p in patterns):
            continue
        checksum = str(entry.get("checksum") or "")
        algo, _, value = checksum.partition(":")
        links = entry.get("links") or {}
        url = links.get("content") or links.get("self") or links.get("download") or \
            f"https://zenodo.org/records/{record}/files/{key}?download=1"
        res = download_file(url, dest / key, md5=value if algo == "md5" else None,
                            sha256=value if algo == "sha256" else None, timeout=timeout)
        if not value:
            res["note"] = "the record publishes no checksum for this file"
        marker = dest / f".{key}.extracted"
        if _is_archive(key) and not marker.exists():
            res["extracted"] = safe_extract(dest / key, dest)
            marker.write_text("ok\n")
        out.append(res)
    if not out:
        raise DownloadError(f"Zenodo record {record}: no file matches {patterns}")
    return out


def fetch_hf(repo: str, revision: str | None, dest: Path) -> dict[str, Any]:
    """A Hugging Face dataset snapshot (``huggingface_hub`` verifies what it downloads)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise MissingDependencyError("huggingface_hub", "hf",
                                     f"downloading {repo} from Hugging Face") from None
    try:
        path = snapshot_download(repo_id=repo, repo_type="dataset", revision=revision,
                                 local_dir=str(dest))
    except Exception as exc:  # noqa: BLE001 - network/auth errors become one clear line
        raise DownloadError(f"Hugging Face {repo}@{revision}: {type(exc).__name__}: {exc}") \
            from None
    return {"file": str(path), "status": "snapshot", "revision": revision}


def download_benchmark(name: str, *, data_root: str | os.PathLike | None = None,
                       timeout: float = 60.0) -> dict[str, Any]:
    """Fetch every automatic source of a benchmark; say what must be done by hand."""
    from .catalog import get_benchmark
    from .root import resolve_data_root

    bench = get_benchmark(name)
    root = Path(data_root).absolute() if data_root else resolve_data_root()[0]
    folder = bench.folder_path(root)
    results = []
    for src in bench.sources:
        if src.kind == "url":
            res = download_file(src.url, folder / (src.target or Path(urlsplit(src.url).path).name),
                                sha256=src.sha256, timeout=timeout)
            if not src.sha256:
                res["note"] = "no published checksum: checked by count and structure (verify)"
            results.append(res)
        elif src.kind == "zenodo":
            results.extend(fetch_zenodo(src.record, folder, patterns=src.files, timeout=timeout))
        elif src.kind == "hf":
            if not src.automatic:  # published there, but not what the task needs (FTAR)
                continue
            results.append(fetch_hf(src.repo, src.revision, folder))
        else:  # pragma: no cover - catalog entries are fixed
            raise InputError(f"unknown source kind {src.kind!r}")
    return {"benchmark": name, "folder": str(folder), "results": results,
            "manual": bench.manual or None}
