"""Running queued jobs in tests through the real database backend, and a scoring job that
stops inside its final write (for the test that kills a worker there)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kaohe.core import jobs
from kaohe.results import services
from kaohe.schemes.models import SchemeVersion


def run_queued_jobs(*, limit: int = 100) -> int:
    """Run every queued task in this process with django-tasks-db's own `run_task`, as
    `kaohe worker --batch` would (without its connection handling, so it works inside a test's
    transaction). Returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        found = DBTaskResult.objects.ready().filter(backend_name="default").first()
        if found is None:
            break
        found.claim("test-worker")
        worker.run_task(found)
        ran += 1
    return ran


@jobs.job_task(title="Scoring run (held at its final write)")
def held_scoring_run(context: jobs.JobContext) -> jobs.Writer:
    """A real scoring run that, on the attempts listed in `hold_attempts`, writes its rows and
    then waits forever inside the final transaction, after touching the file `params["at"]`."""
    params = context.params
    version = SchemeVersion.objects.get(pk=params["version"])
    computed = services.compute_scoring_run(
        version,
        acting_user=context.acting_user,
        snapshot_at=dt.datetime.fromisoformat(params["snapshot_at"]),
        progress=context.progress,
    )

    def write() -> jobs.Done:
        run = services.store_scoring_run(computed, acting_user=context.acting_user)
        if context.attempt in params["hold_attempts"]:
            Path(params["at"]).touch()
            while True:  # until the test kills this worker
                time.sleep(0.05)
        return jobs.Done(run, reverse("results:run", kwargs={"pk": run.pk}))

    return write
