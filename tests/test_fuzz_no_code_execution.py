"""No code execution from anything a user hands in (issue 7, item 2).

1. A static scan of the package source (``timebench/``, ``model_adapters/``, ``run_eval.py``)
   with :mod:`ast`: no ``pickle``/``marshal``/``shelve``/``dill``/``joblib``, no bare
   ``eval``/``exec``/``compile``/``__import__``, no ``yaml.load`` family (only ``safe_load``),
   ``torch.load`` only with ``weights_only=True``, no ``numpy.load(allow_pickle=True)``, no
   ``os.system``/``os.popen``/``os.exec*``/``os.spawn*``, no ``subprocess`` with
   ``shell=True``.  Dynamic imports and subprocesses are allowed only in the places listed in
   :data:`ALLOWED_DYNAMIC_IMPORTS` and :data:`ALLOWED_SUBPROCESS`, each with the reason; a new
   one fails this test until someone reviews it and adds it here.
2. YAML documents with Python tags (task cards, suites, ``--metric-arg`` and model settings)
   are refused with an :class:`~timebench.errors.InputError` / exit 2, and the payload never
   runs (a marker file it would create stays absent).  So is a "billion laughs" alias bomb.
"""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import pytest

from timebench.cli import main
from timebench.errors import InputError
from timebench.suites import load_suite
from timebench.tasks import load_card

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "timebench").rglob("*.py"), *(ROOT / "model_adapters").rglob("*.py"),
                  ROOT / "run_eval.py"])

FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle",
                     "joblib"}
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_OS = {"system", "popen", "execv", "execve", "execl", "execlp", "execvp", "execvpe",
                "spawnl", "spawnv", "spawnve", "spawnlp", "spawnvp", "posix_spawn",
                "posix_spawnp", "startfile"}
UNSAFE_YAML = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load",
               "full_load_all"}

