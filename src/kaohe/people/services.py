"""Every write of assessing people: the cycle's rule, the evaluations, a staff run, the unit
head's proposal of grades, the office's confirmation (an exception past the quota needs a
reason), and the reward pools.

Each service takes a keyword-only `acting_user`, checks scope (`restrict(user, "personnel")`
or the grant the step needs), runs in one transaction and writes its audit event inside it.
No one judges their own unit: the office member who confirms a unit's grades, or its reward
pool, may not belong to it. A refusal names its reason; bad input is refused whole, each
problem naming the row, the field and the rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine import EngineError, evaluate, load_scheme
from kaohe.engine.people import (
    STAFF_GRADES,
    RewardRule,
    StaffGradeRule,
    assign_staff_grades,
    check_proposal,
    split_pool,
    staff_quotas,
)
from kaohe.people.inputs import provenance, staff_inputs
from kaohe.people.models import (
    Dimension,
    PersonGrade,
    RatingSource,
    RewardPool,
    RewardShare,
    StaffGrade,
    StaffRating,
    StaffResult,
    StaffRule,
    StaffRun,
    UnitGrading,
)
from kaohe.people.rules import DEFAULT_COEFFICIENTS, DEFAULT_MINIMUMS, DEFAULT_SCHEME, INPUTS
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Person

Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    """A progress callback that drops the report (a run computed outside a job)."""


def _refuse_own_unit(user: Any, unit: Any) -> None:
    if unit.pk in access.own_unit_ids(user):
        raise PermissionDenied(
            _("No one judges their own unit: you belong to %(unit)s.") % {"unit": unit}
        )


def _check_office(user: Any) -> None:
    if not access.has_citywide(user, Action.ADMINISTER):
        raise PermissionDenied(_("Only the assessment office may do this."))


# --- the rule ------------------------------------------------------------------------------


def current_rule(cycle: Cycle) -> StaffRule | None:
    """The newest version of the cycle's rule (None before the office sets one)."""
    return StaffRule.objects.filter(cycle=cycle).order_by("-number").first()


def grade_rule(rule: StaffRule) -> StaffGradeRule:
    return StaffGradeRule(
        excellent_min=float(rule.excellent_min),
        competent_min=float(rule.competent_min),
        basic_min=float(rule.basic_min),
    )


def reward_rule(coefficients: Mapping[str, Any], score_weighted: bool) -> RewardRule:
    return RewardRule(
        **{code: float(coefficients[code]) for code in STAFF_GRADES},
        score_weighted=score_weighted,
    )


def _check_scheme(text: str) -> None:
    try:
        scheme = load_scheme(text)
    except EngineError as exc:
        raise ValidationError({"score_scheme": str(exc)}) from exc
    unknown = sorted(set(scheme.input_codes) - set(INPUTS))
    if unknown:
        raise ValidationError(
            {
                "score_scheme": _(
                    "The individual score may read only %(known)s; it reads %(unknown)s."
                )
                % {"known": ", ".join(INPUTS), "unknown": ", ".join(unknown)}
            }
        )


@transaction.atomic
def set_rule(
    cycle: Cycle,
    *,
    acting_user: Any,
    score_scheme: str = DEFAULT_SCHEME,
    minimums: Mapping[str, Any] | None = None,
    default_share: float | Decimal = Decimal("0.2"),
    coefficients: Mapping[str, Any] | None = None,
    score_weighted: bool = True,
    note: str = "",
) -> StaffRule:
    """A new version of the cycle's rule (the earlier ones stay: runs name the one they used)."""
    _check_office(acting_user)
    ensure_open(cycle)
    _check_scheme(score_scheme)
    mins = {**DEFAULT_MINIMUMS, **(minimums or {})}
    coefficients = {**DEFAULT_COEFFICIENTS, **(coefficients or {})}
    try:
        StaffGradeRule(*(float(mins[k]) for k in ("excellent", "competent", "basic")))
        reward_rule(coefficients, score_weighted)
        share = Decimal(str(default_share))
    except (ValueError, InvalidOperation) as exc:
        raise ValidationError(str(exc)) from exc
    if not Decimal(0) <= share <= Decimal(1):
        raise ValidationError({"default_share": _("The share must be between 0 and 1.")})
    number = (StaffRule.objects.filter(cycle=cycle).aggregate(n=Max("number"))["n"] or 0) + 1
    rule = StaffRule.objects.create(
        cycle=cycle,
        number=number,
        score_scheme=score_scheme,
        excellent_min=Decimal(str(mins["excellent"])),
        competent_min=Decimal(str(mins["competent"])),
        basic_min=Decimal(str(mins["basic"])),
        default_share=share,
        reward_coefficients={k: float(coefficients[k]) for k in STAFF_GRADES},
        score_weighted=score_weighted,
        note=note,
        created_by=acting_user,
    )
    audit.record(
        EventType.STAFF_RULE_SET,
        acting_user=acting_user,
        obj=rule,
        extra={"cycle": cycle.year, "version": number},
        reason=note,
    )
    return rule


