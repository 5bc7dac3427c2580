"""Hostile manifests through every dataset loader (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 20


def loader_attacks(A: Attacks) -> None:
    from timebench.datasets import load_dataset
    from timebench.errors import InputError

    def copy_fixture(sub: str) -> Path:
        dst = A.work / "loaders" / f"{sub}-{len(A.rows)}"
        shutil.copytree(FIXTURES / sub, dst)
        return dst

    def expect_error(fmt, path, must, **opts):
        try:
            load_dataset(fmt, path, **opts)
        except InputError as e:
            ok = e.path == str(path) and all(m in str(e) for m in must)
            return f"InputError: {e}", ok
        return "loaded", False

    def spotsound_path(value, must):
        def fn():
            d = copy_fixture("spotsound")
            rows = json.loads((d / "spotsound_bench.json").read_text())
            rows[0]["audio_path"] = value
            write(d / "spotsound_bench.json", "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]")
            return expect_error("spotsound", d / "spotsound_bench.json", must)
        return fn
    for value, what in [("../../etc/passwd", "`../../etc/passwd`"), ("/etc/passwd", "absolute `/etc/passwd`"),
                        ("..\\..\\etc\\passwd", "Windows `..\\..\\etc\\passwd`"),
                        ("a" * 300 + ".wav", "a 300-byte file name")]:
        A.run("loaders: paths", f"SpotSound audio_path {what}",
              "InputError naming file:line and field", spotsound_path(value, (":2: field 'audio_path'",)))

    def ftar_escape():
        d = copy_fixture("ftar")
        items = json.loads((d / "ftar_sample.json").read_text())
        items[1]["audio"] = "/data/WavCaps/../../etc/shadow"
        write(d / "ftar_sample.json", json.dumps(items, indent=2))
        return expect_error("ftar", d / "ftar_sample.json", (":12: field 'audio'",),
                            strip_prefix="/data/WavCaps/")
    A.run("loaders: paths", "FTAR audio `/data/WavCaps/../../etc/shadow`",
          "InputError naming file:line and field", ftar_escape)

    def table_escape(sub, name, row, fmt, **opts):
        def fn():
            d = copy_fixture(sub)
            with open(d / name, "a", encoding="utf-8") as fh:
                fh.write(row + "\n")
            opts2 = {k: str(d / v) for k, v in opts.items()}
            return expect_error(fmt, d / name, ("escapes the dataset root",), **opts2)
        return fn
    A.run("loaders: paths", "DESED TSV filename `../../etc/passwd`", "InputError naming the file",
          table_escape("dcase_tsv", "desed_validation.tsv", "../../etc/passwd\t0\t1\tDog",
                       "dcase_tsv", durations="desed_durations.tsv"))
    A.run("loaders: paths", "TACOS filename `../../../etc/passwd.mp3`", "InputError naming the file",
          table_escape("tacos", "annotations_strong.csv", "../../../etc/passwd.mp3,0,1,x", "tacos"))

    def symlink():
        root = A.work / "loaders" / "symlink"
        outside = A.work / "loaders" / "outside"
        outside.mkdir(parents=True)
        root.mkdir(parents=True)
        (root / "audio").symlink_to(outside, target_is_directory=True)
        write(root / "refs.jsonl", json.dumps({"id": "a", "audio": "audio/x.wav"}) + "\n")
        ds = load_dataset("jsonl", root / "refs.jsonl")
        followed = ds.audio_path(ds.references[0]).resolve().parent == outside.resolve()
        return (f"loaded; audio 'audio/x.wav' resolves outside the root through the link "
                f"(followed={followed})"), followed
    A.run("loaders: paths", "a symbolic link inside the root pointing outside",
          "followed (documented in datasets/base.py); the manifest alone cannot escape", symlink)

    def lighthouse_nan():
        d = copy_fixture("lighthouse")
        write(d / "x.jsonl", '{"qid": 1, "query": "q", "duration": NaN, "vid": "v", '
                             '"relevant_windows": [[1, 2]]}\n')
        return expect_error("lighthouse", d / "x.jsonl", (":1:",))
    A.run("loaders: values", "Lighthouse `duration: NaN`", "InputError naming file:line", lighthouse_nan)

    def ftar_dupes():
        d = copy_fixture("ftar")
        items = json.loads((d / "ftar_sample.json").read_text())
        items[2]["id"] = items[1]["id"]
        write(d / "ftar_sample.json", json.dumps(items))
        ds = load_dataset("ftar", d / "ftar_sample.json", strip_prefix="/data/WavCaps/")
        ids = ds.ids()
        ok = len(ids) == len(set(ids)) and any("renamed" in n for n in ds.notes)
        return f"loaded; ids {ids[1:3]}; note: {ds.notes[0]}", ok
    A.run("loaders: values", "FTAR with a repeated id", "loaded, later copy renamed `#2`, noted", ftar_dupes)



def attacks(A: Attacks) -> None:
    loader_attacks(A)
