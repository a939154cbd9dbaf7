"""The names a run's codes are shown with, in the reader's language: grades and veto items as
the scheme names them, the platform's flags (top N, progress award, interview, borderline) as
the catalogue of messages does. Every page, export and API answer of results uses this, so no
one reads "good", "top3" or "veto:statistical_fraud"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

_TOP = re.compile(r"^top(\d+)$")

# how a flag is shown: red for what needs action, green for honours, grey otherwise
TONES = {"interview": "red", "progress_award": "green"}


def _pick(name: Any, fallback: str, english: bool) -> str:
    if isinstance(name, dict):
        return str((name.get("en") if english else None) or name.get("zh") or fallback)
    return str(name or fallback)


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    tone: str


class RunLabels:
    """Labels for one scheme document, in the language active when built."""

    def __init__(self, document: dict[str, Any]) -> None:
        english = (get_language() or "").startswith("en")
        self.grades = {
            g["code"]: _pick(g.get("name"), g["code"], english)
            for g in document.get("grades") or []
        }
        self.items = {
            a["id"]: _pick(a.get("name"), a["id"], english)
            for a in document.get("adjustments") or []
        }

    def grade(self, code: str | None) -> str:
        return self.grades.get(code or "", code or "")

    def flag(self, code: str) -> Flag:
        top = _TOP.match(code)
        if top:
            return Flag(code, _("top %(n)s") % {"n": top.group(1)}, "green")
        if code.startswith("veto:"):
            item = code.removeprefix("veto:")
            return Flag(code, _("veto: %(item)s") % {"item": self.items.get(item, item)}, "red")
        label = {
            "progress_award": _("progress award"),
            "interview": _("interview"),
            "borderline": _("borderline grade"),
        }.get(code, code)
        return Flag(code, label, TONES.get(code, "grey"))

    def status(self, code: str) -> str:
        return {"scored": _("scored"), "not_scored": _("not scored")}.get(code, code)

    def flags(self, codes: list[str], *, borderline: bool = True) -> list[Flag]:
        return [self.flag(c) for c in codes if borderline or c != "borderline"]


def node_names(document: dict[str, Any]) -> dict[str, str]:
    """The name of every node and bonus/deduction item of a scheme document, by id, in the
    reader's language (the id where the scheme names none)."""
    english = (get_language() or "").startswith("en")
    names: dict[str, str] = {}

    def walk(node: dict[str, Any]) -> None:
        names[node.get("id", "root")] = _pick(node.get("name"), node.get("id", ""), english)
        for child in node.get("children") or []:
            walk(child)

    walk(document.get("root") or {})
    for item in document.get("adjustments") or []:
        walk(item)
    return names
