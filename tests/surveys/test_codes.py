"""Printable access codes: the code sheet PDF holds every code of its batch (read back with
pdfium), a code's PNG QR code decodes to the code's own answer address (zxing-cpp), the ZIP has
a PNG per code, and a batch too large to lay out inline is made by a job and then downloaded."""

from __future__ import annotations

import io
import zipfile

import pypdfium2
import pytest
import zxingcpp
from django.core.exceptions import PermissionDenied
from django.test import Client
from PIL import Image

from kaohe.core.models import Job
from kaohe.surveys import jobs as survey_jobs
from kaohe.surveys import services, sheets
from kaohe.testing.jobs import run_queued_jobs
from kaohe.testing.surveys import make_survey

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> tuple[str, int]:
    document = pypdfium2.PdfDocument(content)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    return text, len(document)


def decoded(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_code_sheet_holds_every_code_of_the_batch(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=40)
    batch = ts.codes[0].batch
    response = signed_in(ts.manager).get(f"/surveys/batches/{batch.pk}/codes.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text, pages = pdf_text(response.content)
    codes = [c.code for c in ts.codes]
    assert all(code in text for code in codes)
    assert pages == 3  # 18 slips a page
    flat = "".join(text.split())
    assert "2025年度群众满意度测评" in flat and "人大代表" in flat
    assert "http://testserver/s/" in flat
    # the printed QR codes, scanned off the rendered first page, hold the codes' addresses
    page = pypdfium2.PdfDocument(response.content)[0].render(scale=3).to_pil()
    scanned = {found.text for found in zxingcpp.read_barcodes(page)}
    assert scanned == {f"http://testserver/s/c/{code}/" for code in sorted(codes)[:18]}
    # another batch's codes are not on this sheet
    other = services.make_codes(ts.coded, 2, acting_user=ts.manager)
    assert not any(c.code in text for c in other.codes.all())


def test_the_sheets_qr_codes_hold_the_codes_addresses(world):  # type: ignore[no-untyped-def]
    """The QR on a slip is the SVG of the same matrix as the code's PNG, which decodes."""
    ts = make_survey(world, codes=2)
    code = ts.codes[0].code
    address = sheets.code_address(BASE, code)
    assert address == f"{BASE}/s/c/{code}/"
    assert decoded(sheets.qr_png(address)) == [address]
    svg = sheets.qr_svg(address)
    assert svg.startswith("<svg") and svg == sheets.qr(address).svg_inline(
        scale=1, border=4, omitsize=True
    )


def test_a_codes_png_decodes_to_its_address(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=2)
    code = ts.codes[1].code
    response = signed_in(ts.manager).get(f"/surveys/codes/{code}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert decoded(response.content) == [f"http://testserver/s/c/{code}/"]
    assert (
        signed_in(world.users["d1_reporter"]).get(f"/surveys/codes/{code}.png").status_code == 404
    )


def test_the_open_links_qr_code(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=1)
    response = signed_in(ts.manager).get(f"/surveys/{ts.survey.pk}/link-qr.png")
    assert decoded(response.content) == [f"http://testserver/s/l/{ts.survey.link_token}/"]


def test_the_zip_holds_a_png_per_code(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=5)
    batch = ts.codes[0].batch
    response = signed_in(ts.manager).get(f"/surveys/batches/{batch.pk}/qr-codes.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(archive.namelist())
    assert names == sorted([f"{c.code}.png" for c in ts.codes] + ["codes.csv"])
    for c in ts.codes:
        assert decoded(archive.read(f"{c.code}.png")) == [f"http://testserver/s/c/{c.code}/"]
    assert archive.read("codes.csv").decode().splitlines()[1].startswith(ts.codes[0].code)


def test_a_large_batch_is_laid_out_by_a_job(world, settings, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    settings.KAOHE_SURVEY_SHEET_INLINE = 10
    ts = make_survey(world, codes=30)
    batch = ts.codes[0].batch
    c = signed_in(ts.manager)
    # too large to lay out in the request: sent back to the survey to ask for it
    waiting = c.get(f"/surveys/batches/{batch.pk}/codes.pdf")
    assert waiting.status_code == 302 and waiting["Location"] == f"/surveys/{ts.survey.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        asked = c.post(f"/surveys/batches/{batch.pk}/job/", {"what": "pdf"})
    job = Job.objects.get(kind="surveys.code_sheet")
    assert asked.status_code == 302 and asked["Location"] == f"/jobs/{job.pk}/"
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_url == f"/surveys/batches/{batch.pk}/codes.pdf"
    made = c.get(job.result_url)
    assert made.status_code == 200
    text, _pages = pdf_text(made.content)
    assert all(code.code in text for code in ts.codes)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/surveys/batches/{batch.pk}/job/", {"what": "zip"})
    assert run_queued_jobs() == 1
    archive = zipfile.ZipFile(
        io.BytesIO(c.get(f"/surveys/batches/{batch.pk}/qr-codes.zip").content)
    )
    assert len(archive.namelist()) == 31


def test_a_job_asked_by_someone_who_does_not_run_surveys_is_refused(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=3)
    with pytest.raises(PermissionDenied):
        survey_jobs.start_code_sheet(
            ts.codes[0].batch, "pdf", base=BASE, acting_user=world.users["d1_reporter"]
        )
    assert Job.objects.count() == 0
