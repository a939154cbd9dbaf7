"""The key projects' investment into the data: each district's cumulative actual investment over
its projects, through the one ingestion pipeline, so that a monitoring cross-check can hold the
district's reported fixed-asset investment against it.

For each district with projects on the cycle's register and each time node of the cycle already
ended, the sum of the latest report versions of its projects' months up to the node's end is
recorded on the indicator the cycle's `InvestmentFeed` names, with source "projects". The
client key is derived from the content: sending the same figures again writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.flows.ingest import IngestResult, ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.projects.models import InvestmentFeed, KeyProject
from kaohe.projects.selectors import latest_reports
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.schemes.services import ensure_open


def district_investment(cycle: Cycle, *, as_of: dt.date) -> list[tuple[str, str, Decimal]]:
    """(district code, node period, cumulative actual investment) for every district with
    projects and every node of the cycle ended before `as_of`, by district code and node."""
    nodes = list(
        TimeNode.objects.filter(cycle=cycle, period_end__lt=as_of).order_by("order", "period_end")
    )
    districts = dict(
        KeyProject.objects.filter(cycle=cycle)
        .values_list("district_id", "district__code")
        .distinct()
    )
    reports = list(
        latest_reports()
        .filter(project__cycle=cycle)
        .values_list("project__district_id", "month", "invested")
    )
    out = []
    for district_id, code in sorted(districts.items(), key=lambda kv: kv[1]):
        for node in nodes:
            last = node.period_end.replace(day=1)
            total = sum(
                (amount for d, month, amount in reports if d == district_id and month <= last),
                Decimal(0),
            )
            out.append((code, node.period, total))
    return out


@transaction.atomic
def feed_investment(
    cycle: Cycle, *, acting_user: Any, as_of: dt.date | None = None
) -> IngestResult | None:
    """Send each district's project investment into the cycle's feed indicator (the office).
    None when there is nothing to send yet (no node has ended, or no projects)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    feed = InvestmentFeed.objects.select_related("indicator").filter(cycle=cycle).first()
    if feed is None:
        raise ValidationError(
            _("Name the indicator the projects' investment is recorded on first.")
        )
    figures = district_investment(cycle, as_of=as_of or timezone.localdate())
    if not figures:
        return None
    code = feed.indicator.code
    places = min(max(feed.indicator.decimals, 0), 6)
    rows = [
        ValueRow(
            district,
            code,
            period,
            float(round(total, places)),
            reason=_("sum of the key projects' reported investment in the district"),
        )
        for district, period, total in figures
    ]
    content = json.dumps([[r.unit, r.indicator, r.period, r.value] for r in rows])
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    result = ingest(
        rows,
        acting_user=acting_user,
        source=Source.PROJECTS,
        client_key=f"projects-{cycle.year}-{digest}",
    )
    if not result.duplicate:
        audit.record(
            EventType.PROJECT_INVESTMENT_FED,
            acting_user=acting_user,
            obj=cycle,
            extra={
                "batch": result.batch.pk,
                "indicator": code,
                "values": [[r.unit, r.period, r.value] for r in rows],
            },
        )
    return result
