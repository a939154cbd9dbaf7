"""Serving an evidence file to those who may see a value it supports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest

from kaohe.observations.models import Evidence, ObservationVersion

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv",
    "txt": "text/plain",
}


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as an attachment, if the user sent its batch or may see one of its values;
    404 otherwise (as for any object out of scope)."""
    evidence = Evidence.objects.select_related("batch").filter(pk=pk).first()
    if evidence is None:
        raise Http404
    visible = evidence.batch.sender_id == request.user.pk or (
        ObservationVersion.objects.restrict(request.user).filter(Q(batch=evidence.batch)).exists()
    )
    if not visible:
        raise Http404
    suffix = evidence.name.rsplit(".", 1)[-1].lower() if "." in evidence.name else ""
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.name,
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
