"""Reads of observed values, always through the user's scope, shaped for pages and charts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator
from kaohe.observations.models import Evidence, IngestionBatch, Observation, ObservationVersion
from kaohe.schemes.models import TimeNode


def visible_observations(user: Any, action: str = "view") -> QuerySet[Observation]:
    """Observations in the user's unit scope whose indicator the user may see."""
    return Observation.objects.restrict(user, action).filter(
        indicator__in=Indicator.objects.visible_to(user).values("pk")
    )


def value_grid(
    user: Any,
    *,
    indicators: Iterable[str],
    periods: Iterable[str] | None = None,
    units: Iterable[int] | None = None,
) -> dict[tuple[int, str, str], float]:
    """{(unit id, indicator code, period): value} for numeric values in scope, in one query."""
    queryset = visible_observations(user).filter(indicator__code__in=list(indicators))
    if periods is not None:
        queryset = queryset.filter(time_node__period__in=list(periods))
    if units is not None:
        queryset = queryset.filter(unit__in=list(units))
    rows = queryset.exclude(value=None).values_list(
        "unit_id", "indicator__code", "time_node__period", "value"
    )
    return {(u, code, period): float(value) for u, code, period, value in rows if value is not None}


def latest_period(user: Any, *, code: str = "Y", indicator: str | None = None) -> TimeNode | None:
    """The latest time node of a kind (default: full year) holding any value the user sees."""
    queryset = visible_observations(user).filter(time_node__code=code)
    if indicator:
        queryset = queryset.filter(indicator__code=indicator)
    period = queryset.order_by("-time_node__period").values_list("time_node", flat=True).first()
    return TimeNode.objects.filter(pk=period).select_related("cycle").first() if period else None


def periods_with_values(user: Any, *, code: str | None = None) -> list[str]:
    """Every period that holds a visible value, oldest first."""
    queryset = visible_observations(user)
    if code is not None:
        queryset = queryset.filter(time_node__code=code)
    # no model ordering in the DISTINCT: it would make every (period, ordering column) a row
    return sorted(queryset.order_by().values_list("time_node__period", flat=True).distinct())


def batch_rows(user: Any, batch: Any, *, limit: int = 500) -> list[dict[str, Any]]:
    """What a batch stored, as the sender may see it: each value (derived ones included) with
    the same period last year and the year-on-year change, in row order."""
    versions = list(
        ObservationVersion.objects.restrict(user)
        .filter(batch=batch)
        .select_related("observation__unit", "observation__indicator", "observation__time_node")
        .order_by("observation__unit__code", "observation__indicator__code", "pk")[:limit]
    )
    last_year = {
        f"{int(p[:4]) - 1}{p[4:]}"
        for p in {v.observation.time_node.period for v in versions}
        if p[:4].isdigit()
    }
    grid = {
        (u, i, period): value
        for u, i, period, value in Observation.objects.filter(
            unit__in={v.observation.unit_id for v in versions},
            indicator__in={v.observation.indicator_id for v in versions},
            time_node__period__in=last_year,
        ).values_list("unit_id", "indicator_id", "time_node__period", "value")
    }
    rows = []
    for v in versions:
        o = v.observation
        period = o.time_node.period
        base = grid.get((o.unit_id, o.indicator_id, f"{int(period[:4]) - 1}{period[4:]}"))
        change = (
            (float(v.value) / float(base) - 1.0) * 100.0
            if v.value is not None and base not in (None, 0)
            else None
        )
        rows.append(
            {
                "unit": o.unit,
                "indicator": o.indicator,
                "period": o.time_node,
                "value": v.value if v.value is not None else v.text,
                "derived": v.source == "derived",
                "correction": v.number > 1,
                "last_year": base,
                "change": change,
            }
        )
    return rows


def visible_evidence(user: Any, pk: int) -> Evidence | None:
    """An evidence file, for city-wide readers (the office, the auditors), for who sent its
    batch, and for who may see one of the values it supports. A batch that changed no value
    has no version to see: its evidence is read by the first two."""
    evidence = Evidence.objects.select_related("batch").filter(pk=pk).first()
    if evidence is None:
        return None
    batch = evidence.batch
    if access.has_citywide(user, Action.VIEW) or batch.sender_id == user.pk:
        return evidence
    if ObservationVersion.objects.restrict(user).filter(batch=evidence.batch).exists():
        return evidence
    return None


def sent_batches(user: Any) -> QuerySet[IngestionBatch]:
    """The batches `user` sent (every batch for the office)."""
    if access.has_citywide(user, Action.ADMINISTER):
        return IngestionBatch.objects.all()
    return (
        IngestionBatch.objects.filter(sender=user)
        if user.is_authenticated
        else IngestionBatch.objects.none()
    )