#: file (relative to the repository) -> why importing a module by name is fine there
ALLOWED_DYNAMIC_IMPORTS = {
    "timebench/cli.py": "imports timebench.commands.<name> for the fixed COMMANDS table",
    "timebench/registry.py": "import_target() imports registered 'module:attr' targets; "
                             "registries only hold names registered in code or entry points",
    "model_adapters/__init__.py": "--models / a suite may name 'package.module:Class' "
                                  "(the documented plugin mechanism: the user runs their own "
                                  "adapter code, as with any plugin); task cards and data "
                                  "files cannot name one",
}
#: file -> why it starts a subprocess (always an argument list, never a shell)
ALLOWED_SUBPROCESS = {
    "timebench/metrics/caption_scorer.py": "java PTB tokenizer (pycocoevalcap CoreNLP 3.4.1), "
                                           "fixed argument list",
    "timebench/results.py": "git rev-parse HEAD for provenance",
    "timebench/datasets/mini/make_speech_assets.py": "espeak-ng for the bundled speech clips "
                                                     "(maintainer tool, not run by timebench)",
}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _kw(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def scan(path: Path, rel: str | None = None) -> tuple[list[str], set[str]]:
    """(violations, kinds of allow-listed constructs used) for one source file."""
    rel = rel or path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    bad: list[str] = []
    used: set[str] = set()
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            for n in names:
                if n.split(".")[0] in FORBIDDEN_MODULES:
                    bad.append(f"{where}: imports {n}")
                if n.split(".")[0] == "subprocess":
                    used.add("subprocess")
            if isinstance(node, ast.ImportFrom) and node.module == "importlib" and any(
                    a.name == "import_module" for a in node.names):
                used.add("dynamic import")
        if not isinstance(node, ast.Call):
            continue
        func = _dotted(node.func)
        last = func.rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_BUILTINS:
            bad.append(f"{where}: calls {node.func.id}()")
        if func.startswith("yaml.") and last in UNSAFE_YAML:
            loader = _kw(node, "Loader")
            if loader is None or "Safe" not in _dotted(loader):
                bad.append(f"{where}: {func}() without SafeLoader")
        if func.endswith("torch.load"):
            if not _is_true(_kw(node, "weights_only")):
                bad.append(f"{where}: torch.load() without weights_only=True")
        if func in ("np.load", "numpy.load") and _is_true(_kw(node, "allow_pickle")):
            bad.append(f"{where}: {func}(allow_pickle=True)")
        if last == "read_pickle":
            bad.append(f"{where}: {func}()")
        if func.startswith("os.") and last in FORBIDDEN_OS:
            bad.append(f"{where}: {func}()")
        if func.startswith("subprocess."):
            used.add("subprocess")
            if _is_true(_kw(node, "shell")):
                bad.append(f"{where}: {func}(shell=True)")
        if func in ("importlib.import_module", "import_module", "import_target",
                    "importlib.__import__"):
            used.add("dynamic import")
    return bad, used


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The scanner itself: a file with every forbidden construct is flagged on each."""
    evil = tmp_path / "probe.py"
    code = ("import pickle\nimport yaml, torch, os, subprocess\nimport numpy as np\n"
            "eval('1')\nexec('x = 1')\n__import__('os')\nyaml.load(s)\n"
            "yaml.load(s, Loader=yaml.SafeLoader)\ntorch.load(p)\n"
            "torch.load(p, weights_only=True)\nnp.load(p, allow_pickle=True)\nos.system('x')\n"
            "subprocess.run('x', shell=True)\nsubprocess.run(['x'])\n")
    evil.write_text(code, encoding="utf-8")
    bad, used = scan(evil, "probe.py")
    text = "\n".join(bad)
    for needle in ("imports pickle", "calls eval()", "calls exec()", "calls __import__()",
                   "yaml.load() without SafeLoader", "torch.load() without weights_only",
                   "np.load(allow_pickle=True)", "os.system()", "subprocess.run(shell=True)"):
        assert needle in text, needle
    assert len(bad) == 9, bad  # the safe yaml.load / torch.load / subprocess calls pass
    assert "subprocess" in used


def test_no_code_execution_constructs_in_the_package():
    assert len(SOURCES) > 50
    violations, dynamic, subproc = [], set(), set()
    for path in SOURCES:
        bad, used = scan(path)
        violations += bad
        rel = path.relative_to(ROOT).as_posix()
        if "dynamic import" in used:
            dynamic.add(rel)
        if "subprocess" in used:
            subproc.add(rel)
    assert not violations, "\n".join(violations)
    assert dynamic <= set(ALLOWED_DYNAMIC_IMPORTS), sorted(dynamic - set(ALLOWED_DYNAMIC_IMPORTS))
    assert subproc <= set(ALLOWED_SUBPROCESS), sorted(subproc - set(ALLOWED_SUBPROCESS))


def test_yaml_is_only_ever_read_with_safe_load():
    """Every yaml.* call in the package is safe_load (or a dump)."""
    calls = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _dotted(node.func).startswith("yaml."):
                calls.append(_dotted(node.func))
    assert calls and set(calls) <= {"yaml.safe_load", "yaml.safe_dump", "yaml.dump"}, calls


# -- YAML tags are refused, never run --------------------------------------------------------------

CARD = """name: evil
version: 1
kind: grounding
prompts: {{default: "x {{query}}"}}
metrics: [{{suite: grounding}}]
primary_metric: mIoU
requires: [query, events]
data: {payload}
"""
SUITE = "name: evil\ntasks: [tag]\nmodels: [random]\nout: {payload}\n"
PAYLOADS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/apply:subprocess.check_output [["touch", "{marker}"]]',
    '!!python/object/new:os.system ["touch {marker}"]',
    '!!python/name:os.system',
    '!!python/module:os',
    '!!python/object:timebench.tasks.Task {{name: x}}',
    '!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]',
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("what", ["card", "suite"])
def test_python_yaml_tags_are_refused(payload, what, tmp_path):
    marker = tmp_path / "pwned"
    text = (CARD if what == "card" else SUITE).format(payload=payload.format(marker=marker))
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        (load_card if what == "card" else load_suite)(path)
    assert err.value.path == str(path) and err.value.line is not None
    assert "python" in str(err.value)
    assert not marker.exists()


def _cli(*argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(list(argv))
    return rc, err.getvalue()


def test_cli_refuses_tagged_cards_suites_and_arguments(tmp_path):
    marker = tmp_path / "pwned"
    cards = tmp_path / "cards"
    cards.mkdir()
    payload = PAYLOADS[0].format(marker=marker)
    (cards / "evil.yaml").write_text(CARD.format(payload=payload), encoding="utf-8")
    suite = tmp_path / "evil.yaml"
    suite.write_text(SUITE.format(payload=payload), encoding="utf-8")
    refs = tmp_path / "r.jsonl"
    refs.write_text('{"id": "a", "duration": 9, "query": "q", "events": [[1, 2]]}\n')
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "a", "text": "1 - 2"}\n')
    attempts = [
        ("tasks", "evil", "--include-tasks", str(cards)),
        ("run", "--suite", str(suite), "--out", str(tmp_path / "run")),
        ("score", "--task", "tag", "--references", str(refs), "--predictions", str(preds), "-q",
         "--metric-arg", f"grounding.mode={payload}"),
        ("run", "--tasks", "tag", "--models", f"random[seed={payload}]", "--out",
         str(tmp_path / "run2"), "--limit", "1", "-q", "--no-progress"),
    ]
    for argv in attempts:
        rc, err = _cli(*argv)
        assert rc == 2, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not marker.exists()


def test_yaml_alias_bomb_is_refused(tmp_path):
    """'Billion laughs': nine levels of nine aliases would expand to ~387 million strings."""
    lines = ['name: evil', 'version: 1', 'kind: grounding', 'prompts: {default: "x"}',
             'metrics: [{suite: grounding}]', 'primary_metric: mIoU',
             'notes: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"n{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="more than .* values"):
        load_card(path)


@pytest.mark.parametrize("content, fragment", [
    (b"name: \xff\xfe\n", "not valid UTF-8"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b"\xef\xbb\xbfname: x\r\ntasks: [tag]\r\nmodels: [random]\r\nconfidence: abc\r\n",
     "field 'confidence'"),
])
def test_unreadable_suites_are_input_errors(content, fragment, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        load_suite(path)