# --- evaluations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingRow:
    """One evaluation as entered (a form row or a spreadsheet row)."""

    person: str  # the person's code
    source: str
    dimension: str
    score: Any
    raters: Any = 1
    row: int = 0  # the row of its file (a spreadsheet's), when it came from one


@transaction.atomic
def record_ratings(cycle: Cycle, rows: Sequence[RatingRow], *, acting_user: Any) -> int:
    """Store evaluations of people the acting user may assess (their unit's, or any for the
    office); all rows or none. Nobody enters an evaluation of themselves."""
    ensure_open(cycle)
    if not rows:
        raise BatchRejected([RowError(0, "rows", _("There is nothing to record."))])
    people = {
        p.code: p
        for p in Person.objects.restrict(acting_user, Action.PERSONNEL)
        .filter(code__in={r.person for r in rows})
        .select_related("unit")
    }
    if not access.has_citywide(acting_user, Action.PERSONNEL):
        # a civil servant sees their own record, but only a unit head assesses
        heads = access.unit_scope(acting_user, Action.SUBMIT)
        people = {code: p for code, p in people.items() if p.unit_id in heads}
    own = getattr(acting_user, "person", None)
    errors: list[RowError] = []
    parsed: list[tuple[Person, str, str, Decimal, int]] = []
    for index, row in enumerate(rows, start=1):
        number = row.row or index
        score_field = f"{row.source}.{row.dimension}" if row.row else "score"
        raters_field = f"{row.source}.raters" if row.row else "raters"
        person = people.get(row.person)
        if person is None:
            errors.append(
                RowError(
                    number,
                    "person",
                    _("No person %(code)s among the people you assess.") % {"code": row.person},
                )
            )
            continue
        if own is not None and own.pk == person.pk:
            errors.append(RowError(number, "person", _("Nobody evaluates themselves.")))
        if row.source not in RatingSource.values:
            errors.append(
                RowError(number, "source", _("Unknown source %(v)s.") % {"v": row.source})
            )
        if row.dimension not in Dimension.values:
            errors.append(
                RowError(number, "dimension", _("Unknown dimension %(v)s.") % {"v": row.dimension})
            )
        try:
            score = Decimal(str(row.score).strip())
            if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(number, score_field, _("A score is a number from 0 to 100.")))
            continue
        try:  # a spreadsheet gives 5.0 for 5
            count = Decimal(str(row.raters).strip())
            if not count.is_finite() or count != count.to_integral_value() or count < 1:
                raise InvalidOperation
            raters = int(count)
        except InvalidOperation:
            errors.append(RowError(number, raters_field, _("Raters is a whole number, 1 or more.")))
            continue
        parsed.append((person, row.source, row.dimension, score.quantize(Decimal("0.01")), raters))
    if errors:
        raise BatchRejected(errors)
    created = StaffRating.objects.bulk_create(
        [
            StaffRating(
                cycle=cycle,
                person=person,
                source=source,
                dimension=dimension,
                score=score,
                raters=raters,
                entered_by=acting_user,
            )
            for person, source, dimension, score, raters in parsed
        ]
    )
    audit.record(
        EventType.STAFF_RATINGS_RECORDED,
        acting_user=acting_user,
        extra={"cycle": cycle.year, "rows": len(created)},
    )
    return len(created)


# --- staff runs ----------------------------------------------------------------------------


