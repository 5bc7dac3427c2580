"""Tasks: declarative task cards (YAML) and their registry.

A task card says everything that makes a number mean something: where the references come from
and in which format, the prompt template(s), the parser pipeline, the metric suites with their
parameters, and a version.  Example (``tasks/tag.yaml``)::

    name: tag
    version: 1
    kind: grounding
    description: Temporal audio grounding ...
    data: {format: mini, task: tag}
    prompts:
      default: "What are the start and end times of audio matching '{query}'?"
    parser: lenient
    metrics:
      - {suite: grounding, mode: set, thresholds: [0.3, 0.5, 0.7, 0.9]}
    requires: [query, events]

``task_version`` is ``"<version>-<hash>"`` where the hash covers the whole card (prompts,
parser, metrics, data source), so editing any of them changes the version even if the declared
number is not bumped.  Cards are read with ``yaml.safe_load`` only.

Cards live in the top-level ``tasks/`` folder of the source tree (installed as the package
``timebench.task_cards``); ``TIMEBENCH_TASKS_PATH`` (``os.pathsep``-separated folders) and
``--include-tasks`` add more.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from .errors import InputError, UnknownNameError
from .types import Event, Reference

__all__ = ["Task", "load_card", "task_dirs", "available_tasks", "get_task", "hash_references",
           "load_task_data"]

KINDS = ("grounding", "presence", "detection", "captioning", "summary", "qa")
_CARD_KEYS = {"name", "version", "kind", "description", "data", "prompts", "prompt", "parser",
              "parser_options", "metrics", "requires", "labels", "primary_metric", "citation",
              "notes", "leaderboard_metrics", "protocol", "label_map"}
_REF_FIELDS = {"query", "question", "events", "duration", "audio", "answer", "present"}


@dataclass(frozen=True)
class Task:
    """A loaded task card."""

    name: str
    version: str
    kind: str
    description: str
    data: Mapping[str, Any]
    prompts: Mapping[str, str]
    prompt: str
    parser: str | Mapping[str, str]
    parser_options: Mapping[str, Any]
    metrics: tuple[Mapping[str, Any], ...]
    requires: tuple[str, ...]
    labels: tuple[str, ...] | None
    primary_metric: str
    leaderboard_metrics: tuple[str, ...]
    card_hash: str
    path: str | None = None
    #: the card's scoring protocol (``timebench.metrics.protocols``); "timebench" when unstated
    protocol: str = "timebench"
    card: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def task_version(self) -> str:
        return f"{self.version}-{self.card_hash[:8]}"

    # -- prompts ----------------------------------------------------------------------------------
    def render_prompt(self, ref: Reference, *, prompt: str | None = None,
                      labels: Sequence[str] | None = None) -> str:
        """Fill the prompt template with the sample's fields (query, question, labels, ...)."""
        name = prompt or self.prompt
        if name not in self.prompts:
            raise UnknownNameError(f"prompt of task '{self.name}'", name, self.prompts)
        template = self.prompts[name]
        vocab = labels or self.labels or ()
        options = ref.extra.get("options") if isinstance(ref.extra, Mapping) else None
        values = {
            "query": ref.query or "",
            "question": ref.question or "",
            "duration": f"{ref.duration:.2f}" if ref.duration is not None else "",
            "labels": ", ".join(vocab),
            "options": ", ".join(str(o) for o in options) if options else "",
        }
        return template.format_map(_Strict(values, self.name, name))

    def prompt_renderer(self, *, prompt: str | None = None,
                        labels: Sequence[str] | None = None) -> Callable[[Reference], str]:
        """``ref -> self.render_prompt(ref, prompt=prompt, labels=labels)``, rendering once per
        distinct value of the fields the template reads (for scoring many samples: a tag
        prompt reads only the query).  Templates with other placeholders, nested format specs
        or an unknown prompt name use :meth:`render_prompt` for every sample (same errors)."""
        def plain(ref: Reference) -> str:
            return self.render_prompt(ref, prompt=prompt, labels=labels)

        name = prompt or self.prompt
        fields = _template_fields(self.prompts[name]) if name in self.prompts else None
        if fields is None:
            return plain
        getters = tuple(_FIELD_VALUES[f] for f in fields)
        # the values as the key (one field, a tag prompt's query: the value itself); a value
        # other than a string or None (a number, a list: 1 == True, unhashable) renders as before
        if len(getters) == 1:
            key_of = getters[0]

            def cacheable(key: Any) -> bool:
                return key is None or type(key) is str
        else:
            def key_of(ref: Reference) -> tuple:
                return tuple(get(ref) for get in getters)

            def cacheable(key: Any) -> bool:
                return all(k is None or type(k) is str for k in key)
        cache: dict[Any, str] = {}

        def render(ref: Reference) -> str:
            key = key_of(ref)
            if not cacheable(key) or not _fills_plainly(ref):
                return plain(ref)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = plain(ref)
            return hit

        return render

    # -- parsing ----------------------------------------------------------------------------------
    def parser_for(self, ref: Reference) -> str:
        """The parser pipeline for this sample (a card may map QA question types to parsers)."""
        if isinstance(self.parser, str):
            return self.parser
        qtype = str(ref.extra.get("qtype", "default"))
        return self.parser.get(qtype, self.parser.get("default", "lenient"))

    # -- validation -------------------------------------------------------------------------------
    def check_references(self, refs: Sequence[Reference], *, path: str | None = None) -> None:
        """Raise :class:`InputError` if a reference lacks a field this task needs, or holds a
        value of the wrong type for the task kind (:mod:`timebench.schema`)."""
        from .schema import check_reference_values

        check_reference_values(self.kind, refs, path=path)
        for ref in refs:
            where = ref.source or path
            for fld in self.requires:
                value = getattr(ref, fld, None)
                if fld == "events":
                    if not ref.events and ref.present is not False:
                        raise InputError(f"task '{self.name}' needs at least one event "
                                         f"(or present: false for a negative) for id '{ref.id}'",
                                         path=where, field="events")
                elif value is None or value == "":
                    raise InputError(f"task '{self.name}' needs this field for id '{ref.id}'",
                                     path=where, field=fld)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.task_version, "kind": self.kind,
                "parser": self.parser, "protocol": self.protocol,
                "metrics": [dict(m) for m in self.metrics],
                "prompt": self.prompt, "data": dict(self.data)}


