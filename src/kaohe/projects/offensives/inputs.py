"""What the scheme's `milestones` method reads of the major tasks: for each offensive of the
cycle named by a scheme input code, one `engine.milestones.Involvement` per participating unit.

Each participating unit reports its own part of every milestone: for a unit, a milestone counts
as done on the completion date of ITS OWN report confirmed at or before the run's moment (the
confirmation time is the report's `decided_at`): a confirmation written after the moment never
changes what an earlier run read, so the same moment gives the same records. Four queries
whatever the number of offensives, units and milestones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from kaohe.engine.milestones import Involvement, Milestone
from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone, OffensiveUnit
from kaohe.schemes.models import Cycle

Records = dict[str, dict[int, tuple[Involvement, dict[str, Any]]]]


def involvements(
    cycle: Cycle | int,
    codes: Collection[str],
    unit_ids: Collection[int],
    *,
    moment: dt.datetime | None,
    as_of: dt.date,
) -> Records:
    """code → unit id → (the unit's `Involvement`, its provenance: the offensive's id and the
    ids of the unit's own confirmed reports used, by milestone number — plain JSON-ready values).

    `moment` None reads every confirmed report (the current state, for provisional standings).
    A code naming no offensive of the cycle gives no entry (its column is all missing); a unit
    not taking part in an offensive has no entry under its code."""
    cycle_id = cycle if isinstance(cycle, int) else cycle.pk
    offensives = {
        pk: code
        for pk, code in Offensive.objects.filter(cycle_id=cycle_id, code__in=list(codes))
        .order_by("pk")
        .values_list("pk", "code")
    }
    if not offensives:
        return {}
    roles: dict[int, list[tuple[int, str]]] = {}
    for offensive_id, unit_id, role in (
        OffensiveUnit.objects.filter(offensive_id__in=offensives, unit_id__in=list(unit_ids))
        .order_by("offensive_id", "unit_id")
        .values_list("offensive_id", "unit_id", "role")
    ):
        roles.setdefault(offensive_id, []).append((unit_id, role))
    confirmed = MilestoneReport.objects.filter(
        milestone__offensive_id__in=offensives, state=MilestoneReport.State.CONFIRMED
    )
    if moment is not None:
        confirmed = confirmed.filter(decided_at__lte=moment)
    # (milestone, unit) → (report id, completed on): at most one confirmed report per part
    done: dict[tuple[int, int], tuple[int, dt.date]] = {
        (milestone_id, unit_id): (pk, completed_on)
        for milestone_id, unit_id, pk, completed_on in confirmed.filter(unit_id__in=list(unit_ids))
        .order_by("pk")
        .values_list("milestone_id", "unit_id", "pk", "completed_on")
    }
    rows: dict[int, list[tuple[int, int, str, str, dt.date, Any]]] = {}
    for pk, offensive_id, seq, name_zh, name_en, due, weight in (
        OffensiveMilestone.objects.filter(offensive_id__in=offensives)
        .order_by("offensive_id", "seq")
        .values_list("pk", "offensive_id", "seq", "name_zh", "name_en", "due", "weight")
    ):
        rows.setdefault(offensive_id, []).append((pk, seq, name_zh, name_en, due, weight))
    out: Records = {}
    for offensive_id, code in offensives.items():
        out[code] = {}
        for unit_id, role in roles.get(offensive_id, []):
            items = []
            reports: dict[str, int] = {}
            for pk, seq, name_zh, name_en, due, weight in rows.get(offensive_id, []):
                report = done.get((pk, unit_id))
                items.append(
                    Milestone(
                        id=str(seq),
                        weight=float(weight),
                        due=due.isoformat(),
                        done=report[1].isoformat() if report else None,
                        name_zh=name_zh,
                        name_en=name_en,
                    )
                )
                if report is not None:
                    reports[str(seq)] = report[0]
            provenance = {"offensive": offensive_id, "reports": reports}
            out[code][unit_id] = (Involvement(role, as_of.isoformat(), tuple(items)), provenance)
    return out


def provenance_text(provenance: dict[str, Any] | None) -> str:
    """A short label of where a unit's record came from, for the explanation tree:
    ``offensive:3 reports:[7, 9]``."""
    if not provenance:
        return ""
    ids = sorted(provenance.get("reports", {}).values())
    return f"offensive:{provenance.get('offensive')} reports:{ids}"