@dataclass
class ComputedStaffRun:
    """A staff run computed and not yet stored (what the job's writer stores)."""

    cycle: Cycle
    rule: StaffRule
    snapshot_at: dt.datetime
    rows: list[dict[str, Any]]
    gradings: list[dict[str, Any]]
    fingerprint: str


def check_staff_run(cycle: Cycle, *, acting_user: Any) -> StaffRule:
    """The rule a staff run of the cycle would use; refused with the reason when none may run."""
    _check_office(acting_user)
    ensure_open(cycle)
    rule = current_rule(cycle)
    if rule is None:
        raise ValidationError(_("Set the cycle's rule for assessing people first."))
    return rule


def compute_staff_run(
    cycle: Cycle,
    *,
    acting_user: Any,
    snapshot_at: dt.datetime,
    progress: Progress = _no_progress,
) -> ComputedStaffRun:
    """Score every person of the assessed units as of `snapshot_at` (nothing written)."""
    rule = check_staff_run(cycle, acting_user=acting_user)
    progress(10, _("Reading the inputs"))
    inputs = staff_inputs(cycle, snapshot_at)
    if not inputs.people:
        raise ValidationError(_("No assessed unit has anyone to assess."))
    scheme = load_scheme(rule.score_scheme)
    progress(50, _("Scoring"))
    result = evaluate(scheme, inputs.table())
    scores = result.total_rounded
    unit_ids = sorted({p.unit_id for p in inputs.people})
    index_of = {u: i for i, u in enumerate(unit_ids)}
    unit_index = np.array([index_of[p.unit_id] for p in inputs.people], dtype=np.intp)
    headcounts = np.bincount(unit_index[~np.isnan(scores)], minlength=len(unit_ids))
    shares = np.full(len(unit_ids), np.nan)
    units = {p.unit_id: p.unit for p in inputs.people}
    for u, i in index_of.items():
        standing = inputs.standings.get(u)
        if standing is not None and standing.share is not None:
            shares[i] = standing.share
    default = float(rule.default_share)
    quotas = staff_quotas(shares, headcounts, default_share=default)
    suggested = assign_staff_grades(scores, unit_index, quotas, grade_rule(rule))
    progress(80, _("Explaining"))
    rows = []
    for i, person in enumerate(inputs.people):
        rows.append(
            {
                "person": person,
                "unit_id": person.unit_id,
                "score": None if np.isnan(scores[i]) else float(scores[i]),
                "rank": None if np.isnan(result.rank[i]) else int(result.rank[i]),
                "grade": STAFF_GRADES[suggested[i]] if suggested[i] >= 0 else "",
                "reason": str(result.reason[i] or ""),
                "inputs": provenance(inputs, i),
                "explanation": result.explain(person.code),
            }
        )
    gradings = []
    for u, i in index_of.items():
        standing = inputs.standings.get(u)
        gradings.append(
            {
                "unit": units[u],
                "unit_grade": "" if standing is None else standing.grade,
                "unit_grade_names": {} if standing is None else standing.grade_names,
                "share": Decimal(str(default if np.isnan(shares[i]) else shares[i])).quantize(
                    Decimal("0.001")
                ),
                "headcount": int(headcounts[i]),
                "quota": int(quotas[i]),
            }
        )
    return ComputedStaffRun(cycle, rule, snapshot_at, rows, gradings, inputs.fingerprint())


@transaction.atomic
def store_staff_run(computed: ComputedStaffRun, *, acting_user: Any) -> StaffRun:
    """Store a computed staff run, its results and each unit's grading (open for proposals)."""
    cycle = Cycle.objects.select_for_update().get(pk=computed.cycle.pk)
    ensure_open(cycle)
    number = (StaffRun.objects.filter(cycle=cycle).aggregate(n=Max("number"))["n"] or 0) + 1
    scored = sum(r["score"] is not None for r in computed.rows)
    run = StaffRun.objects.create(
        cycle=cycle,
        number=number,
        rule=computed.rule,
        snapshot_at=computed.snapshot_at,
        input_fingerprint=computed.fingerprint,
        people_scored=scored,
        people_not_scored=len(computed.rows) - scored,
        created_by=acting_user,
    )
    StaffResult.objects.bulk_create(
        [
            StaffResult(
                run=run,
                person=r["person"],
                unit_id=r["unit_id"],
                score=r["score"],
                rank_in_unit=r["rank"],
                suggested_grade=r["grade"],
                reason=r["reason"],
                inputs=r["inputs"],
                explanation=r["explanation"],
            )
            for r in computed.rows
        ]
    )
    UnitGrading.objects.bulk_create([UnitGrading(run=run, **g) for g in computed.gradings])
    audit.record(
        EventType.STAFF_RUN_STORED,
        acting_user=acting_user,
        obj=run,
        extra={"cycle": cycle.year, "run": number, "scored": scored, "rule": computed.rule.number},
    )
    return run


