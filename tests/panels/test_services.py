"""The panel services: recusal with its reason (own unit, declared conflict, a conflict after
assignment withdraws it), final ratings, who may rate, the aggregation against hand-computed
numbers and the engine, and the audit trail of every action."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.engine.evaluation import aggregate_panel
from kaohe.panels import selectors, services
from kaohe.panels.models import Assignment, ConflictDeclaration, PanelGoal, Rating
from kaohe.units import services as unit_services

pytestmark = pytest.mark.django_db

DIMS = ("excellence", "difficulty", "innovation", "benefit")
# Hand-computed below: per unit, each expert's (excellence, difficulty, innovation, benefit).
RATINGS = {
    "D01": {
        "e1": (90, 80, 70, 85),
        "e2": (85, 75, 80, 80),
        "e3": (80, 70, 75, 90),
        "e4": (70, 85, 60, 70),
        "e5": (95, 90, 85, 95),
    },
    "DEPT_TJJ": {"e1": (60, 65, 70, 75), "e2": (70, 75, 80, 85), "e3": (80, 85, 90, 95)},
    "D02": {"e1": (88, 92, 84, 90), "e2": (92, 88, 86, 94)},
}


def scores(values: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(DIMS, values, strict=True))


def events(kind: EventType) -> int:
    return AuditEvent.objects.filter(event_type=kind).count()


def rate_all(pw) -> None:  # type: ignore[no-untyped-def]
    office = pw.users["office"]
    for code, by_expert in RATINGS.items():
        experts = [pw.experts[name] for name in by_expert]
        made = services.assign_goal(pw.panel, pw.goals[code], acting_user=office, experts=experts)
        for assignment, values in zip(made, by_expert.values(), strict=True):
            services.submit_rating(
                assignment, acting_user=assignment.member.expert, scores=scores(values)
            )


# --- recusal --------------------------------------------------------------------------------


def test_no_expert_is_assigned_a_goal_of_their_own_unit(pw) -> None:  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.assign_goal(
            pw.panel,
            pw.goals["D02"],
            acting_user=pw.users["office"],
            experts=[pw.experts["e1"], pw.experts["e5"]],
        )
    assert refused.value.message_dict["experts"] == [
        "专家5 (e5) belongs to West District and may not rate its goals: no one judges their "
        "own unit."
    ]
    assert not PanelGoal.objects.exists() and not Assignment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_sub_unit_counts_as_the_unit(pw) -> None:  # type: ignore[no-untyped-def]
    """A civil servant of the bureau's division belongs to the bureau."""
    unit_services.create_person(
        acting_user=pw.admin,
        unit=pw.division,
        code="P-E4",
        name="专家4",
        gender="M",
        user=pw.experts["e4"],
    )
    refusal = services.recusal(pw.experts["e4"], pw.dept)
    assert refusal is not None and refusal.code == "own_unit"
    assert services.recusal(pw.experts["e4"], pw.d1) is None


def test_no_expert_is_assigned_a_unit_they_declared_a_conflict_with(pw) -> None:  # type: ignore[no-untyped-def]
    services.declare_conflict(
        acting_user=pw.experts["e2"], expert=pw.experts["e2"], unit=pw.d1, reason="配偶在该区任职"
    )
    with pytest.raises(ValidationError) as refused:
        services.assign_goal(
            pw.panel,
            pw.goals["D01"],
            acting_user=pw.users["office"],
            experts=[pw.experts["e1"], pw.experts["e2"]],
        )
    assert refused.value.message_dict["experts"] == [
        "专家2 (e2) declared a conflict of interest with East District and may not rate its "
        "goals: 配偶在该区任职"
    ]
    assert not Assignment.objects.exists()


def test_a_conflict_declared_after_assignment_withdraws_it(pw) -> None:  # type: ignore[no-untyped-def]
    office = pw.users["office"]
    e1, e2 = pw.experts["e1"], pw.experts["e2"]
    first, second = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=office, experts=[e1, e2]
    )
    services.submit_rating(first, acting_user=e1, scores=scores((90, 90, 90, 90)))
    (other,) = services.assign_goal(pw.panel, pw.goals["D02"], acting_user=office, experts=[e1])
    declaration, withdrawn = services.declare_conflict(
        acting_user=e1, expert=e1, unit=pw.d1, reason="曾任该区顾问"
    )
    assert [a.pk for a in withdrawn] == [first.pk]
    first.refresh_from_db()
    assert first.state == Assignment.State.WITHDRAWN
    assert (
        first.withdrawn_reason == "conflict of interest declared with East District: 曾任该区顾问"
    )
    # the rating stays on record but no longer counts; the other unit's assignment stands
    assert Rating.objects.filter(assignment=first).exists()
    other.refresh_from_db()
    assert other.state == Assignment.State.OPEN
    result = selectors.goal_result(first.item)
    assert result.ratings == 0 and result.score is None
    declared = AuditEvent.objects.get(event_type=EventType.PANEL_CONFLICT_DECLARED)
    assert declared.object_id == str(declaration.pk) and declared.reason == "曾任该区顾问"
    assert declared.extra_data == {"expert": "e1", "unit": "D01", "withdrawn": 1}
    withdrawal = AuditEvent.objects.get(event_type=EventType.PANEL_ASSIGNMENT_WITHDRAWN)
    assert withdrawal.object_id == str(first.pk)
    assert withdrawal.acting_user == e1 and withdrawal.unit is None
    assert withdrawal.extra_data["was"] == "rated"
    with pytest.raises(ValidationError, match="already declared"):
        services.declare_conflict(acting_user=e1, expert=e1, unit=pw.d1, reason="again")
    # and e2's open assignment of the same goal can still be rated
    services.submit_rating(second, acting_user=e2, scores=scores((80, 80, 80, 80)))


