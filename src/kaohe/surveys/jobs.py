"""A large batch's code sheet (PDF) or QR codes (ZIP of PNGs), laid out by a job.

Checked when asked for and again when the job runs (the asking user must still run surveys);
the made file is kept in the media storage (`surveys.sheets.store`) and the job links the
batch's download, which then answers from the stored file."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from kaohe.core import access, jobs
from kaohe.core.models import Job
from kaohe.core.roles import Action
from kaohe.surveys import sheets
from kaohe.surveys.models import CodeBatch

KIND = "surveys.code_sheet"
LAYING_OUT = gettext_noop("Laying out the access codes")


def download_url(batch: CodeBatch, what: str) -> str:
    name = "surveys:batch_pdf" if what == "pdf" else "surveys:batch_zip"
    return reverse(name, kwargs={"pk": batch.pk})


@jobs.job_task(title=gettext_lazy("Access codes for printing"))
def make_code_sheet(context: jobs.JobContext) -> jobs.Writer:
    params = context.params
    access.check_citywide(context.acting_user, Action.SURVEY)
    batch = CodeBatch.objects.select_related("survey", "group").get(pk=params["batch"])
    context.progress(5, LAYING_OUT)
    content = sheets.make(
        batch, params["what"], params["base"], lambda p: context.progress(p, LAYING_OUT)
    )

    def write() -> jobs.Done:
        sheets.store(batch, params["what"], params["base"], content, params["language"])
        return jobs.Done(batch, download_url(batch, params["what"]))

    return write


def start_code_sheet(batch: CodeBatch, what: str, *, base: str, acting_user: Any) -> Job:
    """Queue the sheet (`what="pdf"`) or the PNGs (`"zip"`) of a batch; returns the job."""
    access.check_citywide(acting_user, Action.SURVEY)
    if what not in sheets.KINDS:
        raise ValidationError(_("Ask for the sheet (pdf) or the QR codes (zip)."))
    if what == "pdf":
        sheets.check_fonts()
    return jobs.start_job(
        make_code_sheet,
        acting_user=acting_user,
        kind=KIND,
        label=f"{batch.survey} · {batch.group.code} · {batch.size} · {what}",
        params={
            "batch": batch.pk,
            "what": what,
            "base": base,
            "language": get_language() or "",
        },
    )