def run_staff_scoring(cycle: Cycle, *, acting_user: Any) -> StaffRun:
    """Compute and store a staff run now (the demo and tests; the pages queue a job)."""
    computed = compute_staff_run(cycle, acting_user=acting_user, snapshot_at=timezone.now())
    return store_staff_run(computed, acting_user=acting_user)


# --- grades --------------------------------------------------------------------------------


def _grading_arrays(grading: UnitGrading) -> tuple[list[StaffResult], np.ndarray, np.ndarray]:
    results = list(
        StaffResult.objects.filter(run=grading.run_id, unit=grading.unit_id)
        .select_related("person")
        .order_by("person__code")
    )
    scores = np.array([np.nan if r.score is None else r.score for r in results], dtype=float)
    return results, scores, np.zeros(len(results), dtype=np.intp)


def _problem_text(problem: Any, results: Sequence[StaffResult], grading: UnitGrading) -> str:
    names = "、".join(results[i].person.name for i in problem.people)
    numbers = problem.numbers
    if problem.code == "over_quota":
        return _(
            "%(unit)s may grade at most %(allowed)d people excellent (quota %(quota)d of "
            "%(headcount)d assessed, share %(share)s for a unit graded %(grade)s); "
            "%(proposed)d are proposed."
        ) % {
            "unit": grading.unit,
            "allowed": int(numbers["allowed"]),
            "quota": int(numbers["quota"]),
            "headcount": grading.headcount,
            "share": f"{float(grading.share):.0%}",
            "grade": grading.unit_grade_label or "—",
            "proposed": int(numbers["proposed"]),
        }
    if problem.code == "below_threshold":
        return _("%(names)s: a score of %(score)s does not reach %(grade)s (from %(min)s).") % {
            "names": names,
            "score": f"{numbers['score']:.2f}",
            "grade": StaffGrade(STAFF_GRADES[int(numbers["grade"])]).label,
            "min": f"{numbers['min']:g}",
        }
    if problem.code == "unscored":
        return _("%(names)s has no score and cannot be graded.") % {"names": names}
    return _("%(names)s: no grade proposed.") % {"names": names}


def _check_grades(
    grading: UnitGrading, grades: Mapping[int, str], *, allow_over_quota: bool
) -> tuple[list[StaffResult], list[str]]:
    """The unit's results and the problems of `grades` (person id → grade code)."""
    results, scores, unit_index = _grading_arrays(grading)
    unknown = [code for code in grades.values() if code not in STAFF_GRADES]
    if unknown:
        raise ValidationError(_("Unknown grade %(code)s.") % {"code": unknown[0]})
    proposed = np.array(
        [STAFF_GRADES.index(grades[r.person_id]) if r.person_id in grades else -1 for r in results],
        dtype=np.intp,
    )
    problems = check_proposal(
        proposed,
        scores,
        unit_index,
        np.array([grading.quota], dtype=np.intp),
        grade_rule(grading.run.rule),
    )
    texts = [
        _problem_text(p, results, grading)
        for p in problems
        if not (allow_over_quota and p.code == "over_quota")
    ]
    return results, texts


def _locked(grading: UnitGrading) -> UnitGrading:
    locked = (
        UnitGrading.objects.select_for_update()
        .select_related("run__rule", "run__cycle", "unit")
        .get(pk=grading.pk)
    )
    ensure_open(locked.run.cycle)
    return locked


