"""Target suggestions for every district as a job: asked for on the page, forecast by a worker;
a job that fails shows why and can be retried (by the office or who asked), audited."""

from __future__ import annotations

import pytest

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Job
from kaohe.goals.models import TargetSuggestion
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services
from kaohe.testing.jobs import run_queued_jobs

pytestmark = pytest.mark.django_db

GDP = {"D01": (1000, 1070, 1150, 1225), "D02": (700, 730, 772, 801)}


def test_a_failed_suggestion_job_shows_why_and_is_retried(  # type: ignore[no-untyped-def]
    gw, client, django_capture_on_commit_callbacks
):
    office = client
    office.force_login(gw.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        # the job works in the language of the page that asked for it
        response = office.post("/goals/targets/?cycle=2025", HTTP_ACCEPT_LANGUAGE="en")
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.unit, job.label) == ("goals.target_suggestions", None, "2025")
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    # no district has three years of history yet: the job fails with the reason
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error == "No district has three full years of values before 2025."
    page = office.get(f"/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No district has three full years of values before 2025." in page
    assert f'action="/jobs/{job.pk}/retry/"' in page

    # the committee sees the city-level job but may not retry it; a district does not see it
    client.force_login(gw.users["committee"])
    assert f"/jobs/{job.pk}/retry/" not in client.get(f"/jobs/{job.pk}/").content.decode()
    assert client.post(f"/jobs/{job.pk}/retry/").status_code == 403
    assert client.post(f"/api/v1/jobs/{job.pk}/retry/").status_code == 403
    client.force_login(gw.users["d1_head"])
    assert client.post(f"/jobs/{job.pk}/retry/").status_code == 404

    for year in (2021, 2022, 2023, 2024):
        scheme_services.create_cycle(acting_user=gw.admin, year=year)
    record_observations(
        [
            ValueRow(unit, "gdp", f"{2021 + i}Y", value)
            for unit, values in GDP.items()
            for i, value in enumerate(values)
        ],
        acting_user=gw.admin,
        source=Source.IMPORT,
    )
    client.force_login(gw.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"/api/v1/jobs/{job.pk}/retry/")
    assert retried.status_code == 202
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    retry_event = AuditEvent.objects.get(event_type=EventType.JOB_RETRIED)
    assert (retry_event.acting_user, retry_event.object_id, retry_event.reason) == (
        gw.users["office"],
        str(job.pk),
        "No district has three full years of values before 2025.",
    )
    assert [(c.before["status"], c.after["status"]) for c in retry_event.changes.all()] == [
        ("failed", "queued")
    ]
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts, job.result) == ("succeeded", "", 1, gw.cycle)
    assert job.result_url == "/goals/targets/?cycle=2025"
    assert TargetSuggestion.objects.filter(cycle=gw.cycle, indicator__code="gdp").count() == 2
    assert client.post(f"/api/v1/jobs/{job.pk}/retry/").status_code == 400  # not failed


def test_the_api_queues_suggestions_for_the_office_only(  # type: ignore[no-untyped-def]
    gw, client, django_capture_on_commit_callbacks
):
    client.force_login(gw.users["d1_head"])
    assert client.post("/api/v1/target-suggestions/compute/", {"cycle": 2025}).status_code == 403
    client.force_login(gw.users["office"])
    assert client.post("/api/v1/target-suggestions/compute/", {"cycle": 1999}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            "/api/v1/target-suggestions/compute/", {"cycle": 2025}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert queued.status_code == 202
    assert queued["Location"].endswith(f"/api/v1/jobs/{Job.objects.get().pk}/")
    assert queued.json()["title"] == "Target suggestions for every district"
