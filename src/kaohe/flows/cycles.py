"""The annual cycle's stage changes, checked against what the stage needs.

The stage itself is the schemes app's (`schemes.services.advance_cycle`); what each stage needs
reaches across the apps above it (data, scoring runs, warnings), so the check lives here, on
the floor that sees them all. Every page and API door moves a cycle through `advance_cycle`
below. A refusal lists each missing thing; the office may go on anyway with an explicit
override and a reason, and the audit event records what was overridden."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.monitoring.models import Warning
from kaohe.observations.models import Observation
from kaohe.rectification.models import RectificationItem
from kaohe.results.models import ScoringRun
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion


def _published_schemes(cycle: Cycle) -> list[Scheme]:
    return list(
        Scheme.objects.filter(cycle=cycle, versions__status=SchemeVersion.Status.PUBLISHED)
        .select_related("category")
        .distinct()
        .order_by("category__order", "code")
    )


def stage_gaps(cycle: Cycle) -> list[str]:
    """What the cycle lacks to move to its next stage, one sentence each (empty: nothing)."""
    target = cycle.next_state
    S = Cycle.State
    gaps: list[str] = []
    if target == S.GOAL_SETTING and not _published_schemes(cycle):
        gaps.append(
            _("No scheme of %(cycle)s is published yet: units set goals against one.")
            % {"cycle": cycle}
        )
    elif target == S.YEAR_END:
        for scheme in _published_schemes(cycle):
            if not Observation.objects.filter(
                time_node__cycle=cycle, unit__category=scheme.category
            ).exists():
                gaps.append(
                    _("The published scheme “%(scheme)s” has no data for %(cycle)s yet.")
                    % {"scheme": scheme, "cycle": cycle}
                )
    elif target == S.PUBLISHED:
        for scheme in _published_schemes(cycle):
            if not ScoringRun.objects.filter(
                cycle=cycle, category=scheme.category, status=ScoringRun.Status.PUBLISHED
            ).exists():
                gaps.append(
                    _("The category “%(category)s” has no published scoring run for %(cycle)s.")
                    % {"category": scheme.category, "cycle": cycle}
                )
    elif target == S.CLOSED:
        items = RectificationItem.objects.filter(cycle=cycle).exclude(
            state=RectificationItem.State.CLOSED
        )
        if items.exists():
            units = sorted(items.values_list("unit__code", flat=True))
            gaps.append(
                _("%(count)s rectification items of %(cycle)s are still open: %(units)s.")
                % {"count": len(units), "cycle": cycle, "units": ", ".join(units)}
            )
        still_open = Warning.objects.filter(time_node__cycle=cycle).exclude(
            state=Warning.State.CLOSED
        )
        count = still_open.count()
        if count:
            units = sorted({w.unit.code for w in still_open.select_related("unit")[:50]})
            gaps.append(
                _(
                    "%(count)s warnings of %(cycle)s are not closed yet (their explanation or "
                    "rectification is open): %(units)s."
                )
                % {"count": count, "cycle": cycle, "units": ", ".join(units)}
            )
    return gaps


def advance_cycle(
    cycle: Cycle, *, acting_user: Any, reason: str = "", override: bool = False
) -> Cycle:
    """Move the cycle to its next stage if it has what that stage needs; with `override` and a
    reason, move it anyway (the audit event lists what was missing)."""
    access.check_citywide(acting_user, Action.ADMINISTER)  # before telling anyone what lacks
    gaps = stage_gaps(cycle)
    if gaps and not override:
        raise ValidationError(gaps)
    if gaps and not reason.strip():
        raise ValidationError(
            {"reason": _("Going on without what the stage needs takes a reason.")}
        )
    return scheme_services.advance_cycle(
        cycle, acting_user=acting_user, reason=reason, overridden=gaps
    )
