"""``timebench data download``: resumable downloads with checksums, Zenodo records and Hugging
Face snapshots, tested offline against a local server on 127.0.0.1 that serves the published
layout (``$TIMEBENCH_DOWNLOAD_MIRROR`` maps ``https://host/path`` to ``<server>/host/path``).
The server stops when each test ends and by itself after 60 s in any case."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import types
from pathlib import Path

import pytest
from range_server import serve

from timebench.cli import main as cli
from timebench.data import fetch
from timebench.data.catalog import BENCHMARKS
from timebench.data.fetch import DownloadError, download_benchmark, download_file
from timebench.errors import MissingDependencyError

FIX = Path(__file__).parent / "fixtures" / "data_root"


def _blob(n: int = 300_000) -> bytes:
    return bytes((i * 7919 + i // 13) % 256 for i in range(n))


def test_resume_with_range(tmp_path):
    site = tmp_path / "site"
    (site / "files").mkdir(parents=True)
    data = _blob()
    (site / "files" / "blob.bin").write_bytes(data)
    dest = tmp_path / "out" / "blob.bin"
    dest.parent.mkdir()
    (dest.parent / "blob.bin.part").write_bytes(data[:100_000])   # an interrupted earlier run
    with serve(site) as (base, server):
        res = download_file(f"{base}/files/blob.bin", dest,
                            sha256=hashlib.sha256(data).hexdigest())
    assert res["status"] == "resumed" and res["checked"] == ["sha256"]
    assert server.requests == [("/files/blob.bin", "bytes=100000-")]
    assert dest.read_bytes() == data and not (dest.parent / "blob.bin.part").exists()


def test_server_without_range_restarts_and_bad_checksum_is_refused(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    data = _blob(50_000)
    (site / "f.bin").write_bytes(data)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 10)
    with serve(site, ignore_range=True) as (base, _):
        res = download_file(f"{base}/f.bin", dest, md5=hashlib.md5(data).hexdigest())
        assert res["status"] == "downloaded" and dest.read_bytes() == data
        with pytest.raises(DownloadError, match="does not match the published"):
            download_file(f"{base}/f.bin", tmp_path / "g.bin", sha256="0" * 64)
    assert not (tmp_path / "g.bin").exists() and not (tmp_path / "g.bin.part").exists()


def test_unreachable_server_keeps_the_part(tmp_path):
    with serve(tmp_path) as (base, _):
        pass  # stopped: the port refuses connections now
    with pytest.raises(DownloadError, match="rerun to resume"):
        download_file(f"{base}/x.bin", tmp_path / "x.bin", timeout=2)


def _mirror(monkeypatch, base):
    monkeypatch.setenv("TIMEBENCH_DOWNLOAD_MIRROR", base)


def _desed_archive(site: Path, *, evil: bool = False) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(FIX / "desed-public-eval" / "dataset", arcname="dataset")
        if evil:
            info = tarfile.TarInfo("../escape.txt")
            info.size = 2
            tf.addfile(info, io.BytesIO(b"hi"))
    blob = buf.getvalue()
    files = site / "zenodo.org" / "records" / "3588172" / "files"
    files.mkdir(parents=True)
    (files / "DESEDpublic_eval.tar.gz").write_bytes(blob)
    api = site / "zenodo.org" / "api" / "records"
    api.mkdir(parents=True)
    (api / "3588172").write_text(json.dumps({"id": 3588172, "files": [
        {"key": "DESEDpublic_eval.tar.gz", "size": len(blob),
         "checksum": "md5:" + hashlib.md5(blob).hexdigest(),
         "links": {"self": "https://zenodo.org/records/3588172/files/"
                           "DESEDpublic_eval.tar.gz?download=1"}},
        {"key": "README.md", "size": 3, "checksum": "md5:0",
         "links": {"self": "https://zenodo.org/records/3588172/files/README.md"}}]}))
    return hashlib.md5(blob).hexdigest()


def test_zenodo_record_download_extract_and_verify(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    _desed_archive(site)
    root = tmp_path / "root"
    with serve(site) as (base, server):
        _mirror(monkeypatch, base)
        assert cli(["data", "download", "desed-public-eval", "--data-root", str(root)]) == 0
        out = capsys.readouterr().out
        assert "downloaded" in out and "DESEDpublic_eval.tar.gz" in out
        # only the pattern's file was fetched (README.md is not), after the record's metadata
        assert [p for p, _ in server.requests] == [
            "/zenodo.org/api/records/3588172",
            "/zenodo.org/records/3588172/files/DESEDpublic_eval.tar.gz?download=1"]
        assert cli(["data", "download", "desed-public-eval", "--data-root", str(root)]) == 0
        assert "present, checksum ok" in capsys.readouterr().out
    assert cli(["data", "verify", "desed-public-eval", "--data-root", str(root), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["references"] == 4 and report["audio"]["present"] == 2
    assert report["issues"] == {"inverted:dropped": 1, "past_end:kept": 1}


def test_archive_member_leaving_the_folder_is_refused(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _desed_archive(site, evil=True)
    with serve(site) as (base, _):
        _mirror(monkeypatch, base)
        with pytest.raises(DownloadError, match="would leave"):
            download_benchmark("desed-public-eval", data_root=tmp_path / "root")
    assert not (tmp_path / "root" / "escape.txt").exists()


def test_published_sha256_catches_a_different_file(tmp_path, monkeypatch):
    """The Lighthouse release is pinned by the sha256 of the published file: serving our
    fixture (a different file) under its URL is refused."""
    bench = BENCHMARKS["unav100-subset"]
    src = bench.sources[0]
    rel = src.url.split("://", 1)[1]
    site = tmp_path / "site"
    (site / rel).parent.mkdir(parents=True)
    fixture = FIX / "unav100-subset" / "unav100-subset_test_release.jsonl"
    (site / rel).write_bytes(fixture.read_bytes())
    with serve(site) as (base, _):
        _mirror(monkeypatch, base)
        with pytest.raises(DownloadError, match=src.sha256):
            download_benchmark("unav100-subset", data_root=tmp_path / "root")
        # with the fixture's own digest the same route succeeds (same code path)
        good = hashlib.sha256(fixture.read_bytes()).hexdigest()
        res = download_file(src.url, tmp_path / "u.jsonl", sha256=good)
        assert res["status"] == "downloaded"


def test_url_without_published_checksum_says_so(tmp_path, monkeypatch):
    site = tmp_path / "site"
    for src in BENCHMARKS["audioset-strong-eval"].sources:
        rel = src.url.split("://", 1)[1]
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes((FIX / "audioset-strong-eval" / src.target).read_bytes())
    with serve(site) as (base, _):
        _mirror(monkeypatch, base)
        out = download_benchmark("audioset-strong-eval", data_root=tmp_path / "root")
    assert all("no published checksum" in r["note"] and len(r["sha256_observed"]) == 64
               for r in out["results"])
    assert "cannot be downloaded automatically" in out["manual"]


def test_hf_snapshot_is_pinned(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = lambda **kw: calls.append(kw) or kw["local_dir"]
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    out = download_benchmark("spotsound-bench", data_root=tmp_path)
    assert calls == [{"repo_id": "Loie/SpotSound-Bench", "repo_type": "dataset",
                      "revision": "2e64ad197b90d6bd3b43efc73738cb9f86810735",
                      "local_dir": str(tmp_path / "spotsound-bench")}]
    assert out["results"][0]["status"] == "snapshot"
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingDependencyError, match=r"timebench\[hf\]"):
        download_benchmark("spotsound-bench", data_root=tmp_path)


def test_manual_only_benchmark_says_what_to_do(tmp_path, capsys):
    assert cli(["data", "download", "ftar", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not automatic: The FTAR test split is not on the Hub" in out


def test_mirror_url():
    old = os.environ.pop(fetch.MIRROR_ENV, None)
    try:
        assert fetch.mirror_url("https://a.b/c?d=1") == "https://a.b/c?d=1"
        os.environ[fetch.MIRROR_ENV] = "http://127.0.0.1:9/m/"
        assert fetch.mirror_url("https://a.b/c?d=1") == "http://127.0.0.1:9/m/a.b/c?d=1"
    finally:
        os.environ.pop(fetch.MIRROR_ENV, None)
        if old is not None:
            os.environ[fetch.MIRROR_ENV] = old
