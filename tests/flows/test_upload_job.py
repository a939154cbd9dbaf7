"""A file above the inline limit is read by a worker: the page queues a job and links it; the
job stores every value through the same door, or fails naming the problems and stores nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from kaohe.core.models import Job
from kaohe.flows.jobs import KIND
from kaohe.observations.excel import DATA_SHEET
from kaohe.observations.models import IngestionBatch, Observation
from kaohe.testing.jobs import run_queued_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limit(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Every file counts as large, and the kept file lies on a real disk."""
    settings.KAOHE_UPLOAD_INLINE_BYTES = 100
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def bureau(world) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["stats_reporter"])
    return client


def workbook(client: Client, values: dict[tuple[str, str], object]) -> bytes:
    response = client.get("/observations/upload/?period=2025Q3&template=1")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[DATA_SHEET]
    header = {cell.value: cell.column for cell in sheet[2] if cell.value}
    rows = {sheet.cell(row=r, column=1).value: r for r in range(4, sheet.max_row + 1)}
    for (unit, code), value in values.items():
        sheet.cell(row=rows[unit], column=header[code], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client: Client, data: bytes, capture) -> str:  # type: ignore[no-untyped-def]
    file = SimpleUploadedFile("tjj-2025Q3.xlsx", data)
    with capture(execute=True):  # the job is queued when the request's transaction commits
        response = client.post("/observations/upload/", {"period": "2025Q3", "file": file})
    return response.content.decode()


def test_a_large_file_is_queued_then_stored_by_the_worker(  # type: ignore[no-untyped-def]
    world, django_capture_on_commit_callbacks
):
    client = bureau(world)
    values = {("D01", "gdp"): 1900.5, ("D02", "gdp"): 1400}
    page = send(client, workbook(client, values), django_capture_on_commit_callbacks)
    job = Job.objects.get(kind=KIND)
    assert f"/jobs/{job.pk}/" in page
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()  # not yet
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    batch = IngestionBatch.objects.get()
    assert (job.status, job.progress, job.result) == (Job.Status.SUCCEEDED, 100, batch)
    assert (batch.sender, batch.created, batch.file_name) == (
        world.users["stats_reporter"],
        2 + batch.derived,
        "tjj-2025Q3.xlsx",
    )
    stored = Observation.objects.get(
        unit__code="D01", indicator__code="gdp", time_node__period="2025Q3"
    )
    assert float(stored.value) == 1900.5
    result = client.get(job.result_url).content.decode()
    assert "1,900.50" in result or "1900.50" in result
    other = Client()
    other.force_login(world.users["d2_reporter"])
    assert other.get(job.result_url).status_code == 404


def test_a_refused_large_file_fails_its_job_and_stores_nothing(  # type: ignore[no-untyped-def]
    world, django_capture_on_commit_callbacks
):
    client = bureau(world)
    values = {("D01", "gdp"): 1900.5, ("D02", "gdp"): "一千四"}
    send(client, workbook(client, values), django_capture_on_commit_callbacks)
    run_queued_jobs()
    job = Job.objects.get(kind=KIND)
    assert job.status == Job.Status.FAILED
    assert "row 5" in job.error and "一千四" in job.error
    assert not IngestionBatch.objects.exists()
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
