"""Jobs: long work (a scoring run, target suggestions for every unit) run by `kaohe worker`.

An app declares its job with `@job_task(title=…)` over a *work function* in its own `jobs.py`.
The work function reads and computes, reporting progress as it goes (each report is its own
short autocommit write, so the web process sees it at once and SQLite's one writer is never held
for long), and returns a *writer*: the function that writes the result. The writer runs in one
transaction together with the job's "succeeded" mark and its audit event, after checking that
this attempt still owns the job, so a job is never half-written and never written twice.

Django's Tasks API (django-tasks with the django-tasks-db backend) queues and runs the work; it
has no heartbeat, no recovery of a task whose worker died and no progress, which this module
adds: a running job beats its heart from a thread, and `recover_stale_jobs` queues a job whose
worker fell silent again (or fails it with "worker lost" once its attempts are used up).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Job
from kaohe.core.roles import Action

logger = logging.getLogger(__name__)

# Step messages are stored untranslated (msgids) and translated where they are shown.
STARTED = gettext_noop("Started")
DONE = gettext_noop("Done")
QUEUED_AGAIN = gettext_noop("Queued again: its worker was lost")
WORKER_LOST = gettext_noop("worker lost")


@dataclass(frozen=True)
class Done:
    """What a job's writer produced: the object to link, and the page that shows it."""

    obj: models.Model | None = None
    url: str = ""


Writer = Callable[[], Done]


class JobLost(Exception):
    """This attempt no longer owns its job (it was taken as lost and queued again)."""


class WorkerLost(Exception):
    """The exception recorded on a task result whose worker died while running it."""


@dataclass
class JobContext:
    """What a work function gets: the job's parameters, who asked, and `progress()`."""

    job: Job
    attempt: int
    params: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.params = dict(self.job.params)

    @property
    def acting_user(self) -> Any:
        return self.job.requested_by

    def progress(self, percent: int, message: str = "") -> None:
        """Record how far the work is (0–100) with a short step message (a msgid, e.g. from
        `gettext_noop`); also a heartbeat. Raises JobLost if another attempt took the job."""
        updated = _owned(self.job.pk, self.attempt).update(
            progress=max(0, min(100, int(percent))),
            message=str(message)[:255],
            heartbeat_at=timezone.now(),
        )
        if not updated:
            raise JobLost(self.job.pk)


Work = Callable[[JobContext], Writer]

_TITLES: dict[str, str | Promise] = {}


def job_task(*, title: str | Promise) -> Callable[[Work], Task[[int], None]]:
    """Make a work function a queued task (module level, in the app's `jobs.py`). The task
    takes the job's id; start it with `start_job(<task>, …)`."""

    def decorate(work: Work) -> Task[[int], None]:
        @functools.wraps(work)
        def runner(job_id: int) -> None:
            execute(job_id, work)

        queued: Task[[int], None] = task()(runner)
        _TITLES[queued.module_path] = title
        return queued

    return decorate


def job_title(job: Job) -> str:
    """The job's kind in words (the title its `job_task` declared)."""
    if job.task_path not in _TITLES:
        with contextlib.suppress(ImportError):
            import_string(job.task_path)  # importing the app's jobs module declares the title
    return str(_TITLES.get(job.task_path, job.kind))


def _owned(job_id: int, attempt: int) -> models.QuerySet[Job]:
    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt)


def _enqueue_on_commit(job: Job, queued: Task[[int], None]) -> None:
    def enqueue() -> None:
        result = queued.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))

    transaction.on_commit(enqueue)


def _task_of(job: Job) -> Task[[int], None]:
    found = import_string(job.task_path)
    if not isinstance(found, Task):
        raise ValidationError(_("This job's work can no longer be found."))
    return found


@transaction.atomic
def start_job(
    queued: Task[[int], None],
    *,
    acting_user: Any,
    kind: str,
    label: str = "",
    unit: Any = None,
    params: dict[str, Any] | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Record a job and queue its task once this transaction commits. The caller checks that
    `acting_user` may ask for the work; the work checks again when it runs."""
    job = Job.objects.create(
        kind=kind,
        label=label[:255],
        task_path=queued.module_path,
        params=audit._jsonable(params or {}),
        language=translation.get_language() or "",
        requested_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        unit=unit,
        max_attempts=max_attempts or settings.KAOHE_JOB_MAX_ATTEMPTS,
    )
    audit.record(
        EventType.JOB_STARTED,
        acting_user=acting_user,
        obj=job,
        unit=unit,
        extra={"kind": kind, "label": job.label, "params": job.params},
    )
    _enqueue_on_commit(job, queued)
    return job


@transaction.atomic
def retry_job(job: Job, *, acting_user: Any) -> Job:
    """Queue a failed job again with a fresh count of attempts (the office, or who asked)."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not (
        (job.requested_by_id is not None and job.requested_by_id == acting_user.pk)
        or access.has_citywide(acting_user, Action.ADMINISTER)
    ):
        raise PermissionDenied("retry: only the office or the one who asked")
    if job.status != Job.Status.FAILED:
        raise ValidationError(_("Only a failed job can be retried."))
    queued = _task_of(job)
    before = audit.snapshot(job, ["status", "attempts", "error"])
    job.status = Job.Status.QUEUED
    job.attempts = 0
    job.progress = 0
    job.message = ""
    job.error = ""
    job.heartbeat_at = None
    job.finished_at = None
    job.task_result_id = ""
    job.save()
    audit.record(
        EventType.JOB_RETRIED,
        acting_user=acting_user,
        obj=job,
        unit=job.unit,
        reason=before["error"],
        changes=[audit.updated(job, before)],
    )
    _enqueue_on_commit(job, queued)
    return job


