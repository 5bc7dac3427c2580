"""Reproducibility: the same run twice, batch sizes, shards (issue 7)."""

from __future__ import annotations

from attack_tools import *  # noqa: F401,F403 - the shared attack helpers
from attack_tools import Attacks

ORDER = 50


SUITE = """name: repro
tasks: [tag, spotsound, sed, tqa]
models:
  - {name: random, adapter: random, settings: {seed: 7}}
  - {name: energy, adapter: energy, tasks: [tag, spotsound]}
seed: 3
bootstrap: 50
"""


def reproducibility_attacks(A: Attacks) -> None:
    d = A.work / "repro"
    suite = write(d / "repro.yaml", SUITE)
    base = d / "base"

    def run(out, *extra):  # fresh processes: results.json records the packages a run imported
        subprocess.run([sys.executable, "-m", "timebench", "run", "--suite", str(suite), "--out",
                        str(out), "--limit", "6", "-q", "--no-progress", *extra], env=env(),
                       cwd=d, check=True, capture_output=True, timeout=300)

    def same_as_base(out):
        files_a, files_b = outputs(base), outputs(out)
        same_files = files_a == files_b
        same = stable_results(base) == stable_results(out)
        return same and same_files, f"results.json (volatile keys removed) identical: {same}; " \
            f"{len(files_a)} scores/predictions/references files byte-identical: {same_files}"

    def twice():
        run(base)
        out = d / "again"
        run(out)
        ok, text = same_as_base(out)
        return text, ok
    A.run("reproducibility", "the same run twice into two folders (random on 4 tasks, energy on 2)",
          "byte-identical apart from created/timings/command/run_dir", twice)

    def batches():
        texts, ok = [], True
        for b in ("1", "3", "16"):
            out = d / f"batch{b}"
            run(out, "--batch-size", b)
            same, _ = same_as_base(out)
            ok &= same
            texts.append(f"batch {b}: {'identical' if same else 'DIFFERENT'}")
        return "; ".join(texts), ok
    A.run("reproducibility", "batch sizes 1, 3, 16", "identical bytes", batches)

    def shards():
        texts, ok = [], True
        for world in (1, 2, 3):
            out = d / f"shards{world}"
            cmd = [sys.executable, "-m", "timebench", "run", "--suite", str(suite), "--out",
                   str(out), "--limit", "6", "-q", "--no-progress", "--shard-timeout", "120"]
            procs = []
            for rank in reversed(range(world)):
                e = env()
                e.update(RANK=str(rank), WORLD_SIZE=str(world), TIMEBENCH_NO_DEVICE_PINNING="1")
                procs.append(subprocess.Popen(cmd, env=e, cwd=d, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
            rcs = [p.wait(timeout=300) for p in procs]
            same, _ = same_as_base(out)
            ok &= same and rcs == [0] * world
            texts.append(f"{world} shard(s): {'identical' if same else 'DIFFERENT'}")
        return "; ".join(texts), ok
    A.run("reproducibility", "1, 2, 3 shards (RANK/WORLD_SIZE subprocesses)", "identical bytes",
          shards)



def attacks(A: Attacks) -> None:
    reproducibility_attacks(A)
