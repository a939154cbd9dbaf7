"""Jobs through the real database task backend: a scoring run asked for on its page runs in a
worker and links its run; the snapshot is the moment it was asked for; a lost worker's job is
queued again (or failed with "worker lost"); scope, the job pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kaohe.core import jobs
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Job
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.results import services
from kaohe.results.jobs import start_scoring_run
from kaohe.results.models import ScoringRun
from kaohe.schemes import services as schemes
from kaohe.testing.jobs import held_scoring_run, run_queued_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world):  # type: ignore[no-untyped-def]
    rows = [
        ValueRow(unit, code, "2025Y", value, reason="年报")
        for unit, values in (("D01", (5000, 7.0, 120)), ("D02", (3000, 5.0, 80)))
        for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
    ]
    record_observations(rows, acting_user=world.admin, source=Source.IMPORT)
    return schemes.publish_scheme_version(world.version, acting_user=world.admin)


def events(job: Job) -> list[tuple[int, str]]:
    return [
        (e.event_type, e.acting_user.username if e.acting_user else "")
        for e in AuditEvent.objects.filter(
            event_type__gte=900, object_id=str(job.pk), object_repr__startswith=job.kind
        ).order_by("id")
    ]


def test_the_run_page_queues_a_job_that_stores_the_run_and_links_it(  # type: ignore[no-untyped-def]
    world, published, client, django_capture_on_commit_callbacks
):
    client.force_login(world.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/results/runs/", {"version": published.pk, "node_code": "Y", "reason": ""}
        )
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.status, job.progress, job.requested_by, job.unit) == (
        "queued",
        0,
        world.users["office"],
        None,
    )
    assert str(DBTaskResult.objects.get().id) == job.task_result_id
    assert ScoringRun.objects.count() == 0  # nothing is computed in the request
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/progress/"' in page  # polls while unfinished

    assert run_queued_jobs() == 1
    job.refresh_from_db()
    run = ScoringRun.objects.get()
    assert (job.status, job.progress, job.message, job.attempts, job.error) == (
        "succeeded",
        100,
        "Done",
        1,
        "",
    )
    assert (job.result, job.result_url) == (run, f"/results/runs/{run.pk}/")
    assert run.created_by == world.users["office"] and run.units_scored == 2
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert events(job) == [
        (EventType.JOB_STARTED, "office"),
        (EventType.JOB_SUCCEEDED, "office"),
    ]
    assert AuditEvent.objects.filter(event_type=EventType.SCORING_RUN_CREATED).count() == 1
    done = client.get(f"/jobs/{job.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/results/runs/{run.pk}/"' in done and "hx-get" not in done
    assert "100%" in done and "Done" in done
    zh = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "完成" in zh
    again = client.get(
        f"/jobs/{job.pk}/progress/",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_IF_NONE_MATCH=client.get(f"/jobs/{job.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en")[
            "ETag"
        ],
    )
    assert again.status_code == 304


def test_the_snapshot_is_the_moment_the_run_was_asked_for(  # type: ignore[no-untyped-def]
    world, published, django_capture_on_commit_callbacks
):
    office = world.users["office"]
    with django_capture_on_commit_callbacks(execute=True):
        job = start_scoring_run(published, acting_user=office)
    asked = dt.datetime.fromisoformat(job.params["snapshot_at"])
    # a correction arriving while the job waits in the queue is not in its inputs
    record_observations(
        [ValueRow("D02", "gdp", "2025Y", 9000, reason="更正")],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    run_queued_jobs()
    run = ScoringRun.objects.get()
    assert run.snapshot_at == asked
    same = services.compute_scoring_run(published, acting_user=office, snapshot_at=asked)
    now = services.compute_scoring_run(published, acting_user=office)
    assert run.input_fingerprint == same.snapshot.fingerprint
    assert run.input_fingerprint != now.snapshot.fingerprint


def test_a_run_the_office_may_not_ask_for_is_refused_before_it_is_queued(world, published):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        start_scoring_run(published, acting_user=world.users["committee"])
    assert (Job.objects.count(), DBTaskResult.objects.count()) == (0, 0)


def _lost(job: Job, *, attempts: int, minutes_ago: int) -> Job:
    """The job as a worker that claimed it and died left it: running, silent since then."""
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=attempts,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
    DBTaskResult.objects.filter(id=job.task_result_id).update(status="RUNNING")
    job.refresh_from_db()
    return job


def test_a_job_whose_worker_fell_silent_is_queued_again_then_done(  # type: ignore[no-untyped-def]
    world, published, django_capture_on_commit_callbacks, settings
):
    settings.KAOHE_JOB_STALE_SECONDS = 120
    with django_capture_on_commit_callbacks(execute=True):
        lost = start_scoring_run(published, acting_user=world.users["office"])
        alive = start_scoring_run(published, acting_user=world.users["office"])
    lost = _lost(lost, attempts=1, minutes_ago=5)
    first_task = lost.task_result_id
    alive = _lost(alive, attempts=1, minutes_ago=1)  # beat within the timeout: left alone
    with django_capture_on_commit_callbacks(execute=True):
        recovery = jobs.recover_stale_jobs()
    assert (recovery.requeued, recovery.failed, recovery.resent) == ([lost.pk], [], [])
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert (lost.status, lost.attempts, lost.message) == (
        "queued",
        1,
        "Queued again: its worker was lost",
    )
    assert alive.status == "running"
    old = DBTaskResult.objects.get(id=first_task)
    assert (old.status, old.exception_class_path) == ("FAILED", "kaohe.core.jobs.WorkerLost")
    assert lost.task_result_id not in ("", first_task)
    assert events(lost)[-1] == (EventType.JOB_REQUEUED, "")

    assert run_queued_jobs() == 1  # the new task; the live job's task is not ready
    lost.refresh_from_db()
    assert (lost.status, lost.attempts, lost.result) == ("succeeded", 2, ScoringRun.objects.get())


def test_a_lost_job_with_no_attempt_left_fails_with_worker_lost(  # type: ignore[no-untyped-def]
    world, published, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_scoring_run(published, acting_user=world.users["office"])
    job = _lost(job, attempts=job.max_attempts, minutes_ago=60)
    recovery = jobs.recover_stale_jobs()
    assert (recovery.requeued, recovery.failed) == ([], [job.pk])
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == ("failed", "worker lost", 3)
    assert ScoringRun.objects.count() == 0
    assert events(job)[-1] == (EventType.JOB_FAILED, "")
    client.force_login(world.users["office"])
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "工作进程丢失" in page  # "worker lost", in the page's language


def test_a_queued_job_whose_task_never_reached_the_queue_is_sent_again(  # type: ignore[no-untyped-def]
    world, published, django_capture_on_commit_callbacks
):
    job = start_scoring_run(published, acting_user=world.users["office"])  # no commit: no task
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        recovery = jobs.recover_stale_jobs()
    assert recovery.resent == [job.pk]
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_an_attempt_taken_as_lost_writes_nothing(  # type: ignore[no-untyped-def]
    world, published, django_capture_on_commit_callbacks
):
    """A worker only slow, not dead, whose job was queued again meanwhile: its final write is
    refused, so the run is stored once, by the attempt that owns the job."""
    with django_capture_on_commit_callbacks(execute=True):
        job = start_scoring_run(published, acting_user=world.users["office"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1)
    slow = jobs.JobContext(Job.objects.get(pk=job.pk), attempt=1)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=2)  # taken over
    with pytest.raises(jobs.JobLost):
        slow.progress(50, "still here")
    assert ScoringRun.objects.count() == 0
    assert Job.objects.get(pk=job.pk).progress == 0


def test_jobs_are_scoped_to_who_asked_and_to_the_units_they_concern(  # type: ignore[no-untyped-def]
    world, client
):
    office, d1_head = world.users["office"], world.users["d1_head"]
    city = jobs.start_job(held_scoring_run, acting_user=office, kind="test.city")
    d1 = jobs.start_job(held_scoring_run, acting_user=office, kind="test.d1", unit=world.d1)
    own = jobs.start_job(held_scoring_run, acting_user=d1_head, kind="test.own", unit=world.d2)

    def visible(name: str) -> list[str]:
        return sorted(Job.objects.restrict(world.users[name]).values_list("kind", flat=True))

    assert visible("office") == ["test.city", "test.d1", "test.own"]
    assert visible("committee") == ["test.city", "test.d1", "test.own"]
    assert visible("d1_reporter") == ["test.d1"]
    assert visible("d1_head") == ["test.d1", "test.own"]  # its unit's, and its own elsewhere
    assert visible("d2_reporter") == ["test.own"]
    assert visible("nobody") == []
    client.force_login(world.users["d1_reporter"])
    assert client.get(f"/jobs/{city.pk}/").status_code == 404
    assert client.get(f"/api/v1/jobs/{city.pk}/").status_code == 404
    assert client.get(f"/jobs/{d1.pk}/").status_code == 200
    assert [j["id"] for j in client.get("/api/v1/jobs/").json()["results"]] == [d1.pk]
    client.force_login(d1_head)
    mine = client.get("/jobs/?mine=1").content.decode()
    assert f"/jobs/{own.pk}/" in mine and f"/jobs/{d1.pk}/" not in mine


def test_the_openapi_schema_describes_jobs_and_the_202s(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["office"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"/api/v1/jobs/", "/api/v1/jobs/{id}/", "/api/v1/jobs/{id}/retry/"} <= set(paths)
    for path in ("/api/v1/scoring-runs/", "/api/v1/target-suggestions/compute/"):
        assert list(paths[path]["post"]["responses"]) == ["202"], path
        ref = paths[path]["post"]["responses"]["202"]["content"]["application/json"]["schema"]
        assert ref == {"$ref": "#/components/schemas/Job"}
    assert list(paths["/api/v1/jobs/{id}/retry/"]["post"]["responses"]) == ["202"]
