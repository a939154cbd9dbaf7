"""Structural differences between two schemes, matched by node id, adjustment id and grade code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Node, Scheme


@dataclass(frozen=True)
class SchemeChange:
    """One structural difference between two schemes."""

    change: str  # added | removed | changed
    path: str  # e.g. "node:gdp", "adjustment:fraud", "grade:excellent", "ranking"
    field: str | None = None
    old: Any = None
    new: Any = None


def diff_schemes(a: Scheme, b: Scheme) -> list[SchemeChange]:
    """Structural diff: nodes, adjustments and grades matched by id/code, then settings."""
    changes: list[SchemeChange] = []

    def flat_nodes(s: Scheme) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        parents: dict[str, str | None] = {s.root.id: None}
        for node in s.root.walk():
            for child in node.children:
                parents[child.id] = node.id
            d = node.to_dict()
            d.pop("children", None)
            d["parent"] = parents[node.id]
            d["position"] = _position(s.root, node.id)
            out[node.id] = d
        return out

    def compare(kind: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
        for key in old:
            if key not in new:
                changes.append(SchemeChange("removed", f"{kind}:{key}", old=old[key]))
        for key in new:
            if key not in old:
                changes.append(SchemeChange("added", f"{kind}:{key}", new=new[key]))
                continue
            for fname in sorted(set(old[key]) | set(new[key])):
                if old[key].get(fname) != new[key].get(fname):
                    changes.append(
                        SchemeChange(
                            "changed",
                            f"{kind}:{key}",
                            fname,
                            old[key].get(fname),
                            new[key].get(fname),
                        )
                    )

    compare("node", flat_nodes(a), flat_nodes(b))
    compare(
        "adjustment",
        {x.id: x.to_dict() for x in a.adjustments},
        {x.id: x.to_dict() for x in b.adjustments},
    )
    compare(
        "grade",
        {g.code: {**g.to_dict(), "position": i} for i, g in enumerate(a.grades)},
        {g.code: {**g.to_dict(), "position": i} for i, g in enumerate(b.grades)},
    )
    da, db = a.to_dict(), b.to_dict()
    for key in ("id", "name", "points", "inputs", "ranking", "veto_grade", "results", "robustness"):
        if da.get(key) != db.get(key):
            changes.append(SchemeChange("changed", key, None, da.get(key), db.get(key)))
    return changes


def _position(root: Node, node_id: str) -> int:
    for node in root.walk():
        for i, child in enumerate(node.children):
            if child.id == node_id:
                return i
    return 0