@transaction.atomic
def propose_grades(
    grading: UnitGrading, grades: Mapping[int, str], *, acting_user: Any
) -> UnitGrading:
    """The unit head's proposal (person id → grade code) for every assessed person of the unit,
    within the unit's quota; refused whole, every problem named, otherwise."""
    grading = _locked(grading)
    access.check_unit(acting_user, Action.SUBMIT, grading.unit)
    access.check_unit(acting_user, Action.PERSONNEL, grading.unit)
    if grading.state == UnitGrading.State.CONFIRMED:
        raise ValidationError(_("The office has confirmed these grades; they no longer change."))
    results, problems = _check_grades(grading, grades, allow_over_quota=False)
    if problems:
        raise ValidationError(problems)
    PersonGrade.objects.filter(grading=grading).delete()  # a proposal, replaced whole
    PersonGrade.objects.bulk_create(
        [
            PersonGrade(
                grading=grading, person_id=r.person_id, result=r, proposed=grades[r.person_id]
            )
            for r in results
            if r.person_id in grades
        ]
    )
    grading.state = UnitGrading.State.PROPOSED
    grading.proposed_by = acting_user
    grading.proposed_at = timezone.now()
    grading.save(update_fields=["state", "proposed_by", "proposed_at", "updated_at"])
    counts = {code: list(grades.values()).count(code) for code in STAFF_GRADES}
    audit.record(
        EventType.STAFF_GRADES_PROPOSED,
        acting_user=acting_user,
        obj=grading,
        unit=grading.unit,
        extra={"counts": counts, "quota": grading.quota},
    )
    return grading


@transaction.atomic
def confirm_grades(
    grading: UnitGrading,
    *,
    acting_user: Any,
    changes: Mapping[int, str] | None = None,
    reason: str = "",
) -> UnitGrading:
    """The office confirms the head's proposal, with its own changes if any (person id → grade).
    More excellent than the quota allows is an exception: it needs a reason, and the audit
    event names it."""
    grading = _locked(grading)
    _check_office(acting_user)
    _refuse_own_unit(acting_user, grading.unit)
    if grading.state != UnitGrading.State.PROPOSED:
        raise ValidationError(_("Only a proposal of the unit head can be confirmed."))
    rows = {g.person_id: g for g in PersonGrade.objects.filter(grading=grading)}
    outside = sorted(set(changes or {}) - set(rows))
    if outside:
        names = "、".join(p.name for p in Person.objects.filter(pk__in=outside).order_by("code"))
        raise ValidationError(
            _("%(names)s: not among the people of this proposal.") % {"names": names or outside}
        )
    final = {pid: g.proposed for pid, g in rows.items()}
    final.update(changes or {})
    _results, problems = _check_grades(grading, final, allow_over_quota=True)
    if problems:
        raise ValidationError(problems)
    _results, with_quota = _check_grades(grading, final, allow_over_quota=False)
    exception = bool(with_quota)
    if exception and not reason.strip():
        raise ValidationError(
            [*with_quota, _("Grading past the quota is an exception: give the reason.")]
        )
    for pid, row in rows.items():
        row.final = final[pid]
    PersonGrade.objects.bulk_update(list(rows.values()), ["final"])
    grading.state = UnitGrading.State.CONFIRMED
    grading.confirmed_by = acting_user
    grading.confirmed_at = timezone.now()
    grading.exception_reason = reason.strip() if exception else ""
    grading.save(
        update_fields=["state", "confirmed_by", "confirmed_at", "exception_reason", "updated_at"]
    )
    changed = {
        str(pid): code for pid, code in (changes or {}).items() if rows[pid].proposed != code
    }
    audit.record(
        EventType.STAFF_GRADES_CONFIRMED,
        acting_user=acting_user,
        obj=grading,
        unit=grading.unit,
        extra={"changed": changed, "exception": exception, "quota": grading.quota},
        reason=reason.strip(),
    )
    return grading


@transaction.atomic
def return_grades(grading: UnitGrading, *, acting_user: Any, reason: str) -> UnitGrading:
    """The office sends a proposal back to the unit head, with the reason."""
    grading = _locked(grading)
    _check_office(acting_user)
    _refuse_own_unit(acting_user, grading.unit)
    if grading.state != UnitGrading.State.PROPOSED:
        raise ValidationError(_("Only a proposal of the unit head can be returned."))
    if not reason.strip():
        raise ValidationError(_("Say why the proposal goes back."))
    grading.state = UnitGrading.State.OPEN
    grading.save(update_fields=["state", "updated_at"])
    audit.record(
        EventType.STAFF_GRADES_RETURNED,
        acting_user=acting_user,
        obj=grading,
        unit=grading.unit,
        reason=reason.strip(),
    )
    return grading


