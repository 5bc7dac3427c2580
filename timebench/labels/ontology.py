"""The AudioSet ontology (``data/ontology.json``, CC BY-SA 4.0, see ``data/NOTICE``).

Loaded once, lazily, from package data.  Each :class:`Node` keeps its ``id`` (``/m/...``),
display ``name``, ``child_ids`` and ``restrictions``; :func:`aliases` turns a display name into
the phrases it stands for: the comma-separated synonyms (``Male speech, man speaking`` -> ``male
speech`` and ``man speaking``; a leading ``and`` dropped: ``Dishes, pots, and pans`` -> ``dishes``,
``pots``, ``pans``), each without its parenthesised qualifier (``Frying (food)`` -> ``frying``);
``X Y or Z`` gives ``X Y`` and ``X Z`` (``Cupboard open or close``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Node", "Ontology", "load_ontology", "aliases"]


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    description: str
    child_ids: tuple[str, ...]
    restrictions: tuple[str, ...]


class Ontology:
    """Nodes by id, parents, descendants and ancestors (the ontology is a DAG)."""

    def __init__(self, nodes: list[Node]):
        self.nodes = {n.id: n for n in nodes}
        self.parents: dict[str, set[str]] = {n.id: set() for n in nodes}
        for n in nodes:
            for c in n.child_ids:
                if c in self.parents:
                    self.parents[c].add(n.id)
        self.by_name = {n.name.lower(): n.id for n in nodes}

    @lru_cache(maxsize=4096)
    def ancestors(self, node_id: str) -> frozenset[str]:
        """Every ancestor of ``node_id`` (not the node itself)."""
        out: set[str] = set()
        stack = list(self.parents.get(node_id, ()))
        while stack:
            p = stack.pop()
            if p not in out:
                out.add(p)
                stack.extend(self.parents.get(p, ()))
        return frozenset(out)

    def descendants(self, node_id: str) -> frozenset[str]:
        """Every descendant of ``node_id`` (not the node itself)."""
        out: set[str] = set()
        stack = list(self.nodes[node_id].child_ids) if node_id in self.nodes else []
        while stack:
            c = stack.pop()
            if c not in out and c in self.nodes:
                out.add(c)
                stack.extend(self.nodes[c].child_ids)
        return frozenset(out)

    def find(self, name: str) -> str:
        """The id of the node with this display name (case-insensitive) or this id."""
        if name in self.nodes:
            return name
        try:
            return self.by_name[name.lower()]
        except KeyError:
            raise KeyError(f"no AudioSet ontology node named {name!r}") from None


def aliases(name: str) -> tuple[str, ...]:
    """The phrases one display name stands for (rules in the module docstring)."""
    out = []
    for part in name.split(","):
        part = part.strip()
        if part.lower().startswith("and "):
            part = part[4:]
        bare = part.split("(")[0].strip()
        if " or " in bare:  # "Cupboard open or close" -> "Cupboard open", "Cupboard close"
            left, right = bare.split(" or ", 1)
            out += [left, " ".join(left.split()[:-1] + [right])]
        elif bare:
            out.append(bare)
    return tuple(dict.fromkeys(x for x in out if x.strip()))


@lru_cache(maxsize=1)
def load_ontology() -> Ontology:
    """The bundled ontology (read once per process)."""
    raw = json.loads(resources.files(__package__).joinpath("data/ontology.json")
                     .read_text(encoding="utf-8"))
    nodes = [Node(str(x["id"]), str(x["name"]), str(x.get("description", "")),
                  tuple(x.get("child_ids", ())), tuple(x.get("restrictions", ())))
             for x in raw]
    return Ontology(nodes)