def test_recusal_is_checked_again_when_rating(pw) -> None:  # type: ignore[no-untyped-def]
    """e3 took a post in East District after being assigned its goal."""
    e3 = pw.experts["e3"]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[e3]
    )
    unit_services.create_person(
        acting_user=pw.admin, unit=pw.d1, code="P-E3", name="专家3", gender="M", user=e3
    )
    e3.refresh_from_db()
    with pytest.raises(ValidationError, match="belongs to East District"):
        services.submit_rating(assignment, acting_user=e3, scores=scores((80, 80, 80, 80)))
    assert not Rating.objects.exists()


def test_only_experts_declare_and_only_the_office_declares_for_them(pw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.declare_conflict(
            acting_user=pw.users["d1_reporter"],
            expert=pw.users["d1_reporter"],
            unit=pw.d2,
            reason="x",
        )
    with pytest.raises(PermissionDenied):
        services.declare_conflict(
            acting_user=pw.experts["e1"], expert=pw.experts["e2"], unit=pw.d2, reason="x"
        )
    made, _ = services.declare_conflict(
        acting_user=pw.users["office"], expert=pw.experts["e2"], unit=pw.d2, reason="代为申报"
    )
    assert made.declared_by == pw.users["office"]
    assert ConflictDeclaration.objects.count() == 1


# --- ratings -------------------------------------------------------------------------------


def test_a_submitted_rating_cannot_be_changed(pw) -> None:  # type: ignore[no-untyped-def]
    e1 = pw.experts["e1"]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[e1]
    )
    rating = services.submit_rating(assignment, acting_user=e1, scores=scores((80, 70, 60, 50)))
    with pytest.raises(ValidationError, match="already rated; a submitted rating is final"):
        services.submit_rating(assignment, acting_user=e1, scores=scores((99, 99, 99, 99)))
    rating.excellence = 99
    with pytest.raises(ValueError, match="never changes"):
        rating.save()
    with pytest.raises(ValueError, match="never deleted"):
        rating.delete()
    stored = Rating.objects.get(pk=rating.pk)
    assert stored.scores == {"excellence": 80, "difficulty": 70, "innovation": 60, "benefit": 50}
    assert events(EventType.PANEL_RATING_SUBMITTED) == 1


def test_only_the_assigned_expert_rates(pw) -> None:  # type: ignore[no-untyped-def]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[pw.experts["e1"]]
    )
    for someone in (pw.experts["e2"], pw.users["office"], pw.users["d1_head"]):
        with pytest.raises(PermissionDenied):
            services.submit_rating(assignment, acting_user=someone, scores=scores((1, 1, 1, 1)))
    assert not Rating.objects.exists()


def test_scores_out_of_range_are_refused_naming_the_dimension(pw) -> None:  # type: ignore[no-untyped-def]
    e1 = pw.experts["e1"]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[e1]
    )
    with pytest.raises(ValidationError) as refused:
        services.submit_rating(
            assignment,
            acting_user=e1,
            scores={"excellence": 101, "difficulty": "7.5", "innovation": "", "benefit": 50},
        )
    assert refused.value.message_dict == {
        "excellence": ["excellence (创优性): 101 is outside 0–100."],
        "difficulty": ["difficulty (攻坚性): a score is a whole number."],
        "innovation": ["innovation (创新性): give a score."],
    }
    assert not Rating.objects.exists()
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.OPEN


def test_a_closed_panel_takes_no_rating(pw) -> None:  # type: ignore[no-untyped-def]
    e1 = pw.experts["e1"]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[e1]
    )
    services.close_panel(pw.panel, acting_user=pw.users["office"], reason="评审结束")
    with pytest.raises(ValidationError, match="is closed"):
        services.submit_rating(assignment, acting_user=e1, scores=scores((80, 80, 80, 80)))
    closed = AuditEvent.objects.get(event_type=EventType.PANEL_CLOSED)
    assert closed.extra_data == {"unrated_assignments": 1} and closed.reason == "评审结束"