# --- rewards -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardLine:
    """One person's line of a reward preview."""

    person: Person
    grade: str
    score: float | None
    coefficient: float
    amount_cents: int


def _confirmed_grades(grading: UnitGrading) -> list[PersonGrade]:
    return list(
        PersonGrade.objects.filter(grading=grading)
        .select_related("person", "result")
        .order_by("person__code")
    )


def reward_preview(pool: RewardPool) -> tuple[list[RewardLine], int]:
    """Each person's tier and amount if the pool were confirmed now, and what stays unpaid."""
    grades = _confirmed_grades(pool.grading)
    index = np.array([STAFF_GRADES.index(g.final) for g in grades], dtype=np.intp)
    scores = np.array(
        [np.nan if g.result.score is None else g.result.score for g in grades], dtype=float
    )
    rule = reward_rule(pool.coefficients, pool.score_weighted)
    split = split_pool(int(pool.amount_cents), index, scores, rule)
    lines = [
        RewardLine(g.person, g.final, g.result.score, rule.coefficients[index[i]], int(a))
        for i, (g, a) in enumerate(zip(grades, split.amounts.tolist(), strict=True))
    ]
    return lines, int(split.undistributed)


def _yuan_to_cents(amount: Any) -> int:
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValidationError(
            {"amount": _("The pool is an amount in yuan, 0 or more, to the fen (0.01).")}
        )
    return int(value * 100)


@transaction.atomic
def set_reward_pool(grading: UnitGrading, *, acting_user: Any, amount: Any) -> RewardPool:
    """The office sets (or changes, while a draft) the unit's reward pool for confirmed grades."""
    grading = _locked(grading)
    _check_office(acting_user)
    _refuse_own_unit(acting_user, grading.unit)
    if grading.state != UnitGrading.State.CONFIRMED:
        raise ValidationError(_("A reward pool follows confirmed grades."))
    cents = _yuan_to_cents(amount)
    rule = grading.run.rule
    pool = RewardPool.objects.filter(grading=grading).first()
    if pool is not None and pool.state == RewardPool.State.CONFIRMED:
        raise ValidationError(_("This reward pool is confirmed; it no longer changes."))
    if pool is None:
        pool = RewardPool(grading=grading)
    pool.amount_cents = cents
    pool.coefficients = rule.reward_coefficients
    pool.score_weighted = rule.score_weighted
    pool.save()
    audit.record(
        EventType.REWARD_POOL_SET,
        acting_user=acting_user,
        obj=pool,
        unit=grading.unit,
        extra={"amount_cents": cents},
    )
    return pool


@transaction.atomic
def confirm_reward_pool(pool: RewardPool, *, acting_user: Any) -> RewardPool:
    """Split the pool as previewed and store every share; confirmed once, never changed."""
    pool = RewardPool.objects.select_for_update().select_related("grading__unit").get(pk=pool.pk)
    _check_office(acting_user)
    _refuse_own_unit(acting_user, pool.grading.unit)
    if pool.state == RewardPool.State.CONFIRMED:
        raise ValidationError(_("This reward pool is confirmed already."))
    lines, undistributed = reward_preview(pool)
    if undistributed:
        raise ValidationError(
            _("Nobody of %(unit)s earns a share under the rule: the pool cannot be split.")
            % {"unit": pool.grading.unit}
        )
    RewardShare.objects.bulk_create(
        [
            RewardShare(
                pool=pool,
                person=line.person,
                grade=line.grade,
                score=line.score,
                coefficient=line.coefficient,
                amount_cents=line.amount_cents,
            )
            for line in lines
        ]
    )
    pool.state = RewardPool.State.CONFIRMED
    pool.confirmed_by = acting_user
    pool.confirmed_at = timezone.now()
    pool.save(update_fields=["state", "confirmed_by", "confirmed_at", "updated_at"])
    audit.record(
        EventType.REWARD_POOL_CONFIRMED,
        acting_user=acting_user,
        obj=pool,
        unit=pool.grading.unit,
        extra={"amount_cents": pool.amount_cents, "people": len(lines)},
    )
    return pool
