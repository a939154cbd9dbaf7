"""PDF reports of a run: a unit's diagnosis and the run's bulletin (通报), made by a job.

The PDF is HTML (a template of this app) laid out by WeasyPrint, whose text goes through Pango
and fontconfig: Chinese needs a CJK font installed on the machine (the project's setup installs
Debian's fonts-noto-cjk, see docs/operations.md). Without one every Chinese character would come
out as an empty box, so making a PDF is refused with that reason instead.

Who may ask: a diagnosis, whoever may open the unit's result page; a bulletin, the office, for a
published run. Who may download: the same, and anyone for the bulletin of a public run."""

from __future__ import annotations

import hashlib
from typing import Any

import weasyprint
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.fonts import CJK_FAMILIES, check_fonts
from kaohe.core.roles import Action
from kaohe.results import public, selectors
from kaohe.results.diagnosis import diagnose
from kaohe.results.models import Report, ScoringRun, UnitResult


def render_pdf(template: str, context: dict[str, Any]) -> tuple[bytes, int]:
    """Lay out a template as PDF: (bytes, pages)."""
    check_fonts()
    html = render_to_string(template, {**context, "fonts": CJK_FAMILIES, "made": timezone.now()})
    document = weasyprint.HTML(string=html).render()
    return document.write_pdf(), len(document.pages)


def diagnosis_result(user: Any, run_pk: int, code: str) -> UnitResult:
    """The unit result whose diagnosis `user` may read (404 otherwise, as for its page)."""
    run = selectors.visible_runs(user).filter(pk=run_pk).first()
    result = (
        UnitResult.objects.restrict(user)
        .select_related("unit", "run")
        .filter(run=run, unit__code=code)
        .first()
        if run is not None
        else None
    )
    if result is None:
        raise Http404
    return result


def bulletin_run(user: Any, run_pk: int) -> ScoringRun:
    """A published run whose bulletin the office asks for."""
    access.check_citywide(user, Action.ADMINISTER)
    run = selectors.visible_runs(user).filter(pk=run_pk).first()
    if run is None:
        raise Http404
    if run.status != ScoringRun.Status.PUBLISHED:
        raise ValidationError(_("A bulletin is made of a published run only."))
    return run


def diagnosis_pdf(user: Any, result: UnitResult) -> tuple[bytes, int]:
    run = result.run
    found = diagnose(user, run, result)
    history = selectors.unit_history(user, result)
    return render_pdf(
        "results/pdf/diagnosis.html",
        {"d": found, "run": run, "result": result, "history": history},
    )


def bulletin_pdf(run: ScoringRun) -> tuple[bytes, int]:
    return render_pdf("results/pdf/bulletin.html", {"b": public.bulletin(run), "run": run})


@transaction.atomic
def store_report(
    kind: str, run: ScoringRun, *, pdf: bytes, pages: int, acting_user: Any, unit: Any = None
) -> Report:
    """Keep a made PDF (never replaced: the next one is a new report)."""
    report = Report.objects.create(
        kind=kind,
        run=run,
        unit=unit,
        language=get_language() or "",
        content=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        byte_size=len(pdf),
        pages=pages,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit.record(
        EventType.REPORT_MADE,
        acting_user=acting_user,
        obj=report,
        unit=unit,
        extra={"kind": kind, "run": run.pk, "sha256": report.sha256, "pages": pages},
    )
    return report


def readable_reports(user: Any) -> QuerySet[Report]:
    """Reports `user` may download: diagnoses of results they may open, bulletins of runs
    they may see."""
    runs = selectors.visible_runs(user)
    diagnoses = Report.objects.filter(
        kind=Report.Kind.DIAGNOSIS,
        run__in=runs,
        unit__in=UnitResult.objects.restrict(user).values("unit"),
    )
    bulletins = Report.objects.filter(kind=Report.Kind.BULLETIN, run__in=runs)
    return (diagnoses | bulletins).select_related("run__cycle", "run__category", "unit")


def public_bulletin(run_pk: int) -> Report | None:
    """The latest bulletin PDF of a public run (None when none was made)."""
    return (
        Report.objects.filter(kind=Report.Kind.BULLETIN, run__in=public.public_runs(), run=run_pk)
        .select_related("run__cycle", "run__category")
        .order_by("-created_at", "-id")
        .first()
    )
