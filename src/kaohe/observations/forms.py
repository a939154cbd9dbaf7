"""The unit data form: one value (and a correction's reason) per reportable indicator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from kaohe.core.errors import RowError
from kaohe.observations.messages import localize_rule
from kaohe.observations.services import ValueRow
from kaohe.observations.unit_period import UnitPeriod


class UnitValuesForm(forms.Form):
    """Fields ``value-<code>`` and ``reason-<code>`` for each basic indicator of the page. The
    values stay text: the ingestion pipeline parses and checks them like any other door's."""

    client_key = forms.CharField(required=False)

    def __init__(self, *args: Any, page: UnitPeriod, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page
        self.reported = [i for i in page.indicators if not i.is_derived]
        for indicator in self.reported:
            self.fields[f"value-{indicator.code}"] = forms.CharField(required=False, strip=True)
            self.fields[f"reason-{indicator.code}"] = forms.CharField(required=False, strip=True)
        self.rows: list[ValueRow] = []

    def clean_client_key(self) -> str:
        return str(self.cleaned_data.get("client_key") or "")[:128]

    def clean(self) -> dict[str, Any]:
        """The rows to send: every filled value that differs from the stored one as shown."""
        data = super().clean() or {}
        self.rows = []
        for indicator in self.reported:
            raw = data.get(f"value-{indicator.code}") or ""
            current = self.page.current.get(indicator.code)
            if raw == "" or (current is not None and raw == f"{current:.{indicator.decimals}f}"):
                continue
            reason = data.get(f"reason-{indicator.code}") or ""
            self.rows.append(
                ValueRow(self.page.unit.code, indicator.code, self.page.period, raw, reason)
            )
        return data

    def submitted(self, code: str) -> str:
        return str(self.data.get(f"value-{code}", "")).strip()

    def refuse(self, errors: Sequence[RowError]) -> list[str]:
        """Put the pipeline's row errors on the page's lines; return the batch-level messages
        (evidence files) that belong to no line."""
        by_code: dict[str, list[str]] = {}
        general = []
        for error in errors:
            if error.field == "evidence":
                general.append(f"{error.value}: {localize_rule(error.rule)}")
                continue
            code = self.rows[error.row - 1].indicator if 0 < error.row <= len(self.rows) else ""
            by_code.setdefault(code, []).append(localize_rule(error.rule))
        for line in self.page.lines:
            line.errors = by_code.get(line.indicator.code, [])
            line.submitted = self.submitted(line.indicator.code)
        return general