# --- in the worker ------------------------------------------------------------------------


class _Heartbeat(threading.Thread):
    """Marks the running attempt alive every few seconds, whatever the work is doing."""

    def __init__(self, job_id: int, attempt: int) -> None:
        super().__init__(name=f"kaohe-job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.attempt = job_id, attempt
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.KAOHE_JOB_HEARTBEAT_SECONDS):
                try:
                    _owned(self.job_id, self.attempt).update(heartbeat_at=timezone.now())
                except DatabaseError:  # e.g. SQLite busy with the job's final write
                    logger.warning("job %s: heartbeat not written this time", self.job_id)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def _claim(job_id: int) -> Job | None:
    """Mark a queued job running for a new attempt; None when it is not queued any more."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != Job.Status.QUEUED:
            return None
        now = timezone.now()
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.progress = 0
        job.message = STARTED
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save()
    return job


def _finish(job: Job, attempt: int, writer: Writer) -> None:
    """Write the result and mark the job done, in one transaction, if this attempt owns it."""
    with transaction.atomic():
        current = Job.objects.select_for_update().filter(pk=job.pk).first()
        if current is None or current.status != Job.Status.RUNNING or current.attempts != attempt:
            raise JobLost(job.pk)
        done = writer()
        now = timezone.now()
        current.status = Job.Status.SUCCEEDED
        current.progress = 100
        current.message = DONE
        current.heartbeat_at = now
        current.finished_at = now
        if done.obj is not None:
            current.result_type = ContentType.objects.get_for_model(done.obj)
            current.result_id = str(done.obj.pk)
        current.result_url = done.url[:300]
        current.save()
        audit.record(
            EventType.JOB_SUCCEEDED,
            acting_user=current.requested_by,
            obj=current,
            unit=current.unit,
            extra={"result": str(done.obj) if done.obj is not None else "", "attempt": attempt},
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return _("Not allowed: %(detail)s") % {"detail": exc} if str(exc) else _("Not allowed.")
    return f"{type(exc).__name__}: {exc}"


def _fail(job: Job, attempt: int, reason: str) -> None:
    with transaction.atomic():
        current = Job.objects.select_for_update().filter(pk=job.pk).first()
        if current is None or current.status != Job.Status.RUNNING or current.attempts != attempt:
            return
        current.status = Job.Status.FAILED
        current.error = reason
        current.finished_at = timezone.now()
        current.save()
        audit.record(
            EventType.JOB_FAILED,
            acting_user=None,
            obj=current,
            unit=current.unit,
            reason=reason,
            extra={"attempt": attempt},
        )


def execute(job_id: int, work: Work) -> None:
    """Run one attempt of a job (called by its task in the worker). Work that raises fails the
    job with the reason (a retry by hand is the way on); a lost attempt writes nothing."""
    job = _claim(job_id)
    if job is None:
        return
    attempt = job.attempts
    heartbeat = _Heartbeat(job.pk, attempt)
    heartbeat.start()
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            try:
                writer = work(JobContext(job, attempt))
                _finish(job, attempt, writer)
            except JobLost:
                logger.warning(
                    "job %s: attempt %s was taken as lost; nothing written", job_id, attempt
                )
            except (ValidationError, PermissionDenied) as exc:
                _fail(job, attempt, _reason(exc))
            except Exception as exc:
                _fail(job, attempt, _reason(exc))
                raise  # the task result keeps the traceback
    finally:
        heartbeat.stop()


@dataclass(frozen=True)
class Recovery:
    requeued: list[int]
    failed: list[int]
    resent: list[int]


def _close_lost_task(job: Job, now: dt.datetime) -> None:
    if job.task_result_id:
        # django-tasks-db leaves the task of a killed worker RUNNING for good: close it
        DBTaskResult.objects.filter(id=job.task_result_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=WORKER_LOST,
        )


@transaction.atomic
def recover_stale_jobs(
    *, now: dt.datetime | None = None, stale_seconds: int | None = None
) -> Recovery:
    """Take every running job whose heartbeat is older than the timeout as lost: queue it again
    while attempts remain, else fail it with "worker lost". A queued job whose task never
    reached the queue (the web process died at the commit) is sent again."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=stale_seconds or settings.KAOHE_JOB_STALE_SECONDS)
    stale = Job.objects.select_for_update(skip_locked=True).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), status=Job.Status.RUNNING
    )
    requeued, failed = [], []
    for job in stale.order_by("id"):
        _close_lost_task(job, now)
        if job.attempts < job.max_attempts:
            job.status = Job.Status.QUEUED
            job.progress = 0
            job.message = QUEUED_AGAIN
            job.task_result_id = ""
            job.save()
            audit.record(
                EventType.JOB_REQUEUED,
                acting_user=None,
                obj=job,
                unit=job.unit,
                reason=WORKER_LOST,
                extra={"attempts": job.attempts, "max_attempts": job.max_attempts},
            )
            _enqueue_on_commit(job, _task_of(job))
            requeued.append(job.pk)
        else:
            job.status = Job.Status.FAILED
            job.error = WORKER_LOST
            job.finished_at = now
            job.save()
            audit.record(
                EventType.JOB_FAILED,
                acting_user=None,
                obj=job,
                unit=job.unit,
                reason=WORKER_LOST,
                extra={"attempts": job.attempts, "max_attempts": job.max_attempts},
            )
            failed.append(job.pk)
    resent = []
    orphans = Job.objects.select_for_update(skip_locked=True).filter(
        status=Job.Status.QUEUED, task_result_id="", updated_at__lt=cutoff
    )
    for job in orphans.order_by("id"):
        _enqueue_on_commit(job, _task_of(job))
        resent.append(job.pk)
    return Recovery(requeued, failed, resent)