def test_only_approved_excellence_goals_of_the_cycle(pw) -> None:  # type: ignore[no-untyped-def]
    key_goal = pw.goals["D01"].goal_set.goals.filter(kind="key").first()
    with pytest.raises(ValidationError, match="is a key goal"):
        services.assign_goal(
            pw.panel, key_goal, acting_user=pw.users["office"], experts=[pw.experts["e1"]]
        )
    with pytest.raises(PermissionDenied):
        services.assign_goal(
            pw.panel,
            pw.goals["D01"],
            acting_user=pw.users["committee"],
            experts=[pw.experts["e1"]],
        )
    with pytest.raises(ValidationError, match="not an expert rater"):
        services.add_member(pw.panel, pw.users["d1_head"], acting_user=pw.users["office"])


# --- aggregation -----------------------------------------------------------------------------


def test_aggregation_equals_the_hand_computed_numbers_and_the_engine(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    results = selectors.panel_results(pw.panel, "en")
    by_unit = {g.item.unit.code: g for g in results.goals}
    d01 = by_unit["D01"]
    # excellence 90 85 80 70 95 → drop 95 and 70 → (90 + 85 + 80) / 3 = 85; and so on
    assert [d.score for d in d01.dimensions] == [85.0, 80.0, 75.0, 85.0]
    assert [(d.dropped_high, d.dropped_low) for d in d01.dimensions] == [
        (95.0, 70.0),
        (90.0, 70.0),
        (85.0, 60.0),
        (95.0, 70.0),
    ]
    assert d01.score == 81.25 and d01.ratings == 5
    # three ratings: the middle one is left
    assert [d.score for d in by_unit["DEPT_TJJ"].dimensions] == [70.0, 75.0, 80.0, 85.0]
    assert by_unit["DEPT_TJJ"].score == 77.5
    # two ratings: nothing dropped, the plain mean, and a note saying so
    d02 = by_unit["D02"]
    assert [d.score for d in d02.dimensions] == [90.0, 90.0, 85.0, 92.0]
    assert [d.trimmed for d in d02.dimensions] == [False] * 4
    assert d02.score == 89.25
    assert d02.notes[0] == (
        "excellence: only 2 ratings (fewer than 3), so no highest or lowest rating is dropped; "
        "plain mean"
    )

    # the same numbers straight from the engine, on the array built by hand
    order = [g.item.unit.code for g in results.goals]
    x = np.full((3, 5, 4), np.nan)
    for i, code in enumerate(order):
        for name, values in RATINGS[code].items():
            x[i, int(name[1]) - 1] = values
    engine = aggregate_panel(
        x, items=order, raters=[f"r{r}" for r in range(5)], score_range=(0, 100)
    )
    assert [g.score for g in results.goals] == engine.score.tolist()
    assert [r.outlying for r in results.raters] == engine.outlying.tolist()
    assert [r.mad for r in results.raters] == pytest.approx(engine.rater_mad.tolist())
    assert [lines for _label, lines in results.agreement] == [
        a.describe("en") for a in engine.agreement
    ]
    assert results.agreement[-1][0] == "weighted total"


def test_weights_and_the_default_rubric(pw) -> None:  # type: ignore[no-untyped-def]
    panel = services.create_panel(
        acting_user=pw.users["office"],
        cycle=pw.cycle,
        name_zh="加权评审",
        weights={"excellence": 4, "difficulty": 3, "innovation": 2, "benefit": 1},
    )
    assert selectors.weights_of(panel) == [4.0, 3.0, 2.0, 1.0]
    rubric = selectors.rubric_rows(panel, "zh")
    assert [row.code for row in rubric] == list(DIMS)
    assert [(b["low"], b["high"]) for b in rubric[0].bands] == [
        (90, 100),
        (75, 89),
        (60, 74),
        (0, 59),
    ]
    assert rubric[1].bands[0]["text"].startswith("需突破体制机制")
    with pytest.raises(ValidationError) as refused:
        services.create_panel(
            acting_user=pw.users["office"],
            cycle=pw.cycle,
            name_zh="坏评分标准",
            rubric={
                **{d: [{"low": 0, "high": 100, "zh": "全", "en": "all"}] for d in DIMS},
                "benefit": [{"low": 50, "high": 100, "zh": "高", "en": "high"}],
            },
        )
    assert refused.value.message_dict["rubric"] == ["benefit: the lowest band must start at 0."]


def test_every_office_action_and_rating_is_audited(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    assert events(EventType.PANEL_CREATED) == 1
    assert events(EventType.PANEL_MEMBER_ADDED) == 5
    assert events(EventType.PANEL_GOAL_ASSIGNED) == 3
    assert events(EventType.PANEL_RATING_SUBMITTED) == 10
    # city-level events: the trail of who rated what is not any unit's
    assert not AuditEvent.objects.filter(event_type__gte=1200, event_type__lt=1300).exclude(
        unit=None
    )
    rating = AuditEvent.objects.filter(event_type=EventType.PANEL_RATING_SUBMITTED).first()
    assert rating is not None and rating.acting_user.username.startswith("e")
