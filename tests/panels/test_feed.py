"""A closed panel's unit scores land as observation values through the ingestion pipeline,
with source "panel" and the reason naming the panel and the number of ratings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.core.roles import Role
from kaohe.flows.panels import feed_panel_scores, unit_scores
from kaohe.observations.models import Observation, ObservationVersion, Source
from kaohe.panels import services
from kaohe.testing.panels import approved_goal_set
from kaohe.testing.world import make_user
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

from .test_services import rate_all, scores

pytestmark = pytest.mark.django_db


def test_the_scores_land_as_values_with_source_panel_and_their_reason(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    office = pw.users["office"]
    with pytest.raises(ValidationError, match="Close the panel first"):
        feed_panel_scores(pw.panel, acting_user=office)
    services.close_panel(pw.panel, acting_user=office)
    with pytest.raises(PermissionDenied):
        feed_panel_scores(pw.panel, acting_user=pw.users["committee"])
    result = feed_panel_scores(pw.panel, acting_user=office)
    assert not result.duplicate
    assert result.batch.source == Source.PANEL and result.batch.created == 3
    values = {
        o.unit.code: o.value
        for o in Observation.objects.filter(
            indicator__code="excellence_score", time_node__period="2025Y"
        ).select_related("unit")
    }
    assert values == {"D01": Decimal("81.25"), "D02": Decimal("89.25"), "DEPT_TJJ": Decimal("77.5")}
    version = ObservationVersion.objects.get(
        observation__unit__code="D01", observation__indicator__code="excellence_score"
    )
    assert version.source == Source.PANEL
    assert version.reason == (
        f"expert panel “2025年度创优目标专家评审” (#{pw.panel.pk}): 1 excellence goal(s), "
        "5 rating(s), extremes dropped"
    )
    fed = AuditEvent.objects.get(event_type=EventType.PANEL_SCORES_FED)
    assert fed.extra_data["scores"] == {"D01": 81.25, "D02": 89.25, "DEPT_TJJ": 77.5}
    assert fed.extra_data["batch"] == result.batch.pk
    # the same panel again: recognised by its client key, nothing written
    before = AuditEvent.objects.count()
    again = feed_panel_scores(pw.panel, acting_user=office)
    assert again.duplicate and again.batch.pk == result.batch.pk
    assert AuditEvent.objects.count() == before


def test_a_unit_score_is_the_mean_of_its_goals(pw) -> None:  # type: ignore[no-untyped-def]
    """A department with two excellence goals: its score is the mean of the two overall
    scores."""
    office = pw.users["office"]
    bureau = unit_services.create_unit(
        acting_user=pw.admin,
        code="DEPT_ZSWJ",  # sorts after the statistics bureau: no stored path moves
        name_zh="商务局",
        name_en="Commerce Bureau",
        kind="department",
        parent=Unit.objects.get(pk=pw.city.pk),
        category=pw.department_category,
        is_assessed=True,
    )
    head = make_user("swj_head")
    unit_services.add_grant(acting_user=pw.admin, user=head, role=Role.UNIT_HEAD, unit=bureau)
    goal_set = approved_goal_set(bureau, pw.cycle, head, pw.admin, excellence=2)
    first, second = goal_set.goals.filter(kind="excellence").order_by("pk")
    experts = [pw.experts[n] for n in ("e1", "e2", "e3")]
    for goal, values in ((first, (80, 80, 80, 80)), (second, (70, 70, 70, 60))):
        for assignment in services.assign_goal(pw.panel, goal, acting_user=office, experts=experts):
            services.submit_rating(
                assignment, acting_user=assignment.member.expert, scores=scores(values)
            )
    got = {s.unit_code: (s.score, s.goals, s.ratings) for s in unit_scores(pw.panel)}
    assert got == {"DEPT_ZSWJ": ((80.0 + 67.5) / 2, 2, 6)}


def test_a_goal_without_an_overall_score_refuses_the_whole_feed(pw) -> None:  # type: ignore[no-untyped-def]
    office = pw.users["office"]
    (rated,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=office, experts=[pw.experts["e1"]]
    )
    services.submit_rating(rated, acting_user=pw.experts["e1"], scores=scores((90, 90, 90, 90)))
    services.assign_goal(pw.panel, pw.goals["D02"], acting_user=office, experts=[pw.experts["e2"]])
    services.close_panel(pw.panel, acting_user=office)
    with pytest.raises(ValidationError) as refused:
        feed_panel_scores(pw.panel, acting_user=office)
    assert refused.value.messages[0].startswith(
        "“Excellence goal 1” (West District) has no overall"
    )
    assert not Observation.objects.filter(indicator__code="excellence_score").exists()