def _extra_options(ref: Reference) -> str:
    options = ref.extra.get("options") if isinstance(ref.extra, Mapping) else None
    return ", ".join(str(o) for o in options) if options else ""


#: placeholder -> the value :meth:`Task.render_prompt` fills in for it (``labels`` is fixed per
#: renderer, so it needs no per-sample value)
_FIELD_VALUES: dict[str, Callable[[Reference], Any]] = {
    "query": lambda ref: ref.query or "",
    "question": lambda ref: ref.question or "",
    "duration": lambda ref: f"{ref.duration:.2f}" if ref.duration is not None else "",
    "labels": lambda ref: None,
    "options": _extra_options,
}


def _fills_plainly(ref: Reference) -> bool:
    """True when :meth:`Task.render_prompt` computes every placeholder value of ``ref``
    without an error (it computes all of them, whatever the template reads): a number or no
    duration, options absent or a list/tuple.  Otherwise the prompt is rendered per sample,
    raising what it raises."""
    d = ref.duration
    if d is not None and type(d) is not float and type(d) is not int:
        return False
    extra = ref.extra
    if extra and isinstance(extra, Mapping):
        options = extra.get("options")
        if options and type(options) is not list and type(options) is not tuple:
            return False
    return True


def _template_fields(template: str) -> tuple[str, ...] | None:
    """The placeholders ``template`` reads, when each is a plain known name with a literal
    format spec (then the rendering depends on their values only); else ``None``."""
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for _, field_name, spec, _conversion in parsed:
        if field_name is None:
            continue
        if field_name not in _FIELD_VALUES or "{" in (spec or ""):
            return None
        if field_name not in fields:
            fields.append(field_name)
    return tuple(fields)


class _Strict(dict):
    def __init__(self, values, task, prompt):
        super().__init__(values)
        self.task, self.prompt = task, prompt

    def __missing__(self, key):
        raise InputError(f"prompt '{self.prompt}' of task '{self.task}' uses unknown "
                         f"placeholder {{{key}}}; known: {sorted(self)}", field="prompts")


