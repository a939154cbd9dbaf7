"""Evidence files: checked before anything is stored, kept with the batch's values, shown in a
value's history and served only to those who may see the values."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.flows.ingest import ingest
from kaohe.observations.evidence import MAX_FILES, EvidenceFile
from kaohe.observations.models import Evidence, IngestionBatch, Observation, ObservationVersion
from kaohe.observations.services import ValueRow

pytestmark = pytest.mark.django_db

# A complete one-page PDF (header, catalog, pages, page, xref, trailer).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n165\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Files on a real disk (the test settings otherwise keep files in memory)."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def send(world, files, value="1300"):  # type: ignore[no-untyped-def]
    return ingest(
        [ValueRow("D01", "gdp", "2025Q3", value)],
        acting_user=world.users["d1_reporter"],
        source="form",
        evidence=files,
    )


def test_evidence_is_kept_with_the_batch_and_audited(world, media):  # type: ignore[no-untyped-def]
    result = send(world, [EvidenceFile("统计快报-2025Q3.pdf", PDF)])
    evidence = Evidence.objects.get()
    assert (evidence.batch, evidence.name, evidence.size) == (
        result.batch,
        "统计快报-2025Q3.pdf",
        len(PDF),
    )
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (media / evidence.file.name).read_bytes() == PDF
    version = ObservationVersion.objects.get(observation__time_node__period="2025Q3")
    assert list(version.batch.evidence.all()) == [evidence]
    event = AuditEvent.objects.get(event_type=EventType.EVIDENCE_ATTACHED)
    assert event.extra_data["files"] == [["统计快报-2025Q3.pdf", evidence.sha256, len(PDF)]]
    with pytest.raises(ValueError):
        evidence.save()


@pytest.mark.parametrize(
    ("name", "data", "rule"),
    [
        ("report.pdf", b"MZ\x90\x00 a renamed program", "the content is not a .pdf file"),
        ("report.exe", b"MZ\x90\x00", "not an accepted type"),
        ("empty.pdf", b"", "the evidence file is empty"),
        ("notes.txt", b"\x00\x01\x02\xff\xfe", "the content is not a .txt file"),
    ],
)
def test_bad_evidence_refuses_the_batch_and_stores_nothing(world, media, name, data, rule):  # type: ignore[no-untyped-def]
    with pytest.raises(BatchRejected) as refused:
        send(world, [EvidenceFile(name, data)])
    (error,) = refused.value.errors
    assert (error.field, error.value) == ("evidence", name) and error.rule.startswith(rule)
    assert not IngestionBatch.objects.exists() and not Evidence.objects.exists()
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    assert not list(media.rglob("*.*"))


def test_too_many_files_are_refused(world):  # type: ignore[no-untyped-def]
    files = [EvidenceFile(f"{i}.pdf", PDF) for i in range(MAX_FILES + 1)]
    with pytest.raises(BatchRejected):
        send(world, files)
    assert not Evidence.objects.exists()


def test_history_links_the_file_and_only_those_in_scope_get_it(world):  # type: ignore[no-untyped-def]
    send(world, [EvidenceFile("快报.pdf", PDF)])
    evidence = Evidence.objects.get()
    observation = Observation.objects.get(time_node__period="2025Q3")
    own, other, office = Client(), Client(), Client()
    own.force_login(world.users["d1_reporter"])
    other.force_login(world.users["d2_reporter"])
    office.force_login(world.users["office"])
    history = own.get(f"/observations/{observation.pk}/history/").content.decode()
    assert f"/observations/evidence/{evidence.pk}/" in history and "快报.pdf" in history
    download = office.get(f"/observations/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert other.get(f"/observations/evidence/{evidence.pk}/").status_code == 404
    assert own.get(f"/observations/evidence/{evidence.pk + 99}/").status_code == 404


def test_the_unit_form_takes_evidence_and_refuses_a_bad_file_whole(world):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(world.users["d1_reporter"])
    refused = client.post(
        "/observations/units/D01/?period=2025Q3",
        {
            "period": "2025Q3",
            "value-gdp": "1300",
            "evidence": SimpleUploadedFile("快报.pdf", b"MZ not a pdf"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "快报.pdf" in refused.content.decode()
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    assert not Evidence.objects.exists()
    client.post(
        "/observations/units/D01/?period=2025Q3",
        {"period": "2025Q3", "value-gdp": "1300", "evidence": SimpleUploadedFile("快报.pdf", PDF)},
    )
    evidence = Evidence.objects.get()
    assert evidence.batch.source == "form" and evidence.name == "快报.pdf"
    assert Observation.objects.get(time_node__period="2025Q3").value == 1300


def test_the_api_takes_evidence_beside_json_rows_and_lists_it(world):  # type: ignore[no-untyped-def]
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(world.users["d1_reporter"])
    rows = [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1300}]
    bad = client.post(
        "/api/v1/observations/",
        {"rows": json.dumps(rows), "evidence": SimpleUploadedFile("a.pdf", b"MZ")},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "evidence"
    assert not Evidence.objects.exists()
    assert client.post("/api/v1/observations/", {"rows": "[oops"}).status_code == 400
    good = client.post(
        "/api/v1/observations/",
        {
            "rows": json.dumps(rows),
            "client_key": "k1",
            "evidence": SimpleUploadedFile("快报.pdf", PDF),
        },
    )
    assert good.status_code == 201
    observation = Observation.objects.get(time_node__period="2025Q3")
    (version,) = client.get(f"/api/v1/observations/{observation.pk}/versions/").json()
    (listed,) = version["evidence"]
    evidence = Evidence.objects.get()
    assert listed == {
        "name": "快报.pdf",
        "size": len(PDF),
        "sha256": evidence.sha256,
        "url": f"/observations/evidence/{evidence.pk}/",
    }


def test_evidence_of_a_batch_that_changed_nothing_is_read_by_the_office_and_auditors(world):  # type: ignore[no-untyped-def]
    send(world, [])
    result = send(world, [EvidenceFile("复核说明.pdf", PDF)])  # the same value again
    assert (result.batch.unchanged, result.batch.created, result.batch.corrected) == (1, 0, 0)
    url = f"/observations/evidence/{Evidence.objects.get().pk}/"
    for username, status in (
        ("office", 200),
        ("auditor", 200),
        ("d1_reporter", 200),  # who sent it
        ("d2_reporter", 404),
    ):
        client = Client()
        client.force_login(world.users[username])
        assert client.get(url).status_code == status, username
