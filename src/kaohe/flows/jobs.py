"""A large upload as a job: the page stores the file and queues it; a worker reads it and runs
its values through the pipeline (the same door, checks and messages as a small file inline).

The whole file is parsed and stored by the job's writer, in the one transaction that also marks
the job done, so a refused file stores nothing and the job fails with the problems named by row
and column (the first five, and how many in all)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from kaohe.core import jobs
from kaohe.core.models import Job
from kaohe.flows.uploads import ingest_file
from kaohe.observations.evidence import EvidenceFile
from kaohe.schemes.models import TimeNode

KIND = "flows.upload"


def _stored(name: str, data: bytes) -> str:
    suffix = PurePosixPath(name).suffix.lower()[:10]
    return default_storage.save(f"uploads/queued/{uuid.uuid4().hex}{suffix}", ContentFile(data))


def _read(path: str) -> bytes:
    with default_storage.open(path, "rb") as handle:
        return bytes(handle.read())


@jobs.job_task(title=gettext_lazy("Large upload"))
def ingest_queued_upload(context: jobs.JobContext) -> jobs.Writer:
    params = context.params
    node = TimeNode.objects.get(pk=params["node"])
    context.progress(5, gettext_noop("Reading the file"))
    data = _read(params["path"])
    evidence = [EvidenceFile(name, _read(path)) for name, path in params.get("evidence", [])]

    def write() -> jobs.Done:
        # A refused file raises BatchRejected: the job fails with its problems named.
        result = ingest_file(
            data,
            user=context.acting_user,
            node=node,
            file_name=params["file_name"],
            reason=params.get("reason", ""),
            evidence=evidence,
        )
        url = reverse("observations:upload") + f"?period={node.period}&batch={result.batch.pk}"
        return jobs.Done(result.batch, url)

    return write


def start_upload(
    data: bytes,
    *,
    user: Any,
    node: TimeNode,
    file_name: str,
    reason: str = "",
    evidence: list[EvidenceFile] | None = None,
) -> Job:
    """Keep the file (and its evidence) and queue it; returns the job. The file's rows decide
    the scope, checked by the job as they would be inline."""
    return jobs.start_job(
        ingest_queued_upload,
        acting_user=user,
        kind=KIND,
        label=file_name,
        params={
            "node": node.pk,
            "path": _stored(file_name, data),
            "file_name": file_name,
            "reason": reason,
            "evidence": [[e.name, _stored(e.name, e.data)] for e in evidence or []],
        },
        max_attempts=1,
    )
