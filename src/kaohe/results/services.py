"""Computing and publishing scoring runs. A run reads a frozen snapshot, calls the engine once,
and stores every unit's result, explanation and the exact inputs it used."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine import InputTable, evaluate, load_scheme
from kaohe.engine.errors import DataError
from kaohe.projects.offensives.inputs import provenance_text
from kaohe.results.inputs import Snapshot, build_snapshot
from kaohe.results.models import RunInput, ScoringRun, UnitResult
from kaohe.schemes.models import SchemeVersion
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Category, Unit


def scheme_units(category: Category) -> list[Unit]:
    """The assessed units a scheme for this category scores (its own and its sub-categories)."""
    return list(
        Unit.objects.filter(is_assessed=True, active=True)
        .filter(Q(category=category) | Q(category__parent=category))
        .select_related("category")
        .order_by("code")
    )


def previous_published_run(version: SchemeVersion) -> ScoringRun | None:
    """The published run of the previous cycle for the same category (for rank changes)."""
    scheme = version.scheme
    return (
        ScoringRun.objects.filter(
            category=scheme.category,
            cycle__year=scheme.cycle.year - 1,
            status=ScoringRun.Status.PUBLISHED,
        )
        .order_by("-number")
        .first()
    )


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _result_fingerprint(result: Any) -> str:
    digest = hashlib.sha256()
    for array in (result.total, result.rank):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    digest.update("|".join(map(str, result.grade)).encode())
    digest.update("|".join(";".join(f) for f in result.flags).encode())
    return digest.hexdigest()


Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    return None


@dataclass
class ComputedRun:
    """A scoring run computed from its frozen snapshot and not yet stored."""

    version: SchemeVersion
    moment: dt.datetime
    node_code: str
    reason: str
    units: list[Unit]
    scheme: Any
    snapshot: Snapshot
    result: Any
    previous: ScoringRun | None


def check_scoring_run(version: SchemeVersion, *, acting_user: Any, node_code: str) -> None:
    """Refuse a run the office may not ask for (before it is queued, and again when it runs)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(version.scheme.cycle)
    if version.status != SchemeVersion.Status.PUBLISHED:
        raise ValidationError(_("Only a published scheme version can be scored."))
    if not version.scheme.cycle.time_nodes.filter(code=node_code).exists():
        raise ValidationError(
            _("The cycle has no reporting period %(code)s.") % {"code": node_code}
        )


def _unscorable(exc: DataError) -> ValidationError:
    """A value the scheme cannot read (e.g. a grade its map lacks) stops the run, named."""
    return ValidationError(
        _("The recorded values cannot be scored by this scheme: %(detail)s") % {"detail": str(exc)}
    )


def compute_scoring_run(
    version: SchemeVersion,
    *,
    acting_user: Any,
    snapshot_at: dt.datetime | None = None,
    node_code: str = "Y",
    reason: str = "",
    progress: Progress = _no_progress,
) -> ComputedRun:
    """Read the snapshot and score it, writing nothing (a job reports `progress` meanwhile).
    The snapshot is the versions recorded up to `snapshot_at` (now when omitted): versions are
    never changed, so reading it outside the storing transaction gives the same inputs."""
    check_scoring_run(version, acting_user=acting_user, node_code=node_code)
    scheme_model = version.scheme
    cycle = scheme_model.cycle
    moment = snapshot_at or timezone.now()
    scheme = load_scheme(version.document)
    units = scheme_units(scheme_model.category)
    if not units:
        raise ValidationError(_("No assessed unit belongs to this category."))
    progress(10, gettext_noop("Reading the frozen inputs"))
    snapshot = build_snapshot(scheme, cycle, units, moment=moment, node_code=node_code)
    try:
        table = InputTable.build(
            units=[u.code for u in units],
            columns=snapshot.columns,
            categories=[u.category.code if u.category else "" for u in units],
            names=[u.name_zh for u in units],
            label_codes=scheme.label_codes,
            milestone_codes=scheme.milestone_codes,
        )
    except DataError as exc:
        raise _unscorable(exc) from None
    previous = previous_published_run(version)
    previous_ranks = (
        {
            code: int(rank)
            for code, rank in previous.results.values_list("unit__code", "rank")
            if rank is not None
        }
        if previous
        else None
    )
    progress(40, gettext_noop("Scoring every unit"))
    try:
        result = evaluate(
            scheme, table, previous_ranks=previous_ranks, robustness=scheme.robustness is not None
        )
    except DataError as exc:
        raise _unscorable(exc) from None
    progress(80, gettext_noop("Storing the results"))
    return ComputedRun(
        version, moment, node_code, reason, units, scheme, snapshot, result, previous
    )


@transaction.atomic
def run_scoring(
    version: SchemeVersion,
    *,
    acting_user: Any,
    snapshot_at: dt.datetime | None = None,
    node_code: str = "Y",
    reason: str = "",
) -> ScoringRun:
    """Score every unit of the scheme's category on the values recorded up to `snapshot_at`
    (now when omitted). The same snapshot gives the same results bit for bit."""
    computed = compute_scoring_run(
        version,
        acting_user=acting_user,
        snapshot_at=snapshot_at,
        node_code=node_code,
        reason=reason,
    )
    return store_scoring_run(computed, acting_user=acting_user)


