"""The runner: models x tasks -> cached outputs -> scores -> ``results.json``.

For each model and each task:

1. load the task's references (``data:`` in the card) and render each sample's prompt;
2. skip samples already in the cache (:mod:`timebench.cache`, keyed by the model fingerprint,
   the task version and a hash of the sample and its prompt);
3. batch the rest by audio length, load the audio of the next batches in a background thread
   while the model works on the current one, call ``adapter.generate`` and append every batch to
   the cache (fsync'd) -- an adapter that raises is retried sample by sample and a sample that
   still fails is recorded as a failure, the run goes on;
4. when every sample is in the cache, score all of them with :func:`timebench.scoring.score`
   (the same code as ``timebench score``), add bootstrap intervals, and write
   ``<out>/<model>/<task>/predictions.jsonl`` and ``scores.jsonl``;
5. write ``<out>/results.json`` atomically.

Sharding: under ``torchrun`` / ``accelerate launch`` (environment ``RANK`` and ``WORLD_SIZE``),
rank ``r`` generates samples ``r, r + W, r + 2W, ...`` into its own cache part.  Rank 0 waits
until the cache holds every sample (a content check, so stale markers cannot fool it), computes
itself whatever a crashed rank left undone (after ``shard_timeout`` seconds), and is the only rank
that scores and writes results -- every sample is scored exactly once, and the numbers do not
depend on the number of ranks or on the batch size.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import __version__
from .cache import ResultCache, sample_key
from .errors import InputError, TimebenchError
from .io import atomic_write_json, write_jsonl
from .options import batch_size_setting, check_run_options
from .redact import Redactor, redact_command
from .runlock import RunLock
from .safepath import safe_component, write_path
from .results import (SCHEMA_VERSION, bootstrap_intervals, environment, git_hash)
from .repeats import repeat_seeds, summarise_repeats
from .scoring import score
from .tasks import Task, hash_references, load_task_data
from .types import ParsedAnswer, Reference
from .run_records import (_frame_scores, generation_to_record, record_to_prediction,
                          redact_record, sample_seed)
from .run_spec import ModelSpec, RunOptions, parse_model_list, pin_local_device, shard_info

__all__ = ["ModelSpec", "RunOptions", "parse_model_list", "run", "shard_info", "sample_seed",
           "generation_to_record", "record_to_prediction"]


def redact(command: str) -> str:
    """Hide ``api_key=...`` values and secrets before a command line is written to results."""
    return redact_command(command)


# -- the run --------------------------------------------------------------------------------------

@dataclass
class _Item:
    ref: Reference
    key: str
    prompt: str
    audio_path: Path | None
    seed: int


def _progress(enabled: bool):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), disable=not enabled,
                    transient=False)


class _AudioLoader:
    """Loads the audio of upcoming batches in a background thread."""

    def __init__(self, sample_rate: int | None, prefetch: int):
        self.sample_rate = sample_rate
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timebench-audio") \
            if sample_rate and prefetch > 0 else None
        self.wait_s = 0.0

    def _load(self, items: Sequence[_Item]):
        from .datasets.audio import read_audio

        out = []
        for it in items:
            if it.audio_path is None or not self.sample_rate:
                out.append((None, None))
                continue
            try:
                wav, _ = read_audio(it.audio_path, target_sr=self.sample_rate)
                out.append((wav, None))
            except (TimebenchError, OSError, ValueError) as exc:
                out.append((None, f"audio could not be loaded: {exc}"))
        return out

    def submit(self, items: Sequence[_Item]) -> Future | list:
        if self.pool is None:
            return self._load(items) if self.sample_rate else [(None, None)] * len(items)
        return self.pool.submit(self._load, list(items))

    def result(self, handle):
        if isinstance(handle, list):
            return handle
        t0 = time.perf_counter()
        out = handle.result()
        self.wait_s += time.perf_counter() - t0
        return out

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _requests(task: Task, items: Sequence[_Item], audio, adapter, labels):
    from model_adapters.base import Request

    reqs, errors = [], []
    for it, (wav, err) in zip(items, audio):
        ref = it.ref
        options = tuple(str(o) for o in (ref.extra.get("options") or ())) \
            if isinstance(ref.extra, Mapping) else ()
        reqs.append(Request(
            id=ref.id, prompt=it.prompt, task=task.name, kind=task.kind,
            audio=str(it.audio_path) if it.audio_path else None, duration=ref.duration,
            waveform=wav, sample_rate=adapter.sample_rate if wav is not None else None,
            labels=tuple(labels or ()), query=ref.query, question=ref.question, options=options,
            seed=it.seed, reference=ref if adapter.needs_reference else None,
            meta={"qtype": ref.extra.get("qtype")} if isinstance(ref.extra, Mapping) else {}))
        errors.append(err)
    return reqs, errors


def _generate(adapter, reqs, errors):
    """Call the adapter; fall back to one sample at a time when a batch raises."""
    from model_adapters.base import Generation

    todo = [i for i, e in enumerate(errors) if e is None]
    out: list[Any] = [None] * len(reqs)
    for i, e in enumerate(errors):
        if e is not None:
            out[i] = Generation(error=e)
    limit = adapter.max_audio_seconds
    if limit is not None and getattr(adapter, "over_limit", "fail") != "truncate":
        for i in list(todo):
            d = reqs[i].duration
            if d is not None and d > limit + 1e-6:
                out[i] = Generation(error=f"audio of {d:.1f} s is longer than the adapter's "
                                          f"limit of {limit:g} s")
                todo.remove(i)
    if not todo:
        return out
    batch = [reqs[i] for i in todo]
    try:
        gens = adapter.generate(batch)
        if len(gens) != len(batch):
            raise TimebenchError(f"adapter returned {len(gens)} outputs for {len(batch)} requests")
        for i, g in zip(todo, gens):
            out[i] = g
    except Exception as batch_exc:  # noqa: BLE001 - any model failure is recorded, never fatal
        for i in todo:
            try:
                gens = adapter.generate([reqs[i]])
                if len(gens) != 1:
                    raise TimebenchError(f"adapter returned {len(gens)} outputs for 1 request")
                out[i] = gens[0]
            except Exception as exc:  # noqa: BLE001
                out[i] = Generation(error=f"{type(exc).__name__}: {exc}")
        if len(todo) == 1:
            out[todo[0]] = Generation(error=f"{type(batch_exc).__name__}: {batch_exc}")
    return out


def _batches(items: list[_Item], batch_size: int) -> list[list[_Item]]:
    """Bucket by audio length (longest first) so padding stays small; deterministic order."""
    order = sorted(items, key=lambda it: (-(it.ref.duration or 0.0), it.ref.id))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _prepare_items(task: Task, loaded, refs: Sequence[Reference], labels, seed: int,
                   model: Mapping[str, Any] | None = None) -> list[_Item]:
    items = []
    for ref in refs:
        prompt = task.render_prompt(ref, labels=labels)
        audio_path = loaded.audio_path(ref) if ref.audio else None
        ref_hash = hash_references([ref])
        s_seed = sample_seed(seed, task.name, ref.id)
        key = sample_key(sample_id=ref.id, prompt=prompt, audio=ref.audio,
                         duration=ref.duration, reference_hash=ref_hash, run_seed=seed,
                         sample_seed=s_seed, task=task.name, task_version=task.task_version,
                         labels=labels, model=model)
        items.append(_Item(ref, key, prompt, audio_path, s_seed))
    return items


def _is_done(rec: Mapping[str, Any] | None) -> bool:
    return rec is not None and not rec["generation"].get("error")


def _generate_items(adapter, task, items, cache, options, labels, progress, desc, timings):
    batch_size = options.batch_size or batch_size_setting(
        adapter.settings, int(getattr(adapter, "default_batch_size", 8) or 8))
    batches = _batches(items, max(1, batch_size))
    loader = _AudioLoader(adapter.sample_rate, options.prefetch)
    # appends (with their fsync) run on one writer thread, in order, overlapping the model
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timebench-cache")
    writes: list[Future] = []
    bar = progress.add_task(desc, total=len(items))
    redactor = Redactor(adapter.secrets())  # one pass over every text before it is stored
    try:
        pending = [loader.submit(b) for b in batches[:max(1, options.prefetch)]]
        for bi, batch in enumerate(batches):
            nxt = bi + len(pending)
            if nxt < len(batches) and options.prefetch > 0:
                pending.append(loader.submit(batches[nxt]))
            audio = loader.result(pending.pop(0))
            reqs, errors = _requests(task, batch, audio, adapter, labels)
            t0 = time.perf_counter()
            gens = _generate(adapter, reqs, errors)
            dt = time.perf_counter() - t0
            timings["model_s"] += dt
            records = [{"key": it.key, "id": it.ref.id,
                        "generation": redact_record(generation_to_record(g), redactor),
                        "elapsed": dt / len(batch)} for it, g in zip(batch, gens)]
            writes.append(writer.submit(cache.append, records))
            if writes[0].done():
                writes.pop(0).result()  # surface a write error (disk full...) early
            progress.advance(bar, len(batch))
    finally:
        loader.close()
        writer.shutdown(wait=True)
        timings["audio_wait_s"] += loader.wait_s
    for w in writes:
        w.result()


def run(tasks: Sequence[Task], models: Sequence[ModelSpec], options: RunOptions) -> dict[str, Any]:
    """Run every model on every task; return (and write, on rank 0) the results dict.

    The run folder is locked for the run (:mod:`timebench.runlock`); settings are range-checked
    first (:mod:`timebench.options`)."""
    rank, world = shard_info()
    check_run_options(options)
    with RunLock(options.out_dir, rank):
        return _run(tasks, models, options, rank, world)


def _run(tasks, models, options, rank, world) -> dict[str, Any]:
    from model_adapters import create_adapter

    pin_local_device()
    random.seed(options.seed)
    np.random.seed(options.seed % (2 ** 32))
    out_dir = Path(options.out_dir)
    t_start = time.perf_counter()
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise InputError(f"model names must be unique, got {names}", field="models")

    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "timebench_version": __version__,
        "git_hash": git_hash(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": redact(options.command),
        "run_dir": str(out_dir),
        "suite": options.suite,
        "seed": options.seed,
        "bootstrap": {"iterations": options.bootstrap, "confidence": options.confidence,
                      "seed": options.seed},
        **({"repeats": {"k": options.repeats,
                        "seeds": repeat_seeds(options.seed, options.repeats)}}
           if options.repeats > 1 else {}),
        "tasks": {},
        "models": {},
        "results": {},
        "timings": {"per_run": {}},
    }
    datasets = {}
    with _progress(options.progress) as progress:
        for task in tasks:
            loaded = load_task_data(task)
            refs = list(loaded.references)
            if options.limit:
                refs = refs[:options.limit]
            task.check_references(refs, path=loaded.source)
            labels = tuple(loaded.labels) if loaded.labels else None
            from .scoring import task_labels

            labels = labels or task_labels(task, refs)
            datasets[task.name] = (loaded, refs, labels)
            if rank == 0:  # the run directory is self-contained: references next to outputs
                write_jsonl(write_path(out_dir, "references", f"{task.name}.jsonl"),
                            [r.to_dict() for r in refs])
            results["tasks"][task.name] = {
                "version": task.task_version, "kind": task.kind, "card_hash": task.card_hash,
                "samples_hash": hash_references(refs), "n": len(refs),
                "source": loaded.source.replace(str(Path.home()), "~"),
                "parser": task.parser, "prompt": task.prompt,
                "metric_suites": [dict(m) for m in task.metrics],
                "protocol": options.protocol_for(task),
                "primary_metric": task.primary_metric,
                "leaderboard_metrics": list(task.leaderboard_metrics),
                "references": f"references/{task.name}.jsonl",
                "labels": list(labels) if labels else None,
            }
            if getattr(loaded, "rule", None) is not None:  # an official file, repaired by rule
                results["tasks"][task.name]["data_issues"] = {
                    "counts": loaded.issue_counts(), "rule": loaded.rule,
                    "examples": [i.to_dict() for i in loaded.issues[:20]]}

        for spec in models:
            adapter = create_adapter(spec.adapter, **dict(spec.settings))
            fp = adapter.fingerprint()
            results["models"][spec.name] = {"adapter": spec.adapter, "fingerprint": fp,
                                            "config": adapter.config()}
            model_results = results["results"].setdefault(spec.name, {})
            try:
                for task in tasks:
                    if spec.tasks is not None and task.name not in spec.tasks:
                        continue
                    if not adapter.supports_task(task.kind):
                        model_results[task.name] = {"skipped": f"adapter '{spec.adapter}' does "
                                                               f"not support {task.kind} tasks"}
                        continue
                    loaded, refs, labels = datasets[task.name]
                    timings = {"model_s": 0.0, "audio_wait_s": 0.0, "scoring_s": 0.0}
                    t_task = time.perf_counter()
                    items = _prepare_items(task, loaded, refs, labels, options.seed,
                                           model={"adapter": spec.adapter, "fingerprint": fp,
                                                  "settings": dict(spec.settings)})
                    cache = ResultCache(options.cache_root, model_fingerprint=fp, task=task.name,
                                        task_version=task.task_version, rank=rank)
                    expected = {it.key: it.ref.id for it in items}
                    done = cache.load(expected)
                    mine = items[rank::world]
                    todo = [it for it in mine if not _is_done(done.get(it.key))]
                    desc = f"{spec.name} · {task.name}"
                    if todo:
                        _generate_items(adapter, task, todo, cache, options, labels, progress,
                                        desc, timings)
                    # --repeats K: repeats 1..K-1 (seed + r, own cache); see repeats.py
                    from .repeats import run_repeats

                    repeated = run_repeats(_Pass(adapter, task, loaded, refs, labels, fp, options,
                                                 rank, world, progress, timings, out_dir,
                                                 safe_component(spec.name),
                                                 {"adapter": spec.adapter, "fingerprint": fp,
                                                  "settings": dict(spec.settings)}))
                    if rank != 0:
                        continue
                    records = _wait_for_all(cache, items, world, options, adapter, task, labels,
                                            progress, timings, expected)
                    t0 = time.perf_counter()
                    model_results[task.name] = _score_task(task, refs, items, records, labels,
                                                           options, write_path(
                                                               out_dir, safe_component(spec.name),
                                                               task.name), out_dir)
                    timings["scoring_s"] = time.perf_counter() - t0
                    if options.repeats > 1:
                        model_results[task.name]["repeats"] = summarise_repeats(
                            repeat_seeds(options.seed, options.repeats),
                            [model_results[task.name]["metrics"], *repeated])
                    timings["wall_s"] = time.perf_counter() - t_task
                    results["timings"]["per_run"].setdefault(spec.name, {})[task.name] = timings
            finally:
                adapter.close()
    results["timings"]["wall_s"] = time.perf_counter() - t_start
    results["environment"] = environment()
    if rank == 0:
        atomic_write_json(write_path(out_dir, "results.json"), results)
    return results


def _wait_for_all(cache, items, world, options, adapter, task, labels, progress, timings,
                  expected=None):
    """Rank 0: wait until every sample is cached; compute leftovers after the timeout."""
    deadline = time.monotonic() + (options.shard_timeout if world > 1 else 0)
    while True:
        records = cache.load(expected)
        missing = [i for i, it in enumerate(items) if not _is_done(records.get(it.key))]
        if not missing:
            return records
        waiting_for_others = world > 1 and time.monotonic() < deadline and \
            any(i % world != 0 for i in missing)
        if waiting_for_others:
            time.sleep(0.5)
            continue
        # errors from this run are final for this run; anything never attempted is computed now
        never = [items[i] for i in missing if items[i].key not in records]
        if not never:
            return records
        _generate_items(adapter, task, never, cache, options, labels, progress,
                        f"{task.name} (leftovers)", timings)


def _score_task(task, refs, items, records, labels, options, task_dir: Path, out_dir: Path):
    by_id = {it.ref.id: records.get(it.key) for it in items}
    preds, parsed, frames = {}, {}, {}
    n_errors = 0
    pred_rows = []
    for ref in refs:
        rec = by_id.get(ref.id)
        gen = rec["generation"] if rec else {}
        pred_rows.append({"id": ref.id, **gen})
        if rec is None:
            continue
        if gen.get("error"):
            n_errors += 1
            parsed[ref.id] = ParsedAnswer(failed=True, parser="error",
                                          notes=(f"generation error: {gen['error']}",),
                                          reason="generation_error")
            continue
        preds[ref.id] = record_to_prediction(ref.id, gen)
        fs = _frame_scores(gen)
        if fs is not None:
            frames[ref.id] = fs
    report = score(task, refs, preds, parsed=parsed, frame_scores=frames, labels=labels,
                   protocol=options.protocol_for(task))
    ci = bootstrap_intervals(report.resample, report.n, iterations=options.bootstrap,
                             confidence=options.confidence, seed=options.seed)
    from .intervals import merge_intervals

    ci, ci_method = merge_intervals(report, ci, iterations=options.bootstrap, seed=options.seed)
    write_jsonl(write_path(task_dir, "predictions.jsonl"), pred_rows)
    write_jsonl(write_path(task_dir, "scores.jsonl"), report.per_sample_rows())
    rel = task_dir.relative_to(out_dir)
    j = report.to_json()
    notes = [n for _, r in report.suites for n in r.notes]
    n_truncated = sum(1 for ref in refs if (by_id.get(ref.id) or {}).get("generation", {})
                      .get("meta", {}).get("truncated_from_s") is not None)
    result = {
        "metrics": j["metrics"],
        "ci": {k: v for k, v in ci.items() if k in j["metrics"]},
        "ci_method": {k: v for k, v in ci_method.items() if k in j["metrics"]},
        "n": report.n,
        "n_missing": report.n_missing,
        "n_parse_failed": j["n_parse_failed"] - n_errors,
        "n_generation_errors": n_errors,
        "n_truncated": n_truncated,
        "protocol": report.protocol,
        "parse_failure_rate": report.parse_failure_rate,
        "parse_failures": j["parse_failures"],
        "parsers": j["parsers"],
        "predictions": str(rel / "predictions.jsonl"),
        "scores": str(rel / "scores.jsonl"),
    }
    if notes:
        result["notes"] = notes
    if "label_mapping" in j:
        result["label_mapping"] = j["label_mapping"]
    return result


@dataclass
class _Pass:
    """What one more decode of a task needs (for ``--repeats``, :mod:`timebench.repeats`)."""

    adapter: Any
    task: Task
    loaded: Any
    refs: list
    labels: Any
    fingerprint: str
    options: RunOptions
    rank: int
    world: int
    progress: Any
    timings: dict
    out_dir: Path
    model_dir: str
    model: dict

    def run(self, seed: int, cache_task: str, sub_dir: str, options: RunOptions
            ) -> dict[str, Any] | None:
        """Generate (this rank's share) and, on rank 0, score; returns the result on rank 0."""
        items = _prepare_items(self.task, self.loaded, self.refs, self.labels, seed,
                               model=self.model)
        cache = ResultCache(options.cache_root, model_fingerprint=self.fingerprint,
                            task=cache_task, task_version=self.task.task_version, rank=self.rank)
        expected = {it.key: it.ref.id for it in items}
        done = cache.load(expected)
        todo = [it for it in items[self.rank::self.world] if not _is_done(done.get(it.key))]
        if todo:
            _generate_items(self.adapter, self.task, todo, cache, options, self.labels,
                            self.progress, f"{self.task.name} · seed {seed}", self.timings)
        if self.rank != 0:
            return None
        records = _wait_for_all(cache, items, self.world, options, self.adapter, self.task,
                                self.labels, self.progress, self.timings, expected)
        task_dir = write_path(self.out_dir, self.model_dir, self.task.name, sub_dir)
        return _score_task(self.task, self.refs, items, records, self.labels, options, task_dir,
                           self.out_dir)