def _canonical_hash(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_card(path: str | os.PathLike) -> Task:
    """Read and validate one task card (safe YAML only)."""
    from .io import read_yaml_file

    p = Path(path)
    spath = str(p)
    raw = read_yaml_file(p, missing="task card not found")
    if not isinstance(raw, dict):
        raise InputError("a task card must be a mapping", path=spath)
    unknown = set(raw) - _CARD_KEYS
    if unknown:
        raise InputError(f"unknown key(s) {sorted(unknown)}", path=spath, field=sorted(unknown)[0])

    def need(key, typ, default=None):
        if key not in raw:
            if default is not None:
                return default
            raise InputError("missing", path=spath, field=key)
        value = raw[key]
        if not isinstance(value, typ):
            raise InputError(f"expected {getattr(typ, '__name__', typ)}", path=spath, field=key)
        return value

    name = need("name", str)
    kind = need("kind", str)
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}", path=spath, field="kind")
    version = str(need("version", (str, int, float)))
    prompts = dict(need("prompts", dict, {}))
    if "prompt" in raw and isinstance(raw["prompt"], str) and raw["prompt"] not in prompts:
        raise InputError(f"prompt '{raw['prompt']}' is not in prompts", path=spath, field="prompt")
    if not prompts:
        raise InputError("at least one prompt template is needed", path=spath, field="prompts")
    for key, value in prompts.items():
        if not isinstance(value, str):
            raise InputError("expected a string template", path=spath, field=f"prompts.{key}")
        try:
            list(string.Formatter().parse(value))
        except ValueError as exc:
            raise InputError(f"bad template: {exc}", path=spath, field=f"prompts.{key}") from None
    prompt = raw.get("prompt") or ("default" if "default" in prompts else next(iter(prompts)))
    parser = raw.get("parser", "lenient")
    if not isinstance(parser, (str, dict)):
        raise InputError("expected a pipeline name or a mapping qtype -> name", path=spath,
                         field="parser")
    metrics = need("metrics", list)
    for i, m in enumerate(metrics):
        if not isinstance(m, dict) or "suite" not in m:
            raise InputError("expected {suite: name, ...}", path=spath, field=f"metrics[{i}]")
    requires = tuple(need("requires", list, []))
    bad = [f for f in requires if f not in _REF_FIELDS]
    if bad:
        raise InputError(f"unknown reference field(s) {bad}", path=spath, field="requires")
    labels = raw.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
        raise InputError("expected a list of strings", path=spath, field="labels")
    if "label_map" in raw:  # validated here so a bad card fails when loaded
        from .labels.apply import settings_from

        settings_from(raw["label_map"], path=spath)
    primary = raw.get("primary_metric")
    if not isinstance(primary, str):
        raise InputError("missing (the metric that ranks the leaderboard)", path=spath,
                         field="primary_metric")
    lb = raw.get("leaderboard_metrics") or [primary]
    protocol = raw.get("protocol", "timebench")
    if not isinstance(protocol, str):
        raise InputError("expected a protocol name", path=spath, field="protocol")
    from .metrics.protocols import get_protocol

    try:
        get_protocol(protocol)
    except UnknownNameError as exc:
        raise InputError(exc.message, path=spath, field="protocol") from None
    return Task(
        name=name, version=version, kind=kind, description=str(raw.get("description", "")).strip(),
        data=dict(raw.get("data") or {}), prompts=prompts, prompt=prompt, parser=parser,
        parser_options=dict(raw.get("parser_options") or {}),
        metrics=tuple(dict(m) for m in metrics), requires=requires,
        labels=tuple(labels) if labels is not None else None, primary_metric=primary,
        leaderboard_metrics=tuple(lb), card_hash=_canonical_hash(raw), path=spath, card=raw,
        protocol=protocol,
    )