@transaction.atomic
def store_scoring_run(computed: ComputedRun, *, acting_user: Any) -> ScoringRun:
    """Store a computed run, its unit results, its inputs and its audit event at once."""
    version, moment, node_code, reason = (
        computed.version,
        computed.moment,
        computed.node_code,
        computed.reason,
    )
    scheme_model = version.scheme
    cycle = scheme_model.cycle
    scheme, units, snapshot, result = (
        computed.scheme,
        computed.units,
        computed.snapshot,
        computed.result,
    )
    previous = computed.previous
    number = (
        ScoringRun.objects.select_for_update()
        .filter(cycle=cycle, category=scheme_model.category)
        .count()
        + 1
    )
    robust = result.robustness
    run = ScoringRun.objects.create(
        cycle=cycle,
        scheme_version=version,
        category=scheme_model.category,
        number=number,
        snapshot_at=moment,
        node_code=node_code,
        input_fingerprint=snapshot.fingerprint,
        result_fingerprint=_result_fingerprint(result),
        reason=reason,
        previous_run=previous,
        units_scored=int(np.sum(result.status == "scored")),
        units_not_scored=int(np.sum(result.status != "scored")),
        robustness={"draws": robust.draws, "seed": robust.seed} if robust is not None else {},
        created_by=acting_user,
    )
    provenance = {
        key: (f"v{cell.version_id}" if cell.version_id else f"derived:{cell.derived_from}")
        for key, cell in snapshot.cells.items()
        if cell.version_id or cell.derived_from
    }
    provenance.update(
        {
            key: provenance_text(cell.record.get("provenance"))
            for key, cell in snapshot.cells.items()
            if cell.record is not None
        }
    )
    node_ids = [node.id for node in scheme.root.walk()]
    rows = []
    for i, unit in enumerate(units):
        interval = {}
        if robust is not None:
            interval = {
                "p5": _number(robust.rank_p5[i]),
                "median": _number(robust.rank_median[i]),
                "p95": _number(robust.rank_p95[i]),
                "grade_probability": _number(robust.grade_probability[i]),
                "borderline": bool(robust.borderline[i]),
            }
        rank = _number(result.rank[i])
        previous_rank = _number(result.previous_rank[i])
        change = _number(result.rank_change[i])
        rows.append(
            UnitResult(
                run=run,
                unit=unit,
                category_code=result.categories[i],
                total=_number(result.total[i]),
                total_rounded=_number(result.total_rounded[i]),
                rank=int(rank) if rank is not None else None,
                previous_rank=int(previous_rank) if previous_rank is not None else None,
                rank_change=int(change) if change is not None else None,
                grade=str(result.grade[i]),
                status=str(result.status[i]),
                reason=str(result.reason[i] or ""),
                flags=list(result.flags[i]),
                nodes={nid: _number(result.node_value(scheme.node(nid))[i]) for nid in node_ids},
                robustness=interval,
                explanation=result.explain(unit.code, provenance),
            )
        )
    UnitResult.objects.bulk_create(rows)
    RunInput.objects.bulk_create(
        [
            RunInput(
                run=run,
                unit=unit,
                code=code,
                version_id=cell.version_id,
                value=cell.value,
                text=cell.text,
                derived_from=cell.derived_from,
                record=cell.record,
            )
            for unit in units
            for code in scheme.input_codes
            if (cell := snapshot.cells[(unit.code, code)])
        ],
        batch_size=2000,
    )
    audit.record(
        EventType.SCORING_RUN_CREATED,
        acting_user=acting_user,
        obj=run,
        reason=reason,
        extra={
            "scheme_version": version.pk,
            "scheme_fingerprint": version.fingerprint,
            "snapshot_at": moment.isoformat(),
            "node": node_code,
            "input_fingerprint": run.input_fingerprint,
            "result_fingerprint": run.result_fingerprint,
            "units_scored": run.units_scored,
            "units_not_scored": run.units_not_scored,
            "missing_indicators": snapshot.missing_indicators,
        },
    )
    return run


@transaction.atomic
def publish_scoring_run(run: ScoringRun, *, acting_user: Any, reason: str = "") -> ScoringRun:
    """Publish a run: it is frozen for good. A run replacing a published one is a correction
    and needs a reason; the old one is kept, marked superseded."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    run = ScoringRun.objects.select_for_update().select_related("cycle").get(pk=run.pk)
    ensure_open(run.cycle)
    if run.status != ScoringRun.Status.DRAFT:
        raise ValidationError(_("Only a draft run can be published."))
    published = list(
        ScoringRun.objects.select_for_update().filter(
            cycle=run.cycle, category=run.category, status=ScoringRun.Status.PUBLISHED
        )
    )
    reason = reason.strip() or run.reason.strip()
    if published and not reason:
        raise ValidationError(
            _("Results of this cycle are already published: a correction needs a reason.")
        )
    for old in published:
        old.status = ScoringRun.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
    run.status = ScoringRun.Status.PUBLISHED
    run.published_at = timezone.now()
    run.published_by = acting_user
    run.reason = reason
    run.supersedes = published[0] if published else None
    run.save()
    audit.record(
        EventType.SCORING_RUN_PUBLISHED,
        acting_user=acting_user,
        obj=run,
        reason=reason,
        extra={
            "result_fingerprint": run.result_fingerprint,
            "superseded": [old.pk for old in published],
        },
    )
    return run