def task_dirs(extra: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """Folders searched for task cards, in priority order."""
    dirs: list[Path] = [Path(d) for d in extra]
    env = os.environ.get("TIMEBENCH_TASKS_PATH")
    if env:
        dirs += [Path(d) for d in env.split(os.pathsep) if d]
    source = Path(__file__).resolve().parent.parent / "tasks"
    if source.is_dir():
        dirs.append(source)
    else:  # installed wheel: cards are package data of timebench.task_cards
        try:
            from importlib.resources import files

            dirs.append(Path(str(files("timebench.task_cards"))))
        except (ModuleNotFoundError, TypeError):  # pragma: no cover
            pass
    return dirs


def available_tasks(extra: Sequence[str | os.PathLike] = ()) -> dict[str, Path]:
    """Map task name -> card path (the first folder wins)."""
    out: dict[str, Path] = {}
    for d in task_dirs(extra):
        if not d.is_dir():
            continue
        for card in sorted(d.glob("*.yaml")):
            name = card.stem
            out.setdefault(name, card)
    return out


_CACHE: dict[Path, Task] = {}


def get_task(name: str, *, extra: Sequence[str | os.PathLike] = ()) -> Task:
    """Load the task card called ``name`` (did-you-mean on unknown names)."""
    cards = available_tasks(extra)
    if name not in cards:
        raise UnknownNameError("task", name, cards)
    path = cards[name]
    if path not in _CACHE:
        task = load_card(path)
        if task.name != name:
            raise InputError(f"card name '{task.name}' does not match the file name", path=str(path),
                             field="name")
        _CACHE[path] = task
    return _CACHE[path]


def hash_references(refs: Sequence[Reference]) -> str:
    """Content hash of the samples (ids, audio, durations, queries, events, answers): sha256
    of ``json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False, default=str)`` + ``"\\n"``
    per reference (:func:`_reference_json` writes the same text directly for the usual shape)."""
    h = hashlib.sha256()
    # one encoder for all rows: what json.dumps(d, sort_keys=True, ensure_ascii=False,
    # default=str) builds per call, so the bytes (and the hash) are the same
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode
    chunk: list[str] = []
    for ref in refs:
        text = _reference_json(ref)
        chunk.append(encode(ref.to_dict()) if text is None else text)
        if len(chunk) >= 4096:
            h.update(("\n".join(chunk) + "\n").encode("utf-8"))
            chunk.clear()
    if chunk:
        h.update(("\n".join(chunk) + "\n").encode("utf-8"))
    return h.hexdigest()


_NONE = type(None)
_FLOAT_REPR = float.__repr__
#: ``repr`` of a non-finite float -> the json module's spelling (allow_nan)
_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_float(x: float) -> str:
    """A float as the json module writes it (``float.__repr__``; ``NaN``, ``Infinity``)."""
    text = _FLOAT_REPR(x)
    return _SPECIAL[text] if text[-1] > "9" else text   # a finite repr ends with a digit


def _reference_json(ref: Reference) -> str | None:
    """``json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False)`` for a reference of
    the usual shape (str / float / None fields, events of floats and str labels, no answer,
    no extra, ``present`` None or a bool); ``None`` for any other (then the encoder runs).
    Keys in sorted order: answer, audio, duration, events, extra, id, present, query,
    question; event keys: label, offset, onset, score (tested equal to ``json.dumps``)."""
    audio, duration, query, question, present = (ref.audio, ref.duration, ref.query,
                                                 ref.question, ref.present)
    if ref.answer is not None or ref.extra or type(ref.id) is not str \
            or (audio is not None and type(audio) is not str) \
            or (duration is not None and type(duration) is not float) \
            or (query is not None and type(query) is not str) \
            or (question is not None and type(question) is not str) \
            or (present is not None and type(present) is not bool):
        return None
    enc, num = _encode_str, _json_float
    events = []
    for e in ref.events:
        if type(e) is not Event:
            return None
        onset, offset, label, score = e.onset, e.offset, e.label, e.score
        if type(onset) is not float or type(offset) is not float:
            return None
        text = f'"offset": {num(offset)}, "onset": {num(onset)}'
        if label is not None:
            if type(label) is not str:
                return None
            text = f'"label": {enc(label)}, {text}'
        if score is not None:
            if type(score) is not float:
                return None
            text = f'{text}, "score": {num(score)}'
        events.append(text)
    out = f'{{"audio": {enc(audio)}, ' if audio is not None else "{"
    if duration is not None:
        out += f'"duration": {num(duration)}, '
    out += '"events": [{' + "}, {".join(events) + '}], ' if events else '"events": [], '
    out += f'"id": {enc(ref.id)}'
    if present is not None:
        out += ', "present": true' if present else ', "present": false'
    if query is not None:
        out += f', "query": {enc(query)}'
    if question is not None:
        out += f', "question": {enc(question)}'
    return out + "}"


def load_task_data(task: Task, **overrides: Any):
    """Load the references named by the card's ``data:`` entry (a ``LoadedDataset``)."""
    from .datasets import load_dataset

    spec = {**dict(task.data), **overrides}
    if "benchmark" in spec:  # a public benchmark under the data root (timebench.data.catalog)
        from .data.catalog import load_benchmark

        return load_benchmark(spec.pop("benchmark"), **spec)
    fmt = spec.pop("format", None)
    if not fmt:
        raise InputError(f"task '{task.name}' names no data source; pass --references",
                         path=task.path, field="data")
    path = spec.pop("path", None)
    return load_dataset(fmt, path, **spec)
